//! Printable forms: gathers what each form shows, in the caller's scope, and has
//! `crate::forms` typeset it. Same visibility as the JSON resources the forms print.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;

use crate::auth::Principal;
use crate::db::models::dossier::{Dossier, DossierEvent};
use crate::db::models::registry::Commune;
use crate::db::models::user::User;
use crate::db::DbConn;
use crate::domain::calendar::to_local;
use crate::domain::dossier_lifecycle::Status;
use crate::domain::history::applicant_data;
use crate::domain::payment::PaymentMethod;
use crate::error::{ApiError, ApiResult, Text};
use crate::forms::{
    self, Agency, Applicant, ControlSlipForm, DossierHead, FeeReceiptForm, FormKind, ReceiptForm,
    SlipForm, Step,
};
use crate::service::access_log::Read;
use crate::service::dossiers::lookup;
use crate::service::dossiers::record::ComponentSource;
use crate::service::dossiers::view::Audience;

/// A rendered form and the name a browser saves it under.
pub struct Pdf {
    pub bytes: Vec<u8>,
    pub filename: String,
}

impl Pdf {
    fn new(bytes: Vec<u8>, kind: FormKind, key: &str) -> Pdf {
        let key: String = key
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        Pdf {
            bytes,
            filename: format!("{}-{key}.pdf", kind.slug()),
        }
    }
}

/// Vietnamese wall-clock time of a stored UTC instant.
fn local(t: NaiveDateTime) -> ApiResult<NaiveDateTime> {
    to_local(t.and_utc()).ok_or_else(|| ApiError::internal("instant out of range"))
}

fn local_utc(t: DateTime<Utc>) -> ApiResult<NaiveDateTime> {
    local(t.naive_utc())
}

/// The commune's one-stop center as the issuing agency.
fn agency_of(conn: &mut DbConn, commune_code: &str) -> ApiResult<Agency> {
    let c =
        Commune::find(conn, commune_code)?.ok_or_else(|| ApiError::internal("commune missing"))?;
    Ok(Agency {
        parent: format!("Ủy ban nhân dân {}", c.full_name),
        name: "Trung tâm Phục vụ hành chính công".into(),
        place: c.name,
        phone: c.phone,
    })
}

fn head_of(conn: &mut DbConn, d: &Dossier) -> ApiResult<DossierHead> {
    let contact: Value = serde_json::from_str(&d.applicant_contact).unwrap_or(Value::Null);
    let text = |k: &str| {
        contact
            .get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let procedure_name = lookup::procedure_name(conn, &d.procedure_version_id)?;
    Ok(DossierHead {
        agency: agency_of(conn, &d.commune_code)?,
        dossier_code: d.code.clone(),
        procedure_name,
        summary: d.summary.clone(),
        applicant: Applicant {
            name: d.applicant_name.clone(),
            address: text("address"),
            phone: text("phone"),
            email: text("email"),
        },
        received_at: d.received_at.map(local).transpose()?,
        due_at: d.due_at.map(local).transpose()?,
    })
}

fn source_label(s: ComponentSource) -> &'static str {
    match s {
        ComponentSource::Paper => "Bản giấy",
        ComponentSource::Upload => "Tệp điện tử",
        ComponentSource::DataStore => "Từ kho dữ liệu điện tử",
        ComponentSource::Reused => "Dùng lại từ hồ sơ trước",
    }
}

/// The public lookup of a dossier with its PIN (`GET /api/v1/public/dossiers/{code}`).
pub fn lookup_url(base: &str, code: &str, pin: &str) -> String {
    format!(
        "{}/api/v1/public/dossiers/{code}?pin={pin}",
        base.trim_end_matches('/')
    )
}

/// Full names of the staff accounts that acted, by id.
fn names(conn: &mut DbConn, events: &[DossierEvent]) -> ApiResult<HashMap<String, String>> {
    let mut out = HashMap::new();
    for e in events {
        if !out.contains_key(&e.actor_id) {
            if let Some(u) = User::find(conn, &e.actor_id)? {
                out.insert(e.actor_id.clone(), u.full_name);
            }
        }
    }
    Ok(out)
}

/// The receipt (giấy tiếp nhận và hẹn trả kết quả) of a dossier the caller may see;
/// 409 `dossier.not_received` as for its JSON.
pub fn receipt(conn: &mut DbConn, p: &Principal, code: &str, base: &str) -> ApiResult<(Read, Pdf)> {
    let (d, r) = lookup::receipt(conn, p, code)?;
    let events = DossierEvent::for_dossier(conn, &d.id)?;
    let reception = events
        .iter()
        .find(|e| e.to_status == Status::Received && e.from_status != Some(Status::Received));
    let officer = match reception {
        Some(e) => User::find(conn, &e.actor_id)?.map(|u| u.full_name),
        None => None,
    };
    let form = ReceiptForm {
        head: head_of(conn, &d)?,
        components: r
            .components
            .iter()
            .map(|c| (c.document.clone(), source_label(c.source).to_string()))
            .collect(),
        lookup_url: lookup_url(base, &d.code, &d.lookup_pin),
        lookup_pin: d.lookup_pin.clone(),
        officer,
    };
    Ok((
        Read::dossier(&d),
        Pdf::new(forms::receipt(&form), FormKind::Receipt, &d.code),
    ))
}

fn not_issued(kind: FormKind) -> ApiError {
    ApiError {
        code: "form.not_issued",
        detail: Text::new(
            format!("Hồ sơ chưa có {}.", kind.title().to_lowercase()),
            format!("The dossier has no {} yet.", kind.slug().replace('-', " ")),
        ),
        ..ApiError::not_found("phiếu", "Form")
    }
}

/// One of the dossier's forms. The slips print the latest entry that issued them (404
/// `form.not_issued` if none); the control slip is for staff (the applicant gets 403).
pub fn dossier_form(
    conn: &mut DbConn,
    p: &Principal,
    code: &str,
    kind: FormKind,
    base: &str,
) -> ApiResult<(Read, Pdf)> {
    if kind == FormKind::Receipt {
        return receipt(conn, p, code, base);
    }
    let (d, events) = lookup::history(conn, p, code)?;
    let read = Read::dossier(&d);
    let head = head_of(conn, &d)?;
    let bytes = match kind {
        FormKind::ControlSlip => {
            if Audience::of(p) == Audience::Applicant {
                return Err(ApiError::forbidden(
                    "form.staff_only",
                    "Phiếu kiểm soát quá trình giải quyết hồ sơ chỉ dành cho cán bộ.",
                    "The process control slip is for staff.",
                ));
            }
            control_slip(conn, head, &events)?
        }
        _ => {
            let action = match kind {
                FormKind::SupplementRequest => "request_supplement",
                FormKind::Refusal => "refuse",
                _ => "extend",
            };
            let e = events
                .iter()
                .rev()
                .find(|e| e.action == action)
                .ok_or_else(|| not_issued(kind))?;
            let slip = slip_of(conn, head, e)?;
            match kind {
                FormKind::SupplementRequest => forms::supplement_request(&slip),
                FormKind::Refusal => forms::refusal(&slip),
                _ => forms::apology(&slip),
            }
        }
    };
    Ok((read, Pdf::new(bytes, kind, &d.code)))
}

fn slip_of(conn: &mut DbConn, head: DossierHead, e: &DossierEvent) -> ApiResult<SlipForm> {
    // What the applicant may read of the entry is exactly what the slip tells them.
    let raw: Value = serde_json::from_str(&e.data).unwrap_or(Value::Null);
    let data = applicant_data(&e.action, &e.actor_role, &raw);
    let text = |k: &str| data.get(k).and_then(Value::as_str).map(str::to_string);
    let date = text("new_due_date")
        .or_else(|| text("deadline"))
        .and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok());
    let missing_items = data
        .get("missing_items")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Ok(SlipForm {
        head,
        issued_at: local(e.created_at)?,
        reason: text("reason").or_else(|| e.comment.clone()),
        missing_items,
        date,
        officer: User::find(conn, &e.actor_id)?.map(|u| u.full_name),
    })
}

fn control_slip(
    conn: &mut DbConn,
    head: DossierHead,
    events: &[DossierEvent],
) -> ApiResult<Vec<u8>> {
    let names = names(conn, events)?;
    let mut steps = Vec::with_capacity(events.len());
    for e in events {
        let who = names.get(&e.actor_id).map(String::as_str).unwrap_or("");
        steps.push(Step {
            at: local(e.created_at)?,
            action: action_label(&e.action).to_string(),
            actor: format!("{} {who}", role_label(&e.actor_role))
                .trim()
                .to_string(),
            status: status_label(e.to_status).to_string(),
            note: e.comment.clone(),
        });
    }
    let as_of = match events.last() {
        Some(e) => local(e.created_at)?,
        None => head.received_at.unwrap_or_default(),
    };
    Ok(forms::control_slip(&ControlSlipForm { head, steps, as_of }))
}

/// The fee receipt (biên lai) of a payment the caller may see; 404 `payment.no_receipt`
/// until it succeeded, as for its JSON.
pub fn fee_receipt(
    conn: &mut DbConn,
    p: &Principal,
    id: &str,
    base: &str,
) -> ApiResult<(Read, Pdf)> {
    let (read, r) = crate::service::payments::read::receipt(conn, p, id, base)?;
    let d = Dossier::find_by_code(conn, &r.dossier_code)?
        .ok_or_else(|| ApiError::internal("payment of a missing dossier"))?;
    let form = FeeReceiptForm {
        agency: agency_of(conn, &d.commune_code)?,
        template: r.template,
        series: r.series.clone(),
        number: r.number.clone(),
        collector: r.collector,
        payer_name: r.payer_name,
        dossier_code: r.dossier_code,
        lines: r
            .lines
            .into_iter()
            .map(|l| (l.name, l.amount_vnd))
            .collect(),
        total_vnd: r.total_vnd,
        total_in_words: r.total_in_words,
        method: method_label(r.method).into(),
        paid_at: local_utc(r.paid_at)?,
        url: r.url,
    };
    let key = format!("{}-{}", r.series, r.number);
    Ok((
        read,
        Pdf::new(forms::fee_receipt(&form), FormKind::FeeReceipt, &key),
    ))
}

fn method_label(m: PaymentMethod) -> &'static str {
    match m {
        PaymentMethod::Cash => "Tiền mặt",
        PaymentMethod::Card => "Thẻ (tại quầy)",
        PaymentMethod::Online => "Trực tuyến",
    }
}

/// The national names of the statuses (the 1–10 codes of the national portal).
fn status_label(s: Status) -> &'static str {
    match s {
        Status::Submitted => "Mới đăng ký",
        Status::Received => "Được tiếp nhận",
        Status::Refused => "Không được tiếp nhận",
        Status::Processing => "Đang xử lý",
        Status::SupplementRequested => "Yêu cầu bổ sung giấy tờ",
        Status::AwaitingPayment => "Yêu cầu thực hiện nghĩa vụ tài chính",
        Status::WithdrawalRequested => "Công dân yêu cầu rút hồ sơ",
        Status::Stopped => "Dừng xử lý",
        Status::ResultReady => "Đã xử lý xong",
        Status::Returned => "Đã trả kết quả",
    }
}

fn role_label(role: &str) -> &str {
    match role {
        "citizen" => "Công dân",
        "portal_client" => "Cổng DVCQG",
        "reception_officer" => "Cán bộ tiếp nhận",
        "specialist" => "Chuyên viên",
        "leader" => "Lãnh đạo",
        "commune_admin" => "Quản trị xã",
        "province_supervisor" => "Giám sát tỉnh",
        "system_admin" => "Quản trị hệ thống",
        "system" => "Hệ thống",
        other => other,
    }
}

fn action_label(action: &str) -> &str {
    match action {
        "submit" => "Nộp hồ sơ trực tuyến",
        "receive" | "receive_at_counter" => "Tiếp nhận hồ sơ",
        "refuse" => "Từ chối tiếp nhận",
        "request_supplement" => "Yêu cầu bổ sung, hoàn thiện hồ sơ",
        "submit_supplement" => "Nộp bổ sung hồ sơ",
        "start_processing" => "Bắt đầu xử lý",
        "assign" => "Chuyển xử lý",
        "request_payment" => "Yêu cầu nộp phí, lệ phí",
        "confirm_payment" => "Xác nhận đã nộp phí, lệ phí",
        "propose_result" => "Trình kết quả",
        "approve_result" => "Phê duyệt kết quả",
        "reject_proposal" => "Trả lại đề xuất",
        "mark_result_ready" => "Có kết quả, chờ trả",
        "return_result" => "Trả kết quả",
        "stop" => "Dừng xử lý",
        "request_withdrawal" => "Đề nghị rút hồ sơ",
        "confirm_withdrawal" => "Xác nhận rút hồ sơ",
        "extend" => "Xin lỗi, hẹn lại ngày trả kết quả",
        "extend_certification" => "Gia hạn (chứng thực)",
        "attach_component" => "Bổ sung thành phần hồ sơ",
        "fees_assessed" => "Xác định phí, lệ phí",
        other => other,
    }
}

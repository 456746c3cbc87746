//! The portal's payloads (DOMAIN.md §7): the dossier header (`DongBoHoSoMC`) and a
//! progress step (`CapNhatTienDoHoSoMC`), with statuses as the national codes 1–10 and
//! times as `yyyyMMddHHmmss` in Vietnam time.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error::NotFound;
use serde_json::{json, Value};

use super::links::{LinkSigner, Target};
use crate::db::models::dossier::{Dossier, DossierEvent};
use crate::db::models::fee::DossierFee;
use crate::db::models::registry::Commune;
use crate::db::schema::{
    communes, digital_results, digitization_records, dossier_attachments, dossier_events,
    dossier_fees, payments, procedure_versions, users,
};
use crate::db::DbConn;
use crate::domain::dossier::ApplicantType;
use crate::domain::dossier_lifecycle::Status;
use crate::domain::payment::PaymentMethod;

/// `yyyyMMddHHmmss` in Vietnam time (UTC+7, no daylight saving).
pub fn portal_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&crate::domain::calendar::vietnam_offset())
        .format("%Y%m%d%H%M%S")
        .to_string()
}

fn time(t: Option<NaiveDateTime>) -> Value {
    t.map_or(Value::Null, |t| json!(portal_time(t.and_utc())))
}

fn flag(b: bool) -> u8 {
    u8::from(b)
}

/// `DuocThanhToanTrucTuyen` (766 indicator 3.6): `1` paid through the national payment
/// platform, `2` through a ministry or provincial gateway, `0` otherwise. The in-process
/// sandbox stands in for the national platform. [V: 766 formula document §3.6]
pub fn online_payment_flag(gateways: &[Option<String>]) -> u8 {
    let national = gateways
        .iter()
        .any(|g| matches!(g.as_deref(), Some("paygov" | "sandbox")));
    let other = gateways.iter().any(|g| g.is_some());
    if national {
        1
    } else if other {
        2
    } else {
        0
    }
}

/// A date the commune promised (an apology slip's new date): the end of that Vietnam day's
/// office hours, as the portal's `yyyyMMddHHmmss`.
fn promised(day: &str) -> Value {
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map(|d| json!(format!("{}170000", d.format("%Y%m%d"))))
        .unwrap_or(Value::Null)
}

/// A component file: id, document name, digitized (and not rejected on review), source.
type File = (String, String, bool, String);

/// Everything the payloads of a set of dossiers need beyond their own rows, read with one
/// query per kind whatever the number of dossiers: a claimed outbox batch is rendered with
/// a fixed number of round trips, not a dozen per message.
#[derive(Default)]
pub struct Facts {
    /// Procedure version id → (name, field).
    versions: HashMap<String, (String, String)>,
    /// Commune code → the agency identifier it names itself with.
    agencies: HashMap<String, String>,
    fees: HashMap<String, Vec<DossierFee>>,
    files: HashMap<String, Vec<File>>,
    /// Digital results: id, document type, number and symbol.
    results: HashMap<String, Vec<(String, String, String)>>,
    /// Gateways of the succeeded online payments.
    gateways: HashMap<String, Vec<Option<String>>>,
    /// Dossiers filed by an applicant signed in through VNeID.
    verified: HashSet<String>,
    /// Supplement requests and submissions, in history order.
    supplement_events: HashMap<String, Vec<(String, String, NaiveDateTime)>>,
    /// The progress steps asked for, by event id.
    events: HashMap<i64, DossierEvent>,
    /// Actor id → full name.
    actors: HashMap<String, String>,
}

impl Facts {
    /// Reads what `dossiers` need, and the progress events `event_ids` of them (with their
    /// actors' names).
    pub fn load(conn: &mut DbConn, dossiers: &[&Dossier], event_ids: &[i64]) -> QueryResult<Facts> {
        let mut f = Facts::default();
        if dossiers.is_empty() {
            return Ok(f);
        }
        let ids: Vec<&str> = dossiers.iter().map(|d| d.id.as_str()).collect();
        let mut version_ids: Vec<&str> = dossiers
            .iter()
            .map(|d| d.procedure_version_id.as_str())
            .collect();
        version_ids.sort_unstable();
        version_ids.dedup();
        let mut commune_codes: Vec<&str> =
            dossiers.iter().map(|d| d.commune_code.as_str()).collect();
        commune_codes.sort_unstable();
        commune_codes.dedup();

        f.versions = procedure_versions::table
            .filter(procedure_versions::id.eq_any(&version_ids))
            .select((
                procedure_versions::id,
                (procedure_versions::name, procedure_versions::field),
            ))
            .load::<(String, (String, String))>(conn)?
            .into_iter()
            .collect();
        f.agencies = communes::table
            .filter(communes::code.eq_any(&commune_codes))
            .select(Commune::as_select())
            .load(conn)?
            .into_iter()
            .map(|c| (c.code.clone(), c.agency_id()))
            .collect();
        for fee in dossier_fees::table
            .filter(dossier_fees::dossier_id.eq_any(&ids))
            .order((dossier_fees::dossier_id, dossier_fees::line_no))
            .select(DossierFee::as_select())
            .load(conn)?
        {
            f.fees.entry(fee.dossier_id.clone()).or_default().push(fee);
        }
        // A digitization rejected on review does not count as digitized (as in the indicators).
        let rejected: HashSet<String> = digitization_records::table
            .filter(digitization_records::dossier_id.eq_any(&ids))
            .filter(digitization_records::status.eq("rejected"))
            .select(digitization_records::attachment_id)
            .load::<String>(conn)?
            .into_iter()
            .collect();
        let files: Vec<(String, String, String, bool, String)> = dossier_attachments::table
            .filter(dossier_attachments::dossier_id.eq_any(&ids))
            .order((
                dossier_attachments::dossier_id,
                dossier_attachments::created_at,
            ))
            .select((
                dossier_attachments::dossier_id,
                dossier_attachments::id,
                dossier_attachments::document_name,
                dossier_attachments::digitized_at_reception,
                dossier_attachments::source,
            ))
            .load(conn)?;
        for (dossier, id, doc, digitized, source) in files {
            let ok = digitized && !rejected.contains(&id);
            f.files
                .entry(dossier)
                .or_default()
                .push((id, doc, ok, source));
        }
        let results: Vec<(Option<String>, String, String, String)> = digital_results::table
            .filter(digital_results::dossier_id.eq_any(&ids))
            .filter(digital_results::status.ne("revoked"))
            .order((digital_results::dossier_id, digital_results::created_at))
            .select((
                digital_results::dossier_id,
                digital_results::id,
                digital_results::document_type,
                digital_results::number_symbol,
            ))
            .load(conn)?;
        for (dossier, id, kind, number) in results {
            if let Some(dossier) = dossier {
                f.results
                    .entry(dossier)
                    .or_default()
                    .push((id, kind, number));
            }
        }
        let gateways: Vec<(String, Option<String>)> = payments::table
            .filter(payments::dossier_id.eq_any(&ids))
            .filter(payments::status.eq("succeeded"))
            .filter(payments::method.eq(PaymentMethod::Online))
            .select((payments::dossier_id, payments::gateway))
            .load(conn)?;
        for (dossier, gateway) in gateways {
            f.gateways.entry(dossier).or_default().push(gateway);
        }
        // The history the payloads read, in one pass: the creation event (who filed it),
        // the supplement requests and submissions, and the progress steps asked for.
        let events: Vec<DossierEvent> = dossier_events::table
            .filter(dossier_events::dossier_id.eq_any(&ids))
            .filter(
                dossier_events::from_status
                    .is_null()
                    .or(dossier_events::action.eq_any(SUPPLEMENT_ACTIONS))
                    .or(dossier_events::id.eq_any(event_ids)),
            )
            .order(dossier_events::id)
            .select(DossierEvent::as_select())
            .load(conn)?;
        let mut creation_seen = HashSet::new();
        for e in events {
            if e.from_status.is_none() && creation_seen.insert(e.dossier_id.clone()) {
                // The applicant signed in through the external identity provider (VNeID).
                let verified = serde_json::from_str::<Value>(&e.data)
                    .is_ok_and(|v| v["identity_verified"] == json!(true));
                if verified {
                    f.verified.insert(e.dossier_id.clone());
                }
            }
            if SUPPLEMENT_ACTIONS.contains(&e.action.as_str()) {
                f.supplement_events
                    .entry(e.dossier_id.clone())
                    .or_default()
                    .push((e.action.clone(), e.data.clone(), e.created_at));
            }
            if event_ids.contains(&e.id) {
                f.events.insert(e.id, e);
            }
        }
        let mut actor_ids: Vec<&str> = f.events.values().map(|e| e.actor_id.as_str()).collect();
        actor_ids.sort_unstable();
        actor_ids.dedup();
        if !actor_ids.is_empty() {
            f.actors = users::table
                .filter(users::id.eq_any(&actor_ids))
                .select((users::id, users::full_name))
                .load::<(String, String)>(conn)?
                .into_iter()
                .collect();
        }
        Ok(f)
    }

    /// A progress event that [`Facts::load`] was asked for.
    pub fn event(&self, id: i64) -> Option<&DossierEvent> {
        self.events.get(&id)
    }

    /// The dossier's supplement requests (`DanhSachHoSoBoSung`) from its history: each
    /// request with its deadline, and once the applicant supplied, the appointment date
    /// before the pause (`NgayHenTraTruoc`) and after it (`NgayHenTraMoi`).
    fn supplements(&self, d: &Dossier) -> Vec<Value> {
        let mut out: Vec<Value> = Vec::new();
        for (action, data, at) in self.supplement_events.get(&d.id).into_iter().flatten() {
            let data: Value = serde_json::from_str(data).unwrap_or_default();
            if action == "request_supplement" {
                let req = &data["request"];
                out.push(json!({
                    "MaHoSoBoSung": format!("{}-BS{}", d.code, out.len() + 1),
                    "NgayYeuCauBoSung": time(Some(*at)),
                    "NoiDungBoSung": req["missing_items"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("; ")).unwrap_or_default(),
                    "ThoiHanBoSung": req["deadline"].as_str().map_or(Value::Null, promised),
                    "NgayTiepNhanBoSung": Value::Null,
                    "NgayHenTraTruoc": Value::Null,
                    "NgayHenTraMoi": Value::Null,
                }));
            } else if let Some(last) = out.last_mut() {
                let due = |k: &str| {
                    data[k]
                        .as_str()
                        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                        .map_or(Value::Null, |t| json!(portal_time(t.with_timezone(&Utc))))
                };
                last["NgayTiepNhanBoSung"] = time(Some(*at));
                last["NgayHenTraTruoc"] = due("due_before");
                last["NgayHenTraMoi"] = due("due_after");
            }
        }
        out
    }

    /// The dossier as the portal stores it: every field of DOMAIN.md §7 that motcua holds.
    /// Links are signed at `now`. Not found: the dossier's procedure version or commune
    /// was not among those loaded.
    pub fn header(
        &self,
        d: &Dossier,
        links: &LinkSigner,
        now: DateTime<Utc>,
    ) -> QueryResult<Value> {
        let (name, field) = self.versions.get(&d.procedure_version_id).ok_or(NotFound)?;
        let agency = self.agencies.get(&d.commune_code).ok_or(NotFound)?;
        let fees = self.fees.get(&d.id).map_or(&[][..], Vec::as_slice);
        let files = self.files.get(&d.id).map_or(&[][..], Vec::as_slice);
        let results = self.results.get(&d.id).map_or(&[][..], Vec::as_slice);
        let gateways = self.gateways.get(&d.id).map_or(&[][..], Vec::as_slice);
        let verified = self.verified.contains(&d.id);
        let refused = d.status == Status::Refused;
        let returned = d.status == Status::Returned;
        let owner_kind = if d.applicant_type == ApplicantType::Business {
            2
        } else {
            1
        };
        Ok(json!({
            "MaHoSo": d.code,
            "MaTTHC": d.procedure_code,
            "TenTTHC": name,
            "MaLinhVuc": field,
            "KenhThucHien": d.channel.national_code(),
            "ChuHoSo": d.applicant_name,
            "SoGiayToChuHoSo": d.applicant_id_number,
            "LoaiDoiTuong": owner_kind,
            "NgayNopHoSo": time(Some(d.submitted_at)),
            "NgayTiepNhan": time(d.received_at),
            "NgayHenTra": time(d.due_at),
            "TrangThaiHoSo": d.status.national_code(),
            "NgayKetThucXuLy": time(d.finished_at),
            "NgayTra": if returned { time(Some(d.updated_at)) } else { Value::Null },
            "NgayTuChoi": if refused { time(d.finished_at) } else { Value::Null },
            "DonViXuLy": agency,
            "HoSoCoThanhPhanSoHoa": flag(files.iter().any(|f| f.2)),
            "TaiKhoanDuocXacThucVoiVNeID": flag(verified),
            "DuocThanhToanTrucTuyen": online_payment_flag(gateways),
            "DinhDanhCHS": [{"LoaiDinhDanh": owner_kind, "SoDinhDanh": d.applicant_id_number}],
            "DSKetNoiCSDL": [],
            "TaiLieuNop": files.iter().map(|(id, doc, digitized, source)| json!({
                "MaThanhPhanHoSo": doc,
                "DuongDanTaiTepTin": links.url(&Target::Attachment(id.clone()), now),
                "DuocSoHoa": flag(*digitized),
                "DuocTaiSuDung": flag(source.starts_with("reused")),
                // motcua is not connected to the portal's national store: nothing comes from it.
                "DuocLayTuKhoDMQG": 0,
            })).collect::<Vec<_>>(),
            "DanhSachLePhi": fees.iter().map(|f| json!({
                "TenPhiLePhi": f.name, "MaPhiLePhi": f.fee_code,
                "HinhThucThu": if f.exemption.is_some() { "Đối tượng miễn phí" } else if f.collection == "on_return" { "Thu sau" } else { "Thu trước" },
                "Gia": f.amount, "LoaiPhiLePhi": if f.kind == "le_phi" { 2 } else { 1 },
            })).collect::<Vec<_>>(),
            "DanhSachHoSoBoSung": self.supplements(d),
            "DanhSachGiayToKetQua": results.iter().map(|(id, kind, number)| json!({
                "TenGiayTo": kind,
                "MaGiayToKetQua": number,
                "DuongDanTepTinKetQua": links.url(&Target::Result(id.clone()), now),
            })).collect::<Vec<_>>(),
        }))
    }

    /// A progress step: who did what, and the dossier's status after it. `header` is the
    /// dossier's [`Facts::header`]: it rides along so that one delivered message is enough
    /// to resynchronise the portal's copy.
    pub fn progress(&self, d: &Dossier, e: &DossierEvent, header: Value) -> Value {
        let actor = self.actors.get(&e.actor_id);
        let due = d.due_at;
        let data: Value = serde_json::from_str(&e.data).unwrap_or_default();
        // An apology slip: the appointment date it replaces and the new one.
        let (before, after) = if e.action == "extend" {
            (
                time(due),
                data["request"]["new_due_date"]
                    .as_str()
                    .map_or(Value::Null, promised),
            )
        } else {
            (Value::Null, Value::Null)
        };
        json!({
            "MaHoSo": d.code,
            "NguoiXuLy": actor.cloned().unwrap_or_else(|| e.actor_id.to_string()),
            "ChucDanh": e.actor_role,
            "ThoiDiemXuLy": time(Some(e.created_at)),
            "PhongBanXuLy": d.commune_code,
            "NoiDungXuLy": e.comment.as_deref().map_or_else(|| e.action.to_string(), |c| format!("{}: {c}", e.action)),
            "TrangThai": d.status.national_code(),
            "NgayKetThucTheoQuyDinh": time(due),
            "NgayHenTraTruoc": before,
            "NgayHenTraMoi": after,
            "HoSo": header,
        })
    }
}

const SUPPLEMENT_ACTIONS: [&str; 2] = ["request_supplement", "submit_supplement"];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dossier::Channel;
    use chrono::TimeZone;

    #[test]
    fn portal_times_are_vietnam_local() {
        let t = Utc.with_ymd_and_hms(2026, 12, 31, 17, 5, 9).unwrap();
        assert_eq!(portal_time(t), "20270101000509");
    }

    #[test]
    fn online_payment_flag_of_decision_766_indicator_3_6() {
        // 766 formula document §3.6: DuocThanhToanTrucTuyen 1 = paid on the national
        // platform, 2 = through a ministry/province gateway, 0 = not paid online.
        let g = |v: &[Option<&str>]| {
            online_payment_flag(&v.iter().map(|x| x.map(str::to_string)).collect::<Vec<_>>())
        };
        assert_eq!(g(&[]), 0);
        assert_eq!(g(&[None]), 0, "cash or card at the counter");
        assert_eq!(g(&[Some("paygov")]), 1);
        assert_eq!(
            g(&[Some("sandbox")]),
            1,
            "the stand-in for the national platform"
        );
        assert_eq!(g(&[Some("provincial-gateway")]), 2);
        assert_eq!(g(&[Some("provincial-gateway"), Some("paygov")]), 1);
    }

    #[test]
    fn promised_dates_end_at_the_close_of_office_hours() {
        assert_eq!(promised("2026-12-08"), json!("20261208170000"));
        assert_eq!(promised("08/12/2026"), Value::Null);
    }

    #[test]
    fn statuses_and_channels_map_to_national_codes() {
        assert_eq!(Status::Submitted.national_code(), 1);
        assert_eq!(Status::Returned.national_code(), 10);
        assert_eq!(
            (
                Channel::Counter.national_code(),
                Channel::Online.national_code(),
                Channel::Post.national_code()
            ),
            (1, 2, 3)
        );
    }
}

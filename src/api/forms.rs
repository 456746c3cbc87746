//! Printable forms as PDF: the `…/pdf` links browsers open, and the PDF answer of the
//! receipt resources when the client asks for `Accept: application/pdf`.
//! Same roles, scoping and personal-data access log as the JSON they print.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{get, web, HttpRequest, HttpResponse};

use crate::api::access_log;
use crate::api::problems::{DossierNotFound, NotAuthenticated};
use crate::auth::roles::AnyRole;
use crate::auth::Authorized;
use crate::error::{ApiError, ApiResult};
use crate::forms::FormKind;
use crate::service::forms::{self as service, Pdf};
use crate::state::AppState;

/// Whether the client prefers a PDF to JSON: `application/pdf` listed with a quality
/// above zero and not below that of JSON (or of `*/*` when JSON is not named).
pub fn wants_pdf(req: &HttpRequest) -> bool {
    let Some(accept) = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut pdf = None;
    let mut json = None;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        match media.as_str() {
            "application/pdf" => pdf = Some(q),
            "application/json" | "application/*" | "*/*" => {
                json = Some(json.map_or(q, |j: f32| j.max(q)))
            }
            _ => {}
        }
    }
    matches!(pdf, Some(p) if p > 0.0 && json.is_none_or(|j| p >= j))
}

/// The PDF response: shown inline, never stored by a shared cache (personal data).
pub fn pdf_response(pdf: Pdf, negotiated: bool) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    res.content_type("application/pdf")
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{}\"", pdf.filename),
        ));
    if negotiated {
        res.insert_header((header::VARY, HeaderValue::from_static("Accept")));
    }
    res.body(pdf.bytes)
}

fn base(state: &AppState) -> String {
    state
        .config
        .public_base_url
        .trim_end_matches('/')
        .to_string()
}

/// The receipt as PDF, for `get_receipt` and its `/pdf` link.
pub async fn receipt_pdf(
    state: &AppState,
    auth: &Authorized<AnyRole>,
    code: String,
    route: &'static str,
    negotiated: bool,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let base = base(state);
    let (read, pdf) = state
        .db(move |conn| service::receipt(conn, &p, &code, &base))
        .await?;
    access_log::record(state, auth, route, [read]).await?;
    Ok(pdf_response(pdf, negotiated))
}

/// The fee receipt as PDF, for `get_payment_receipt` and its `/pdf` link.
pub async fn fee_receipt_pdf(
    state: &AppState,
    auth: &Authorized<AnyRole>,
    id: String,
    route: &'static str,
    negotiated: bool,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let base = base(state);
    let (read, pdf) = state
        .db(move |conn| service::fee_receipt(conn, &p, &id, &base))
        .await?;
    access_log::record(state, auth, route, [read]).await?;
    Ok(pdf_response(pdf, negotiated))
}

/// The reception receipt as a printable PDF (giấy tiếp nhận hồ sơ và hẹn trả kết quả).
///
/// **Roles:** as for the receipt's JSON. The page carries a QR code of the public
/// lookup URL with the dossier's PIN. Same record, same bytes.
#[utoipa::path(tag = "dossiers", security(("bearer" = [])), params(("code" = String, Path, description = "Dossier code")), responses(
    (status = 200, description = "A4 PDF", content_type = "application/pdf", body = Vec<u8>),
    NotAuthenticated, DossierNotFound,
    (status = 409, description = "Not received yet", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/dossiers/{code}/receipt/pdf")]
pub async fn get_receipt_pdf(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let route = "GET /dossiers/{code}/receipt/pdf";
    receipt_pdf(&state, &auth, code.into_inner(), route, false).await
}

/// A dossier's form as a printable PDF.
///
/// `form`: `receipt` (as `…/receipt/pdf`), `supplement-request` (phiếu yêu cầu bổ sung,
/// hoàn thiện hồ sơ), `refusal` (phiếu từ chối tiếp nhận giải quyết hồ sơ), `apology`
/// (phiếu xin lỗi và hẹn lại ngày trả kết quả), `control-slip` (phiếu kiểm soát quá
/// trình giải quyết hồ sơ, every step of the history). A slip prints the latest history
/// entry that issued it; 404 `form.not_issued` when there is none.
///
/// **Roles:** as for reading the dossier; the control slip is for staff (403
/// `form.staff_only` for the applicant).
#[utoipa::path(tag = "dossiers", security(("bearer" = [])), params(
    ("code" = String, Path, description = "Dossier code"),
    ("form" = String, Path, description = "receipt, supplement-request, refusal, apology or control-slip"),
), responses(
    (status = 200, description = "A4 PDF", content_type = "application/pdf", body = Vec<u8>),
    NotAuthenticated, DossierNotFound,
    (status = 403, description = "Control slip asked by the applicant", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Receipt of a dossier not received yet", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/dossiers/{code}/forms/{form}")]
pub async fn get_dossier_form(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (code, form) = path.into_inner();
    let kind = FormKind::from_slug(&form).ok_or_else(|| ApiError::not_found("phiếu", "Form"))?;
    let p = auth.principal.clone();
    let base = base(&state);
    let (read, pdf) = state
        .db(move |conn| service::dossier_form(conn, &p, &code, kind, &base))
        .await?;
    access_log::record(&state, &auth, "GET /dossiers/{code}/forms/{form}", [read]).await?;
    Ok(pdf_response(pdf, false))
}

/// A payment's fee receipt (biên lai thu phí, lệ phí) as a printable PDF.
///
/// **Roles:** whoever may read the payment. 404 `payment.no_receipt` until it succeeded.
/// The QR code encodes the receipt's URL.
#[utoipa::path(tag = "payments", security(("bearer" = [])), params(("id" = String, Path, description = "Payment id")), responses(
    (status = 200, description = "A4 PDF", content_type = "application/pdf", body = Vec<u8>),
    NotAuthenticated,
    (status = 404, description = "No such payment, or it has no receipt (not paid)", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/payments/{id}/receipt/pdf")]
pub async fn get_payment_receipt_pdf(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let route = "GET /payments/{id}/receipt/pdf";
    fee_receipt_pdf(&state, &auth, id.into_inner(), route, false).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn accepts(v: &str) -> bool {
        wants_pdf(
            &TestRequest::get()
                .insert_header(("accept", v))
                .to_http_request(),
        )
    }

    #[test]
    fn negotiation() {
        assert!(accepts("application/pdf"));
        assert!(accepts("application/pdf, application/json;q=0.5"));
        assert!(accepts("application/json;q=0.5, application/pdf"));
        assert!(!accepts("application/json"));
        assert!(!accepts("application/json, application/pdf;q=0.8"));
        assert!(!accepts("*/*"));
        assert!(!accepts("application/pdf;q=0"));
        assert!(!wants_pdf(&TestRequest::get().to_http_request()));
    }
}

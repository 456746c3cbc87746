//! Public lookup of a dossier with its receipt PIN: no account, no personal data.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::lookup::{dossier_not_found, procedure_name};
use super::view::{event_view, utc, Audience, EventView};
use crate::db::models::dossier::{Dossier, DossierEvent};
use crate::db::models::registry::Commune;
use crate::db::DbConn;
use crate::domain::calendar::local_date;
use crate::domain::dossier_lifecycle::Status;
use crate::error::{ApiError, ApiResult};
use crate::service::login_throttle::{self, Admission, Limit};

/// What anyone holding the receipt may see: no personal data.
#[derive(Serialize, ToSchema)]
pub struct PublicDossierView {
    pub code: String,
    pub status: Status,
    pub national_status_code: u8,
    pub status_label: String,
    pub procedure_code: String,
    pub procedure_name: String,
    pub commune_name: String,
    pub received_at: Option<DateTime<Utc>>,
    pub due_date: Option<NaiveDate>,
    pub finished: bool,
    /// The steps of the dossier, oldest first, as the applicant's view of the history
    /// shows them, without comments or reasons (a kiosk screen is not a private place).
    pub history: Vec<EventView>,
}

/// Constant-time comparison, so response time does not reveal how much of a PIN matched.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The public view of dossier `code` when `pin` is its lookup PIN. Wrong PINs are counted
/// under `limit` (per dossier, whoever sends them) in windows of `window_secs`: counted
/// before the comparison, atomically, like logins (see `service::login_throttle`); past the
/// limit, 429 with Retry-After. A wrong code and a wrong PIN are the same 404.
pub fn lookup(
    conn: &mut DbConn,
    code: &str,
    pin: &str,
    limit: Limit,
    window_secs: i64,
) -> ApiResult<PublicDossierView> {
    let limits = vec![limit];
    let window = window_secs;
    let now = crate::clock::now().naive_utc();
    let records = match login_throttle::admit(conn, &limits, window, now)? {
        Admission::Refused { retry_after_secs } => {
            return Err(too_many_requests(
                "public.dossier_locked",
                format!(
                    "Nhập sai mã tra cứu của hồ sơ này quá nhiều lần. Thử lại sau {retry_after_secs} giây."
                ),
                format!(
                    "Too many wrong PINs for this dossier. Retry in {retry_after_secs} seconds."
                ),
            )
            .with_header("retry-after", retry_after_secs.to_string()))
        }
        Admission::Admitted { records } => records,
    };
    let dossier = Dossier::find_by_code(conn, code)?;
    let Some(d) = dossier.filter(|d| same(&d.lookup_pin, pin)) else {
        login_throttle::failed(conn, window, now)?;
        return Err(dossier_not_found());
    };
    login_throttle::succeeded(conn, &records, &limits[0].key)?;
    let name = procedure_name(conn, &d.procedure_version_id)?;
    let commune = Commune::find(conn, &d.commune_code)?
        .map(|c| c.full_name)
        .unwrap_or_default();
    let history: Vec<EventView> = DossierEvent::for_dossier(conn, &d.id)?
        .into_iter()
        .map(|e| {
            let mut v = event_view(e, Audience::Applicant);
            v.comment = None;
            if let Some(o) = v.data.as_object_mut() {
                o.remove("reason");
            }
            v
        })
        .collect();
    let commune_name = commune;
    let procedure_name = name;
    let status = d.status;
    Ok(PublicDossierView {
        national_status_code: status.national_code(),
        status_label: status.label_vi().to_string(),
        status,
        code: d.code,
        procedure_code: d.procedure_code,
        procedure_name,
        commune_name,
        received_at: d.received_at.map(utc),
        due_date: d.due_at.map(|t| local_date(utc(t))),
        finished: d.finished_at.is_some(),
        history,
    })
}

/// 429 (the error type names its statuses with actix's type; this module stays HTTP-free).
fn too_many_requests(code: &'static str, vi: String, en: String) -> ApiError {
    let mut e = ApiError::conflict(code, vi, en);
    e.status = 429u16.try_into().expect("429 is a status code");
    e
}

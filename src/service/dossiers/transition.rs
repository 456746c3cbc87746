//! Transitions: an action on a received dossier moves its lifecycle, its legal clock
//! (pauses for supplements, extensions) and appends its history entry.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::intake::processing_time_of;
use super::lookup::{load_visible, procedure_name};
use super::record::{record_of, CertificationExtension, Delivery, SupplementRequest};
use super::view::{actor_of, utc};
use crate::auth::Principal;
use crate::db::models::dossier::{Dossier, NewDossierEvent};
use crate::db::models::procedure::ProcedureVersion;
use crate::db::schema::users;
use crate::db::DbConn;
use crate::domain::calendar::{local_date, WorkCalendar};
use crate::domain::dossier_lifecycle::{self as lifecycle, Action, Flag, Status, TransitionError};
use crate::domain::text::nfc;
use crate::error::{ApiError, ApiResult};

#[derive(Deserialize, Serialize, Validate, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"action": "request_supplement", "missing_items": ["Bản sao giấy khai sinh"], "deadline": "2026-12-10", "comment": "Thiếu giấy tờ"}))]
pub struct TransitionRequest {
    pub action: Action,
    /// Required by `refuse`, `stop`, `reject_proposal`, `extend`.
    #[schema(min_length = 1, max_length = 2000)]
    #[validate(length(min = 1, max = 2000))]
    pub reason: Option<String>,
    #[schema(max_length = 2000)]
    #[validate(length(max = 2000))]
    pub comment: Option<String>,
    /// Required by `assign`: an active specialist or leader of the dossier's commune.
    pub assignee_id: Option<String>,
    /// Required by `request_supplement`: what the applicant must add.
    #[schema(min_items = 1, max_items = 50)]
    #[validate(length(min = 1, max = 50))]
    pub missing_items: Option<Vec<String>>,
    /// Required by `request_supplement`: by when (Vietnam date).
    pub deadline: Option<NaiveDate>,
    /// Required by `extend`: the new appointment date promised on the apology slip.
    pub new_due_date: Option<NaiveDate>,
    /// Required by `extend_certification`: 1 or 2 working days (Decree 23/2015/NĐ-CP
    /// Art. 21).
    #[schema(minimum = 1, maximum = 2)]
    #[validate(range(min = 1, max = 2))]
    pub extension_days: Option<u32>,
    /// For `return_result`: how the result was handed over (default `counter`).
    pub delivery: Option<Delivery>,
}

impl TransitionRequest {
    fn has(&self, field: &str) -> bool {
        match field {
            "reason" => self.reason.as_deref().is_some_and(|s| !s.trim().is_empty()),
            "assignee_id" => self.assignee_id.is_some(),
            "missing_items" => self.missing_items.as_ref().is_some_and(|v| !v.is_empty()),
            "deadline" => self.deadline.is_some(),
            "new_due_date" => self.new_due_date.is_some(),
            "extension_days" => self.extension_days.is_some(),
            _ => true,
        }
    }
}

fn transition_error(e: TransitionError) -> ApiError {
    let allowed = e.allowed().map(|a| a.to_vec()).unwrap_or_default();
    let mut err = ApiError::conflict(e.code(), e.message_vi(), e.message_en())
        .with_extra(serde_json::json!({ "allowed_actions": allowed }));
    if let Ok(status) = e.http_status().try_into() {
        err.status = status;
    }
    err
}

/// Applies an action to a loaded dossier: lifecycle, clock, and the history entry.
pub fn apply(
    conn: &mut DbConn,
    calendar: &WorkCalendar,
    p: &Principal,
    d: &mut Dossier,
    req: &TransitionRequest,
    now: DateTime<Utc>,
) -> ApiResult<Vec<Flag>> {
    let missing: Vec<&str> = req
        .action
        .required_fields()
        .iter()
        .copied()
        .filter(|f| !req.has(f))
        .collect();
    if !missing.is_empty() {
        let mut errors = crate::error::FieldErrors::new();
        for f in missing {
            errors.insert(
                f.to_string(),
                vec![crate::error::Text::new(
                    "Bắt buộc với thao tác này.",
                    "Required by this action.",
                )],
            );
        }
        return Err(ApiError::validation(errors));
    }
    let mut rec = record_of(d)?;
    // Dossiers stored before the apology count was kept carry it in `extensions`.
    rec.state.apologies = rec.state.apologies.max(d.extensions.max(0) as u32);
    let from = rec.state.status;
    let due_before = d.due_at;
    let mut outcome =
        lifecycle::transition(&rec.state, &req.action, actor_of(p)).map_err(transition_error)?;
    if from == Status::SupplementRequested && matches!(req.action, Action::Stop | Action::Refuse) {
        let passed = rec
            .supplement
            .as_ref()
            .is_some_and(|s| lifecycle::supplement_deadline_passed(s.deadline, local_date(now)));
        if !passed {
            return Err(ApiError::conflict(
                "dossier.supplement_deadline_not_passed",
                "Hạn bổ sung hồ sơ chưa qua: chỉ dừng xử lý hoặc từ chối khi người nộp không bổ sung đúng hạn.",
                "The supplement deadline has not passed: stop or refuse only when the papers were not supplied in time.",
            ));
        }
    }
    crate::service::fees::check_fees_allow(conn, d, req.action, from)?;
    let nowd = now.naive_utc();

    match req.action {
        Action::Receive => {
            let version = ProcedureVersion::find(conn, &d.procedure_version_id)?
                .ok_or_else(|| ApiError::internal("procedure version missing"))?;
            d.received_at = Some(nowd);
            d.due_at = Some(
                calendar
                    .due(now, &processing_time_of(&version, &d.case_code)?)
                    .due_at
                    .naive_utc(),
            );
        }
        Action::Assign => {
            let assignee = req.assignee_id.clone().unwrap_or_default();
            let ok = users::table
                .filter(users::id.eq(&assignee))
                .filter(users::active.eq(true))
                .filter(users::commune_code.eq(&d.commune_code))
                .filter(users::role.eq_any(["specialist", "leader"]))
                .count()
                .get_result::<i64>(conn)?
                == 1;
            if !ok {
                return Err(ApiError::invalid_field(
                    "assignee_id",
                    "Người được giao phải là chuyên viên hoặc lãnh đạo đang hoạt động của xã.",
                    "The assignee must be an active specialist or leader of the commune.",
                ));
            }
            d.assignee_id = Some(assignee);
        }
        Action::RequestSupplement => {
            let deadline = req.deadline.unwrap_or_default();
            if deadline < local_date(now) {
                return Err(ApiError::invalid_field(
                    "deadline",
                    "Hạn bổ sung đã qua.",
                    "The supplement deadline is in the past.",
                ));
            }
            rec.supplement = Some(SupplementRequest {
                missing_items: req
                    .missing_items
                    .clone()
                    .unwrap_or_default()
                    .iter()
                    .map(|s| nfc(s.trim()))
                    .collect(),
                deadline,
                requested_at: now,
            });
        }
        Action::Extend => {
            let new_date = req.new_due_date.unwrap_or_default();
            let due = d.due_at.map(utc).ok_or_else(|| {
                ApiError::conflict(
                    "dossier.no_deadline",
                    "Hồ sơ chưa có hạn giải quyết.",
                    "The dossier has no deadline yet.",
                )
            })?;
            if new_date <= local_date(due) || rec.promised_due_date.is_some_and(|p| new_date <= p) {
                return Err(ApiError::invalid_field(
                    "new_due_date",
                    "Ngày hẹn mới phải sau ngày hẹn hiện tại.",
                    "The new date must be after the current appointment date.",
                ));
            }
            // Due at the latest one working day before the due date: a later slip is still
            // recorded, flagged.
            if now > calendar.apology_deadline(due) {
                outcome.flags.push(Flag::LateApology);
                rec.late_apology = true;
            }
            rec.promised_due_date = Some(new_date);
            d.extensions += 1;
        }
        Action::ExtendCertification => {
            let version = ProcedureVersion::find(conn, &d.procedure_version_id)?
                .ok_or_else(|| ApiError::internal("procedure version missing"))?;
            if !lifecycle::is_certification_procedure(&version.field, &version.name) {
                return Err(ApiError::conflict(
                    "dossier.not_certification",
                    "Chỉ kéo dài thời hạn theo Điều 21 Nghị định 23/2015/NĐ-CP với hồ sơ chứng thực.",
                    "Only a certification dossier may be extended under Decree 23/2015 Art. 21.",
                ));
            }
            let due = d.due_at.map(utc).ok_or_else(|| {
                ApiError::conflict(
                    "dossier.no_deadline",
                    "Hồ sơ chưa có hạn giải quyết.",
                    "The dossier has no deadline yet.",
                )
            })?;
            let days = req.extension_days.unwrap_or(1);
            d.due_at = Some(calendar.extend_by_working_days(due, days).naive_utc());
            rec.certification_extension = Some(CertificationExtension {
                days,
                reason: nfc(req.reason.as_deref().unwrap_or_default().trim()),
                previous_due_at: due,
            });
        }
        Action::ReturnResult => {
            rec.delivery = Some(req.delivery.unwrap_or(Delivery::Counter));
            rec.returned_at = Some(now);
        }
        _ => {}
    }
    if outcome.pauses_clock && d.due_at.is_some() {
        d.paused_at = Some(nowd);
    }
    if outcome.resumes_clock {
        if let (Some(paused), Some(due)) = (d.paused_at, d.due_at) {
            d.paused_minutes += calendar.working_minutes_between(utc(paused), now);
            d.due_at = Some(
                calendar
                    .extend_for_pause(utc(due), utc(paused), now)
                    .naive_utc(),
            );
        }
        d.paused_at = None;
        rec.supplement = None;
    }
    // A withdrawal requested before the request itself ended processing is closed here.
    if (outcome.finishes || req.action == Action::ConfirmWithdrawal) && d.finished_at.is_none() {
        d.finished_at = Some(nowd);
    }
    rec.state = outcome.new_state;
    d.status = rec.state.status;
    d.supplement_requests = rec.state.supplement_requests as i32;
    d.lifecycle = serde_json::to_string(&rec).expect("lifecycle serializes");
    d.updated_at = nowd;

    let flags: Vec<&str> = outcome
        .flags
        .iter()
        .map(|f| match f {
            Flag::RepeatedSupplementRequest => "repeated_supplement_request",
            Flag::LateWithApology => "late_with_apology",
            Flag::LateApology => "late_apology",
        })
        .collect();
    // The row first, then its event: appending refreshes the indicator facts, which read
    // the dossier as saved.
    if !Dossier::save_versioned(conn, d, d.version)? {
        return Err(ApiError::precondition_failed());
    }
    let event = NewDossierEvent {
        dossier_id: &d.id,
        action: req.action.as_str(),
        actor_id: &p.user_id,
        actor_role: p.role.as_str(),
        from_status: Some(from),
        to_status: d.status,
        comment: req.comment.as_deref().or(req.reason.as_deref()),
        // The appointment date before and after (a supplement's pause moves it; the portal
        // gets both as NgayHenTraTruoc/NgayHenTraMoi).
        data: serde_json::json!({ "request": req, "flags": flags,
            "due_before": due_before.map(utc), "due_after": d.due_at.map(utc) })
        .to_string(),
        created_at: nowd,
    };
    crate::service::events::append(conn, &event)?;
    Ok(outcome.flags)
}

/// Takes `req` on the dossier `code` at the record version `if_match`: 412 when it changed
/// since. Returns the saved dossier, its procedure's name and its province's calendar.
pub fn act(
    conn: &mut DbConn,
    p: &Principal,
    code: &str,
    if_match: i64,
    req: &TransitionRequest,
    calendars: &crate::service::calendar_cache::CalendarCache,
) -> ApiResult<(Dossier, String)> {
    let mut d = load_visible(conn, p, code)?;
    if d.version != if_match {
        return Err(ApiError::precondition_failed());
    }
    let calendar = calendars.get(conn, Some(&d.province_code))?;
    apply(conn, &calendar, p, &mut d, req, crate::clock::now())?;
    d.version = if_match + 1;
    let name = procedure_name(conn, &d.procedure_version_id)?;
    Ok((d, name))
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::db::models::calendar::load_calendar_for;
    use crate::db::models::dossier::DossierEvent;
    use crate::db::schema::{communes, procedure_versions};
    use crate::domain::calendar::from_local;
    use crate::domain::dossier::{ApplicantType, Channel};
    use crate::domain::dossier_lifecycle::LifecycleState;
    use crate::domain::roles::Role;
    use crate::service::dossiers::record::LifecycleRecord;

    /// A migrated SQLite database with the registry of Phú Thọ and the catalog.
    fn database() -> (tempfile::TempDir, crate::db::DbPool) {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let pool = crate::db::build_pool(&url, 1, std::time::Duration::from_secs(10));
        let mut conn = pool.get().expect("connection");
        conn.apply_migrations().expect("migrations");
        crate::cli::seed::seed_registry_of(&mut conn, Some(&["25"])).expect("registry");
        crate::cli::seed::seed_catalog(&mut conn).expect("catalog");
        drop(conn);
        (dir, pool)
    }

    /// Vietnam local time on 2026-12-`day` at `h`:`m`.
    fn vn(day: u32, h: u32, m: u32) -> DateTime<Utc> {
        let t = NaiveDate::from_ymd_opt(2026, 12, day)
            .and_then(|d| d.and_hms_opt(h, m, 0))
            .expect("valid time");
        from_local(t).expect("unambiguous")
    }

    fn officer(role: Role, commune: &str) -> Principal {
        Principal {
            user_id: format!("{}-1", role.as_str()),
            role,
            commune_code: Some(commune.to_string()),
            province_code: Some("25".into()),
        }
    }

    /// A dossier of the first catalog procedure, in processing, due at `due`.
    fn processing_dossier(conn: &mut DbConn, due: DateTime<Utc>) -> Dossier {
        let commune: String = communes::table
            .filter(communes::province_code.eq("25"))
            .select(communes::code)
            .first(conn)
            .expect("a commune");
        let (version_id, procedure_id): (String, String) = procedure_versions::table
            .select((procedure_versions::id, procedure_versions::procedure_id))
            .first(conn)
            .expect("a procedure version");
        let procedure_code: String = crate::db::schema::procedures::table
            .find(&procedure_id)
            .select(crate::db::schema::procedures::code)
            .first(conn)
            .expect("its procedure");
        let mut state = LifecycleState::received();
        state.status = Status::Processing;
        let rec = LifecycleRecord {
            state,
            components: vec![],
            applicant_contact: None,
            promised_due_date: None,
            delivery: None,
            returned_at: None,
            supplement: None,
            late_apology: false,
            certification_extension: None,
        };
        let at = vn(1, 8, 0).naive_utc();
        let d = Dossier {
            id: uuid::Uuid::now_v7().to_string(),
            code: "T-261201-0001".into(),
            commune_code: commune,
            province_code: "25".into(),
            procedure_id,
            procedure_code,
            procedure_version_id: version_id,
            case_code: "default".into(),
            channel: Channel::Counter,
            status: Status::Processing,
            applicant_type: ApplicantType::Citizen,
            applicant_name: "Nguyễn Văn An".into(),
            applicant_id_number: "025090000123".into(),
            applicant_contact: "{}".into(),
            search_key: "nguyen van an".into(),
            summary: String::new(),
            owner_user_id: None,
            assignee_id: None,
            submitted_at: at,
            received_at: Some(at),
            due_at: Some(due.naive_utc()),
            paused_at: None,
            paused_minutes: 0,
            finished_at: None,
            supplement_requests: 0,
            extensions: 0,
            lifecycle: serde_json::to_string(&rec).expect("serializes"),
            lookup_pin: "12345678".into(),
            version: 1,
            created_at: at,
            updated_at: at,
            portal_reference: None,
        };
        Dossier::insert(conn, &d).expect("insert");
        d
    }

    fn request(action: Action) -> TransitionRequest {
        TransitionRequest {
            action,
            reason: None,
            comment: None,
            assignee_id: None,
            missing_items: None,
            deadline: None,
            new_due_date: None,
            extension_days: None,
            delivery: None,
        }
    }

    /// Takes `req` at `now` on the stored dossier; returns it as saved.
    fn act_at(
        conn: &mut DbConn,
        p: &Principal,
        d: &Dossier,
        req: &TransitionRequest,
        now: DateTime<Utc>,
    ) -> ApiResult<(Dossier, Vec<Flag>)> {
        let mut d = Dossier::find_by_code(conn, &d.code)?.expect("stored");
        let calendar = load_calendar_for(conn, &d.province_code)?;
        let flags = apply(conn, &calendar, p, &mut d, req, now)?;
        let saved = Dossier::find_by_code(conn, &d.code)?.expect("stored");
        Ok((saved, flags))
    }

    #[test]
    fn a_supplement_pauses_the_clock_and_its_submission_moves_the_due_instant() {
        let (_dir, pool) = database();
        let conn = &mut *pool.get().expect("connection");
        // Due Friday 11 December 10:00; paused Monday 7 at 09:00, resumed Tuesday 8 at
        // 09:00: one working day paused, so due the next working day, Monday 14, 10:00.
        let due = vn(11, 10, 0);
        let d = processing_dossier(conn, due);
        let commune = d.commune_code.clone();
        let specialist = officer(Role::Specialist, &commune);
        let mut ask = request(Action::RequestSupplement);
        ask.missing_items = Some(vec!["Bản sao giấy khai sinh".into()]);
        ask.deadline = NaiveDate::from_ymd_opt(2026, 12, 10);
        let (paused, _) = act_at(conn, &specialist, &d, &ask, vn(7, 9, 0)).expect("request");
        assert_eq!(paused.status, Status::SupplementRequested);
        assert_eq!(paused.paused_at, Some(vn(7, 9, 0).naive_utc()));
        assert_eq!(
            paused.due_at,
            Some(due.naive_utc()),
            "a pause alone keeps the due"
        );
        assert_eq!(paused.supplement_requests, 1);
        assert!(record_of(&paused).unwrap().supplement.is_some());

        let officer = officer(Role::ReceptionOfficer, &commune);
        let submit = request(Action::SubmitSupplement);
        let (resumed, _) = act_at(conn, &officer, &d, &submit, vn(8, 9, 0)).expect("submit");
        let calendar = load_calendar_for(conn, "25").unwrap();
        assert_eq!(resumed.status, Status::Processing);
        assert_eq!(resumed.paused_at, None);
        assert_eq!(resumed.paused_minutes, calendar.hours.daily_minutes());
        assert_eq!(resumed.due_at, Some(vn(14, 10, 0).naive_utc()));
        assert!(record_of(&resumed).unwrap().supplement.is_none());
        assert_eq!(resumed.version, 3);
        // Each action appended its history entry.
        assert_eq!(DossierEvent::for_dossier(conn, &d.id).unwrap().len(), 2);
    }

    #[test]
    fn a_second_supplement_request_is_flagged_and_pauses_add_up() {
        let (_dir, pool) = database();
        let conn = &mut *pool.get().expect("connection");
        let d = processing_dossier(conn, vn(11, 8, 0));
        let commune = d.commune_code.clone();
        let specialist = officer(Role::Specialist, &commune);
        let reception = officer(Role::ReceptionOfficer, &commune);
        let mut ask = request(Action::RequestSupplement);
        ask.missing_items = Some(vec!["Tờ khai".into()]);
        ask.deadline = NaiveDate::from_ymd_opt(2026, 12, 20);
        let submit = request(Action::SubmitSupplement);
        act_at(conn, &specialist, &d, &ask, vn(7, 9, 0)).expect("first request");
        act_at(conn, &reception, &d, &submit, vn(7, 10, 0)).expect("first supplement");
        let (_, flags) = act_at(conn, &specialist, &d, &ask, vn(8, 9, 0)).expect("second");
        assert!(flags.contains(&Flag::RepeatedSupplementRequest));
        let (resumed, _) = act_at(conn, &reception, &d, &submit, vn(8, 9, 30)).expect("second");
        assert_eq!(resumed.paused_minutes, 60 + 30);
        assert_eq!(resumed.supplement_requests, 2);
        assert_eq!(resumed.due_at, Some(vn(11, 9, 30).naive_utc()));
    }

    #[test]
    fn an_apology_extension_promises_a_date_without_moving_the_due_instant() {
        let (_dir, pool) = database();
        let conn = &mut *pool.get().expect("connection");
        let due = vn(11, 10, 0);
        let d = processing_dossier(conn, due);
        let specialist = officer(Role::Specialist, &d.commune_code);
        let mut extend = request(Action::Extend);
        extend.reason = Some("Cần xác minh".into());
        extend.new_due_date = NaiveDate::from_ymd_opt(2026, 12, 16);
        // Issued on the due day itself: later than one working day before it.
        let (late, flags) = act_at(conn, &specialist, &d, &extend, vn(11, 8, 0)).expect("extend");
        assert_eq!(late.due_at, Some(due.naive_utc()));
        assert_eq!(late.extensions, 1);
        let rec = record_of(&late).unwrap();
        assert_eq!(rec.promised_due_date, NaiveDate::from_ymd_opt(2026, 12, 16));
        assert!(rec.late_apology && flags.contains(&Flag::LateApology));
        // A second apology slip is refused by the lifecycle.
        extend.new_due_date = NaiveDate::from_ymd_opt(2026, 12, 18);
        assert!(act_at(conn, &specialist, &d, &extend, vn(11, 9, 0)).is_err());
    }

    #[test]
    fn a_stale_version_is_refused() {
        let (_dir, pool) = database();
        let conn = &mut *pool.get().expect("connection");
        let d = processing_dossier(conn, vn(11, 10, 0));
        let specialist = officer(Role::Specialist, &d.commune_code);
        let mut extend = request(Action::Extend);
        extend.reason = Some("Cần xác minh".into());
        extend.new_due_date = NaiveDate::from_ymd_opt(2026, 12, 16);
        let err =
            act(conn, &specialist, &d.code, 7, &extend, &Default::default()).expect_err("stale");
        assert_eq!(err.status.as_u16(), 412);
    }
}

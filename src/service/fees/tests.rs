//! Fee-line composition and re-assessment on a real (in-memory) SQLite database with the
//! shipped registry, sample catalog and national fee schedules.

use diesel::prelude::*;
use diesel::r2d2::ManageConnection;

use super::*;
use crate::auth::Principal;
use crate::db::models::dossier::Dossier;
use crate::db::models::fee::{DossierFee, FeeAssessment, FeeSchedule};
use crate::db::models::procedure::{version_in_force_at, Procedure};
use crate::db::schema::dossier_fees;
use crate::db::{ConnectionManager, DbConn};
use crate::domain::dossier::{ApplicantType, Channel};
use crate::domain::dossier_lifecycle::{Action, Status};
use crate::domain::roles::Role;

/// Residence registration (đăng ký thường trú): a flat 20,000 VND fee collected before
/// processing, with an online amount and exemptions.
const RESIDENCE: &str = "1.004222";
/// Certified copies: per page, capped per copy.
const COPIES: &str = "2.000815";

fn db() -> DbConn {
    let mut conn = ConnectionManager::new(":memory:")
        .connect()
        .expect("in-memory SQLite");
    conn.apply_migrations().expect("migrations");
    crate::cli::seed::seed_registry(&mut conn).expect("registry");
    crate::cli::seed::seed_catalog(&mut conn).expect("catalog");
    crate::cli::seed::seed_fee_schedules(&mut conn).expect("fee schedules");
    conn
}

fn officer() -> Principal {
    Principal {
        user_id: "officer-1".into(),
        role: Role::ReceptionOfficer,
        commune_code: Some("04978".into()),
        province_code: Some("25".into()),
    }
}

fn schedules(conn: &mut DbConn, procedure: &str) -> Vec<FeeSchedule> {
    let d = today();
    let case = version_in_force_at(conn, procedure, crate::clock::now())
        .unwrap()
        .unwrap()
        .cases()
        .unwrap()[0]
        .code
        .clone();
    schedules_in_force(conn, procedure, &case, "04978", "25", d).unwrap()
}

fn today() -> chrono::NaiveDate {
    crate::domain::calendar::local_date(crate::clock::now())
}

fn quantities(pairs: &[(&str, u32)]) -> FeeInput {
    FeeInput {
        quantities: pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        exemption: None,
    }
}

/// A counter dossier of `procedure` in Kim Bôi, received, assessed with `input`.
fn dossier(conn: &mut DbConn, procedure: &str, input: &FeeInput) -> Dossier {
    let p = Procedure::find_by_code(conn, procedure).unwrap().unwrap();
    let v = version_in_force_at(conn, procedure, crate::clock::now())
        .unwrap()
        .unwrap();
    let case = v.cases().unwrap()[0].code.clone();
    let now = crate::clock::now().naive_utc();
    let d = Dossier {
        id: uuid::Uuid::now_v7().to_string(),
        code: format!(
            "H25.04978-T-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        ),
        commune_code: "04978".into(),
        province_code: "25".into(),
        procedure_id: p.id,
        procedure_code: procedure.into(),
        procedure_version_id: v.id,
        case_code: case,
        channel: Channel::Counter,
        status: Status::Received,
        applicant_type: ApplicantType::Citizen,
        applicant_name: "Nguyễn Văn A".into(),
        applicant_id_number: "001090000001".into(),
        applicant_contact: "{}".into(),
        search_key: "nguyen van a".into(),
        summary: String::new(),
        owner_user_id: None,
        assignee_id: None,
        submitted_at: now,
        received_at: Some(now),
        due_at: None,
        paused_at: None,
        paused_minutes: 0,
        finished_at: None,
        supplement_requests: 0,
        extensions: 0,
        lifecycle: "{}".into(),
        lookup_pin: "000000".into(),
        version: 1,
        created_at: now,
        updated_at: now,
        portal_reference: None,
    };
    Dossier::insert(conn, &d).unwrap();
    let s = schedules(conn, procedure);
    let mut lines = compute_lines(&s, false, input).unwrap();
    store_assessment(
        conn,
        &d,
        None,
        input,
        &mut lines,
        "officer-1",
        crate::clock::now(),
    )
    .unwrap();
    d
}

fn set_status(conn: &mut DbConn, d: &Dossier, status: &str) {
    diesel::update(dossier_fees::table.filter(dossier_fees::dossier_id.eq(&d.id)))
        .set(dossier_fees::status.eq(status))
        .execute(conn)
        .unwrap();
}

#[test]
fn lines_follow_the_rule_the_channel_and_the_exemption() {
    let mut conn = db();
    let s = schedules(&mut conn, RESIDENCE);
    assert_eq!(s.len(), 1);

    let counter = compute_lines(&s, false, &FeeInput::default()).unwrap();
    assert_eq!(counter.len(), 1);
    assert_eq!(counter[0].amount, 20_000);
    assert_eq!(counter[0].base_amount, 20_000);
    assert_eq!(counter[0].status, "unpaid");
    assert_eq!(counter[0].line_no, 1);
    assert_eq!(counter[0].schedule_id, s[0].id);

    // The online amount is its own rule (lower than at the counter).
    let online = compute_lines(&s, true, &FeeInput::default()).unwrap();
    assert!(online[0].amount < counter[0].amount);

    // An exempt applicant owes nothing on the line; the base amount and the legal reason stay.
    let exempt = FeeInput {
        exemption: Some(ExemptionClaim {
            category: "poor_household".into(),
            evidence: Some("GCN hộ nghèo 123".into()),
        }),
        ..FeeInput::default()
    };
    let lines = compute_lines(&s, false, &exempt).unwrap();
    assert_eq!((lines[0].amount, lines[0].base_amount), (0, 20_000));
    assert_eq!(lines[0].status, "not_due");
    let why: serde_json::Value =
        serde_json::from_str(lines[0].exemption.as_deref().unwrap()).unwrap();
    assert_eq!(why["category"], "poor_household");
    assert_eq!(why["evidence"], "GCN hộ nghèo 123");
}

#[test]
fn errors_name_the_input_field() {
    let mut conn = db();
    let copies = schedules(&mut conn, COPIES);
    let e = compute_lines(&copies, false, &FeeInput::default()).unwrap_err();
    assert_eq!(e.status.as_u16(), 422);
    assert!(e.field_errors.unwrap().contains_key("fees.quantities.page"));

    // Three pages of one copy: tiers 2 × 2,000 + 1 × 1,000.
    let lines = compute_lines(&copies, false, &quantities(&[("page", 3), ("copy", 1)])).unwrap();
    assert_eq!(lines[0].amount, 5_000);

    let residence = schedules(&mut conn, RESIDENCE);
    let unknown = FeeInput {
        exemption: Some(ExemptionClaim {
            category: "no_such_category".into(),
            evidence: None,
        }),
        ..FeeInput::default()
    };
    let e = compute_lines(&residence, false, &unknown).unwrap_err();
    assert!(e
        .field_errors
        .unwrap()
        .contains_key("fees.exemption.category"));
}

#[test]
fn only_commune_officers_reassess() {
    for role in [Role::ReceptionOfficer, Role::Specialist, Role::Leader] {
        assert!(check_may_reassess(role).is_ok());
    }
    for role in [
        Role::Citizen,
        Role::CommuneAdmin,
        Role::ProvinceSupervisor,
        Role::PortalClient,
        Role::SystemAdmin,
    ] {
        assert_eq!(
            check_may_reassess(role).unwrap_err().code,
            "fee.role_not_allowed"
        );
    }
}

#[test]
fn reassessment_replaces_the_lines_and_bumps_the_version() {
    let mut conn = db();
    let d = dossier(&mut conn, COPIES, &quantities(&[("page", 1), ("copy", 1)]));
    assert_eq!(fees_view(&mut conn, &d).unwrap().total_vnd, 2_000);

    let stale = reassess(
        &mut conn,
        &officer(),
        &d,
        false,
        0,
        &quantities(&[("page", 4), ("copy", 1)]),
    );
    assert_eq!(stale.unwrap_err().status.as_u16(), 412);

    let view = reassess(
        &mut conn,
        &officer(),
        &d,
        false,
        1,
        &quantities(&[("page", 4), ("copy", 1)]),
    )
    .unwrap();
    assert_eq!(view.version, 2);
    assert_eq!(view.total_vnd, 6_000);
    assert_eq!(view.lines.len(), 1);
    assert_eq!(DossierFee::of_dossier(&mut conn, &d.id).unwrap().len(), 1);
}

#[test]
fn a_paid_fee_blocks_reassessment() {
    let mut conn = db();
    let d = dossier(&mut conn, RESIDENCE, &FeeInput::default());
    for status in ["paid", "pending"] {
        set_status(&mut conn, &d, status);
        let e = reassess(&mut conn, &officer(), &d, false, 1, &FeeInput::default()).unwrap_err();
        assert_eq!((e.status.as_u16(), e.code), (409, "fee.already_collected"));
    }
    // Nothing was replaced.
    assert_eq!(
        FeeAssessment::find(&mut conn, &d.id)
            .unwrap()
            .unwrap()
            .version,
        1
    );

    let mut finished = d.clone();
    finished.status = Status::Returned;
    set_status(&mut conn, &d, "unpaid");
    let e = reassess(
        &mut conn,
        &officer(),
        &finished,
        false,
        1,
        &FeeInput::default(),
    )
    .unwrap_err();
    assert_eq!(e.code, "fee.dossier_finished");
}

#[test]
fn an_unpaid_fee_collected_beforehand_holds_processing() {
    let mut conn = db();
    let d = dossier(&mut conn, RESIDENCE, &FeeInput::default());
    let e = check_fees_allow(&mut conn, &d, Action::StartProcessing, Status::Received).unwrap_err();
    assert_eq!((e.status.as_u16(), e.code), (409, "fee.unpaid"));
    // Other actions are not the fees' business.
    assert!(check_fees_allow(&mut conn, &d, Action::RequestSupplement, Status::Received).is_ok());
    set_status(&mut conn, &d, "paid");
    assert!(check_fees_allow(&mut conn, &d, Action::StartProcessing, Status::Received).is_ok());
    let view = fees_view(&mut conn, &d).unwrap();
    assert_eq!((view.paid_vnd, view.outstanding_vnd), (20_000, 0));
}

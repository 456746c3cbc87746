//! Dossier lifecycle: the national 1–10 status set, the processing sub-steps inside
//! status 4, and who may move a dossier from one status to the next.
//!
//! Pure rules: no clock, no database, no HTTP. [`transition`] answers "what happens if
//! this actor does this now". The caller stores [`Outcome::new_state`], applies the clock
//! effects (`pauses_clock`, `resumes_clock`, `finishes`) with its own timestamps,
//! validates the action's payload ([`Action::required_fields`], 422) and checks scope
//! (own dossier for a citizen, same commune for staff) before asking.
//!
//! # Statuses
//!
//! The API speaks snake_case names; the 1–10 national codes exist only for portal sync
//! and are exposed as data by [`national_status_table`].
//!
//! ```text
//! 1 submitted ─receive─▶ 2 received ─start_processing | assign─▶ 4 processing
//! 1 ─refuse─▶ 3          1 ─request_supplement─▶ 5 ─submit_supplement─▶ 1
//! 4 ─request_supplement─▶ 5 ─submit_supplement─▶ 4      (legal clock paused in this 5)
//! 4 ─request_payment─▶ 6 ─confirm_payment─▶ 4
//! 4 ─stop─▶ 8            4 (result_approved) ─mark_result_ready─▶ 9 ─return_result─▶ 10
//! 5 (from 4) ─stop─▶ 8   5 (from 1) ─refuse─▶ 3      (supplement deadline passed)
//! {1,2,4,5,6} ─request_withdrawal─▶ 7 ─confirm_withdrawal─▶ 8
//! inside 4: unassigned ─assign─▶ assigned ─propose_result─▶ result_proposed
//!           ─approve_result─▶ result_approved; reject_proposal: result_proposed → assigned
//! terminal: 3, 8, 10.   extend (apology slip): in 2, 4, 5 (from 4), 6; no status change.
//! extend_certification (chứng thực, up to 2 working days): in 2, 4, 6; no status change.
//! ```
//!
//! # Who may do what
//!
//! | Action | Legal in | Citizen | Portal client | Reception officer | Specialist | Leader |
//! |---|---|:-:|:-:|:-:|:-:|:-:|
//! | `receive` | 1 | | | ✓ | | |
//! | `refuse` | 1; 5 from intake, supplement deadline passed | | | ✓ | | |
//! | `request_supplement` | 1 (intake) | | | ✓ | | |
//! | `request_supplement` | 4, step unassigned/assigned | | | | ✓ | ✓ |
//! | `submit_supplement` | 5 | ✓ | ✓ | ✓ | | |
//! | `start_processing` | 2 | | | ✓ | | |
//! | `assign` | 2 | | | ✓ | | ✓ |
//! | `assign` (reassign) | 4, step unassigned/assigned | | | | | ✓ |
//! | `request_payment` | 4 | | | ✓ | ✓ | ✓ |
//! | `confirm_payment` | 6 | | | ✓ | | |
//! | `propose_result` | 4, step assigned | | | | ✓ | ✓ |
//! | `approve_result` | 4, step result_proposed | | | | | ✓ |
//! | `reject_proposal` | 4, step result_proposed | | | | | ✓ |
//! | `mark_result_ready` | 4, step result_approved | | | ✓ | | |
//! | `return_result` | 9 | | | ✓ | | |
//! | `stop` | 4; 5 from 4, supplement deadline passed | | | | | ✓ |
//! | `request_withdrawal` | 1, 2, 4, 5, 6 | ✓ | ✓ | ✓ | | |
//! | `confirm_withdrawal` | 7 | | | ✓ | | |
//! | `extend` | 2, 4, 5 (from 4), 6; once per dossier | | | ✓ | ✓ | ✓ |
//! | `extend_certification` | 2, 4, 6; once per dossier | | | ✓ | ✓ | ✓ |
//!
//! `commune_admin` and `system_admin` administer (accounts, catalog, calendar) and do not
//! process dossiers, so that every processing step is signed by someone doing that job;
//! `province_supervisor` is read-only. All three get 403 for every action.
//!
//! # Errors, in order of precedence
//!
//! 1. the actor's role may never take this action → [`TransitionError::RoleNotPermitted`] (403);
//! 2. the dossier is in a terminal status → [`TransitionError::Terminal`] (409);
//! 3. no role could take this action now → [`TransitionError::NotAllowedInStatus`] (409,
//!    with the caller's [`allowed_actions`]);
//! 4. another role could, this one cannot (e.g. a reception officer requesting a
//!    supplement during processing) → [`TransitionError::RoleNotPermitted`] (403).
//!
//! # Choices where DOMAIN.md is silent
//!
//! - `start_processing` forwards to the processing unit without an assignee (step
//!   `unassigned`, a leader then assigns); `assign` names the handler (step `assigned`).
//!   Reassignment inside 4 is the leader's call and only before a result is proposed.
//! - A supplement requested at intake (1→5) does not pause the clock (it has not started:
//!   the due date is set at reception) and returns the dossier to `submitted`.
//! - Every supplement request counts, intake ones included; the second and later ones
//!   carry [`Flag::RepeatedSupplementRequest`] (Decision 766 counts >1 request as late).
//! - A supplement may not be requested after a result is proposed (reject the proposal
//!   first); payment may be requested at any step of 4 (the obligation can arise from the
//!   result itself).
//! - Awaiting payment (6) does not pause the clock: 766 subtracts only supplement time.
//! - A withdrawal request ends the wait for a supplement: it resumes a paused clock, so the
//!   clock is never paused in 7 and the finish at 8 needs no special case.
//! - `extend` is gated on status and role only; "overdue or about to be" needs the clock
//!   and the holiday calendar and is the caller's check. In 5 it is allowed only for a
//!   dossier that was already received (an intake supplement has no due date yet).
//! - `finishes` is set on entering 3, 7, 8 (not from 7) or 9 (not 10: 9 already ended
//!   processing; not 8 from 7: the request already did). A
//!   withdrawal ends processing when the applicant asks for it (7), not when the officer
//!   confirms it: the time the counter takes to confirm is not the commune's lateness.
//! - Apology slip (phiếu xin lỗi và hẹn lại): at most once per dossier; a second one is
//!   [`TransitionError::ApologyAlreadyIssued`] (409). It is due at the latest one working
//!   day before the due date; one issued later is still recorded, flagged
//!   [`Flag::LateApology`] by the caller, who holds the clock and the calendar
//!   ([`crate::domain::calendar::WorkCalendar::apology_deadline`]). Provincial one-stop
//!   regulations under Decree 118/2025 (e.g. Lai Châu QĐ 88/2025/QĐ-UBND).
//! - Lawful extension of chứng thực (Decree 23/2015/NĐ-CP Art. 21): up to 2 working days,
//!   with its reason, once per dossier; it moves the due date and does not make the
//!   dossier late. Only for certification procedures (the caller checks the field).
//! - Supplement never provided: once the supplement deadline has passed (the caller's
//!   check, [`supplement_deadline_passed`]), a dossier waiting in 5 is stopped (from
//!   processing, → 8; the pause ends then) or refused (an online dossier not yet received,
//!   → 3).
//! - A dossier sent back for supplements at intake (1→5) leaves 5 only by a supplement or
//!   a withdrawal: the national transitions have no refusal from 5 (to confirm).
//! - A leader may propose and approve the same result: small communes have one leader
//!   doing both; the history records who did each.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Dossier status as the API names it; each maps to one national 1–10 code.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 1 Mới đăng ký: submitted online, not yet received at the counter.
    Submitted,
    /// 2 Được tiếp nhận.
    Received,
    /// 3 Không được tiếp nhận (terminal).
    Refused,
    /// 4 Đang xử lý.
    Processing,
    /// 5 Yêu cầu bổ sung giấy tờ.
    SupplementRequested,
    /// 6 Yêu cầu thực hiện nghĩa vụ tài chính.
    AwaitingPayment,
    /// 7 Công dân yêu cầu rút hồ sơ.
    WithdrawalRequested,
    /// 8 Dừng xử lý (terminal).
    Stopped,
    /// 9 Đã xử lý xong: result ready for pick-up or delivery.
    ResultReady,
    /// 10 Đã trả kết quả (terminal).
    Returned,
}

impl Status {
    /// In national-code order.
    pub const ALL: [Status; 10] = [
        Status::Submitted,
        Status::Received,
        Status::Refused,
        Status::Processing,
        Status::SupplementRequested,
        Status::AwaitingPayment,
        Status::WithdrawalRequested,
        Status::Stopped,
        Status::ResultReady,
        Status::Returned,
    ];

    /// Every status, in national-code order.
    pub fn all() -> [Status; 10] {
        Self::ALL
    }

    /// The code the national portal (DVCQG) uses in `TrangThaiHoSo`.
    pub fn national_code(self) -> u8 {
        match self {
            Status::Submitted => 1,
            Status::Received => 2,
            Status::Refused => 3,
            Status::Processing => 4,
            Status::SupplementRequested => 5,
            Status::AwaitingPayment => 6,
            Status::WithdrawalRequested => 7,
            Status::Stopped => 8,
            Status::ResultReady => 9,
            Status::Returned => 10,
        }
    }

    /// `None` outside 1–10, so portal data with an unknown code is rejected, not guessed.
    pub fn from_national_code(code: u8) -> Option<Status> {
        Self::ALL.into_iter().find(|s| s.national_code() == code)
    }

    /// The API / database string, identical to the serde name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::Received => "received",
            Status::Refused => "refused",
            Status::Processing => "processing",
            Status::SupplementRequested => "supplement_requested",
            Status::AwaitingPayment => "awaiting_payment",
            Status::WithdrawalRequested => "withdrawal_requested",
            Status::Stopped => "stopped",
            Status::ResultReady => "result_ready",
            Status::Returned => "returned",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The national label, as printed on slips and shown in the portal.
    pub fn label_vi(self) -> &'static str {
        match self {
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

    pub fn label_en(self) -> &'static str {
        match self {
            Status::Submitted => "Submitted, not yet received",
            Status::Received => "Received",
            Status::Refused => "Refused",
            Status::Processing => "Processing",
            Status::SupplementRequested => "Supplement requested",
            Status::AwaitingPayment => "Awaiting financial obligation",
            Status::WithdrawalRequested => "Withdrawal requested",
            Status::Stopped => "Stopped",
            Status::ResultReady => "Result ready",
            Status::Returned => "Result returned",
        }
    }

    /// Refused, stopped and returned dossiers never move again.
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Refused | Status::Stopped | Status::Returned)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::parse(s).ok_or_else(|| format!("unknown dossier status '{s}'"))
    }
}

/// One row of the national status mapping, served as data (API.md: numeric portal codes
/// are a mapping, never the API's own values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct NationalStatusRow {
    pub status: Status,
    /// 1–10, `TrangThaiHoSo` in DVCQG sync.
    pub national_code: u8,
    pub label_vi: &'static str,
    pub label_en: &'static str,
}

/// The whole status ↔ national code ↔ label mapping, in code order.
pub fn national_status_table() -> Vec<NationalStatusRow> {
    Status::ALL
        .into_iter()
        .map(|status| NationalStatusRow {
            status,
            national_code: status.national_code(),
            label_vi: status.label_vi(),
            label_en: status.label_en(),
        })
        .collect()
}

/// Where a dossier is inside `processing` (national status 4), so that proposing and
/// approving a result happen without a status change the portal would not understand.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProcessingStep {
    /// Forwarded to the processing unit; no handler named yet.
    #[default]
    Unassigned,
    /// A specialist (or leader) handles it.
    Assigned,
    /// The handler proposed a result; waits for the leader.
    ResultProposed,
    /// The leader approved (signed); the counter may mark the result ready.
    ResultApproved,
}

impl ProcessingStep {
    pub const ALL: [ProcessingStep; 4] = [
        ProcessingStep::Unassigned,
        ProcessingStep::Assigned,
        ProcessingStep::ResultProposed,
        ProcessingStep::ResultApproved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProcessingStep::Unassigned => "unassigned",
            ProcessingStep::Assigned => "assigned",
            ProcessingStep::ResultProposed => "result_proposed",
            ProcessingStep::ResultApproved => "result_approved",
        }
    }
}

/// A workflow action, as posted to `POST /dossiers/{code}/transitions` in `"action"`.
/// The server decides the next status; the client never writes one.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Accept an online dossier at the counter (1→2). Counter and postal intake create
    /// dossiers directly in `received`.
    Receive,
    /// Refuse an online dossier (1→3); needs a reason (refusal slip).
    Refuse,
    /// Ask for missing papers (1→5 or 4→5); needs what is missing and a deadline.
    RequestSupplement,
    /// Hand in the missing papers (5→1 or 5→4, back where the request came from).
    SubmitSupplement,
    /// Forward a received dossier to the processing unit (2→4, unassigned).
    StartProcessing,
    /// Name the handler (2→4, or reassign within 4 before a result is proposed).
    Assign,
    /// Ask the applicant to pay fees or other obligations (4→6).
    RequestPayment,
    /// Record that the obligation is met (6→4).
    ConfirmPayment,
    /// The handler proposes a result (4: assigned → result_proposed).
    ProposeResult,
    /// The leader approves the proposed result (4: result_proposed → result_approved).
    ApproveResult,
    /// The leader sends the proposal back (4: result_proposed → assigned).
    RejectProposal,
    /// The approved result is available (4→9); ends processing for the on-time rule.
    MarkResultReady,
    /// The result is handed over or posted (9→10).
    ReturnResult,
    /// Stop processing (4→8); needs a reason.
    Stop,
    /// The applicant asks to withdraw ({1,2,4,5,6}→7).
    RequestWithdrawal,
    /// The counter confirms the withdrawal (7→8).
    ConfirmWithdrawal,
    /// Issue an apology slip with a new date; the status does not change and the dossier
    /// still counts as late. Once per dossier.
    Extend,
    /// Extend a certification (chứng thực) by up to 2 working days with a reason (Decree
    /// 23/2015/NĐ-CP Art. 21): the due date moves and the dossier is not late.
    ExtendCertification,
}

impl Action {
    pub const ALL: [Action; 18] = [
        Action::Receive,
        Action::Refuse,
        Action::RequestSupplement,
        Action::SubmitSupplement,
        Action::StartProcessing,
        Action::Assign,
        Action::RequestPayment,
        Action::ConfirmPayment,
        Action::ProposeResult,
        Action::ApproveResult,
        Action::RejectProposal,
        Action::MarkResultReady,
        Action::ReturnResult,
        Action::Stop,
        Action::RequestWithdrawal,
        Action::ConfirmWithdrawal,
        Action::Extend,
        Action::ExtendCertification,
    ];

    /// The API string, identical to the serde name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Receive => "receive",
            Action::Refuse => "refuse",
            Action::RequestSupplement => "request_supplement",
            Action::SubmitSupplement => "submit_supplement",
            Action::StartProcessing => "start_processing",
            Action::Assign => "assign",
            Action::RequestPayment => "request_payment",
            Action::ConfirmPayment => "confirm_payment",
            Action::ProposeResult => "propose_result",
            Action::ApproveResult => "approve_result",
            Action::RejectProposal => "reject_proposal",
            Action::MarkResultReady => "mark_result_ready",
            Action::ReturnResult => "return_result",
            Action::Stop => "stop",
            Action::RequestWithdrawal => "request_withdrawal",
            Action::ConfirmWithdrawal => "confirm_withdrawal",
            Action::Extend => "extend",
            Action::ExtendCertification => "extend_certification",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// For error messages and the history shown to officers.
    pub fn label_vi(self) -> &'static str {
        match self {
            Action::Receive => "Tiếp nhận hồ sơ",
            Action::Refuse => "Từ chối tiếp nhận",
            Action::RequestSupplement => "Yêu cầu bổ sung, hoàn thiện hồ sơ",
            Action::SubmitSupplement => "Nộp bổ sung hồ sơ",
            Action::StartProcessing => "Chuyển xử lý",
            Action::Assign => "Phân công xử lý",
            Action::RequestPayment => "Yêu cầu thực hiện nghĩa vụ tài chính",
            Action::ConfirmPayment => "Xác nhận đã thực hiện nghĩa vụ tài chính",
            Action::ProposeResult => "Trình kết quả",
            Action::ApproveResult => "Phê duyệt kết quả",
            Action::RejectProposal => "Trả lại để xử lý lại",
            Action::MarkResultReady => "Xác nhận đã có kết quả",
            Action::ReturnResult => "Trả kết quả",
            Action::Stop => "Dừng xử lý",
            Action::RequestWithdrawal => "Yêu cầu rút hồ sơ",
            Action::ConfirmWithdrawal => "Xác nhận rút hồ sơ",
            Action::Extend => "Gia hạn, hẹn lại ngày trả kết quả",
            Action::ExtendCertification => "Kéo dài thời hạn chứng thực",
        }
    }

    /// Request-body fields the HTTP layer must require (422 when missing). This module
    /// takes no payload, so the list lives here only to keep the rule next to the action.
    pub fn required_fields(self) -> &'static [&'static str] {
        match self {
            Action::Refuse | Action::Stop | Action::RejectProposal => &["reason"],
            Action::RequestSupplement => &["missing_items", "deadline"],
            Action::Assign => &["assignee_id"],
            Action::Extend => &["new_due_date", "reason"],
            Action::ExtendCertification => &["extension_days", "reason"],
            _ => &[],
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Action {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Action::parse(s).ok_or_else(|| format!("unknown dossier action '{s}'"))
    }
}

/// Who is acting, by kind. Mirrors the account roles by name (`as_str` uses the same
/// strings) but is defined here so the rules compile and test on their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The applicant themself (own dossier; ownership is the caller's check).
    Citizen,
    ReceptionOfficer,
    Specialist,
    Leader,
    CommuneAdmin,
    /// The national-portal integration, acting for an online applicant.
    PortalClient,
    SystemAdmin,
    ProvinceSupervisor,
}

impl Actor {
    pub const ALL: [Actor; 8] = [
        Actor::Citizen,
        Actor::ReceptionOfficer,
        Actor::Specialist,
        Actor::Leader,
        Actor::CommuneAdmin,
        Actor::PortalClient,
        Actor::SystemAdmin,
        Actor::ProvinceSupervisor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Actor::Citizen => "citizen",
            Actor::ReceptionOfficer => "reception_officer",
            Actor::Specialist => "specialist",
            Actor::Leader => "leader",
            Actor::CommuneAdmin => "commune_admin",
            Actor::PortalClient => "portal_client",
            Actor::SystemAdmin => "system_admin",
            Actor::ProvinceSupervisor => "province_supervisor",
        }
    }

    /// Maps a role string (`Role::as_str`) to an actor.
    pub fn parse(s: &str) -> Option<Actor> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Actor::Citizen => "Công dân",
            Actor::ReceptionOfficer => "Cán bộ một cửa",
            Actor::Specialist => "Chuyên viên",
            Actor::Leader => "Lãnh đạo",
            Actor::CommuneAdmin => "Quản trị đơn vị",
            Actor::PortalClient => "Tài khoản tích hợp Cổng DVCQG",
            Actor::SystemAdmin => "Quản trị hệ thống",
            Actor::ProvinceSupervisor => "Giám sát cấp tỉnh",
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Facts a transition raises for reporting; none of them blocks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// Second or later supplement request: allowed, but Decision 766 counts it as late.
    RepeatedSupplementRequest,
    /// An apology slip was issued: the new date is a promise, the dossier stays late.
    LateWithApology,
    /// The apology slip was issued later than one working day before the due date.
    LateApology,
}

/// What the rules need to know about a dossier; stored with it (status in its own column,
/// the rest in the lifecycle JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LifecycleState {
    pub status: Status,
    /// Meaningful in `processing`; kept through 5 and 6 so the dossier resumes where it was.
    #[serde(default)]
    pub step: ProcessingStep,
    /// Requests so far, intake ones included (766 counts more than one as late).
    #[serde(default)]
    pub supplement_requests: u32,
    /// Set while in 5: `submitted` for an intake request, `processing` otherwise.
    #[serde(default)]
    pub return_status_after_supplement: Option<Status>,
    /// Where the applicant asked to withdraw from; for history and reports.
    #[serde(default)]
    pub status_before_withdrawal: Option<Status>,
    /// Apology slips issued (at most one).
    #[serde(default)]
    pub apologies: u32,
    /// The certification deadline was extended (Decree 23/2015 Art. 21; at most once).
    #[serde(default)]
    pub certification_extended: bool,
}

impl LifecycleState {
    /// A dossier filed online, waiting for the counter (status 1).
    pub fn submitted() -> Self {
        Self::at(Status::Submitted)
    }

    /// A dossier taken in at the counter or by post: it starts received (status 2).
    pub fn received() -> Self {
        Self::at(Status::Received)
    }

    fn at(status: Status) -> Self {
        LifecycleState {
            status,
            step: ProcessingStep::Unassigned,
            supplement_requests: 0,
            return_status_after_supplement: None,
            status_before_withdrawal: None,
            apologies: 0,
            certification_extended: false,
        }
    }

    /// Where `submit_supplement` leads: back to intake only if the request came from
    /// intake; anything else (including a missing value) means processing.
    pub fn supplement_return_status(&self) -> Status {
        match self.return_status_after_supplement {
            Some(Status::Submitted) => Status::Submitted,
            _ => Status::Processing,
        }
    }

    /// The legal clock is paused exactly while waiting for papers asked for during
    /// processing (the clock only starts at reception).
    pub fn clock_paused(&self) -> bool {
        self.status == Status::SupplementRequested
            && self.supplement_return_status() == Status::Processing
    }
}

/// The result of a legal transition. The caller persists `new_state` and turns the
/// booleans into timestamps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Outcome {
    pub new_state: LifecycleState,
    /// Start a supplement pause now (`paused_at`).
    pub pauses_clock: bool,
    /// End the running pause now (add it to the paused time, push the due date).
    pub resumes_clock: bool,
    /// Processing ended now (`finished_at`, compared with the due date for 766): on
    /// entering 9, or 3/8.
    pub finishes: bool,
    pub flags: Vec<Flag>,
}

impl Outcome {
    fn to(new_state: LifecycleState) -> Self {
        Outcome {
            new_state,
            pauses_clock: false,
            resumes_clock: false,
            finishes: false,
            flags: Vec::new(),
        }
    }
}

/// Why a transition was refused. `code()` is the stable problem code for the API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransitionError {
    /// No role could take this action in the dossier's current status/step (409).
    NotAllowedInStatus {
        status: Status,
        action: Action,
        /// What this caller may do instead, for the 409 body.
        allowed: Vec<Action>,
    },
    /// The caller's role may not take this action here (403).
    RoleNotPermitted { action: Action, actor: Actor },
    /// The dossier is refused, stopped or returned: nothing more happens to it (409).
    Terminal(Status),
    /// An apology slip with a new date was already issued: a new date is given once (409).
    ApologyAlreadyIssued,
    /// The certification deadline was already extended (409).
    CertificationAlreadyExtended,
}

impl TransitionError {
    pub fn code(&self) -> &'static str {
        match self {
            TransitionError::NotAllowedInStatus { .. } => "dossier.transition_not_allowed",
            TransitionError::RoleNotPermitted { .. } => "dossier.action_forbidden_for_role",
            TransitionError::Terminal(_) => "dossier.terminal",
            TransitionError::ApologyAlreadyIssued => "dossier.apology_already_issued",
            TransitionError::CertificationAlreadyExtended => {
                "dossier.certification_already_extended"
            }
        }
    }

    /// 403 for the role, 409 for the dossier's state.
    pub fn http_status(&self) -> u16 {
        match self {
            TransitionError::RoleNotPermitted { .. } => 403,
            _ => 409,
        }
    }

    /// The actions the caller may take instead, when the error is about the state.
    pub fn allowed(&self) -> Option<&[Action]> {
        match self {
            TransitionError::NotAllowedInStatus { allowed, .. } => Some(allowed),
            TransitionError::Terminal(_) => Some(&[]),
            TransitionError::RoleNotPermitted { .. }
            | TransitionError::ApologyAlreadyIssued
            | TransitionError::CertificationAlreadyExtended => None,
        }
    }

    pub fn message_vi(&self) -> String {
        match self {
            TransitionError::NotAllowedInStatus { status, action, .. } => format!(
                "Không thể thực hiện “{}” khi hồ sơ đang ở trạng thái “{}”.",
                action.label_vi(),
                status.label_vi()
            ),
            TransitionError::RoleNotPermitted { action, actor } => format!(
                "Vai trò “{}” không được thực hiện “{}” đối với hồ sơ ở bước này.",
                actor.label_vi(),
                action.label_vi()
            ),
            TransitionError::Terminal(status) => format!(
                "Hồ sơ đã kết thúc (“{}”); không thể thực hiện thêm thao tác.",
                status.label_vi()
            ),
            TransitionError::ApologyAlreadyIssued => {
                "Hồ sơ đã có phiếu xin lỗi và hẹn lại ngày trả kết quả; chỉ được hẹn lại một lần."
                    .to_string()
            }
            TransitionError::CertificationAlreadyExtended => {
                "Thời hạn chứng thực của hồ sơ đã được kéo dài; chỉ được kéo dài một lần."
                    .to_string()
            }
        }
    }

    pub fn message_en(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for TransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransitionError::NotAllowedInStatus { status, action, .. } => write!(
                f,
                "action '{action}' is not allowed while the dossier is '{status}'"
            ),
            TransitionError::RoleNotPermitted { action, actor } => {
                write!(
                    f,
                    "role '{actor}' may not perform '{action}' on this dossier now"
                )
            }
            TransitionError::Terminal(status) => write!(
                f,
                "the dossier is '{status}', a final status; no further action is possible"
            ),
            TransitionError::ApologyAlreadyIssued => f.write_str(
                "an apology slip with a new date was already issued; a new date is given only once",
            ),
            TransitionError::CertificationAlreadyExtended => f.write_str(
                "the certification deadline was already extended; it is extended only once",
            ),
        }
    }
}

impl std::error::Error for TransitionError {}

/// Apply `action` by `actor` to `state`. Pure: the same inputs always give the same
/// answer, so the HTTP layer can call it inside its versioned update.
pub fn transition(
    state: &LifecycleState,
    action: &Action,
    actor: Actor,
) -> Result<Outcome, TransitionError> {
    let action = *action;
    if !role_ever_may(actor, action) {
        return Err(TransitionError::RoleNotPermitted { action, actor });
    }
    if state.status.is_terminal() {
        return Err(TransitionError::Terminal(state.status));
    }
    let Some(outcome) = legal_move(state, action) else {
        return Err(TransitionError::NotAllowedInStatus {
            status: state.status,
            action,
            allowed: allowed_actions(state, actor),
        });
    };
    if !role_may(actor, action, state.status) {
        return Err(TransitionError::RoleNotPermitted { action, actor });
    }
    if action == Action::Extend && state.apologies >= 1 {
        return Err(TransitionError::ApologyAlreadyIssued);
    }
    if action == Action::ExtendCertification && state.certification_extended {
        return Err(TransitionError::CertificationAlreadyExtended);
    }
    Ok(outcome)
}

/// Whether a procedure is a certification (chứng thực, Decree 23/2015/NĐ-CP), by its field
/// (lĩnh vực) or, when the field is not at hand, its name.
pub fn is_certification_procedure(field: &str, name: &str) -> bool {
    let f = crate::domain::text::fold(field);
    let n = crate::domain::text::fold(name);
    f.contains("chung thuc") || n.starts_with("chung thuc")
}

/// Whether a supplement deadline (a Vietnam date, the last day to supply the papers) has
/// passed on `today`: from the day after it.
pub fn supplement_deadline_passed(deadline: chrono::NaiveDate, today: chrono::NaiveDate) -> bool {
    today > deadline
}

/// What `actor` may do to the dossier now, in [`Action::ALL`] order. Empty in a terminal
/// status and for the administering and supervising roles.
pub fn allowed_actions(state: &LifecycleState, actor: Actor) -> Vec<Action> {
    if state.status.is_terminal() {
        return Vec::new();
    }
    Action::ALL
        .into_iter()
        .filter(|&a| role_may(actor, a, state.status) && legal_move(state, a).is_some())
        .filter(|&a| !used_up(state, a))
        .collect()
}

/// A once-per-dossier action that was already taken.
fn used_up(state: &LifecycleState, action: Action) -> bool {
    match action {
        Action::Extend => state.apologies >= 1,
        Action::ExtendCertification => state.certification_extended,
        _ => false,
    }
}

/// The role table of the module doc. Status matters only where one action belongs to
/// different roles at different stages.
fn role_may(actor: Actor, action: Action, status: Status) -> bool {
    use Action as A;
    match actor {
        Actor::Citizen | Actor::PortalClient => {
            matches!(action, A::SubmitSupplement | A::RequestWithdrawal)
        }
        Actor::ReceptionOfficer => match action {
            A::RequestSupplement => status == Status::Submitted,
            A::Assign => status == Status::Received,
            A::Receive
            | A::Refuse
            | A::SubmitSupplement
            | A::StartProcessing
            | A::RequestPayment
            | A::ConfirmPayment
            | A::MarkResultReady
            | A::ReturnResult
            | A::RequestWithdrawal
            | A::ConfirmWithdrawal
            | A::Extend
            | A::ExtendCertification => true,
            A::ProposeResult | A::ApproveResult | A::RejectProposal | A::Stop => false,
        },
        Actor::Specialist => match action {
            A::RequestSupplement => status == Status::Processing,
            A::RequestPayment | A::ProposeResult | A::Extend | A::ExtendCertification => true,
            _ => false,
        },
        Actor::Leader => match action {
            A::RequestSupplement => status == Status::Processing,
            A::RequestPayment
            | A::ProposeResult
            | A::ApproveResult
            | A::RejectProposal
            | A::Stop
            | A::Assign
            | A::Extend
            | A::ExtendCertification => true,
            _ => false,
        },
        Actor::CommuneAdmin | Actor::SystemAdmin | Actor::ProvinceSupervisor => false,
    }
}

fn role_ever_may(actor: Actor, action: Action) -> bool {
    Status::ALL.into_iter().any(|s| role_may(actor, action, s))
}

/// The move `action` makes from `s`, whoever asks; `None` when no role could make it.
fn legal_move(s: &LifecycleState, action: Action) -> Option<Outcome> {
    use Action as A;
    use ProcessingStep as P;
    use Status as St;

    let before_result = matches!(s.step, P::Unassigned | P::Assigned);
    let mut next = s.clone();
    let mut out_flags = Vec::new();
    let (mut pauses, mut resumes, mut finishes) = (false, false, false);

    match (s.status, action) {
        (St::Submitted, A::Receive) => {
            next.status = St::Received;
            next.step = P::Unassigned;
        }
        (St::Submitted, A::Refuse) => {
            next.status = St::Refused;
            finishes = true;
        }
        (St::Submitted, A::RequestSupplement) | (St::Processing, A::RequestSupplement)
            if s.status == St::Submitted || before_result =>
        {
            next.status = St::SupplementRequested;
            next.supplement_requests = s.supplement_requests.saturating_add(1);
            next.return_status_after_supplement = Some(s.status);
            pauses = s.status == St::Processing;
            if next.supplement_requests > 1 {
                out_flags.push(Flag::RepeatedSupplementRequest);
            }
        }
        (St::SupplementRequested, A::SubmitSupplement) => {
            next.status = s.supplement_return_status();
            next.return_status_after_supplement = None;
            resumes = s.clock_paused();
        }
        (St::Received, A::StartProcessing) => {
            next.status = St::Processing;
            next.step = P::Unassigned;
        }
        (St::Received, A::Assign) => {
            next.status = St::Processing;
            next.step = P::Assigned;
        }
        (St::Processing, A::Assign) if before_result => next.step = P::Assigned,
        (St::Processing, A::RequestPayment) => next.status = St::AwaitingPayment,
        (St::AwaitingPayment, A::ConfirmPayment) => next.status = St::Processing,
        (St::Processing, A::ProposeResult) if s.step == P::Assigned => {
            next.step = P::ResultProposed;
        }
        (St::Processing, A::ApproveResult) if s.step == P::ResultProposed => {
            next.step = P::ResultApproved;
        }
        (St::Processing, A::RejectProposal) if s.step == P::ResultProposed => {
            next.step = P::Assigned;
        }
        (St::Processing, A::MarkResultReady) if s.step == P::ResultApproved => {
            next.status = St::ResultReady;
            finishes = true;
        }
        (St::ResultReady, A::ReturnResult) => next.status = St::Returned,
        (St::Processing, A::Stop) => {
            next.status = St::Stopped;
            finishes = true;
        }
        // Supplement never provided (deadline checked by the caller): stop a dossier
        // paused during processing, ending the pause…
        (St::SupplementRequested, A::Stop) if s.supplement_return_status() == St::Processing => {
            next.status = St::Stopped;
            next.return_status_after_supplement = None;
            resumes = s.clock_paused();
            finishes = true;
        }
        // …or refuse an online dossier sent back at intake, never received.
        (St::SupplementRequested, A::Refuse) if s.supplement_return_status() == St::Submitted => {
            next.status = St::Refused;
            next.return_status_after_supplement = None;
            finishes = true;
        }
        (
            St::Submitted
            | St::Received
            | St::Processing
            | St::SupplementRequested
            | St::AwaitingPayment,
            A::RequestWithdrawal,
        ) => {
            next.status = St::WithdrawalRequested;
            next.status_before_withdrawal = Some(s.status);
            next.return_status_after_supplement = None;
            resumes = s.clock_paused();
            // The withdrawal counts from the applicant's request.
            finishes = true;
        }
        // Processing already ended at the request (7); the confirmation only closes it.
        (St::WithdrawalRequested, A::ConfirmWithdrawal) => next.status = St::Stopped,
        (St::Received | St::Processing | St::AwaitingPayment, A::Extend) => {
            next.apologies = s.apologies.saturating_add(1);
            out_flags.push(Flag::LateWithApology);
        }
        (St::SupplementRequested, A::Extend) if s.supplement_return_status() == St::Processing => {
            next.apologies = s.apologies.saturating_add(1);
            out_flags.push(Flag::LateWithApology);
        }
        (St::Received | St::Processing | St::AwaitingPayment, A::ExtendCertification) => {
            next.certification_extended = true;
        }
        _ => return None,
    }

    let mut out = Outcome::to(next);
    out.pauses_clock = pauses;
    out.resumes_clock = resumes;
    out.finishes = finishes;
    out.flags = out_flags;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // ---- The expected table, written independently of `legal_move`/`role_may` ----
    //
    // from: national code ("5r4" = a 5 whose supplement returns to processing)
    // steps: "*" any, else letters U(nassigned) A(ssigned) P(roposed) V (approved)
    // to: national code, or "ret" (where the supplement returns)
    // step': "=" unchanged, else a letter
    // effects: S supplement request, B back from supplement, W withdrawal request (which
    //          finishes: it counts from the request), F finishes, X apology extension
    //          (once), C certification extension (once), T stop of a paused dossier
    //          (finishes, resumes the clock), R refusal of a dossier waiting at intake
    //          (finishes), - nothing else
    // "5r1": a 5 whose supplement returns to intake
    // actors: C citizen, P portal client, R reception officer, S specialist, L leader
    const EXPECTED: &str = "
        1    *   receive             2    U  -  R
        1    *   refuse              3    =  F  R
        1    *   request_supplement  5    =  S  R
        1    *   request_withdrawal  7    =  W  CPR
        2    *   start_processing    4    U  -  R
        2    *   assign              4    A  -  RL
        2    *   request_withdrawal  7    =  W  CPR
        2    *   extend              2    =  X  RSL
        2    *   extend_certification 2   =  C  RSL
        4    UA  assign              4    A  -  L
        4    UA  request_supplement  5    =  S  SL
        4    *   request_payment     6    =  -  RSL
        4    A   propose_result      4    P  -  SL
        4    P   approve_result      4    V  -  L
        4    P   reject_proposal     4    A  -  L
        4    V   mark_result_ready   9    =  F  R
        4    *   stop                8    =  F  L
        4    *   request_withdrawal  7    =  W  CPR
        4    *   extend              4    =  X  RSL
        4    *   extend_certification 4   =  C  RSL
        5    *   submit_supplement   ret  =  B  CPR
        5    *   request_withdrawal  7    =  W  CPR
        5r4  *   extend              5    =  X  RSL
        5r4  *   stop                8    =  T  L
        5r1  *   refuse              3    =  R  R
        6    *   confirm_payment     4    =  -  R
        6    *   request_withdrawal  7    =  W  CPR
        6    *   extend              6    =  X  RSL
        6    *   extend_certification 6   =  C  RSL
        7    *   confirm_withdrawal  8    =  -  R
        9    *   return_result       10   =  -  R
    ";

    const TERMINAL_CODES: [u8; 3] = [3, 8, 10];

    struct Row {
        from: u8,
        only_return_to_processing: bool,
        only_return_to_intake: bool,
        steps: Vec<ProcessingStep>,
        action: Action,
        to: Option<u8>,
        step_to: Option<ProcessingStep>,
        effect: char,
        finishes: bool,
        actors: Vec<Actor>,
    }

    fn step_letter(c: char) -> ProcessingStep {
        match c {
            'U' => ProcessingStep::Unassigned,
            'A' => ProcessingStep::Assigned,
            'P' => ProcessingStep::ResultProposed,
            'V' => ProcessingStep::ResultApproved,
            _ => panic!("bad step letter {c}"),
        }
    }

    fn actor_letter(c: char) -> Actor {
        match c {
            'C' => Actor::Citizen,
            'P' => Actor::PortalClient,
            'R' => Actor::ReceptionOfficer,
            'S' => Actor::Specialist,
            'L' => Actor::Leader,
            _ => panic!("bad actor letter {c}"),
        }
    }

    fn rows() -> Vec<Row> {
        EXPECTED
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                assert_eq!(f.len(), 7, "row {l}");
                let (from, only_return_to_processing, only_return_to_intake) =
                    match (f[0].strip_suffix("r4"), f[0].strip_suffix("r1")) {
                        (Some(code), _) => (code.parse().unwrap(), true, false),
                        (_, Some(code)) => (code.parse().unwrap(), false, true),
                        _ => (f[0].parse().unwrap(), false, false),
                    };
                let steps = if f[1] == "*" {
                    ProcessingStep::ALL.to_vec()
                } else {
                    f[1].chars().map(step_letter).collect()
                };
                // Going through serde checks the API names at the same time.
                let action: Action = serde_json::from_value(serde_json::json!(f[2]))
                    .unwrap_or_else(|e| panic!("action {}: {e}", f[2]));
                let to = (f[3] != "ret").then(|| f[3].parse().unwrap());
                let step_to = (f[4] != "=").then(|| step_letter(f[4].chars().next().unwrap()));
                let effect = f[5].chars().next().unwrap();
                Row {
                    from,
                    only_return_to_processing,
                    only_return_to_intake,
                    steps,
                    action,
                    to,
                    step_to,
                    effect,
                    finishes: matches!(effect, 'F' | 'W' | 'T' | 'R'),
                    actors: f[6].chars().map(actor_letter).collect(),
                }
            })
            .collect()
    }

    fn code(s: Status) -> u8 {
        s.national_code()
    }

    fn returns_to_processing(s: &LifecycleState) -> bool {
        s.return_status_after_supplement != Some(Status::Submitted)
    }

    fn matching<'a>(rows: &'a [Row], s: &LifecycleState, action: Action) -> Option<&'a Row> {
        let found: Vec<&Row> = rows
            .iter()
            .filter(|r| {
                r.from == code(s.status)
                    && r.action == action
                    && r.steps.contains(&s.step)
                    && (!r.only_return_to_processing || returns_to_processing(s))
                    && (!r.only_return_to_intake || !returns_to_processing(s))
            })
            .collect();
        assert!(found.len() <= 1, "table has overlapping rows");
        found.first().copied()
    }

    fn expected_allowed(rows: &[Row], s: &LifecycleState, actor: Actor) -> Vec<Action> {
        if TERMINAL_CODES.contains(&code(s.status)) {
            return vec![];
        }
        Action::ALL
            .into_iter()
            .filter(|&a| {
                matching(rows, s, a).is_some_and(|r| {
                    r.actors.contains(&actor)
                        && !(r.effect == 'X' && s.apologies >= 1)
                        && !(r.effect == 'C' && s.certification_extended)
                })
            })
            .collect()
    }

    fn expected(
        rows: &[Row],
        s: &LifecycleState,
        action: Action,
        actor: Actor,
    ) -> Result<Outcome, TransitionError> {
        let ever = rows
            .iter()
            .any(|r| r.action == action && r.actors.contains(&actor));
        if !ever {
            return Err(TransitionError::RoleNotPermitted { action, actor });
        }
        if TERMINAL_CODES.contains(&code(s.status)) {
            return Err(TransitionError::Terminal(s.status));
        }
        let Some(row) = matching(rows, s, action) else {
            return Err(TransitionError::NotAllowedInStatus {
                status: s.status,
                action,
                allowed: expected_allowed(rows, s, actor),
            });
        };
        if !row.actors.contains(&actor) {
            return Err(TransitionError::RoleNotPermitted { action, actor });
        }
        if row.effect == 'X' && s.apologies >= 1 {
            return Err(TransitionError::ApologyAlreadyIssued);
        }
        if row.effect == 'C' && s.certification_extended {
            return Err(TransitionError::CertificationAlreadyExtended);
        }
        let paused_now = code(s.status) == 5 && returns_to_processing(s);
        let mut n = s.clone();
        let to = row
            .to
            .unwrap_or(if returns_to_processing(s) { 4 } else { 1 });
        n.status = Status::from_national_code(to).unwrap();
        if let Some(st) = row.step_to {
            n.step = st;
        }
        let mut o = Outcome {
            new_state: n,
            pauses_clock: false,
            resumes_clock: false,
            finishes: row.finishes,
            flags: vec![],
        };
        match row.effect {
            'S' => {
                o.new_state.supplement_requests = s.supplement_requests + 1;
                o.new_state.return_status_after_supplement = Some(s.status);
                o.pauses_clock = code(s.status) == 4;
                if s.supplement_requests >= 1 {
                    o.flags.push(Flag::RepeatedSupplementRequest);
                }
            }
            'B' => {
                o.new_state.return_status_after_supplement = None;
                o.resumes_clock = paused_now;
            }
            'W' => {
                o.new_state.status_before_withdrawal = Some(s.status);
                o.new_state.return_status_after_supplement = None;
                o.resumes_clock = paused_now;
            }
            'X' => {
                o.new_state.apologies = s.apologies + 1;
                o.flags.push(Flag::LateWithApology);
            }
            'C' => o.new_state.certification_extended = true,
            'T' => {
                o.resumes_clock = paused_now;
                o.new_state.return_status_after_supplement = None;
            }
            'R' => o.new_state.return_status_after_supplement = None,
            'F' | '-' => {}
            other => panic!("bad effect {other}"),
        }
        Ok(o)
    }

    /// Every (status, step, supplement origin, prior request count) a dossier can be in,
    /// plus the inconsistent ones, so the rules are total.
    fn all_states() -> Vec<LifecycleState> {
        let mut v = Vec::new();
        for status in Status::all() {
            let returns: &[Option<Status>] = if status == Status::SupplementRequested {
                &[None, Some(Status::Submitted), Some(Status::Processing)]
            } else {
                &[None]
            };
            for step in ProcessingStep::ALL {
                for &ret in returns {
                    for supplement_requests in [0, 1, 2] {
                        for (apologies, certification_extended) in
                            [(0, false), (1, false), (0, true), (1, true)]
                        {
                            v.push(LifecycleState {
                                status,
                                step,
                                supplement_requests,
                                return_status_after_supplement: ret,
                                status_before_withdrawal: None,
                                apologies,
                                certification_extended,
                            });
                        }
                    }
                }
            }
        }
        v
    }

    #[test]
    fn exhaustive_against_expected_table() {
        let rows = rows();
        let mut checked = 0;
        let mut ok = 0;
        for s in all_states() {
            for action in Action::ALL {
                for actor in Actor::ALL {
                    let want = expected(&rows, &s, action, actor);
                    let got = transition(&s, &action, actor);
                    assert_eq!(got, want, "{s:?} {action} by {actor}");
                    ok += usize::from(got.is_ok());
                    checked += 1;
                }
            }
            for actor in Actor::ALL {
                assert_eq!(
                    allowed_actions(&s, actor),
                    expected_allowed(&rows, &s, actor),
                    "{s:?} {actor}"
                );
            }
        }
        assert_eq!(checked, (10 * 4 * 3 * 18 * 8 + 2 * 4 * 3 * 18 * 8) * 4);
        assert!(ok > 0);
    }

    #[test]
    fn allowed_actions_agree_with_transition() {
        for s in all_states() {
            for actor in Actor::ALL {
                let allowed = allowed_actions(&s, actor);
                for action in Action::ALL {
                    assert_eq!(
                        transition(&s, &action, actor).is_ok(),
                        allowed.contains(&action),
                        "{s:?} {action} {actor}"
                    );
                }
            }
        }
    }

    #[test]
    fn terminal_statuses_allow_nothing() {
        for st in Status::all().into_iter().filter(|s| s.is_terminal()) {
            let s = LifecycleState::at(st);
            for actor in Actor::ALL {
                assert!(allowed_actions(&s, actor).is_empty());
                for action in Action::ALL {
                    let e = transition(&s, &action, actor).unwrap_err();
                    assert!(
                        matches!(
                            e,
                            TransitionError::Terminal(t) if t == st
                        ) || matches!(e, TransitionError::RoleNotPermitted { .. }),
                        "{e:?}"
                    );
                }
            }
            let e = transition(&s, &Action::RequestWithdrawal, Actor::Citizen).unwrap_err();
            assert_eq!(e, TransitionError::Terminal(st));
            assert_eq!(e.code(), "dossier.terminal");
        }
        let terminal: Vec<u8> = Status::all()
            .into_iter()
            .filter(|s| s.is_terminal())
            .map(Status::national_code)
            .collect();
        assert_eq!(terminal, TERMINAL_CODES);
    }

    #[test]
    fn withdrawal_impossible_at_result_ready_and_returned() {
        for st in [Status::ResultReady, Status::Returned] {
            for actor in [Actor::Citizen, Actor::PortalClient, Actor::ReceptionOfficer] {
                let e = transition(&LifecycleState::at(st), &Action::RequestWithdrawal, actor)
                    .unwrap_err();
                assert!(
                    matches!(
                        e,
                        TransitionError::NotAllowedInStatus { .. } | TransitionError::Terminal(_)
                    ),
                    "{e:?}"
                );
                assert_eq!(e.http_status(), 409);
            }
        }
        let e = transition(
            &LifecycleState::at(Status::ResultReady),
            &Action::RequestWithdrawal,
            Actor::Citizen,
        )
        .unwrap_err();
        assert_eq!(
            e,
            TransitionError::NotAllowedInStatus {
                status: Status::ResultReady,
                action: Action::RequestWithdrawal,
                allowed: vec![],
            }
        );
        assert_eq!(e.code(), "dossier.transition_not_allowed");
    }

    fn run(mut s: LifecycleState, steps: &[(Action, Actor)]) -> (LifecycleState, Vec<Outcome>) {
        let mut outs = Vec::new();
        for (a, who) in steps {
            let o =
                transition(&s, a, *who).unwrap_or_else(|e| panic!("{a} by {who} from {s:?}: {e}"));
            s = o.new_state.clone();
            outs.push(o);
        }
        (s, outs)
    }

    #[test]
    fn second_supplement_request_is_allowed_and_flagged() {
        use Action as A;
        let (s, outs) = run(
            LifecycleState::received(),
            &[
                (A::Assign, Actor::ReceptionOfficer),
                (A::RequestSupplement, Actor::Specialist),
                (A::SubmitSupplement, Actor::Citizen),
                (A::RequestSupplement, Actor::Specialist),
            ],
        );
        assert!(outs[1].flags.is_empty());
        assert!(outs[1].pauses_clock && outs[2].resumes_clock);
        assert_eq!(outs[3].flags, vec![Flag::RepeatedSupplementRequest]);
        assert!(outs[3].pauses_clock);
        assert_eq!(s.status, Status::SupplementRequested);
        assert_eq!(s.supplement_requests, 2);
    }

    #[test]
    fn intake_supplement_returns_to_submitted_without_touching_the_clock() {
        use Action as A;
        let (s, outs) = run(
            LifecycleState::submitted(),
            &[
                (A::RequestSupplement, Actor::ReceptionOfficer),
                (A::SubmitSupplement, Actor::PortalClient),
            ],
        );
        assert_eq!(s.status, Status::Submitted);
        assert!(outs.iter().all(|o| !o.pauses_clock && !o.resumes_clock));
        // The officer may not ask again once processing started: that is the handler's job.
        let (s, _) = run(
            s,
            &[
                (A::Receive, Actor::ReceptionOfficer),
                (A::Assign, Actor::ReceptionOfficer),
            ],
        );
        let e = transition(&s, &A::RequestSupplement, Actor::ReceptionOfficer).unwrap_err();
        assert_eq!(e.code(), "dossier.action_forbidden_for_role");
        let o = transition(&s, &A::RequestSupplement, Actor::Specialist).unwrap();
        assert_eq!(o.flags, vec![Flag::RepeatedSupplementRequest]);
    }

    #[test]
    fn proposal_and_approval_order_is_enforced() {
        use Action as A;
        let (s, _) = run(
            LifecycleState::received(),
            &[(A::StartProcessing, Actor::ReceptionOfficer)],
        );
        assert_eq!(s.step, ProcessingStep::Unassigned);
        // Nobody can propose before someone is assigned, nor approve before a proposal.
        for a in [A::ProposeResult, A::ApproveResult, A::RejectProposal] {
            let e = transition(&s, &a, Actor::Leader).unwrap_err();
            assert_eq!(e.code(), "dossier.transition_not_allowed", "{a}");
            assert_eq!(
                e.allowed().unwrap(),
                [
                    A::RequestSupplement,
                    A::Assign,
                    A::RequestPayment,
                    A::Stop,
                    A::Extend,
                    A::ExtendCertification
                ]
            );
        }
        let (s, _) = run(
            s,
            &[
                (A::Assign, Actor::Leader),
                (A::ProposeResult, Actor::Specialist),
            ],
        );
        // A specialist may not approve; the leader may send it back or approve.
        let e = transition(&s, &A::ApproveResult, Actor::Specialist).unwrap_err();
        assert_eq!(
            e,
            TransitionError::RoleNotPermitted {
                action: A::ApproveResult,
                actor: Actor::Specialist
            }
        );
        assert_eq!(e.http_status(), 403);
        let (s, _) = run(
            s,
            &[
                (A::RejectProposal, Actor::Leader),
                (A::ProposeResult, Actor::Specialist),
                (A::ApproveResult, Actor::Leader),
            ],
        );
        assert_eq!(s.step, ProcessingStep::ResultApproved);
        assert_eq!(s.status, Status::Processing);
        // After approval, no second approval, no reassignment, no supplement.
        for a in [
            A::ApproveResult,
            A::ProposeResult,
            A::Assign,
            A::RequestSupplement,
        ] {
            assert_eq!(
                transition(&s, &a, Actor::Leader).unwrap_err().code(),
                "dossier.transition_not_allowed",
                "{a}"
            );
        }
    }

    #[test]
    fn result_ready_only_after_approval() {
        use Action as A;
        for step in [
            ProcessingStep::Unassigned,
            ProcessingStep::Assigned,
            ProcessingStep::ResultProposed,
        ] {
            let s = LifecycleState {
                step,
                ..LifecycleState::at(Status::Processing)
            };
            let e = transition(&s, &A::MarkResultReady, Actor::ReceptionOfficer).unwrap_err();
            assert!(
                matches!(
                    e,
                    TransitionError::NotAllowedInStatus {
                        status: Status::Processing,
                        action: A::MarkResultReady,
                        ..
                    }
                ),
                "{e:?}"
            );
        }
        let s = LifecycleState {
            step: ProcessingStep::ResultApproved,
            ..LifecycleState::at(Status::Processing)
        };
        let o = transition(&s, &A::MarkResultReady, Actor::ReceptionOfficer).unwrap();
        assert_eq!(o.new_state.status, Status::ResultReady);
        assert!(o.finishes);
    }

    /// Apology slip and new date (phiếu xin lỗi và hẹn lại): at most once per dossier —
    /// provincial one-stop regulations under Decree 118/2025/NĐ-CP (e.g. Lai Châu QĐ
    /// 88/2025/QĐ-UBND); a second one is refused with its own problem code.
    #[test]
    fn apology_once_per_dossier_decree_118_2025_provincial_regulations() {
        let s = LifecycleState::at(Status::Processing);
        let o = transition(&s, &Action::Extend, Actor::Specialist).unwrap();
        assert_eq!(o.new_state.apologies, 1);
        assert_eq!(o.flags, vec![Flag::LateWithApology]);
        let e = transition(&o.new_state, &Action::Extend, Actor::Leader).unwrap_err();
        assert_eq!(e, TransitionError::ApologyAlreadyIssued);
        assert_eq!(
            (e.code(), e.http_status()),
            ("dossier.apology_already_issued", 409)
        );
        assert!(e.message_vi().contains("một lần"));
        // No longer offered.
        assert!(!allowed_actions(&o.new_state, Actor::Leader).contains(&Action::Extend));
        // A stored lifecycle without the field reads as no apology yet.
        let old: LifecycleState =
            serde_json::from_value(serde_json::json!({"status": "processing"})).unwrap();
        assert_eq!((old.apologies, old.certification_extended), (0, false));
    }

    /// Decree 23/2015/NĐ-CP Art. 21: a certification may lawfully be extended (up to 2
    /// working days, the caller checks the amount) — its own action, once, not late.
    #[test]
    fn certification_extension_decree_23_2015_art_21() {
        for st in [
            Status::Received,
            Status::Processing,
            Status::AwaitingPayment,
        ] {
            let o = transition(
                &LifecycleState::at(st),
                &Action::ExtendCertification,
                Actor::ReceptionOfficer,
            )
            .unwrap();
            assert_eq!(o.new_state.status, st);
            assert!(o.new_state.certification_extended);
            assert!(o.flags.is_empty(), "a lawful extension is not an apology");
            assert!(!o.finishes && !o.pauses_clock);
            let e =
                transition(&o.new_state, &Action::ExtendCertification, Actor::Leader).unwrap_err();
            assert_eq!(e.code(), "dossier.certification_already_extended");
        }
        assert_eq!(
            Action::ExtendCertification.required_fields(),
            &["extension_days", "reason"]
        );
        assert!(transition(
            &LifecycleState::at(Status::Submitted),
            &Action::ExtendCertification,
            Actor::ReceptionOfficer
        )
        .is_err());
    }

    /// Supplement never provided (Decree 118/2025/NĐ-CP one-stop rules, 766 §2.1): after
    /// the deadline a dossier paused in processing is stopped (the pause ends), one sent
    /// back at intake is refused; a withdrawal counts from the applicant's request.
    #[test]
    fn supplement_never_provided_and_withdrawal_from_request() {
        let d = |m, day| chrono::NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        assert!(!supplement_deadline_passed(d(3, 10), d(3, 10)));
        assert!(supplement_deadline_passed(d(3, 10), d(3, 11)));
        let paused = LifecycleState {
            return_status_after_supplement: Some(Status::Processing),
            supplement_requests: 1,
            ..LifecycleState::at(Status::SupplementRequested)
        };
        let o = transition(&paused, &Action::Stop, Actor::Leader).unwrap();
        assert_eq!(o.new_state.status, Status::Stopped);
        assert!(o.finishes && o.resumes_clock);
        assert!(transition(&paused, &Action::Refuse, Actor::ReceptionOfficer).is_err());
        let intake = LifecycleState {
            return_status_after_supplement: Some(Status::Submitted),
            supplement_requests: 1,
            ..LifecycleState::at(Status::SupplementRequested)
        };
        let o = transition(&intake, &Action::Refuse, Actor::ReceptionOfficer).unwrap();
        assert_eq!(o.new_state.status, Status::Refused);
        assert!(o.finishes && !o.resumes_clock);
        assert!(transition(&intake, &Action::Stop, Actor::Leader).is_err());
        let o = transition(
            &LifecycleState::at(Status::Processing),
            &Action::RequestWithdrawal,
            Actor::Citizen,
        )
        .unwrap();
        assert_eq!(o.new_state.status, Status::WithdrawalRequested);
        assert!(
            o.finishes,
            "a withdrawal counts from the request (status 7)"
        );
    }

    #[test]
    fn full_online_path_with_clock_effects() {
        use Action as A;
        use Actor as W;
        let (s, outs) = run(
            LifecycleState::submitted(),
            &[
                (A::Receive, W::ReceptionOfficer),
                (A::Assign, W::ReceptionOfficer),
                (A::RequestSupplement, W::Specialist),
                (A::Extend, W::Specialist),
                (A::SubmitSupplement, W::Citizen),
                (A::RequestPayment, W::Specialist),
                (A::ConfirmPayment, W::ReceptionOfficer),
                (A::ProposeResult, W::Specialist),
                (A::ApproveResult, W::Leader),
                (A::MarkResultReady, W::ReceptionOfficer),
                (A::ReturnResult, W::ReceptionOfficer),
            ],
        );
        assert_eq!(s.status, Status::Returned);
        let pauses: Vec<bool> = outs.iter().map(|o| o.pauses_clock).collect();
        let resumes: Vec<bool> = outs.iter().map(|o| o.resumes_clock).collect();
        let finishes: Vec<bool> = outs.iter().map(|o| o.finishes).collect();
        let mut want = [false; 11];
        want[2] = true;
        assert_eq!(pauses, want);
        want = [false; 11];
        want[4] = true;
        assert_eq!(resumes, want);
        want = [false; 11];
        want[9] = true;
        assert_eq!(finishes, want);
        assert_eq!(outs[3].flags, vec![Flag::LateWithApology]);
        assert_eq!(outs[3].new_state.status, Status::SupplementRequested);
    }

    #[test]
    fn withdrawal_during_a_paused_supplement_resumes_then_stops() {
        use Action as A;
        let (s, outs) = run(
            LifecycleState::received(),
            &[
                (A::Assign, Actor::Leader),
                (A::RequestSupplement, Actor::Leader),
                (A::RequestWithdrawal, Actor::Citizen),
                (A::ConfirmWithdrawal, Actor::ReceptionOfficer),
            ],
        );
        assert!(outs[2].resumes_clock);
        assert_eq!(
            outs[2].new_state.status_before_withdrawal,
            Some(Status::SupplementRequested)
        );
        assert!(outs[2].finishes, "the withdrawal counts from the request");
        assert!(!outs[3].finishes);
        assert_eq!(s.status, Status::Stopped);
    }

    #[test]
    fn administering_and_supervising_roles_process_nothing() {
        for s in all_states() {
            for actor in [
                Actor::CommuneAdmin,
                Actor::SystemAdmin,
                Actor::ProvinceSupervisor,
            ] {
                assert!(allowed_actions(&s, actor).is_empty());
                for action in Action::ALL {
                    assert_eq!(
                        transition(&s, &action, actor),
                        Err(TransitionError::RoleNotPermitted { action, actor })
                    );
                }
            }
        }
    }

    #[test]
    fn national_code_round_trip() {
        let codes: Vec<u8> = Status::all()
            .into_iter()
            .map(Status::national_code)
            .collect();
        assert_eq!(codes, (1..=10).collect::<Vec<u8>>());
        for c in 1..=10u8 {
            assert_eq!(Status::from_national_code(c).unwrap().national_code(), c);
        }
        for c in [0u8, 11, 255] {
            assert_eq!(Status::from_national_code(c), None);
        }
        let table = national_status_table();
        assert_eq!(table.len(), 10);
        assert_eq!(table[0].label_vi, "Mới đăng ký");
        assert_eq!(table[9].status, Status::Returned);
        assert!(table
            .iter()
            .all(|r| Status::from_national_code(r.national_code) == Some(r.status)));
    }

    #[test]
    fn names_are_snake_case_and_round_trip() {
        for s in Status::all() {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert_eq!(s.as_str().parse::<Status>(), Ok(s));
        }
        for a in Action::ALL {
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
            assert_eq!(a.as_str().parse::<Action>(), Ok(a));
        }
        for a in Actor::ALL {
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
            assert_eq!(Actor::parse(a.as_str()), Some(a));
        }
        for p in ProcessingStep::ALL {
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
        #[derive(Deserialize)]
        struct Body {
            action: Action,
        }
        let b: Body = serde_json::from_str(r#"{"action": "request_supplement"}"#).unwrap();
        assert_eq!(b.action, Action::RequestSupplement);
        assert!(serde_json::from_str::<Body>(r#"{"action": "RequestSupplement"}"#).is_err());
    }

    #[test]
    fn lifecycle_json_defaults_missing_fields() {
        let s: LifecycleState = serde_json::from_str(r#"{"status": "received"}"#).unwrap();
        assert_eq!(s, LifecycleState::received());
        let back: LifecycleState =
            serde_json::from_value(serde_json::to_value(&s).unwrap()).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn schemas_are_string_enums() {
        use utoipa::PartialSchema;
        let status = serde_json::to_value(Status::schema()).unwrap();
        let values = status["enum"].as_array().expect("status enum");
        assert_eq!(values.len(), 10);
        assert!(values.contains(&serde_json::json!("awaiting_payment")));
        let action = serde_json::to_value(Action::schema()).unwrap();
        assert_eq!(action["enum"].as_array().unwrap().len(), 18);
        assert!(serde_json::to_value(Actor::schema()).unwrap()["enum"].is_array());
    }

    #[test]
    fn error_codes_and_messages() {
        let e = TransitionError::NotAllowedInStatus {
            status: Status::Processing,
            action: Action::Receive,
            allowed: vec![],
        };
        assert_eq!(e.code(), "dossier.transition_not_allowed");
        assert!(e.message_vi().contains("Đang xử lý"));
        assert!(e.message_en().contains("processing"));
        let e = TransitionError::RoleNotPermitted {
            action: Action::Stop,
            actor: Actor::Specialist,
        };
        assert_eq!(e.code(), "dossier.action_forbidden_for_role");
        assert_eq!(e.allowed(), None);
        assert_eq!(
            TransitionError::Terminal(Status::Stopped).code(),
            "dossier.terminal"
        );
    }

    // ---- Random walks ----

    #[derive(Clone, Debug)]
    struct Attempt {
        action: usize,
        actor: usize,
        pick_allowed: bool,
        pick: usize,
    }

    fn attempt() -> impl Strategy<Value = Attempt> {
        (
            0..Action::ALL.len(),
            0..Actor::ALL.len(),
            any::<bool>(),
            0..32usize,
        )
            .prop_map(|(action, actor, pick_allowed, pick)| Attempt {
                action,
                actor,
                pick_allowed,
                pick,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn random_walks_keep_invariants(
            online in any::<bool>(),
            attempts in prop::collection::vec(attempt(), 0..80),
        ) {
            let mut s = if online { LifecycleState::submitted() } else { LifecycleState::received() };
            let mut paused = false;
            let mut finished = false;
            let mut was_terminal = false;
            for at in attempts {
                let actor = Actor::ALL[at.actor];
                let allowed = allowed_actions(&s, actor);
                let action = if at.pick_allowed && !allowed.is_empty() {
                    allowed[at.pick % allowed.len()]
                } else {
                    Action::ALL[at.action]
                };
                match transition(&s, &action, actor) {
                    Ok(o) => {
                        prop_assert!(!was_terminal, "moved out of a terminal status");
                        prop_assert!(allowed.contains(&action));
                        prop_assert!(!(o.pauses_clock && o.resumes_clock));
                        prop_assert!(!o.resumes_clock || paused, "resumed an unpaused clock");
                        prop_assert!(!o.pauses_clock || !paused, "paused twice");
                        if o.pauses_clock { paused = true; }
                        if o.resumes_clock { paused = false; }
                        prop_assert_eq!(paused, o.new_state.clock_paused());
                        if o.finishes {
                            prop_assert!(!finished, "finished twice");
                            finished = true;
                            prop_assert!(matches!(
                                o.new_state.status,
                                Status::Refused
                                    | Status::Stopped
                                    | Status::ResultReady
                                    | Status::WithdrawalRequested
                            ));
                        }
                        s = o.new_state;
                    }
                    Err(e) => {
                        prop_assert!(!allowed.contains(&action));
                        if was_terminal {
                            let absorbed = matches!(
                                e,
                                TransitionError::Terminal(_) | TransitionError::RoleNotPermitted { .. }
                            );
                            prop_assert!(absorbed, "{:?}", e);
                        }
                    }
                }
                let c = s.status.national_code();
                prop_assert!((1..=10).contains(&c));
                prop_assert_eq!(Status::from_national_code(c), Some(s.status));
                prop_assert_eq!(s.return_status_after_supplement.is_some(),
                    s.status == Status::SupplementRequested);
                if s.status.is_terminal() {
                    was_terminal = true;
                    prop_assert!(!paused);
                    prop_assert!(finished, "terminal without a finish");
                }
            }
        }
    }
}

//! The front room's queue rules: ticket numbers, priority classes and the order in which
//! `call next` serves them, the remote-ticket cut-off, and the announcement the display
//! board speaks. Pure functions; the service layer (`service::queue`) applies them.
//!
//! Legal basis of the priority classes: each class cites the law that grants the people in
//! it priority when they deal with public services. None of the article numbers has been
//! checked against the official text yet; docs/domain-sources.md "Queue priority classes"
//! lists them as unverified.

use chrono::{NaiveTime, TimeDelta};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Who is served ahead of the ordinary queue. A citizen claims a class when taking a
/// ticket; the officer confirms (or not) at the counter, where papers can be seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PriorityClass {
    /// People aged 60 and over.
    Elderly,
    /// People with disabilities.
    Disability,
    /// Pregnant women.
    Pregnant,
    /// War veterans and people with meritorious service to the revolution.
    Meritorious,
    /// A carer with a child under six.
    ChildUnderSix,
}

impl PriorityClass {
    pub const ALL: [PriorityClass; 5] = [
        PriorityClass::Elderly,
        PriorityClass::Disability,
        PriorityClass::Pregnant,
        PriorityClass::Meritorious,
        PriorityClass::ChildUnderSix,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PriorityClass::Elderly => "elderly",
            PriorityClass::Disability => "disability",
            PriorityClass::Pregnant => "pregnant",
            PriorityClass::Meritorious => "meritorious",
            PriorityClass::ChildUnderSix => "child_under_six",
        }
    }

    pub fn parse(s: &str) -> Option<PriorityClass> {
        PriorityClass::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The law cited for the class. Unverified: see the module comment.
    pub fn legal_basis(self) -> &'static str {
        match self {
            PriorityClass::Elderly => "Luật Người cao tuổi số 39/2009/QH12 (điều khoản cần kiểm tra)",
            PriorityClass::Disability => {
                "Luật Người khuyết tật số 51/2010/QH12 (điều khoản cần kiểm tra)"
            }
            PriorityClass::Pregnant => {
                "Nghị định 61/2018/NĐ-CP về cơ chế một cửa (điều khoản cần kiểm tra)"
            }
            PriorityClass::Meritorious => {
                "Pháp lệnh Ưu đãi người có công với cách mạng số 02/2020/UBTVQH14 (điều khoản cần kiểm tra)"
            }
            PriorityClass::ChildUnderSix => "Luật Trẻ em số 102/2016/QH13 (điều khoản cần kiểm tra)",
        }
    }

    pub fn name_vi(self) -> &'static str {
        match self {
            PriorityClass::Elderly => "Người cao tuổi",
            PriorityClass::Disability => "Người khuyết tật",
            PriorityClass::Pregnant => "Phụ nữ mang thai",
            PriorityClass::Meritorious => "Người có công với cách mạng, cựu chiến binh",
            PriorityClass::ChildUnderSix => "Người đi cùng trẻ em dưới 6 tuổi",
        }
    }
}

/// Where a ticket stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// In the queue (also after a transfer, in its original place).
    Waiting,
    /// Called to a counter, not yet at it.
    Called,
    /// At the counter, being served.
    Serving,
    /// Served.
    Done,
    /// Did not come after the recalls allowed.
    NoShow,
}

impl TicketStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Waiting => "waiting",
            TicketStatus::Called => "called",
            TicketStatus::Serving => "serving",
            TicketStatus::Done => "done",
            TicketStatus::NoShow => "no_show",
        }
    }

    pub fn parse(s: &str) -> Option<TicketStatus> {
        [
            TicketStatus::Waiting,
            TicketStatus::Called,
            TicketStatus::Serving,
            TicketStatus::Done,
            TicketStatus::NoShow,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

/// Which queue `call next` takes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    Priority,
    Regular,
}

/// The fairness rule of `call next`: a priority ticket goes first, unless the counter has
/// already called `max_streak` priority tickets in a row and an ordinary ticket is waiting;
/// then the ordinary one goes, and the streak starts again. So priority never starves the
/// ordinary queue: with both queues full a counter serves at most `max_streak` priority
/// tickets for each ordinary one. `max_streak` 0 means no priority at all (plain FCFS).
pub fn pick_next(
    priority_waiting: bool,
    regular_waiting: bool,
    streak: u32,
    max_streak: u32,
) -> Option<Pick> {
    match (priority_waiting, regular_waiting) {
        (false, false) => None,
        (true, false) => Some(Pick::Priority),
        (false, true) => Some(Pick::Regular),
        (true, true) if streak < max_streak => Some(Pick::Priority),
        (true, true) => Some(Pick::Regular),
    }
}

/// The counter's priority streak after a call.
pub fn streak_after(pick: Pick, streak: u32) -> u32 {
    match pick {
        Pick::Priority => streak + 1,
        Pick::Regular => 0,
    }
}

/// A service prefix: one capital letter A–Z (it starts the ticket number).
pub fn valid_prefix(p: &str) -> bool {
    p.len() == 1 && p.bytes().all(|b| b.is_ascii_uppercase())
}

/// The printed and announced number: prefix and at least three digits (`A015`, `B1203`).
pub fn ticket_number(prefix: &str, seq: i64) -> String {
    format!("{prefix}{seq:03}")
}

/// The display board's announcement.
pub fn announcement(number: &str, counter: i32) -> String {
    format!("Mời công dân có số {number} đến quầy số {counter}")
}

/// Whether a citizen may still take a remote ticket at Vietnamese wall-clock `now`: the
/// center closes at `closing`, and a remote ticket must leave `cutoff_minutes` to arrive.
pub fn remote_ticket_open(now: NaiveTime, closing: NaiveTime, cutoff_minutes: u32) -> bool {
    let last = closing - TimeDelta::minutes(i64::from(cutoff_minutes));
    // A cut-off longer than the day wraps around midnight: nothing is open then.
    if i64::from(cutoff_minutes) >= (closing - NaiveTime::MIN).num_minutes() {
        return false;
    }
    now < last
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn priority_first_then_fcfs() {
        assert_eq!(pick_next(false, false, 0, 3), None);
        assert_eq!(pick_next(true, true, 0, 3), Some(Pick::Priority));
        assert_eq!(pick_next(false, true, 5, 3), Some(Pick::Regular));
        assert_eq!(pick_next(true, false, 9, 3), Some(Pick::Priority));
    }

    #[test]
    fn at_most_n_priority_calls_in_a_row_while_others_wait() {
        let mut streak = 0;
        let mut calls = Vec::new();
        for _ in 0..8 {
            let p = pick_next(true, true, streak, 3).unwrap();
            streak = streak_after(p, streak);
            calls.push(p);
        }
        use Pick::{Priority as P, Regular as R};
        assert_eq!(calls, [P, P, P, R, P, P, P, R]);
        // 0: priority is switched off.
        assert_eq!(pick_next(true, true, 0, 0), Some(Pick::Regular));
    }

    #[test]
    fn numbers_and_announcements() {
        assert_eq!(ticket_number("A", 15), "A015");
        assert_eq!(ticket_number("B", 1203), "B1203");
        assert_eq!(
            announcement("A015", 3),
            "Mời công dân có số A015 đến quầy số 3"
        );
        assert!(valid_prefix("A") && valid_prefix("Z"));
        assert!(
            !valid_prefix("a") && !valid_prefix("AB") && !valid_prefix("") && !valid_prefix("Ă")
        );
    }

    #[test]
    fn remote_tickets_stop_before_closing() {
        assert!(remote_ticket_open(hm(15, 59), hm(17, 0), 60));
        assert!(!remote_ticket_open(hm(16, 0), hm(17, 0), 60));
        assert!(!remote_ticket_open(hm(18, 0), hm(17, 0), 0));
        assert!(!remote_ticket_open(hm(7, 0), hm(17, 0), 24 * 60));
    }

    #[test]
    fn classes_round_trip_and_cite_a_source() {
        for c in PriorityClass::ALL {
            assert_eq!(PriorityClass::parse(c.as_str()), Some(c));
            assert!(
                c.legal_basis().contains("cần kiểm tra"),
                "{c:?} is unverified"
            );
        }
        for s in ["waiting", "called", "serving", "done", "no_show"] {
            assert_eq!(TicketStatus::parse(s).unwrap().as_str(), s);
        }
    }
}

//! The front room's queue rules: ticket numbers, priority classes and the order in which
//! `call next` serves them, the remote-ticket cut-off, and the announcement the display
//! board speaks. Pure functions; the service layer (`service::queue`) applies them.
//!
//! Legal basis of the priority classes: each class cites the law that grants the people in
//! it priority when they deal with public services. None of the article numbers has been
//! checked against the official text yet; docs/domain-sources.md "Queue priority classes"
//! lists them as unverified.

use chrono::{NaiveDateTime, NaiveTime, TimeDelta};
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

/// A waiting ticket's place in the order of `call next`: priority or not, then issue time
/// and number (first come first served within each queue).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct QueueKey {
    pub issued_at: NaiveDateTime,
    pub seq: i64,
}

/// The 1-based position of a waiting ticket (`me`, priority or not) among the others
/// waiting in its queue, as `call next` would call them: [`pick_next`] is replayed from a
/// fresh streak. Every waiting priority ticket goes before an ordinary one (up to
/// `max_streak` in a row), whatever its issue time, so a priority ticket issued later can
/// move an ordinary ticket back: the position is today's answer, not a promise.
pub fn position(me: (bool, QueueKey), others: &[(bool, QueueKey)], max_streak: u32) -> u32 {
    let (mine_priority, mine) = me;
    let ahead = |priority: bool| {
        others
            .iter()
            .filter(|(p, k)| *p == priority && (priority != mine_priority || *k < mine))
            .count()
    };
    let (mut prio, mut regular) = (ahead(true), ahead(false));
    let (mut streak, mut pos) = (0u32, 0u32);
    loop {
        pos += 1;
        let pick = pick_next(
            prio > 0 || mine_priority,
            regular > 0 || !mine_priority,
            streak,
            max_streak,
        );
        match pick {
            Some(Pick::Priority) if prio > 0 => prio -= 1,
            Some(Pick::Regular) if regular > 0 => regular -= 1,
            _ => return pos,
        }
        streak = streak_after(pick.unwrap_or(Pick::Regular), streak);
    }
}

/// How many of the service's last finished tickets of the day the wait estimate uses.
pub const WAIT_SAMPLE: i64 = 20;

/// Estimated wait in whole minutes (rounded up) of the ticket at `position`:
/// `median(service durations) × position ÷ open counters serving the service`, the
/// durations (seconds, start to finish) being the service's last [`WAIT_SAMPLE`] finished
/// tickets of the day. The position counts the ticket itself, standing for the citizen
/// being served now. None without a sample today or without an open counter: no number is
/// better than a made-up one.
pub fn estimated_wait_minutes(durations: &[i64], position: u32, open_counters: u32) -> Option<u32> {
    if durations.is_empty() || open_counters == 0 {
        return None;
    }
    // A clock step can make a duration negative: it counts as none.
    let mut d: Vec<u64> = durations
        .iter()
        .map(|s| u64::try_from(*s).unwrap_or(0))
        .collect();
    d.sort_unstable();
    let n = d.len();
    // Median in seconds ×2 so an even sample stays exact.
    let median2 = if n % 2 == 1 {
        2 * d[n / 2]
    } else {
        d[n / 2 - 1] + d[n / 2]
    };
    let seconds2 = median2.saturating_mul(u64::from(position));
    u32::try_from(seconds2.div_ceil(2 * 60 * u64::from(open_counters))).ok()
}

/// Width of a printed ticket on a 58 mm thermal printer (font A, 12×24 dots).
pub const TICKET_COLUMNS: usize = 32;

/// Columns a string takes: one per character, combining marks (a decomposed Vietnamese
/// tone mark) taking none.
pub fn columns(s: &str) -> usize {
    s.chars()
        .filter(|c| !matches!(*c as u32, 0x0300..=0x036F | 0x1DC0..=0x1DFF))
        .count()
}

/// Words wrapped to `width` columns; a word longer than a line is cut.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_string();
        while columns(&word) > width {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let cut: String = word.chars().take(width).collect();
            word = word[cut.len()..].to_string();
            lines.push(cut);
        }
        if line.is_empty() {
            line = word;
        } else if columns(&line) + 1 + columns(&word) <= width {
            line.push(' ');
            line.push_str(&word);
        } else {
            lines.push(std::mem::replace(&mut line, word));
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn centred(text: &str) -> String {
    let pad = TICKET_COLUMNS.saturating_sub(columns(text)) / 2;
    format!("{}{text}", " ".repeat(pad))
}

/// What a printed ticket says.
pub struct PrintedTicket<'a> {
    pub commune: &'a str,
    pub number: &'a str,
    pub service: &'a str,
    /// Vietnamese wall-clock time of issue.
    pub issued_at: NaiveDateTime,
    pub people_ahead: u32,
    pub status_url: &'a str,
}

/// The ticket as plain text for a 58 mm thermal printer: [`TICKET_COLUMNS`] columns, UTF-8,
/// lines ending in `\n`. The number is printed with spaced letters so it reads large even on
/// a printer without a double-size mode; the status URL is cut into lines of full width
/// (a URL has no spaces to wrap at).
pub fn ticket_text(t: &PrintedTicket<'_>) -> String {
    let rule = "-".repeat(TICKET_COLUMNS);
    let mut lines: Vec<String> = Vec::new();
    lines.extend(
        wrap(&t.commune.to_uppercase(), TICKET_COLUMNS)
            .iter()
            .map(|l| centred(l)),
    );
    lines.push(rule.clone());
    lines.push(centred("SỐ THỨ TỰ"));
    let spaced: Vec<String> = t.number.chars().map(String::from).collect();
    lines.push(centred(&spaced.join(" ")));
    lines.push(rule.clone());
    lines.extend(wrap(&format!("Dịch vụ: {}", t.service), TICKET_COLUMNS));
    lines.push(format!(
        "Giờ lấy số: {}",
        t.issued_at.format("%H:%M %d/%m/%Y")
    ));
    lines.push(format!("Số người chờ trước bạn: {}", t.people_ahead));
    lines.push(rule);
    lines.push("Tra cứu số thứ tự:".to_string());
    let url: Vec<char> = t.status_url.chars().collect();
    lines.extend(
        url.chunks(TICKET_COLUMNS)
            .map(|c| c.iter().collect::<String>()),
    );
    let mut out = lines.join("\n");
    out.push('\n');
    out
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

    fn key(minute: u32, seq: i64) -> QueueKey {
        QueueKey {
            issued_at: chrono::NaiveDate::from_ymd_opt(2026, 12, 8)
                .unwrap()
                .and_hms_opt(8, minute, 0)
                .unwrap(),
            seq,
        }
    }

    #[test]
    fn position_follows_call_next() {
        // Alone: next.
        assert_eq!(position((false, key(5, 5)), &[], 3), 1);
        // Two ordinary tickets before it, one after: third.
        let others = [(false, key(1, 1)), (false, key(2, 2)), (false, key(9, 9))];
        assert_eq!(position((false, key(5, 5)), &others, 3), 3);
        // A priority ticket issued later still goes first: priority moves it back.
        let mut with_prio = others.to_vec();
        with_prio.push((true, key(30, 1)));
        assert_eq!(position((false, key(5, 5)), &with_prio, 3), 4);
        // Five priority tickets: three, then the first ordinary one, then the rest.
        let prio: Vec<_> = (1..=5).map(|i| (true, key(i, i as i64))).collect();
        let mut both = prio.clone();
        both.push((false, key(0, 1)));
        assert_eq!(position((false, key(2, 2)), &both, 3), 7);
        let first_regular = [&prio[..], &[(false, key(2, 2))]].concat();
        assert_eq!(position((false, key(0, 1)), &first_regular, 3), 4);
        // The fifth priority ticket waits for one ordinary call after the streak of three.
        assert_eq!(
            position(
                (true, key(5, 5)),
                &[&prio[..4], &[(false, key(0, 1))]].concat(),
                3
            ),
            6
        );
        // Priority off (streak 0): every ordinary ticket goes first.
        assert_eq!(position((true, key(1, 1)), &[(false, key(9, 9))], 0), 2);
    }

    #[test]
    fn wait_is_median_service_time_by_position_over_open_counters() {
        // Median 300 s (5 min), 3rd in line, 1 counter: 15 minutes.
        assert_eq!(estimated_wait_minutes(&[600, 300, 120], 3, 1), Some(15));
        // Two counters share the queue: 7.5, rounded up to 8.
        assert_eq!(estimated_wait_minutes(&[600, 300, 120], 3, 2), Some(8));
        // Even sample: the mean of the middle two (240 and 360 s = 5 min).
        assert_eq!(estimated_wait_minutes(&[240, 360, 100, 900], 1, 1), Some(5));
        // No service finished today, or no counter open: no estimate.
        assert_eq!(estimated_wait_minutes(&[], 3, 1), None);
        assert_eq!(estimated_wait_minutes(&[300], 3, 0), None);
    }

    #[test]
    fn the_58mm_ticket_layout() {
        let t = PrintedTicket {
            commune: "Xã Kim Bôi",
            number: "A015",
            service: "Chứng thực bản sao, chữ ký và hợp đồng giao dịch",
            issued_at: chrono::NaiveDate::from_ymd_opt(2026, 12, 8)
                .unwrap()
                .and_hms_opt(8, 5, 0)
                .unwrap(),
            people_ahead: 3,
            status_url:
                "https://motcua.phutho.gov.vn/api/v1/queue/tickets/0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/status",
        };
        let text = ticket_text(&t);
        let expected = [
            "           XÃ KIM BÔI",
            "--------------------------------",
            "           SỐ THỨ TỰ",
            "            A 0 1 5",
            "--------------------------------",
            "Dịch vụ: Chứng thực bản sao, chữ",
            "ký và hợp đồng giao dịch",
            "Giờ lấy số: 08:05 08/12/2026",
            "Số người chờ trước bạn: 3",
            "--------------------------------",
            "Tra cứu số thứ tự:",
            "https://motcua.phutho.gov.vn/api",
            "/v1/queue/tickets/0193a1b2-c3d4-",
            "7e5f-8a9b-0c1d2e3f4a5b/status",
            "",
        ]
        .join("\n");
        assert_eq!(text, expected);
        for line in text.lines() {
            assert!(columns(line) <= TICKET_COLUMNS, "{line:?}");
        }
        // A decomposed tone mark takes no column; a long word is cut, not overflowed.
        assert_eq!(columns("Xa\u{0303}"), 2);
        assert_eq!(columns("Xã"), 2);
        assert!(wrap(&"x".repeat(40), 32).iter().all(|l| columns(l) <= 32));
    }
}

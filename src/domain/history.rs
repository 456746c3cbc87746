//! Who reads which part of a dossier's history.
//!
//! Staff read every entry as recorded. The applicant (a citizen account, the national
//! portal relaying to the applicant, the holder of the receipt's PIN) reads an applicant
//! view: every step and status, but only the comments addressed to the applicant and the
//! data the applicant needs, never officers' internal notes, raw request bodies or staff
//! account ids.
//!
//! What is addressed to the applicant follows Decree 61/2018/NĐ-CP (as amended by Decree
//! 107/2021/NĐ-CP) and Decree 118/2025/NĐ-CP on the one-stop mechanism: a refusal states its
//! reason (Art. 15(2)(b) of 61/2018: "phiếu từ chối tiếp nhận"), a supplement request says
//! in one go what is missing and by when (Art. 15(2)(a): "phiếu yêu cầu bổ sung, hoàn
//! thiện hồ sơ"), a late dossier gets an apology slip with the reason and the new date
//! (Art. 19(2)(b): "phiếu xin lỗi và hẹn lại ngày trả kết quả"), and stopping or
//! withdrawing is notified with its reason. Assignment, proposal, approval, sending back
//! and the other internal steps carry notes between officers.

use serde_json::{Map, Value};

/// Actions whose comment or reason is written to the applicant.
const ADDRESSED_TO_APPLICANT: &[&str] = &[
    "refuse",
    "request_supplement",
    "submit_supplement",
    "request_payment",
    "stop",
    "request_withdrawal",
    "confirm_withdrawal",
    "extend",
    "return_result",
];

/// Data keys the applicant may read, wherever they sit in the entry's data (top level, or
/// inside the recorded request).
const APPLICANT_DATA: &[&str] = &[
    "channel",
    "case_code",
    "missing_items",
    "deadline",
    "new_due_date",
    "delivery",
    "reason",
    "result_id",
    "number_symbol",
    "document",
    "total_vnd",
];

/// Roles of applicants: their own words are theirs to read back.
fn is_applicant_role(role: &str) -> bool {
    matches!(role, "citizen" | "portal_client")
}

/// Whether the applicant view shows the entry's comment.
pub fn comment_visible_to_applicant(action: &str, actor_role: &str) -> bool {
    is_applicant_role(actor_role) || ADDRESSED_TO_APPLICANT.contains(&action)
}

/// Whether the applicant view shows who acted (staff account ids are internal).
pub fn actor_visible_to_applicant(actor_role: &str) -> bool {
    is_applicant_role(actor_role)
}

/// The applicant's part of an entry's data: only [`APPLICANT_DATA`] keys, from the top
/// level or from the recorded `request`; raw request bodies, flags, assignees, hashes and
/// anything else are dropped. Addressed data (`reason`) only for addressed actions.
pub fn applicant_data(action: &str, actor_role: &str, data: &Value) -> Value {
    let addressed = comment_visible_to_applicant(action, actor_role);
    let mut out = Map::new();
    let sources = [Some(data), data.get("request")];
    for src in sources.into_iter().flatten() {
        if let Some(obj) = src.as_object() {
            for key in APPLICANT_DATA {
                if *key == "reason" && !addressed {
                    continue;
                }
                if let Some(v) = obj.get(*key).filter(|v| !v.is_null()) {
                    out.entry(key.to_string()).or_insert_with(|| v.clone());
                }
            }
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ALL_ACTIONS: &[&str] = &[
        "receive",
        "refuse",
        "request_supplement",
        "submit_supplement",
        "start_processing",
        "assign",
        "request_payment",
        "confirm_payment",
        "propose_result",
        "approve_result",
        "reject_proposal",
        "mark_result_ready",
        "return_result",
        "stop",
        "request_withdrawal",
        "confirm_withdrawal",
        "extend",
        "attach_component",
        "fees_assessed",
        "result_issued",
        "result_revoked",
        "submit_online",
        "receive_at_counter",
    ];

    /// Decree 61/2018/NĐ-CP Art. 15(2) and 19(2): refusal, supplement request and the apology
    /// slip are written to the applicant; the officers' notes on assignment, proposal,
    /// approval and sending back are not.
    #[test]
    fn comments_reach_the_applicant_only_where_addressed_to_them() {
        for a in ALL_ACTIONS {
            let staff = comment_visible_to_applicant(a, "leader");
            let want = matches!(
                *a,
                "refuse"
                    | "request_supplement"
                    | "submit_supplement"
                    | "request_payment"
                    | "stop"
                    | "request_withdrawal"
                    | "confirm_withdrawal"
                    | "extend"
                    | "return_result"
            );
            assert_eq!(staff, want, "{a}");
            // The applicant's own words are always theirs to read.
            assert!(comment_visible_to_applicant(a, "citizen"), "{a}");
            assert!(comment_visible_to_applicant(a, "portal_client"), "{a}");
        }
    }

    #[test]
    fn staff_account_ids_are_hidden_from_the_applicant() {
        for r in [
            "reception_officer",
            "specialist",
            "leader",
            "commune_admin",
            "province_supervisor",
            "system_admin",
        ] {
            assert!(!actor_visible_to_applicant(r), "{r}");
        }
        assert!(actor_visible_to_applicant("citizen"));
    }

    #[test]
    fn raw_request_bodies_and_internal_data_are_dropped() {
        let data = json!({
            "request": {"action": "assign", "assignee_id": "u-1", "comment": "Ưu tiên, người quen của lãnh đạo",
                        "reason": "nội bộ", "missing_items": null},
            "flags": ["late_with_apology"], "sha256": "ab", "reused_from": "r1",
        });
        assert_eq!(applicant_data("assign", "leader", &data), json!({}));
        let data = json!({"request": {"action": "request_supplement", "missing_items": ["Bản sao giấy khai sinh"],
                          "deadline": "2026-12-10", "comment": "Thiếu giấy tờ", "reason": null}, "flags": []});
        assert_eq!(
            applicant_data("request_supplement", "reception_officer", &data),
            json!({"missing_items": ["Bản sao giấy khai sinh"], "deadline": "2026-12-10"})
        );
        let data = json!({"request": {"action": "extend", "reason": "Chờ xác minh", "new_due_date": "2026-12-20"}});
        assert_eq!(
            applicant_data("extend", "leader", &data),
            json!({"reason": "Chờ xác minh", "new_due_date": "2026-12-20"})
        );
        let data = json!({"request": {"action": "reject_proposal", "reason": "Sai họ tên"}});
        assert_eq!(
            applicant_data("reject_proposal", "leader", &data),
            json!({})
        );
        let data =
            json!({"document": "Tờ khai", "sha256": "ab", "source": "upload", "reused_from": null});
        assert_eq!(
            applicant_data("attach_component", "citizen", &data),
            json!({"document": "Tờ khai"})
        );
        assert_eq!(
            applicant_data("x", "leader", &json!("not an object")),
            json!({})
        );
    }
}

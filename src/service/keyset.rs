//! Keyset pagination: where a page ends, as the opaque `cursor` a client passes back.
//!
//! Lists ordered newest first by an instant and broken by id carry a [`Keyset`]; a list
//! ordered by one column (a code, a sequence) encodes that value with the same codec, so
//! every cursor of the API is URL-safe base64 of JSON and every malformed one is the same
//! 400 problem.

use base64::Engine;
use chrono::NaiveDateTime;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// The last row of a page: its instant (UTC) and its id, which breaks ties. Encoded as the
/// JSON array `[instant, id]`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Keyset(pub NaiveDateTime, pub String);

/// The cursor of a page that ends at `key`.
pub fn encode<K: Serialize>(key: &K) -> String {
    let json = serde_json::to_vec(key).expect("cursor keys serialize");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

/// The key of a cursor; 400 `query.invalid_cursor` when it is not one this API made.
pub fn decode<K: DeserializeOwned>(cursor: &str) -> Result<K, ApiError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                "query.invalid_cursor",
                "Con trỏ phân trang không hợp lệ.",
                "Invalid pagination cursor.",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keysets_round_trip_and_keep_their_wire_form() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 7)
            .unwrap()
            .and_hms_micro_opt(21, 40, 1, 250)
            .unwrap();
        let k = Keyset(at, "0193-x".into());
        let c = encode(&k);
        assert_eq!(decode::<Keyset>(&c).unwrap(), k);
        // The form the per-list cursor structs had, so cursors handed out before still work.
        assert_eq!(c, encode(&(at, "0193-x")));
    }

    #[test]
    fn malformed_cursors_are_a_400_problem() {
        for bad in [
            "",
            "not base64!",
            &encode(&"just a string"),
            &encode(&(1, 2)),
        ] {
            let e = decode::<Keyset>(bad).unwrap_err();
            assert_eq!(
                (e.status.as_u16(), e.code),
                (400, "query.invalid_cursor"),
                "{bad}"
            );
        }
    }
}

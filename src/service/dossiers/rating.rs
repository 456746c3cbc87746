//! Satisfaction rating of a returned dossier.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::lookup::load_visible;
use super::view::utc;
use crate::auth::Principal;
use crate::db::DbConn;
use crate::domain::dossier_lifecycle::Status;
use crate::domain::text::nfc;
use crate::error::{ApiError, ApiResult};

#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Satisfied,
    Neutral,
    Dissatisfied,
}

impl Rating {
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Satisfied => "satisfied",
            Rating::Neutral => "neutral",
            Rating::Dissatisfied => "dissatisfied",
        }
    }
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rating": "satisfied", "comment": "Cán bộ hướng dẫn tận tình"}))]
pub struct RatingRequest {
    pub rating: Rating,
    #[schema(max_length = 2000)]
    #[validate(length(max = 2000))]
    pub comment: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RatingView {
    pub dossier_code: String,
    pub rating: String,
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Records the applicant's rating of a dossier the caller may see: once, after the return.
pub fn rate(
    conn: &mut DbConn,
    p: &Principal,
    code: &str,
    input: RatingRequest,
) -> ApiResult<RatingView> {
    let d = load_visible(conn, p, code)?;
    if d.status != Status::Returned {
        return Err(ApiError::conflict(
            "dossier.not_returned",
            "Chỉ đánh giá sau khi đã trả kết quả.",
            "A rating is possible only after the result was returned.",
        ));
    }
    if crate::db::models::dossier::rating_of(conn, &d.id)?.is_some() {
        return Err(ApiError::conflict(
            "dossier.already_rated",
            "Hồ sơ đã được đánh giá.",
            "The dossier was already rated.",
        ));
    }
    let now = crate::clock::now().naive_utc();
    let comment = input.comment.as_deref().map(|c| nfc(c.trim()));
    crate::db::models::dossier::insert_rating(
        conn,
        &d.id,
        input.rating.as_str(),
        comment.as_deref(),
        &p.user_id,
        now,
    )?;
    Ok(RatingView {
        dossier_code: d.code,
        rating: input.rating.as_str().to_string(),
        comment,
        created_at: utc(now),
    })
}

//! The legal working-day calendar: holidays, government adjustments, appointment dates.

mod days;
mod deadlines;

pub use days::*;
pub use deadlines::*;

use crate::error::{ApiError, ApiResult};

/// Years the lunar computations support.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2199;

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// Calendar year (default: the current year in Vietnam).
    #[param(minimum = 1900, maximum = 2199)]
    pub year: Option<i32>,
}

fn check_year(year: i32) -> ApiResult<i32> {
    if YEARS.contains(&year) {
        Ok(year)
    } else {
        Err(ApiError::invalid_field(
            "year",
            format!("Năm phải trong khoảng {}–{}.", YEARS.start(), YEARS.end()),
            format!("The year must be within {}–{}.", YEARS.start(), YEARS.end()),
        ))
    }
}

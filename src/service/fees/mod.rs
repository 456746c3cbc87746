//! Fee schedules (phí, lệ phí) and each dossier's assessment: the use cases.
//!
//! Schedules are versioned and never edited: a new version starts on its effective date,
//! and a dossier keeps the versions in force on the day it was filed. Provinces set some
//! amounts (hộ tịch fees by the provincial council), so a schedule may be national, or an
//! override for one province or one commune that names its legal basis; the most specific
//! one in force applies.
//!
//! Where the rules are: fee-line composition ([`compute_lines`]: rule per channel, then
//! exemption), the schedules that apply ([`schedules_in_force`]), re-assessment
//! ([`reassess`]: a paid fee, or one in an open payment, blocks it; so does a finished
//! dossier), and the lifecycle's side of fees ([`check_fees_allow`]).

mod assessment;
mod schedules;

pub use assessment::*;
pub use schedules::*;

use crate::error::{ApiError, ApiResult, FieldErrors, Text};

pub(crate) fn parse_stored<T: serde::de::DeserializeOwned>(s: &str) -> ApiResult<T> {
    serde_json::from_str(s).map_err(ApiError::internal)
}

pub(crate) fn field_error(
    errors: &mut FieldErrors,
    field: &str,
    vi: impl Into<String>,
    en: impl Into<String>,
) {
    errors
        .entry(field.to_string())
        .or_default()
        .push(Text::new(vi, en));
}

#[cfg(test)]
mod tests;

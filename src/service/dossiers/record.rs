//! The closed sets a dossier is described with and the lifecycle details its row keeps as
//! JSON (`dossiers.lifecycle`), shared by intake, transitions, views and the CLI.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::db::models::dossier::Dossier;
use crate::domain::dossier_lifecycle::LifecycleState;
use crate::error::{ApiError, ApiResult};

/// Where a submitted component comes from.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ComponentSource {
    /// Paper handed in at the counter (to be digitized).
    Paper,
    /// A file uploaded with the dossier (see the attachments endpoints).
    Upload,
    /// Taken from the applicant's e-data store, not uploaded again.
    DataStore,
    /// Reused from an earlier dossier of the same applicant.
    Reused,
}

/// How the result goes back to the applicant.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    Counter,
    Post,
    Online,
}

/// Where the dossier stands against its legal deadline.
#[derive(Serialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Timeliness {
    /// Not received yet: the clock has not started.
    NotStarted,
    /// In progress, before the due instant.
    OnTime,
    /// The clock is paused while the applicant supplements the dossier.
    Paused,
    /// In progress past the due instant.
    Overdue,
    /// Finished no later than the due instant.
    FinishedOnTime,
    /// Finished after the due instant (an apology extension does not change this).
    FinishedLate,
}

// ---------------------------------------------------------------- stored lifecycle details

/// What the dossier row keeps as JSON besides its indexed columns.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct LifecycleRecord {
    pub state: LifecycleState,
    #[serde(default)]
    pub components: Vec<ComponentInput>,
    #[serde(default)]
    pub applicant_contact: Option<serde_json::Value>,
    /// Date promised on the apology slip after an extension.
    #[serde(default)]
    pub promised_due_date: Option<NaiveDate>,
    #[serde(default)]
    pub delivery: Option<Delivery>,
    #[serde(default)]
    pub returned_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub supplement: Option<SupplementRequest>,
    /// The apology slip was issued later than one working day before the due date.
    #[serde(default)]
    pub late_apology: bool,
    /// The lawful extension of a certification (Decree 23/2015/NĐ-CP Art. 21), if any.
    #[serde(default)]
    pub certification_extension: Option<CertificationExtension>,
}

/// A certification deadline extended under Decree 23/2015/NĐ-CP Art. 21.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug)]
pub struct CertificationExtension {
    /// 1 or 2 working days.
    pub days: u32,
    pub reason: String,
    /// The due instant before the extension.
    pub previous_due_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize, ToSchema, Clone, Debug)]
pub struct SupplementRequest {
    pub missing_items: Vec<String>,
    /// Date by which the applicant should supplement.
    pub deadline: NaiveDate,
    pub requested_at: DateTime<Utc>,
}

#[derive(Deserialize, Serialize, Validate, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct ComponentInput {
    /// Name of the required document, exactly as in the procedure case.
    #[schema(min_length = 1, max_length = 500)]
    #[validate(length(min = 1, max = 500))]
    pub document: String,
    pub source: ComponentSource,
    /// For `data_store` / `reused`: the reference (store id or earlier dossier code).
    #[schema(max_length = 200)]
    #[validate(length(max = 200))]
    pub reference: Option<String>,
}

pub fn record_of(d: &Dossier) -> ApiResult<LifecycleRecord> {
    serde_json::from_str(&d.lifecycle)
        .map_err(|e| ApiError::internal(format!("dossier {}: corrupt lifecycle: {e}", d.code)))
}

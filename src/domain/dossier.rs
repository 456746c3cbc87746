//! The closed sets a dossier row is described with besides its status (which is
//! `dossier_lifecycle::Status`): stored as text (`db::text_enum!`), named in the API.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How the dossier reached the commune (national `KenhThucHien`: 1, 2, 3).
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// At the one-stop counter (1).
    Counter,
    /// Online, by the applicant or through the national portal (2).
    Online,
    /// By public postal service (3).
    Post,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Counter => "counter",
            Channel::Online => "online",
            Channel::Post => "post",
        }
    }
    pub fn parse(s: &str) -> Option<Channel> {
        [Channel::Counter, Channel::Online, Channel::Post]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
    pub fn national_code(self) -> u8 {
        match self {
            Channel::Counter => 1,
            Channel::Online => 2,
            Channel::Post => 3,
        }
    }
}

/// Who the dossier is for.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ApplicantType {
    /// Công dân: identified by the 12-digit personal ID.
    Citizen,
    /// Doanh nghiệp / hộ kinh doanh: identified by the tax code.
    Business,
    /// Tổ chức: identified by the tax code.
    Organisation,
}

impl ApplicantType {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicantType::Citizen => "citizen",
            ApplicantType::Business => "business",
            ApplicantType::Organisation => "organisation",
        }
    }
    pub fn parse(s: &str) -> Option<ApplicantType> {
        [
            ApplicantType::Citizen,
            ApplicantType::Business,
            ApplicantType::Organisation,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip_and_match_serde() {
        for c in [Channel::Counter, Channel::Online, Channel::Post] {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        for t in [
            ApplicantType::Citizen,
            ApplicantType::Business,
            ApplicantType::Organisation,
        ] {
            assert_eq!(ApplicantType::parse(t.as_str()), Some(t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
        assert_eq!(Channel::parse("Online"), None);
    }
}

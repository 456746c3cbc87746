//! Account roles: a closed set, stored as text (`db::text_enum!`) and named in tokens.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A user's role. One role per account keeps audits readable: an officer who also leads
/// gets two accounts, as the national system does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An applicant with an online account (công dân, doanh nghiệp).
    Citizen,
    /// One-stop counter officer (cán bộ một cửa): intake, digitization, slips, returns.
    ReceptionOfficer,
    /// Processing specialist (chuyên viên).
    Specialist,
    /// Leader who approves and signs (lãnh đạo).
    Leader,
    /// Administers one commune: its accounts, catalog publication, contact details.
    CommuneAdmin,
    /// Reads across one province (provincial monitoring and reports).
    ProvinceSupervisor,
    /// Service account of the National Public Service Portal integration.
    PortalClient,
    /// Administers the whole system.
    SystemAdmin,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Citizen,
        Role::ReceptionOfficer,
        Role::Specialist,
        Role::Leader,
        Role::CommuneAdmin,
        Role::ProvinceSupervisor,
        Role::PortalClient,
        Role::SystemAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Citizen => "citizen",
            Role::ReceptionOfficer => "reception_officer",
            Role::Specialist => "specialist",
            Role::Leader => "leader",
            Role::CommuneAdmin => "commune_admin",
            Role::ProvinceSupervisor => "province_supervisor",
            Role::PortalClient => "portal_client",
            Role::SystemAdmin => "system_admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Commune staff roles are bound to exactly one commune.
    pub fn requires_commune(self) -> bool {
        matches!(
            self,
            Role::ReceptionOfficer | Role::Specialist | Role::Leader | Role::CommuneAdmin
        )
    }

    /// A province supervisor is bound to exactly one province.
    pub fn requires_province(self) -> bool {
        self == Role::ProvinceSupervisor
    }

    /// Roles a commune admin may grant: its own commune's staff and citizens, never a role
    /// above its own and never the cross-commune service or province roles.
    pub fn manageable_by_commune_admin(self) -> bool {
        matches!(
            self,
            Role::Citizen
                | Role::ReceptionOfficer
                | Role::Specialist
                | Role::Leader
                | Role::CommuneAdmin
        )
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::parse(s).ok_or_else(|| {
            let all: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
            format!("unknown role '{s}'; one of: {}", all.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_strings_round_trip_and_match_serde() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        assert_eq!(Role::parse("admin"), None);
    }

    #[test]
    fn commune_admin_cannot_grant_cross_commune_roles() {
        for r in [
            Role::ProvinceSupervisor,
            Role::PortalClient,
            Role::SystemAdmin,
        ] {
            assert!(!r.manageable_by_commune_admin());
        }
    }
}

//! Roles and what each may reach. See docs/security.md "Roles" for the table.

use crate::domain::roles::Role;

/// A set of roles a handler accepts, named so the signature says who may call it:
/// `auth: Authorized<UserAdmins>`.
pub trait Policy {
    const ROLES: &'static [Role];
}

macro_rules! policy {
    ($(#[$m:meta])* $name:ident: $($role:ident),+) => {
        $(#[$m])*
        pub struct $name;
        impl Policy for $name {
            const ROLES: &'static [Role] = &[$(Role::$role),+];
        }
    };
}

policy!(
    /// Account administration.
    UserAdmins: CommuneAdmin, SystemAdmin
);
policy!(
    /// Whole-system configuration (catalog, calendar).
    SystemAdmins: SystemAdmin
);
policy!(
    /// A commune's own configuration (contact details, catalog publication).
    CommuneAdmins: CommuneAdmin, SystemAdmin
);
policy!(
    /// Filing a dossier: at the counter, or online by the applicant or the national portal.
    DossierIntake: ReceptionOfficer, Citizen, PortalClient
);
policy!(
    /// Recording a satisfaction rating: the applicant, or the counter on their behalf.
    Raters: Citizen, ReceptionOfficer
);
policy!(
    /// Adding component files to a dossier: the counter, or the applicant (and the portal).
    Uploaders: ReceptionOfficer, Citizen, PortalClient
);
policy!(
    /// Paying fees: the counter records cash and card, the applicant pays online.
    Payers: ReceptionOfficer, Citizen
);
policy!(
    /// Reading a commune's indicator reports: its staff, the province, the system.
    ReportReaders: ReceptionOfficer, Specialist, Leader, CommuneAdmin, ProvinceSupervisor, SystemAdmin
);
policy!(
    /// Reading a province's reports and ranking.
    ProvinceReaders: ProvinceSupervisor, SystemAdmin
);
policy!(
    /// Acts of a citizen on their own account (claiming a counter dossier).
    Citizens: Citizen
);
policy!(
    /// Any authenticated account.
    AnyRole: Citizen, ReceptionOfficer, Specialist, Leader, CommuneAdmin, ProvinceSupervisor, PortalClient, SystemAdmin
);

//! Who may see which records: one rule table, and from it both the predicate for a single
//! record ([`Scope::admits`]) and the filter for a list ([`scope_filter!`]).
//!
//! The rule is the same everywhere: a record outside the caller's reach is answered 404, as
//! if it did not exist, so that codes and ids of other communes cannot be probed. Whether a
//! role may call an operation *at all* (403) is the job of the `Policy` guards in
//! [`super::roles`]; this table says *which records* an allowed caller reaches.
//!
//! docs/security.md "Access rules" shows [`markdown_table`]; a unit test keeps the two in step.

use super::extract::{role_forbidden, Principal};
use crate::domain::roles::Role;
use crate::error::ApiError;

/// A kind of record the API hands out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resource {
    /// A dossier and everything read or written through it: attachments, fees, payments of
    /// the dossier, history, receipt, portal sync, rating, transitions.
    Dossier,
    /// The event feed (`GET /events`): the events of the dossiers the caller reaches.
    EventFeed,
    /// The list of payments (`GET /payments`). A single payment follows its dossier.
    PaymentList,
    /// A digital result (issued document) and its file and history.
    DigitalResult,
    /// A commune's certification book and its digitization statistics and records.
    CertificationBook,
    /// A commune's board: indicator report, readiness board and its items.
    CommuneBoard,
    /// A province's board: report, ranking, readiness board and configuration.
    ProvinceBoard,
    /// A commune's own configuration: contact details, published procedures.
    CommuneSettings,
    /// User accounts.
    Account,
    /// The national-portal outbox.
    PortalOutbox,
    /// Webhook subscriptions and their deliveries.
    Webhook,
    /// The catalog, fee schedules, calendar and administrative registry: public reference.
    Reference,
    /// A commune's queue: counters, kiosk devices, tickets and calling.
    Queue,
}

impl Resource {
    pub const ALL: [Resource; 13] = [
        Resource::Dossier,
        Resource::EventFeed,
        Resource::PaymentList,
        Resource::DigitalResult,
        Resource::CertificationBook,
        Resource::CommuneBoard,
        Resource::ProvinceBoard,
        Resource::CommuneSettings,
        Resource::Account,
        Resource::PortalOutbox,
        Resource::Webhook,
        Resource::Reference,
        Resource::Queue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Dossier => "dossier (attachments, fees, payment, history)",
            Resource::EventFeed => "event feed",
            Resource::PaymentList => "payment list",
            Resource::DigitalResult => "digital result",
            Resource::CertificationBook => "certification book, digitization",
            Resource::CommuneBoard => "commune report / readiness",
            Resource::ProvinceBoard => "province report / readiness",
            Resource::CommuneSettings => "commune settings, published procedures",
            Resource::Account => "user account",
            Resource::PortalOutbox => "portal outbox",
            Resource::Webhook => "webhook",
            Resource::Reference => "catalog, fee schedules, calendar, registry",
            Resource::Queue => "queue counters, kiosks, tickets",
        }
    }
}

/// Which records of a resource a role reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Every record in the country.
    All,
    /// The records of the caller's province.
    Province,
    /// The records of the caller's commune.
    Commune,
    /// The records the caller's account owns.
    Own,
    /// The records the caller's account owns, or whose owner is the caller's identity
    /// (the ID number on the account).
    OwnOrIdentity,
    /// A portal service account: its commune if bound to one, else its province if bound to
    /// one, else the whole country (the national portal).
    Binding,
    /// No record.
    Nothing,
}

impl Reach {
    pub fn as_str(self) -> &'static str {
        match self {
            Reach::All => "all",
            Reach::Province => "province",
            Reach::Commune => "commune",
            Reach::Own => "own",
            Reach::OwnOrIdentity => "own (account or ID)",
            Reach::Binding => "binding",
            Reach::Nothing => "—",
        }
    }
}

/// The rule table: what `role` reaches of `resource`. Columns follow `Role::ALL`.
pub fn reach(resource: Resource, role: Role) -> Reach {
    use Reach::{All, Binding, Commune as C, Nothing as N, Own, OwnOrIdentity, Province as P};
    // citizen, reception_officer, specialist, leader, commune_admin, province_supervisor,
    // portal_client, system_admin
    let row: [Reach; 8] = match resource {
        Resource::Dossier => [Own, C, C, C, C, P, Binding, All],
        Resource::EventFeed => [Own, C, C, C, C, P, Binding, All],
        Resource::PaymentList => [Own, C, C, C, C, P, N, All],
        Resource::DigitalResult => [OwnOrIdentity, C, C, C, C, P, Binding, All],
        Resource::CertificationBook => [N, C, C, C, C, P, N, All],
        Resource::CommuneBoard => [N, C, C, C, C, P, N, All],
        Resource::ProvinceBoard => [N, N, N, N, N, P, N, All],
        Resource::CommuneSettings => [N, N, N, N, C, N, N, All],
        Resource::Account => [N, N, N, N, C, N, N, All],
        Resource::PortalOutbox => [N, N, N, N, C, N, N, All],
        Resource::Webhook => [N, N, N, N, C, N, N, All],
        Resource::Reference => [All, All, All, All, All, All, All, All],
        Resource::Queue => [N, C, C, C, C, N, N, All],
    };
    let i = Role::ALL
        .iter()
        .position(|r| *r == role)
        .expect("every role is in Role::ALL");
    row[i]
}

/// The records a caller reaches of one resource: a value the db layer turns into a WHERE
/// clause ([`scope_filter!`]) and that decides a single record ([`Scope::admits`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    All,
    Province(String),
    Commune(String),
    /// Records owned by this account, or (when `identity` is set) by this ID number.
    Owner {
        account: String,
        identity: Option<String>,
    },
    Nothing,
}

/// Where a record sits: what [`Scope::admits`] compares. Unknown parts are `None`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Place<'a> {
    pub commune: Option<&'a str>,
    pub province: Option<&'a str>,
    /// The owning account.
    pub owner: Option<&'a str>,
    /// The owner's ID number, where the record names one.
    pub identity: Option<&'a str>,
}

impl<'a> Place<'a> {
    /// A record of a commune (the commune itself, or something filed there).
    pub fn commune(commune: &'a str, province: &'a str) -> Place<'a> {
        Place {
            commune: Some(commune),
            province: Some(province),
            ..Place::default()
        }
    }

    /// A record of a province as a whole.
    pub fn province(province: &'a str) -> Place<'a> {
        Place {
            province: Some(province),
            ..Place::default()
        }
    }

    /// A record owned by an account (or by nobody: a counter dossier).
    pub fn owned(mut self, owner: Option<&'a str>) -> Place<'a> {
        self.owner = owner;
        self
    }

    /// The ID number of the record's owner.
    pub fn identity(mut self, id_number: &'a str) -> Place<'a> {
        self.identity = Some(id_number);
        self
    }
}

/// The caller's scope over `resource`. `identity` is the ID number on the caller's account;
/// it is consulted only where the table says `OwnOrIdentity` (pass `None` elsewhere).
pub fn scope_with_identity(p: &Principal, resource: Resource, identity: Option<String>) -> Scope {
    let own_commune = || {
        p.commune_code
            .clone()
            .map(Scope::Commune)
            .unwrap_or(Scope::Nothing)
    };
    let own_province = || {
        p.province_code
            .clone()
            .map(Scope::Province)
            .unwrap_or(Scope::Nothing)
    };
    match reach(resource, p.role) {
        Reach::All => Scope::All,
        // A staff token without its commune (or a supervisor's without its province)
        // reaches nothing: missing binding never widens the scope.
        Reach::Province => own_province(),
        Reach::Commune => own_commune(),
        Reach::Own => Scope::Owner {
            account: p.user_id.clone(),
            identity: None,
        },
        Reach::OwnOrIdentity => Scope::Owner {
            account: p.user_id.clone(),
            identity: identity.filter(|i| !i.is_empty()),
        },
        Reach::Binding => match (&p.commune_code, &p.province_code) {
            (Some(c), _) => Scope::Commune(c.clone()),
            (None, Some(pv)) => Scope::Province(pv.clone()),
            (None, None) => Scope::All,
        },
        Reach::Nothing => Scope::Nothing,
    }
}

/// The caller's scope over `resource` (without the account's identity).
pub fn scope(p: &Principal, resource: Resource) -> Scope {
    scope_with_identity(p, resource, None)
}

/// The roles that reach anything of `resource`: those that may call its operations at all.
pub fn roles_reaching(resource: Resource) -> Vec<Role> {
    Role::ALL
        .into_iter()
        .filter(|r| reach(resource, *r) != Reach::Nothing)
        .collect()
}

/// The caller's scope over `resource`, or 403 when its role reaches nothing of it (the
/// operation is not for this role at all, as opposed to a record out of scope: 404).
pub fn require(p: &Principal, resource: Resource) -> Result<Scope, ApiError> {
    if reach(resource, p.role) == Reach::Nothing {
        return Err(role_forbidden(p.role, &roles_reaching(resource)));
    }
    Ok(scope(p, resource))
}

/// Whether the caller reaches this record of `resource`.
pub fn may_see(p: &Principal, resource: Resource, place: Place<'_>) -> bool {
    scope(p, resource).admits(place)
}

impl Scope {
    /// The predicate for a single record, the same rule as the list filter.
    pub fn admits(&self, place: Place<'_>) -> bool {
        match self {
            Scope::All => true,
            Scope::Province(p) => place.province == Some(p.as_str()),
            Scope::Commune(c) => place.commune == Some(c.as_str()),
            Scope::Owner { account, identity } => {
                place.owner == Some(account.as_str())
                    || identity
                        .as_deref()
                        .is_some_and(|i| place.identity == Some(i))
            }
            Scope::Nothing => false,
        }
    }

    /// The single commune this scope is limited to, if it is one; `None` for the whole
    /// system. Any other scope (province, owner, nothing) is limited to no commune at all
    /// and is reported as `Some("")`, which matches no record.
    pub fn commune_or_all(&self) -> Option<String> {
        match self {
            Scope::All => None,
            Scope::Commune(c) => Some(c.clone()),
            _ => Some(String::new()),
        }
    }
}

/// A condition no row satisfies, for scopes that reach nothing of a table.
pub fn nothing() -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
    diesel::dsl::sql::<diesel::sql_types::Bool>("1 = 0")
}

/// Restricts a boxed query to a [`Scope`]: `scope_filter!(q, scope, commune = t::commune_code,
/// province = t::province_code, owner = t::owner_user_id, identity = t::owner_id_number)`.
/// Every column is optional; a scope kind whose column is not given matches nothing.
#[macro_export]
macro_rules! scope_filter {
    (@col $q:ident, $v:ident) => {{
        let _ = $v;
        $q.filter($crate::auth::access::nothing())
    }};
    (@col $q:ident, $v:ident, $col:expr) => { $q.filter($col.eq($v)) };
    (@either $q:ident, $a:ident, $i:ident) => {{
        let _ = ($a, $i);
        $q.filter($crate::auth::access::nothing())
    }};
    (@either $q:ident, $a:ident, $i:ident, $o:expr) => {{
        let _ = $i;
        $q.filter($o.eq($a))
    }};
    (@either $q:ident, $a:ident, $i:ident, $o:expr, $id:expr) => {
        $q.filter($o.eq($a).or($id.eq($i)))
    };
    ($q:expr, $scope:expr
        $(, commune = $c:expr)? $(, province = $p:expr)? $(, owner = $o:expr)? $(, identity = $id:expr)? $(,)?) => {{
        #[allow(unused_imports)]
        use diesel::prelude::*;
        use $crate::auth::access::Scope;
        let q = $q;
        match ($scope).clone() {
            Scope::All => q,
            Scope::Nothing => q.filter($crate::auth::access::nothing()),
            Scope::Commune(v) => $crate::scope_filter!(@col q, v $(, $c)?),
            Scope::Province(v) => $crate::scope_filter!(@col q, v $(, $p)?),
            Scope::Owner { account, identity: None } => $crate::scope_filter!(@col q, account $(, $o)?),
            Scope::Owner { account, identity: Some(i) } => $crate::scope_filter!(@either q, account, i $(, $o)? $(, $id)?),
        }
    }};
}

/// The rule table as Markdown, for docs/security.md "Access rules".
pub fn markdown_table() -> String {
    let mut out = String::from("| resource |");
    for r in Role::ALL {
        out.push_str(&format!(" {} |", r.as_str()));
    }
    out.push_str("\n|---|");
    for _ in Role::ALL {
        out.push_str("---|");
    }
    out.push('\n');
    for res in Resource::ALL {
        out.push_str(&format!("| {} |", res.as_str()));
        for r in Role::ALL {
            out.push_str(&format!(" {} |", reach(res, r).as_str()));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, commune: Option<&str>, province: Option<&str>) -> Principal {
        Principal {
            user_id: "u1".into(),
            role,
            commune_code: commune.map(str::to_string),
            province_code: province.map(str::to_string),
        }
    }

    /// A caller as the test fixtures make them: staff of commune 04978 in province 25, a
    /// supervisor of 25, a portal client bound to nothing (the national portal).
    fn typical(role: Role) -> Principal {
        match role {
            Role::ReceptionOfficer | Role::Specialist | Role::Leader | Role::CommuneAdmin => {
                principal(role, Some("04978"), Some("25"))
            }
            Role::ProvinceSupervisor => principal(role, None, Some("25")),
            _ => principal(role, None, None),
        }
    }

    const HOME: Place<'static> = Place {
        commune: Some("04978"),
        province: Some("25"),
        owner: Some("u1"),
        identity: Some("001090000001"),
    };
    const NEIGHBOUR: Place<'static> = Place {
        commune: Some("04795"),
        province: Some("25"),
        owner: Some("u2"),
        identity: Some("001090000002"),
    };
    const FAR: Place<'static> = Place {
        commune: Some("00004"),
        province: Some("01"),
        owner: Some("u3"),
        identity: Some("001090000003"),
    };

    /// Every resource × role × place: the predicate follows the table's reach.
    #[test]
    fn predicate_follows_the_table_for_every_cell() {
        for res in Resource::ALL {
            for role in Role::ALL {
                let p = typical(role);
                let s = scope(&p, res);
                let got = [HOME, NEIGHBOUR, FAR].map(|pl| s.admits(pl));
                let want = match reach(res, role) {
                    Reach::All => [true, true, true],
                    Reach::Province => [true, true, false],
                    Reach::Commune | Reach::Own | Reach::OwnOrIdentity => [true, false, false],
                    // Unbound portal client: the whole country.
                    Reach::Binding => [true, true, true],
                    Reach::Nothing => [false, false, false],
                };
                assert_eq!(got, want, "{res:?} × {role}");
            }
        }
    }

    #[test]
    fn missing_binding_never_widens_the_scope() {
        for role in [
            Role::ReceptionOfficer,
            Role::Specialist,
            Role::Leader,
            Role::CommuneAdmin,
        ] {
            let p = principal(role, None, Some("25"));
            assert_eq!(scope(&p, Resource::Dossier), Scope::Nothing);
            assert!(!may_see(&p, Resource::Dossier, HOME));
        }
        let p = principal(Role::ProvinceSupervisor, None, None);
        assert_eq!(scope(&p, Resource::ProvinceBoard), Scope::Nothing);
    }

    #[test]
    fn portal_client_reaches_its_binding() {
        let c = principal(Role::PortalClient, Some("04978"), Some("25"));
        assert!(may_see(&c, Resource::Dossier, HOME));
        assert!(!may_see(&c, Resource::Dossier, NEIGHBOUR));
        let pv = principal(Role::PortalClient, None, Some("25"));
        assert!(may_see(&pv, Resource::Dossier, NEIGHBOUR));
        assert!(!may_see(&pv, Resource::Dossier, FAR));
        assert!(!may_see(&pv, Resource::CommuneBoard, HOME));
    }

    #[test]
    fn citizen_owns_by_account_and_results_also_by_identity() {
        let p = typical(Role::Citizen);
        let by_account = Place::commune("00004", "01").owned(Some("u1"));
        let by_id = Place::commune("00004", "01")
            .owned(Some("u9"))
            .identity("001090000009");
        assert!(may_see(&p, Resource::Dossier, by_account));
        assert!(!may_see(&p, Resource::Dossier, by_id));
        let s = scope_with_identity(&p, Resource::DigitalResult, Some("001090000009".into()));
        assert!(s.admits(by_account) && s.admits(by_id));
        // The identity is not consulted for dossiers, nor when the account has none.
        let s = scope_with_identity(&p, Resource::Dossier, Some("001090000009".into()));
        assert!(!s.admits(by_id));
        let s = scope_with_identity(&p, Resource::DigitalResult, Some(String::new()));
        assert!(!s.admits(Place::default().identity("")));
    }

    #[test]
    fn a_province_record_is_never_reached_through_a_commune() {
        let staff = typical(Role::CommuneAdmin);
        assert!(!may_see(
            &staff,
            Resource::ProvinceBoard,
            Place::province("25")
        ));
        let sup = typical(Role::ProvinceSupervisor);
        assert!(may_see(
            &sup,
            Resource::ProvinceBoard,
            Place::province("25")
        ));
        assert!(!may_see(
            &sup,
            Resource::ProvinceBoard,
            Place::province("01")
        ));
    }

    /// The role guards of the scoped operations say the same as the table: the roles a guard
    /// lets through are exactly those that reach something of the resource.
    #[test]
    fn role_guards_agree_with_the_table() {
        use crate::auth::roles::{
            CommuneAdmins, Policy, ProvinceReaders, ReportReaders, UserAdmins,
        };
        use crate::service::readiness::{ProvinceReadiness, ReadinessReaders};
        use std::collections::BTreeSet;
        fn set(roles: &[Role]) -> BTreeSet<&'static str> {
            roles.iter().map(|r| r.as_str()).collect()
        }
        let cases: [(&[Role], Resource); 8] = [
            (UserAdmins::ROLES, Resource::Account),
            (CommuneAdmins::ROLES, Resource::CommuneSettings),
            (CommuneAdmins::ROLES, Resource::PortalOutbox),
            (CommuneAdmins::ROLES, Resource::Webhook),
            (ReportReaders::ROLES, Resource::CommuneBoard),
            (ReadinessReaders::ROLES, Resource::CommuneBoard),
            (ProvinceReaders::ROLES, Resource::ProvinceBoard),
            (ProvinceReadiness::ROLES, Resource::ProvinceBoard),
        ];
        for (guard, resource) in cases {
            assert_eq!(set(guard), set(&roles_reaching(resource)), "{resource:?}");
        }
    }

    #[test]
    fn readme_shows_the_rule_table() {
        let readme = include_str!("../../docs/security.md");
        assert!(
            readme.contains(&markdown_table()),
            "docs/security.md \"Access rules\" is out of step with src/auth/access.rs; paste:\n{}",
            markdown_table()
        );
    }
}

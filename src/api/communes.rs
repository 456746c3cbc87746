//! The registry of provinces and communes: public reads, contact details kept by each commune.

use actix_web::{get, patch, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use super::conditional::{reply, Caching, NotModified};
use super::extract::{etag, IfMatch, Page, PageParams, ValidJson};
use crate::api::problems::{
    JsonBody, NotAuthenticated, PageQuery, ProvinceNotFound, RoleNotAllowed, Versioned,
};
use crate::auth::access::{self, Place, Resource};
use crate::auth::roles::CommuneAdmins;
use crate::auth::Authorized;
use crate::db::models::registry::{Commune, Province};
use crate::domain::fields::rule;
use crate::domain::text::fold;
use crate::error::{ApiError, ApiResult};
use crate::service::registry::{self as service, CommuneSummary, ContactChanges};
use crate::state::AppState;

/// Kind of commune-level unit.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UnitType {
    /// Xã (rural commune).
    Xa,
    /// Phường (urban ward).
    Phuong,
    /// Đặc khu (special zone).
    DacKhu,
}

impl UnitType {
    pub fn as_str(self) -> &'static str {
        match self {
            UnitType::Xa => "xa",
            UnitType::Phuong => "phuong",
            UnitType::DacKhu => "dac_khu",
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ProvinceView {
    #[schema(example = "25")]
    pub code: String,
    #[schema(example = "Phú Thọ")]
    pub name: String,
    #[schema(example = "Tỉnh Phú Thọ")]
    pub full_name: String,
    #[schema(example = "Phu Tho")]
    pub name_en: String,
    /// `tinh` or `thanh_pho_truc_thuoc_trung_uong`.
    #[schema(example = "tinh")]
    pub unit_type: String,
    /// The merger it resulted from, as published.
    #[schema(example = "tỉnh Hòa Bình, tỉnh Vĩnh Phúc và tỉnh Phú Thọ")]
    pub formed_from: String,
}

impl From<Province> for ProvinceView {
    fn from(p: Province) -> Self {
        ProvinceView {
            code: p.code,
            name: p.name,
            full_name: p.full_name,
            name_en: p.name_en,
            unit_type: p.unit_type,
            formed_from: p.formed_from,
        }
    }
}

/// A former unit merged into the commune on 1 July 2025.
#[derive(Serialize, ToSchema, Clone)]
pub struct PredecessorView {
    #[schema(example = "Vĩnh Đồng")]
    pub name: String,
    /// `xa`, `phuong`, `thi_tran`… when the published text says.
    #[schema(example = "xa")]
    pub unit_type: Option<String>,
    /// Only part of the former unit joined this commune.
    pub partial: bool,
}

fn predecessors_of(json: &str) -> Vec<PredecessorView> {
    let values: Vec<serde_json::Value> = serde_json::from_str(json).unwrap_or_default();
    values
        .into_iter()
        .filter_map(|v| {
            Some(PredecessorView {
                name: v.get("name")?.as_str()?.to_string(),
                unit_type: v
                    .get("unit_type")
                    .and_then(|t| t.as_str())
                    .map(str::to_string),
                partial: v.get("partial").and_then(|p| p.as_bool()).unwrap_or(false),
            })
        })
        .collect()
}

/// Service-center contact details, maintained by the commune.
#[derive(Serialize, ToSchema)]
pub struct ContactView {
    #[schema(example = "Thôn Bo, xã Kim Bôi, tỉnh Phú Thọ")]
    pub address: Option<String>,
    #[schema(example = "0218 3871 234")]
    pub phone: Option<String>,
    pub email: Option<String>,
    #[schema(example = "Thứ Hai–Thứ Sáu 07:00–11:30, 13:30–17:00")]
    pub opening_hours: Option<String>,
}

/// A commune in full.
#[derive(Serialize, ToSchema)]
pub struct CommuneView {
    #[schema(example = "04978")]
    pub code: String,
    pub name: String,
    pub full_name: String,
    pub name_en: String,
    pub unit_type: String,
    pub province_code: String,
    pub province_name: String,
    /// Merger lineage exactly as published.
    pub formed_from: String,
    /// The same lineage parsed into former units.
    pub predecessors: Vec<PredecessorView>,
    /// Agency identifier used in dossier codes and national messages (mã định danh điện
    /// tử); the fallback `H{province}.{commune}` until the issued one is recorded.
    #[schema(example = "H25.04978")]
    pub agency_code: String,
    /// True while the commune has not recorded its issued agency identifier: its dossier
    /// codes use the fallback and its portal messages wait in the outbox.
    pub agency_code_is_default: bool,
    pub contact: ContactView,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

impl CommuneView {
    fn new(c: Commune, province_name: String) -> Self {
        CommuneView {
            agency_code: c.agency_id(),
            agency_code_is_default: c.agency_code.is_none(),
            predecessors: predecessors_of(&c.predecessors),
            code: c.code,
            name: c.name,
            full_name: c.full_name,
            name_en: c.name_en,
            unit_type: c.unit_type,
            province_code: c.province_code,
            province_name,
            formed_from: c.formed_from,
            contact: ContactView {
                address: c.address,
                phone: c.phone,
                email: c.email,
                opening_hours: c.opening_hours,
            },
            version: c.version,
            updated_at: c.updated_at.and_utc(),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommuneFilter {
    /// Province code (2 digits).
    pub province_code: Option<String>,
    pub unit_type: Option<UnitType>,
    /// Name or former unit name; accent-, case- and tone-placement-insensitive
    /// ("hoa binh" = "Hòa Bình" = "Hoà Bình").
    pub q: Option<String>,
}

/// List provinces.
///
/// Public. The 34 provinces and centrally-run cities in force since 1 July 2025, by code.
#[utoipa::path(tag = "registry", params(PageParams), responses(
    (status = 200, body = Page<ProvinceView>),
    NotModified,
    PageQuery,
))]
#[get("/provinces")]
pub async fn list_provinces(
    req: HttpRequest,
    state: web::Data<AppState>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    page.checked()?;
    let limit = page.limit();
    let after: Option<String> = page.cursor()?;
    let rows = state
        .db(move |conn| Ok(Province::page(conn, after, limit)?))
        .await?;
    let page = Page::from_rows(
        rows,
        limit,
        |p: &Province| p.code.clone(),
        ProvinceView::from,
    );
    reply(&req, None, Caching::Public, &page)
}

/// Read a province.
///
/// Public.
#[utoipa::path(tag = "registry", params(("code" = String, Path, description = "Province code, 2 digits")), responses(
    (status = 200, body = ProvinceView),
    NotModified,
    ProvinceNotFound,
))]
#[get("/provinces/{code}")]
pub async fn get_province(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let code = code.into_inner();
    let p = state
        .db(move |conn| Ok(Province::find(conn, &code)?))
        .await?;
    let p = p.ok_or_else(|| ApiError::not_found("tỉnh", "Province"))?;
    reply(&req, None, Caching::Public, &ProvinceView::from(p))
}

/// List and search communes.
///
/// Public. Filter by province and unit type; `q` searches the current name and the names of
/// the former units merged into each commune, so "Vĩnh Đồng" finds Xã Kim Bôi. Ordered by code.
#[utoipa::path(tag = "registry", params(CommuneFilter, PageParams), responses(
    (status = 200, body = Page<CommuneSummary>),
    NotModified,
    PageQuery,
))]
#[get("/communes")]
pub async fn list_communes(
    req: HttpRequest,
    state: web::Data<AppState>,
    filter: web::Query<CommuneFilter>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    page.checked()?;
    let limit = page.limit();
    let after: Option<String> = page.cursor()?;
    let filter = filter.into_inner();
    let needle = filter.q.as_deref().map(fold).filter(|s| !s.is_empty());
    let index = match state.registry.fresh() {
        Some(index) => index,
        None => {
            let st = state.clone();
            state.db(move |conn| Ok(st.registry.load(conn)?)).await?
        }
    };
    let (items, more) = service::search_communes(
        &index,
        filter.province_code.as_deref(),
        filter.unit_type.map(UnitType::as_str),
        needle.as_deref(),
        after.as_deref(),
        limit,
    );
    let next_cursor = if more {
        items
            .last()
            .map(|c| crate::service::keyset::encode(&c.code))
    } else {
        None
    };
    reply(&req, None, Caching::Public, &Page { items, next_cursor })
}

async fn load_view(state: &AppState, code: String) -> ApiResult<CommuneView> {
    let (c, province) = state
        .db(move |conn| service::commune_with_province(conn, &code))
        .await?;
    Ok(CommuneView::new(c, province))
}

/// Read a commune.
///
/// Public. Official data, merger lineage, agency identifier and service-center contacts.
#[utoipa::path(tag = "registry", params(("code" = String, Path, description = "Commune code, 5 digits")), responses(
    (status = 200, body = CommuneView, headers(("ETag" = String, description = "Record version"))),
    NotModified,
    (status = 404, description = "No such commune", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/communes/{code}")]
pub async fn get_commune(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let view = load_view(&state, code.into_inner()).await?;
    reply(&req, Some(view.version), Caching::Public, &view)
}

fn validate_agency_code(s: &str) -> Result<(), ValidationError> {
    let ok = !s.is_empty()
        && s.len() <= 40
        && s.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        });
    if ok {
        Ok(())
    } else {
        Err(rule(
            "agency_code",
            "Mã định danh cơ quan gồm các nhóm chữ in hoa/số cách nhau bởi dấu chấm, ví dụ 000.17.22.H56.",
            "An agency identifier is dot-separated groups of uppercase letters and digits, e.g. 000.17.22.H56.",
        ))
    }
}

fn validate_email_or_empty(s: &str) -> Result<(), ValidationError> {
    if s.is_empty() || validator::ValidateEmail::validate_email(&s) {
        Ok(())
    } else {
        Err(rule(
            "email",
            "Địa chỉ email không hợp lệ.",
            "Invalid email address.",
        ))
    }
}

/// Contact details to change. Absent fields stay; an empty string clears a field
/// (`agency_code` "" returns to the default identifier).
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"address": "Thôn Bo, xã Kim Bôi, tỉnh Phú Thọ", "phone": "0218 3871 234",
    "opening_hours": "Thứ Hai–Thứ Sáu 07:00–11:30, 13:30–17:00", "agency_code": "000.25.01.H25"}))]
pub struct UpdateCommune {
    #[schema(max_length = 40, pattern = r"^([0-9A-Z]+(\.[0-9A-Z]+)*)?$")]
    #[validate(custom(function = "validate_agency_code_or_empty"))]
    pub agency_code: Option<String>,
    #[schema(max_length = 500)]
    #[validate(length(max = 500))]
    pub address: Option<String>,
    #[validate(custom(function = "crate::domain::fields::phone_or_empty"))]
    pub phone: Option<String>,
    #[validate(custom(function = "validate_email_or_empty"))]
    pub email: Option<String>,
    #[schema(max_length = 500)]
    #[validate(length(max = 500))]
    pub opening_hours: Option<String>,
}

fn validate_agency_code_or_empty(s: &str) -> Result<(), ValidationError> {
    if s.is_empty() {
        Ok(())
    } else {
        validate_agency_code(s)
    }
}

/// Update a commune's agency identifier and service-center contacts.
///
/// **Roles:** `commune_admin` of that commune (another commune is 404), `system_admin`.
/// `agency_code` is the electronic identifier the commune was issued (mã định danh điện
/// tử, QĐ 20/2020/QĐ-TTg): unique among communes (409 `commune.agency_code_taken`), never
/// the fallback form `H{province}.{commune}` (422). Setting it releases the commune's
/// portal messages that waited for it; new dossier codes use it (existing codes stay).
/// Official names and lineage come from the national registry and are not editable here.
/// Requires `If-Match`.
#[utoipa::path(tag = "registry", security(("bearer" = [])), request_body = UpdateCommune,
    params(("code" = String, Path, description = "Commune code"), ("If-Match" = String, Header, description = "ETag of the version being changed")),
    responses(
    (status = 200, body = CommuneView, headers(("ETag" = String, description = "New record version"))),
    JsonBody, Versioned, NotAuthenticated, RoleNotAllowed,
    (status = 404, description = "No such commune visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "The agency identifier is held by another commune (`commune.agency_code_taken`)", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields, or the reserved fallback form H{province}.{commune} as agency identifier", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[patch("/communes/{code}")]
pub async fn update_commune(
    state: web::Data<AppState>,
    auth: Authorized<CommuneAdmins>,
    code: web::Path<String>,
    if_match: IfMatch,
    body: ValidJson<UpdateCommune>,
) -> ApiResult<HttpResponse> {
    let code = code.into_inner();
    let place = Place {
        commune: Some(&code),
        ..Place::default()
    };
    if !access::may_see(&auth, Resource::CommuneSettings, place) {
        return Err(ApiError::not_found("xã/phường", "Commune"));
    }
    let input = body.0;
    let changes = ContactChanges {
        agency_code: input.agency_code,
        address: input.address,
        phone: input.phone,
        email: input.email,
        opening_hours: input.opening_hours,
    };
    let c = code.clone();
    state
        .db_tx(move |conn| service::update_commune(conn, &c, if_match.0, changes))
        .await?;
    log::info!("commune {code} contact details updated by {}", auth.user_id);
    let view = load_view(&state, code).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(view.version))
        .json(view))
}

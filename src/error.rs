//! One error type for the whole API, rendered as RFC 9457 `application/problem+json`.
//!
//! Handlers return `Result<_, ApiError>`. The body is rendered by the `problem` middleware
//! (api/middleware.rs), which knows the request path, the request id and the caller's
//! language; `error_response` here only carries the error to it.

use std::collections::BTreeMap;
use std::fmt;

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// A message in both languages the API speaks: Vietnamese by default, English on request.
#[derive(Clone, Debug, PartialEq)]
pub struct Text {
    pub vi: String,
    pub en: String,
}

impl Text {
    pub fn new(vi: impl Into<String>, en: impl Into<String>) -> Self {
        Text {
            vi: vi.into(),
            en: en.into(),
        }
    }
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Vi => &self.vi,
            Lang::En => &self.en,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    /// English when the caller's first language preference is English, Vietnamese otherwise.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(h) = header else { return Lang::Vi };
        let mut best: Option<(f32, Lang)> = None;
        for part in h.split(',') {
            let mut it = part.trim().split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = it
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let lang = if tag.starts_with("en") {
                Lang::En
            } else if tag.starts_with("vi") {
                Lang::Vi
            } else {
                continue;
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or(Lang::Vi)
    }
}

/// Field → messages, for 422 responses.
pub type FieldErrors = BTreeMap<String, Vec<Text>>;

#[derive(Clone, Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable machine-readable code, e.g. `dossier.transition_not_allowed`.
    pub code: &'static str,
    pub detail: Text,
    pub field_errors: Option<FieldErrors>,
    /// Extra members merged into the problem body (e.g. `allowed_actions`).
    pub extra: Option<serde_json::Value>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Internal cause, logged for 5xx and never sent to the client.
    pub cause: Option<String>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        vi: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            code,
            detail: Text::new(vi, en),
            field_errors: None,
            extra: None,
            headers: Vec::new(),
            cause: None,
        }
    }

    pub fn bad_request(code: &'static str, vi: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, vi, en)
    }
    pub fn unauthorized(code: &'static str, vi: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, vi, en).with_header("www-authenticate", "Bearer")
    }
    pub fn forbidden(code: &'static str, vi: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, vi, en)
    }
    /// 404 for a missing record, and equally for one the caller may not see (no existence leak).
    pub fn not_found(what_vi: &str, what_en: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("Không tìm thấy {what_vi}."),
            format!("{what_en} not found."),
        )
    }
    pub fn conflict(code: &'static str, vi: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, vi, en)
    }
    pub fn unprocessable(code: &'static str, vi: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, vi, en)
    }
    /// 422 with one message for one field.
    pub fn invalid_field(field: &str, vi: impl Into<String>, en: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.insert(field.to_string(), vec![Text::new(vi, en)]);
        Self::validation(errors)
    }
    pub fn validation(errors: FieldErrors) -> Self {
        let mut e = Self::unprocessable(
            "validation",
            "Dữ liệu gửi lên không hợp lệ.",
            "The request data is invalid.",
        );
        e.field_errors = Some(errors);
        e
    }
    pub fn service_unavailable(cause: impl fmt::Display) -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database.unavailable",
            "Cơ sở dữ liệu tạm thời không truy cập được, vui lòng thử lại sau.",
            "The database is temporarily unavailable; please retry later.",
        )
        .with_header("retry-after", "5");
        e.cause = Some(cause.to_string());
        e
    }
    pub fn internal(cause: impl fmt::Display) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Lỗi hệ thống. Mã yêu cầu giúp bộ phận kỹ thuật tra cứu.",
            "Internal error. The request id helps support find it.",
        );
        e.cause = Some(cause.to_string());
        e
    }
    pub fn precondition_failed() -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "precondition_failed",
            "Bản ghi đã bị thay đổi bởi người khác (ETag không khớp). Tải lại rồi thử lại.",
            "The record was changed by someone else (ETag mismatch). Reload and retry.",
        )
    }
    pub fn precondition_required() -> Self {
        Self::new(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition_required",
            "Cần gửi tiêu đề If-Match với ETag hiện tại của bản ghi.",
            "Send an If-Match header with the record's current ETag.",
        )
    }

    pub fn with_header(mut self, name: &'static str, value: impl AsRef<str>) -> Self {
        if let Ok(v) = HeaderValue::from_str(value.as_ref()) {
            self.headers.push((HeaderName::from_static(name), v));
        }
        self
    }
    pub fn with_extra(mut self, extra: serde_json::Value) -> Self {
        self.extra = Some(extra);
        self
    }

    /// The problem body for this error in the given language.
    pub fn to_problem(&self, lang: Lang, instance: &str, request_id: &str) -> Problem {
        Problem {
            type_: format!("/problems/{}", self.code.replace(['.', '_'], "-")),
            title: status_title(self.status, lang).to_string(),
            status: self.status.as_u16(),
            detail: self.detail.get(lang).to_string(),
            instance: instance.to_string(),
            code: self.code.to_string(),
            request_id: request_id.to_string(),
            errors: self.field_errors.as_ref().map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.iter().map(|t| t.get(lang).to_string()).collect(),
                        )
                    })
                    .collect()
            }),
            extra: self.extra.clone(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.detail.en
        )?;
        if let Some(c) = &self.cause {
            write!(f, " ({c})")?;
        }
        Ok(())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }
    /// A placeholder the `problem` middleware replaces with the localized body.
    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        for (k, v) in &self.headers {
            res.insert_header((k.clone(), v.clone()));
        }
        res.content_type(PROBLEM_JSON)
            .json(self.to_problem(Lang::Vi, "", ""))
    }
}

pub const PROBLEM_JSON: &str = "application/problem+json";

/// RFC 9457 problem details, as every error response of this API carries.
#[derive(Serialize, ToSchema, Debug)]
#[schema(example = json!({
    "type": "/problems/validation", "title": "Dữ liệu không hợp lệ", "status": 422,
    "detail": "Dữ liệu gửi lên không hợp lệ.", "instance": "/api/v1/users",
    "code": "validation", "request_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
    "errors": {"username": ["Tên đăng nhập phải có từ 3 đến 64 ký tự."]}
}))]
pub struct Problem {
    /// Stable URI reference naming the kind of problem.
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The request path.
    pub instance: String,
    /// Stable machine-readable code; never changes with the language.
    pub code: String,
    /// Same as the `X-Request-Id` response header.
    pub request_id: String,
    /// For 422: field → messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<BTreeMap<String, Vec<String>>>,
    /// Problem-specific members (e.g. `allowed_actions`).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub extra: Option<serde_json::Value>,
}

pub fn status_title(status: StatusCode, lang: Lang) -> &'static str {
    let (vi, en) = match status.as_u16() {
        400 => ("Yêu cầu không hợp lệ", "Bad request"),
        401 => ("Chưa xác thực", "Unauthorized"),
        403 => ("Không có quyền", "Forbidden"),
        404 => ("Không tìm thấy", "Not found"),
        405 => ("Phương thức không được hỗ trợ", "Method not allowed"),
        406 => ("Không chấp nhận được", "Not acceptable"),
        409 => ("Xung đột", "Conflict"),
        412 => ("Điều kiện tiên quyết không thỏa", "Precondition failed"),
        413 => ("Dữ liệu quá lớn", "Payload too large"),
        415 => ("Kiểu nội dung không được hỗ trợ", "Unsupported media type"),
        422 => ("Dữ liệu không hợp lệ", "Unprocessable content"),
        428 => ("Cần điều kiện tiên quyết", "Precondition required"),
        429 => ("Quá nhiều yêu cầu", "Too many requests"),
        503 => ("Dịch vụ tạm thời không khả dụng", "Service unavailable"),
        s if s >= 500 => ("Lỗi hệ thống", "Internal server error"),
        _ => ("Lỗi", "Error"),
    };
    match lang {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

/// An error response actix or a middleware produced without going through ApiError
/// (no route, wrong method, CORS refusal…), described by its status alone.
pub fn from_status(status: StatusCode) -> ApiError {
    let (code, vi, en) = match status.as_u16() {
        404 => (
            "not_found",
            "Không tìm thấy tài nguyên.",
            "No such resource.",
        ),
        405 => (
            "method_not_allowed",
            "Phương thức HTTP này không được hỗ trợ cho đường dẫn.",
            "This HTTP method is not supported for the path.",
        ),
        413 => (
            "payload_too_large",
            "Dữ liệu gửi lên quá lớn.",
            "The request body is too large.",
        ),
        s if s >= 500 => ("internal", "Lỗi hệ thống.", "Internal error."),
        _ => (
            "http_error",
            "Yêu cầu không thực hiện được.",
            "The request could not be served.",
        ),
    };
    ApiError::new(status, code, vi, en)
}

// ---- Conversions from the errors of the libraries we call ----

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as K, Error as E};
        match &e {
            E::NotFound => ApiError::not_found("bản ghi", "Record"),
            E::DatabaseError(K::UniqueViolation, _) => ApiError::conflict(
                "duplicate",
                "Bản ghi với mã này đã tồn tại.",
                "A record with this code already exists.",
            ),
            E::DatabaseError(K::ForeignKeyViolation, _) => ApiError::unprocessable(
                "reference_not_found",
                "Dữ liệu tham chiếu đến bản ghi không tồn tại.",
                "The data refers to a record that does not exist.",
            ),
            E::DatabaseError(K::ClosedConnection | K::UnableToSendCommand, _)
            | E::BrokenTransactionManager => ApiError::service_unavailable(&e),
            E::DatabaseError(K::SerializationFailure, _) => ApiError::conflict(
                "concurrent_update",
                "Bản ghi đang được người khác cập nhật, vui lòng thử lại.",
                "The record is being updated concurrently; please retry.",
            ),
            E::DatabaseError(_, info) if is_busy(info.message()) => {
                ApiError::service_unavailable(&e)
            }
            _ => ApiError::internal(&e),
        }
    }
}

fn is_busy(message: &str) -> bool {
    message.contains("database is locked") || message.contains("database is busy")
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        ApiError::service_unavailable(e)
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::internal(e)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

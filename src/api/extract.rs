//! Request extractors shared by every resource: validated JSON bodies, `If-Match`, paging.

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::error::{ApiError, FieldErrors, Text};
use crate::service::keyset;
use crate::state::AppState;

/// A JSON body that parsed and passed its `Validate` rules.
///
/// 415 for a non-JSON content type, 413 above `MAX_JSON_BYTES`, 400 for malformed JSON,
/// 422 for wrong types, unknown or missing fields (with the field's path) and rule violations.
pub struct ValidJson<T>(pub T);

/// The client's key for throttling: the TCP peer's address, or, when `TRUST_FORWARDED_FOR`
/// says a reverse proxy in front of us appends to `X-Forwarded-For`, the right-most entry
/// of it that is not one of `TRUSTED_PROXIES` (the left entries are the client's own
/// writing). IPv6 clients are counted per /64 (see `netguard::client_key`).
pub fn client_ip(req: &HttpRequest) -> String {
    let state = req.app_data::<web::Data<AppState>>();
    let peer = req.peer_addr().map(|a| a.ip());
    // Several header lines are one list, in order.
    let forwarded = state
        .filter(|s| s.config.trust_forwarded_for)
        .map(|_| {
            req.headers()
                .get_all("x-forwarded-for")
                .map(|v| v.to_str().unwrap_or("?"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .filter(|h| !h.is_empty());
    let trusted = state.map_or(&[][..], |s| &s.config.trusted_proxies[..]);
    crate::netguard::client_address(peer, forwarded.as_deref(), trusted)
        .map(crate::netguard::client_key)
        .unwrap_or_else(|| "unknown".into())
}

pub fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok())
        .is_some_and(|m| {
            m.type_() == mime::APPLICATION
                && (m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON))
        })
}

pub fn payload_too_large(limit: usize) -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("Dữ liệu gửi lên vượt quá giới hạn {limit} byte."),
        format!("The request body exceeds the {limit}-byte limit."),
    )
}

/// Reads the whole body, refusing it as soon as it grows past `limit`.
pub async fn read_body(
    req: &HttpRequest,
    mut payload: Payload,
    limit: usize,
) -> Result<web::BytesMut, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(payload_too_large(limit));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::bad_request(
                "body.unreadable",
                format!("Không đọc được nội dung yêu cầu: {e}"),
                format!("Could not read the request body: {e}"),
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err(payload_too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Parses JSON, telling malformed syntax (400) from well-formed data of the wrong shape (422).
///
/// Every JSON body of the API goes through here, so two rules hold everywhere: the body is
/// one JSON value and nothing else (`{…} {"x":` is 400, not a value and some garbage), and no
/// string holds U+0000 (PostgreSQL cannot store it in text; 422 naming the field).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut *de) {
        Ok(v) => {
            de.end().map_err(|e| malformed(&e))?;
            reject_nul_in_json(bytes)?;
            Ok(v)
        }
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            use serde_json::error::Category;
            match inner.classify() {
                Category::Data => {
                    // JSON Schema counts `3.0` as the integer 3, and so do the generators and
                    // validators that read our document: accept it where an integer is due.
                    if let Some(v) = serde_json::from_slice::<serde_json::Value>(bytes)
                        .ok()
                        .and_then(|mut v| whole_floats_as_integers(&mut v).then_some(v))
                        .and_then(|v| serde_json::from_value::<T>(v).ok())
                    {
                        reject_nul_in_json(bytes)?;
                        return Ok(v);
                    }
                    let msg = inner.to_string();
                    // serde appends " at line L column C"; the field path says more.
                    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                    // A missing or unknown field is reported at its parent: name the field itself.
                    let named = ["missing field `", "unknown field `"]
                        .iter()
                        .find_map(|p| msg.strip_prefix(p))
                        .and_then(|rest| rest.split('`').next());
                    let parent = if path == "." { None } else { Some(path) };
                    let field = match (parent, named) {
                        (Some(p), Some(n)) if !p.ends_with(n) => format!("{p}.{n}"),
                        (Some(p), _) => p,
                        (None, Some(n)) => n.to_string(),
                        (None, None) => "body".to_string(),
                    };
                    Err(ApiError::invalid_field(
                        &field,
                        format!("Giá trị không hợp lệ: {msg}"),
                        msg,
                    ))
                }
                _ => Err(malformed(&inner)),
            }
        }
    }
}

/// Rewrites every number written with a zero fraction (`3.0`, `1e3`) that a double holds
/// exactly (|n| ≤ 2^53) as an integer; whether anything changed.
fn whole_floats_as_integers(v: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 {
                *v = Value::from(f as i64);
                true
            } else {
                false
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, i| whole_floats_as_integers(i) | changed),
        Value::Object(map) => map
            .values_mut()
            .fold(false, |changed, i| whole_floats_as_integers(i) | changed),
        _ => false,
    }
}

fn malformed(inner: &serde_json::Error) -> ApiError {
    ApiError::bad_request(
        "json.malformed",
        format!(
            "JSON không đúng cú pháp (dòng {}, cột {}).",
            inner.line(),
            inner.column()
        ),
        format!(
            "Malformed JSON (line {}, column {}).",
            inner.line(),
            inner.column()
        ),
    )
}

/// The 422 for a text that holds U+0000, naming where it is.
pub fn nul_error(field: &str) -> ApiError {
    ApiError::invalid_field(
        field,
        "Không được chứa ký tự NUL (U+0000).",
        "Must not contain the NUL character (U+0000).",
    )
}

/// A NUL can only reach a JSON string as the escape `\u0000`: look for the escape first
/// and walk the parsed document only when it is there, to name the field.
fn reject_nul_in_json(bytes: &[u8]) -> Result<(), ApiError> {
    const ESCAPE: &[u8] = b"\\u0000";
    if !bytes.windows(ESCAPE.len()).any(|w| w == ESCAPE) {
        return Ok(());
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Ok(());
    };
    match nul_path(&value, "") {
        Some(path) => Err(nul_error(if path.is_empty() { "body" } else { &path })),
        None => Ok(()),
    }
}

/// The path (`applicant.full_name`, `items[2]`) of the first string or key holding U+0000.
fn nul_path(value: &serde_json::Value, path: &str) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) => s.contains('\0').then(|| path.to_string()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_path(v, &format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let p = if path.is_empty() {
                k.replace('\0', "")
            } else {
                format!("{path}.{}", k.replace('\0', ""))
            };
            if k.contains('\0') {
                Some(p)
            } else {
                nul_path(v, &p)
            }
        }),
        _ => None,
    }
}

/// The name of the first query parameter whose value (or name) decodes to a text holding
/// U+0000. In a URI a NUL can only be written `%00`.
pub fn nul_query_param(query: &str) -> Option<String> {
    if !query.contains("%00") {
        return None;
    }
    query.split('&').find_map(|pair| {
        pair.contains("%00").then(|| {
            let name = pair.split('=').next().unwrap_or("");
            let name = name.replace("%00", "");
            if name.is_empty() {
                "query".to_string()
            } else {
                name
            }
        })
    })
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            if !is_json(&req) {
                return Err(ApiError::new(
                    actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "Nội dung phải là JSON (Content-Type: application/json).",
                    "The body must be JSON (Content-Type: application/json).",
                ));
            }
            let limit = req
                .app_data::<web::Data<AppState>>()
                .map(|s| s.config.max_json_bytes)
                .unwrap_or(1 << 20);
            let body = read_body(&req, payload, limit).await?;
            let value: T = parse_json(&body)?;
            value.validate().map_err(validation_error)?;
            Ok(ValidJson(value))
        })
    }
}

/// Turns validator's errors into the 422 field map, in both languages.
pub fn validation_error(errors: ValidationErrors) -> ApiError {
    let mut out = FieldErrors::new();
    collect(&errors, "", &mut out);
    ApiError::validation(out)
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut FieldErrors) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                let texts = list.iter().map(validation_text).collect::<Vec<_>>();
                out.entry(path).or_default().extend(texts);
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    collect(inner, &format!("{path}[{i}]"), out);
                }
            }
        }
    }
}

/// Message for one violated rule. Custom validators put their Vietnamese text in `message`
/// and their English text in the `en` param; built-in rules are phrased here.
fn validation_text(e: &validator::ValidationError) -> Text {
    let p = |k: &str| {
        e.params
            .get(k)
            .map(|v| v.to_string().trim_matches('"').to_string())
    };
    if let (Some(vi), Some(en)) = (&e.message, p("en")) {
        return Text::new(vi.to_string(), en);
    }
    match e.code.as_ref() {
        "length" => match (p("min"), p("max")) {
            (Some(min), Some(max)) => Text::new(
                format!("Độ dài phải từ {min} đến {max} ký tự."),
                format!("Length must be between {min} and {max} characters."),
            ),
            (Some(min), None) => Text::new(
                format!("Cần ít nhất {min} ký tự."),
                format!("At least {min} characters."),
            ),
            (None, Some(max)) => Text::new(
                format!("Tối đa {max} ký tự."),
                format!("At most {max} characters."),
            ),
            _ => Text::new("Độ dài không hợp lệ.", "Invalid length."),
        },
        "range" => match (p("min"), p("max")) {
            (Some(min), Some(max)) => Text::new(
                format!("Giá trị phải từ {min} đến {max}."),
                format!("Value must be between {min} and {max}."),
            ),
            _ => Text::new("Giá trị ngoài khoảng cho phép.", "Value out of range."),
        },
        "email" => Text::new("Địa chỉ email không hợp lệ.", "Invalid email address."),
        "regex" => Text::new("Sai định dạng.", "Invalid format."),
        "required" => Text::new("Bắt buộc.", "Required."),
        other => Text::new(
            format!("Không hợp lệ ({other})."),
            format!("Invalid ({other})."),
        ),
    }
}

/// The record version a client holds, from `If-Match: "<version>"` (or a read's weak tag
/// `W/"<version>.<hash>"`). Required (428) on mutations of existing records; a value that is
/// not an entity tag is 400 (reloading would not help); a tag that is not the current version
/// is 412, decided by the service after the body is validated and the record found.
pub struct IfMatch(pub i64);

impl IfMatch {
    fn parse(value: &str) -> Option<i64> {
        let tag = value.trim();
        let tag = tag.strip_prefix("W/").unwrap_or(tag);
        let inner = tag.strip_prefix('"')?.strip_suffix('"')?;
        let version = inner.split_once('.').map_or(inner, |(v, _)| v);
        if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        version.parse().ok()
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = match req.headers().get(header::IF_MATCH) {
            None => Err(ApiError::precondition_required()),
            Some(v) => v
                .to_str()
                .ok()
                .and_then(IfMatch::parse)
                .map(IfMatch)
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "precondition.invalid_if_match",
                        "If-Match phải là ETag của bản đang sửa, ví dụ \"3\".",
                        "If-Match must be the ETag of the version being changed, e.g. \"3\".",
                    )
                }),
        };
        std::future::ready(result)
    }
}

/// The optional `Idempotency-Key` header: 1–200 visible characters, or 400.
pub fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(v) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    v.to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .map(|k| Some(k.to_string()))
        .ok_or_else(|| {
            ApiError::bad_request(
                "idempotency.invalid_key",
                "Idempotency-Key không hợp lệ.",
                "Invalid Idempotency-Key.",
            )
        })
}

/// The `ETag` value of a record version.
pub fn etag(version: i64) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
}

/// `?limit=&cursor=` of every list (keyset pagination).
#[derive(Deserialize, IntoParams, Validate, Debug, Default)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    #[validate(range(min = 1, max = 100))]
    pub limit: Option<i64>,
    /// Opaque cursor: the previous page's `next_cursor`, passed back unchanged (URL-safe
    /// base64 without padding, as the pattern states). Only a cursor this list handed out
    /// decodes; any other is 400 `query.invalid_cursor`.
    #[param(min_length = 2, pattern = r"^([A-Za-z0-9_-]{4})*[A-Za-z0-9_-]{2,4}$")]
    pub cursor: Option<String>,
}

impl PageParams {
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(20).clamp(1, 100)
    }
    pub fn checked(&self) -> Result<(), ApiError> {
        self.validate().map_err(validation_error)
    }
    pub fn cursor<T: DeserializeOwned>(&self) -> Result<Option<T>, ApiError> {
        self.cursor.as_deref().map(keyset::decode).transpose()
    }
}

/// One page of a list.
#[derive(Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T: ToSchema> Page<T> {
    /// Builds a page from up to `limit + 1` rows: the extra row only proves there is more.
    pub fn from_rows<R, K: Serialize>(
        mut rows: Vec<R>,
        limit: i64,
        key: impl Fn(&R) -> K,
        view: impl Fn(R) -> T,
    ) -> Self {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| keyset::encode(&key(r)))
        } else {
            None
        };
        Page {
            items: rows.into_iter().map(view).collect(),
            next_cursor,
        }
    }
}

//! Reading a multipart form: one `file` part (streamed, refused past the limit) and small
//! text parts.

use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;

use super::extract::payload_too_large;
use crate::error::{ApiError, ApiResult};

pub struct Form {
    /// The bytes and the client's file name of the `file` part.
    pub file: Option<(Vec<u8>, String)>,
    /// Every other part as UTF-8 text.
    pub fields: HashMap<String, String>,
}

impl Form {
    pub fn file(&self) -> ApiResult<&(Vec<u8>, String)> {
        self.file
            .as_ref()
            .filter(|(b, _)| !b.is_empty())
            .ok_or_else(|| {
                ApiError::bad_request(
                    "multipart.missing_file",
                    "Thiếu phần `file`.",
                    "The `file` part is missing.",
                )
            })
    }

    /// A JSON part parsed as `T` (422 naming the part when it is not).
    pub fn json<T: serde::de::DeserializeOwned>(&self, name: &str) -> ApiResult<T> {
        let text = self.fields.get(name).ok_or_else(|| {
            ApiError::invalid_field(
                name,
                format!("Thiếu phần `{name}`."),
                format!("The `{name}` part is missing."),
            )
        })?;
        super::extract::parse_json(text.as_bytes())
    }
}

pub async fn read_form(req: &HttpRequest, payload: web::Payload, limit: usize) -> ApiResult<Form> {
    let is_multipart = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !is_multipart {
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Tệp phải gửi dạng multipart/form-data.",
            "Files are sent as multipart/form-data.",
        ));
    }
    if req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > limit + 64 * 1024)
    {
        return Err(payload_too_large(limit));
    }
    let malformed = |e: actix_multipart::MultipartError| {
        ApiError::bad_request(
            "multipart.invalid",
            format!("Dữ liệu multipart không hợp lệ: {e}"),
            format!("Invalid multipart body: {e}"),
        )
    };
    let mut multipart = Multipart::new(req.headers(), payload.into_inner());
    let mut form = Form {
        file: None,
        fields: HashMap::new(),
    };
    let mut total = 0usize;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(malformed)?;
        let name = field.name().unwrap_or("").to_string();
        let file_name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .unwrap_or("")
            .to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(malformed)?;
            total += chunk.len();
            if total > limit {
                return Err(payload_too_large(limit));
            }
            bytes.extend_from_slice(&chunk);
        }
        if name == "file" {
            form.file = Some((bytes, file_name));
        } else {
            let text = String::from_utf8(bytes).map_err(|_| {
                ApiError::bad_request(
                    "multipart.invalid",
                    format!("Phần `{name}` không phải UTF-8."),
                    format!("Part `{name}` is not UTF-8."),
                )
            })?;
            if text.contains('\0') || name.contains('\0') {
                return Err(super::extract::nul_error(&name.replace('\0', "")));
            }
            form.fields.insert(name, text);
        }
    }
    Ok(form)
}

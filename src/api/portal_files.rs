//! The files the national portal fetches by link (component files and digital results of
//! the dossiers it was sent), without an account: the link itself is the authorisation
//! (`portal::links`), and every fetch is logged.

use actix_web::{get, web, HttpRequest, HttpResponse};

use crate::db::models::dossier::{attachment_file, file_content_type};
use crate::db::models::result::live_result_file;
use crate::error::{ApiError, ApiResult};
use crate::files::FileStore;
use crate::portal::links::{self, LinkError, Target};
use crate::state::AppState;

fn not_found() -> ApiError {
    ApiError::not_found("tệp", "File")
}

/// A file the portal was sent a link to.
///
/// **Public** (the national portal follows the links in `TaiLieuNop[].DuongDanTaiTepTin`
/// and `DanhSachGiayToKetQua[].DuongDanTepTinKetQua`): the token names one component
/// file or digital result and its expiry, signed by the server (`PORTAL_FILE_LINK_TTL_SECS`).
/// An altered or unknown token, or a revoked result, is 404; an expired one is 410.
/// Every fetch is logged with the file and the client address, never the token.
#[utoipa::path(tag = "portal", params(("token" = String, Path, description = "Signed link token")), responses(
    (status = 200, description = "The file", content_type = "application/octet-stream", body = Vec<u8>),
    (status = 404, description = "Invalid token, or no such file", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 410, description = "The link expired", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 500, description = "The stored file is missing or altered", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/public/portal-files/{token}")]
pub async fn fetch(
    state: web::Data<AppState>,
    token: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let target = match links::signer().verify(&token, crate::clock::now()) {
        Ok(t) => t,
        Err(LinkError::Expired) => {
            return Err(ApiError::new(
                actix_web::http::StatusCode::GONE,
                "portal_file.link_expired",
                "Liên kết tải tệp đã hết hạn.",
                "The file link has expired.",
            ))
        }
        Err(LinkError::Invalid) => return Err(not_found()),
    };
    let t = target.clone();
    let (sha, name, content_type) = state
        .db(move |conn| {
            let (sha, name) = match &t {
                Target::Attachment(id) => attachment_file(conn, id)?,
                Target::Result(id) => live_result_file(conn, id)?
                    .map(|(sha, n)| (sha, format!("{}.pdf", n.replace(['/', '\\'], "-")))),
            }
            .ok_or_else(not_found)?;
            let ct = file_content_type(conn, &sha)?
                .map(|(ct, _)| ct)
                .unwrap_or_else(|| "application/pdf".into());
            Ok((sha, name, ct))
        })
        .await?;
    let store = FileStore::new(&state.config.upload_dir);
    let s = sha.clone();
    let bytes = web::block(move || store.get(&s)).await?.map_err(|e| {
        log::error!("portal file {target:?} ({sha}): {e}");
        ApiError::new(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            "portal_file.integrity_failed",
            "Tệp lưu trữ bị thiếu hoặc không còn khớp với mã băm.",
            "The stored file is missing or no longer matches its hash.",
        )
    })?;
    log::info!(
        "portal file link served: {target:?} to {}",
        super::extract::client_ip(&req)
    );
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(super::attachments::content_disposition(&name))
        .insert_header(("x-content-type-options", "nosniff"))
        .insert_header(("cache-control", "private, no-store"))
        .body(bytes))
}

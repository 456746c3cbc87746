//! Catalog files: export and import (CSV or JSON), through `service::catalog`, the code
//! path the command line uses too.

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};

use super::{ExportParams, ImportParams, ImportReport, ImportSource};
use crate::api::extract::{parse_json, read_body};
use crate::api::problems::{NotAuthenticated, RoleNotAllowed};
use crate::auth::roles::SystemAdmins;
use crate::auth::Authorized;
use crate::domain::catalog::{FileFormat, ProcedureContent};
use crate::error::{ApiError, ApiResult, Lang};
use crate::service::catalog;
use crate::state::AppState;

/// Export the catalog as CSV or JSON.
///
/// Public: the catalog is public information. Writes the **latest** version of every
/// procedure, active or not, by code — the content an import compares with — so that
/// exporting and importing the file back changes nothing.
///
/// **CSV** (default; UTF-8 with a byte-order mark so that spreadsheets read it as UTF-8): one
/// row per procedure and case, columns `code, name, field, implementing_level, legal_basis,
/// result_type, case_code, case_name, processing_time, time_unit, cutoff, online_level,
/// documents`. `documents` is a `;`-separated list of `NAME (FORM, COUNT, required|optional[, store])`,
/// e.g. `Tờ khai (original, 1, required); Giấy chứng sinh (original, 1, required, store)`.
/// **JSON**: an array of procedures in the shape `POST /procedures` takes.
#[utoipa::path(tag = "procedures", params(ExportParams), responses(
    (status = 200, description = "The catalog file", content(
        (String = "text/csv", example = "code,name,field,implementing_level,legal_basis,result_type,case_code,case_name,processing_time,time_unit,cutoff,online_level,documents\n1.001193,Đăng ký khai sinh,Hộ tịch,commune,,both,default,Trường hợp chung,0,same_day,15:00,full,\"Tờ khai (original, 1, required)\"\n"),
        (Vec<ProcedureContent> = "application/json", example = json!([{
            "code": "1.001193", "name": "Đăng ký khai sinh", "field": "Hộ tịch", "result_type": "both",
            "implementing_level": "commune", "legal_basis": "",
            "cases": [{"code": "default", "name": "Trường hợp chung", "online_level": "full",
                "processing_time": {"value": 0, "unit": "same_day", "cutoff": "15:00"},
                "documents": [{"name": "Tờ khai", "form": "original", "count": 1, "required": true, "from_data_store_allowed": false}]}]
        }])),
    ), headers(("Content-Disposition" = String, description = "attachment; filename=\"procedures.csv\" (or .json)"))),
    (status = 400, description = "Unknown format", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/procedures/export")]
pub async fn export_procedures(
    state: web::Data<AppState>,
    params: web::Query<ExportParams>,
) -> ApiResult<HttpResponse> {
    let format = params.format.unwrap_or_default();
    let text = state.db(move |conn| catalog::export(conn, format)).await?;
    let (content_type, file) = match format {
        FileFormat::Csv => ("text/csv; charset=utf-8", "procedures.csv"),
        FileFormat::Json => ("application/json", "procedures.json"),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ))
        .body(text))
}

/// Import procedures from a CSV or JSON file.
///
/// **Roles:** `system_admin`. An idempotent upsert by procedure code: a new code creates the
/// procedure, changed content adds a version (effective from the row's `effective_from`, else
/// today), unchanged content changes nothing. The active flag is not part of a file: an import
/// never deactivates or reactivates a procedure.
///
/// Body: `text/csv` (format of `GET /procedures/export`, plus an optional `effective_from`
/// column; columns in any order; required: `code, name, field, result_type, time_unit,
/// online_level`) or `application/json` (an array of procedures as `POST /procedures` takes),
/// at most `MAX_IMPORT_BYTES` (default 10 MiB).
///
/// With `source=portal` the body is the national portal's catalog JSON (procedures with
/// `MaTTHC`, `TenTTHC`, `TruongHop`, `ThanhPhanHoSo`…), read into this format first: the
/// portal's catalog sync, idempotent (unchanged procedures stay unchanged, changed ones get
/// a new version).
///
/// The response is a validation report: counts of inserted, updated, unchanged and rejected
/// procedures and every rejected row with its row number, code, field and message. In
/// `all_or_nothing` mode (default) one invalid procedure means nothing is imported: 422 with
/// the report as `report` (and the findings in `errors` as `rows[N].field`). In `partial` mode
/// the valid procedures are imported and the rejected ones reported with 200. A file that
/// cannot be read at all (unknown or missing columns, JSON that is not an array) is 422 in
/// both modes.
#[utoipa::path(tag = "procedures", security(("bearer" = [])), params(ImportParams),
    request_body(content(
        (String = "text/csv", example = "code,name,field,result_type,case_code,processing_time,time_unit,cutoff,online_level,documents\n1.001193,Đăng ký khai sinh,Hộ tịch,both,default,0,same_day,15:00,full,\"Tờ khai (original, 1, required); Giấy chứng sinh (original, 1, required, store)\"\n2.000815,Chứng thực bản sao từ bản chính,Chứng thực,paper,default,0,same_day,15:00,partial,\"Bản chính giấy tờ (original, 1, required)\"\n"),
        (Vec<ProcedureContent> = "application/json", example = json!([{
            "code": "1.001193", "name": "Đăng ký khai sinh", "field": "Hộ tịch", "result_type": "both",
            "cases": [{"code": "default", "name": "Trường hợp chung", "online_level": "full",
                "processing_time": {"value": 0, "unit": "same_day", "cutoff": "15:00"},
                "documents": [{"name": "Tờ khai", "form": "original"}]}]
        }])),
    )),
    responses(
    (status = 200, description = "Imported (in partial mode, possibly with rejected rows)", body = ImportReport),
    (status = 400, description = "Malformed JSON, unreadable body, or an unknown mode", body = crate::error::Problem, content_type = "application/problem+json"),
    NotAuthenticated, RoleNotAllowed,
    (status = 409, description = "The catalog changed during the import; nothing imported", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 413, description = "File larger than MAX_IMPORT_BYTES", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Neither text/csv nor application/json", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid file; nothing imported. The problem carries the report as `report`", body = crate::error::Problem, content_type = "application/problem+json",
        example = json!({"type": "/problems/catalog-import-invalid", "title": "Unprocessable content", "status": 422,
            "detail": "The import file has 1 error(s); nothing was imported.", "instance": "/api/v1/procedures/import",
            "code": "catalog.import_invalid", "request_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
            "errors": {"rows[3].time_unit": ["Unknown value 'weeks'; use working_days, calendar_days, working_hours, same_day."]},
            "report": {"mode": "all_or_nothing", "applied": false, "total": 2, "inserted": 0, "updated": 0, "unchanged": 0, "rejected": 1,
                "errors": [{"row": 3, "code": "1.000001", "field": "time_unit", "message": "Unknown value 'weeks'; use working_days, calendar_days, working_hours, same_day."}]}})),
))]
#[post("/procedures/import")]
pub async fn import_procedures(
    state: web::Data<AppState>,
    auth: Authorized<SystemAdmins>,
    req: HttpRequest,
    params: web::Query<ImportParams>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let format = import_format(&req)?;
    let mut body = read_body(&req, payload.into_inner(), state.config.max_import_bytes).await?;
    if format == FileFormat::Json {
        // Malformed JSON is 400 like every JSON body; a well-formed file gets the report.
        parse_json::<serde::de::IgnoredAny>(&body)?;
    }
    if params.source == Some(ImportSource::Portal) {
        if format != FileFormat::Json {
            return Err(ApiError::new(
                actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Danh mục của Cổng là JSON (Content-Type: application/json).",
                "The portal's catalog is JSON (Content-Type: application/json).",
            ));
        }
        body = crate::domain::catalog::portal::to_import_json(&body)
            .map_err(|t| ApiError::unprocessable("catalog.portal_format", t.vi, t.en))?
            .as_slice()
            .into();
    }
    let mode = params.mode.unwrap_or_default();
    let lang = Lang::from_accept_language(
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let actor = auth.user_id.clone();
    let outcome = state
        .db(move |conn| catalog::import(conn, format, &body, mode, Some(&actor), &mut |_, _| {}))
        .await?;
    log::info!(
        "catalog import by {} ({mode:?}): applied={} inserted={} updated={} unchanged={} rejected={}",
        auth.user_id,
        outcome.applied,
        outcome.inserted,
        outcome.updated,
        outcome.unchanged,
        outcome.rejected
    );
    let report = ImportReport::new(&outcome, lang);
    if outcome.applied {
        Ok(HttpResponse::Ok().json(report))
    } else {
        Err(report.into_problem(&outcome))
    }
}

/// CSV or JSON from the Content-Type; 415 otherwise.
fn import_format(req: &HttpRequest) -> ApiResult<FileFormat> {
    let mime = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok());
    match mime {
        Some(m) if m.type_() == mime::TEXT && m.subtype() == mime::CSV => Ok(FileFormat::Csv),
        Some(m)
            if m.type_() == mime::APPLICATION
                && (m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON)) =>
        {
            Ok(FileFormat::Json)
        }
        _ => Err(ApiError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Tệp nhập phải là text/csv hoặc application/json.",
            "The import file must be text/csv or application/json.",
        )),
    }
}

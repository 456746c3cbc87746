//! The portal's payloads (DOMAIN.md §7): the dossier header (`DongBoHoSoMC`) and a
//! progress step (`CapNhatTienDoHoSoMC`), with statuses as the national codes 1–10 and
//! times as `yyyyMMddHHmmss` in Vietnam time.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::db::models::dossier::{Dossier, NewDossierEvent};
use crate::db::models::fee::DossierFee;
use crate::db::schema::{dossier_attachments, procedure_versions, users};
use crate::db::DbConn;
use crate::domain::dossier_lifecycle::Status;

/// `yyyyMMddHHmmss` in Vietnam time (UTC+7, no daylight saving).
pub fn portal_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&crate::domain::calendar::vietnam_offset())
        .format("%Y%m%d%H%M%S")
        .to_string()
}

fn time(t: Option<NaiveDateTime>) -> Value {
    t.map_or(Value::Null, |t| json!(portal_time(t.and_utc())))
}

fn national_status(status: &str) -> u8 {
    Status::parse(status).map_or(0, Status::national_code)
}

fn channel_code(channel: &str) -> u8 {
    match channel {
        "online" => 2,
        "post" => 3,
        _ => 1,
    }
}

/// The dossier as the portal stores it.
pub fn dossier_header(conn: &mut DbConn, d: &Dossier) -> QueryResult<Value> {
    let (name, field): (String, String) = procedure_versions::table
        .find(&d.procedure_version_id)
        .select((procedure_versions::name, procedure_versions::field))
        .first(conn)?;
    let fees = DossierFee::of_dossier(conn, &d.id)?;
    let files: Vec<(String, String, bool, Option<String>)> = dossier_attachments::table
        .filter(dossier_attachments::dossier_id.eq(&d.id))
        .order(dossier_attachments::created_at)
        .select((
            dossier_attachments::document_name,
            dossier_attachments::file_sha256,
            dossier_attachments::digitized_at_reception,
            dossier_attachments::reused_from,
        ))
        .load(conn)?;
    let status = Status::parse(&d.status);
    let refused = matches!(status, Some(Status::Refused));
    let returned = matches!(status, Some(Status::Returned));
    Ok(json!({
        "MaHoSo": d.code,
        "MaTTHC": d.procedure_code,
        "TenTTHC": name,
        "MaLinhVuc": field,
        "KenhThucHien": channel_code(&d.channel),
        "ChuHoSo": d.applicant_name,
        "SoGiayToChuHoSo": d.applicant_id_number,
        "LoaiDoiTuong": if d.applicant_type == "business" { 2 } else { 1 },
        "NgayNopHoSo": time(Some(d.submitted_at)),
        "NgayTiepNhan": time(d.received_at),
        "NgayHenTra": time(d.due_at),
        "TrangThaiHoSo": national_status(&d.status),
        "NgayKetThucXuLy": time(d.finished_at),
        "NgayTra": if returned { time(Some(d.updated_at)) } else { Value::Null },
        "NgayTuChoi": if refused { time(d.finished_at) } else { Value::Null },
        "DonViXuLy": d.commune_code,
        "HoSoCoThanhPhanSoHoa": files.iter().any(|f| f.2),
        "DuocThanhToanTrucTuyen": 0,
        "DinhDanhCHS": [{"LoaiDinhDanh": if d.applicant_type == "business" { 2 } else { 1 }, "SoDinhDanh": d.applicant_id_number}],
        "TaiLieuNop": files.iter().map(|(doc, sha, digitized, reused)| json!({
            "MaThanhPhanHoSo": doc, "DuongDanTaiTepTin": format!("sha256:{sha}"),
            "DuocSoHoa": digitized, "DuocTaiSuDung": reused.is_some(), "DuocLayTuKhoDMQG": false,
        })).collect::<Vec<_>>(),
        "DanhSachLePhi": fees.iter().map(|f| json!({
            "TenPhiLePhi": f.name, "MaPhiLePhi": f.fee_code,
            "HinhThucThu": if f.exemption.is_some() { "Đối tượng miễn phí" } else if f.collection == "on_return" { "Thu sau" } else { "Thu trước" },
            "Gia": f.amount, "LoaiPhiLePhi": if f.kind == "le_phi" { 2 } else { 1 },
        })).collect::<Vec<_>>(),
    }))
}

/// A progress step: who did what, and the dossier's status after it. The header rides
/// along so that one delivered message is enough to resynchronise the portal's copy.
pub fn progress(conn: &mut DbConn, d: &Dossier, e: &NewDossierEvent<'_>) -> QueryResult<Value> {
    let actor: Option<String> = users::table
        .find(e.actor_id)
        .select(users::full_name)
        .first(conn)
        .optional()?;
    let due = d.due_at;
    Ok(json!({
        "MaHoSo": d.code,
        "NguoiXuLy": actor.unwrap_or_else(|| e.actor_id.to_string()),
        "ChucDanh": e.actor_role,
        "ThoiDiemXuLy": time(Some(e.created_at)),
        "PhongBanXuLy": d.commune_code,
        "NoiDungXuLy": e.comment.map_or_else(|| e.action.to_string(), |c| format!("{}: {c}", e.action)),
        "TrangThai": national_status(&d.status),
        "NgayKetThucTheoQuyDinh": time(due),
        "HoSo": dossier_header(conn, d)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn portal_times_are_vietnam_local() {
        let t = Utc.with_ymd_and_hms(2026, 12, 31, 17, 5, 9).unwrap();
        assert_eq!(portal_time(t), "20270101000509");
    }

    #[test]
    fn statuses_and_channels_map_to_national_codes() {
        assert_eq!(national_status("submitted"), 1);
        assert_eq!(national_status("returned"), 10);
        assert_eq!(national_status("nonsense"), 0);
        assert_eq!(
            (
                channel_code("counter"),
                channel_code("online"),
                channel_code("post")
            ),
            (1, 2, 3)
        );
    }
}

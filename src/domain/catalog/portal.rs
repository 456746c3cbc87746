//! The national portal's catalog format (LayDanhSachTTHC) read into this catalog's JSON
//! import format, so portal catalog syncs go through the same validation, versioning and
//! reporting as any import.
//!
//! Fields read per procedure (Vietnamese names as the portal uses them): `MaTTHC`,
//! `TenTTHC`, `TenLinhVuc` (or `LinhVuc`), `CapThucHien`, `CanCuPhapLy` (text or a list of
//! `{TenVanBan}`), `LoaiKetQua`, and `TruongHop` (or `DanhSachTruongHop`): `MaTruongHop`,
//! `TenTruongHop`, `ThoiHanGiaiQuyet`, `DonViTinh`, `MucDo`, `ThanhPhanHoSo` with
//! `TenGiayTo`, `BanChinh`, `BanSao`, `BatBuoc`. A procedure without cases gets one from its
//! own `ThoiHanGiaiQuyet`/`ThanhPhanHoSo`. The field names follow integrations in the field
//! (DOMAIN.md §7) and are to be checked against the portal's current specification.

use serde_json::{json, Value};

use crate::error::Text;

fn text(v: &Value, keys: &[&str]) -> String {
    keys.iter()
        .find_map(|k| v.get(*k).and_then(Value::as_str))
        .unwrap_or("")
        .trim()
        .to_string()
}

fn number(v: &Value, key: &str) -> Option<f64> {
    match v.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().replace(',', ".").parse().ok(),
        _ => None,
    }
}

fn level(v: &str) -> &'static str {
    let l = crate::domain::text::fold(v);
    if l.contains("tinh") {
        "province"
    } else if l.contains("bo") || l.contains("trung uong") {
        "central"
    } else {
        "commune"
    }
}

/// The portal's time units (DOMAIN.md §2: `Giờ|Ngày|Ngày làm việc|Tháng`, plus "Trong
/// ngày"), folded; `None` for a unit this catalog cannot represent.
fn unit(v: &str) -> Option<&'static str> {
    let u = crate::domain::text::fold(v);
    let u = u.trim();
    if u.contains("trong ngay") {
        Some("same_day")
    } else if u.starts_with("gio") {
        Some("working_hours")
    } else if u.starts_with("thang") {
        Some("calendar_months")
    } else if u.is_empty() || u.contains("ngay lam viec") {
        Some("working_days")
    } else if u == "ngay" {
        Some("calendar_days")
    } else {
        None
    }
}

/// A portal time limit (`ThoiHanGiaiQuyet`, `DonViTinh`) as this catalog's processing time
/// `(value, unit)`, or why it cannot be mapped (reported, never guessed):
/// - "Tháng" is calendar months; "Giờ" stays hours; "Ngày" calendar days; "Ngày làm
///   việc" (or no unit) working days; "Trong ngày" same day.
/// - Fractional working days are kept as working hours (0.5 day = 4 working hours, one
///   working day being 8 hours); any other fraction is not representable.
/// - A zero amount is a same-day procedure.
pub fn map_processing_time(amount: f64, unit_text: &str) -> Result<(u32, &'static str), String> {
    let unit = unit(unit_text).ok_or_else(|| format!("đơn vị '{}'", unit_text.trim()))?;
    if unit == "same_day" {
        return Ok((0, unit));
    }
    if !amount.is_finite() || !(0.0..=1000.0).contains(&amount) {
        return Err(format!("thời hạn {amount} {}", unit_text.trim()));
    }
    if amount == 0.0 {
        return Ok((0, "same_day"));
    }
    if amount.fract() == 0.0 {
        return Ok((amount as u32, unit));
    }
    let hours = amount * 8.0;
    if unit == "working_days" && hours.fract() == 0.0 {
        return Ok((hours as u32, "working_hours"));
    }
    Err(format!("thời hạn {amount} {}", unit_text.trim()))
}

fn online(v: Option<&Value>) -> &'static str {
    match v {
        Some(Value::Number(n)) if n.as_i64() == Some(4) => "full",
        Some(Value::Number(n)) if n.as_i64() == Some(3) => "partial",
        Some(Value::String(s)) => {
            let s = crate::domain::text::fold(s);
            if s.contains("toan trinh") || s == "4" {
                "full"
            } else if s.contains("mot phan") || s == "3" {
                "partial"
            } else {
                "none"
            }
        }
        _ => "none",
    }
}

fn slug(s: &str, i: usize) -> String {
    let folded: String = crate::domain::text::fold(s)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let trimmed = folded.trim_matches('-');
    match (i, trimmed.is_empty()) {
        (0, true) => "default".into(),
        (_, true) => format!("th{}", i + 1),
        _ => trimmed.chars().take(40).collect(),
    }
}

fn documents(v: &Value) -> Vec<Value> {
    v.get("ThanhPhanHoSo")
        .and_then(Value::as_array)
        .map(|docs| {
            docs.iter()
                .map(|d| {
                    let original = number(d, "BanChinh").unwrap_or(0.0) as u32;
                    let copy = number(d, "BanSao").unwrap_or(0.0) as u32;
                    let form = match (original > 0, copy > 0) {
                        (true, true) => "original_or_copy",
                        (false, true) => "copy",
                        _ => "original",
                    };
                    json!({
                        "name": text(d, &["TenGiayTo", "TenThanhPhan"]).replace(';', ","),
                        "form": form,
                        "count": original.max(copy).clamp(1, 100),
                        "required": number(d, "BatBuoc").is_none_or(|b| b != 0.0),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

fn case(v: &Value, i: usize) -> Value {
    let amount = number(v, "ThoiHanGiaiQuyet").unwrap_or(0.0);
    let unit_text = text(v, &["DonViTinh"]);
    // An unmapped unit or amount goes through as it is, so that the import reports it at
    // its row and field instead of guessing.
    let processing_time = match map_processing_time(amount, &unit_text) {
        Ok((value, unit)) => json!({"value": value, "unit": unit}),
        Err(_) if unit(&unit_text).is_none() => json!({"value": amount, "unit": unit_text}),
        Err(_) => json!({"value": amount, "unit": unit(&unit_text)}),
    };
    json!({
        "code": slug(&text(v, &["MaTruongHop"]), i),
        "name": match text(v, &["TenTruongHop"]) { n if n.is_empty() => crate::domain::catalog::DEFAULT_CASE_NAME.to_string(), n => n },
        "processing_time": processing_time,
        "online_level": online(v.get("MucDo")),
        "documents": documents(v),
    })
}

fn procedure(p: &Value) -> Value {
    let legal = match p.get("CanCuPhapLy") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| text(i, &["TenVanBan", "SoKyHieu"]))
            })
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("; "),
        Some(Value::String(s)) => s.trim().to_string(),
        _ => String::new(),
    };
    // "Giấy tờ điện tử" is an electronic document, not paper.
    let result =
        crate::domain::text::fold(&text(p, &["LoaiKetQua"])).replace("giay to dien tu", "dien tu");
    let result_type = match (result.contains("dien tu"), result.contains("giay")) {
        (true, true) => "both",
        (true, false) => "electronic",
        _ => "paper",
    };
    let cases: Vec<Value> = match p
        .get("TruongHop")
        .or_else(|| p.get("DanhSachTruongHop"))
        .and_then(Value::as_array)
    {
        Some(cs) if !cs.is_empty() => cs.iter().enumerate().map(|(i, c)| case(c, i)).collect(),
        _ => vec![case(p, 0)],
    };
    json!({
        "code": text(p, &["MaTTHC"]),
        "name": text(p, &["TenTTHC"]),
        "field": text(p, &["TenLinhVuc", "LinhVuc"]),
        "implementing_level": level(&text(p, &["CapThucHien"])),
        "legal_basis": legal,
        "result_type": result_type,
        "cases": cases,
    })
}

/// The portal's catalog (an array, or an object with it under `data` / `result`) as an
/// array in this catalog's JSON import format, one item per portal procedure in order.
pub fn to_import_json(bytes: &[u8]) -> Result<Vec<u8>, Text> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| {
        Text::new(
            format!(
                "JSON không đúng cú pháp (dòng {}, cột {}).",
                e.line(),
                e.column()
            ),
            format!("Malformed JSON (line {}, column {}).", e.line(), e.column()),
        )
    })?;
    let list = match &v {
        Value::Array(a) => a,
        Value::Object(o) => match o.get("data").or_else(|| o.get("result")) {
            Some(Value::Array(a)) => a,
            _ => {
                return Err(Text::new(
                    "Không thấy danh sách thủ tục (mảng, hoặc 'data'/'result').",
                    "No procedure list found (an array, or 'data'/'result').",
                ))
            }
        },
        _ => {
            return Err(Text::new(
                "Danh mục của Cổng phải là một mảng thủ tục.",
                "The portal catalog must be an array of procedures.",
            ))
        }
    };
    let mapped: Vec<Value> = list.iter().map(procedure).collect();
    Ok(serde_json::to_vec(&mapped).expect("serializes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_portal_procedure_becomes_a_catalog_item() {
        let portal = json!([{
            "MaTTHC": "1.004222", "TenTTHC": "Đăng ký thường trú", "TenLinhVuc": "Đăng ký, quản lý cư trú",
            "CapThucHien": "Cấp Xã", "CanCuPhapLy": [{"TenVanBan": "Luật Cư trú 2020"}, {"TenVanBan": "Nghị định 154/2024/NĐ-CP"}],
            "LoaiKetQua": "Giấy tờ điện tử",
            "TruongHop": [{"MaTruongHop": "TH01", "TenTruongHop": "Trường hợp chung", "ThoiHanGiaiQuyet": "7",
                           "DonViTinh": "Ngày làm việc", "MucDo": 4,
                           "ThanhPhanHoSo": [{"TenGiayTo": "Tờ khai CT01", "BanChinh": 1, "BanSao": 0, "BatBuoc": 1},
                                             {"TenGiayTo": "Giấy tờ chỗ ở hợp pháp", "BanChinh": 0, "BanSao": 1, "BatBuoc": 0}]}]
        }]);
        let out: Value =
            serde_json::from_slice(&to_import_json(portal.to_string().as_bytes()).unwrap())
                .unwrap();
        let p = &out[0];
        assert_eq!(p["code"], "1.004222");
        assert_eq!(p["implementing_level"], "commune");
        assert_eq!(
            p["legal_basis"],
            "Luật Cư trú 2020; Nghị định 154/2024/NĐ-CP"
        );
        assert_eq!(p["result_type"], "electronic");
        let c = &p["cases"][0];
        assert_eq!(c["code"], "th01");
        assert_eq!(
            c["processing_time"],
            json!({"value": 7, "unit": "working_days"})
        );
        assert_eq!(c["online_level"], "full");
        assert_eq!(c["documents"][0]["form"], "original");
        assert_eq!(
            c["documents"][1],
            json!({"name": "Giấy tờ chỗ ở hợp pháp", "form": "copy", "count": 1, "required": false})
        );
    }

    /// Units of the national catalog (DOMAIN.md §2: Giờ | Ngày | Ngày làm việc | Tháng):
    /// months are calendar months (Civil Code 2015 Art. 148), 0.5 day = 4 working hours,
    /// hours stay hours, and anything else is reported, not guessed.
    #[test]
    fn portal_units_months_fractions_hours_civil_code_art_148() {
        assert_eq!(
            map_processing_time(1.0, "Tháng"),
            Ok((1, "calendar_months"))
        );
        assert_eq!(
            map_processing_time(3.0, "tháng"),
            Ok((3, "calendar_months"))
        );
        assert_eq!(
            map_processing_time(0.5, "Ngày làm việc"),
            Ok((4, "working_hours"))
        );
        assert_eq!(
            map_processing_time(1.5, "Ngày làm việc"),
            Ok((12, "working_hours"))
        );
        assert_eq!(map_processing_time(2.5, ""), Ok((20, "working_hours")));
        assert_eq!(
            map_processing_time(7.0, "Ngày làm việc"),
            Ok((7, "working_days"))
        );
        assert_eq!(map_processing_time(4.0, "Giờ"), Ok((4, "working_hours")));
        assert_eq!(
            map_processing_time(8.0, "Giờ làm việc"),
            Ok((8, "working_hours"))
        );
        assert_eq!(map_processing_time(30.0, "Ngày"), Ok((30, "calendar_days")));
        assert_eq!(map_processing_time(0.0, "Trong ngày"), Ok((0, "same_day")));
        assert!(map_processing_time(2.0, "Tuần").is_err());
        assert!(map_processing_time(1.5, "Tháng").is_err());
        assert!(map_processing_time(0.5, "Ngày").is_err());
        assert!(map_processing_time(1.5, "Giờ").is_err());
        assert!(map_processing_time(f64::NAN, "Ngày").is_err());
        // Through the import: a month is a month, half a day four hours, and an unknown
        // unit is reported at its field.
        let portal = json!([
            {"MaTTHC": "1.000001", "TenTTHC": "A", "TenLinhVuc": "X", "LoaiKetQua": "Giấy",
             "TruongHop": [{"MaTruongHop": "a", "ThoiHanGiaiQuyet": 1, "DonViTinh": "Tháng"},
                           {"MaTruongHop": "b", "ThoiHanGiaiQuyet": "0,5", "DonViTinh": "Ngày làm việc"}]},
            {"MaTTHC": "1.000002", "TenTTHC": "B", "TenLinhVuc": "X", "LoaiKetQua": "Giấy",
             "ThoiHanGiaiQuyet": 2, "DonViTinh": "Tuần"}
        ]);
        let bytes = to_import_json(portal.to_string().as_bytes()).unwrap();
        let parsed =
            crate::domain::catalog::parse_import(crate::domain::catalog::FileFormat::Json, &bytes);
        let first = parsed.items[0].content.as_ref().expect("first imports");
        assert_eq!(
            first.cases[0].processing_time.unit,
            crate::domain::catalog::TimeUnit::CalendarMonths
        );
        assert_eq!(first.cases[0].processing_time.value, 1);
        assert_eq!(
            first.cases[1].processing_time.unit,
            crate::domain::catalog::TimeUnit::WorkingHours
        );
        assert_eq!(first.cases[1].processing_time.value, 4);
        let second = &parsed.items[1];
        assert!(second.content.is_none());
        assert_eq!(second.issues[0].field, "cases[0].processing_time.unit");
        assert!(
            second.issues[0].message.en.contains("Tuần"),
            "{:?}",
            second.issues[0]
        );
    }

    #[test]
    fn wrappers_and_errors() {
        assert!(to_import_json(br#"{"data": []}"#).is_ok());
        assert!(to_import_json(br#"{"x": 1}"#).is_err());
        assert!(to_import_json(b"[").is_err());
        let out: Value = serde_json::from_slice(&to_import_json(r#"[{"MaTTHC": "2.000815", "TenTTHC": "Chứng thực", "TenLinhVuc": "Chứng thực", "ThoiHanGiaiQuyet": 0, "DonViTinh": "Trong ngày"}]"#.as_bytes()).unwrap()).unwrap();
        assert_eq!(out[0]["cases"][0]["code"], "default");
        assert_eq!(out[0]["cases"][0]["processing_time"]["unit"], "same_day");
    }
}

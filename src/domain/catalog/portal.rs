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

fn unit(v: &str) -> &'static str {
    let u = crate::domain::text::fold(v);
    if u.contains("trong ngay") {
        "same_day"
    } else if u.contains("gio") {
        "working_hours"
    } else if u.contains("lam viec") || u.is_empty() {
        "working_days"
    } else {
        "calendar_days"
    }
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
    let days = number(v, "ThoiHanGiaiQuyet").unwrap_or(0.0);
    let unit = unit(&text(v, &["DonViTinh"]));
    let value = if unit == "same_day" {
        0
    } else {
        days.round().max(0.0) as u32
    };
    json!({
        "code": slug(&text(v, &["MaTruongHop"]), i),
        "name": match text(v, &["TenTruongHop"]) { n if n.is_empty() => crate::domain::catalog::DEFAULT_CASE_NAME.to_string(), n => n },
        "processing_time": {"value": value, "unit": if value == 0 && unit != "same_day" { "same_day" } else { unit }},
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

//! The national payment platform's messages (PayGov, protocol version 1.0.6) and an HTTP
//! client for it.
//!
//! Every message is authenticated with `MaXacThuc = hex(SHA-256(f1|f2|…|fn|secret))` over a
//! fixed list of its fields. The lists, the constants of INIT and the answer shapes follow
//! two independent integrations in production (TD.DichVuCongApi `DvcPaymentService`,
//! `TaskGiaoDichThanhToanServices`; VietOpenCPS opencps-v2 PayGate), as DOMAIN.md §4
//! records them:
//!
//! - INIT (14 fields): `LoaiBanTin|PhienBan|MaDoiTac|MaThamChieu|SoTien|LoaiHinhThanhToan|
//!   MaKenhThanhToan|MaThietBi|NgonNgu|MaTienTe|MaNganHang|ThongTinGiaoDich|ThoiGianGD|Ip`;
//!   answer `{error_code: "0", message: "{…UrlThanhToan…}"}` (the message is JSON in a string).
//! - callback (10 fields): `LoaiBanTin|MaLoi|MaDoiTac|MaThamChieu|SoTien|MaTienTe|MaGiaoDich|
//!   MaNganHang|ThoiGianGD|ThongTinGiaoDich`; `MaLoi` `00` is a success.
//! - QUERY and GET_BILL (receipt): `LoaiBanTin|PhienBan|MaDoiTac|MaThamChieu|ThoiGianGD`, with
//!   the payment's **original** `ThoiGianGD`; the QUERY answer's `TrangThaiGD` is `1` paid,
//!   `3` pending at the platform, `4` failed; GET_BILL answers with the receipt file.
//!
//! The paths `/init`, `/query` and `/receipt` under `PAYGOV_URL` are configuration of this
//! project (the integrations configure a URL per message) and the first thing to check
//! against the platform's current specification.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{Callback, GatewayError, GatewayStatus, InitRequest, PaymentGateway};

pub const VERSION: &str = "1.0.6";
/// INIT constants as both integrations send them.
pub const PAYMENT_KIND: &str = "PAY";
pub const CHANNEL: &str = "1";
pub const DEVICE: &str = "1";
pub const LANGUAGE: &str = "vi-VN";
pub const CURRENCY: &str = "VND";
/// `MaNganHang` of INIT: the payer chooses the bank on the platform's page.
pub const BANK_CHOSEN_ON_PLATFORM: &str = "PAYMENT";
/// `MaDichVu` of the receipt block: 2 = fees of an administrative procedure.
pub const SERVICE_KIND: &str = "2";
/// The receipt request's message type.
pub const RECEIPT_MESSAGE: &str = "GET_BILL";
/// Vietnam does not observe daylight saving: UTC+7 all year.
const VN_OFFSET_SECS: i32 = 7 * 3600;
/// A receipt file larger than this is refused (a platform error page, not a receipt).
const MAX_RECEIPT_BYTES: u64 = 5 << 20;

/// `hex(SHA-256(f1|…|fn|secret))`.
pub fn mac(fields: &[&str], secret: &str) -> String {
    let mut h = Sha256::new();
    for f in fields {
        h.update(f.as_bytes());
        h.update(b"|");
    }
    h.update(secret.as_bytes());
    hex::encode(h.finalize())
}

/// Compares without an early exit, so the time taken does not reveal how much matched.
pub fn same_mac(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `yyyyMMddHHmmss` in Vietnam time (24-hour clock).
pub fn format_time(t: DateTime<Utc>) -> String {
    let offset = chrono::FixedOffset::east_opt(VN_OFFSET_SECS).expect("valid offset");
    t.with_timezone(&offset).format("%Y%m%d%H%M%S").to_string()
}

/// Reads `yyyyMMddHHmmss` (Vietnam time).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(s, "%Y%m%d%H%M%S").ok()?;
    let offset = chrono::FixedOffset::east_opt(VN_OFFSET_SECS)?;
    offset
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// The ten signed fields of a callback, in order.
pub fn callback_fields(c: &Callback) -> [&str; 10] {
    [
        &c.kind,
        &c.result_code,
        &c.partner,
        &c.reference,
        &c.amount,
        &c.currency,
        &c.transaction_id,
        &c.bank_code,
        &c.time,
        &c.info,
    ]
}

/// Signs a callback as the platform would (the sandbox and tests use it).
pub fn sign_callback(c: &mut Callback, secret: &str) {
    c.mac = mac(&callback_fields(c), secret);
}

/// The callback is signed with `secret` and addressed to `partner`.
pub fn verify_callback(c: &Callback, partner: &str, secret: &str) -> bool {
    // Both are evaluated: no early exit on the partner code.
    let signed = same_mac(&mac(&callback_fields(c), secret), &c.mac);
    let ours = c.partner == partner;
    signed & ours
}

/// The fourteen signed fields of an INIT message, in order.
pub const INIT_SIGNED: [&str; 14] = [
    "LoaiBanTin",
    "PhienBan",
    "MaDoiTac",
    "MaThamChieu",
    "SoTien",
    "LoaiHinhThanhToan",
    "MaKenhThanhToan",
    "MaThietBi",
    "NgonNgu",
    "MaTienTe",
    "MaNganHang",
    "ThongTinGiaoDich",
    "ThoiGianGD",
    "Ip",
];

/// The five signed fields of QUERY and GET_BILL, in order.
pub const QUERY_SIGNED: [&str; 5] = [
    "LoaiBanTin",
    "PhienBan",
    "MaDoiTac",
    "MaThamChieu",
    "ThoiGianGD",
];

/// Recomputes a message's `MaXacThuc` over `fields` (string values; absent ones count as
/// empty) and compares it with the one it carries. The sandbox checks what it receives
/// with this, as the platform does.
pub fn message_signed(msg: &Value, fields: &[&str], secret: &str) -> bool {
    let values: Vec<&str> = fields
        .iter()
        .map(|k| msg.get(*k).and_then(Value::as_str).unwrap_or(""))
        .collect();
    same_mac(
        &mac(&values, secret),
        msg.get("MaXacThuc").and_then(Value::as_str).unwrap_or(""),
    )
}

fn fee_kind(kind: &str) -> &'static str {
    if kind == "le_phi" {
        "Lệ phí"
    } else {
        "Phí"
    }
}

/// `MaDVC` of the receipt block: the procedure's online service at the agency, as the
/// integrations form it (national procedure code + `.01`).
pub fn service_code(procedure_code: &str) -> String {
    format!("{procedure_code}.01")
}

/// The INIT message for a payment.
pub fn init_message(partner: &str, secret: &str, r: &InitRequest) -> Value {
    let amount = r.amount.to_string();
    let time = format_time(r.created_at);
    let mut m = json!({
        "LoaiBanTin": "INIT",
        "PhienBan": VERSION,
        "MaDoiTac": partner,
        "MaThamChieu": r.reference,
        "SoTien": amount,
        "LoaiHinhThanhToan": PAYMENT_KIND,
        "MaKenhThanhToan": CHANNEL,
        "MaThietBi": DEVICE,
        "NgonNgu": LANGUAGE,
        "MaTienTe": CURRENCY,
        "MaNganHang": BANK_CHOSEN_ON_PLATFORM,
        "ThongTinGiaoDich": r.description,
        "ThoiGianGD": time,
        "Ip": r.client_ip,
        "ThongTinBienLai": {
            "MaDichVu": SERVICE_KIND,
            "MaTTHC": r.procedure_code,
            "TenTTHC": r.procedure_name,
            "MaDVC": service_code(&r.procedure_code),
            "TenDVC": r.procedure_name,
            "MaDonVi": r.agency_code,
            "TenDonVi": r.agency_name,
            "MaHoSo": r.dossier_code,
            "TenTKThuHuong": r.beneficiary.account_name,
            "TKThuHuong": r.beneficiary.account_no,
            "MaNHThuHuong": r.beneficiary.bank_code,
            "HoTenNguoiNop": r.payer_name,
            "SoCMNDNguoiNop": r.payer_id_number,
            "DiaChiNguoiNop": r.payer_address,
            "NoiDungThanhToan": r.description,
            "PhiLePhi": r.fees.iter().map(|f| json!({
                "LoaiPhiLePhi": fee_kind(&f.kind), "MaPhiLePhi": f.code,
                "TenPhiLePhi": f.name, "SoTien": f.amount.to_string(),
            })).collect::<Vec<_>>(),
            "DSKhoanNop": r.fees.iter().map(|f| json!({
                "NoiDung": f.name, "SoTien": f.amount.to_string(),
            })).collect::<Vec<_>>(),
        },
    });
    m["MaXacThuc"] = json!(sign_fields(&m, &INIT_SIGNED, secret));
    m
}

fn sign_fields(m: &Value, fields: &[&str], secret: &str) -> String {
    let values: Vec<&str> = fields
        .iter()
        .map(|k| m.get(*k).and_then(Value::as_str).unwrap_or(""))
        .collect();
    mac(&values, secret)
}

/// A QUERY (`LoaiBanTin` "QUERY") or receipt request (`GET_BILL`) for a reference, signed
/// with the payment's original transaction time.
pub fn lookup_message(
    kind: &str,
    partner: &str,
    secret: &str,
    reference: &str,
    initiated_at: DateTime<Utc>,
) -> Value {
    let mut m = json!({
        "LoaiBanTin": kind,
        "PhienBan": VERSION,
        "MaDoiTac": partner,
        "MaThamChieu": reference,
        "ThoiGianGD": format_time(initiated_at),
    });
    m["MaXacThuc"] = json!(sign_fields(&m, &QUERY_SIGNED, secret));
    m
}

fn text_of(v: &Value, k: &str) -> String {
    match v.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// Reads an INIT answer: `error_code` "0" and a `message` that is itself JSON carrying
/// `UrlThanhToan`.
pub fn read_init_answer(v: &Value) -> Result<String, GatewayError> {
    match text_of(v, "error_code").as_str() {
        "0" => {}
        "" => {
            return Err(GatewayError::Unavailable(
                "answer without error_code".into(),
            ))
        }
        code => {
            return Err(GatewayError::Refused {
                code: code.to_string(),
                message: text_of(v, "message"),
            })
        }
    }
    let inner: Value = match v.get("message") {
        Some(Value::String(s)) => serde_json::from_str(s)
            .map_err(|e| GatewayError::Unavailable(format!("INIT message is not JSON: {e}")))?,
        Some(obj @ Value::Object(_)) => obj.clone(),
        _ => {
            return Err(GatewayError::Unavailable(
                "INIT answer without message".into(),
            ))
        }
    };
    match text_of(&inner, "UrlThanhToan") {
        url if url.starts_with("https://") || url.starts_with("http://") => Ok(url),
        _ => Err(GatewayError::Unavailable(
            "INIT answer without UrlThanhToan".into(),
        )),
    }
}

/// Reads a QUERY answer: `MaLoi` `00` means the query worked; then `TrangThaiGD` `1` paid,
/// `3` still pending at the platform, `4` failed.
pub fn read_query_answer(v: &Value) -> Result<GatewayStatus, GatewayError> {
    match text_of(v, "MaLoi").as_str() {
        "00" => {}
        "" => return Err(GatewayError::Unavailable("answer without MaLoi".into())),
        code => {
            return Err(GatewayError::Refused {
                code: code.to_string(),
                message: text_of(v, "MoTaLoi"),
            })
        }
    }
    match text_of(v, "TrangThaiGD").as_str() {
        "1" => Ok(GatewayStatus::Succeeded {
            transaction_id: text_of(v, "MaGiaoDich"),
        }),
        "3" => Ok(GatewayStatus::Pending),
        "4" => Ok(GatewayStatus::Failed {
            reason: format!("TrangThaiGD=4 {}", text_of(v, "MoTaLoi"))
                .trim()
                .to_string(),
        }),
        // A state we do not know is not read as failed: asked again later.
        other => Err(GatewayError::Unavailable(format!(
            "unknown TrangThaiGD '{other}'"
        ))),
    }
}

/// The real platform over HTTPS.
pub struct PayGovGateway {
    base_url: String,
    partner: String,
    secret: String,
    agent: ureq::Agent,
}

impl PayGovGateway {
    pub fn new(base_url: String, partner: String, secret: String) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(15)))
            .http_status_as_error(false)
            .build()
            .into();
        PayGovGateway {
            base_url: base_url.trim_end_matches('/').to_string(),
            partner,
            secret,
            agent,
        }
    }

    fn send(&self, path: &str, body: &Value) -> Result<(u16, String, Vec<u8>), GatewayError> {
        let url = format!("{}{path}", self.base_url);
        let mut resp = self
            .agent
            .post(&url)
            .header("content-type", "application/json")
            .send(body.to_string())
            .map_err(|e| GatewayError::Unavailable(e.to_string()))?;
        let status = resp.status().as_u16();
        let kind = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(MAX_RECEIPT_BYTES)
            .read_to_vec()
            .map_err(|e| GatewayError::Unavailable(e.to_string()))?;
        if status >= 500 {
            return Err(GatewayError::Unavailable(format!("HTTP {status}")));
        }
        Ok((status, kind, bytes))
    }

    fn post(&self, path: &str, body: &Value) -> Result<Value, GatewayError> {
        let (status, _, bytes) = self.send(path, body)?;
        serde_json::from_slice(&bytes).map_err(|e| {
            GatewayError::Unavailable(format!("HTTP {status}, unreadable answer: {e}"))
        })
    }
}

impl PaymentGateway for PayGovGateway {
    fn name(&self) -> &'static str {
        "paygov"
    }

    fn init(&self, req: &InitRequest) -> Result<String, GatewayError> {
        read_init_answer(&self.post("/init", &init_message(&self.partner, &self.secret, req))?)
    }

    fn query(
        &self,
        reference: &str,
        initiated_at: DateTime<Utc>,
    ) -> Result<GatewayStatus, GatewayError> {
        let msg = lookup_message(
            "QUERY",
            &self.partner,
            &self.secret,
            reference,
            initiated_at,
        );
        read_query_answer(&self.post("/query", &msg)?)
    }

    fn receipt(
        &self,
        reference: &str,
        initiated_at: DateTime<Utc>,
    ) -> Result<Vec<u8>, GatewayError> {
        let msg = lookup_message(
            RECEIPT_MESSAGE,
            &self.partner,
            &self.secret,
            reference,
            initiated_at,
        );
        let (status, kind, bytes) = self.send("/receipt", &msg)?;
        if kind.contains("json") || status != 200 || bytes.is_empty() {
            let answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            return Err(GatewayError::Refused {
                code: text_of(&answer, "MaLoi"),
                message: format!("HTTP {status}, no receipt file"),
            });
        }
        Ok(bytes)
    }

    fn verify(&self, callback: &Callback) -> bool {
        verify_callback(callback, &self.partner, &self.secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::{Beneficiary, FeeItem};

    fn callback() -> Callback {
        Callback {
            kind: "PAY".into(),
            result_code: "00".into(),
            partner: "MOTCUA01".into(),
            reference: "MC01".into(),
            amount: "5000".into(),
            currency: "VND".into(),
            transaction_id: "PG1".into(),
            bank_code: "VCB".into(),
            time: "20261128153000".into(),
            info: "Le phi".into(),
            mac: String::new(),
        }
    }

    #[test]
    fn mac_is_sha256_over_pipe_joined_fields_and_secret() {
        // printf '%s' 'a|b|s' | sha256sum
        assert_eq!(
            mac(&["a", "b"], "s"),
            "5202900e77742085752962a465278203238c089356902008e521aeea98dd05de"
        );
    }

    #[test]
    fn callback_golden_mac_over_ten_fields() {
        // printf '%s' 'PAY|00|MOTCUA01|MC01|5000|VND|PG1|VCB|20261128153000|Le phi|secret' | sha256sum
        let mut c = callback();
        sign_callback(&mut c, "secret");
        assert_eq!(
            c.mac,
            "c9314da35ebea5d84bbc006049bbed6b95c9db0f7a033ce69bfcb2eb80ffc4c2"
        );
        assert!(verify_callback(&c, "MOTCUA01", "secret"));
    }

    #[test]
    fn every_signed_callback_field_matters() {
        let mut c = callback();
        sign_callback(&mut c, "secret");
        assert!(!verify_callback(&c, "MOTCUA01", "other"));
        assert!(
            !verify_callback(&c, "SOMEONE_ELSE", "secret"),
            "signed for another partner"
        );
        let mut upper = c.clone();
        upper.mac = upper.mac.to_uppercase();
        assert!(
            verify_callback(&upper, "MOTCUA01", "secret"),
            "hex case does not matter"
        );
        let tampers: [fn(&mut Callback); 10] = [
            |c| c.kind.push('X'),
            |c| c.result_code = "24".into(),
            |c| c.partner.push('X'),
            |c| c.reference.push('X'),
            |c| c.amount = "50000".into(),
            |c| c.currency = "USD".into(),
            |c| c.transaction_id.push('2'),
            |c| c.bank_code = "TCB".into(),
            |c| c.time = "20261128153001".into(),
            |c| c.info.push('!'),
        ];
        for tamper in tampers {
            let mut t = c.clone();
            tamper(&mut t);
            let partner = t.partner.clone();
            assert!(!verify_callback(&t, &partner, "secret"));
        }
        // The unsigned `MoTa`-like extras do not exist: a success is MaLoi 00 only.
        assert!(c.succeeded());
        let mut failed = c.clone();
        failed.result_code = "24".into();
        assert!(!failed.succeeded());
    }

    #[test]
    fn times_are_vietnam_local_on_a_24_hour_clock() {
        let t = Utc.with_ymd_and_hms(2026, 11, 28, 17, 30, 0).unwrap();
        assert_eq!(format_time(t), "20261129003000");
        assert_eq!(parse_time("20261129003000"), Some(t));
        // 15:00 Vietnam time is "15", not "03" (one integration formats with a 12-hour
        // clock; the protocol's time is 24-hour).
        let afternoon = Utc.with_ymd_and_hms(2026, 11, 28, 8, 0, 0).unwrap();
        assert_eq!(format_time(afternoon), "20261128150000");
        assert_eq!(parse_time("2026-11-29"), None);
    }

    pub(crate) fn init_request() -> InitRequest {
        InitRequest {
            reference: "MC01".into(),
            amount: 5000,
            created_at: Utc.with_ymd_and_hms(2026, 11, 28, 8, 0, 0).unwrap(),
            description: "Phi le phi ho so H25.04978-261128-0001".into(),
            dossier_code: "H25.04978-261128-0001".into(),
            procedure_code: "1.001193".into(),
            procedure_name: "Đăng ký khai sinh".into(),
            agency_code: "000.25.01.H25".into(),
            agency_name: "UBND xã Kim Bôi".into(),
            payer_name: "Nguyễn Văn A".into(),
            payer_id_number: "025190000001".into(),
            payer_address: "Thôn Bo, xã Kim Bôi".into(),
            beneficiary: Beneficiary {
                account_name: "UBND xa Kim Boi".into(),
                account_no: "3511.0.1234567".into(),
                bank_code: "KBNN".into(),
            },
            fees: vec![
                FeeItem {
                    kind: "le_phi".into(),
                    code: "LP-KS".into(),
                    name: "Lệ phí khai sinh".into(),
                    amount: 3000,
                },
                FeeItem {
                    kind: "phi".into(),
                    code: "P-BS".into(),
                    name: "Phí bản sao".into(),
                    amount: 2000,
                },
            ],
            client_ip: "203.0.113.7".into(),
        }
    }

    #[test]
    fn init_message_golden_mac_over_fourteen_fields() {
        let m = init_message("MOTCUA01", "secret", &init_request());
        // printf '%s' 'INIT|1.0.6|MOTCUA01|MC01|5000|PAY|1|1|vi-VN|VND|PAYMENT|Phi le phi ho so H25.04978-261128-0001|20261128150000|203.0.113.7|secret' | sha256sum
        assert_eq!(
            m["MaXacThuc"],
            "927fcde345a8cccb5541af533f0b21229269ce6a7d3f9cab3f33ddc0765cdfca"
        );
        assert!(message_signed(&m, &INIT_SIGNED, "secret"));
        assert!(!message_signed(&m, &INIT_SIGNED, "other"));
        let b = &m["ThongTinBienLai"];
        assert_eq!(b["MaDonVi"], "000.25.01.H25");
        assert_eq!(b["MaDVC"], "1.001193.01");
        assert_eq!(
            (&b["TenTKThuHuong"], &b["TKThuHuong"], &b["MaNHThuHuong"]),
            (
                &json!("UBND xa Kim Boi"),
                &json!("3511.0.1234567"),
                &json!("KBNN")
            )
        );
        assert_eq!(b["SoCMNDNguoiNop"], "025190000001");
        assert_eq!(b["DiaChiNguoiNop"], "Thôn Bo, xã Kim Bôi");
        assert_eq!(b["PhiLePhi"][0]["LoaiPhiLePhi"], "Lệ phí");
        assert_eq!(b["PhiLePhi"][1]["SoTien"], "2000");
        assert_eq!(b["DSKhoanNop"].as_array().unwrap().len(), 2);
        // Every signed field is there, as text.
        for k in INIT_SIGNED {
            assert!(m[k].is_string(), "{k}");
        }
    }

    #[test]
    fn query_and_receipt_sign_with_the_original_time() {
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 8, 0, 0).unwrap();
        let q = lookup_message("QUERY", "MOTCUA01", "secret", "MC01", at);
        // printf '%s' 'QUERY|1.0.6|MOTCUA01|MC01|20261128150000|secret' | sha256sum
        assert_eq!(
            q["MaXacThuc"],
            "e699e497e46df9e8ed720f8969a7a0a498a44b04810cb1a585123f5e52309381"
        );
        assert_eq!(q["ThoiGianGD"], "20261128150000");
        let r = lookup_message(RECEIPT_MESSAGE, "MOTCUA01", "secret", "MC01", at);
        // printf '%s' 'GET_BILL|1.0.6|MOTCUA01|MC01|20261128150000|secret' | sha256sum
        assert_eq!(
            r["MaXacThuc"],
            "071e3d7ef916af462e93e4b6e58decec3ff237e452c0dcf887e61a4535a02b3d"
        );
    }

    #[test]
    fn init_answers() {
        let ok = json!({"error_code": "0", "message": "{\"UrlThanhToan\":\"https://pay.example/MC01\"}"});
        assert_eq!(read_init_answer(&ok).unwrap(), "https://pay.example/MC01");
        assert!(matches!(
            read_init_answer(&json!({"error_code": "0", "message": "{}"})),
            Err(GatewayError::Unavailable(_))
        ));
        assert!(matches!(
            read_init_answer(&json!({"error_code": 9, "message": "Sai mã xác thực"})),
            Err(GatewayError::Refused { code, .. }) if code == "9"
        ));
        assert!(matches!(
            read_init_answer(&json!({})),
            Err(GatewayError::Unavailable(_))
        ));
    }

    #[test]
    fn query_answers_use_trang_thai_gd_1_3_4() {
        let ok = |s: &str| json!({"MaLoi": "00", "TrangThaiGD": s, "MaGiaoDich": "T9"});
        assert_eq!(
            read_query_answer(&ok("1")).unwrap(),
            GatewayStatus::Succeeded {
                transaction_id: "T9".into()
            }
        );
        assert_eq!(read_query_answer(&ok("3")).unwrap(), GatewayStatus::Pending);
        assert!(matches!(
            read_query_answer(&ok("4")).unwrap(),
            GatewayStatus::Failed { .. }
        ));
        // "00" was read as paid before; it is not a state of the protocol.
        assert!(matches!(
            read_query_answer(&ok("00")),
            Err(GatewayError::Unavailable(_))
        ));
        assert!(matches!(
            read_query_answer(&json!({"MaLoi": "99", "MoTaLoi": "sai"})),
            Err(GatewayError::Refused { .. })
        ));
        assert!(matches!(
            read_query_answer(&json!({})),
            Err(GatewayError::Unavailable(_))
        ));
    }
}

//! The national payment platform's messages (PayGov, protocol version 1.0.6) and an HTTP
//! client for it.
//!
//! Every message is authenticated with `MaXacThuc = hex(SHA-256(f1|f2|…|fn|secret))` over a
//! fixed list of its fields. The field lists below follow the INIT description in
//! DOMAIN.md §4 (from an integration in production); the QUERY and callback lists and the
//! `/init` and `/query` paths under `PAYGOV_URL` are this project's reading of the same
//! scheme and are the first thing to check against the platform's current specification.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{Callback, GatewayError, GatewayStatus, InitRequest, PaymentGateway};

pub const VERSION: &str = "1.0.6";
/// Vietnam does not observe daylight saving: UTC+7 all year.
const VN_OFFSET_SECS: i32 = 7 * 3600;

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

/// `yyyyMMddHHmmss` in Vietnam time.
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

fn callback_fields(c: &Callback) -> [&str; 5] {
    [
        &c.reference,
        &c.amount,
        &c.result_code,
        &c.transaction_id,
        &c.time,
    ]
}

/// Signs a callback as the platform would (the sandbox and tests use it).
pub fn sign_callback(c: &mut Callback, secret: &str) {
    c.mac = mac(&callback_fields(c), secret);
}

pub fn verify_callback(c: &Callback, secret: &str) -> bool {
    same_mac(&mac(&callback_fields(c), secret), &c.mac)
}

/// The INIT message for a payment.
pub fn init_message(partner: &str, secret: &str, r: &InitRequest) -> Value {
    let amount = r.amount.to_string();
    let time = format_time(r.created_at);
    let signed = [
        "INIT",
        VERSION,
        partner,
        &r.reference,
        &amount,
        "PAY",
        "VND",
        &time,
    ];
    json!({
        "LoaiBanTin": "INIT",
        "PhienBan": VERSION,
        "MaDoiTac": partner,
        "MaThamChieu": r.reference,
        "SoTien": amount,
        "LoaiHinhThanhToan": "PAY",
        "MaTienTe": "VND",
        "ThoiGianGD": time,
        "ThongTinGiaoDich": r.description,
        "ThongTinBienLai": {
            "MaDVC": r.procedure_code,
            "MaTTHC": r.procedure_code,
            "MaDonVi": r.agency_code,
            "MaHoSo": r.dossier_code,
            "HoTenNguoiNop": r.payer_name,
        },
        "MaXacThuc": mac(&signed, secret),
    })
}

/// The QUERY message for a reference.
pub fn query_message(partner: &str, secret: &str, reference: &str, now: DateTime<Utc>) -> Value {
    let time = format_time(now);
    let signed = ["QUERY", VERSION, partner, reference, &time];
    json!({
        "LoaiBanTin": "QUERY",
        "PhienBan": VERSION,
        "MaDoiTac": partner,
        "MaThamChieu": reference,
        "ThoiGianGD": time,
        "MaXacThuc": mac(&signed, secret),
    })
}

/// Reads a QUERY answer: `MaLoi` `00` means the query worked; `TrangThaiGD` `00` paid,
/// `01` still pending, anything else failed; `MaLoi` `04` means no such reference.
pub fn read_query_answer(v: &Value) -> Result<GatewayStatus, GatewayError> {
    let field = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    match field("MaLoi").as_str() {
        "00" => {}
        "04" => return Ok(GatewayStatus::Unknown),
        "" => return Err(GatewayError::Unavailable("answer without MaLoi".into())),
        code => {
            return Err(GatewayError::Refused {
                code: code.to_string(),
                message: field("MoTaLoi"),
            })
        }
    }
    Ok(match field("TrangThaiGD").as_str() {
        "00" => GatewayStatus::Succeeded {
            transaction_id: field("MaGiaoDich"),
        },
        "01" => GatewayStatus::Pending,
        other => GatewayStatus::Failed {
            reason: format!("TrangThaiGD={other} {}", field("MoTaLoi"))
                .trim()
                .to_string(),
        },
    })
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

    fn post(&self, path: &str, body: &Value) -> Result<Value, GatewayError> {
        let url = format!("{}{path}", self.base_url);
        let mut resp = self
            .agent
            .post(&url)
            .header("content-type", "application/json")
            .send(body.to_string())
            .map_err(|e| GatewayError::Unavailable(e.to_string()))?;
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .read_to_string()
            .map_err(|e| GatewayError::Unavailable(e.to_string()))?;
        if status >= 500 {
            return Err(GatewayError::Unavailable(format!("HTTP {status}")));
        }
        serde_json::from_str(&text).map_err(|e| {
            GatewayError::Unavailable(format!("HTTP {status}, unreadable answer: {e}"))
        })
    }
}

impl PaymentGateway for PayGovGateway {
    fn name(&self) -> &'static str {
        "paygov"
    }

    fn init(&self, req: &InitRequest) -> Result<String, GatewayError> {
        let answer = self.post("/init", &init_message(&self.partner, &self.secret, req))?;
        let field = |k: &str| {
            answer
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        match field("MaLoi").as_str() {
            "00" if !field("UrlThanhToan").is_empty() => Ok(field("UrlThanhToan")),
            "00" => Err(GatewayError::Unavailable(
                "INIT answer without UrlThanhToan".into(),
            )),
            code => Err(GatewayError::Refused {
                code: code.to_string(),
                message: field("MoTaLoi"),
            }),
        }
    }

    fn query(&self, reference: &str) -> Result<GatewayStatus, GatewayError> {
        let msg = query_message(&self.partner, &self.secret, reference, crate::clock::now());
        read_query_answer(&self.post("/query", &msg)?)
    }

    fn verify(&self, callback: &Callback) -> bool {
        verify_callback(callback, &self.secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn callback() -> Callback {
        Callback {
            reference: "MC01".into(),
            amount: "5000".into(),
            result_code: "00".into(),
            transaction_id: "PG1".into(),
            time: "20261128153000".into(),
            description: None,
            mac: String::new(),
        }
    }

    #[test]
    fn mac_is_sha256_over_pipe_joined_fields_and_secret() {
        assert_eq!(mac(&["a", "b"], "s"), hex::encode(Sha256::digest(b"a|b|s")));
    }

    #[test]
    fn every_signed_field_matters() {
        let mut c = callback();
        sign_callback(&mut c, "secret");
        assert!(verify_callback(&c, "secret"));
        assert!(!verify_callback(&c, "other"));
        let mut upper = c.clone();
        upper.mac = upper.mac.to_uppercase();
        assert!(
            verify_callback(&upper, "secret"),
            "hex case does not matter"
        );
        for tamper in [
            |c: &mut Callback| c.reference.push('X'),
            |c: &mut Callback| c.amount = "50000".into(),
            |c: &mut Callback| c.result_code = "01".into(),
            |c: &mut Callback| c.transaction_id.push('2'),
            |c: &mut Callback| c.time = "20261128153001".into(),
        ] {
            let mut t = c.clone();
            tamper(&mut t);
            assert!(!verify_callback(&t, "secret"));
        }
    }

    #[test]
    fn times_are_vietnam_local() {
        let t = Utc.with_ymd_and_hms(2026, 11, 28, 17, 30, 0).unwrap();
        assert_eq!(format_time(t), "20261129003000");
        assert_eq!(parse_time("20261129003000"), Some(t));
        assert_eq!(parse_time("2026-11-29"), None);
    }

    #[test]
    fn init_message_is_signed_over_its_header() {
        let r = InitRequest {
            reference: "MC01".into(),
            amount: 5000,
            created_at: Utc.with_ymd_and_hms(2026, 11, 28, 8, 0, 0).unwrap(),
            description: "Lệ phí".into(),
            dossier_code: "H25.04978-261128-0001".into(),
            procedure_code: "1.001193".into(),
            agency_code: "H25.04978".into(),
            payer_name: "Nguyễn Văn A".into(),
        };
        let m = init_message("P1", "k", &r);
        assert_eq!(m["LoaiBanTin"], "INIT");
        assert_eq!(m["SoTien"], "5000");
        assert_eq!(m["ThoiGianGD"], "20261128150000");
        assert_eq!(
            m["MaXacThuc"],
            mac(
                &[
                    "INIT",
                    VERSION,
                    "P1",
                    "MC01",
                    "5000",
                    "PAY",
                    "VND",
                    "20261128150000"
                ],
                "k"
            )
        );
        assert_eq!(m["ThongTinBienLai"]["MaHoSo"], "H25.04978-261128-0001");
    }

    #[test]
    fn query_answers() {
        let ok = |s: &str| json!({"MaLoi": "00", "TrangThaiGD": s, "MaGiaoDich": "T9"});
        assert_eq!(
            read_query_answer(&ok("00")).unwrap(),
            GatewayStatus::Succeeded {
                transaction_id: "T9".into()
            }
        );
        assert_eq!(
            read_query_answer(&ok("01")).unwrap(),
            GatewayStatus::Pending
        );
        assert!(matches!(
            read_query_answer(&ok("02")).unwrap(),
            GatewayStatus::Failed { .. }
        ));
        assert_eq!(
            read_query_answer(&json!({"MaLoi": "04"})).unwrap(),
            GatewayStatus::Unknown
        );
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

//! The national payment platform's HTTP client against a stand-in platform on loopback:
//! the INIT and QUERY messages it sends are signed as the platform checks them, and the
//! platform's answers (and its silence) are read as they should be.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpResponse, HttpServer};
use chrono::TimeZone;
use motcua::payments::paygov::{self, PayGovGateway};
use motcua::payments::{
    Beneficiary, Callback, FeeItem, GatewayError, GatewayStatus, InitRequest, PaymentGateway,
};
use serde_json::{json, Value};
use sha2::Digest;

const PARTNER: &str = "MOTCUA01";
const SECRET: &str = "platform-shared-secret";

/// Starts the stand-in platform; returns its base URL and the messages it received. It
/// checks each message as the platform does: INIT over its 14 fields, QUERY and GET_BILL
/// over their 5, each with the original transaction time of the reference.
fn platform(query_state: &'static str) -> (String, Arc<Mutex<Vec<Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            HttpServer::new(move || {
                let log = log.clone();
                App::new().app_data(web::Data::new(log)).route(
                    "/{op}",
                    web::post().to(move |op: web::Path<String>, body: web::Json<Value>, log: web::Data<Arc<Mutex<Vec<Value>>>>| async move {
                        let m = body.into_inner();
                        log.lock().unwrap().push(m.clone());
                        let f = |k: &str| m[k].as_str().unwrap_or("").to_string();
                        let fields: &[&str] = if op.as_str() == "init" { &paygov::INIT_SIGNED } else { &paygov::QUERY_SIGNED };
                        // Recomputed here from the documented list, not with the client's helper.
                        let joined = fields.iter().map(|k| f(k)).chain([SECRET.to_string()]).collect::<Vec<_>>().join("|");
                        let mac = hex::encode(sha2::Sha256::digest(joined.as_bytes()));
                        if mac != f("MaXacThuc") {
                            return match op.as_str() {
                                "init" => HttpResponse::Ok().json(json!({"error_code": "9", "message": "Sai mã xác thực"})),
                                _ => HttpResponse::Ok().json(json!({"MaLoi": "09", "MoTaLoi": "Sai mã xác thực"})),
                            };
                        }
                        match op.as_str() {
                            "init" => HttpResponse::Ok().json(json!({"error_code": "0",
                                "message": json!({"UrlThanhToan": format!("https://pay.example/{}", f("MaThamChieu"))}).to_string()})),
                            _ if f("ThoiGianGD") != "20261128090000" => HttpResponse::Ok().json(json!({"MaLoi": "07", "MoTaLoi": "Sai thời gian giao dịch"})),
                            "receipt" => HttpResponse::Ok().content_type("application/pdf").body(b"%PDF-1.4 bien lai".to_vec()),
                            _ => HttpResponse::Ok().json(json!({"MaLoi": "00", "TrangThaiGD": query_state, "MaGiaoDich": "PG77"})),
                        }
                    }),
                )
            })
            .listen(listener)
            .unwrap()
            .workers(1)
            .run()
            .await
            .unwrap()
        })
    });
    (url, seen)
}

fn initiated() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc.with_ymd_and_hms(2026, 11, 28, 2, 0, 0).unwrap()
}

fn init_request() -> InitRequest {
    InitRequest {
        reference: "MC0001".into(),
        amount: 10_000,
        created_at: initiated(),
        description: "Phi le phi ho so 000.25.01.H25-261128-0001".into(),
        dossier_code: "000.25.01.H25-261128-0001".into(),
        procedure_code: "1.004222".into(),
        procedure_name: "Đăng ký thường trú".into(),
        agency_code: "000.25.01.H25".into(),
        agency_name: "UBND xã Kim Bôi".into(),
        payer_name: "Trần Văn Bình".into(),
        payer_id_number: "025190000001".into(),
        payer_address: "Thôn Bo".into(),
        beneficiary: Beneficiary {
            account_name: "Kho bac Nha nuoc Phu Tho".into(),
            account_no: "3511.0.1058123".into(),
            bank_code: "KBNN".into(),
        },
        fees: vec![FeeItem {
            kind: "le_phi".into(),
            code: "LP-TT".into(),
            name: "Lệ phí đăng ký cư trú".into(),
            amount: 10_000,
        }],
        client_ip: "198.51.100.20".into(),
    }
}

/// The INIT as sent, golden: its MaXacThuc was computed outside the code under test with
///   printf '%s' 'INIT|1.0.6|MOTCUA01|MC0001|10000|PAY|1|1|vi-VN|VND|PAYMENT|Phi le phi ho so 000.25.01.H25-261128-0001|20261128090000|198.51.100.20|platform-shared-secret' | sha256sum
const GOLDEN_INIT_MAC: &str = "e680b9690ceeb75e5cf13d16cbe49f10d1bfd3a17c44926f101d5eee74ad782a";
/// printf '%s' 'QUERY|1.0.6|MOTCUA01|MC0001|20261128090000|platform-shared-secret' | sha256sum
const GOLDEN_QUERY_MAC: &str = "1a5cc4fe034d99af092439b1ef9e1db613229663c5de70c5ce272c6181915e35";
/// printf '%s' 'GET_BILL|1.0.6|MOTCUA01|MC0001|20261128090000|platform-shared-secret' | sha256sum
const GOLDEN_BILL_MAC: &str = "af3002cd19e3262ff3096d63f0fa34e7e934bb7246ccedd2c8b3473a329a2b67";

#[test]
fn init_query_and_receipt_against_the_platform() {
    let (url, seen) = platform("1");
    let gw = PayGovGateway::new(url.clone(), PARTNER.into(), SECRET.into());
    assert_eq!(
        gw.init(&init_request()).unwrap(),
        "https://pay.example/MC0001"
    );
    let sent = seen.lock().unwrap()[0].clone();
    for (k, v) in [
        ("LoaiBanTin", "INIT"),
        ("PhienBan", "1.0.6"),
        ("MaDoiTac", PARTNER),
        ("MaThamChieu", "MC0001"),
        ("SoTien", "10000"),
        ("LoaiHinhThanhToan", "PAY"),
        ("MaKenhThanhToan", "1"),
        ("MaThietBi", "1"),
        ("NgonNgu", "vi-VN"),
        ("MaTienTe", "VND"),
        ("MaNganHang", "PAYMENT"),
        ("ThoiGianGD", "20261128090000"),
        ("Ip", "198.51.100.20"),
        ("MaXacThuc", GOLDEN_INIT_MAC),
    ] {
        assert_eq!(sent[k], v, "{k}");
    }
    let b = &sent["ThongTinBienLai"];
    for (k, v) in [
        ("MaTTHC", "1.004222"),
        ("MaDVC", "1.004222.01"),
        ("MaDonVi", "000.25.01.H25"),
        ("TenDonVi", "UBND xã Kim Bôi"),
        ("MaHoSo", "000.25.01.H25-261128-0001"),
        ("TenTKThuHuong", "Kho bac Nha nuoc Phu Tho"),
        ("TKThuHuong", "3511.0.1058123"),
        ("MaNHThuHuong", "KBNN"),
        ("HoTenNguoiNop", "Trần Văn Bình"),
        ("SoCMNDNguoiNop", "025190000001"),
        ("DiaChiNguoiNop", "Thôn Bo"),
    ] {
        assert_eq!(b[k], v, "ThongTinBienLai.{k}");
    }
    assert_eq!(
        b["PhiLePhi"],
        json!([{"LoaiPhiLePhi": "Lệ phí", "MaPhiLePhi": "LP-TT", "TenPhiLePhi": "Lệ phí đăng ký cư trú", "SoTien": "10000"}])
    );
    assert_eq!(
        b["DSKhoanNop"],
        json!([{"NoiDung": "Lệ phí đăng ký cư trú", "SoTien": "10000"}])
    );

    // QUERY and the receipt request, days later, still sign with the original time.
    assert_eq!(
        gw.query("MC0001", initiated()).unwrap(),
        GatewayStatus::Succeeded {
            transaction_id: "PG77".into()
        }
    );
    assert_eq!(
        gw.receipt("MC0001", initiated()).unwrap(),
        b"%PDF-1.4 bien lai"
    );
    let log = seen.lock().unwrap().clone();
    assert_eq!(
        (log[1]["LoaiBanTin"].as_str(), log[1]["MaXacThuc"].as_str()),
        (Some("QUERY"), Some(GOLDEN_QUERY_MAC))
    );
    assert_eq!(
        (log[2]["LoaiBanTin"].as_str(), log[2]["MaXacThuc"].as_str()),
        (Some("GET_BILL"), Some(GOLDEN_BILL_MAC))
    );
    // Signed with another time, the platform does not know the transaction.
    let later = initiated() + chrono::Duration::days(2);
    assert!(
        matches!(gw.query("MC0001", later), Err(GatewayError::Refused { code, .. }) if code == "07")
    );

    // A wrong secret is refused by the platform, and we say so.
    let wrong = PayGovGateway::new(url, PARTNER.into(), "not-the-secret".into());
    match wrong.init(&init_request()) {
        Err(GatewayError::Refused { code, .. }) => assert_eq!(code, "9"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn pending_and_failed_at_the_platform_and_platform_down() {
    let (url, _) = platform("3");
    let gw = PayGovGateway::new(url, PARTNER.into(), SECRET.into());
    assert_eq!(
        gw.query("MC0002", initiated()).unwrap(),
        GatewayStatus::Pending
    );
    let (url, _) = platform("4");
    let gw = PayGovGateway::new(url, PARTNER.into(), SECRET.into());
    assert!(matches!(
        gw.query("MC0002", initiated()).unwrap(),
        GatewayStatus::Failed { .. }
    ));
    // Nothing listens on this port: unavailable, not a crash and not "failed".
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = PayGovGateway::new(
        format!("http://127.0.0.1:{port}"),
        PARTNER.into(),
        SECRET.into(),
    );
    assert!(matches!(
        down.init(&init_request()),
        Err(GatewayError::Unavailable(_))
    ));
    assert!(matches!(
        down.query("MC0002", initiated()),
        Err(GatewayError::Unavailable(_))
    ));
}

/// A callback as the platform sends it, golden: its MaXacThuc computed outside the code with
///   printf '%s' 'PAY|00|MOTCUA01|MC0001|10000|VND|PG77|VCB|20261128153000|Phi le phi|platform-shared-secret' | sha256sum
#[test]
fn golden_callback_verifies_and_any_change_does_not() {
    let raw = json!({"LoaiBanTin": "PAY", "MaLoi": "00", "MaDoiTac": PARTNER, "MaThamChieu": "MC0001",
        "SoTien": "10000", "MaTienTe": "VND", "MaGiaoDich": "PG77", "MaNganHang": "VCB",
        "ThoiGianGD": "20261128153000", "ThongTinGiaoDich": "Phi le phi",
        "MaXacThuc": "4124084bf13d60eb28aca626f6844383236af9a0fee3850eefe8f94046cf9d9f", "TruongKhac": "ignored, not signed"});
    let cb: Callback = serde_json::from_value(raw.clone()).unwrap();
    let gw = PayGovGateway::new("http://127.0.0.1:9".into(), PARTNER.into(), SECRET.into());
    assert!(gw.verify(&cb));
    assert!(cb.succeeded());
    for k in [
        "LoaiBanTin",
        "MaLoi",
        "MaDoiTac",
        "MaThamChieu",
        "SoTien",
        "MaTienTe",
        "MaGiaoDich",
        "MaNganHang",
        "ThoiGianGD",
        "ThongTinGiaoDich",
    ] {
        let mut t = raw.clone();
        t[k] = json!(format!("{}x", t[k].as_str().unwrap()));
        let cb: Callback = serde_json::from_value(t).unwrap();
        assert!(!gw.verify(&cb), "{k} is signed");
    }
    let other = PayGovGateway::new("http://127.0.0.1:9".into(), "OTHER".into(), SECRET.into());
    assert!(!other.verify(&cb), "addressed to another partner");
}

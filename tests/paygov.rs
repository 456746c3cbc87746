//! The national payment platform's HTTP client against a stand-in platform on loopback:
//! the INIT and QUERY messages it sends are signed as the platform checks them, and the
//! platform's answers (and its silence) are read as they should be.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpResponse, HttpServer};
use chrono::TimeZone;
use motcua::payments::paygov::{self, PayGovGateway};
use motcua::payments::{GatewayError, GatewayStatus, InitRequest, PaymentGateway};
use serde_json::{json, Value};

const PARTNER: &str = "MOTCUA01";
const SECRET: &str = "platform-shared-secret";

/// Starts the stand-in platform; returns its base URL and the messages it received.
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
                        let fields: Vec<String> = match op.as_str() {
                            "init" => ["LoaiBanTin", "PhienBan", "MaDoiTac", "MaThamChieu", "SoTien", "LoaiHinhThanhToan", "MaTienTe", "ThoiGianGD"].iter().map(|k| f(k)).collect(),
                            _ => ["LoaiBanTin", "PhienBan", "MaDoiTac", "MaThamChieu", "ThoiGianGD"].iter().map(|k| f(k)).collect(),
                        };
                        let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
                        if !paygov::same_mac(&paygov::mac(&refs, SECRET), &f("MaXacThuc")) {
                            return HttpResponse::Ok().json(json!({"MaLoi": "09", "MoTaLoi": "Sai mã xác thực"}));
                        }
                        match op.as_str() {
                            "init" => HttpResponse::Ok().json(json!({"MaLoi": "00", "UrlThanhToan": format!("https://pay.example/{}", f("MaThamChieu"))})),
                            _ if f("MaThamChieu") == "MISSING" => HttpResponse::Ok().json(json!({"MaLoi": "04"})),
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

fn init_request() -> InitRequest {
    InitRequest {
        reference: "MC0001".into(),
        amount: 10_000,
        created_at: chrono::Utc.with_ymd_and_hms(2026, 11, 28, 2, 0, 0).unwrap(),
        description: "Lệ phí hồ sơ".into(),
        dossier_code: "H25.04978-261128-0001".into(),
        procedure_code: "1.004222".into(),
        agency_code: "H25.04978".into(),
        payer_name: "Trần Văn Bình".into(),
    }
}

#[test]
fn init_and_query_against_the_platform() {
    let (url, seen) = platform("00");
    let gw = PayGovGateway::new(url.clone(), PARTNER.into(), SECRET.into());
    assert_eq!(
        gw.init(&init_request()).unwrap(),
        "https://pay.example/MC0001"
    );
    let sent = seen.lock().unwrap()[0].clone();
    assert_eq!(sent["LoaiBanTin"], "INIT");
    assert_eq!(sent["PhienBan"], "1.0.6");
    assert_eq!(sent["MaDoiTac"], PARTNER);
    assert_eq!(sent["SoTien"], "10000");
    assert_eq!(sent["ThoiGianGD"], "20261128090000", "Vietnam time");
    assert_eq!(sent["ThongTinBienLai"]["MaHoSo"], "H25.04978-261128-0001");
    assert_eq!(
        gw.query("MC0001").unwrap(),
        GatewayStatus::Succeeded {
            transaction_id: "PG77".into()
        }
    );
    assert_eq!(gw.query("MISSING").unwrap(), GatewayStatus::Unknown);

    // A wrong secret is refused by the platform, and we say so.
    let wrong = PayGovGateway::new(url, PARTNER.into(), "not-the-secret".into());
    match wrong.init(&init_request()) {
        Err(GatewayError::Refused { code, .. }) => assert_eq!(code, "09"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn pending_at_the_platform_and_platform_down() {
    let (url, _) = platform("01");
    let gw = PayGovGateway::new(url, PARTNER.into(), SECRET.into());
    assert_eq!(gw.query("MC0002").unwrap(), GatewayStatus::Pending);
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
        down.query("MC0002"),
        Err(GatewayError::Unavailable(_))
    ));
}

//! The display page in a real headless Chromium (Debian's `chromium`, installed by `.ci/run`)
//! against a real listening server: a call shows on the page within a second of the officer's
//! request, and a call made while the server was down shows after the stream resumes.
//!
//! Chromium is driven over the DevTools protocol with a few lines of WebSocket below (one
//! `Runtime.evaluate` at a time) rather than a browser-automation crate.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::test::{init_service, TestRequest};
use common::*;
use motcua::domain::roles::Role;
use serde_json::{json, Value};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The app on a real port, in its own thread and actix system.
fn serve(state: motcua::state::AppState, port: u16) -> ServerHandle {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = actix_web::HttpServer::new(move || motcua::app::build(state.clone()))
                .workers(1)
                .shutdown_timeout(0)
                .bind(("127.0.0.1", port))
                .expect("bind")
                .run();
            tx.send(server.handle()).unwrap();
            let _ = server.await;
        })
    });
    rx.recv().unwrap()
}

/// Chromium, or None (the test is skipped outside CI when it is not installed).
fn chromium() -> Option<&'static str> {
    let found = Command::new("chromium")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return Some("chromium");
    }
    if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false") {
        panic!("CI is set but chromium is not installed: the display's browser test must run");
    }
    eprintln!("chromium not installed: skipping the display's browser test");
    None
}

/// A minimal WebSocket client (RFC 6455): text frames, masked as a client must.
struct Ws {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Ws {
    fn connect(url: &str) -> Ws {
        let rest = url.strip_prefix("ws://").unwrap();
        let (host, path) = rest.split_at(rest.find('/').unwrap());
        let writer = TcpStream::connect(host).unwrap();
        writer
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut reader = BufReader::new(writer.try_clone().unwrap());
        let mut w = writer.try_clone().unwrap();
        write!(w, "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").unwrap();
        let mut status = String::new();
        reader.read_line(&mut status).unwrap();
        assert!(status.contains(" 101 "), "websocket upgrade: {status}");
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
        }
        Ws { reader, writer }
    }

    fn send(&mut self, text: &str) {
        let payload = text.as_bytes();
        let mask = [0x37u8, 0xfa, 0x21, 0x3d];
        let mut frame = vec![0x81u8];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n < 65536 => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.writer.write_all(&frame).unwrap();
    }

    fn recv(&mut self) -> String {
        let mut message = Vec::new();
        loop {
            let mut head = [0u8; 2];
            self.reader.read_exact(&mut head).unwrap();
            let mut len = u64::from(head[1] & 0x7f);
            if len == 126 {
                let mut b = [0u8; 2];
                self.reader.read_exact(&mut b).unwrap();
                len = u64::from(u16::from_be_bytes(b));
            } else if len == 127 {
                let mut b = [0u8; 8];
                self.reader.read_exact(&mut b).unwrap();
                len = u64::from_be_bytes(b);
            }
            let mut payload = vec![0u8; len as usize];
            self.reader.read_exact(&mut payload).unwrap();
            match head[0] & 0x0f {
                0x1 | 0x0 => message.extend(payload),
                _ => continue, // ping, pong: nothing to do for a short test
            }
            if head[0] & 0x80 != 0 {
                return String::from_utf8(message).unwrap();
            }
        }
    }
}

/// One page of the browser, evaluated over the DevTools protocol.
struct Page {
    ws: Ws,
    next_id: u64,
}

impl Page {
    fn eval(&mut self, expression: &str) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.ws.send(
            &json!({"id": id, "method": "Runtime.evaluate", "params": {"expression": expression, "returnByValue": true}})
                .to_string(),
        );
        loop {
            let m: Value = serde_json::from_str(&self.ws.recv()).unwrap();
            if m["id"] == id {
                return m["result"]["result"]["value"].clone();
            }
        }
    }

    /// Polls `expression` until it equals `want`; the time it took, or panics after `limit`.
    fn wait_for(&mut self, expression: &str, want: &str, limit: Duration) -> Duration {
        let start = Instant::now();
        loop {
            if self.eval(expression) == want {
                return start.elapsed();
            }
            assert!(
                start.elapsed() < limit,
                "{expression} did not become {want:?} within {limit:?} (is {:?})",
                self.eval(expression)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

struct Browser(Child);

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn open_page(bin: &str, url: &str, profile: &std::path::Path) -> (Browser, Page) {
    let port = free_port();
    let child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--mute-audio",
            &format!("--remote-debugging-port={port}"),
            &format!("--user-data-dir={}", profile.display()),
            url,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let browser = Browser(child);
    let start = Instant::now();
    let ws_url = loop {
        let list = ureq::get(&format!("http://127.0.0.1:{port}/json/list"))
            .call()
            .ok()
            .and_then(|mut r| r.body_mut().read_to_string().ok())
            .and_then(|t| serde_json::from_str::<Value>(&t).ok());
        let page = list.as_ref().and_then(|l| {
            l.as_array()?
                .iter()
                .find(|t| {
                    t["type"] == "page"
                        && t["url"].as_str().is_some_and(|u| u.contains("/display/"))
                })
                .and_then(|t| t["webSocketDebuggerUrl"].as_str().map(str::to_string))
        });
        if let Some(u) = page {
            break u;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "chromium's DevTools did not come up"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    (
        browser,
        Page {
            ws: Ws::connect(&ws_url),
            next_id: 0,
        },
    )
}

const NUMBER: &str = "document.getElementById('current-number').textContent";
const STATUS: &str = "document.getElementById('status').textContent";
const CALLS: &str = "Array.from(document.querySelectorAll('#calls li span:first-child')).map(e => e.textContent).join(',')";

app_fn! {
    async fn post(app: &S, token: &str, uri: &str, body: Value) -> Resp {
        call(app, TestRequest::post().uri(uri).insert_header(bearer(token)).set_json(body)).await
    }
}

both_backends! {
    async fn the_display_page_shows_calls_live_and_after_the_stream_is_cut(ctx) {
        let Some(bin) = chromium() else { return };
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let r = call(&app, TestRequest::put().uri(&format!("/api/v1/communes/{KIM_BOI}/queue/services/A"))
            .insert_header(bearer(&admin)).set_json(json!({"name": "Chứng thực"}))).await;
        assert_eq!(r.status, 200);
        let r = post(&app, &admin, &format!("/api/v1/communes/{KIM_BOI}/queue/counters"), json!({"number": 3, "name": "Quầy 3", "services": ["A"]})).await;
        let counter = r.body["id"].as_str().unwrap().to_string();
        assert_eq!(post(&app, &officer, &format!("/api/v1/queue/counters/{counter}/open"), json!(null)).await.status, 200);
        let r = post(&app, &admin, &format!("/api/v1/communes/{KIM_BOI}/queue/devices"), json!({"name": "Kiosk"})).await;
        let key = r.body["key"].as_str().unwrap().to_string();
        for _ in 0..2 {
            let r = call(&app, TestRequest::post().uri(&format!("/api/v1/communes/{KIM_BOI}/queue/tickets"))
                .insert_header(("x-device-key", key.clone())).set_json(json!({"service": "A"}))).await;
            assert_eq!(r.status, 201, "{}", r.body);
        }

        let port = free_port();
        let server = serve(ctx.state.clone(), port);
        let profile = tempfile::tempdir().unwrap();
        let (_browser, mut page) = open_page(bin, &format!("http://127.0.0.1:{port}/display/{KIM_BOI}"), profile.path());
        page.wait_for(STATUS, "Đã kết nối", Duration::from_secs(10));
        assert_eq!(page.eval(NUMBER), "---");

        // The officer calls through the real server: the page shows it within a second.
        let res = ureq::post(&format!("http://127.0.0.1:{port}/api/v1/queue/counters/{counter}/call-next"))
            .header("authorization", &format!("Bearer {officer}"))
            .send_empty()
            .expect("call next");
        assert_eq!(res.status(), 200);
        let shown = page.wait_for(NUMBER, "A001", Duration::from_secs(3));
        assert!(shown < Duration::from_secs(1), "shown after {shown:?}");
        eprintln!("display: call shown {shown:?} after the officer's request returned");

        // The server goes away; meanwhile the next call is made (through another instance:
        // the in-process app on the same database).
        server.stop(false).await;
        page.wait_for(STATUS, "Mất kết nối, đang thử lại…", Duration::from_secs(5));
        let r = call(&app, TestRequest::post().uri(&format!("/api/v1/queue/counters/{counter}/call-next")).insert_header(bearer(&officer))).await;
        assert_eq!(r.status, 409, "A001 still called: {}", r.body);
        let t1 = r.body.to_string();
        assert!(t1.contains("queue.ticket_in_progress"), "{t1}");
        let first: String = ctx.with_conn(|c| {
            use diesel::prelude::*;
            use motcua::db::schema::queue_tickets as t;
            t::table.filter(t::number.eq("A001")).select(t::id).first(c).unwrap()
        });
        for act in ["start", "finish"] {
            let r = call(&app, TestRequest::post().uri(&format!("/api/v1/queue/tickets/{first}/{act}")).insert_header(bearer(&officer))).await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
        let r = call(&app, TestRequest::post().uri(&format!("/api/v1/queue/counters/{counter}/call-next")).insert_header(bearer(&officer))).await;
        assert_eq!(r.body["ticket"]["number"], "A002", "{}", r.body);

        // Back on the same address: EventSource resumes with Last-Event-ID and shows the call
        // it missed, after the one it had.
        let server = serve(ctx.state.clone(), port);
        let resumed = page.wait_for(NUMBER, "A002", Duration::from_secs(10));
        eprintln!("display: missed call shown {resumed:?} after the server came back");
        assert_eq!(page.eval(CALLS), "A002,A001");
        assert_eq!(page.eval(STATUS), "Đã kết nối");
        server.stop(false).await;
    }
}

//! Authentication through the real HTTP app: tokens, refresh rotation, revocation, throttling.

mod common;

use actix_web::test::{init_service, TestRequest};
use chrono::Utc;
use common::*;
use motcua::auth::tokens::Claims;
use motcua::domain::roles::Role;
use serde_json::json;

fn login(username: &str, password: &str) -> TestRequest {
    TestRequest::post()
        .uri("/api/v1/auth/token")
        .set_json(json!({"username": username, "password": password}))
}

fn claims_for(user_id: &str) -> Claims {
    let now = Utc::now().timestamp();
    Claims {
        sub: user_id.to_string(),
        role: Role::SystemAdmin,
        commune_code: None,
        province_code: None,
        iss: "motcua".into(),
        aud: "motcua-api".into(),
        exp: now + 600,
        iat: now,
        jti: "j".into(),
        ep: Some(0),
    }
}

both_backends! {
    async fn login_issues_tokens_that_work(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (user, _) = ctx.user_named("tiepnhan.kimboi", Role::ReceptionOfficer, Some(KIM_BOI));
        let r = call(&app, login("TiepNhan.KimBoi", TEST_PASSWORD)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["token_type"], "Bearer");
        assert_eq!(r.body["user"]["id"], user.id.as_str());
        assert_eq!(r.body["user"]["commune_code"], KIM_BOI);
        assert_eq!(r.body["user"]["province_code"], "25");
        assert!(r.body["user"].get("password_hash").is_none());
        let access = r.body["access_token"].as_str().unwrap();
        let me = call(&app, TestRequest::get().uri("/api/v1/auth/me").insert_header(bearer(access))).await;
        assert_eq!(me.status, 200);
        assert_eq!(me.body["username"], "tiepnhan.kimboi");
        assert_eq!(me.body["role"], "reception_officer");
    }

    async fn wrong_password_and_unknown_user_look_the_same(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        ctx.user_named("canbo.a", Role::Specialist, Some(KIM_BOI));
        let wrong = call(&app, login("canbo.a", "not-the-password")).await;
        let unknown = call(&app, login("nobody.here", "not-the-password")).await;
        assert_eq!(wrong.status, 401);
        assert_eq!(unknown.status, 401);
        assert_eq!(wrong.problem_code(), "auth.invalid_credentials");
        assert_eq!(unknown.problem_code(), "auth.invalid_credentials");
        assert_eq!(wrong.body["detail"], unknown.body["detail"]);
    }

    async fn refresh_rotates_and_reuse_revokes_the_family(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        ctx.user_named("lanhdao", Role::Leader, Some(KIM_BOI));
        let first = call(&app, login("lanhdao", TEST_PASSWORD)).await;
        let r1 = first.body["refresh_token"].as_str().unwrap().to_string();
        let refresh = |t: &str| TestRequest::post().uri("/api/v1/auth/refresh").set_json(json!({"refresh_token": t}));

        let second = call(&app, refresh(&r1)).await;
        assert_eq!(second.status, 200, "{}", second.body);
        let r2 = second.body["refresh_token"].as_str().unwrap().to_string();
        assert_ne!(r1, r2);
        assert!(second.body["access_token"].as_str().unwrap().len() > 20);

        // The old token again: theft is assumed, the whole family dies, r2 included.
        let reuse = call(&app, refresh(&r1)).await;
        assert_eq!(reuse.status, 401);
        assert_eq!(reuse.problem_code(), "auth.refresh_token_reused");
        let after = call(&app, refresh(&r2)).await;
        assert_eq!(after.status, 401);

        // A new login starts a new, working family.
        let again = call(&app, login("lanhdao", TEST_PASSWORD)).await;
        let r3 = again.body["refresh_token"].as_str().unwrap().to_string();
        assert_eq!(call(&app, refresh(&r3)).await.status, 200);
        assert_eq!(call(&app, refresh("garbage")).await.problem_code(), "auth.invalid_refresh_token");
    }

    async fn concurrent_refreshes_with_one_token_yield_one_winner(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        ctx.user_named("chuyenvien", Role::Specialist, Some(KIM_BOI));
        let first = call(&app, login("chuyenvien", TEST_PASSWORD)).await;
        let token = first.body["refresh_token"].as_str().unwrap().to_string();
        let reqs = (0..6).map(|_| {
            call(&app, TestRequest::post().uri("/api/v1/auth/refresh").set_json(json!({"refresh_token": token})))
        });
        let results = futures_util::future::join_all(reqs).await;
        let ok = results.iter().filter(|r| r.status == 200).count();
        assert!(ok <= 1, "at most one refresh may win, got {ok}");
        assert!(results.iter().all(|r| r.status == 200 || r.status == 401));
    }

    // Parallel logins to one account, with real threads and connections, doing what a login
    // does in its two transactions: count the attempt, then (right password) withdraw its
    // records and the account's failures. Two successes delete overlapping rows in different
    // orders: on PostgreSQL that was `deadlock detected`, a 500 to one of the officers.
    async fn parallel_successful_logins_never_deadlock(ctx) {
        use motcua::service::login_throttle::{admit, succeeded, Admission, Limit};
        let user_key = "user:song-song";
        let errors: Vec<String> = (0..8).map(|t| {
            let pool = ctx.state.pool.clone();
            std::thread::spawn(move || {
                let mut errors = Vec::new();
                for i in 0..25 {
                    let mut conn = pool.get().expect("connection");
                    let limits = [
                        Limit { key: user_key.into(), max: 1000 },
                        Limit { key: format!("ip:203.0.113.{t}"), max: 1000 },
                    ];
                    let now = chrono::Utc::now().naive_utc();
                    let records = match admit(&mut conn, &limits, 600, now) {
                        Ok(Admission::Admitted { records }) => records,
                        other => { errors.push(format!("admit {t}/{i}: {other:?}")); continue; }
                    };
                    let done = conn.write_transaction(|c| succeeded(c, &records, user_key));
                    if let Err(e) = done { errors.push(format!("succeeded {t}/{i}: {e}")); }
                }
                errors
            })
        }).collect::<Vec<_>>().into_iter().flat_map(|h| h.join().unwrap()).collect();
        assert!(errors.is_empty(), "{errors:?}");
        let left: i64 = ctx.with_conn(|c| {
            use diesel::prelude::*;
            use motcua::db::schema::login_failures::dsl::*;
            login_failures.filter(throttle_key.eq(user_key)).count().get_result(c).unwrap()
        });
        assert_eq!(left, 0, "successful logins leave no failure of the account");
    }

    async fn logout_ends_the_session_and_is_retry_safe(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        ctx.user_named("motcua.b", Role::ReceptionOfficer, Some(KIM_BOI));
        let first = call(&app, login("motcua.b", TEST_PASSWORD)).await;
        let rt = first.body["refresh_token"].as_str().unwrap().to_string();
        let logout = || TestRequest::post().uri("/api/v1/auth/logout").set_json(json!({"refresh_token": rt}));
        assert_eq!(call(&app, logout()).await.status, 204);
        assert_eq!(call(&app, logout()).await.status, 204);
        let r = call(&app, TestRequest::post().uri("/api/v1/auth/refresh").set_json(json!({"refresh_token": rt}))).await;
        assert_eq!(r.status, 401);
    }

    async fn logout_everywhere_voids_access_tokens(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        ctx.user_named("motcua.c", Role::ReceptionOfficer, Some(KIM_BOI));
        let a = call(&app, login("motcua.c", TEST_PASSWORD)).await;
        let b = call(&app, login("motcua.c", TEST_PASSWORD)).await;
        let access = a.body["access_token"].as_str().unwrap().to_string();
        let r = call(&app, TestRequest::post().uri("/api/v1/auth/logout").insert_header(bearer(&access))
            .set_json(json!({"refresh_token": a.body["refresh_token"], "everywhere": true}))).await;
        assert_eq!(r.status, 204);
        let me = call(&app, TestRequest::get().uri("/api/v1/auth/me").insert_header(bearer(&access))).await;
        assert_eq!(me.problem_code(), "auth.token_revoked");
        let other = call(&app, TestRequest::post().uri("/api/v1/auth/refresh").set_json(json!({"refresh_token": b.body["refresh_token"]}))).await;
        assert_eq!(other.status, 401);
    }

    async fn bad_tokens_are_refused(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (admin, good) = ctx.user(Role::SystemAdmin, None);
        let me = |t: String| TestRequest::get().uri("/api/v1/auth/me").insert_header(("authorization", t));
        assert_eq!(call(&app, me(format!("Bearer {good}"))).await.status, 200);

        let missing = call(&app, TestRequest::get().uri("/api/v1/auth/me")).await;
        assert_eq!(missing.problem_code(), "auth.missing_token");
        assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
        assert_eq!(call(&app, me(format!("Basic {good}"))).await.problem_code(), "auth.invalid_token");

        // Expired (beyond the 30 s leeway).
        let mut c = claims_for(&admin.id);
        c.exp = Utc::now().timestamp() - 120;
        assert_eq!(call(&app, me(format!("Bearer {}", ctx.state.tokens.sign(&c)))).await.problem_code(), "auth.token_expired");

        // Tampered: flip one character of the signature.
        let mut t = good.clone().into_bytes();
        let last = t.len() - 3;
        t[last] = if t[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(call(&app, me(format!("Bearer {}", String::from_utf8(t).unwrap()))).await.problem_code(), "auth.invalid_token");

        // Payload swapped for a system_admin claim, signature kept.
        let parts: Vec<&str> = good.split('.').collect();
        let forged_payload = base64_url(&serde_json::to_vec(&claims_for("someone-else")).unwrap());
        let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        assert_eq!(call(&app, me(format!("Bearer {forged}"))).await.status, 401);

        // alg: none.
        let none_header = base64_url(br#"{"alg":"none","typ":"JWT"}"#);
        let none = format!("{none_header}.{}.", parts[1]);
        assert_eq!(call(&app, me(format!("Bearer {none}"))).await.problem_code(), "auth.invalid_token");

        // Wrong issuer, wrong audience.
        let mut c = claims_for(&admin.id);
        c.iss = "someone-else".into();
        assert_eq!(call(&app, me(format!("Bearer {}", ctx.state.tokens.sign(&c)))).await.status, 401);
        let mut c = claims_for(&admin.id);
        c.aud = "another-api".into();
        assert_eq!(call(&app, me(format!("Bearer {}", ctx.state.tokens.sign(&c)))).await.status, 401);
    }

    async fn deactivated_account_is_locked_out_at_once(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin_token) = ctx.user(Role::SystemAdmin, None);
        let (officer, _) = ctx.user_named("se.bi.khoa", Role::ReceptionOfficer, Some(KIM_BOI));
        let session = call(&app, login("se.bi.khoa", TEST_PASSWORD)).await;
        let access = session.body["access_token"].as_str().unwrap().to_string();
        let r = call(&app, TestRequest::patch().uri(&format!("/api/v1/users/{}", officer.id))
            .insert_header(bearer(&admin_token)).insert_header(("if-match", "\"1\""))
            .set_json(json!({"active": false}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["active"], false);
        let me = call(&app, TestRequest::get().uri("/api/v1/auth/me").insert_header(bearer(&access))).await;
        assert_eq!(me.problem_code(), "auth.token_revoked");
        // Answered exactly like a wrong password (issue 13, hole 11).
        assert_eq!(call(&app, login("se.bi.khoa", TEST_PASSWORD)).await.problem_code(), "auth.invalid_credentials");
        let rf = call(&app, TestRequest::post().uri("/api/v1/auth/refresh").set_json(json!({"refresh_token": session.body["refresh_token"]}))).await;
        assert_eq!(rf.status, 401);
    }

    async fn repeated_failures_for_a_username_are_throttled(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        ctx.user_named("bi.do.mat.khau", Role::ReceptionOfficer, Some(KIM_BOI));
        for i in 0..5 {
            let r = call(&app, login("bi.do.mat.khau", &format!("wrong-{i}"))).await;
            assert_eq!(r.status, 401);
        }
        // Even the right password waits now: the window has not passed.
        let r = call(&app, login("bi.do.mat.khau", TEST_PASSWORD)).await;
        assert_eq!(r.status, 429);
        assert_eq!(r.problem_code(), "auth.too_many_attempts");
        let retry: i64 = r.header("retry-after").unwrap().parse().unwrap();
        assert!(retry > 0 && retry <= 900, "retry-after {retry}");
        // Another username from the same test client is not affected yet.
        ctx.user_named("nguoi.khac", Role::ReceptionOfficer, Some(KIM_BOI));
        assert_eq!(call(&app, login("nguoi.khac", TEST_PASSWORD)).await.status, 200);
    }

    async fn repeated_failures_from_one_address_are_throttled(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let peer: std::net::SocketAddr = "203.0.113.7:50000".parse().unwrap();
        for i in 0..20 {
            let r = call(&app, login(&format!("user{i}"), "wrong-password").peer_addr(peer)).await;
            assert_eq!(r.status, 401);
        }
        let r = call(&app, login("user99", "wrong-password").peer_addr(peer)).await;
        assert_eq!(r.status, 429);
        let elsewhere: std::net::SocketAddr = "198.51.100.1:50000".parse().unwrap();
        assert_eq!(call(&app, login("user99", "wrong-password").peer_addr(elsewhere)).await.status, 401);
    }
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Tokens of an external identity provider (EdDSA) are exchanged for local sessions of
/// accounts mapped to their subjects (issue 13, hole 10): never access tokens themselves,
/// never a source of roles or communes, and subject to the same session rules. The
/// algorithm-confusion attack (HS256 "signed" with the public key) is refused.
mod external_identity_provider {
    use super::*;
    use diesel::prelude::*;
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use motcua::db::Backend;

    async fn app_with_idp(backend: Backend) -> Option<TestApp> {
        let dir = env!("CARGO_MANIFEST_DIR");
        Some(
            TestApp::with(TestDb::new(backend)?, |c| {
                c.jwt_external_public_key_file =
                    Some(format!("{dir}/tests/fixtures/test-idp-ed25519.pub").into());
                c.jwt_external_algorithm = "EdDSA".into();
                c.jwt_external_issuer = Some("https://idp.example.test".into());
            })
            .await,
        )
    }

    /// A provider token that claims everything it should not be believed on.
    fn idp_claims(sub: &str) -> serde_json::Value {
        let now = Utc::now().timestamp();
        json!({"sub": sub, "role": "system_admin", "commune_code": KIM_BOI, "province_code": "25",
               "personal_id": "025190000301", "name": "Nguyễn Văn Định",
               "iss": "https://idp.example.test", "aud": "motcua-api",
               "exp": now + 600, "iat": now, "jti": "x", "ep": 0})
    }

    fn idp_key() -> EncodingKey {
        let pem = std::fs::read(format!(
            "{}/tests/fixtures/test-idp-ed25519.key",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        EncodingKey::from_ed_pem(&pem).unwrap()
    }

    fn sign(claims: &serde_json::Value) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), claims, &idp_key()).unwrap()
    }

    fn exchange(token: &str) -> TestRequest {
        TestRequest::post()
            .uri("/api/v1/auth/external")
            .set_json(json!({"id_token": token}))
    }

    #[actix_web::test]
    async fn provider_tokens_map_to_local_citizen_accounts() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let Some(ctx) = app_with_idp(backend).await else {
                continue;
            };
            let app = init_service(motcua::app::build(ctx.state.clone())).await;
            let token = sign(&idp_claims("vneid-001"));
            // Not an access token of this API, whatever it claims.
            let r = call(
                &app,
                TestRequest::get()
                    .uri("/api/v1/auth/me")
                    .insert_header(bearer(&token)),
            )
            .await;
            assert_eq!(r.status, 401, "{}", r.body);
            assert_eq!(
                call(
                    &app,
                    TestRequest::get()
                        .uri("/api/v1/users")
                        .insert_header(bearer(&token))
                )
                .await
                .status,
                401
            );

            // Exchanged: a local citizen account, the least role; commune and role claims ignored.
            let r = call(&app, exchange(&token)).await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.body["user"]["role"], "citizen");
            assert!(
                r.body["user"]["commune_code"].is_null()
                    && r.body["user"]["province_code"].is_null(),
                "{}",
                r.body
            );
            assert_eq!(r.body["user"]["personal_id"], "025190000301");
            let account = r.body["user"]["id"].as_str().unwrap().to_string();
            assert_ne!(account, "vneid-001");
            let access = r.body["access_token"].as_str().unwrap().to_string();
            let me = call(
                &app,
                TestRequest::get()
                    .uri("/api/v1/auth/me")
                    .insert_header(bearer(&access)),
            )
            .await;
            assert_eq!(
                (me.status.as_u16(), me.body["id"].as_str()),
                (200, Some(account.as_str()))
            );
            assert_eq!(
                call(
                    &app,
                    TestRequest::get()
                        .uri("/api/v1/users")
                        .insert_header(bearer(&access))
                )
                .await
                .status,
                403
            );
            let (links, source): (i64, Option<String>) = ctx.with_conn(|c| {
                use motcua::db::schema::{external_identities as e, users as u};
                (
                    e::table
                        .filter(e::user_id.eq(&account))
                        .filter(e::subject.eq("vneid-001"))
                        .count()
                        .get_result(c)
                        .unwrap(),
                    u::table
                        .find(&account)
                        .select(u::personal_id_source)
                        .first(c)
                        .unwrap(),
                )
            });
            assert_eq!((links, source.as_deref()), (1, Some("idp")));

            // The same subject again: the same account (no second one).
            let r = call(&app, exchange(&sign(&idp_claims("vneid-001")))).await;
            assert_eq!(r.body["user"]["id"], account.as_str(), "{}", r.body);
            let n: i64 = ctx.with_conn(|c| {
                use motcua::db::schema::users as u;
                u::table
                    .filter(u::role.eq("citizen"))
                    .count()
                    .get_result(c)
                    .unwrap()
            });
            assert_eq!(n, 1);
            // Another subject claiming the same personal ID lands on the same person's account.
            let r = call(&app, exchange(&sign(&idp_claims("vneid-001-new-device")))).await;
            assert_eq!(r.body["user"]["id"], account.as_str(), "{}", r.body);

            let (_, admin) = ctx.user(Role::SystemAdmin, None);
            let r = call(
                &app,
                TestRequest::patch()
                    .uri(&format!("/api/v1/users/{account}"))
                    .insert_header(bearer(&admin))
                    .insert_header(("if-match", format!("\"{}\"", me.body["version"])))
                    .set_json(json!({"active": false})),
            )
            .await;
            assert_eq!(r.status, 200, "{}", r.body);
            // Deactivation: the session ends at once and the provider cannot start a new one.
            let me = call(
                &app,
                TestRequest::get()
                    .uri("/api/v1/auth/me")
                    .insert_header(bearer(&access)),
            )
            .await;
            assert_eq!(me.problem_code(), "auth.token_revoked");
            let r = call(&app, exchange(&sign(&idp_claims("vneid-001")))).await;
            assert_eq!(r.status, 401, "{}", r.body);
            let refresh_tokens: i64 = ctx.with_conn(|c| {
                use motcua::db::schema::refresh_tokens as t;
                t::table
                    .filter(t::user_id.eq(&account))
                    .filter(t::revoked_at.is_null())
                    .count()
                    .get_result(c)
                    .unwrap()
            });
            assert_eq!(refresh_tokens, 0);
        }
    }

    /// Several first sign-ins of one subject at once (a double tap): one account.
    #[actix_web::test]
    async fn concurrent_first_sign_ins_make_one_account() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let Some(ctx) = app_with_idp(backend).await else {
                continue;
            };
            let app = init_service(motcua::app::build(ctx.state.clone())).await;
            let token = sign(&idp_claims("vneid-004"));
            let rs =
                futures_util::future::join_all((0..4).map(|_| call(&app, exchange(&token)))).await;
            let ids: std::collections::BTreeSet<String> = rs
                .iter()
                .map(|r| {
                    assert_eq!(r.status, 200, "{}", r.body);
                    r.body["user"]["id"].as_str().unwrap().to_string()
                })
                .collect();
            assert_eq!(ids.len(), 1);
            let (users, links): (i64, i64) = ctx.with_conn(|c| {
                use motcua::db::schema::{external_identities as e, users as u};
                (
                    u::table.count().get_result(c).unwrap(),
                    e::table.count().get_result(c).unwrap(),
                )
            });
            assert_eq!((users, links), (1, 1));
        }
    }

    #[actix_web::test]
    async fn bad_provider_tokens_are_refused() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let Some(ctx) = app_with_idp(backend).await else {
                continue;
            };
            let app = init_service(motcua::app::build(ctx.state.clone())).await;
            // Not yet valid (nbf in the future, beyond the leeway).
            let mut early = idp_claims("vneid-002");
            early["nbf"] = json!(Utc::now().timestamp() + 3600);
            assert_eq!(call(&app, exchange(&sign(&early))).await.status, 401);
            // Expired.
            let mut late = idp_claims("vneid-002");
            late["exp"] = json!(Utc::now().timestamp() - 3600);
            assert_eq!(call(&app, exchange(&sign(&late))).await.status, 401);
            // The IdP's key with the wrong issuer.
            let mut wrong = idp_claims("vneid-002");
            wrong["iss"] = json!("motcua");
            assert_eq!(call(&app, exchange(&sign(&wrong))).await.status, 401);
            // HS256 with the public key bytes as the secret.
            let public_pem = std::fs::read(format!(
                "{}/tests/fixtures/test-idp-ed25519.pub",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap();
            let forged = jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &idp_claims("vneid-002"),
                &EncodingKey::from_secret(&public_pem),
            )
            .unwrap();
            assert_eq!(call(&app, exchange(&forged)).await.status, 401);
            // Our own (HS256) access token is not a provider token either.
            let (u, own) = ctx.user(Role::Citizen, None);
            assert_eq!(call(&app, exchange(&own)).await.status, 401);
            let n: i64 = ctx.with_conn(|c| {
                use motcua::db::schema::{external_identities as e, users as us};
                e::table.count().get_result::<i64>(c).unwrap()
                    + us::table
                        .filter(us::id.ne(&u.id))
                        .count()
                        .get_result::<i64>(c)
                        .unwrap()
            });
            assert_eq!(n, 0, "nothing created by refused tokens");
            // A personal ID already verified on another active account links to that account,
            // an invalid one is ignored.
            let mut bad_id = idp_claims("vneid-003");
            bad_id["personal_id"] = json!("000000000000");
            let r = call(&app, exchange(&sign(&bad_id))).await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert!(r.body["user"]["personal_id"].is_null(), "{}", r.body);
        }
        // Without a configured provider the exchange does not exist.
        let ctx = TestApp::new(Backend::Sqlite).await;
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        assert_eq!(
            call(&app, exchange(&sign(&idp_claims("x")))).await.status,
            404
        );
    }
}

/// Behind a trusted proxy the client address comes from X-Forwarded-For; otherwise the
/// header is ignored (a client cannot dodge throttling by inventing addresses).
#[actix_web::test]
async fn forwarded_for_is_used_only_when_trusted() {
    for trusted in [false, true] {
        let ctx = TestApp::with(TestDb::sqlite(), |c| {
            c.trust_forwarded_for = trusted;
            c.login_max_failures_per_client = 3;
        })
        .await;
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let peer: std::net::SocketAddr = "10.0.0.1:5000".parse().unwrap();
        for i in 0..3 {
            let r = call(
                &app,
                login(&format!("u{i}"), "wrong-password")
                    .peer_addr(peer)
                    .insert_header(("x-forwarded-for", "203.0.113.9")),
            )
            .await;
            assert_eq!(r.status, 401);
        }
        let other_client = call(
            &app,
            login("u9", "wrong-password")
                .peer_addr(peer)
                .insert_header(("x-forwarded-for", "198.51.100.4")),
        )
        .await;
        let expected = if trusted { 401 } else { 429 };
        assert_eq!(other_client.status, expected, "trusted={trusted}");
    }
}

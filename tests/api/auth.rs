use crate::both;
use crate::helpers::*;
use base64::Engine;
use serde_json::json;

fn b64(v: &serde_json::Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

fn sign(secret: &str, alg: jsonwebtoken::Algorithm, claims: &serde_json::Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(alg),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign")
}

const SECRET: &str = "change-me-insecure-development-secret";

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

fn login_and_me(app: TestApp) {
    let r = app.login_reply(ADMIN, DEMO_PASSWORD).expect(200);
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["expires_in"], 8 * 3600);
    let token = r.body["access_token"].as_str().expect("token");
    let me = app.get("/api/v1/me", token).expect(200);
    assert_eq!(me.body["email"], ADMIN);
    assert_eq!(me.body["role"], "admin");
    assert!(me.body.get("password").is_none() && me.body.get("password_hash").is_none());
    // Emails are matched without regard to case.
    app.login_reply("Admin@Demo.Tanggap.ID", DEMO_PASSWORD)
        .expect(200);
}
both!(login_and_me);

fn wrong_password_is_401_and_audited(app: TestApp) {
    let r = app.login_reply(TRC, "not-the-password").problem(401);
    assert_eq!(r.body["detail"], "wrong email or password");
    // An unknown account answers exactly the same.
    let unknown = app
        .login_reply("nobody@demo.tanggap.id", "not-the-password")
        .problem(401);
    assert_eq!(unknown.body["detail"], r.body["detail"]);
    let mut conn = app.db.connect();
    let events =
        tanggap::store::audit::by_subject(&mut conn, &format!("user:{TRC}")).expect("events");
    let failed = events
        .iter()
        .find(|e| e.action == "auth.login_failed")
        .expect("failed login audited");
    assert_eq!(failed.actor, "system");
    assert!(
        failed.changes.contains("wrong password"),
        "{}",
        failed.changes
    );
    assert!(failed.changes.contains("127.0.0.1"), "{}", failed.changes);
}
both!(wrong_password_is_401_and_audited);

fn repeated_failures_are_throttled(app: TestApp) {
    for _ in 0..5 {
        app.login_reply(PIC_DINKES, "wrong-password-x").problem(401);
    }
    // The sixth attempt is refused even with the right password.
    let r = app.login_reply(PIC_DINKES, DEMO_PASSWORD).problem(429);
    let retry: u64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=15 * 60).contains(&retry), "{retry}");
    // Other accounts are not affected.
    app.login(TRC, DEMO_PASSWORD);
    // The throttle lives in the database: a second instance on the same database agrees.
    let other = TestApp::spawn_on(&app);
    other.login_reply(PIC_DINKES, DEMO_PASSWORD).problem(429);
}
both!(repeated_failures_are_throttled);

fn per_address_throttling(app: TestApp) {
    for i in 0..3 {
        app.login_reply(&format!("ghost{i}@demo.tanggap.id"), "whatever-pass")
            .problem(401);
    }
    app.login_reply(TRC, DEMO_PASSWORD).problem(429);
}
both!(
    per_address_throttling,
    "[auth]\nlogin_attempts_per_address = 3\n"
);

fn bad_tokens_are_401(app: TestApp) {
    let token = app.admin();
    app.get("/api/v1/me", &token).expect(200);
    let admin_id = app.get("/api/v1/me", &token).body["id"].clone();
    let sub = admin_id.to_string();
    let good = json!({"sub": sub, "iss": "tanggap", "aud": "tanggap-api", "iat": now(), "exp": now() + 600});
    app.get(
        "/api/v1/me",
        &sign(SECRET, jsonwebtoken::Algorithm::HS256, &good),
    )
    .expect(200);

    let mut cases = Vec::new();
    let mut expired = good.clone();
    expired["exp"] = json!(now() - 3600);
    cases.push((
        "expired",
        sign(SECRET, jsonwebtoken::Algorithm::HS256, &expired),
    ));
    let mut aud = good.clone();
    aud["aud"] = json!("someone-else");
    cases.push((
        "wrong audience",
        sign(SECRET, jsonwebtoken::Algorithm::HS256, &aud),
    ));
    let mut iss = good.clone();
    iss["iss"] = json!("evil");
    cases.push((
        "wrong issuer",
        sign(SECRET, jsonwebtoken::Algorithm::HS256, &iss),
    ));
    let mut no_exp = good.clone();
    no_exp.as_object_mut().expect("object").remove("exp");
    cases.push((
        "no exp",
        sign(SECRET, jsonwebtoken::Algorithm::HS256, &no_exp),
    ));
    cases.push((
        "other algorithm",
        sign(SECRET, jsonwebtoken::Algorithm::HS512, &good),
    ));
    cases.push((
        "other secret",
        sign(
            "another-secret-of-enough-length",
            jsonwebtoken::Algorithm::HS256,
            &good,
        ),
    ));
    cases.push((
        "alg none",
        format!(
            "{}.{}.",
            b64(&json!({"alg": "none", "typ": "JWT"})),
            b64(&good)
        ),
    ));
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] =
        b64(&json!({"sub": "1", "iss": "tanggap", "aud": "tanggap-api", "exp": now() + 99999}));
    cases.push(("tampered", parts.join(".")));
    cases.push(("garbage", "not-a-token".to_owned()));
    for (what, t) in cases {
        let r = app.get("/api/v1/me", &t);
        assert_eq!(r.status, 401, "{what}: {}", r.text);
        assert_eq!(r.header("www-authenticate"), Some("Bearer"), "{what}");
    }
    app.request("GET", "/api/v1/me", None, &[], None)
        .problem(401);
}
both!(bad_tokens_are_401);

fn deactivated_users_lose_access_at_once(app: TestApp) {
    let admin = app.admin();
    let trc = app.login(TRC, DEMO_PASSWORD);
    let id = app.get("/api/v1/me", &trc).expect(200).body["id"]
        .as_i64()
        .expect("id");
    app.patch(
        &format!("/api/v1/users/{id}"),
        &admin,
        json!({"active": false}),
    )
    .expect(200);
    app.get("/api/v1/me", &trc).problem(401);
    // Lists and queues load the caller with the page: refused the same, before their
    // parameters are looked at.
    for path in [
        "/api/v1/queues/triage",
        "/api/v1/queues/unit/DINKES",
        "/api/v1/queues/escalated",
        "/api/v1/issues",
        "/api/v1/issues?limit=0",
        "/api/v1/queues/triage?cursor=nonsense",
    ] {
        let r = app.get(path, &trc);
        assert_eq!(r.status, 401, "{path}: {}", r.text);
    }
    app.login_reply(TRC, DEMO_PASSWORD).problem(401);
}
both!(deactivated_users_lose_access_at_once);

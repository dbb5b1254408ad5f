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
    let trc = app.login(TRC, DEMO_PASSWORD);
    app.set_active(app.user_id(&trc), false);
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

/// Audit events of `action` about `email`'s account.
fn events(app: &TestApp, email: &str, action: &str) -> usize {
    let mut conn = app.db.connect();
    tanggap::store::audit::by_subject(&mut conn, &format!("user:{email}"))
        .expect("events")
        .iter()
        .filter(|e| e.action == action)
        .count()
}

fn login_from(app: &TestApp, address: &str, email: &str, password: &str) -> Reply {
    app.request(
        "POST",
        "/api/v1/auth/token",
        None,
        &[("X-Forwarded-For", address)],
        Some(&json!({"email": email, "password": password}).to_string()),
    )
}

fn oversized_credentials_are_refused_before_any_write(app: TestApp) {
    let before = events(&app, &"a".repeat(300), "auth.login_failed");
    let long_email = format!("{}@demo.tanggap.id", "a".repeat(300));
    let r = app
        .login_reply(&long_email, "whatever-password")
        .problem(422);
    assert_eq!(r.body["errors"][0]["field"], "email", "{}", r.text);
    let r = app.login_reply(TRC, &"p".repeat(1025)).problem(422);
    assert_eq!(r.body["errors"][0]["field"], "password", "{}", r.text);
    assert_eq!(
        events(&app, &long_email.to_lowercase(), "auth.login_failed"),
        before
    );
    assert_eq!(events(&app, TRC, "auth.login_failed"), 0, "nothing written");
    // Exactly at the bounds: an ordinary failure.
    app.login_reply(TRC, &"p".repeat(1024)).problem(401);
    // Throttled attempts are audited once per window, not once each.
    for _ in 0..4 {
        app.login_reply(TRC, "wrong-password-x").problem(401);
    }
    for _ in 0..20 {
        app.login_reply(TRC, "wrong-password-x").problem(429);
    }
    assert_eq!(events(&app, TRC, "auth.login_failed"), 5);
    assert_eq!(events(&app, TRC, "auth.login_throttled"), 1);
    let metrics = app.request("GET", "/metrics", None, &[], None).text;
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("tanggap_logins_throttled_total ")
                && l.split(' ')
                    .nth(1)
                    .and_then(|n| n.parse::<u64>().ok())
                    .is_some_and(|n| n >= 20)),
        "{metrics}"
    );
}
both!(oversized_credentials_are_refused_before_any_write);

fn concurrent_guesses_cannot_pass_the_throttle(app: TestApp) {
    let app = std::sync::Arc::new(app);
    let threads: Vec<_> = (0..30)
        .map(|_| {
            let app = app.clone();
            std::thread::spawn(move || app.login_reply(PIC_DINKES, "wrong-password-x").status)
        })
        .collect();
    let statuses: Vec<u16> = threads
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        5,
        "exactly the allowed guesses are evaluated: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| matches!(s, 401 | 429)),
        "{statuses:?}"
    );
    assert_eq!(events(&app, PIC_DINKES, "auth.login_failed"), 5);
}
both!(concurrent_guesses_cannot_pass_the_throttle);

fn an_attacker_elsewhere_cannot_lock_the_owner_out(app: TestApp) {
    // The TRC officer signs in from the office (their network becomes known to the account).
    login_from(&app, "203.0.113.7", TRC, DEMO_PASSWORD).expect(200);
    // An attacker guesses from many addresses until the account's own limit is reached.
    let mut throttled = 0;
    for i in 0..30 {
        let r = login_from(&app, &format!("198.51.100.{i}"), TRC, "guess-password");
        if r.status == 429 {
            throttled += 1;
        } else {
            r.problem(401);
        }
    }
    assert!(
        throttled >= 10,
        "past 20 failures the account refuses new networks"
    );
    // A new network is refused even with the right password (the guesser cannot tell)...
    login_from(&app, "192.0.2.1", TRC, DEMO_PASSWORD).problem(429);
    // ...but the officer's own network still gets in.
    login_from(&app, "203.0.113.7", TRC, DEMO_PASSWORD).expect(200);
    // Five failures from one network stop that network only, for that account.
    for _ in 0..5 {
        login_from(&app, "192.0.2.50", PIC_DINKES, "wrong-password-x").problem(401);
    }
    login_from(&app, "192.0.2.50", PIC_DINKES, DEMO_PASSWORD).problem(429);
    login_from(&app, "192.0.2.51", PIC_DINKES, DEMO_PASSWORD).expect(200);
    // IPv6 clients are one network per /64: changing the low bits does not reset the count.
    for i in 0..5 {
        login_from(
            &app,
            &format!("2001:db8:1:2::{i}"),
            LEADER,
            "wrong-password-x",
        )
        .problem(401);
    }
    login_from(&app, "2001:db8:1:2:ffff::9", LEADER, DEMO_PASSWORD).problem(429);
    login_from(&app, "2001:db8:1:3::1", LEADER, DEMO_PASSWORD).expect(200);
}
both!(
    an_attacker_elsewhere_cannot_lock_the_owner_out,
    "[server]\ntrusted_proxies = [\"127.0.0.1\"]\n[auth]\nlogin_attempts_per_address = 1000\n"
);

fn a_password_change_ends_every_token(app: TestApp) {
    let admin = app.admin();
    let phone = app.login(TRC, DEMO_PASSWORD);
    let laptop = app.login(TRC, DEMO_PASSWORD);
    // A wrong current password is refused, names the field, and counts as a failed login.
    let r = app
        .post(
            "/api/v1/me/password",
            &laptop,
            json!({"current_password": "not-it-at-all", "new_password": "a-new-long-password"}),
        )
        .problem(422);
    assert_eq!(r.body["errors"][0]["field"], "current_password");
    let r = app
        .post(
            "/api/v1/me/password",
            &laptop,
            json!({"current_password": DEMO_PASSWORD, "new_password": "short"}),
        )
        .problem(422);
    assert_eq!(r.body["errors"][0]["field"], "new_password");
    let r = app
        .post(
            "/api/v1/me/password",
            &laptop,
            json!({"current_password": DEMO_PASSWORD, "new_password": "a-new-long-password"}),
        )
        .expect(200);
    let fresh = r.body["access_token"].as_str().expect("token").to_owned();
    app.get("/api/v1/me", &phone).problem(401);
    app.get("/api/v1/me", &laptop).problem(401);
    app.get("/api/v1/me", &fresh).expect(200);
    app.get("/api/v1/queues/triage", &phone).problem(401);
    app.login_reply(TRC, DEMO_PASSWORD).problem(401);
    let again = app.login(TRC, "a-new-long-password");
    assert_eq!(events(&app, TRC, "user.password_changed"), 1);

    // Signing out everywhere ends this token and the others.
    app.post("/api/v1/me/sign-out", &again, json!({}))
        .expect(204);
    app.get("/api/v1/me", &again).problem(401);
    app.get("/api/v1/me", &fresh).problem(401);

    // An admin ends someone's sessions (a lost phone); a role change ends them too.
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    let id = app.get("/api/v1/me", &pic).body["id"].as_i64().expect("id");
    let admin_id = app.get("/api/v1/me", &admin).body["id"]
        .as_i64()
        .expect("id");
    app.post(
        &format!("/api/v1/users/{admin_id}/sign-out"),
        &pic,
        json!({}),
    )
    .problem(403);
    app.get("/api/v1/me", &admin).expect(200);
    app.post(&format!("/api/v1/users/{id}/sign-out"), &admin, json!({}))
        .expect(204);
    app.get("/api/v1/me", &pic).problem(401);
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    app.patch(
        &format!("/api/v1/users/{id}"),
        &admin,
        json!({"role": "leader"}),
    )
    .expect(200);
    app.get("/api/v1/me", &pic).problem(401);
    app.login(PIC_DINKES, DEMO_PASSWORD);
    // An admin's password reset ends the user's tokens as well.
    let trc = app.login(TRC, "a-new-long-password");
    let trc_id = app.get("/api/v1/me", &trc).body["id"].as_i64().expect("id");
    app.patch(
        &format!("/api/v1/users/{trc_id}"),
        &admin,
        json!({"password": "reset-by-the-admin"}),
    )
    .expect(200);
    app.get("/api/v1/me", &trc).problem(401);
    app.post("/api/v1/users/999999/sign-out", &admin, json!({}))
        .problem(404);
}
both!(a_password_change_ends_every_token);

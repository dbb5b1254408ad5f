use crate::both;
use crate::helpers::*;
use serde_json::json;

fn admins_create_users_who_can_log_in(app: TestApp) {
    let admin = app.admin();
    app.post(
        "/api/v1/units",
        &admin,
        json!({"code": "DISHUB", "name": "Dinas Perhubungan"}),
    )
    .expect(201);
    let r = app
        .post("/api/v1/users", &admin, json!({
            "email": "PIC.Dishub@kotabaru.go.id", "name": "PIC Dishub", "role": "pic", "unit": "DISHUB",
            "password": "rahasia-dishub-2026"
        }))
        .expect(201);
    let id = r.body["id"].as_i64().expect("id");
    assert_eq!(
        r.header("location"),
        Some(format!("/api/v1/users/{id}").as_str())
    );
    assert_eq!(r.body["email"], "pic.dishub@kotabaru.go.id");
    assert!(r.body.get("password").is_none());
    let token = app.login("pic.dishub@kotabaru.go.id", "rahasia-dishub-2026");
    let me = app.get("/api/v1/me", &token).expect(200);
    assert_eq!(
        me.body,
        json!({"id": id, "email": "pic.dishub@kotabaru.go.id", "name": "PIC Dishub", "role": "pic", "unit": "DISHUB", "active": true})
    );
    // The user may read itself, not others; not list.
    app.get(&format!("/api/v1/users/{id}"), &token).expect(200);
    app.get("/api/v1/users/1", &token).problem(403);
    app.get("/api/v1/users", &token).problem(403);

    // A new password works and the old one stops working.
    app.patch(
        &format!("/api/v1/users/{id}"),
        &admin,
        json!({"password": "ganti-password-baru"}),
    )
    .expect(200);
    app.login_reply("pic.dishub@kotabaru.go.id", "rahasia-dishub-2026")
        .problem(401);
    app.login("pic.dishub@kotabaru.go.id", "ganti-password-baru");

    // Duplicates, PICs without a unit, short passwords.
    app.post("/api/v1/users", &admin, json!({"email": "pic.dishub@kotabaru.go.id", "name": "Again", "role": "trc", "password": "long-enough-pw"})).problem_of(409, "already-exists");
    let r = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"email": "p2@kotabaru.go.id", "name": "P2", "role": "pic", "password": "short"}),
        )
        .problem(422);
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["password", "unit"]);

    // A user who acted is kept: 409, deactivate instead. One who never acted may be deleted.
    let second = app.post("/api/v1/users", &admin, json!({"email": "admin2@kotabaru.go.id", "name": "Admin 2", "role": "admin", "password": "long-enough-pw"})).expect(201);
    let admin2 = app.login("admin2@kotabaru.go.id", "long-enough-pw");
    app.post(
        "/api/v1/units",
        &admin2,
        json!({"code": "DISPAR", "name": "Dinas Pariwisata"}),
    )
    .expect(201);
    app.delete(&format!("/api/v1/users/{}", second.body["id"]), &admin)
        .problem_of(409, "in-use");
    app.patch(
        &format!("/api/v1/users/{}", second.body["id"]),
        &admin,
        json!({"active": false}),
    )
    .expect(200);
    app.delete(&format!("/api/v1/users/{id}"), &admin)
        .expect(204);
    let fresh = app.post("/api/v1/users", &admin, json!({"email": "temp@kotabaru.go.id", "name": "Temp", "role": "leader", "password": "long-enough-pw"})).expect(201);
    app.delete(&format!("/api/v1/users/{}", fresh.body["id"]), &admin)
        .expect(204);

    // Audit: created, updated (password marked, never the hash), deleted.
    let mut conn = app.db.connect();
    let events = tanggap::store::audit::by_subject(&mut conn, "user:pic.dishub@kotabaru.go.id")
        .expect("events");
    let actions: Vec<&str> = events.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "user.created",
            "user.updated",
            "auth.login_failed",
            "user.deleted"
        ]
    );
    assert!(events[2].changes.contains("\"password\""));
    assert!(!events.iter().any(|e| e.changes.contains("argon2")));
}
both!(admins_create_users_who_can_log_in);

fn users_list_pages_and_the_last_admin_stays(app: TestApp) {
    let admin = app.admin();
    let r = app.get("/api/v1/users?limit=2", &admin).expect(200);
    assert_eq!(r.body["items"].as_array().map(Vec::len), Some(2));
    let next = r.body["next_cursor"]
        .as_str()
        .expect("more pages")
        .to_owned();
    let r2 = app
        .get(&format!("/api/v1/users?limit=200&cursor={next}"), &admin)
        .expect(200);
    // The demo's six users: two, then the other four.
    assert_eq!(r2.body["items"].as_array().map(Vec::len), Some(4));
    assert_eq!(r2.body["next_cursor"], json!(null));
    let me = app.get("/api/v1/me", &admin).body["id"]
        .as_i64()
        .expect("id");
    let r = app
        .patch(
            &format!("/api/v1/users/{me}"),
            &admin,
            json!({"role": "trc"}),
        )
        .problem_of(409, "last-admin");
    assert!(r.body["detail"]
        .as_str()
        .is_some_and(|d| d.contains("last active administrator")));
    app.patch(
        &format!("/api/v1/users/{me}"),
        &admin,
        json!({"active": false}),
    )
    .problem_of(409, "last-admin");
    app.patch("/api/v1/users/999999", &admin, json!({"name": "x"}))
        .problem(404);
    app.patch(
        &format!("/api/v1/users/{me}"),
        &admin,
        json!({"role": "superuser"}),
    )
    .problem(422);
}
both!(users_list_pages_and_the_last_admin_stays);

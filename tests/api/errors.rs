use crate::both;
use crate::helpers::*;
use serde_json::json;

fn every_error_is_problem_json(app: TestApp) {
    let admin = app.admin();
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    // 400: not JSON at all.
    app.request(
        "POST",
        "/api/v1/units",
        Some(&admin),
        &[],
        Some("{\"code\": "),
    )
    .problem(400);
    // 401
    app.request("GET", "/api/v1/units", None, &[], None)
        .problem(401);
    // 403: a PIC may not create units, and is told so before the body is even read.
    app.request("POST", "/api/v1/units", Some(&pic), &[], Some("not json"))
        .problem(403);
    // 404: unknown route, unknown unit.
    app.get("/api/v1/no-such-thing", &admin).problem(404);
    app.request("GET", "/nowhere", None, &[], None).problem(404);
    app.get("/api/v1/units/NOPE", &admin).problem(404);
    // 405
    let r = app
        .request("PUT", "/api/v1/units", Some(&admin), &[], Some("{}"))
        .problem(405);
    assert!(r.header("allow").is_some_and(|a| a.contains("GET")));
    // 409: the code exists.
    app.post(
        "/api/v1/units",
        &admin,
        json!({"code": "DINKES", "name": "Dinas Kesehatan"}),
    )
    .problem_of(409, "already-exists");
    // 400, not a crash: JSON nested deeper than the parser allows (20,000 levels, within the
    // body limit), and a title full of header-breaking characters is refused, not mailed.
    let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    let r = app
        .request("POST", "/api/v1/issues", Some(&admin), &[], Some(&deep))
        .problem(400);
    assert!(
        r.text.contains("recursion") || r.text.contains("JSON"),
        "{}",
        r.text
    );
    app.get("/healthz", "").expect(200);
    let trc = app.login(TRC, DEMO_PASSWORD);
    let mut body = issue_body("Banjir\r\nBcc: semua@contoh.id");
    body["title"] = json!("Banjir\r\nBcc: semua@contoh.id");
    let r = app.post("/api/v1/issues", &trc, body).problem(422);
    assert_eq!(r.body["errors"][0]["field"], "title", "{}", r.text);
    // 413: over server.request_body_limit (64KiB in tests).
    let big = json!({"code": "BIG", "name": "x".repeat(70 * 1024)}).to_string();
    let r = app
        .request("POST", "/api/v1/units", Some(&admin), &[], Some(&big))
        .problem(413);
    assert!(
        r.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("65536")),
        "{}",
        r.text
    );
    // 415
    app.request(
        "POST",
        "/api/v1/units",
        Some(&admin),
        &[("Content-Type", "text/plain")],
        Some("{}"),
    )
    .problem(415);
    // 422: fields named, valid values listed.
    let r = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"email": "x@y.id", "name": "X", "role": "root", "password": "long-enough-pw"}),
        )
        .problem(422);
    let err = &r.body["errors"][0];
    assert_eq!(err["field"], "role");
    assert_eq!(err["valid"], json!(["admin", "trc", "pic", "leader"]));
    let r = app
        .post(
            "/api/v1/units",
            &admin,
            json!({"code": "lower", "name": "", "email": "not-an-email"}),
        )
        .problem(422);
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["code", "name", "email"]);
    // Wrong types and unknown or missing fields are named too.
    let r = app
        .post("/api/v1/units", &admin, json!({"code": 7, "name": "Tujuh"}))
        .problem(422);
    assert_eq!(r.body["errors"][0]["field"], "code");
    let r = app
        .post(
            "/api/v1/units",
            &admin,
            json!({"code": "DISHUB", "name": "Dishub", "colour": "red"}),
        )
        .problem(422);
    assert_eq!(r.body["errors"][0]["field"], "colour");
    let r = app
        .post("/api/v1/units", &admin, json!({"name": "Dishub"}))
        .problem(422);
    assert_eq!(r.body["errors"][0]["field"], "code");
    app.request("POST", "/api/v1/units", Some(&admin), &[], Some("[1, 2]"))
        .problem(422);
    // Query errors are 422 as well.
    let r = app.get("/api/v1/units?limit=500", &admin).problem(422);
    assert_eq!(r.body["errors"][0]["field"], "limit");
}
both!(every_error_is_problem_json);

fn nothing_half_written_on_errors(app: TestApp) {
    let admin = app.admin();
    app.post(
        "/api/v1/units",
        &admin,
        json!({"code": "DISHUB", "name": "Dishub", "parent": "NOPE"}),
    )
    .problem(422);
    app.get("/api/v1/units/DISHUB", &admin).problem(404);
    let mut conn = app.db.connect();
    let events = tanggap::store::audit::by_subject(&mut conn, "unit:DISHUB").expect("events");
    assert!(events.is_empty(), "a refused change writes no audit event");
    let r = app.post("/api/v1/users", &admin, json!({"email": "x@kotabaru.go.id", "name": "X", "role": "pic", "unit": "NOPE", "password": "long-enough-pw"})).problem(422);
    assert_eq!(r.body["errors"][0]["field"], "unit");
    assert!(
        tanggap::store::users::find_by_email(&mut conn, "x@kotabaru.go.id")
            .expect("query")
            .is_none()
    );
}
both!(nothing_half_written_on_errors);

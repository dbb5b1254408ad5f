use crate::both;
use crate::helpers::*;
use serde_json::{json, Value};

fn clock<'a>(issue: &'a Value, kind: &str) -> &'a Value {
    issue["clocks"]
        .as_array()
        .and_then(|cs| cs.iter().rev().find(|c| c["kind"] == kind))
        .unwrap_or(&Value::Null)
}

fn ts(v: &Value) -> jiff::Timestamp {
    v.as_str().expect("instant").parse().expect("RFC 3339")
}

/// The due instant the SLA preview gives for a clock started at `start`.
fn preview_due(
    app: &TestApp,
    token: &str,
    priority: &str,
    category: &str,
    start: &Value,
    kind: &str,
) -> String {
    let start = start.as_str().expect("start");
    let r = app
        .get(
            &format!(
                "/api/v1/sla/preview?priority={priority}&category={category}&start={}",
                start.replace('+', "%2B")
            ),
            token,
        )
        .expect(200);
    let c = r.body["clocks"]
        .as_array()
        .expect("clocks")
        .iter()
        .find(|c| c["kind"] == kind)
        .expect("kind")
        .clone();
    c["due_at"].as_str().expect("due").to_owned()
}

fn clocks_follow_the_lifecycle(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    let mut body = issue_body("Kebakaran gudang");
    body["priority"] = json!("critical");
    body["category"] = json!("keamanan_ketertiban");
    body["channel"] = json!("x");
    let r = app.post("/api/v1/issues", &pic, body).expect(201);
    let reference = r.body["ref"].as_str().expect("ref").to_owned();
    // Satpol PP's demo rule auto-assigns keamanan_ketertiban: no triage clock, unit clocks run.
    assert_eq!(r.body["status"], "assigned");
    assert_eq!(r.body["assigned_unit"], "SATPOLPP");
    let kinds: Vec<&str> = r.body["clocks"]
        .as_array()
        .expect("clocks")
        .iter()
        .filter_map(|c| c["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        ["response", "resolution"],
        "an auto-assigned issue never runs a triage clock"
    );
    let resp = clock(&r.body, "response");
    assert_eq!(
        (
            resp["state"].as_str(),
            resp["target"].as_str(),
            resp["calendar"].as_str()
        ),
        (Some("running"), Some("2h"), Some("always"))
    );
    assert_eq!(
        ts(&resp["due_at"]),
        ts(&resp["started_at"]) + jiff::SignedDuration::from_hours(2)
    );
    assert!(resp["due_at"].as_str().is_some_and(|d| d.ends_with('Z')));
    assert!(resp["remaining_seconds"]
        .as_i64()
        .is_some_and(|s| (7100..=7200).contains(&s)));

    // Hold pauses, resume extends by the open time paused.
    let before = ts(&resp["due_at"]);
    app.act(
        &trc,
        &reference,
        "hold",
        json!({"reason": "Menunggu laporan polisi"}),
    )
    .expect(200);
    let held = app.issue(&trc, &reference).expect(200);
    assert_eq!(clock(&held.body, "response")["state"], "paused");
    app.advance(std::time::Duration::from_millis(2100));
    let resumed = app.act(&trc, &reference, "resume", json!({})).expect(200);
    let after = ts(&clock(&resumed.body, "response")["due_at"]);
    let moved = after.duration_since(before).as_secs();
    assert!(
        (2..=3).contains(&moved),
        "due moved by the time on hold: {moved}s"
    );
    assert_eq!(
        clock(&resumed.body, "response")["paused_seconds"],
        json!(moved)
    );

    // A priority change recomputes due instants from each clock's start.
    let low = app
        .patch(
            &format!("/api/v1/issues/{reference}"),
            &trc,
            json!({"priority": "low"}),
        )
        .expect(200);
    let c = clock(&low.body, "resolution");
    assert_eq!(c["target"], "20wd");
    assert_eq!(c["calendar"], "office");
    // 20 working days from the start, plus the seconds spent on hold (open time on the office
    // calendar may be zero at night, so compare with the preview plus at most that).
    let plain = preview_due(
        &app,
        &trc,
        "low",
        "keamanan_ketertiban",
        &c["started_at"],
        "resolution",
    );
    let got = ts(&c["due_at"]);
    let diff = got.duration_since(plain.parse().expect("ts")).as_secs();
    assert!((0..=moved).contains(&diff), "{got} vs {plain}");

    // Respond meets the response clock; resolve meets resolution; reopen starts a new one.
    let responded = app
        .act(
            &trc,
            &reference,
            "respond",
            json!({"text": "Api sudah padam"}),
        )
        .expect(200);
    assert_eq!(clock(&responded.body, "response")["state"], "met");
    assert!(clock(&responded.body, "response")["stopped_at"].is_string());
    let resolved = app
        .act(&trc, &reference, "resolve", json!({"text": "Selesai"}))
        .expect(200);
    assert_eq!(clock(&resolved.body, "resolution")["state"], "met");
    let frozen = clock(&resolved.body, "resolution")["remaining_seconds"].clone();
    app.advance(std::time::Duration::from_millis(1100));
    assert_eq!(
        clock(&app.issue(&trc, &reference).body, "resolution")["remaining_seconds"],
        frozen,
        "stopped clocks keep their remaining time"
    );
    let reopened = app
        .act(
            &trc,
            &reference,
            "reopen",
            json!({"reason": "Kebakaran susulan"}),
        )
        .expect(200);
    let all: Vec<(&str, &str)> = reopened.body["clocks"]
        .as_array()
        .expect("clocks")
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap_or(""),
                c["state"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        all,
        [
            ("response", "met"),
            ("resolution", "met"),
            ("resolution", "running")
        ]
    );

    // Reassign cancels unit clocks and starts new ones at once.
    let reassigned = app
        .act(
            &trc,
            &reference,
            "reassign",
            json!({"unit": "BPBD", "reason": "Kewenangan BPBD"}),
        )
        .expect(200);
    let states: Vec<(&str, &str)> = reassigned.body["clocks"]
        .as_array()
        .expect("clocks")
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap_or(""),
                c["state"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(states[2], ("resolution", "cancelled"));
    assert_eq!(
        &states[3..],
        [("response", "running"), ("resolution", "running")]
    );
    assert_eq!(
        clock(&reassigned.body, "response")["remaining_seconds"]
            .as_i64()
            .map(|s| s > 0),
        Some(true)
    );
    let cancelled = &reassigned.body["clocks"][2];
    assert_eq!(cancelled["remaining_seconds"], Value::Null);

    // The history records the clock changes with each action.
    let h = app
        .get(&format!("/api/v1/issues/{reference}/history"), &trc)
        .expect(200);
    let hold = h.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|e| e["action"] == "issue.hold")
        .expect("hold");
    assert!(
        hold["changes"]
            .as_object()
            .expect("changes")
            .keys()
            .any(|k| k.starts_with("clocks.")),
        "{hold}"
    );
}
both!(clocks_follow_the_lifecycle);

fn triage_and_return_clocks(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    let mut body = issue_body("Hoaks obat covid");
    body["category"] = json!("hoaks_disinformasi");
    body["priority"] = json!("high");
    let r = app.post("/api/v1/issues", &pic, body).expect(201);
    let reference = r.body["ref"].as_str().expect("ref").to_owned();
    assert_eq!(r.body["status"], "new");
    assert_eq!(
        r.body["proposed_unit"], "DINKES",
        "the hoax rule proposes Dinkes (the keyword obat)"
    );
    // The hoax fast lane: triage within the hour on the always calendar, whatever the priority.
    let t = clock(&r.body, "triage");
    assert_eq!(
        (
            t["target"].as_str(),
            t["state"].as_str(),
            t["calendar"].as_str()
        ),
        (Some("1h"), Some("running"), Some("always"))
    );
    assert_eq!(
        ts(&t["due_at"]),
        ts(&t["started_at"]) + jiff::SignedDuration::from_hours(1)
    );
    assert_eq!(
        t["due_at"].as_str(),
        Some(
            preview_due(
                &app,
                &trc,
                "high",
                "hoaks_disinformasi",
                &t["started_at"],
                "triage"
            )
            .as_str()
        )
    );
    let triaged = app
        .act(&trc, &reference, "triage", json!({"unit": "DINKES"}))
        .expect(200);
    assert_eq!(clock(&triaged.body, "triage")["state"], "met");
    // hoaks_disinformasi overrides the response target: 3 hours on the always calendar.
    let resp = clock(&triaged.body, "response");
    assert_eq!(
        (resp["target"].as_str(), resp["calendar"].as_str()),
        (Some("3h"), Some("always"))
    );
    assert_eq!(
        ts(&resp["due_at"]),
        ts(&resp["started_at"]) + jiff::SignedDuration::from_hours(3)
    );
    let res = clock(&triaged.body, "resolution");
    assert_eq!(
        (res["target"].as_str(), res["calendar"].as_str()),
        (Some("3wd"), Some("office"))
    );
    // Return cancels the unit clocks and starts a new triage clock.
    let back = app
        .act(
            &pic,
            &reference,
            "return",
            json!({"reason": "Bukan kewenangan"}),
        )
        .expect(200);
    let states: Vec<(&str, &str)> = back.body["clocks"]
        .as_array()
        .expect("clocks")
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap_or(""),
                c["state"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("triage", "met"),
            ("response", "cancelled"),
            ("resolution", "cancelled"),
            ("triage", "running")
        ]
    );
    // Reject stops the running triage clock.
    let rejected = app
        .act(
            &trc,
            &reference,
            "reject",
            json!({"reason": "Sudah diklarifikasi"}),
        )
        .expect(200);
    assert_eq!(rejected.body["clocks"][3]["state"], "met");
}
both!(triage_and_return_clocks);

fn routing_rules_are_managed_and_explained(app: TestApp) {
    let admin = app.admin();
    let trc = app.login(TRC, DEMO_PASSWORD);
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    let rules = app.get("/api/v1/routing-rules", &trc).expect(200);
    let names: Vec<&str> = rules.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(names.len(), 4);
    app.get("/api/v1/routing-rules", &pic).problem(403);
    // A rule at position 1: Dishub for #macet in Pulau Laut Utara, auto-assigned.
    app.post(
        "/api/v1/units",
        &admin,
        json!({"code": "DISHUB", "name": "Dinas Perhubungan"}),
    )
    .expect(201);
    let r = app
        .post("/api/v1/routing-rules", &admin, json!({
            "name": "Kemacetan ke Dishub", "position": 1, "unit": "DISHUB", "auto_assign": true,
            "conditions": {"keywords": ["macet", "lampu lalu lintas"], "keyword_mode": "any", "districts": ["Pulau Laut Utara"]}
        }))
        .expect(201);
    let id = r.body["id"].as_i64().expect("id");
    assert_eq!(r.body["position"], 1);
    let positions: Vec<i64> = app.get("/api/v1/routing-rules", &admin).body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|r| r["position"].as_i64())
        .collect();
    assert_eq!(positions, [1, 2, 3, 4, 5]);
    app.post(
        "/api/v1/routing-rules",
        &trc,
        json!({"name": "x", "unit": "DISHUB"}),
    )
    .problem(403);
    let bad = app.post("/api/v1/routing-rules", &admin, json!({"name": "", "unit": "NOPE", "conditions": {"categories": ["gosip"], "keyword_mode": "some"}})).problem(422);
    assert_eq!(bad.body["errors"][0]["field"], "conditions.keyword_mode");
    let bad = app
        .post(
            "/api/v1/routing-rules",
            &admin,
            json!({"name": "", "unit": "NOPE", "conditions": {"categories": ["gosip"]}}),
        )
        .problem(422);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["name", "conditions.categories.0", "unit"]);

    // Routing on filing: whole words, any case, punctuation and hashtags.
    let mut body = issue_body("Jalan Ahmad Yani #MACET parah!");
    body["category"] = json!("layanan_publik");
    body["location"] = json!({"district": "pulau laut utara"});
    let filed = app.post("/api/v1/issues", &pic, body.clone()).expect(201);
    assert_eq!(
        (
            filed.body["status"].as_str(),
            filed.body["assigned_unit"].as_str()
        ),
        (Some("assigned"), Some("DISHUB"))
    );
    let reference = filed.body["ref"].as_str().expect("ref");
    let h = app
        .get(&format!("/api/v1/issues/{reference}/history"), &trc)
        .expect(200);
    assert_eq!(
        h.body["items"][0]["changes"]["routing_rule"]["after"],
        json!({"id": id, "name": "Kemacetan ke Dishub"})
    );
    // "kemacetan" is not the word "macet".
    body["title"] = json!("Kemacetan di pasar");
    body["description"] = json!("Warga mengeluhkan kemacetan setiap pagi.");
    let filed = app.post("/api/v1/issues", &pic, body.clone()).expect(201);
    assert_eq!(filed.body["status"], "new");

    // The preview says which rule and why, and how earlier rules failed.
    body["title"] = json!("Lampu lalu lintas mati, MACET total");
    body["category"] = json!("infrastruktur");
    body["location"] = json!({"district": "Kelumpang Hilir"});
    let p = app
        .post("/api/v1/routing-rules/preview", &trc, body.clone())
        .expect(200);
    assert_eq!(p.body["rule"]["name"], "Jalan, jembatan dan lampu ke DPUPR");
    assert_eq!(p.body["unit"], "DPUPR");
    assert_eq!(p.body["auto_assign"], false);
    let first = &p.body["explanation"][0];
    assert_eq!(
        (first["rule"]["id"].as_i64(), first["outcome"].as_str()),
        (Some(id), Some("failed"))
    );
    let district = first["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["condition"] == "district")
        .expect("district");
    assert_eq!(district["passed"], false);
    assert_eq!(
        p.body["explanation"].as_array().map(Vec::len),
        Some(4),
        "stops at the matching rule"
    );

    // Disable, move, delete: each in the audit trail's system stream.
    app.patch(
        &format!("/api/v1/routing-rules/{id}"),
        &admin,
        json!({"position": 5, "enabled": false}),
    )
    .expect(200);
    let order: Vec<i64> = app.get("/api/v1/routing-rules", &admin).body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|r| r["id"].as_i64())
        .collect();
    assert_eq!(order.last(), Some(&id));
    body["title"] = json!("Macet di Jalan Veteran");
    body["location"] = json!({"district": "Pulau Laut Utara"});
    body["category"] = json!("lainnya");
    let p = app
        .post("/api/v1/routing-rules/preview", &trc, body)
        .expect(200);
    assert_eq!(p.body["rule"], Value::Null);
    assert_eq!(p.body["explanation"][4]["outcome"], "disabled");
    app.delete(&format!("/api/v1/routing-rules/{id}"), &admin)
        .expect(204);
    app.get(&format!("/api/v1/routing-rules/{id}"), &admin)
        .problem(404);
    let mut conn = app.db.connect();
    let events = tanggap::store::audit::by_subject(&mut conn, &format!("routing_rule:{id}"))
        .expect("events");
    let actions: Vec<&str> = events.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "routing_rule.created",
            "routing_rule.updated",
            "routing_rule.deleted"
        ]
    );
    assert!(events.iter().all(|e| e.stream == "system"));
    // A unit a rule routes to cannot be deleted.
    app.delete("/api/v1/units/SATPOLPP", &admin).problem(409);
}
both!(routing_rules_are_managed_and_explained);

/// A rule whose unit was deactivated no longer routes: the filing falls through to the next
/// rule, and the preview says why; active again, the unit gets its issues again.
fn rules_of_deactivated_units_do_not_route(app: TestApp) {
    let admin = app.admin();
    let trc = app.login(TRC, DEMO_PASSWORD);
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    app.post(
        "/api/v1/units",
        &admin,
        json!({"code": "DISHUB", "name": "Dinas Perhubungan"}),
    )
    .expect(201);
    let id = app
        .post(
            "/api/v1/routing-rules",
            &admin,
            json!({
                "name": "Kemacetan ke Dishub", "position": 1, "unit": "DISHUB",
                "conditions": {"keywords": ["macet"], "keyword_mode": "any"}
            }),
        )
        .expect(201)
        .body["id"]
        .as_i64()
        .expect("id");
    let mut body = issue_body("Jalan Ahmad Yani macet parah");
    body["category"] = json!("layanan_publik");
    let proposed = |app: &TestApp| {
        app.post("/api/v1/issues", &pic, body.clone())
            .expect(201)
            .body["proposed_unit"]
            .clone()
    };
    assert_eq!(proposed(&app), json!("DISHUB"));
    app.patch("/api/v1/units/DISHUB", &admin, json!({"active": false}))
        .expect(200);
    assert_ne!(proposed(&app), json!("DISHUB"));
    let p = app
        .post("/api/v1/routing-rules/preview", &trc, body.clone())
        .expect(200);
    let first = &p.body["explanation"][0];
    assert_eq!(first["rule"]["id"].as_i64(), Some(id));
    let unit = first["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["condition"] == "unit")
        .expect("a check of the unit");
    assert_eq!(unit["passed"], false);
    app.patch("/api/v1/units/DISHUB", &admin, json!({"active": true}))
        .expect(200);
    assert_eq!(proposed(&app), json!("DISHUB"));
}
both!(rules_of_deactivated_units_do_not_route);

fn sla_configuration_reads(app: TestApp) {
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    let p = app.get("/api/v1/sla/policies", &pic).expect(200);
    assert_eq!(
        p.body["priorities"][0],
        json!({"priority": "critical", "calendar": "always", "triage": "30m", "response": "2h", "resolution": "1d"})
    );
    assert_eq!(p.body["categories"][0]["category"], "hoaks_disinformasi");
    assert_eq!(p.body["categories"][0]["response"], "3h");
    let c = app.get("/api/v1/sla/calendars", &pic).expect(200);
    let office = c
        .body
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["name"] == "office")
        .expect("office");
    assert_eq!(office["hours"]["fri"], "07:30-16:30");
    assert_eq!(office["zone"], "Asia/Makassar");
    assert!(office["holiday_dates"]
        .as_array()
        .is_some_and(|d| d.contains(&json!("2026-03-19"))));
    let l = app.get("/api/v1/sla/ladders", &pic).expect(200);
    assert_eq!(
        l.body["response"]["steps"][0],
        json!({"at": "75%", "notify": ["unit"]})
    );
    // Preview on the office calendar: Tue 17 March 2026 15:00 WITA, medium → triage 4h.
    let r = app
        .get(
            "/api/v1/sla/preview?priority=medium&start=2026-03-17T15:00:00%2B08:00",
            &pic,
        )
        .expect(200);
    assert_eq!(r.body["calendar"], "office");
    assert_eq!(r.body["start"], "2026-03-17T07:00:00Z");
    let triage = r.body["clocks"]
        .as_array()
        .expect("clocks")
        .iter()
        .find(|c| c["kind"] == "triage")
        .expect("triage");
    assert_eq!(
        triage["due_at"], "2026-03-25T02:30:00Z",
        "Nyepi, cuti bersama and Idul Fitri skipped"
    );
    let resp = r.body["clocks"]
        .as_array()
        .expect("clocks")
        .iter()
        .find(|c| c["kind"] == "response")
        .expect("response");
    assert_eq!(
        (resp["target"].as_str(), resp["due_at"].as_str()),
        (Some("3wd"), Some("2026-03-27T07:00:00Z"))
    );
    // A hoax filed on Friday at 17:00 WITA, before the Idul Fitri holidays: triaged by 18:00
    // that evening, not after the holidays as an office-hours issue would be.
    let r = app.get("/api/v1/sla/preview?priority=medium&category=hoaks_disinformasi&start=2026-03-20T09:00:00Z", &pic).expect(200);
    let triage = r.body["clocks"]
        .as_array()
        .expect("clocks")
        .iter()
        .find(|c| c["kind"] == "triage")
        .expect("triage");
    assert_eq!(
        (triage["calendar"].as_str(), triage["due_at"].as_str()),
        (Some("always"), Some("2026-03-20T10:00:00Z"))
    );
    let r = app
        .get(
            "/api/v1/sla/preview?priority=medium&category=infrastruktur&start=2026-03-20T09:00:00Z",
            &pic,
        )
        .expect(200);
    let office = r.body["clocks"]
        .as_array()
        .expect("clocks")
        .iter()
        .find(|c| c["kind"] == "triage")
        .expect("triage");
    assert!(
        office["due_at"].as_str().expect("due") > "2026-03-23",
        "an office-hours triage waits past the weekend: {office}"
    );
    let r = app.get("/api/v1/sla/preview?priority=high&category=hoaks_disinformasi&start=2026-03-17T15:00:00Z", &pic).expect(200);
    let resp = r.body["clocks"]
        .as_array()
        .expect("clocks")
        .iter()
        .find(|c| c["kind"] == "response")
        .expect("response");
    assert_eq!(
        (resp["calendar"].as_str(), resp["due_at"].as_str()),
        (Some("always"), Some("2026-03-17T18:00:00Z"))
    );
    let bad = app
        .get(
            "/api/v1/sla/preview?priority=urgent&category=gosip&start=kemarin",
            &pic,
        )
        .problem(422);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["priority", "category", "start"]);
    app.get("/api/v1/sla/preview", &pic).problem(422);
}
both!(sla_configuration_reads);

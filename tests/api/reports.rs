use crate::both;
use crate::helpers::*;
use diesel::RunQueryDsl;
use serde_json::{json, Value};

const SHORT: &str = r#"
[sla.priority.critical]
calendar = "always"
triage = "1h"
response = "2s"
resolution = "1h"
"#;

fn group<'a>(r: &'a Value, key: &str) -> &'a Value {
    r["groups"]
        .as_array()
        .and_then(|g| g.iter().find(|x| x["key"] == json!(key)))
        .unwrap_or(&Value::Null)
}

fn reports_count_what_happened(app: TestApp) {
    let admin = app.admin();
    let trc = app.login(TRC, DEMO_PASSWORD);
    app.post(
        "/api/v1/units",
        &admin,
        json!({"code": "UPT_A", "name": "=UPT Alpha", "parent": "DINKES"}),
    )
    .expect(201);
    app.post(
        "/api/v1/units",
        &admin,
        json!({"code": "UPT_B", "name": "UPT Beta"}),
    )
    .expect(201);
    let file = |title: &str| {
        let mut b = issue_body(title);
        b["priority"] = json!("critical");
        b["category"] = json!("sosial");
        app.file(&trc, b)
    };
    let (a, b, c) = (file("A"), file("B"), file("C"));
    for (r, unit) in [(&a, "UPT_A"), (&b, "UPT_A"), (&c, "UPT_B")] {
        app.act(&trc, r, "triage", json!({"unit": unit}))
            .expect(200);
    }
    app.act(&trc, &a, "respond", json!({"text": "Cepat"}))
        .expect(200);
    app.act(&trc, &a, "resolve", json!({"text": "Selesai"}))
        .expect(200);
    app.advance(std::time::Duration::from_millis(2600));
    // The timer fires the steps now due (the escalations column counts them) before the
    // reports are read, so that two reads agree.
    app.settle();
    let now = app.get("/api/v1/reports?group_by=unit", &trc).expect(200);
    let g = group(&now.body, "UPT_A");
    assert_eq!(g["label"], "=UPT Alpha");
    assert_eq!(
        (g["filed"].as_i64(), g["resolved"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(g["response"]["met"], 1);
    assert_eq!(
        g["response"]["missed"], 1,
        "B's response clock ran past due: missed though still running"
    );
    assert_eq!(g["response"]["running"], 0);
    assert_eq!(g["response"]["compliance_pct"], 50.0);
    assert_eq!(g["breached_now"], 1);
    assert_eq!(g["resolution"]["met"], 1);
    assert_eq!(g["resolution"]["running"], 1);
    let gb = group(&now.body, "UPT_B");
    assert_eq!(
        (
            gb["response"]["missed"].as_i64(),
            gb["breached_now"].as_i64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(
        gb["resolution"]["compliance_pct"],
        Value::Null,
        "no clock decided yet"
    );
    // Stopping late keeps it missed; the median is over stopped clocks only.
    app.act(&trc, &b, "respond", json!({"text": "Terlambat"}))
        .expect(200);
    let later = app.get("/api/v1/reports?group_by=unit", &trc).expect(200);
    let g = group(&later.body, "UPT_A");
    assert_eq!(
        (
            g["response"]["met"].as_i64(),
            g["response"]["missed"].as_i64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(g["breached_now"], 0);
    let med = g["response"]["median_seconds"].as_i64().expect("median");
    let p90 = g["response"]["p90_seconds"].as_i64().expect("p90");
    assert!(
        med <= 1 && (2..=4).contains(&p90),
        "nearest rank over [~0 s, ~2.6 s]: {med} {p90}"
    );
    // The total counts every issue the caller sees.
    let total_filed = later.body["total"]["filed"].as_i64().expect("total");
    let sum: i64 = later.body["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter_map(|g| g["filed"].as_i64())
        .sum();
    assert_eq!(total_filed, sum);
    // Other groupings and validation.
    let by_cat = app
        .get("/api/v1/reports?group_by=category", &trc)
        .expect(200);
    assert!(group(&by_cat.body, "sosial")["filed"]
        .as_i64()
        .is_some_and(|n| n >= 3));
    let bad = app
        .get("/api/v1/reports?group_by=colour&from=2026-13-01", &trc)
        .problem(422);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["from", "group_by"]);
    app.get("/api/v1/reports?from=2026-02-01&to=2026-01-01", &trc)
        .problem(422);
    let empty = app
        .get("/api/v1/reports?from=2020-01-01&to=2020-01-31", &trc)
        .expect(200);
    assert_eq!(empty.body["total"]["filed"], 0);
    assert_eq!(empty.body["groups"], json!([]));
    // CSV: header, one row per group, TOTAL; formula-looking text is escaped.
    let csv = app
        .request(
            "GET",
            "/api/v1/reports?group_by=unit",
            Some(&trc),
            &[("Accept", "text/csv")],
            None,
        )
        .expect(200);
    assert!(csv
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/csv")));
    let lines: Vec<&str> = csv.text.lines().collect();
    assert!(lines[0].starts_with("key,label,filed,resolved,response_met,response_missed,response_running,response_compliance_pct"));
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("UPT_A,'=UPT Alpha,2,1,1,1,0,50")),
        "{lines:?}"
    );
    assert!(lines.last().is_some_and(|l| l.starts_with("TOTAL,")));
    let csv2 = app
        .get("/api/v1/reports?group_by=unit&format=csv", &trc)
        .expect(200);
    assert_eq!(csv2.text, csv.text);
    // A leader with a unit sees its subtree only; a PIC of another unit none of these.
    app.post("/api/v1/users", &admin, json!({"email": "kadinkes@demo.tanggap.id", "name": "Kadinkes", "role": "leader", "unit": "DINKES", "password": "long-enough-pw"})).expect(201);
    let leader = app.login("kadinkes@demo.tanggap.id", "long-enough-pw");
    let lr = app
        .get("/api/v1/reports?group_by=unit", &leader)
        .expect(200);
    assert!(group(&lr.body, "UPT_A").is_object());
    assert!(
        group(&lr.body, "UPT_B").is_null(),
        "outside the leader's subtree"
    );
    let other = app.login("pic.dpupr@demo.tanggap.id", DEMO_PASSWORD);
    let pr = app.get("/api/v1/reports?group_by=unit", &other).expect(200);
    assert!(group(&pr.body, "UPT_A").is_null() && group(&pr.body, "UPT_B").is_null());
}
both!(reports_count_what_happened, SHORT);

/// A small fixed data set, imported with historical times on the office calendar (WITA, national
/// holidays), with figures computed by hand across a weekend and Nyepi/Idul Fitri 2026.
const FIXED: &str = "No,Tanggal,Judul,Uraian,Kategori,Kanal,Prioritas,Unit,Status,Tanggal Tanggapan,Tanggal Selesai\n\
R-1,13/03/2026 15:00,Jumat sore,Dijawab Senin pagi,Kesehatan,Facebook,Tinggi,DINKES,Selesai,16/03/2026 08:30,16/03/2026 15:00\n\
R-2,17/03/2026 10:00,Sebelum Nyepi,Dijawab setelah libur panjang,Kesehatan,Facebook,Tinggi,DINKES,Ditanggapi,25/03/2026 09:00,\n\
R-3,02/03/2026 08:00,Terlambat,Dijawab lewat tenggat,Kesehatan,Facebook,Tinggi,DINKES,Ditanggapi,04/03/2026 08:00,\n";

fn hand_computed_figures(app: TestApp) {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("maret.csv");
    std::fs::write(&file, FIXED).expect("write");
    let out = app.cli(&["import", file.to_str().expect("path")], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trc = app.login(TRC, DEMO_PASSWORD);
    let r = app
        .get(
            "/api/v1/reports?from=2026-03-01&to=2026-03-31&group_by=unit",
            &trc,
        )
        .expect(200);
    assert_eq!(
        r.body["groups"].as_array().map(Vec::len),
        Some(1),
        "{}",
        r.text
    );
    let g = group(&r.body, "DINKES");
    assert_eq!(g["label"], "Dinas Kesehatan");
    assert_eq!(
        (g["filed"].as_i64(), g["resolved"].as_i64()),
        (Some(3), Some(1))
    );
    // Response (high: 1 working day).
    // R-1: Fri 15:00–16:30 + Mon 07:30–08:30 = 9,000 s, due Mon 15:00: met.
    // R-2: Tue 10:00–16:00 + (Nyepi, cuti bersama, Idul Fitri) + Wed 25 07:30–09:00 = 27,000 s,
    //      due Wed 25 10:00: met.
    // R-3: Mon 08:00–16:00 + Tue 07:30–16:00 + Wed 07:30–08:00 = 61,200 s, due Tue 08:00: missed.
    assert_eq!(
        g["response"],
        json!({"met": 2, "missed": 1, "running": 0, "compliance_pct": 66.67, "median_seconds": 27000, "p90_seconds": 61200})
    );
    // Resolution (high: 3 working days). R-1 resolved Mon 15:00: Fri 5,400 + Mon 27,000 =
    // 32,400 s, due Wed 25 Mar (18–24 closed): met. R-2 and R-3 are still open and long past due.
    assert_eq!(
        g["resolution"],
        json!({"met": 1, "missed": 2, "running": 0, "compliance_pct": 33.33, "median_seconds": 32400, "p90_seconds": 32400})
    );
    assert_eq!(g["breached_now"], 2);
    assert_eq!(g["escalations"], 0, "history sends no escalation");
    assert_eq!(r.body["total"]["response"]["median_seconds"], 27000);
    let csv = app
        .get(
            "/api/v1/reports?from=2026-03-01&to=2026-03-31&group_by=unit&format=csv",
            &trc,
        )
        .expect(200);
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(
        lines[1],
        "DINKES,Dinas Kesehatan,3,1,2,1,0,66.67,27000,61200,1,2,0,33.33,32400,32400,2,0"
    );
    assert_eq!(
        lines[2],
        "TOTAL,,3,1,2,1,0,66.67,27000,61200,1,2,0,33.33,32400,32400,2,0"
    );
    let by_priority = app
        .get(
            "/api/v1/reports?from=2026-03-01&to=2026-03-31&group_by=priority",
            &trc,
        )
        .expect(200);
    assert_eq!(group(&by_priority.body, "high")["filed"], 3);
    // Clocks stopped before the database recorded their counted time (as after the upgrade
    // that added it): `tanggap migrate` computes it from the calendars, and the report is the
    // same to the figure.
    let mut conn = app.db.connect();
    let blanked = diesel::sql_query(
        "UPDATE issue_clocks SET elapsed_seconds = NULL WHERE state IN ('met', 'missed')",
    )
    .execute(&mut conn)
    .expect("blank");
    assert!(
        blanked >= 4,
        "three response and one resolution clock stopped, and more"
    );
    let out = app.cli(&["migrate"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = app
        .get(
            "/api/v1/reports?from=2026-03-01&to=2026-03-31&group_by=unit",
            &trc,
        )
        .expect(200);
    assert_eq!(again.body, r.body);
}
both!(hand_computed_figures);

use crate::both;
use crate::helpers::*;
use serde_json::{json, Value};

fn filing_validates_and_answers_the_wire_shape(app: TestApp) {
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    let r = app
        .post("/api/v1/issues", &pic, json!({
            "title": "Hoaks vaksin di grup WhatsApp",
            "description": "Pesan berantai menyebut vaksin berbahaya.",
            "category": "hoaks_disinformasi", "channel": "whatsapp",
            "source_urls": ["https://chat.whatsapp.com/abc"],
            "priority": "high", "sensitivity": "normal", "verdict": "unverified",
            "evidence": {"screenshot_urls": ["https://img.example.id/1.png"], "reach": 1500, "posted_at": "2026-03-02T08:15:00+08:00"},
            "location": {"district": "Pulau Laut Utara", "village": "Baru", "lat": -3.23, "lon": 116.22},
            "lapor_id": "LAPOR-123", "tags": ["#Vaksin", "hoaks", "vaksin"]
        }))
        .expect(201);
    let reference = r.body["ref"].as_str().expect("ref");
    assert!(
        reference.starts_with("ISU-2026-") || reference.starts_with("ISU-2027-"),
        "{reference}"
    );
    assert_eq!(reference.len(), "ISU-2026-000001".len());
    assert_eq!(
        r.header("location"),
        Some(format!("/api/v1/issues/{reference}").as_str())
    );
    assert_eq!(r.header("etag"), Some("\"1\""));
    let b = &r.body;
    assert_eq!(b["status"], "new");
    assert_eq!(b["filed_by"], PIC_DINKES);
    assert_eq!(b["filing_unit"], "DINKES");
    assert_eq!(b["tags"], json!(["vaksin", "hoaks"]));
    assert_eq!(
        b["evidence"]["posted_at"], "2026-03-02T00:15:00Z",
        "instants are served in UTC"
    );
    assert_eq!(b["evidence"]["reach"], 1500);
    assert_eq!(b["location"]["lat"], -3.23);
    assert_eq!(b["verdict"], "unverified");
    assert_eq!(b["version"], 1);
    for key in [
        "ref",
        "title",
        "description",
        "category",
        "channel",
        "priority",
        "sensitivity",
        "status",
        "source_urls",
        "evidence",
        "location",
        "filed_by",
        "filing_unit",
        "assigned_unit",
        "proposed_unit",
        "lapor_id",
        "tags",
        "duplicate_of",
        "escalation_level",
        "verdict",
        "clarification",
        "clocks",
        "version",
        "created_at",
        "updated_at",
    ] {
        assert!(b.get(key).is_some(), "{key} missing from the issue");
    }
    assert!(b["created_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    // The answer to the filing is the issue as stored (clocks but for their running figures).
    let stored = app.issue(&pic, reference).expect(200).body;
    // The filing's answer also says which issues look like it; a read does not.
    assert!(b["similar"].is_array(), "{b}");
    assert!(stored.get("similar").is_none());
    let without_clocks = |v: &Value| {
        let mut v = v.clone();
        v.as_object_mut().map(|o| o.remove("clocks"));
        v.as_object_mut().map(|o| o.remove("similar"));
        v
    };
    assert_eq!(without_clocks(b), without_clocks(&stored));
    let clock_keys = |v: &Value| -> Vec<(Value, Value, Value, Value)> {
        v["clocks"]
            .as_array()
            .expect("clocks")
            .iter()
            .map(|c| {
                (
                    c["kind"].clone(),
                    c["state"].clone(),
                    c["target"].clone(),
                    c["due_at"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(clock_keys(b), clock_keys(&stored));
    assert!(!clock_keys(b).is_empty());
    // Without a priority an issue is medium.
    let r = app
        .post("/api/v1/issues", &pic, issue_body("Tanpa prioritas"))
        .expect(201);
    assert_eq!(r.body["priority"], "medium");
    assert_eq!(r.body["sensitivity"], "normal");
    // Walk-ins need no links.
    app.post("/api/v1/issues", &pic, json!({"title": "Warga datang", "description": "Langsung ke kantor", "category": "sosial", "channel": "langsung"})).expect(201);

    let bad = app
        .post("/api/v1/issues", &pic, json!({
            "title": "", "description": "x", "category": "gosip", "channel": "facebook",
            "source_urls": ["ftp://x"], "priority": "urgent", "verdict": "hoaks",
            "location": {"lat": 95.0, "lon": 200.0}, "evidence": {"reach": -1, "posted_at": "kemarin"}
        }))
        .problem(422);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    for f in [
        "title",
        "category",
        "source_urls.0",
        "priority",
        "evidence.reach",
        "evidence.posted_at",
        "location.lat",
        "location.lon",
    ] {
        assert!(fields.contains(&f), "{f} not in {fields:?}");
    }
    let cat = bad.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .find(|e| e["field"] == "category")
        .expect("category");
    assert!(cat["valid"]
        .as_array()
        .is_some_and(|v| v.contains(&json!("hoaks_disinformasi"))));
    // A verdict on another category, a missing link, a missing field.
    let r = app.post("/api/v1/issues", &pic, json!({"title": "t", "description": "d", "category": "kesehatan", "channel": "facebook", "source_urls": ["https://f.com/1"], "verdict": "hoaks"})).problem(422);
    assert_eq!(r.body["errors"][0]["field"], "verdict");
    let r = app.post("/api/v1/issues", &pic, json!({"title": "t", "description": "d", "category": "kesehatan", "channel": "facebook"})).problem(422);
    assert_eq!(r.body["errors"][0]["field"], "source_urls");
    let r = app
        .post(
            "/api/v1/issues",
            &pic,
            json!({"description": "d", "category": "kesehatan", "channel": "langsung"}),
        )
        .problem(422);
    assert_eq!(r.body["errors"][0]["field"], "title");
    let r = app.post("/api/v1/issues", &pic, json!({"title": "t", "description": "d", "category": "kesehatan", "channel": "langsung", "location": {"lat": "utara"}})).problem(422);
    assert_eq!(r.body["errors"][0]["field"], "location.lat");
    // Leaders do not file.
    let leader = app.login(LEADER, DEMO_PASSWORD);
    app.post("/api/v1/issues", &leader, issue_body("x"))
        .problem(403);
}
both!(filing_validates_and_answers_the_wire_shape);

/// The caller is read and checked before anything of the body is looked at: one who may not
/// file learns nothing of their body's faults, and a token that was ended or an account that
/// was deactivated files nothing.
fn who_may_not_file_is_refused_before_the_body_is_read(app: TestApp) {
    let admin = app.login(ADMIN, DEMO_PASSWORD);
    let trc = app.login(TRC, DEMO_PASSWORD);
    let count = |app: &TestApp| {
        app.get("/api/v1/issues?limit=200", &trc).body["items"]
            .as_array()
            .map_or(0, Vec::len)
    };
    let before = count(&app);
    let broken = r#"{"title": "Jalan rusak", "#;
    app.request("POST", "/api/v1/issues", None, &[], Some(broken))
        .problem(401);
    let leader = app.login(LEADER, DEMO_PASSWORD);
    app.request("POST", "/api/v1/issues", Some(&leader), &[], Some(broken))
        .problem(403);
    app.post("/api/v1/issues", &leader, json!({"title": 5}))
        .problem(403);
    // One who may file hears what is wrong with the body.
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    let r = app
        .post(
            "/api/v1/issues",
            &pic,
            json!({"title": 5, "description": "d", "category": "kesehatan", "channel": "langsung"}),
        )
        .problem(422);
    assert_eq!(r.body["errors"][0]["field"], "title", "{}", r.text);
    // A token ended by signing out, then an account deactivated: refused, nothing filed.
    let id = app.get("/api/v1/me", &pic).body["id"].as_i64().expect("id");
    app.post("/api/v1/me/sign-out", &pic, json!({})).expect(204);
    app.post("/api/v1/issues", &pic, issue_body("Setelah keluar"))
        .problem(401);
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    app.patch(
        &format!("/api/v1/users/{id}"),
        &admin,
        json!({"active": false}),
    )
    .expect(200);
    app.post("/api/v1/issues", &pic, issue_body("Akun nonaktif"))
        .problem(401);
    // Nor is a deactivated account told what is wrong with a draft it asks about.
    app.request(
        "POST",
        "/api/v1/issues/similar",
        Some(&pic),
        &[],
        Some(broken),
    )
    .problem(401);
    assert_eq!(count(&app), before);
}
both!(who_may_not_file_is_refused_before_the_body_is_read);

/// A filing's look-alikes are those its filer may see, the units below theirs included (read
/// with the filer, in the same statement on PostgreSQL).
fn a_filing_shows_look_alikes_from_the_units_below_the_filers(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let body = json!({
        "title": "Stok vaksin campak kosong di Puskesmas Kotabaru",
        "description": "Warga mengeluh stok vaksin campak kosong sejak pekan lalu.",
        "category": "kesehatan", "channel": "facebook",
        "source_urls": ["https://www.facebook.com/kotabaru/posts/vaksin-campak"],
    });
    let first = app.file(&trc, body.clone());
    app.act(
        &trc,
        &first,
        "triage",
        json!({"unit": "PUSKESMAS_KOTABARU"}),
    )
    .expect(200);
    // Dinkes is above the Puskesmas: its PIC is shown the issue; DPUPR's is not. Each asks
    // for look-alikes of the draft, then files it.
    let shown = |pic: &str| {
        let token = app.login(pic, DEMO_PASSWORD);
        let asked = app
            .post("/api/v1/issues/similar", &token, body.clone())
            .expect(200);
        let filed = app.post("/api/v1/issues", &token, body.clone()).expect(201);
        (refs(&asked.body["items"]), refs(&filed.body["similar"]))
    };
    let (asked, filed) = shown(PIC_DINKES);
    assert_eq!(asked, vec![first.clone()]);
    assert_eq!(filed, vec![first.clone()]);
    let (asked, filed) = shown(PIC_DPUPR);
    assert!(!asked.contains(&first), "{asked:?}");
    assert!(!filed.contains(&first), "{filed:?}");
}
both!(a_filing_shows_look_alikes_from_the_units_below_the_filers);

fn fifty_parallel_filings_get_fifty_refs(app: TestApp) {
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    let app = std::sync::Arc::new(app);
    let handles: Vec<_> = (0..50)
        .map(|i| {
            let (app, pic) = (app.clone(), pic.clone());
            std::thread::spawn(move || app.file(&pic, issue_body(&format!("Isu paralel {i}"))))
        })
        .collect();
    let mut refs: Vec<String> = handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect();
    refs.sort();
    refs.dedup();
    assert_eq!(refs.len(), 50);
}
both!(fifty_parallel_filings_get_fifty_refs);

fn idempotent_filing(app: TestApp) {
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    let trc = app.login(TRC, DEMO_PASSWORD);
    let body = issue_body("Isu sekali saja").to_string();
    let count = |app: &TestApp| {
        app.get("/api/v1/issues?limit=200", &trc).body["items"]
            .as_array()
            .map_or(0, Vec::len)
    };
    let before = count(&app);
    let app = std::sync::Arc::new(app);
    let handles: Vec<_> = (0..10)
        .map(|_| {
            let (app, pic, body) = (app.clone(), pic.clone(), body.clone());
            std::thread::spawn(move || {
                app.request(
                    "POST",
                    "/api/v1/issues",
                    Some(&pic),
                    &[("Idempotency-Key", "retry-42")],
                    Some(&body),
                )
            })
        })
        .collect();
    let replies: Vec<Reply> = handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect();
    assert!(
        replies.iter().all(|r| r.status == 201),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(
        replies.iter().all(|r| r.text == replies[0].text),
        "every retry answers the first body"
    );
    assert_eq!(count(&app), before + 1, "one issue for ten retries");
    // Key order and spacing do not make another body.
    let reordered: serde_json::Value = serde_json::from_str(&body).expect("json");
    let mut keys: Vec<_> = reordered.as_object().expect("object").iter().collect();
    keys.reverse();
    let text = format!(
        "{{{}}}",
        keys.iter()
            .map(|(k, v)| format!("{k:?}: {v}"))
            .collect::<Vec<_>>()
            .join(" , ")
    );
    let r = app
        .request(
            "POST",
            "/api/v1/issues",
            Some(&pic),
            &[("Idempotency-Key", "retry-42")],
            Some(&text),
        )
        .expect(201);
    assert_eq!(r.text, replies[0].text);
    // The same key with another body is refused; another user's key space is separate.
    let other = issue_body("Isu lain").to_string();
    let r = app
        .request(
            "POST",
            "/api/v1/issues",
            Some(&pic),
            &[("Idempotency-Key", "retry-42")],
            Some(&other),
        )
        .problem(422);
    assert_eq!(r.body["errors"][0]["field"], "Idempotency-Key");
    let r = app
        .request(
            "POST",
            "/api/v1/issues",
            Some(&trc),
            &[("Idempotency-Key", "retry-42")],
            Some(&body),
        )
        .expect(201);
    assert_ne!(r.body["ref"], replies[0].body["ref"]);
    // The replays and the refused body used up no reference number: this filing, the next
    // one, takes the number after the first.
    let number = |v: &Value| -> u64 {
        v["ref"]
            .as_str()
            .and_then(|r| r.rsplit('-').next())
            .and_then(|n| n.parse().ok())
            .expect("a numbered ref")
    };
    assert_eq!(
        number(&r.body),
        number(&replies[0].body) + 1,
        "no gap in the references after the replays"
    );
    assert_eq!(count(&app), before + 1 + 1);
    // A key kept longer than 24 hours is free again: the next filing with it is a new issue,
    // and that one is replayed from then on.
    use diesel::RunQueryDsl;
    let mut conn = app.db.connect();
    diesel::sql_query(
        "UPDATE idempotency_keys SET created_at = created_at - 90000000000 WHERE key = 'retry-42'",
    )
    .execute(&mut conn)
    .expect("age the keys");
    let post = |b: &str| {
        app.request(
            "POST",
            "/api/v1/issues",
            Some(&pic),
            &[("Idempotency-Key", "retry-42")],
            Some(b),
        )
    };
    let fresh = post(&other).expect(201);
    assert_ne!(fresh.body["ref"], replies[0].body["ref"]);
    assert_eq!(fresh.header("idempotent-replayed"), None);
    let again = post(&other).expect(201);
    assert_eq!(again.text, fresh.text);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(count(&app), before + 3);
}
both!(idempotent_filing);

/// On PostgreSQL a filing's row and everything it brings (clocks, tags, posts, words,
/// look-alike pairs, the audit stream's first event) go as one statement, kept prepared: each
/// part reads the row's id from the row's own insert. A part that fails (a look-alike that
/// does not exist) fails the whole statement, the row included.
#[test]
fn a_filings_row_and_parts_go_as_one_prepared_statement_on_postgres() {
    use diesel::RunQueryDsl;
    use tanggap::store::clocks::ClockRow;
    use tanggap::store::filing::{insert_filed, NewParts};
    use tanggap::store::issues::IssueRow;
    let Some(db) = TestDb::create(Backend::Postgres) else {
        return;
    };
    let mut conn = db.connect();
    tanggap::store::migrate(&mut conn).expect("migrate");
    diesel::connection::SimpleConnection::batch_execute(
        &mut conn,
        "INSERT INTO users (id, email, name, role, password_hash, active, created_at, updated_at) \
         VALUES (1, 't@example.org', 'T', 'trc', 'x', TRUE, 0, 0)",
    )
    .expect("a filer");
    let row = |n: i64| IssueRow {
        id: 0,
        ref_: format!("ISU-2026-{n:06}"),
        title: format!("Jalan rusak {n}"),
        description: "Uraian".into(),
        category: "infrastruktur".into(),
        channel: "facebook".into(),
        priority: "medium".into(),
        sensitivity: "normal".into(),
        status: "new".into(),
        held_from: None,
        source_urls: "[]".into(),
        screenshot_urls: "[]".into(),
        archive_urls: "[]".into(),
        reach: None,
        posted_at: None,
        district: None,
        village: None,
        lat: None,
        lon: None,
        filed_by_id: 1,
        filed_by: "t@example.org".into(),
        filing_unit: None,
        assigned_unit: None,
        proposed_unit: None,
        proposed_rule: None,
        similar_text: String::new(),
        similar_version: 0,
        lapor_id: None,
        tags: "[]".into(),
        duplicate_of: None,
        escalation_level: 0,
        verdict: None,
        disinformation_type: None,
        clarification_text: None,
        clarification_urls: None,
        version: 1,
        urgent_at: n,
        is_open: true,
        search: String::new(),
        created_at: n,
        updated_at: n,
        external_id: None,
        import_key: None,
        merged_count: 0,
        clocks: "[]".into(),
        clocks_version: 0,
    };
    let clock = ClockRow {
        id: 0,
        issue_id: 0,
        kind: "triage".into(),
        state: "running".into(),
        calendar: "office".into(),
        target: "PT2H".into(),
        started_at: 1,
        due_at: 2,
        paused_at: None,
        paused_seconds: 0,
        stopped_at: None,
        frozen_remaining: None,
        breached: false,
        steps_fired: 0,
        next_event_at: Some(2),
        elapsed_seconds: None,
    };
    let event = |n: i64| tanggap::audit::NewEvent {
        stream: format!("issue:ISU-2026-{n:06}"),
        actor: "system".into(),
        action: "issue.filed".into(),
        subject: format!("issue:ISU-2026-{n:06}"),
        changes: Default::default(),
        request_id: None,
        client_request_id: None,
        at: n,
        keys: None,
    };
    let words = vec!["jalan".to_owned(), "rusak".to_owned()];
    let tags = vec!["jalan".to_owned()];
    let mut ids = Vec::new();
    for n in 1..=8 {
        let urls = vec![format!("https://facebook.com/p/{n}")];
        let pairs: Vec<(i64, i32, String)> = ids
            .last()
            .map(|o| (*o, 900, "[]".into()))
            .into_iter()
            .collect();
        let filed = event(n);
        let id = insert_filed(
            &mut conn,
            &row(n),
            &NewParts {
                clocks: std::slice::from_ref(&clock),
                tags: &tags,
                urls: &urls,
                words: &words,
                similar: &pairs,
                filed: &filed,
                answer: None,
            },
        )
        .expect("filed");
        ids.push(id);
    }
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let count = |conn: &mut tanggap::store::Db, sql: &str| -> i64 {
        let tanggap::store::Db::Pg(c) = conn else {
            panic!("PostgreSQL")
        };
        diesel::sql_query(sql).get_result::<Count>(c).expect(sql).n
    };
    // Every part carries the row's own id.
    let last = ids[ids.len() - 1];
    assert_eq!(
        count(
            &mut conn,
            &format!("SELECT count(*) AS n FROM issue_clocks WHERE issue_id = {last}")
        ),
        1
    );
    assert_eq!(
        count(
            &mut conn,
            &format!("SELECT count(*) AS n FROM issue_words WHERE issue_id = {last}")
        ),
        2
    );
    assert_eq!(count(&mut conn, &format!("SELECT count(*) AS n FROM issue_urls WHERE issue_id = {last} AND url = 'https://facebook.com/p/8'")), 1);
    assert_eq!(count(&mut conn, &format!("SELECT count(*) AS n FROM issue_similar WHERE issue_id = {last} OR other_id = {last}")), 2);
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS n FROM audit_events WHERE stream = 'issue:ISU-2026-000008'"
        ),
        1
    );
    // One statement, prepared once on this connection.
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM pg_prepared_statements WHERE statement LIKE 'WITH i AS (INSERT INTO \"issues\"%'"),
        1
    );
    // A look-alike that is not there: nothing of the filing is written.
    let before = count(&mut conn, "SELECT count(*) AS n FROM issues");
    let filed = event(9);
    let missing = [(999_999_999, 900, "[]".to_owned())];
    insert_filed(
        &mut conn,
        &row(9),
        &NewParts {
            clocks: std::slice::from_ref(&clock),
            tags: &tags,
            urls: &[],
            words: &words,
            similar: &missing,
            filed: &filed,
            answer: None,
        },
    )
    .expect_err("a missing look-alike");
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM issues"), before);
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS n FROM audit_events WHERE stream = 'issue:ISU-2026-000009'"
        ),
        0
    );
}

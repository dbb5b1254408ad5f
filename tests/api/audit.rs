use crate::both;
use crate::helpers::*;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use tanggap::store::Db;

fn refused(conn: &mut Db, sql: &str) {
    let err = conn.batch_execute(sql).expect_err(sql);
    assert!(err.to_string().contains("append-only"), "{sql}: {err}");
}

fn the_database_refuses_update_and_delete_on_the_audit_table(app: TestApp) {
    let mut conn = app.db.connect();
    refused(&mut conn, "UPDATE audit_events SET actor = 'mallory'");
    refused(&mut conn, "DELETE FROM audit_events");
    if let Db::Pg(_) = conn {
        refused(&mut conn, "TRUNCATE audit_events");
    }
    let admin = app.admin();
    let r = app.get("/api/v1/audit/verify", &admin).expect(200);
    assert_eq!(r.body["ok"], true);
    assert!(
        r.body["events"].as_i64().is_some_and(|n| n >= 20),
        "demo data is audited: {}",
        r.text
    );
    assert_eq!(r.body["first_broken"], serde_json::Value::Null);
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    app.get("/api/v1/audit/verify", &pic).problem(403);
}
both!(the_database_refuses_update_and_delete_on_the_audit_table);

fn a_tampered_chain_is_named(app: TestApp) {
    let out = app.cli(&["audit", "verify"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("intact"));

    let mut conn = app.db.connect();
    use tanggap::store::schema::audit_events::dsl as ae;
    let (victim_id, victim_seq): (i64, i64) = ae::audit_events
        .filter(ae::subject.eq("unit:BPBD"))
        .select((ae::id, ae::seq))
        .first(&mut conn)
        .expect("BPBD's creation is audited");
    let drop_trigger = match conn {
        Db::Sqlite(_) => "DROP TRIGGER audit_events_no_update",
        Db::Pg(_) => "DROP TRIGGER audit_events_no_change ON audit_events",
    };
    conn.batch_execute(drop_trigger)
        .expect("drop the trigger by hand");
    conn.batch_execute(&format!(
        "UPDATE audit_events SET actor = 'mallory' WHERE id = {victim_id}"
    ))
    .expect("alter a row");

    let out = app.cli(&["audit", "verify"], None);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "stream system event {victim_seq} (id {victim_id})"
        )),
        "{stdout}"
    );

    let admin_token = {
        // Logging in appends nothing on success, so the chain stays as tampered.
        app.admin()
    };
    let r = app.get("/api/v1/audit/verify", &admin_token).expect(200);
    assert_eq!(r.body["ok"], false);
    assert_eq!(r.body["first_broken"]["stream"], "system");
    assert_eq!(r.body["first_broken"]["seq"], victim_seq);
    assert_eq!(r.body["first_broken"]["event_id"], victim_id);
}
both!(a_tampered_chain_is_named);

fn removing_the_newest_events_is_detected(app: TestApp) {
    // Nothing else appends while we look: the removal must be seen through the stream's head.
    app.stop();
    let mut conn = app.db.connect();
    let drop_trigger = match conn {
        Db::Sqlite(_) => "DROP TRIGGER audit_events_no_delete",
        Db::Pg(_) => "DROP TRIGGER audit_events_no_change ON audit_events",
    };
    conn.batch_execute(drop_trigger)
        .expect("drop the trigger by hand");
    conn.batch_execute("DELETE FROM audit_events WHERE id = (SELECT max(id) FROM audit_events)")
        .expect("remove the newest event");
    let out = app.cli(&["audit", "verify"], None);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("removed"));
}
both!(removing_the_newest_events_is_detected);

fn concurrent_changes_keep_one_chain(app: TestApp) {
    let admin = app.admin();
    let app = std::sync::Arc::new(app);
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let app = app.clone();
            let admin = admin.clone();
            std::thread::spawn(move || {
                for j in 0..4 {
                    app.post(
                        "/api/v1/units",
                        &admin,
                        serde_json::json!({"code": format!("RACE_{i}_{j}"), "name": "Race"}),
                    )
                    .expect(201);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    let r = app.get("/api/v1/audit/verify", &admin).expect(200);
    assert_eq!(r.body["ok"], true, "{}", r.text);
}
both!(concurrent_changes_keep_one_chain);

/// Batched appends (many streams, interleaved, some new, some with history) chain exactly like
/// appends one by one: sequence numbers follow on per stream and `audit verify` finds no break.
/// A system event numbered `n` in `stream`, for the tests that append through the store.
fn test_event(stream: &str, n: i64) -> tanggap::audit::NewEvent {
    tanggap::audit::NewEvent {
        stream: stream.to_owned(),
        actor: "system".into(),
        action: "test.appended".into(),
        subject: format!("test:{n}"),
        changes: tanggap::audit::Changes::new(),
        request_id: None,
        client_request_id: None,
        at: 1_800_000_000_000_000 + n,
        keys: None,
    }
}

fn batched_appends_chain_like_single_ones(app: TestApp) {
    use tanggap::audit::NewEvent;
    let event = test_event;
    let mut conn = app.db.connect();
    tanggap::store::write_tx(&mut conn, |c| {
        tanggap::store::audit::append(c, &event("test:a", 0)).map(drop)
    })
    .expect("single append");
    let batch: Vec<NewEvent> = (1..=30)
        .map(|n| event(["test:a", "test:b", "test:c"][(n % 3) as usize], n))
        .collect();
    tanggap::store::write_tx(&mut conn, |c| tanggap::store::audit::append_all(c, &batch))
        .expect("batched append");
    let (seq, _) = tanggap::store::write_tx(&mut conn, |c| {
        tanggap::store::audit::append(c, &event("test:b", 31))
    })
    .expect("single append after the batch");
    assert_eq!(seq, 11, "ten batched events in test:b, then this one");
    let seqs: Vec<i64> = tanggap::store::audit::stream(&mut conn, "test:a")
        .expect("stream")
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(seqs, (1..=11).collect::<Vec<i64>>());
    let report = tanggap::service::audit::verify(&mut conn, &Default::default()).expect("verify");
    assert!(report.ok, "{report:?}");
}
both!(batched_appends_chain_like_single_ones);

/// A stream started with its first event chains like one appended to, and starting a stream
/// that exists fails without touching it.
fn started_streams_chain_and_never_fork(app: TestApp) {
    let event = test_event;
    let mut conn = app.db.connect();
    let (seq, _) = tanggap::store::write_tx(&mut conn, |c| {
        tanggap::store::audit::start_stream(c, &event("test:new", 1))
    })
    .expect("start");
    assert_eq!(seq, 1);
    let (seq, _) = tanggap::store::write_tx(&mut conn, |c| {
        tanggap::store::audit::append(c, &event("test:new", 2))
    })
    .expect("append after the start");
    assert_eq!(seq, 2);
    let again = tanggap::store::write_tx(&mut conn, |c| {
        tanggap::store::audit::start_stream(c, &event("test:new", 3))
    });
    assert!(again.is_err(), "a second start of one stream must fail");
    let seqs: Vec<i64> = tanggap::store::audit::stream(&mut conn, "test:new")
        .expect("stream")
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(seqs, vec![1, 2]);
    let report = tanggap::service::audit::verify(&mut conn, &Default::default()).expect("verify");
    assert!(report.ok, "{report:?}");
}
both!(started_streams_chain_and_never_fork);

/// An event prepared before another that committed first (a delivery outcome recorded after a
/// later action) is recorded at that one's instant: within a stream `at` never decreases, and
/// the chain still verifies.
fn a_streams_instants_never_go_back(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let reference = app.file(&trc, issue_body("Urutan riwayat"));
    app.act(
        &trc,
        &reference,
        "triage",
        serde_json::json!({"unit": "DPUPR"}),
    )
    .expect(200);
    let stream = format!("issue:{reference}");
    let mut conn = app.db.connect();
    let late = tanggap::audit::NewEvent {
        stream: stream.clone(),
        actor: "system".into(),
        action: "notification.sent".into(),
        subject: stream.clone(),
        changes: tanggap::audit::Changes::new(),
        request_id: None,
        client_request_id: None,
        at: 1_000_000, // 1970: prepared long before the events above
        keys: None,
    };
    tanggap::store::write_tx(&mut conn, |c| tanggap::store::audit::append(c, &late))
        .expect("append");
    tanggap::store::write_tx(&mut conn, |c| {
        tanggap::store::audit::append_all(c, &[late.clone(), late.clone()])
    })
    .expect("append many");
    let h = app
        .get(&format!("/api/v1/issues/{reference}/history"), &trc)
        .expect(200);
    let ats: Vec<String> = h.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["at"].as_str().expect("at").to_owned())
        .collect();
    assert!(ats.len() >= 5, "{ats:?}");
    let instants: Vec<jiff::Timestamp> = ats.iter().map(|a| a.parse().expect("instant")).collect();
    assert!(
        instants.windows(2).all(|w| w[0] <= w[1]),
        "history goes back in time: {ats:?}"
    );
    let admin = app.admin();
    assert_eq!(
        app.get("/api/v1/audit/verify", &admin).expect(200).body["ok"],
        true
    );
}
both!(a_streams_instants_never_go_back);

/// An audit key of the tests' (not a secret anywhere).
const KEY: &str = "[audit]\nkey = \"tests-audit-key-4f1c9a7e2b5d8036c1a9\"\nkey_id = \"t1\"\n";

fn verify_cli(app: &TestApp, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let out = run_cli(&app.overlay, &["audit", "verify"], None, env);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The newest event of `stream`: (id, seq).
fn newest(conn: &mut Db, stream: &str) -> (i64, i64) {
    use tanggap::store::schema::audit_events::dsl as ae;
    ae::audit_events
        .filter(ae::stream.eq(stream))
        .order(ae::seq.desc())
        .select((ae::id, ae::seq))
        .first(conn)
        .expect("an event")
}

/// With the database alone (no key): a rewritten event whose chain is recomputed is named.
fn with_a_key_a_rewritten_event_is_named(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let reference = app.file(&trc, issue_body("Rantai berkunci"));
    app.act(
        &trc,
        &reference,
        "triage",
        serde_json::json!({"unit": "DPUPR"}),
    )
    .expect(200);
    app.stop();
    let stream = format!("issue:{reference}");
    let mut conn = app.db.connect();
    let hashes: Vec<String> = {
        use tanggap::store::schema::audit_events::dsl as ae;
        ae::audit_events
            .filter(ae::stream.eq(&stream))
            .select(ae::hash)
            .load(&mut conn)
            .expect("hashes")
    };
    assert!(hashes.iter().all(|h| h.starts_with("k:t1:")), "{hashes:?}");
    assert_eq!(verify_cli(&app, &[]).0, Some(0));

    // The attacker owns the tables: drops the trigger, changes the actor of the newest event and
    // recomputes its link and the head, as the service would without the key.
    let (id, seq) = newest(&mut conn, &stream);
    conn.batch_execute(match conn {
        Db::Sqlite(_) => "DROP TRIGGER audit_events_no_update",
        Db::Pg(_) => "DROP TRIGGER audit_events_no_change ON audit_events",
    })
    .expect("drop the trigger");
    let row = tanggap::store::audit::stream(&mut conn, &stream)
        .expect("events")
        .pop()
        .expect("newest");
    let mut canon: tanggap::audit::Canonical =
        serde_json::from_str(&row.canonical).expect("canonical");
    canon.actor = "mallory@demo.tanggap.id".into();
    let canonical = serde_json::to_string(&canon).expect("json");
    let hash = tanggap::audit::link(&row.prev_hash, &canonical);
    conn.batch_execute(&format!(
        "UPDATE audit_events SET actor = 'mallory@demo.tanggap.id', canonical = '{}', hash = '{hash}' WHERE id = {id}; \
         UPDATE audit_heads SET hash = '{hash}' WHERE stream = '{stream}'",
        canonical.replace('\'', "''")
    ))
    .expect("rewrite");
    let (code, out) = verify_cli(&app, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!("stream {stream} event {seq} (id {id})")),
        "{out}"
    );
    assert!(out.contains("without the audit key"), "{out}");
}
both!(with_a_key_a_rewritten_event_is_named, KEY);

/// Appends `action` to `stream` as the service would without the audit key: a correct plain
/// link, the head moved. Answers the forged event's (id, seq).
fn forge(conn: &mut Db, stream: &str, action: &str) -> (i64, i64) {
    let forged = tanggap::audit::NewEvent {
        stream: stream.to_owned(),
        actor: "trc@demo.tanggap.id".into(),
        action: action.into(),
        subject: stream.to_owned(),
        changes: tanggap::audit::Changes::new(),
        request_id: None,
        client_request_id: None,
        at: jiff::Timestamp::now().as_microsecond(),
        keys: None,
    };
    tanggap::store::write_tx(conn, |c| tanggap::store::audit::append(c, &forged))
        .expect("append as the service would without the key");
    newest(conn, stream)
}

/// With the database alone: an event appended with a correct plain link and head is named.
fn with_a_key_a_forged_event_is_named(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let reference = app.file(&trc, issue_body("Peristiwa palsu"));
    app.stop();
    let stream = format!("issue:{reference}");
    let mut conn = app.db.connect();
    let (id, seq) = forge(&mut conn, &stream, "issue.rejected");
    let (code, out) = verify_cli(&app, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!("stream {stream} event {seq} (id {id})")),
        "{out}"
    );
    // Heads only move forward: the forged event cannot be taken back out of sight either.
    refused_as(&mut conn, "UPDATE audit_heads SET seq = seq - 1", "forward");
    refused_as(&mut conn, "DELETE FROM audit_heads", "forward");
}
both!(with_a_key_a_forged_event_is_named, KEY);

fn refused_as(conn: &mut Db, sql: &str, word: &str) {
    let err = conn.batch_execute(sql).expect_err(sql);
    assert!(err.to_string().contains(word), "{sql}: {err}");
}

/// A trail from before the key verifies; the key's introduction (at the first migration with
/// a key) then makes every later unkeyed event a forgery; a rotated key verifies with the old
/// one kept as a previous key, and not without it.
fn a_key_introduced_later_and_rotated(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let reference = app.file(&trc, issue_body("Sebelum kunci"));
    app.stop();
    let key = [
        (
            "TANGGAP__AUDIT__KEY",
            "tests-audit-key-4f1c9a7e2b5d8036c1a9",
        ),
        ("TANGGAP__AUDIT__KEY_ID", "t1"),
    ];
    let out = run_cli(&app.overlay, &["migrate"], None, &key);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, out) = verify_cli(&app, &key);
    assert_eq!(code, Some(0), "legacy plain events verify: {out}");
    // Without the key nothing verifies the introduction.
    let (code, out) = verify_cli(&app, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("audit key `t1`"), "{out}");

    // Rotation: t2 links, t1 still verifies.
    let rotated = [
        (
            "TANGGAP__AUDIT__KEY",
            "tests-audit-key-second-77e0b9c31d5a24f8",
        ),
        ("TANGGAP__AUDIT__KEY_ID", "t2"),
        (
            "TANGGAP__AUDIT__PREVIOUS_KEYS__T1",
            "tests-audit-key-4f1c9a7e2b5d8036c1a9",
        ),
    ];
    let out = run_cli(&app.overlay, &["migrate"], None, &rotated);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(verify_cli(&app, &rotated).0, Some(0));

    // A plain event appended to a stream from before the key: written after its introduction.
    let stream = format!("issue:{reference}");
    let mut conn = app.db.connect();
    let (id, seq) = forge(&mut conn, &stream, "issue.closed");
    let (code, out) = verify_cli(&app, &rotated);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!("stream {stream} event {seq} (id {id})"))
            && out.contains("after the audit key was introduced"),
        "{out}"
    );
}
both!(a_key_introduced_later_and_rotated);

/// The production set-up of deploy/README.md: the tables belong to an owner role that migrates;
/// the service runs as a role with data rights only, which cannot disable or drop the audit
/// triggers (so the database credentials the service holds cannot rewrite the trail), and the
/// service works as that role.
#[test]
fn the_services_role_cannot_disable_the_audit_triggers_postgres() {
    let Some(app) = TestApp::spawn_with(Backend::Postgres, "") else {
        return;
    };
    app.stop();
    let role = format!(
        "tanggap_rt_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let db = app.db.url.rsplit('/').next().expect("name").to_owned();
    let mut owner = app.db.connect();
    owner
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN PASSWORD 'runtime-pass'; \
             GRANT CONNECT ON DATABASE {db} TO {role}; \
             GRANT USAGE, CREATE ON SCHEMA public TO {role}; \
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}; \
             GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role};"
        ))
        .expect("a runtime role (the test server's role needs CREATEROLE: scripts/pg-setup)");
    let (head, tail) = app.db.url.split_once("://").expect("url");
    let host = tail.split_once('@').expect("credentials").1;
    let runtime_url = format!("{head}://{role}:runtime-pass@{host}");
    let mut rt = tanggap::store::connect(&runtime_url).expect("connect as the runtime role");
    for sql in [
        "ALTER TABLE audit_events DISABLE TRIGGER ALL",
        "DROP TRIGGER audit_events_no_change ON audit_events",
        "ALTER TABLE audit_heads DISABLE TRIGGER ALL",
        "DROP TABLE audit_events",
    ] {
        let err = rt.batch_execute(sql).expect_err(sql);
        assert!(err.to_string().contains("must be owner"), "{sql}: {err}");
    }
    refused(&mut rt, "UPDATE audit_events SET actor = 'mallory'");
    refused_as(&mut rt, "DELETE FROM audit_heads", "forward");

    // The service runs as that role: migrate (nothing pending), serve, file, verify.
    let env = [("DATABASE_URL", runtime_url.as_str())];
    let out = run_cli(&app.overlay, &["migrate"], None, &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (mut child, base) = serve_process(&app.overlay, &env);
    let token: serde_json::Value = ureq::post(&format!("{base}/api/v1/auth/token"))
        .send_json(serde_json::json!({"email": TRC, "password": DEMO_PASSWORD}))
        .expect("login")
        .into_json()
        .expect("json");
    let filed = ureq::post(&format!("{base}/api/v1/issues"))
        .set(
            "Authorization",
            &format!("Bearer {}", token["access_token"].as_str().expect("token")),
        )
        .send_json(issue_body("Berkas sebagai peran layanan"))
        .expect("filing as the runtime role");
    assert_eq!(filed.status(), 201);
    let _ = child.kill();
    let _ = child.wait();
    let out = run_cli(&app.overlay, &["audit", "verify"], None, &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    drop(rt);
    drop(owner);
    let admin_url = std::env::var("TANGGAP_TEST_DATABASE_URL").expect("server");
    drop(app); // drops the database, and with it the role's grants
    let mut admin = tanggap::store::connect(&admin_url).expect("connect");
    admin
        .batch_execute(&format!("DROP ROLE IF EXISTS {role}"))
        .expect("drop the runtime role");
}

/// A stream removed with its head, by someone who owns the tables, leaves links and heads
/// consistent; a checkpoint kept outside the database shows it. A changed checkpoint is named.
fn a_checkpoint_shows_a_stream_removed_with_its_head(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let victim = app.file(&trc, issue_body("Aliran yang akan dihapus"));
    let out = run_cli(&app.overlay, &["audit", "checkpoint"], None, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let cp: serde_json::Value = serde_json::from_str(&line).expect("one JSON line");
    assert_eq!(cp["key_id"], "t1");
    let file = app.db.dir.path().join("checkpoints.jsonl");
    std::fs::write(&file, format!("{line}\n")).expect("write");
    let path = file.to_str().expect("path");
    // Later events are beyond the checkpoint, and fine.
    app.file(&trc, issue_body("Sesudah titik periksa"));
    app.stop();
    let verify = |args: &[&str]| {
        let out = run_cli(&app.overlay, args, None, &[]);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = verify(&["audit", "verify", "--checkpoint", path]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("matching the checkpoint"), "{out}");

    let stream = format!("issue:{victim}");
    let mut conn = app.db.connect();
    conn.batch_execute(match conn {
        Db::Sqlite(_) => "DROP TRIGGER audit_events_no_delete; DROP TRIGGER audit_heads_no_delete",
        Db::Pg(_) => {
            "DROP TRIGGER audit_events_no_change ON audit_events; DROP TRIGGER audit_heads_forward ON audit_heads"
        }
    })
    .expect("the owner drops the triggers");
    conn.batch_execute(&format!(
        "DELETE FROM audit_events WHERE stream = '{stream}'; DELETE FROM audit_heads WHERE stream = '{stream}'"
    ))
    .expect("remove the stream and its head");
    let (code, out) = verify(&["audit", "verify"]);
    assert_eq!(code, Some(0), "links and heads alone cannot show it: {out}");
    let (code, out) = verify(&["audit", "verify", "--checkpoint", path]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("differs from the checkpoint"), "{out}");

    // A checkpoint changed to match is refused by its MAC.
    let mut forged = cp.clone();
    forged["events"] = serde_json::json!(cp["events"].as_i64().expect("events") - 1);
    std::fs::write(&file, format!("{line}\n{forged}\n")).expect("write");
    let (code, out) = verify(&["audit", "verify", "--checkpoint", path]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("line 2") && out.contains("altered"), "{out}");
}
both!(a_checkpoint_shows_a_stream_removed_with_its_head, KEY);

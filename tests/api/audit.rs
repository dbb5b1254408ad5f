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
        at: 1_800_000_000_000_000 + n,
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
    let report = tanggap::service::audit::verify(&mut conn).expect("verify");
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
    let report = tanggap::service::audit::verify(&mut conn).expect("verify");
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
        at: 1_000_000, // 1970: prepared long before the events above
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

use crate::both;
use crate::helpers::*;
use serde_json::json;

fn health_readiness_and_metrics(app: TestApp) {
    app.request("GET", "/healthz", None, &[], None).expect(200);
    let r = app.request("GET", "/readyz", None, &[], None).expect(200);
    assert_eq!(r.body["database"], "ok");
    let admin = app.admin();
    app.get("/api/v1/units", &admin).expect(200);
    let listed = app.get("/api/v1/issues?limit=200", &admin).expect(200);
    let m = app.request("GET", "/metrics", None, &[], None).expect(200);
    assert!(
        m.text.contains(
            r#"tanggap_http_requests_total{method="GET",route="/api/v1/units",status="200"} 1"#
        ),
        "{}",
        m.text
    );
    assert!(m.text.contains("tanggap_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/units\",status=\"200\",le=\"+Inf\"} 1"));
    assert!(m.text.contains("tanggap_db_pool_connections "));
    assert!(m.text.contains("\ntanggap_db_waiting_tasks "), "{}", m.text);
    // The state of the work: no dead email, the demo's assignment emails counted, a timer
    // that keeps up, the demo's late clocks counted.
    let gauge = |name: &str| -> f64 {
        m.text
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing: {}", m.text))
    };
    assert_eq!(gauge(r#"tanggap_outbox_messages{state="dead"}"#), 0.0);
    // The list just shown is kept for the next page.
    let shown = listed.body["items"].as_array().map_or(0, Vec::len);
    assert!(shown > 0);
    assert_eq!(gauge("tanggap_lists_issues_kept"), shown as f64);
    assert!(gauge("tanggap_lists_kept_bytes") > 0.0);
    let queued = ["pending", "sending", "sent"]
        .iter()
        .map(|s| gauge(&format!(r#"tanggap_outbox_messages{{state="{s}"}}"#)))
        .sum::<f64>();
    assert!(queued >= 1.0, "the demo's assignment emails: {}", m.text);
    assert!(gauge("tanggap_outbox_oldest_waiting_seconds") >= 0.0);
    let breached = gauge("tanggap_clocks_breached");
    assert!(breached >= 1.0 && breached.fract() == 0.0, "{breached}");
    // The demo has clocks whose steps came due before the instance started: the timer catches
    // up with them at start-up, and the lag falls to (almost) nothing.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let lag = loop {
        let m = app.request("GET", "/metrics", None, &[], None).expect(200);
        let lag: f64 = m
            .text
            .lines()
            .find_map(|l| l.strip_prefix("tanggap_timer_lag_seconds ")?.parse().ok())
            .expect("timer lag");
        if lag < 5.0 || std::time::Instant::now() > deadline {
            break lag;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(lag < 5.0, "the timer did not catch up: {lag} s behind");
}
both!(health_readiness_and_metrics);

fn request_ids_are_kept_or_made(app: TestApp) {
    let r = app.request(
        "GET",
        "/healthz",
        None,
        &[("X-Request-Id", "kotabaru-123")],
        None,
    );
    assert_eq!(r.header("x-request-id"), Some("kotabaru-123"));
    let a = app.request("GET", "/healthz", None, &[], None);
    let b = app.request("GET", "/healthz", None, &[], None);
    let (a, b) = (
        a.header("x-request-id").expect("id"),
        b.header("x-request-id").expect("id"),
    );
    assert_ne!(a, b);
    assert_eq!(a.len(), 36);
    // Errors carry it too, and an unusable one is replaced.
    let r = app.request(
        "GET",
        "/api/v1/me",
        None,
        &[("X-Request-Id", "bad id with spaces")],
        None,
    );
    assert_eq!(r.status, 401);
    assert_ne!(r.header("x-request-id"), Some("bad id with spaces"));
    // The audit event of a change records the server's own id for the request, and the id the
    // client chose apart from it: two requests claiming one id stay two requests in the trail.
    let admin = app.admin();
    for code in ["DISHUB", "DISPAR"] {
        let r = app.request(
            "POST",
            "/api/v1/units",
            Some(&admin),
            &[("X-Request-Id", "req-dishub-1")],
            Some(&json!({"code": code, "name": format!("Dinas {code}")}).to_string()),
        );
        assert_eq!(r.header("x-request-id"), Some("req-dishub-1"));
        r.expect(201);
    }
    let mut conn = app.db.connect();
    let mut event = |subject: &str| {
        tanggap::store::audit::by_subject(&mut conn, subject)
            .expect("events")
            .remove(0)
    };
    let (a, b) = (event("unit:DISHUB"), event("unit:DISPAR"));
    for e in [&a, &b] {
        assert_eq!(e.client_request_id.as_deref(), Some("req-dishub-1"));
        let ours = e.request_id.as_deref().expect("the server's id");
        assert_eq!(ours.len(), 36, "a UUID of ours: {ours}");
    }
    assert_ne!(a.request_id, b.request_id);
    // Without a client id, none is recorded as the client's.
    app.request(
        "POST",
        "/api/v1/units",
        Some(&admin),
        &[],
        Some(&json!({"code": "DISKOP", "name": "Dinas Koperasi"}).to_string()),
    )
    .expect(201);
    let c = event("unit:DISKOP");
    assert_eq!(c.client_request_id, None);
    assert!(c.request_id.is_some());
    // The trail with both kinds of event still verifies.
    let report = app.get("/api/v1/audit/verify", &admin).expect(200);
    assert_eq!(report.body["ok"], true, "{}", report.text);
}
both!(request_ids_are_kept_or_made);

fn pagination_visits_every_item_once(app: TestApp) {
    let admin = app.admin();
    for i in 0..7 {
        app.post(
            "/api/v1/units",
            &admin,
            json!({"code": format!("UPT_{i:02}"), "name": format!("UPT {i}")}),
        )
        .expect(201);
    }
    let all: Vec<String> = {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/units?limit=4&cursor={c}"),
                None => "/api/v1/units?limit=4".to_owned(),
            };
            let r = app.get(&path, &admin).expect(200);
            let items = r.body["items"].as_array().expect("items");
            assert!(items.len() <= 4);
            seen.extend(
                items
                    .iter()
                    .map(|u| u["code"].as_str().expect("code").to_owned()),
            );
            pages += 1;
            match r.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert_eq!(pages, seen.len().div_ceil(4));
        seen
    };
    let mut sorted = all.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(all, sorted, "every unit once, in order");
    assert_eq!(all.len(), 15 + 7);
    app.get("/api/v1/units?cursor=%%%", &admin).problem(422);
    app.get("/api/v1/units?limit=0", &admin).problem(422);
    app.get("/api/v1/units?limit=201", &admin).problem(422);
    assert_eq!(
        app.get("/api/v1/units", &admin).body["items"]
            .as_array()
            .map(Vec::len),
        Some(22)
    );
}
both!(pagination_visits_every_item_once);

fn the_openapi_document_lists_every_endpoint(app: TestApp) {
    let r = app
        .request("GET", "/api-docs/openapi.json", None, &[], None)
        .expect(200);
    assert!(r.body["openapi"]
        .as_str()
        .is_some_and(|v| v.starts_with("3.")));
    let paths = r.body["paths"].as_object().expect("paths");
    for p in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/v1/units",
        "/api/v1/units/{code}",
        "/api/v1/users",
        "/api/v1/users/{id}",
        "/api/v1/audit/verify",
    ] {
        assert!(
            paths.contains_key(p),
            "{p} missing from the OpenAPI document"
        );
    }
    assert!(r.body["components"]["securitySchemes"]["bearer"].is_object());
}
both!(the_openapi_document_lists_every_endpoint);

/// Under load, requests take turns at the database in the order they came, waiting on the
/// executor rather than each holding a thread inside the pool; a request that cannot get a turn
/// within `database.connect_timeout` is refused (503) instead of waiting for ever.
#[test]
fn database_work_is_served_in_arrival_order() {
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};
    use tanggap::error::AppError;
    let Some(db) = TestDb::create(Backend::Sqlite) else {
        return;
    };
    let app = build_app(&db, "[database]\npool_size = 1\nconnect_timeout = \"1s\"\n");
    let state = app.state.clone();
    // A runtime of its own name, so that its blocking threads can be told from other tests'.
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .thread_name("turns-test")
            .build()
            .expect("runtime")
    };
    actix_web::rt::System::with_tokio_rt(runtime).block_on(async move {
        let (release, held) = std::sync::mpsc::channel::<()>();
        let holder = {
            let state = state.clone();
            actix_web::rt::spawn(async move {
                state
                    .db(move |_| {
                        held.recv().expect("released");
                        Ok(())
                    })
                    .await
            })
        };
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;

        let asked = Instant::now();
        let refused = state.db(|_| Ok(())).await;
        assert!(
            matches!(refused, Err(AppError::Unavailable(_))),
            "{refused:?}"
        );
        let waited = asked.elapsed();
        assert!(
            waited >= Duration::from_millis(950) && waited < Duration::from_secs(3),
            "{waited:?}"
        );

        let threads = || {
            std::fs::read_dir("/proc/self/task")
                .expect("threads")
                .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
                .filter(|name| name.trim() == "turns-test")
                .count()
        };
        let threads_before = threads();
        let served = Arc::new(Mutex::new(Vec::new()));
        let mut waiting = Vec::new();
        for i in 0..6 {
            let (state, served) = (state.clone(), served.clone());
            waiting.push(actix_web::rt::spawn(async move {
                state
                    .db(move |_| {
                        served.lock().expect("lock").push(i);
                        Ok(())
                    })
                    .await
            }));
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
        // Waiting for a turn holds no thread (each waiter in the pool held one), and shows.
        assert_eq!(threads(), threads_before);
        let metrics = state.metrics.render(&state.pool.state());
        assert!(
            metrics.contains("\ntanggap_db_waiting_tasks 6\n"),
            "{metrics}"
        );
        release.send(()).expect("release");
        holder.await.expect("holder").expect("held turn");
        for w in waiting {
            w.await.expect("waiter").expect("served");
        }
        assert_eq!(*served.lock().expect("lock"), vec![0, 1, 2, 3, 4, 5]);
        let metrics = state.metrics.render(&state.pool.state());
        assert!(
            metrics.contains("\ntanggap_db_waiting_tasks 0\n"),
            "{metrics}"
        );
    });
}

/// SQLite has one write lock; its busy handler makes a writer that finds it taken sleep and
/// retry, so in a burst some writers waited hundreds of milliseconds (or, past `busy_timeout`,
/// failed). The writers of one process queue for it in the process instead: even with no busy
/// wait at all, eight threads writing at once, each holding its transaction a while, never
/// meet a locked database, and every write lands.
#[test]
fn sqlite_writers_of_one_process_take_turns() {
    use diesel::connection::SimpleConnection;
    use diesel::RunQueryDsl;
    let Some(db) = TestDb::create(Backend::Sqlite) else {
        return;
    };
    let mut conn = db.connect();
    conn.batch_execute("CREATE TABLE turns (thread INTEGER NOT NULL, n INTEGER NOT NULL)")
        .expect("table");
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let url = db.url.clone();
            std::thread::spawn(move || {
                let mut conn = tanggap::store::connect(&url).expect("connect");
                conn.batch_execute("PRAGMA busy_timeout = 0")
                    .expect("no busy wait");
                for n in 0..10 {
                    tanggap::store::write_tx(&mut conn, |c| {
                        diesel::sql_query(format!("INSERT INTO turns VALUES ({t}, {n})"))
                            .execute(c)?;
                        std::thread::sleep(std::time::Duration::from_millis(2));
                        Ok::<_, diesel::result::Error>(())
                    })
                    .unwrap_or_else(|e| panic!("writer {t}, write {n}: {e}"));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("writer");
    }
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let c: Count = diesel::sql_query("SELECT COUNT(*) AS n FROM turns")
        .get_result(&mut conn)
        .expect("count");
    assert_eq!(c.n, 80);
}

fn answers_are_not_cached_or_sniffed_and_labels_stay_bounded(app: TestApp) {
    let admin = app.admin();
    for r in [
        app.get("/api/v1/me", &admin),
        app.get("/api/v1/issues", &admin),
        app.request("GET", "/api/v1/nothing-here", None, &[], None),
        app.login_reply(TRC, "wrong-password-x"),
    ] {
        assert_eq!(r.header("cache-control"), Some("no-store"), "{}", r.text);
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    }
    // Methods a client makes up are counted under one label, not one series each.
    for m in ["FOO", "BAR", "BAZ"] {
        app.request(m, "/api/v1/issues", Some(&admin), &[], None);
    }
    let metrics = app.request("GET", "/metrics", None, &[], None).text;
    assert!(!metrics.contains("method=\"FOO\""), "client-chosen label");
    assert!(metrics.contains("method=\"other\""), "{metrics}");
}
both!(answers_are_not_cached_or_sniffed_and_labels_stay_bounded);

/// With the database away, anonymous callers learn that much and no more (no host, role or
/// database name): the reason goes to the log.
#[test]
fn readiness_does_not_echo_database_errors_postgres() {
    let Some(app) = TestApp::spawn_with(Backend::Postgres, "") else {
        return;
    };
    app.request("GET", "/readyz", None, &[], None).expect(200);
    let name = app.db.url.rsplit('/').next().expect("name").to_owned();
    let admin_url = std::env::var("TANGGAP_TEST_DATABASE_URL").expect("server");
    let mut conn = tanggap::store::connect(&admin_url).expect("connect");
    diesel::connection::SimpleConnection::batch_execute(
        &mut conn,
        &format!("DROP DATABASE {name} WITH (FORCE)"),
    )
    .expect("drop the database under the instance");
    let r = app.request("GET", "/readyz", None, &[], None).problem(503);
    assert_eq!(
        r.body["detail"], "the database is not reachable",
        "{}",
        r.text
    );
    assert!(
        !r.text.contains(&name) && !r.text.contains("tanggap_test"),
        "{}",
        r.text
    );
}

/// The OpenAPI document is pinned: a change to any operation, schema or problem shows up as a
/// reviewed change of `tests/api/snapshots/api__ops__openapi.snap` (`cargo insta review`, or
/// `INSTA_UPDATE=always` and read the diff).
#[test]
fn the_openapi_document_is_pinned() {
    insta::assert_snapshot!("openapi", tanggap::http::openapi::json());
}

/// Every action is its own operation, its body schema holding exactly the fields the use case
/// takes, and the paging parameters of every list are in the query.
#[test]
fn each_action_is_its_own_operation_with_its_own_body() {
    use tanggap::domain::Action;
    let doc: serde_json::Value =
        serde_json::from_str(&tanggap::http::openapi::json()).expect("JSON");
    assert!(
        doc["paths"].get("/api/v1/issues/{ref}/{action}").is_none(),
        "no catch-all action operation"
    );
    let mut ids = std::collections::BTreeSet::new();
    for action in Action::ALL {
        let path = format!("/api/v1/issues/{{ref}}/{}", action.as_str());
        let op = &doc["paths"][&path]["post"];
        assert_eq!(op["operationId"], action.as_str(), "{path}");
        let schema_ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{path} has a body schema: {op}"));
        ids.insert(schema_ref.to_owned());
        let name = schema_ref.trim_start_matches("#/components/schemas/");
        let schema = &doc["components"]["schemas"][name];
        let mut props: Vec<&str> = schema["properties"]
            .as_object()
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        props.sort_unstable();
        let mut fields = tanggap::service::issues::actions::fields_of(*action).to_vec();
        fields.sort_unstable();
        assert_eq!(props, fields, "{path}: {name}");
        for status in ["403", "404", "409", "412"] {
            assert!(
                op["responses"][status].is_object(),
                "{path} answers {status}"
            );
        }
    }
    assert_eq!(
        ids.len(),
        6,
        "six body shapes among eleven actions: {ids:?}"
    );
    // Paging parameters are query parameters wherever they appear.
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for op in item.as_object().expect("item").values() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["name"] == "limit" || p["name"] == "cursor" {
                    assert_eq!(p["in"], "query", "{path}: {p}");
                }
            }
        }
    }
}

/// A few problem bodies are pinned as clients see them: the state does not allow the action
/// (409 with `allowed_actions`), fields missing (422 naming each and the valid values), a stale
/// version (412), an action that does not exist (404).
fn problem_bodies_are_pinned(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let reference = app.file(
        &trc,
        issue_body("Lampu jalan padam di Jl. Pangeran Hidayat"),
    );
    let scrub = |r: Reply| {
        let text = r.text.replace(&reference, "[ref]");
        serde_json::from_str::<serde_json::Value>(&text).expect("JSON")
    };
    let close = app.act(&trc, &reference, "close", json!({}));
    insta::assert_json_snapshot!("problem_409_action", scrub(close.problem(409)));
    let triage = app.act(
        &trc,
        &reference,
        "triage",
        json!({"priority": "urgent", "x": 1}),
    );
    insta::assert_json_snapshot!("problem_422_triage", scrub(triage.problem(422)));
    let stale = app.request(
        "POST",
        &format!("/api/v1/issues/{reference}/triage"),
        Some(&trc),
        &[("If-Match", "\"999\"")],
        Some(&json!({"unit": "DINKES"}).to_string()),
    );
    insta::assert_json_snapshot!("problem_412_stale", scrub(stale.problem(412)));
    let unknown = app.act(&trc, &reference, "frobnicate", json!({}));
    insta::assert_json_snapshot!("problem_404_action", scrub(unknown.problem(404)));
}
both!(problem_bodies_are_pinned);

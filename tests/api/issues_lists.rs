use crate::both;
use crate::helpers::*;
use serde_json::json;

fn refs(r: &Reply) -> Vec<String> {
    r.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["ref"].as_str().map(str::to_owned))
        .collect()
}

fn restricted_issues_never_leak(app: TestApp) {
    let admin = app.admin();
    for (email, role, unit) in [
        ("pic2.dinkes@demo.tanggap.id", "pic", Some("DINKES")),
        ("pic.pkm@demo.tanggap.id", "pic", Some("PUSKESMAS_KOTABARU")),
        ("kadinkes@demo.tanggap.id", "leader", Some("DINKES")),
        ("kadis.pupr@demo.tanggap.id", "leader", Some("DPUPR")),
    ] {
        app.post("/api/v1/users", &admin, json!({"email": email, "name": email, "role": role, "unit": unit, "password": "long-enough-pw"})).expect(201);
    }
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    let trc = app.login(TRC, DEMO_PASSWORD);
    let mut body = issue_body("Kasus anak di bawah umur XYZZY");
    body["sensitivity"] = json!("restricted");
    let secret = app.file(&pic, body);
    let open = app.file(&pic, issue_body("Isu biasa XYZZY"));
    for r in [&secret, &open] {
        app.act(&trc, r, "triage", json!({"unit": "PUSKESMAS_KOTABARU"}))
            .expect(200);
    }
    let sees = |email: &str, password: &str| -> (bool, bool) {
        let t = app.login(email, password);
        let found = refs(&app.get("/api/v1/issues?q=xyzzy", &t).expect(200));
        let direct = app.issue(&t, &secret).status;
        assert_eq!(
            found.contains(&secret),
            direct == 200,
            "{email}: list and direct read agree"
        );
        if direct != 200 {
            assert_eq!(direct, 404, "{email}");
            app.get(&format!("/api/v1/issues/{secret}/history"), &t)
                .problem(404);
            app.get(&format!("/api/v1/issues/{secret}/comments"), &t)
                .problem(404);
        }
        (direct == 200, found.contains(&open))
    };
    assert_eq!(sees(PIC_DINKES, DEMO_PASSWORD), (true, true), "the filer");
    assert_eq!(
        sees("pic2.dinkes@demo.tanggap.id", "long-enough-pw"),
        (false, true),
        "same unit, not the assigned one"
    );
    assert_eq!(
        sees("pic.pkm@demo.tanggap.id", "long-enough-pw"),
        (true, true),
        "the assigned unit"
    );
    assert_eq!(
        sees("kadinkes@demo.tanggap.id", "long-enough-pw"),
        (true, true),
        "a leader over the assigned unit"
    );
    assert_eq!(
        sees("kadis.pupr@demo.tanggap.id", "long-enough-pw"),
        (false, false),
        "a leader elsewhere"
    );
    assert_eq!(
        sees(LEADER, DEMO_PASSWORD),
        (true, true),
        "a leader without a unit"
    );
    assert_eq!(
        sees("pic.dpupr@demo.tanggap.id", DEMO_PASSWORD),
        (false, false),
        "another unit's PIC"
    );
    // Queues do not leak it either.
    let pic2 = app.login("pic2.dinkes@demo.tanggap.id", "long-enough-pw");
    let q = refs(
        &app.get("/api/v1/queues/unit/PUSKESMAS_KOTABARU", &pic2)
            .expect(200),
    );
    assert!(q.contains(&open) && !q.contains(&secret), "{q:?}");
}
both!(restricted_issues_never_leak);

fn lists_filter_and_page(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    let mut hoax = issue_body("Hoaks beras plastik");
    hoax["category"] = json!("hoaks_disinformasi");
    hoax["channel"] = json!("tiktok");
    hoax["verdict"] = json!("hoaks");
    hoax["tags"] = json!(["pangan"]);
    hoax["location"] = json!({"district": "Sampanahan"});
    let h = app.file(&pic, hoax);
    let all = |q: &str| {
        refs(
            &app.get(&format!("/api/v1/issues?limit=200&{q}"), &trc)
                .expect(200),
        )
    };
    assert_eq!(all("category=hoaks_disinformasi&channel=tiktok"), {
        let mut v = all("category=hoaks_disinformasi");
        v.retain(|r| all("channel=tiktok").contains(r));
        v
    });
    assert!(all("verdict=hoaks").contains(&h));
    assert_eq!(all("tag=pangan"), std::slice::from_ref(&h));
    assert_eq!(all("tag=%23Pangan"), std::slice::from_ref(&h));
    assert_eq!(all("district=Sampanahan"), std::slice::from_ref(&h));
    assert_eq!(all("q=BERAS%20plastik"), std::slice::from_ref(&h));
    assert!(
        all("q=100%25").is_empty(),
        "LIKE wildcards are taken literally"
    );
    assert!(all("filing_unit=DINKES").contains(&h));
    assert!(all("status=new,assigned").contains(&h));
    assert!(!all("status=closed").contains(&h));
    let today = local_date(jiff::Timestamp::now());
    assert!(all(&format!("created_from={today}&created_to={today}")).contains(&h));
    assert!(!all(&format!("created_to={}", today.yesterday().expect("date"))).contains(&h));
    let r = app
        .get("/api/v1/issues?status=open&priority=urgent", &trc)
        .problem(422);
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["priority", "status"]);
    app.get("/api/v1/issues?colour=red", &trc).problem(422);
    app.get("/api/v1/issues?created_from=14/01/2026", &trc)
        .problem(422);
    // Newest first, every issue once across pages.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = app
            .get(&format!("/api/v1/issues?limit=5{cursor}"), &trc)
            .expect(200);
        let items = r.body["items"].as_array().expect("items").clone();
        seen.extend(items.iter().map(|i| {
            (
                i["created_at"].as_str().unwrap_or("").to_owned(),
                i["ref"].as_str().unwrap_or("").to_owned(),
            )
        }));
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 13);
    assert!(seen.windows(2).all(|w| w[0].0 >= w[1].0), "newest first");
    let mut uniq: Vec<&String> = seen.iter().map(|(_, r)| r).collect();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), 13);
}
both!(lists_filter_and_page);

/// What an instance keeps of an issue for its triage page is never shown once the issue has
/// changed, wherever it changed: an edit made through a second instance shows on the first
/// one's next page, as does an edit through the first.
fn triage_page_shows_every_instances_edits(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let r = app.file(&trc, issue_body("Jembatan retak"));
    let shown = |a: &TestApp, token: &str| -> (String, i64) {
        let page = a.get("/api/v1/queues/triage?limit=200", token).expect(200);
        let item = item_on(&page.body, &r);
        (
            item["title"].as_str().expect("title").to_owned(),
            item["version"].as_i64().expect("version"),
        )
    };
    assert_eq!(shown(&app, &trc), ("Jembatan retak".into(), 1));
    let other = TestApp::spawn_on(&app);
    let trc2 = other.login(TRC, DEMO_PASSWORD);
    assert_eq!(shown(&other, &trc2), ("Jembatan retak".into(), 1));
    other
        .patch(
            &format!("/api/v1/issues/{r}"),
            &trc2,
            json!({"title": "Jembatan ambruk"}),
        )
        .expect(200);
    assert_eq!(shown(&app, &trc), ("Jembatan ambruk".into(), 2));
    app.patch(
        &format!("/api/v1/issues/{r}"),
        &trc,
        json!({"title": "Jembatan ditutup"}),
    )
    .expect(200);
    assert_eq!(shown(&other, &trc2), ("Jembatan ditutup".into(), 3));
    assert_eq!(shown(&app, &trc), ("Jembatan ditutup".into(), 3));
    // The other lists keep members the same way: the list of issues and a unit's queue.
    let listed = |a: &TestApp, path: &str, token: &str| -> (String, String) {
        let item = item_on(&a.get(path, token).expect(200).body, &r);
        (
            item["title"].as_str().expect("title").to_owned(),
            item["status"].as_str().expect("status").to_owned(),
        )
    };
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    let pic2 = other.login(PIC_DINKES, DEMO_PASSWORD);
    assert_eq!(
        listed(&app, "/api/v1/issues?limit=200", &trc),
        ("Jembatan ditutup".into(), "new".into())
    );
    other
        .act(&trc2, &r, "triage", json!({"unit": "DINKES"}))
        .expect(200);
    assert_eq!(
        listed(&app, "/api/v1/issues?limit=200", &trc),
        ("Jembatan ditutup".into(), "assigned".into())
    );
    let unit = "/api/v1/queues/unit/DINKES?limit=200";
    assert_eq!(
        listed(&app, unit, &pic),
        ("Jembatan ditutup".into(), "assigned".into())
    );
    other
        .patch(
            &format!("/api/v1/issues/{r}"),
            &pic2,
            json!({"tags": ["jembatan"]}),
        )
        .expect(200);
    for (path, token) in [(unit, &pic), ("/api/v1/issues?limit=200", &pic)] {
        let item = item_on(&app.get(path, token).expect(200).body, &r);
        assert_eq!(item["tags"], json!(["jembatan"]), "{path}");
    }
    other.stop();
}
both!(triage_page_shows_every_instances_edits);

/// The triage page reads its issues' clocks and duplicates for the whole page at once: each item
/// is the issue as reading it alone shows it — an issue returned to the TRC with the clocks of
/// both its rounds, one that others were merged into with its duplicates — page by page as in
/// one.
fn triage_page_items_are_the_issues_as_read_alone(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    let returned = app.file(&trc, issue_body("Jalan berlubang"));
    app.act(&trc, &returned, "triage", json!({"unit": "DINKES"}))
        .expect(200);
    app.act(
        &pic,
        &returned,
        "return",
        json!({"reason": "Bukan kewenangan kami"}),
    )
    .expect(200);
    let target = app.file(&trc, issue_body("Lampu jalan mati"));
    for title in ["Lampu mati lagi", "Lampu padam"] {
        let dup = app.file(&trc, issue_body(title));
        app.act(&trc, &dup, "merge", json!({"into": target}))
            .expect(200);
    }
    let page = app.get("/api/v1/queues/triage?limit=200", &trc).expect(200);
    let items = page.body["items"].as_array().expect("items").clone();
    let item = |r: &str| {
        items
            .iter()
            .find(|i| i["ref"] == json!(r))
            .unwrap_or_else(|| panic!("{r} not on the triage page"))
            .clone()
    };
    assert_eq!(item(&returned)["clocks"].as_array().map(Vec::len), Some(4));
    assert_eq!(
        item(&target)["duplicates"].as_array().map(Vec::len),
        Some(2)
    );
    // Remaining time is read at each request's instant: compare it apart.
    let split = |mut v: serde_json::Value| {
        let mut remaining = Vec::new();
        for c in v["clocks"].as_array_mut().expect("clocks") {
            remaining.push(c["remaining_seconds"].take().as_i64());
        }
        (v, remaining)
    };
    for i in &items {
        let r = i["ref"].as_str().expect("ref");
        let alone = app.issue(&trc, r).expect(200).body;
        let ((listed, listed_left), (read, read_left)) = (split(i.clone()), split(alone));
        assert_eq!(listed, read, "{r}");
        for (a, b) in listed_left.iter().zip(&read_left) {
            match (a, b) {
                (Some(a), Some(b)) => assert!((a - b).abs() <= 2, "{r}: {a} against {b}"),
                _ => assert_eq!(a, b, "{r}"),
            }
        }
    }
    // Page by page, one at a time: the same issues in the same order.
    let mut paged = Vec::new();
    let mut cursor = String::new();
    for _ in 0..50 {
        let p = app
            .get(&format!("/api/v1/queues/triage?limit=1{cursor}"), &trc)
            .expect(200);
        let got = p.body["items"].as_array().expect("items");
        assert!(got.len() <= 1);
        paged.extend(got.iter().map(|i| i["ref"].clone()));
        match p.body["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    let whole: Vec<serde_json::Value> = items.iter().map(|i| i["ref"].clone()).collect();
    assert_eq!(paged, whole);
    // The default page (its statement kept apart, by type) reads the same queue.
    assert!(whole.len() < 50);
    let default = app.get("/api/v1/queues/triage", &trc).expect(200);
    let got = default.body["items"].as_array().expect("items");
    assert_eq!(got.len(), items.len());
    for (a, b) in got.iter().zip(&items) {
        assert_eq!(split(a.clone()).0, split(b.clone()).0);
    }
    assert_eq!(default.body["next_cursor"], json!(null));
}
both!(triage_page_items_are_the_issues_as_read_alone);

/// On PostgreSQL the triage page reads its caller in its own statement: with nothing on the
/// page, the caller's row comes alone. An empty queue (and the empty page past a cursor) must
/// still be an empty page for the TRC, a 403 for a PIC and a 401 for a deactivated user.
fn an_empty_triage_page_still_knows_its_caller(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    let empty = |path: &str| {
        let p = app.get(path, &trc).expect(200);
        assert_eq!(p.body["items"], json!([]), "{path}");
        assert_eq!(p.body["next_cursor"], json!(null), "{path}");
    };
    let first = app.get("/api/v1/queues/triage?limit=200", &trc).expect(200);
    for r in refs(&first) {
        app.act(&trc, &r, "triage", json!({"unit": "DINKES"}))
            .expect(200);
    }
    for path in ["/api/v1/queues/triage", "/api/v1/queues/triage?limit=7"] {
        empty(path);
        app.get(path, &pic).problem(403);
    }
    // Two issues, a page of one, then the second leaves the queue: past the cursor is nothing
    // (both statement shapes with a cursor: a page of one, and the default page).
    app.file(&trc, issue_body("Jembatan retak di Sigam"));
    app.file(&trc, issue_body("Air PDAM keruh di Baharu"));
    let page = app.get("/api/v1/queues/triage?limit=1", &trc).expect(200);
    let shown = refs(&page);
    assert_eq!(shown.len(), 1);
    let cursor = page.body["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let all = refs(&app.get("/api/v1/queues/triage", &trc).expect(200));
    assert_eq!(all.len(), 2);
    let second = all
        .iter()
        .find(|r| **r != shown[0])
        .expect("the other issue");
    app.act(&trc, second, "triage", json!({"unit": "DINKES"}))
        .expect(200);
    for path in [
        format!("/api/v1/queues/triage?limit=1&cursor={cursor}"),
        format!("/api/v1/queues/triage?cursor={cursor}"),
    ] {
        empty(&path);
        app.get(&path, &pic).problem(403);
    }
    assert_eq!(
        refs(&app.get("/api/v1/queues/triage", &trc).expect(200)),
        shown
    );
    app.act(&trc, &shown[0], "triage", json!({"unit": "DINKES"}))
        .expect(200);
    empty("/api/v1/queues/triage");
    app.set_active(app.user_id(&trc), false);
    app.get("/api/v1/queues/triage", &trc).problem(401);
    app.get(&format!("/api/v1/queues/triage?cursor={cursor}"), &trc)
        .problem(401);
}
both!(an_empty_triage_page_still_knows_its_caller);

fn queues(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    let leader = app.login(LEADER, DEMO_PASSWORD);
    let triage = app.get("/api/v1/queues/triage", &trc).expect(200);
    let items = triage.body["items"].as_array().expect("items");
    assert!(items.iter().all(|i| i["status"] == "new"));
    assert_eq!(items.len(), 3, "the demo data has three new issues");
    let due: Vec<&str> = items
        .iter()
        .filter_map(|i| i["clocks"][0]["due_at"].as_str())
        .collect();
    assert_eq!(due.len(), 3, "each runs a triage clock");
    assert!(
        due.windows(2).all(|w| w[0] <= w[1]),
        "most urgent triage due first: {due:?}"
    );
    app.get("/api/v1/queues/triage", &pic).problem(403);
    app.get("/api/v1/queues/triage", &leader).problem(403);
    // The unit queue holds the unit's and its sub-units' open issues, on-hold ones last.
    let a = app.file(&trc, issue_body("Antrean obat"));
    let b = app.file(&trc, issue_body("Ruang tunggu panas"));
    app.act(&trc, &a, "triage", json!({"unit": "DINKES"}))
        .expect(200);
    app.act(&trc, &b, "triage", json!({"unit": "PUSKESMAS_KOTABARU"}))
        .expect(200);
    app.act(&trc, &a, "hold", json!({"reason": "Menunggu"}))
        .expect(200);
    let q = app.get("/api/v1/queues/unit/DINKES", &pic).expect(200);
    let r: Vec<String> = refs(&q);
    assert!(r.contains(&b) && r.contains(&a));
    assert_eq!(
        r.last(),
        Some(&a),
        "on-hold issues sort after running ones: {r:?}"
    );
    assert!(q.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|i| matches!(
            i["status"].as_str(),
            Some("assigned" | "responded" | "on_hold")
        )));
    // Read page by page (the unit and its sub-unit are read apart and merged), the queue is
    // the same, in the same order.
    let mut paged: Vec<String> = Vec::new();
    let mut cursor = String::new();
    for _ in 0..50 {
        let p = app
            .get(&format!("/api/v1/queues/unit/DINKES?limit=1{cursor}"), &pic)
            .expect(200);
        paged.extend(refs(&p));
        match p.body["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(paged, r, "one at a time, as in one page");
    app.get("/api/v1/queues/unit/DPUPR", &pic).problem(403);
    app.get("/api/v1/queues/unit/DPUPR", &leader).expect(200);
    app.get("/api/v1/queues/unit/NOPE", &trc).problem(404);
    // Only open issues past an escalation step. (Which demo issues are depends on the time of
    // day: the demo data's clocks run on office hours from the moment it is seeded.)
    let e = app.get("/api/v1/queues/escalated", &pic).expect(200);
    let escalated = e.body["items"].as_array().expect("items");
    assert!(
        escalated
            .iter()
            .all(|i| i["escalation_level"].as_i64() > Some(0)
                && matches!(
                    i["status"].as_str(),
                    Some("new" | "assigned" | "responded" | "on_hold")
                )),
        "{:#}",
        e.body
    );
    let listed = refs(&e);
    assert!(
        !listed.contains(&a) && !listed.contains(&b),
        "fresh issues have not escalated"
    );
}
both!(queues);

/// Only merged issues have `duplicate_of`, so (nearly) every row holds NULL there. Once SQLite
/// had statistics (ANALYZE) of a table with no merged issue, it judged a full index on that
/// column useless and read the whole table to find the duplicates of each page of issues (at a
/// million issues, a page took seconds). The index holds only merged issues now, and the
/// lookup must go through it.
#[test]
fn a_page_finds_its_duplicates_by_index_after_analyze_on_sqlite() {
    use diesel::connection::SimpleConnection;
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Step {
        #[diesel(sql_type = diesel::sql_types::Text)]
        detail: String,
    }
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, "") else {
        return;
    };
    let mut conn = app.db.connect();
    // 5,000 issues and no merged one (the demo data's merge is undone): the statistics that
    // made SQLite give up the full index.
    conn.batch_execute(
        "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 5000) \
         INSERT INTO issues (ref, title, description, category, channel, priority, sensitivity, \
           status, source_urls, screenshot_urls, archive_urls, filed_by_id, filed_by, filing_unit, \
           tags, escalation_level, version, urgent_at, is_open, search, created_at, updated_at) \
         SELECT 'ISU-T-' || i, 'Isu ' || i, 'Uraian', 'sosial', 'langsung', 'medium', 'normal', \
           'closed', '[]', '[]', '[]', \
           (SELECT min(id) FROM users), 'bench', 'DINKES', '[]', 0, 1, i, FALSE, 'isu', i, i \
         FROM s; \
         UPDATE issues SET duplicate_of = NULL; \
         ANALYZE;",
    )
    .expect("fill issues");
    let plan: Vec<Step> = diesel::sql_query(
        "EXPLAIN QUERY PLAN SELECT ref, duplicate_of FROM issues \
         WHERE duplicate_of IN ('ISU-T-1', 'ISU-T-2', 'ISU-T-3') ORDER BY id",
    )
    .load(&mut conn)
    .expect("plan");
    let steps: Vec<&str> = plan.iter().map(|s| s.detail.as_str()).collect();
    assert!(
        steps
            .iter()
            .any(|s| s.contains("USING INDEX issues_duplicate_of")),
        "{steps:?}"
    );
    assert!(
        !steps.iter().any(|s| s.starts_with("SCAN issues")),
        "{steps:?}"
    );
    // Merged later, one is found through it.
    conn.batch_execute(
        "UPDATE issues SET duplicate_of = 'ISU-T-1', status = 'duplicate' WHERE ref = 'ISU-T-9'",
    )
    .expect("merge");
    let dups = tanggap::store::issues::duplicates_of_many(
        &mut conn,
        &["ISU-T-1".to_owned(), "ISU-T-2".to_owned()],
    )
    .expect("duplicates");
    assert_eq!(dups, vec![("ISU-T-9".to_owned(), "ISU-T-1".to_owned())]);
}

/// The text search (`q`) is kept with every write: it follows an edited title, and an action or
/// another edit that leaves the text alone keeps it (lists read the issue without it).
fn text_search_follows_edits_and_survives_actions(app: TestApp) {
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    let trc = app.login(TRC, DEMO_PASSWORD);
    let mut body = issue_body("Isu lama QUOKKA");
    body["description"] = json!("Warga melapor lewat grup KOALA");
    let r = app.file(&pic, body);
    let path = format!("/api/v1/issues/{r}");
    let found = |q: &str| refs(&app.get(&format!("/api/v1/issues?q={q}"), &trc).expect(200));
    assert_eq!(found("quokka"), std::slice::from_ref(&r));
    app.patch(&path, &pic, json!({"title": "Isu baru WOMBAT"}))
        .expect(200);
    assert!(found("quokka").is_empty(), "the old title is gone");
    assert_eq!(found("wombat"), std::slice::from_ref(&r));
    app.patch(&path, &trc, json!({"priority": "high"}))
        .expect(200);
    app.act(&trc, &r, "triage", json!({"unit": "DINKES"}))
        .expect(200);
    assert_eq!(found("wombat"), std::slice::from_ref(&r));
    assert_eq!(
        found("koala"),
        std::slice::from_ref(&r),
        "the description too"
    );
}
both!(text_search_follows_edits_and_survives_actions);

/// A queue's page is read with its limit written into the SQL text: with `LIMIT $n` bound,
/// PostgreSQL costs the generic plan of an ordered read as if a tenth of the matching rows
/// were wanted, finds it dearer than a plan for the bound values, and so plans the statement
/// again on every execution (a fifth of the database's CPU on a queue page at a million
/// issues). With the limit in the text it keeps the generic plan after its first five runs.
#[test]
fn queue_pages_keep_a_generic_plan_on_postgres() {
    use diesel::connection::SimpleConnection;
    use diesel::RunQueryDsl;
    use tanggap::store::issues::{self as store_issues, IssueQuery, Order, Scope};
    #[derive(diesel::QueryableByName)]
    struct Plans {
        #[diesel(sql_type = diesel::sql_types::Text)]
        statement: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        generic_plans: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        custom_plans: i64,
    }
    let Some(db) = TestDb::create(Backend::Postgres) else {
        return;
    };
    let mut conn = db.connect();
    tanggap::store::migrate(&mut conn).expect("migrate");
    // 40,000 issues, a tenth waiting for triage, a tenth open in each of two units.
    conn.batch_execute(
        "INSERT INTO units (code, name, created_at, updated_at) \
           VALUES ('A', 'Dinas A', 0, 0), ('B', 'Dinas B', 0, 0); \
         INSERT INTO users (email, name, role, password_hash, active, created_at, updated_at) \
           VALUES ('t@example.org', 'T', 'trc', 'x', TRUE, 0, 0); \
         INSERT INTO issues (ref, title, description, category, channel, priority, sensitivity, \
           status, source_urls, screenshot_urls, archive_urls, filed_by_id, filed_by, filing_unit, \
           assigned_unit, tags, escalation_level, version, urgent_at, is_open, search, created_at, \
           updated_at) \
         SELECT 'ISU-T-' || i, 'Isu ' || i, 'Uraian', 'sosial', 'langsung', 'medium', 'normal', \
           CASE WHEN i % 10 = 0 THEN 'new' WHEN i % 10 < 3 THEN 'assigned' ELSE 'closed' END, \
           '[]', '[]', '[]', (SELECT min(id) FROM users), 't@example.org', 'A', \
           CASE WHEN i % 10 = 1 THEN 'A' WHEN i % 10 = 2 THEN 'B' END, '[]', 0, 1, \
           (i * 7919) % 100000, i % 10 < 3, 'isu', i, i \
         FROM generate_series(1, 40000) AS s(i); \
         ANALYZE issues;",
    )
    .expect("fill issues");
    let mut unit_queue = IssueQuery::new(Scope::All, Order::Urgent, 51);
    unit_queue.open_only = true;
    unit_queue.assigned_units = vec!["A".into(), "B".into()];
    let user: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT min(id) FROM users)",
    ))
    .get_result(&mut conn)
    .expect("the user");
    for _ in 0..8 {
        let page = store_issues::by_urgency_in_status(&mut conn, "new", None, 51).expect("triage");
        assert_eq!(page.len(), 51);
        assert!(page.windows(2).all(|w| w[0].urgent_at <= w[1].urgent_at));
        // The API's triage page: its caller's row read with the page's heads.
        let (row, heads) =
            store_issues::user_and_heads_by_urgency_in_status(&mut conn, user, "new", None, 51)
                .expect("caller and triage");
        assert_eq!(row.map(|r| r.email).as_deref(), Some("t@example.org"));
        assert_eq!(
            heads.iter().map(|h| h.id).collect::<Vec<_>>(),
            page.iter().map(|r| r.id).collect::<Vec<_>>()
        );
        let page = store_issues::list(&mut conn, &unit_queue).expect("unit queue");
        assert_eq!(page.len(), 51);
    }
    let plans: Vec<Plans> = diesel::sql_query(
        "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements \
         WHERE statement LIKE '%FROM \"issues\"%ORDER BY \"issues\".\"urgent_at\"%'",
    )
    .load(&mut conn)
    .expect("prepared statements");
    // The triage page (alone, and with its caller's row), and the unit queue's part (one
    // statement, run for each of its two units).
    assert_eq!(
        plans.len(),
        3,
        "{:?}",
        plans.iter().map(|p| &p.statement).collect::<Vec<_>>()
    );
    for p in &plans {
        assert!(
            p.generic_plans >= 3 && p.custom_plans <= 5,
            "planned again on every run ({} custom, {} generic plans): {}",
            p.custom_plans,
            p.generic_plans,
            p.statement
        );
    }
}

/// Every list item equals the issue read alone, clocks included (lists show each row's copy of
/// its clocks, the single read the clocks' own table), remaining and paused time aside (both are
/// read at each request's instant: a paused clock's pause grows between the two reads).
pub fn lists_match_single_reads(app: &TestApp, token: &str) -> usize {
    let split = |mut v: serde_json::Value| {
        let mut left = Vec::new();
        for c in v["clocks"].as_array_mut().expect("clocks") {
            left.push(c["remaining_seconds"].take().as_i64());
            if c["state"] == "paused" {
                left.push(c["paused_seconds"].take().as_i64());
            }
        }
        (v, left)
    };
    let page = app.get("/api/v1/issues?limit=200", token).expect(200);
    let mut items = page.body["items"].as_array().expect("items").clone();
    let listed = items.len();
    // The triage page too, for those who may read it: it keeps each issue's unchanging members
    // between pages (`service::issues::wire`).
    let triage = app.get("/api/v1/queues/triage?limit=200", token);
    if triage.status == 200 {
        items.extend(
            triage.body["items"]
                .as_array()
                .expect("items")
                .iter()
                .cloned(),
        );
    }
    for i in &items {
        let r = i["ref"].as_str().expect("ref");
        let alone = app.issue(token, r).expect(200).body;
        let ((listed, listed_left), (read, read_left)) = (split(i.clone()), split(alone));
        assert_eq!(listed, read, "{r}");
        assert_eq!(listed_left.len(), read_left.len(), "{r}");
        for (a, b) in listed_left.iter().zip(&read_left) {
            match (a, b) {
                (Some(a), Some(b)) => assert!((a - b).abs() <= 2, "{r}: {a} against {b}"),
                _ => assert_eq!(a, b, "{r}"),
            }
        }
    }
    listed
}

/// Each action that moves clocks keeps the issue row's copy of them in step, and the upgrade
/// that added the copy fills it in for issues from before.
fn listed_clocks_follow_every_action_and_the_upgrade(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    let assigned = |title: &str| {
        let r = app.file(&trc, issue_body(title));
        app.act(&trc, &r, "triage", json!({"unit": "DINKES"}))
            .expect(200);
        r
    };
    assigned("Ditugaskan");
    let responded = assigned("Dijawab");
    app.act(&pic, &responded, "respond", json!({"text": "Jawaban"}))
        .expect(200);
    let held = assigned("Ditunda");
    app.act(&pic, &held, "hold", json!({"reason": "Menunggu data"}))
        .expect(200);
    let resumed = assigned("Dilanjutkan");
    app.act(&pic, &resumed, "hold", json!({"reason": "Menunggu"}))
        .expect(200);
    app.act(&pic, &resumed, "resume", json!({})).expect(200);
    let resolved = assigned("Selesai");
    app.act(&pic, &resolved, "resolve", json!({"text": "Selesai"}))
        .expect(200);
    let closed = assigned("Ditutup");
    app.act(&pic, &closed, "resolve", json!({"text": "Selesai"}))
        .expect(200);
    app.act(&trc, &closed, "close", json!({})).expect(200);
    let returned = assigned("Dikembalikan");
    app.act(
        &pic,
        &returned,
        "return",
        json!({"reason": "Bukan kewenangan kami"}),
    )
    .expect(200);
    let rejected = app.file(&trc, issue_body("Ditolak"));
    app.act(&trc, &rejected, "reject", json!({"reason": "Bukan isu"}))
        .expect(200);
    let merged = app.file(&trc, issue_body("Digabung"));
    app.act(&trc, &merged, "merge", json!({"into": responded}))
        .expect(200);
    let raised = app.file(&trc, issue_body("Dinaikkan"));
    app.patch(
        &format!("/api/v1/issues/{raised}"),
        &trc,
        json!({"priority": "critical"}),
    )
    .expect(200);
    let before = lists_match_single_reads(&app, &trc);
    assert!(before >= 11, "{before}");
    // A release from before the copy, still running during a rolling upgrade, stops a clock
    // and saves the issue (its version rises, the copy stays as it was): lists read the table.
    let stale = assigned("Diubah rilis lama");
    let mut conn = app.db.connect();
    let sql = format!(
        "UPDATE issue_clocks SET state = 'met', stopped_at = started_at + 1000000, \
           frozen_remaining = 60 WHERE kind = 'response' AND issue_id = \
           (SELECT id FROM issues WHERE ref = '{stale}'); \
         UPDATE issues SET version = version + 1 WHERE ref = '{stale}';"
    );
    diesel::connection::SimpleConnection::batch_execute(&mut conn, &sql).expect("older release");
    drop(conn);
    assert_eq!(
        app.issue(&trc, &stale).body["clocks"][1]["state"],
        json!("met")
    );
    let before = lists_match_single_reads(&app, &trc);
    // The next action writes the copy again.
    app.act(&pic, &stale, "respond", json!({"text": "Jawaban"}))
        .expect(200);
    assert_eq!(lists_match_single_reads(&app, &trc), before);
    // The schema before the copy, issues from then, the upgrade: the same lists.
    app.stop();
    let mut conn = app.db.connect();
    tanggap::store::revert_last(&mut conn).expect("the latest migration goes down");
    tanggap::store::migrate(&mut conn).expect("and up again");
    drop(conn);
    let again = TestApp::spawn_on(&app);
    let trc = again.login(TRC, DEMO_PASSWORD);
    assert_eq!(lists_match_single_reads(&again, &trc), before);
}
both!(listed_clocks_follow_every_action_and_the_upgrade);

/// A PostgreSQL figure read by the test's own connection.
fn pg_count(conn: &mut tanggap::store::Db, sql: &str) -> i64 {
    use diesel::RunQueryDsl;
    diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
        "({sql})"
    )))
    .get_result(conn)
    .expect("a count")
}

/// One of the service's own counters from `/metrics`.
fn counter(app: &TestApp, name: &str) -> i64 {
    let m = app.request("GET", "/metrics", None, &[], None).expect(200);
    m.text
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{name} missing: {}", m.text))
}

/// Waits until `n` of the instance's worker-read connections are open (r2d2 opens them in the
/// background), for at most 20 seconds.
fn await_worker_connections(conn: &mut tanggap::store::Db, n: i64) {
    let open = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
         AND application_name = '{}'",
        tanggap::store::WORKER_READ_NAME
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while pg_count(conn, &open) < n {
        assert!(
            std::time::Instant::now() < deadline,
            "{n} worker-read connection(s) were not opened"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The triage page is read on the HTTP worker's own thread (`database.read_on_worker_ms`), and
/// a worker serves many connections: a read held up in the database (here the issues' table
/// locked, as a migration or `VACUUM FULL` would) must not hold the worker's other clients.
/// With one worker, the page's read is cut off, read again the usual way — which waits for the
/// lock on a database thread, not on the worker — while the same worker answers others; the
/// page comes, whole, once the lock goes.
#[test]
fn a_queue_read_held_up_on_the_worker_is_cut_off_and_read_the_usual_way_postgres() {
    let Some(app) = TestApp::spawn_with(
        Backend::Postgres,
        "[server]\nworkers = 1\n[database]\nread_on_worker_ms = 200\n",
    ) else {
        return;
    };
    let admin = app.admin();
    let mut conn = app.db.connect();
    await_worker_connections(&mut conn, 1);
    let page = "/api/v1/queues/triage?limit=50";
    let before = app.get(page, &admin).expect(200);
    assert!(!refs(&before).is_empty(), "the demo has issues to triage");
    assert_eq!(counter(&app, "tanggap_db_worker_reads_total"), 1);
    assert_eq!(counter(&app, "tanggap_db_worker_reads_redone_total"), 0);

    let mut locker = app.db.connect();
    diesel::connection::SimpleConnection::batch_execute(
        &mut locker,
        "BEGIN; LOCK TABLE issues IN ACCESS EXCLUSIVE MODE;",
    )
    .expect("lock the issues");
    let held = {
        let (base, token) = (app.base.clone(), admin.clone());
        std::thread::spawn(move || {
            ureq::get(&format!("{base}{page}"))
                .set("Authorization", &format!("Bearer {token}"))
                .timeout(std::time::Duration::from_secs(60))
                .call()
                .map(|r| (r.status(), r.into_string().expect("body")))
                .map_err(|e| e.to_string())
        })
    };
    // The page's read (its caller and heads in one statement, `store::with_user`), cut off on
    // the worker, waits again on one of the pool's connections.
    let waiting_usual_way = "SELECT count(*) FROM pg_stat_activity WHERE \
         datname = current_database() AND wait_event_type = 'Lock' \
         AND application_name <> 'tanggap worker read' AND query LIKE 'SELECT u.*, r.* FROM (%'";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while pg_count(&mut conn, waiting_usual_way) < 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "the page was never read again the usual way"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // The same (only) worker answers meanwhile.
    let health = ureq::get(&format!("{}/healthz", app.base))
        .timeout(std::time::Duration::from_secs(5))
        .call()
        .expect("the worker answers while the page waits for the lock");
    assert_eq!(health.status(), 200);
    assert!(
        !held.is_finished(),
        "the page waits for the lock, it does not fail"
    );

    diesel::connection::SimpleConnection::batch_execute(&mut locker, "COMMIT").expect("unlock");
    let (status, body) = held.join().expect("the page's thread").expect("the page");
    assert_eq!(status, 200);
    let after: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let listed = |items: &serde_json::Value| -> Vec<String> {
        items
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|i| i["ref"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(listed(&after["items"]), refs(&before));
    assert_eq!(counter(&app, "tanggap_db_worker_reads_redone_total"), 1);
}

/// A worker's connection the database dropped (a restart, an idle timeout, a failover) costs
/// the TRC no failed page: the read is done again the usual way, and the worker's connection
/// is opened again in the background.
#[test]
fn a_worker_connection_the_database_dropped_costs_no_failed_page_postgres() {
    let Some(app) = TestApp::spawn_with(Backend::Postgres, "[server]\nworkers = 1\n") else {
        return;
    };
    let admin = app.admin();
    let mut conn = app.db.connect();
    await_worker_connections(&mut conn, 1);
    let page = "/api/v1/queues/triage?limit=50";
    let before = app.get(page, &admin).expect(200);
    assert_eq!(counter(&app, "tanggap_db_worker_reads_total"), 1);
    let dropped = pg_count(
        &mut conn,
        &format!(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = current_database() AND application_name = '{}'",
            tanggap::store::WORKER_READ_NAME
        ),
    );
    assert_eq!(dropped, 1);
    let after = app.get(page, &admin).expect(200);
    assert_eq!(refs(&after), refs(&before));
    // Read on the dropped connection and done again, or (when the pool noticed first) read
    // the usual way at once: never a failed page.
    assert_eq!(
        counter(&app, "tanggap_db_worker_reads_redone_total"),
        counter(&app, "tanggap_db_worker_reads_total") - 1
    );
    await_worker_connections(&mut conn, 1);
}

/// A bug that panics in a page's read on the worker costs that one request (500), as on a
/// database thread — never the worker and every connection it serves.
#[test]
fn a_read_that_panics_on_the_worker_costs_one_request_postgres() {
    let Some(db) = TestDb::create(Backend::Postgres) else {
        return;
    };
    let app = build_app(&db, "");
    let state = app.state.clone();
    let mut conn = db.connect();
    await_worker_connections(&mut conn, 2);
    let read = actix_web::rt::System::new().block_on(async move {
        state
            .db_read(|_conn| -> tanggap::error::AppResult<i64> { panic!("a bug in a page") })
            .await
    });
    assert!(
        matches!(read, Err(tanggap::error::AppError::Internal(_))),
        "{read:?}"
    );
    let redone = app
        .state
        .metrics
        .worker_reads_redone
        .load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(redone, 1);
}

//! Escalation ladders and email over a real SMTP server on loopback.

use crate::helpers::*;
use crate::smtp_sink::{Received, Sink};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// Short clocks so that ladders run in seconds: critical triage 4 s with steps at 50 %, 100 %
/// and 2 s past due.
fn config(sink: &Sink) -> String {
    format!(
        r#"
[mail]
transport = "smtp"
from = "Tanggap <tanggap@kotabarukab.go.id>"
retry_base = "1s"
give_up_after = "1h"
lease = "10s"
[mail.smtp]
host = "127.0.0.1"
port = {}
tls = "none"
timeout = "5s"
[sla.priority.critical]
calendar = "always"
triage = "4s"
response = "1h"
resolution = "2h"
[escalation.triage]
steps = [
  {{ at = "50%", notify = ["trc"] }},
  {{ at = "100%", notify = ["trc_lead"] }},
  {{ at = "+2s", notify = ["kominfo_head", "leaders"] }},
]
"#,
        sink.port
    )
}

fn critical(title: &str) -> Value {
    let mut b = issue_body(title);
    b["priority"] = json!("critical");
    b["category"] = json!("sosial");
    b
}

/// (step, recipient) → how many messages.
fn steps_of(msgs: &[Received], reference: &str) -> BTreeMap<(String, String), usize> {
    let mut out = BTreeMap::new();
    for m in msgs
        .iter()
        .filter(|m| m.subject().contains(reference) && m.subject().contains("eskalasi"))
    {
        let step = m
            .subject()
            .split("eskalasi ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .unwrap_or("")
            .to_owned();
        for to in &m.to {
            *out.entry((step.clone(), to.clone())).or_insert(0) += 1;
        }
    }
    out
}

fn ladder_fires_in_order_once(backend: Backend) {
    let sink = Sink::start();
    let Some(app) = TestApp::spawn_with(backend, &config(&sink)) else {
        return;
    };
    let trc = app.login(TRC, DEMO_PASSWORD);
    let filed = app
        .post("/api/v1/issues", &trc, critical("Warga blokir jalan"))
        .expect(201);
    let reference = filed.body["ref"].as_str().expect("ref").to_owned();
    let due: jiff::Timestamp = filed.body["clocks"][0]["due_at"]
        .as_str()
        .expect("due")
        .parse()
        .expect("ts");
    // Listed before the ladder runs, so that what the triage page keeps of the issue is from
    // before the timer's work, which raises the level without a new version.
    crate::issues_lists::lists_match_single_reads(&app, &trc);
    let msgs = sink.wait(Duration::from_secs(15), |m| {
        steps_of(m, &reference).len() >= 4
    });
    let steps = steps_of(&msgs, &reference);
    let expected: BTreeMap<(String, String), usize> = [
        (("1".into(), "trc@localhost".into()), 1),
        (("2".into(), "trc-lead@localhost".into()), 1),
        (("3".into(), "kadis.kominfo@localhost".into()), 1),
        (("3".into(), LEADER.into()), 1),
    ]
    .into_iter()
    .collect();
    assert_eq!(steps, expected, "each step, each recipient, once");
    // The timer's work (breach, steps fired, level) lists as the issue reads alone.
    crate::issues_lists::lists_match_single_reads(&app, &trc);
    // Each arrives after its instant, and soon after it (the timer is armed for the instant).
    let arrival = |step: &str| -> jiff::Timestamp {
        msgs.iter()
            .find(|m| {
                m.subject().contains(&reference)
                    && m.subject().contains(&format!("eskalasi {step} "))
            })
            .expect("step")
            .at
    };
    let instants = [
        ("1", due - jiff::SignedDuration::from_secs(2)),
        ("2", due),
        ("3", due + jiff::SignedDuration::from_secs(2)),
    ];
    for (step, at) in instants {
        let late = arrival(step).duration_since(at);
        assert!(
            late >= jiff::SignedDuration::ZERO,
            "step {step} came early: {late:?}"
        );
        assert!(
            late < jiff::SignedDuration::from_millis(1500),
            "step {step} came {late:?} after its instant"
        );
    }
    // The mail: multipart text and HTML, stable Message-ID, local time with the zone's name.
    let m = msgs
        .iter()
        .find(|m| m.subject().contains(&reference) && m.subject().contains("eskalasi 2"))
        .expect("step 2");
    assert!(
        m.header("message-id")
            .is_some_and(|id| id.starts_with("<tanggap.") && id.ends_with("@kotabarukab.go.id>")),
        "{:?}",
        m.header("message-id")
    );
    assert!(m
        .header("content-type")
        .is_some_and(|c| c.contains("multipart/alternative")));
    assert!(m.data.contains("WITA"), "due time shown in local time");
    assert!(
        m.data.contains(&format!("/tautan/{reference}?")),
        "the signed link"
    );
    // The issue shows the level; the escalated queue lists it; the history has every step.
    let issue = app.issue(&trc, &reference).expect(200);
    assert_eq!(issue.body["escalation_level"], 3);
    assert_eq!(issue.body["clocks"][0]["state"], "missed");
    assert_eq!(
        issue.body["version"], filed.body["version"],
        "the timer's work is not a new version of the issue"
    );
    assert_eq!(issue.body["clocks"][0]["breached"], true);
    let q = app.get("/api/v1/queues/escalated", &trc).expect(200);
    assert!(q.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|i| i["ref"] == json!(reference)));
    wait_recorded_sent(&app, &reference, 4);
    let h = app
        .get(
            &format!("/api/v1/issues/{reference}/history?limit=200"),
            &trc,
        )
        .expect(200);
    let actions: Vec<&str> = h.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .filter(|a| !a.starts_with("notification."))
        .collect();
    assert_eq!(
        actions,
        [
            "issue.filed",
            "escalation.step",
            "sla.breached",
            "escalation.step",
            "escalation.step"
        ]
    );
    let sent = h.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["action"] == "notification.sent")
        .count();
    assert_eq!(sent, 4, "each delivery is audited");
    // Met late: stays missed; the level falls back once the clock stops.
    let r = app
        .act(&trc, &reference, "triage", json!({"unit": "DINSOS"}))
        .expect(200);
    assert_eq!(r.body["clocks"][0]["state"], "missed");
    assert_eq!(r.body["escalation_level"], 0);
    // The assignment notice goes to the unit.
    let notice = sink.wait(Duration::from_secs(5), |m| {
        m.iter()
            .any(|x| x.subject().contains(&reference) && x.subject().contains("ditugaskan"))
    });
    assert!(notice
        .iter()
        .any(|x| x.subject().contains(&reference) && x.to == ["dinsos@demo.tanggap.id"]));
    // The report counts steps fired, not their recipients: this issue fired three steps in four
    // messages. The demo's issues filed earlier the same local day may have escalated too under
    // these short clocks (how many depends on the hour the test runs), so the expected figure is
    // every step recorded in the histories of the day's issues, read over the API.
    let day = local_date(
        filed.body["created_at"]
            .as_str()
            .expect("created_at")
            .parse()
            .expect("ts"),
    );
    // (every issue's, the DINSOS issues') steps, in one pass over the day's histories.
    let steps_of_day = || -> (u64, u64) {
        let list = app
            .get(
                &format!("/api/v1/issues?created_from={day}&created_to={day}&limit=200"),
                &trc,
            )
            .expect(200);
        let (mut total, mut dinsos) = (0, 0);
        for i in list.body["items"].as_array().expect("items") {
            let r = i["ref"].as_str().expect("ref");
            let h = app
                .get(&format!("/api/v1/issues/{r}/history?limit=200"), &trc)
                .expect(200);
            let n = h.body["items"]
                .as_array()
                .expect("items")
                .iter()
                .filter(|e| e["action"] == "escalation.step")
                .count() as u64;
            total += n;
            if i["assigned_unit"] == "DINSOS" {
                dinsos += n;
            }
        }
        (total, dinsos)
    };
    // The escalation job may still be firing the demo's steps: read until the histories, the
    // report and the histories again agree.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let expected = steps_of_day();
        let report = app
            .get(
                &format!("/api/v1/reports?from={day}&to={day}&group_by=unit"),
                &trc,
            )
            .expect(200);
        let total = report.body["total"]["escalations"].as_u64().expect("total");
        let dinsos = report.body["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .find(|g| g["key"] == "DINSOS")
            .expect("the issue's unit")["escalations"]
            .as_u64()
            .expect("escalations");
        assert!(expected.1 >= 3, "this issue's three steps");
        if (total, dinsos) == expected && steps_of_day() == expected {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "report {total}/{dinsos} against histories {expected:?}: {}",
            report.body
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn ladder_sqlite() {
    ladder_fires_in_order_once(Backend::Sqlite);
}
#[test]
fn ladder_postgres() {
    ladder_fires_in_order_once(Backend::Postgres);
}

fn no_mail_for_a_clock_met_in_time(backend: Backend) {
    let sink = Sink::start();
    let Some(app) = TestApp::spawn_with(backend, &config(&sink)) else {
        return;
    };
    let trc = app.login(TRC, DEMO_PASSWORD);
    let reference = app.file(&trc, critical("Isu cepat ditangani"));
    app.act(&trc, &reference, "triage", json!({"unit": "DINSOS"}))
        .expect(200);
    // Past every step of the ladder (the last at 6 s), with the jobs done with all that is due.
    app.advance(Duration::from_secs(7));
    app.settle();
    assert!(
        steps_of(&sink.messages(), &reference).is_empty(),
        "no step after the clock was met"
    );
    let issue = app.issue(&trc, &reference).expect(200);
    assert_eq!(issue.body["clocks"][0]["state"], "met");
    assert_eq!(issue.body["escalation_level"], 0);
}

#[test]
fn met_in_time_sqlite() {
    no_mail_for_a_clock_met_in_time(Backend::Sqlite);
}
#[test]
fn met_in_time_postgres() {
    no_mail_for_a_clock_met_in_time(Backend::Postgres);
}

fn outage_then_every_message_once(backend: Backend) {
    let sink = Sink::start();
    sink.set_down(true);
    let Some(app) = TestApp::spawn_with(backend, &config(&sink)) else {
        return;
    };
    let trc = app.login(TRC, DEMO_PASSWORD);
    let admin = app.admin();
    let reference = app.file(&trc, critical("Isu saat server surat mati"));
    // The whole ladder fires while the mail server is down (its last step at 6 s), every
    // message tried once and waiting to be retried; then the server comes back.
    app.advance(Duration::from_secs(7));
    app.settle();
    let pending = app
        .get("/api/v1/notifications?state=pending,sending", &admin)
        .expect(200);
    let about: Vec<&Value> = pending.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|n| n["issue"] == json!(reference))
        .collect();
    assert_eq!(about.len(), 4, "queued, not lost: {}", pending.text);
    assert!(about
        .iter()
        .all(|n| n["attempts"].as_i64().is_some_and(|a| a >= 1) && n["last_error"].is_string()));
    sink.set_down(false);
    let msgs = sink.wait(Duration::from_secs(30), |m| {
        steps_of(m, &reference).values().sum::<usize>() >= 4
    });
    let steps = steps_of(&msgs, &reference);
    assert_eq!(steps.len(), 4);
    assert!(
        steps.values().all(|n| *n == 1),
        "every message once: {steps:?}"
    );
    std::thread::sleep(Duration::from_millis(500));
    let mut ids: Vec<String> = sink
        .about(&reference)
        .iter()
        .filter_map(|m| m.header("message-id"))
        .collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "no Message-ID twice");
    wait_recorded_sent(&app, &reference, 4);
    let sent = app
        .get("/api/v1/notifications?state=sent&limit=200", &admin)
        .expect(200);
    assert_eq!(
        sent.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|n| n["issue"] == json!(reference))
            .count(),
        4
    );
}

#[test]
fn outage_sqlite() {
    outage_then_every_message_once(Backend::Sqlite);
}
#[test]
fn outage_postgres() {
    outage_then_every_message_once(Backend::Postgres);
}

fn dead_letters_are_retried_by_an_admin(backend: Backend) {
    let sink = Sink::start();
    sink.reject("trc@localhost", true);
    let Some(app) = TestApp::spawn_with(backend, &config(&sink)) else {
        return;
    };
    let trc = app.login(TRC, DEMO_PASSWORD);
    let admin = app.admin();
    let reference = app.file(&trc, critical("Alamat TRC ditolak"));
    let dead = loop {
        let r = app
            .get("/api/v1/notifications?state=dead", &admin)
            .expect(200);
        if let Some(n) = r.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|n| n["issue"] == json!(reference))
        {
            break n.clone();
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(dead["to"], "trc@localhost");
    assert!(
        dead["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("550")),
        "{dead}"
    );
    app.get("/api/v1/notifications", &trc).problem(403);
    app.get("/api/v1/notifications?state=lost", &admin)
        .problem(422);
    let id = dead["id"].as_i64().expect("id");
    sink.reject("trc@localhost", false);
    let r = app
        .post(
            &format!("/api/v1/notifications/{id}/retry"),
            &admin,
            json!({}),
        )
        .expect(200);
    assert_eq!(r.body["state"], "pending");
    app.post(
        &format!("/api/v1/notifications/{id}/retry"),
        &admin,
        json!({}),
    )
    .problem_of(409, "wrong-state");
    app.post("/api/v1/notifications/999999/retry", &admin, json!({}))
        .problem(404);
    let msgs = sink.wait(Duration::from_secs(10), |m| {
        m.iter()
            .any(|x| x.subject().contains(&reference) && x.to == ["trc@localhost"])
    });
    assert_eq!(
        msgs.iter()
            .filter(|x| x.subject().contains(&reference) && x.to == ["trc@localhost"])
            .count(),
        1
    );
    // The worker records the outcome just after the server accepted the message.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let actions: Vec<String> = loop {
        let h = app
            .get(
                &format!("/api/v1/issues/{reference}/history?limit=200"),
                &admin,
            )
            .expect(200);
        let actions: Vec<String> = h.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|e| e["action"].as_str().map(str::to_owned))
            .collect();
        if actions.iter().any(|a| a == "notification.sent") || std::time::Instant::now() > deadline
        {
            break actions;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let pos = |a: &str| actions.iter().position(|x| x == a);
    assert!(
        pos("notification.dead").is_some()
            && pos("notification.dead") < pos("notification.retried"),
        "{actions:?}"
    );
    assert!(
        actions.iter().any(|a| a == "notification.sent"),
        "{actions:?}"
    );
}

#[test]
fn dead_sqlite() {
    dead_letters_are_retried_by_an_admin(Backend::Sqlite);
}
#[test]
fn dead_postgres() {
    dead_letters_are_retried_by_an_admin(Backend::Postgres);
}

fn two_instances_and_a_restart(backend: Backend) {
    let sink = Sink::start();
    let Some(first) = TestApp::spawn_with(backend, &config(&sink)) else {
        return;
    };
    let second = TestApp::spawn_on(&first);
    let trc = first.login(TRC, DEMO_PASSWORD);
    // Issues filed on both instances, their steps coming due together.
    let refs: Vec<String> = (0..6)
        .map(|i| {
            if i % 2 == 0 {
                first.file(&trc, critical(&format!("Serentak {i}")))
            } else {
                second.file(&trc, critical(&format!("Serentak {i}")))
            }
        })
        .collect();
    let msgs = sink.wait(Duration::from_secs(20), |m| {
        refs.iter().all(|r| steps_of(m, r).len() >= 4)
    });
    for r in &refs {
        let steps = steps_of(&msgs, r);
        assert_eq!(steps.len(), 4, "{r}: {steps:?}");
        assert!(
            steps.values().all(|n| *n == 1),
            "{r}: each step once across two instances: {steps:?}"
        );
    }
    // Every instance down while steps come due; on restart they fire, in order, once.
    let late = second.file(&trc, critical("Saat semua mati"));
    first.stop();
    second.stop();
    first.clock.advance(Duration::from_secs(7));
    assert!(steps_of(&sink.messages(), &late).is_empty());
    let third = TestApp::spawn_on(&first);
    let msgs = sink.wait(Duration::from_secs(15), |m| steps_of(m, &late).len() >= 4);
    let steps = steps_of(&msgs, &late);
    assert_eq!(steps.len(), 4, "{steps:?}");
    assert!(steps.values().all(|n| *n == 1));
    // Fired in due order (delivery runs in parallel, so arrival order may differ).
    let trc3 = third.login(TRC, DEMO_PASSWORD);
    let h = third
        .get(&format!("/api/v1/issues/{late}/history?limit=200"), &trc3)
        .expect(200);
    let fired: Vec<i64> = h.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["action"] == "escalation.step")
        .filter_map(|e| e["changes"]["escalation"]["after"]["step"].as_i64())
        .collect();
    assert_eq!(fired, [1, 2, 3]);
    assert_eq!(third.issue(&trc3, &late).body["escalation_level"], 3);
}

#[test]
fn two_instances_sqlite() {
    two_instances_and_a_restart(Backend::Sqlite);
}
#[test]
fn two_instances_postgres() {
    two_instances_and_a_restart(Backend::Postgres);
}

/// Waits (at most 10 s) until the outbox worker has recorded `n` messages about the issue as
/// sent: it records outcomes just after the mail server accepted them, so a test that saw the
/// mail arrive may look a moment too early.
fn wait_recorded_sent(app: &TestApp, reference: &str, n: usize) {
    let admin = app.admin();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let sent = app
            .get("/api/v1/notifications?state=sent&limit=200", &admin)
            .expect(200);
        let about = sent.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|x| x["issue"] == json!(reference))
            .count();
        if about >= n || std::time::Instant::now() > deadline {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The outbox claim on the store itself: messages whose sender's lease ran out come first, then
/// pending ones in due order; nothing leased, not yet due or sent is taken; a claimed message
/// is `sending`, leased, one attempt more, and not claimed again.
fn outbox_claim_order(backend: Backend) {
    use tanggap::store::outbox::{self, NewOutbox};
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let mut conn = db.connect();
    tanggap::store::migrate(&mut conn).expect("migrate");
    let now = 1_000_000_000;
    let message = |id: &str, state: &str, next: i64| NewOutbox {
        issue_id: None,
        kind: "notice".into(),
        recipient: "x@example.org".into(),
        subject: id.into(),
        body_text: "t".into(),
        body_html: "<p>t</p>".into(),
        message_id: format!("<{id}@test>"),
        state: state.into(),
        attempts: 0,
        next_attempt_at: next,
        lease_until: None,
        created_at: 0,
    };
    for (id, state, next) in [
        ("late", "pending", now - 10),
        ("early", "pending", now - 20),
        ("future", "pending", now + 10),
        ("sent", "sent", now - 30),
        ("expired", "sending", now - 5),
        ("held", "sending", now - 40),
    ] {
        outbox::insert(&mut conn, &message(id, state, next)).expect("insert");
    }
    use diesel::prelude::*;
    use tanggap::store::schema::outbox as t;
    diesel::update(t::table.filter(t::subject.eq("expired")))
        .set(t::lease_until.eq(now - 1))
        .execute(&mut conn)
        .expect("lease ran out");
    diesel::update(t::table.filter(t::subject.eq("held")))
        .set(t::lease_until.eq(now + 1))
        .execute(&mut conn)
        .expect("lease held");
    let subjects = |rows: &[outbox::OutboxRow]| -> Vec<String> {
        rows.iter().map(|r| r.subject.clone()).collect()
    };
    let first = outbox::claim(&mut conn, now, now + 60, 2).expect("claim");
    assert_eq!(
        subjects(&first),
        ["early", "expired"],
        "due order within the claim"
    );
    assert!(first
        .iter()
        .all(|r| r.state == "sending" && r.lease_until == Some(now + 60) && r.attempts == 1));
    let expired_first = outbox::claim(&mut conn, now, now + 60, 1).expect("claim");
    assert_eq!(subjects(&expired_first), ["late"]);
    assert!(outbox::claim(&mut conn, now, now + 60, 10)
        .expect("claim")
        .is_empty());
    // A message claimed as it is made (the timer hands it to its own sender): stored under its
    // lease, answered with its id, taken by no claim while the lease holds; should its instance
    // die, any claim takes it once the lease has run out, and the first sender's late record
    // no longer counts.
    let handed = outbox::insert_many_returning(
        &mut conn,
        &[
            message("handed-1", "pending", now).claimed(now + 30),
            message("handed-2", "pending", now).claimed(now + 30),
        ],
    )
    .expect("insert");
    assert_eq!(subjects(&handed), ["handed-1", "handed-2"]);
    assert!(handed.iter().all(|r| r.id > 0
        && r.state == "sending"
        && r.attempts == 1
        && r.lease_until == Some(now + 30)));
    let before = outbox::claim(&mut conn, now + 29, now + 90, 10).expect("claim");
    assert_eq!(
        subjects(&before),
        ["held", "future"],
        "what came due meanwhile, not the handed ones"
    );
    let taken = outbox::claim(&mut conn, now + 31, now + 90, 10).expect("claim");
    assert_eq!(subjects(&taken), ["handed-1", "handed-2"]);
    assert!(taken.iter().all(|r| r.attempts == 2));
    assert!(!outbox::mark_sent(&mut conn, handed[0].id, 1, now + 32).expect("mark"));
    assert!(outbox::mark_sent(&mut conn, taken[0].id, 2, now + 32).expect("mark"));
}

#[test]
fn outbox_claim_order_sqlite() {
    outbox_claim_order(Backend::Sqlite);
}

#[test]
fn outbox_claim_order_postgres() {
    outbox_claim_order(Backend::Postgres);
}

/// PostgreSQL: a change wakes the other instances' timers (`NOTIFY`) only when it arms an
/// instant before their next look of their own (within a minute); a filing due in hours wakes
/// nobody. Its clock still fires: the ladder tests above fire 4-second clocks on time.
#[test]
fn only_near_instants_wake_the_timers_postgres() {
    use diesel::connection::SimpleConnection;
    let sink = Sink::start();
    let Some(app) = TestApp::spawn_with(Backend::Postgres, &config(&sink)) else {
        return;
    };
    let tanggap::store::Db::Pg(mut listen) = app.db.connect() else {
        panic!("a PostgreSQL connection");
    };
    listen
        .batch_execute("LISTEN tanggap_timers")
        .expect("listen");
    let heard = |conn: &mut diesel::PgConnection| -> Vec<String> {
        std::thread::sleep(Duration::from_millis(300));
        conn.batch_execute("SELECT 1").expect("poll");
        conn.notifications_iter()
            .map(|n| n.expect("notification").payload)
            .collect()
    };
    assert!(heard(&mut listen).is_empty());
    let trc = app.login(TRC, DEMO_PASSWORD);
    // High priority: triage in 2 office hours, further away than any timer sleeps.
    let mut high = issue_body("Jalan berlubang");
    high["priority"] = json!("high");
    app.file(&trc, high);
    assert_eq!(
        heard(&mut listen),
        Vec::<String>::new(),
        "a far instant woke the timers"
    );
    // Critical here: triage in 4 s, its first step at 2 s — announced with its instant.
    let filed = app
        .post("/api/v1/issues", &trc, critical("Warga blokir jembatan"))
        .expect(201);
    let due: jiff::Timestamp = filed.body["clocks"][0]["due_at"]
        .as_str()
        .expect("due")
        .parse()
        .expect("ts");
    let step_1 = (due - jiff::SignedDuration::from_secs(2)).as_microsecond();
    assert_eq!(heard(&mut listen), vec![step_1.to_string()]);
}

/// Steps naming the unit, its head, the parent unit's head and the leaders, for issues of
/// different units coming due in the same timer round: each issue's mail goes to its own
/// unit's addresses, and to the leaders whose scope holds that unit (the one of no unit and the
/// one over the parent) — never to a leader of another unit; the mail names the unit.
fn unit_recipients(backend: Backend) {
    let sink = Sink::start();
    let cfg = format!(
        r#"
[mail]
transport = "smtp"
retry_base = "1s"
[mail.smtp]
host = "127.0.0.1"
port = {}
tls = "none"
[sla.priority.critical]
calendar = "always"
triage = "1h"
response = "4s"
resolution = "2h"
[escalation.response]
steps = [{{ at = "100%", notify = ["unit", "unit_head", "parent_unit_head", "leaders"] }}]
"#,
        sink.port
    );
    let Some(app) = TestApp::spawn_with(backend, &cfg) else {
        return;
    };
    let admin = app.login(ADMIN, DEMO_PASSWORD);
    for (email, unit) in [
        ("kadinkes@demo.tanggap.id", "DINKES"),
        ("kadpupr@demo.tanggap.id", "DPUPR"),
    ] {
        app.post(
            "/api/v1/users",
            &admin,
            json!({"email": email, "name": email, "role": "leader", "unit": unit, "password": "long-enough-pw"}),
        )
        .expect(201);
    }
    let trc = app.login(TRC, DEMO_PASSWORD);
    let mut filed = Vec::new();
    for (title, unit) in [
        ("Antrean panjang di puskesmas", "PUSKESMAS_SEBUKU"),
        ("Jalan berlubang di Sigam", "DPUPR"),
        ("Obat kosong di puskesmas", "PUSKESMAS_KOTABARU"),
    ] {
        let reference = app.file(&trc, critical(title));
        app.act(&trc, &reference, "triage", json!({"unit": unit}))
            .expect(200);
        filed.push((reference, unit));
    }
    // Every response clock comes due in the same round.
    app.advance(Duration::from_secs(5));
    let msgs = sink.wait(Duration::from_secs(15), |m| {
        filed
            .iter()
            .map(|(r, _)| steps_of(m, r).len())
            .sum::<usize>()
            >= 14
    });
    let expect = |unit: &str| -> BTreeMap<(String, String), usize> {
        let mut to: Vec<String> = match unit {
            "PUSKESMAS_SEBUKU" => vec![
                "pkm.sebuku@demo.tanggap.id".into(),
                "kepala.pkm.sebuku@demo.tanggap.id".into(),
                "kepala.dinkes@demo.tanggap.id".into(),
                "kadinkes@demo.tanggap.id".into(),
            ],
            "PUSKESMAS_KOTABARU" => vec![
                "pkm.kotabaru@demo.tanggap.id".into(),
                "kepala.pkm.kotabaru@demo.tanggap.id".into(),
                "kepala.dinkes@demo.tanggap.id".into(),
                "kadinkes@demo.tanggap.id".into(),
            ],
            _ => vec![
                "dpupr@demo.tanggap.id".into(),
                "kepala.dpupr@demo.tanggap.id".into(),
                "kadpupr@demo.tanggap.id".into(),
            ],
        };
        to.push(LEADER.into());
        to.into_iter().map(|t| (("1".to_owned(), t), 1)).collect()
    };
    for (reference, unit) in &filed {
        assert_eq!(
            steps_of(&msgs, reference),
            expect(unit),
            "{reference} of {unit}: its unit's addresses and the leaders over it, once each"
        );
        let m = msgs
            .iter()
            .find(|m| m.subject().contains(reference.as_str()))
            .expect("a message");
        assert!(
            m.data.contains(&format!("({unit})")),
            "the mail names the unit {unit}"
        );
    }
}

#[test]
fn unit_recipients_sqlite() {
    unit_recipients(Backend::Sqlite);
}

#[test]
fn unit_recipients_postgres() {
    unit_recipients(Backend::Postgres);
}

/// A burst is written in chunks of clocks, each in its own transaction. The messages of a chunk
/// are handed to the instance's sender as the chunk commits — the sender starts on them while
/// the next chunk is written — and never before: when handed, each message is stored under its
/// lease for any other connection to see (a sender recording a message it cannot find yet
/// would send it again).
fn chunks_are_handed_as_they_commit(backend: Backend) {
    use diesel::prelude::*;
    use tanggap::store::schema::outbox as t;
    let sink = Sink::start();
    let cfg = format!(
        r#"
[mail]
transport = "smtp"
[mail.smtp]
host = "127.0.0.1"
port = {}
tls = "none"
[sla.priority.critical]
calendar = "always"
triage = "1h"
response = "2h"
resolution = "1d"
[escalation.triage]
steps = [{{ at = "100%", notify = ["triase@kotabarukab.go.id"] }}]
"#,
        sink.port
    );
    let Some(app) = TestApp::spawn_with(backend, &cfg) else {
        return;
    };
    let trc = app.login(TRC, DEMO_PASSWORD);
    let clocks = 120;
    for i in 0..clocks {
        app.file(&trc, critical(&format!("Banjir bandang uji {i}")));
    }
    // The instance's own timer does not see them due (its clock is not moved); it is stopped
    // all the same, and the round is run here, two hours on.
    app.stop();
    let ctx = app.system_ctx(7_200_000_000);
    let now = ctx.now;
    let lease_until = now + 60_000_000;
    let mut conn = app.db.connect();
    let mut other = app.db.connect();
    let due = tanggap::service::escalation::due_clocks(&mut conn, &ctx, 2000).expect("due");
    // The demo data's clocks run on office hours: at some times of day one of them falls due
    // within these two hours too. The round is run on this test's own clocks, every one due.
    let ours: Vec<i64> = {
        use tanggap::store::schema::{issue_clocks as c, issues as i};
        let filed: Vec<i64> = i::table
            .filter(i::title.like("Banjir bandang uji %"))
            .select(i::id)
            .load(&mut other)
            .expect("the filings");
        c::table
            .filter(c::issue_id.eq_any(&filed))
            .select(c::id)
            .load(&mut other)
            .expect("their clocks")
    };
    assert_eq!(ours.len(), clocks, "each filing's triage clock");
    let due: Vec<i64> = due.into_iter().filter(|id| ours.contains(id)).collect();
    assert_eq!(due.len(), clocks, "each filing's triage clock is due");
    let mut handed = Vec::new();
    let round = tanggap::service::escalation::fire_clocks(
        &mut conn,
        &ctx,
        &due,
        Some(lease_until),
        &mut |rows| {
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let stored: i64 = t::table
                .filter(t::id.eq_any(&ids))
                .filter(t::state.eq("sending"))
                .filter(t::lease_until.eq(lease_until))
                .count()
                .get_result(&mut other)
                .expect("count");
            assert_eq!(
                stored,
                i64::try_from(rows.len()).unwrap(),
                "committed when handed"
            );
            handed.push(rows.len());
        },
    )
    .expect("fire");
    assert_eq!(round.breaches, clocks);
    assert_eq!(round.steps, clocks);
    assert_eq!(handed, [50, 50, 20], "each chunk's messages as it commits");
}

#[test]
fn chunks_are_handed_as_they_commit_sqlite() {
    chunks_are_handed_as_they_commit(Backend::Sqlite);
}

#[test]
fn chunks_are_handed_as_they_commit_postgres() {
    chunks_are_handed_as_they_commit(Backend::Postgres);
}

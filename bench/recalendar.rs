//! Benchmark: moving the clocks of a changed calendar (issue "Holiday calendars", the time a
//! revised decree takes to reach 100,000 running clocks).
//!
//! Loads N open issues (default 100,000), each with a running response clock on the `office`
//! calendar (target `3wd`, started in the last two days) and its audit stream, records the
//! calendars as a first start does, then adds a cuti bersama day on each of the next three
//! working days of the office calendar — so that every clock's due instant moves — and times
//! `service::calendars::reconcile`, the work a start does before it listens. Prints the time,
//! the clocks moved, and checks that each moved issue has its `clock.retargeted` event.
//!
//! ```sh
//! cargo build --release --example bench_recalendar
//! target/release/examples/bench_recalendar --pg postgres://USER:PASS@127.0.0.1:5432/postgres --issues 100000
//! target/release/examples/bench_recalendar --backend sqlite --issues 100000
//! ```
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "benchmark code: a failed step ends the run by design, and figures are printed as floats"
)]

#[path = "common.rs"]
mod common;

use diesel::connection::SimpleConnection;
use std::time::Instant;
use tanggap::service::{Actor, Ctx};

/// The shipped configuration on `url`, with `extra` TOML on top.
fn config(dir: &std::path::Path, name: &str, url: &str, extra: &str) -> tanggap::config::Config {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!("[database]\nurl = \"{url}\"\n[demo]\nseed = false\n{extra}"),
    )
    .expect("overlay");
    tanggap::config::load(&tanggap::config::LoadOptions {
        config_dir: std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config"),
        profile: "default".into(),
        overlay: Some(path),
        use_env: false,
    })
    .expect("configuration")
}

fn ctx(cfg: &tanggap::config::Config) -> Ctx {
    Ctx {
        actor: Actor::System,
        now: jiff::Timestamp::now().as_microsecond(),
        request_id: None,
        client_request_id: None,
        sla: cfg.sla.clone(),
    }
}

fn main() {
    let f = common::flags(&["pg", "backend", "issues"]);
    let n: i64 = common::flag(&f, "issues", 100_000);
    println!("machine: {}", common::machine());
    let dir = tempfile::tempdir().expect("dir");
    let db = "tanggap_bench_recalendar";
    let (mut admin, url) = match common::pg_or_sqlite(&f) {
        Some(pg) => {
            let (admin, url) = common::fresh_database(&pg, db);
            (Some(admin), url)
        }
        None => (
            None,
            common::sqlite_url(&dir.path().join("recalendar.sqlite")),
        ),
    };
    let sqlite = admin.is_none();
    let base = config(dir.path(), "base.toml", &url, "");
    let mut conn = tanggap::store::connect(&url).expect("connect");
    tanggap::app::migrate(&base, &mut conn).expect("migrate");
    // The demo's units and users (the issues are filed by user 1, assigned to DPUPR).
    tanggap::service::demo::seed_if_empty(&mut conn, &ctx(&base)).expect("units and users");

    // The issues, their running clocks on the office calendar and their audit streams.
    let now = jiff::Timestamp::now().as_microsecond();
    let two_days: i64 = 2 * 86_400 * 1_000_000;
    let started = Instant::now();
    let chunk = 20_000;
    let mut from = 1;
    while from <= n {
        let to = (from + chunk - 1).min(n);
        conn.batch_execute(&format!(
            "WITH RECURSIVE s(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM s WHERE i < {to}) \
             INSERT INTO issues (ref, title, description, category, channel, priority, sensitivity, status, \
               source_urls, screenshot_urls, archive_urls, filed_by_id, filed_by, filing_unit, assigned_unit, \
               tags, escalation_level, version, urgent_at, is_open, search, created_at, updated_at, clocks_version) \
             SELECT 'ISU-R-' || i, 'Isu ' || i, 'Uraian ' || i, 'infrastruktur', 'facebook', 'medium', 'normal', \
               'assigned', '[]', '[]', '[]', 1, 'bench', 'DPUPR', 'DPUPR', '[]', 0, 1, {now}, TRUE, 'isu', \
               {now} - (i * 7919) % {two_days}, {now}, 0 FROM s;"
        ))
        .expect("issues");
        from = to + 1;
    }
    let t = if sqlite { "1" } else { "TRUE" };
    let f_ = if sqlite { "0" } else { "FALSE" };
    conn.batch_execute(&format!(
        "INSERT INTO issue_clocks (issue_id, kind, state, calendar, target, started_at, due_at, paused_seconds, \
           breached, steps_fired) \
         SELECT id, 'response', 'running', 'office', '3wd', created_at, created_at + 3 * 86400000000, 0, {f_}, 0 \
         FROM issues WHERE is_open = {t}; \
         INSERT INTO audit_heads (stream, seq, hash, at) SELECT 'issue:' || ref, 1, 'bench', created_at FROM issues;"
    ))
    .expect("clocks");
    if !sqlite {
        conn.batch_execute("ANALYZE").expect("analyze");
    }
    println!(
        "loaded {n} issues with a running office clock in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // A first start records the calendars and moves nothing.
    let first = tanggap::service::calendars::reconcile(&mut conn, &ctx(&base)).expect("first");
    assert!(first.is_empty(), "{first:?}");

    // The revised decree: the next three working days of the office calendar become holidays.
    let office = &base.sla.calendars["office"];
    let today = jiff::Timestamp::now().to_zoned(base.zone.clone()).date();
    let days: Vec<jiff::civil::Date> =
        std::iter::successors(today.tomorrow().ok(), |d| d.tomorrow().ok())
            .filter(|d| office.is_working_day(*d))
            .take(3)
            .collect();
    let list: String = days.iter().fold(String::new(), |mut out, d| {
        use std::fmt::Write as _;
        let _ = writeln!(out, "\"{d}\" = \"Cuti Bersama (revisi)\"");
        out
    });
    let revised = config(
        dir.path(),
        "revised.toml",
        &url,
        &format!(
            "[holidays.revisi]\n{list}[calendars.office]\nholidays = [\"national\", \"revisi\"]\n"
        ),
    );
    let started = Instant::now();
    let moved = tanggap::service::calendars::reconcile(&mut conn, &ctx(&revised)).expect("move");
    let secs = started.elapsed().as_secs_f64();
    let m = moved
        .iter()
        .find(|m| m.calendar == "office")
        .expect("office moved");
    println!(
        "{} of {} issues' clocks moved in {secs:.1} s ({:.0} issues/s), {:?}",
        m.moved,
        m.issues,
        m.moved as f64 / secs,
        m.change.reason()
    );
    let events = common::count(
        &mut conn,
        "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'clock.retargeted'",
    );
    assert_eq!(
        usize::try_from(events).unwrap_or(0),
        m.moved,
        "one audited move per issue"
    );
    assert!(
        m.moved * 10 >= m.issues * 9,
        "nearly every clock moves: {m:?}"
    );
    let again = tanggap::service::calendars::reconcile(&mut conn, &ctx(&revised)).expect("again");
    assert!(again.is_empty(), "a second start moves nothing");
    drop(conn);
    if let Some(admin) = admin.as_mut() {
        common::finish_database(admin, db);
    }
}

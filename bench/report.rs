//! Benchmark: the monitoring report over a large database (PostgreSQL).
//!
//! Fills a fresh database with N issues (default 1,000,000) and their response and resolution
//! clocks straight through SQL, then times `GET /reports` as the service computes it, for an
//! administrator and for a leader of one unit, three times each (the first on a cold cache).
//! `--database NAME` measures an existing database instead (not filled, not dropped; its
//! migrations are applied first), such as the million issues `bench_queue` grows through the
//! API and keeps with `BENCH_KEEP=1`: every issue it holds is in the period.
//!
//! ```sh
//! cargo build --release --example bench_report
//! target/release/examples/bench_report --pg postgres://USER:PASS@127.0.0.1:5433/postgres --issues 1000000
//! target/release/examples/bench_report --pg postgres://USER:PASS@127.0.0.1:5433/postgres --database tanggap_bench_queue
//! ```
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::needless_pass_by_value,
    clippy::too_many_lines,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::format_push_string,
    clippy::assigning_clones,
    reason = "benchmark code: a failed step ends the run by design, and figures are printed as floats"
)]

#[path = "common.rs"]
mod common;

use diesel::connection::SimpleConnection;
use std::time::Instant;
use tanggap::config::{self, LoadOptions};
use tanggap::domain::Role;
use tanggap::service::{Actor, Caller, Ctx};

fn main() {
    let f = common::flags(&["pg", "issues", "database"]);
    let pg = common::pg_flag(&f);
    let existing = f.get("database").cloned();
    let db = "tanggap_bench_report";
    let (mut admin, url) = if let Some(name) = &existing {
        (None, common::with_database(&pg, name))
    } else {
        let (admin, url) = common::fresh_database(&pg, db);
        (Some(admin), url)
    };
    let mut conn = tanggap::store::connect(&url).expect("connect");
    let cfg = config::load(&LoadOptions {
        config_dir: "config".into(),
        profile: "default".into(),
        overlay: None,
        use_env: false,
    })
    .expect("config");
    println!("machine: {}", common::machine());
    let t = Instant::now();
    tanggap::app::migrate(&cfg, &mut conn).expect("migrate");
    println!("migrations applied in {:.1}s", t.elapsed().as_secs_f64());
    let (n, from, to) = if let Some(name) = &existing {
        let n = common::count(&mut conn, "SELECT count(*) AS n FROM issues");
        println!("database {name}: {n} issues");
        (n, "2000-01-01", "2099-12-31")
    } else {
        let n: i64 = common::flag(&f, "issues", 1_000_000);
        fill(&mut conn, n);
        // The clocks were written straight to the table, as by a release before the
        // database kept their counted time: the start-up of the new release records it (a
        // one-off upgrade step).
        let t = Instant::now();
        tanggap::app::migrate(&cfg, &mut conn).expect("record counted times");
        println!(
            "upgrade: counted time of the stopped clocks recorded in {:.1}s",
            t.elapsed().as_secs_f64()
        );
        (n, "2026-11-01", "2027-12-31")
    };
    let ctx = |role: Role, unit: Option<&str>, id: i64| Ctx {
        actor: Actor::User(Caller {
            id,
            email: "bench@x.id".into(),
            name: "Bench".into(),
            role,
            unit: unit.map(str::to_owned),
        }),
        now: jiff::Timestamp::now().as_microsecond(),
        request_id: None,
        client_request_id: None,
        sla: cfg.sla.clone(),
    };
    // The stored tallies first, as the job makes them on a running service (`jobs::tallies`).
    let t = Instant::now();
    let mut batches = 0;
    loop {
        let run =
            tanggap::service::report_days::tally_days(&mut conn, &ctx(Role::Admin, None, 1), 31)
                .expect("tally");
        batches += 1;
        if run.left == 0 {
            break;
        }
    }
    println!(
        "report tallies stored: {batches} batches in {:.1}s",
        t.elapsed().as_secs_f64()
    );
    // The grown database's units are U01…; U01 has two sub-units; its PIC is user 2, who filed
    // a third of the issues.
    let pic_id = if existing.is_some() { 2 } else { 1 };
    let leader_unit = if existing.is_some() { "U01" } else { "DINKES" };
    for (who, c) in [
        ("admin, all issues".to_owned(), ctx(Role::Admin, None, 1)),
        (
            format!("leader of {leader_unit} (subtree)"),
            ctx(Role::Leader, Some(leader_unit), 1),
        ),
        (
            format!("PIC of {leader_unit} (subtree and own filings)"),
            ctx(Role::Pic, Some(leader_unit), pic_id),
        ),
    ] {
        for (group, live) in [("unit", false), ("category", false), ("unit", true)] {
            let mut times = Vec::new();
            let mut shown = (0, 0);
            for _ in 0..3 {
                let t = Instant::now();
                let r = tanggap::service::reports::report_counted(
                    &mut conn,
                    &c,
                    Some(from),
                    Some(to),
                    Some(group),
                    live,
                )
                .expect("report");
                times.push(t.elapsed().as_secs_f64());
                let sum: i64 = r.groups.iter().map(|g| g.figures.filed).sum();
                assert_eq!(sum, r.total.filed, "the groups add up to the total");
                if c.actor.role() == Some(Role::Admin) {
                    assert_eq!(
                        r.total.filed, n,
                        "an administrator's report counts every issue"
                    );
                }
                shown = (r.total.filed, r.groups.len());
            }
            let runs: Vec<String> = times.iter().map(|s| format!("{s:.2}")).collect();
            times.sort_by(f64::total_cmp);
            let how = if live {
                ", counted live (no tallies)"
            } else {
                ""
            };
            println!(
                "report group_by={group}{how} as {who}: {} issues, {} groups in {}s (median {:.2}s)",
                shown.0,
                shown.1,
                runs.join(" / "),
                times[1]
            );
        }
    }
    for plan in explain(&mut conn) {
        println!("{plan}");
    }
    drop(conn);
    if let Some(admin) = admin.as_mut() {
        common::finish_database(admin, db);
    }
}

/// Fills `n` issues with two clocks each (three in four stopped) straight through SQL.
fn fill(conn: &mut tanggap::store::Db, n: i64) {
    let t = Instant::now();
    conn.batch_execute(&format!(
        r"
INSERT INTO units (code, name, active, created_at, updated_at) VALUES
  ('DINKES', 'Dinas Kesehatan', TRUE, 0, 0), ('DPUPR', 'Dinas PUPR', TRUE, 0, 0),
  ('BPBD', 'BPBD', TRUE, 0, 0), ('DINSOS', 'Dinas Sosial', TRUE, 0, 0);
INSERT INTO units (code, name, parent, active, created_at, updated_at) VALUES ('PKM_A', 'Puskesmas A', 'DINKES', TRUE, 0, 0);
INSERT INTO users (email, name, role, unit, password_hash, active, created_at, updated_at)
  VALUES ('bench@x.id', 'Bench', 'admin', NULL, 'x', TRUE, 0, 0);
INSERT INTO issues (ref, title, description, category, channel, priority, sensitivity, status, source_urls,
  screenshot_urls, archive_urls, filed_by_id, filed_by, filing_unit, assigned_unit, tags, escalation_level, version,
  urgent_at, is_open, search, created_at, updated_at, clocks_version)
SELECT 'ISU-2026-' || lpad(g::text, 7, '0'), 'Isu ' || g, 'Uraian', (ARRAY['kesehatan','infrastruktur','sosial','bencana'])[1 + g % 4],
  'facebook', (ARRAY['critical','high','medium','low'])[1 + g % 4], 'normal',
  (ARRAY['assigned','responded','resolved','closed'])[1 + g % 4], '[]', '[]', '[]', 1, 'bench@x.id',
  (ARRAY['DINKES','DPUPR','BPBD','DINSOS','PKM_A'])[1 + g % 5], (ARRAY['DINKES','DPUPR','BPBD','DINSOS','PKM_A'])[1 + g % 5], '[]', 0, 1, t, g % 4 < 2, 'isu', t, t, 1
FROM (SELECT g, 1793491200000000::bigint + g::bigint * 4000000 AS t FROM generate_series(1, {n}) g) s;
INSERT INTO issue_clocks (issue_id, kind, state, calendar, target, started_at, due_at, paused_seconds, stopped_at,
  frozen_remaining, breached, steps_fired)
SELECT id, 'response', CASE WHEN id % 3 = 0 THEN 'missed' WHEN id % 3 = 1 THEN 'met' ELSE 'running' END, 'always', '2h',
  created_at, created_at + 7200000000, 0, CASE WHEN id % 3 = 2 THEN NULL ELSE created_at + (id % 10000) * 1000000 END,
  0, id % 3 = 0, 0 FROM issues;
INSERT INTO issue_clocks (issue_id, kind, state, calendar, target, started_at, due_at, paused_seconds, stopped_at,
  frozen_remaining, breached, steps_fired)
SELECT id, 'resolution', CASE WHEN id % 4 >= 2 THEN 'met' ELSE 'running' END, 'office', '3wd',
  created_at, created_at + 259200000000, 0, CASE WHEN id % 4 >= 2 THEN created_at + (id % 50000) * 1000000 END,
  0, FALSE, 0 FROM issues;
ANALYZE;
"
    ))
    .expect("fill");
    common::fill_clock_copies(conn, false);
    eprintln!(
        "filled {n} issues and {} clocks in {:.1}s",
        2 * n,
        t.elapsed().as_secs_f64()
    );
}

/// The plan of the heaviest query of the report (clock figures, whole period, every issue).
fn explain(conn: &mut tanggap::store::Db) -> Vec<String> {
    let scope = tanggap::store::issues::Scope::All;
    let period = tanggap::store::reports::Period {
        scope: &scope,
        from: 0,
        to: i64::MAX,
        column: tanggap::store::reports::GroupColumn::AssignedUnit,
        now: jiff::Timestamp::now().as_microsecond(),
    };
    tanggap::store::snapshot_tx(conn, |conn| {
        tanggap::store::reports::prepare(conn)?;
        tanggap::store::reports::explain_clock_figures(conn, &period)
    })
    .expect("explain")
}

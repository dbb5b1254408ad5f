//! Benchmark: the work queues over a large database.
//!
//! On PostgreSQL the data is grown as real data grows (bench/grow.rs, issue #26): `--seeds`
//! (4,000) issues filed through the API and walked to their states by 16 clients, then copied
//! block after block over three years — each copy inserted new and walked by an `UPDATE` — to
//! N issues (default 1,000,000): 2 % waiting for triage, 2 % assigned, 1 % responded, 0.5 % on
//! hold, the rest resolved or closed; 40 units of very different sizes (a few big agencies,
//! many small ones, ten UPTs under five of them). `--seeds 0`, and SQLite, load synthetic rows
//! straight into the tables instead (two years, 1 % waiting for triage, 5 % open). Then it
//! starts `tanggap serve` with the shipped pool size on it and measures
//! `GET /api/v1/queues/triage?limit=50` (as the TRC) and `GET /api/v1/queues/unit/{code}?limit=50`
//! (as the PIC of the biggest agency, whose subtree holds UPTs) and the console's triage board
//! `GET /triase` (50 cards, HTML, a session cookie) at 16 concurrent clients with its own
//! threads; on PostgreSQL the triage page again with wrk (when installed) and while filings come
//! in through the API at `--filing-rate` per second (20); then prints the plans of the two
//! queries.
//!
//! ```sh
//! cargo build --release --bin tanggap --example bench_queue
//! target/release/examples/bench_queue --pg postgres://USER:PASS@127.0.0.1:5433/postgres --issues 1000000
//! target/release/examples/bench_queue --backend sqlite --issues 1000000
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
#[path = "grow.rs"]
mod grow;

use diesel::connection::SimpleConnection;
use diesel::RunQueryDsl;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

struct Args {
    /// `None` with `--backend sqlite`.
    pg: Option<String>,
    issues: i64,
    clients: usize,
    requests: usize,
    binary: String,
    pool: u32,
    /// PostgreSQL: issues filed through the API and walked, then copied over three years
    /// (bench/grow.rs); 0 loads the synthetic rows straight into the tables instead.
    seeds: usize,
    /// Filings per second through the API while the triage page is measured a second time.
    filing_rate: u32,
}

fn args() -> Args {
    let f = common::flags(&[
        "pg",
        "backend",
        "issues",
        "clients",
        "requests",
        "binary",
        "pool",
        "seeds",
        "filing-rate",
    ]);
    Args {
        pg: common::pg_or_sqlite(&f),
        issues: common::flag(&f, "issues", 1_000_000),
        clients: common::flag(&f, "clients", 16),
        requests: common::flag(&f, "requests", 400),
        binary: common::flag(&f, "binary", "target/release/tanggap".to_owned()),
        // The shipped default (config/default.toml).
        pool: common::flag(&f, "pool", 4),
        seeds: common::flag(&f, "seeds", 4000),
        filing_rate: common::flag(&f, "filing-rate", 20),
    }
}

const PASSWORD: &str = "bench-password-2026";

fn add_user(
    a: &Args,
    overlay: &std::path::Path,
    url: &str,
    email: &str,
    role: &str,
    unit: Option<&str>,
) {
    let mut args = vec![
        "user", "add", "--email", email, "--name", email, "--role", role,
    ];
    if let Some(u) = unit {
        args.extend(["--unit", u]);
    }
    let mut add = Command::new(&a.binary)
        .args(&args)
        .env("TANGGAP_CONFIG", overlay)
        .env("DATABASE_URL", url)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("user add");
    add.stdin
        .take()
        .expect("stdin")
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .expect("password");
    assert!(add.wait().expect("user add").success(), "user add {email}");
}

/// 30 agencies and 10 UPTs under the first five.
fn fill_units(conn: &mut tanggap::store::Db) {
    let mut units = String::from(
        "INSERT INTO units (code, name, parent, email, active, created_at, updated_at) VALUES ",
    );
    for u in 1..=30 {
        units.push_str(&format!(
            "('U{u:02}', 'Dinas {u:02}', NULL, 'u{u:02}@kab.go.id', TRUE, 0, 0), "
        ));
    }
    for u in 31..=40 {
        let parent = (u - 31) % 5 + 1;
        units.push_str(&format!(
            "('U{u:02}', 'UPT {u:02}', 'U{parent:02}', 'u{u:02}@kab.go.id', TRUE, 0, 0){}",
            if u == 40 { ";" } else { ", " }
        ));
    }
    conn.batch_execute(&units).expect("units");
}

/// The numbers `from..=to` with four independent uniform draws each and a filing instant
/// `t` within two years before `now`, as the first CTE of the loader, per backend (SQLite has
/// no `generate_series` in its default build, and its `random()` is a 64-bit integer; its CTEs
/// are materialised so that each draw is made once per row).
fn draws(sqlite: bool, from: i64, to: i64, now: i64, two_years: i64) -> String {
    if sqlite {
        let u = "(random() / 18446744073709551616.0 + 0.5)";
        format!(
            "WITH RECURSIVE s(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM s WHERE i < {to}), \
             g AS MATERIALIZED (SELECT i, {u} AS r1, {u} AS r2, {u} AS r3, {u} AS r4, \
               {now} - CAST({u} * {two_years} AS INTEGER) AS t FROM s)"
        )
    } else {
        format!(
            "WITH g AS (SELECT i, random() AS r1, random() AS r2, random() AS r3, random() AS r4, \
               {now} - (random() * {two_years})::bigint AS t FROM generate_series({from}, {to}) AS i)"
        )
    }
}

/// Fills the issues (and a running clock per open issue) in chunks, each one `INSERT … SELECT`
/// over a range of numbers, filed by user 1.
fn fill_issues(conn: &mut tanggap::store::Db, n: i64, sqlite: bool) {
    let now = jiff::Timestamp::now().as_microsecond();
    let two_years: i64 = 2 * 365 * 86_400 * 1_000_000;
    if !sqlite {
        conn.batch_execute("SELECT setseed(0.42)").expect("seed");
    }
    // The few expressions the two SQL dialects spell differently.
    let (materialized, unit_number, category, channel, hours) = if sqlite {
        (
            "MATERIALIZED ",
            "printf('%02d', 1 + CAST(40 * r2 * r2 AS INTEGER))",
            "CASE i % 6 WHEN 0 THEN 'kesehatan' WHEN 1 THEN 'infrastruktur' WHEN 2 THEN 'sosial' \
             WHEN 3 THEN 'bencana' WHEN 4 THEN 'pendidikan' ELSE 'hoaks_disinformasi' END",
            "CASE i % 6 WHEN 0 THEN 'facebook' WHEN 1 THEN 'instagram' WHEN 2 THEN 'x' \
             WHEN 3 THEN 'tiktok' WHEN 4 THEN 'whatsapp' ELSE 'media_online' END",
            "3600000000",
        )
    } else {
        (
            "",
            "lpad((1 + floor(40 * r2 * r2))::int::text, 2, '0')",
            "(ARRAY['kesehatan','infrastruktur','sosial','bencana','pendidikan','hoaks_disinformasi'])[1 + (i % 6)]",
            "(ARRAY['facebook','instagram','x','tiktok','whatsapp','media_online'])[1 + (i % 6)]",
            "3600000000::bigint",
        )
    };
    let bar = indicatif::ProgressBar::new(u64::try_from(n).unwrap_or(0));
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} issues {per_sec} {eta}")
            .expect("style"),
    );
    let chunk = 50_000;
    let mut from = 1;
    while from <= n {
        let to = (from + chunk - 1).min(n);
        // r1..r4: independent uniform draws per issue.
        let g = draws(sqlite, from, to, now, two_years);
        conn.batch_execute(&format!(
            r"
{g}, d AS {materialized}(
  SELECT i, t, r3, r4,
    CASE WHEN r1 < 0.01 THEN 'new' WHEN r1 < 0.03 THEN 'assigned' WHEN r1 < 0.05 THEN 'responded'
         WHEN r1 < 0.055 THEN 'on_hold' WHEN r1 < 0.10 THEN 'resolved' WHEN r1 < 0.97 THEN 'closed'
         WHEN r1 < 0.99 THEN 'rejected' ELSE 'duplicate' END AS status,
    'U' || {unit_number} AS unit,
    CASE WHEN r3 < 0.05 THEN 'critical' WHEN r3 < 0.25 THEN 'high' WHEN r3 < 0.75 THEN 'medium' ELSE 'low' END AS priority
  FROM g
)
INSERT INTO issues (ref, title, description, category, channel, priority, sensitivity, status, source_urls,
  screenshot_urls, archive_urls, filed_by_id, filed_by, filing_unit, assigned_unit, tags, escalation_level, version,
  urgent_at, is_open, search, created_at, updated_at, clocks_version)
SELECT 'ISU-B-' || i, 'Isu ' || i, 'Uraian isu nomor ' || i,
  {category},
  {channel},
  priority, CASE WHEN r4 < 0.03 THEN 'restricted' ELSE 'normal' END, status, '[]', '[]', '[]', 1, 'bench',
  unit, CASE WHEN status = 'new' THEN NULL ELSE unit END, '[]', 0, 1,
  CASE WHEN status = 'on_hold' THEN 4000000000000000000 + t
       WHEN status IN ('new', 'assigned', 'responded')
         THEN t + (CASE priority WHEN 'critical' THEN 2 WHEN 'high' THEN 8 WHEN 'medium' THEN 24 ELSE 72 END) * {hours}
       ELSE 3000000000000000000 + t END,
  status IN ('new', 'assigned', 'responded', 'on_hold'), 'isu ' || i, t, t, 1
FROM d;
"
        ))
        .expect("issues");
        bar.inc(u64::try_from(to - from + 1).unwrap_or(0));
        from = to + 1;
    }
    bar.finish();
    conn.batch_execute(
        "INSERT INTO issue_clocks (issue_id, kind, state, calendar, target, started_at, due_at, paused_seconds, \
           breached, steps_fired) \
         SELECT id, CASE WHEN status = 'new' THEN 'triage' ELSE 'response' END, \
           CASE WHEN status = 'on_hold' THEN 'paused' ELSE 'running' END, \
           CASE WHEN priority = 'critical' THEN 'always' ELSE 'office' END, \
           CASE WHEN status = 'new' THEN (CASE priority WHEN 'critical' THEN '30m' WHEN 'high' THEN '2h' \
             WHEN 'medium' THEN '4h' ELSE '1wd' END) \
           ELSE (CASE priority WHEN 'critical' THEN '2h' WHEN 'high' THEN '1wd' WHEN 'medium' THEN '3wd' \
             ELSE '5wd' END) END, created_at, \
           CASE WHEN status = 'on_hold' THEN created_at + 28800000000 ELSE urgent_at END, 0, FALSE, 0 \
         FROM issues WHERE is_open; ANALYZE;",
    )
    .expect("clocks");
    common::fill_clock_copies(conn, sqlite);
}

/// `EXPLAIN ANALYZE` of the queue queries as the service issues them (`store::issues::list`
/// with the queue's filters and `ORDER BY urgent_at, id LIMIT 51`).
fn plans(conn: &mut tanggap::store::Db, subtree: &[&str], sqlite: bool) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Line {
        #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
        line: String,
    }
    /// A step of SQLite's `EXPLAIN QUERY PLAN`.
    #[derive(diesel::QueryableByName)]
    struct Step {
        #[diesel(sql_type = diesel::sql_types::Text)]
        detail: String,
    }
    let list = subtree
        .iter()
        .map(|u| format!("'{u}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let pic_unit = subtree[0];
    let mut out = Vec::new();
    for (label, sql) in [
        (
            "triage queue",
            "SELECT * FROM issues WHERE status IN ('new') ORDER BY urgent_at ASC, id ASC LIMIT 51".to_owned(),
        ),
        (
            "unit queue, the part of one unit (PIC of the unit: its subtree, restricted ones assigned to the unit); \
             the service reads each unit of the subtree so and merges",
            format!(
                "SELECT * FROM issues WHERE ((sensitivity = 'normal' AND (filing_unit IN ({list}) OR assigned_unit IN ({list}) \
                 OR filed_by_id = 2)) OR (sensitivity = 'restricted' AND (filed_by_id = 2 OR assigned_unit = '{pic_unit}'))) \
                 AND is_open = TRUE AND assigned_unit = '{pic_unit}' ORDER BY urgent_at ASC, id ASC LIMIT 51"
            ),
        ),
    ] {
        out.push(format!("-- {label}"));
        if sqlite {
            let steps: Vec<Step> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
                .load(conn)
                .expect("explain");
            out.extend(steps.into_iter().map(|l| l.detail));
        } else {
            let lines: Vec<Line> = diesel::sql_query(format!("EXPLAIN ANALYZE {sql}"))
                .load(conn)
                .expect("explain");
            out.extend(lines.into_iter().map(|l| l.line));
        }
    }
    out
}

/// `clients` threads, `requests` GETs each; latencies in ms, sorted.
/// How a request proves who it is: a bearer token (the API) or a session cookie (the console).
#[derive(Clone)]
enum Who {
    Bearer(String),
    Cookie(String),
}

impl Who {
    fn header(&self) -> (&'static str, String) {
        match self {
            Who::Bearer(t) => ("Authorization", format!("Bearer {t}")),
            Who::Cookie(c) => ("Cookie", c.clone()),
        }
    }

    /// What a good answer holds: a page of issues, or the board with its cards (a redirect to
    /// the login page would not).
    fn holds(&self) -> &'static str {
        match self {
            Who::Bearer(_) => "{\"items\":[{",
            Who::Cookie(_) => "<li class=\"card\">",
        }
    }
}

/// Signs in through the console's login form and answers the session cookie.
fn console_login(port: u16, email: &str, password: &str) -> String {
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let base = format!("http://127.0.0.1:{port}");
    let form = agent
        .get(&format!("{base}/masuk"))
        .call()
        .expect("login form");
    let login_cookie = form
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("login cookie")
        .to_owned();
    let html = form.into_string().expect("html");
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("csrf") + marker.len();
    let csrf = html[start..]
        .split('"')
        .next()
        .expect("csrf value")
        .to_owned();
    let res = match agent
        .post(&format!("{base}/masuk"))
        .set("Cookie", &login_cookie)
        .send_form(&[
            ("csrf", &csrf),
            ("email", email),
            ("password", password),
            ("next", "/triase"),
        ]) {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("console login: {e}"),
    };
    res.all("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("tanggap_sesi="))
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_owned()
}

/// A load's line: requests, clients, rate and the latencies (sorted, ms).
fn latencies(lat: &[f64], rate: f64, clients: usize) -> String {
    format!(
        "{} requests at {clients} clients, {rate:.0}/s, latency ms p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        lat.len(),
        common::percentile(lat, 0.5),
        common::percentile(lat, 0.9),
        common::percentile(lat, 0.99),
        lat.last().copied().unwrap_or(f64::NAN)
    )
}

fn load(port: u16, path: &str, who: &Who, clients: usize, requests: usize) -> (Vec<f64>, f64) {
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let url = format!("http://127.0.0.1:{port}{path}");
            let (name, auth) = who.header();
            let holds = who.holds();
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new().build();
                let mut lat = Vec::with_capacity(requests);
                for _ in 0..requests {
                    let t = Instant::now();
                    let r = agent.get(&url).set(name, &auth).call().expect("GET");
                    let body = r.into_string().expect("body");
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
                    // A page, not parsed (the load generator shares the CPU with the server).
                    assert!(body.contains(holds), "{body}");
                }
                lat
            })
        })
        .collect();
    let mut all: Vec<f64> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("client"))
        .collect();
    let secs = started.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    let rate = all.len() as f64 / secs;
    (all, rate)
}

/// The issues by state, in per cent.
fn states(conn: &mut tanggap::store::Db) -> String {
    #[derive(diesel::QueryableByName)]
    struct S {
        #[diesel(sql_type = diesel::sql_types::Text)]
        status: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let rows: Vec<S> = diesel::sql_query(
        "SELECT status, count(*) AS n FROM issues GROUP BY status ORDER BY count(*) DESC",
    )
    .load(conn)
    .expect("states");
    let total: i64 = rows.iter().map(|r| r.n).sum::<i64>().max(1);
    let parts: Vec<String> = rows
        .iter()
        .map(|r| format!("{} {:.1} %", r.status, 100.0 * r.n as f64 / total as f64))
        .collect();
    format!("states: {}", parts.join(", "))
}

/// `path` under wrk for 20 s (two threads, `clients` connections): its latency line, or
/// `None` when wrk is not installed.
fn wrk_page(port: u16, path: &str, who: &Who, clients: usize) -> Option<String> {
    let (name, value) = who.header();
    let out = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{clients}"),
            "-d20s",
            "--latency",
            "-H",
            &format!("{name}: {value}"),
            &format!("http://127.0.0.1:{port}{path}"),
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("Non-2xx") && !text.contains("Socket errors"),
        "wrk saw errors: {text}"
    );
    let pick = |label: &str| -> String {
        text.lines()
            .find(|l| l.trim_start().starts_with(label))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("?")
            .to_owned()
    };
    Some(format!(
        "{} pages/s, p50 {}  p90 {}  p99 {}",
        pick("Requests/sec:"),
        pick("50%"),
        pick("90%"),
        pick("99%")
    ))
}

/// Files issues through the API at about `rate` per second until `stop`; answers how many.
fn filings(
    port: u16,
    who: &Who,
    rate: u32,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<usize> {
    let (name, value) = who.header();
    std::thread::spawn(move || {
        let agent = ureq::AgentBuilder::new().build();
        let url = format!("http://127.0.0.1:{port}/api/v1/issues");
        let gap = std::time::Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
        let started = Instant::now();
        let mut n = 0usize;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            let body = serde_json::json!({
                "title": format!("Jalan rusak di Desa Sungup, laporan {n}"),
                "description": "Warga mengeluhkan jalan rusak parah di Desa Sungup, Kecamatan Pulau Laut Utara.",
                "category": "infrastruktur",
                "channel": "facebook",
                "source_urls": [format!("https://facebook.com/groups/kotabaru/posts/q{n}")],
            });
            let r = agent
                .post(&url)
                .set(name, &value)
                .send_json(body)
                .expect("file");
            assert_eq!(r.status(), 201);
            n += 1;
            // Paced: the n-th filing is not sent before n / rate seconds.
            if let Some(wait) =
                (gap * u32::try_from(n).unwrap_or(u32::MAX)).checked_sub(started.elapsed())
            {
                std::thread::sleep(wait);
            }
        }
        n
    })
}

fn main() {
    let a = args();
    println!("machine: {}", common::machine());
    let db = "tanggap_bench_queue";
    // BENCH_REUSE=1: measure again on the database a run with BENCH_KEEP=1 left (SQLite: the
    // file target/bench_queue.sqlite).
    let reuse = std::env::var("BENCH_REUSE").is_ok();
    let keep = std::env::var("BENCH_KEEP").is_ok();
    let dir = tempfile::tempdir().expect("dir");
    let sqlite_file = if keep || reuse {
        std::path::PathBuf::from("target/bench_queue.sqlite")
    } else {
        dir.path().join("bench_queue.sqlite")
    };
    let sqlite = a.pg.is_none();
    let (mut admin, url) = match &a.pg {
        None => {
            if !reuse {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", sqlite_file.display()));
                }
            }
            (None, common::sqlite_url(&sqlite_file))
        }
        Some(pg) if reuse => (
            Some(tanggap::store::connect(pg).expect("connect")),
            common::with_database(pg, db),
        ),
        Some(pg) => {
            let (admin, url) = common::fresh_database(pg, db);
            (Some(admin), url)
        }
    };
    println!(
        "backend: {}, pool of {} connections",
        if sqlite { "SQLite" } else { "PostgreSQL" },
        a.pool
    );
    let overlay = dir.path().join("bench.toml");
    std::fs::write(
        &overlay,
        format!(
            "[demo]\nseed = false\n[database]\npool_size = {}\n[log]\nlevel = \"warn\"\n[mail]\nfile_dir = \"{}\"\n",
            a.pool,
            dir.path().join("mail").display()
        ),
    )
    .expect("overlay");
    let mut conn = tanggap::store::connect(&url).expect("connect");
    tanggap::store::migrate(&mut conn).expect("migrate");
    if !reuse {
        fill_units(&mut conn);
        add_user(&a, &overlay, &url, "trc@bench.id", "trc", None);
        add_user(&a, &overlay, &url, "pic@bench.id", "pic", Some("U01"));
        let t = Instant::now();
        if sqlite || a.seeds == 0 {
            fill_issues(&mut conn, a.issues, sqlite);
        } else {
            let port = common::free_port();
            let server = common::start(&a.binary, &overlay, &url, port);
            common::wait_ready(port);
            let trc = common::login(port, "trc@bench.id", PASSWORD);
            let pic = common::login(port, "pic@bench.id", PASSWORD);
            let requests = grow::seed(port, &trc, &pic, a.seeds);
            println!(
                "seeded {} issues through the API ({requests} requests: filings and their walks) in {:.1}s",
                a.seeds,
                t.elapsed().as_secs_f64()
            );
            drop(server);
            grow::copy(&mut conn, a.issues);
        }
        println!(
            "loaded {} issues in {:.1}s",
            common::count(&mut conn, "SELECT count(*) AS n FROM issues"),
            t.elapsed().as_secs_f64()
        );
        println!("{}", states(&mut conn));
    }
    let port = common::free_port();
    let server = common::start(&a.binary, &overlay, &url, port);
    common::wait_ready(port);
    let trc = Who::Bearer(common::login(port, "trc@bench.id", PASSWORD));
    let pic = Who::Bearer(common::login(port, "pic@bench.id", PASSWORD));
    let board = Who::Cookie(console_login(port, "trc@bench.id", PASSWORD));
    for (label, path, who) in [
        ("triage queue (TRC)", "/api/v1/queues/triage?limit=50", &trc),
        (
            "unit queue U01 + 2 UPTs (PIC of U01)",
            "/api/v1/queues/unit/U01?limit=50",
            &pic,
        ),
        ("console triage board, 50 cards (TRC)", "/triase", &board),
    ] {
        load(port, path, who, a.clients, a.requests / 10); // warm-up
        let before = common::cpu_ticks(server.id());
        let (lat, rate) = load(port, path, who, a.clients, a.requests);
        let after = common::cpu_ticks(server.id());
        println!("{label}: {}", latencies(&lat, rate, a.clients));
        println!(
            "  {}",
            common::cpu_per_request(before, after, lat.len(), lat.len() as f64 / rate)
        );
    }
    if !sqlite {
        // The same page from an external load generator, then while filings come in.
        if let Some(line) = wrk_page(port, "/api/v1/queues/triage?limit=50", &trc, a.clients) {
            println!("wrk, triage queue (TRC), {} connections: {line}", a.clients);
        }
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let filer = filings(port, &pic, a.filing_rate, stop.clone());
        let (lat, rate) = load(
            port,
            "/api/v1/queues/triage?limit=50",
            &trc,
            a.clients,
            a.requests,
        );
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let filed = filer.join().expect("filer");
        println!(
            "triage queue (TRC) while {filed} filings came in ({} /s asked): {}",
            a.filing_rate,
            latencies(&lat, rate, a.clients)
        );
    }
    for line in plans(&mut conn, &["U01", "U31", "U36"], sqlite) {
        println!("{line}");
    }
    drop(server);
    drop(conn);
    if let Some(admin) = admin.as_mut() {
        common::finish_database(admin, db);
    }
}

//! Benchmark: breach → email handed to the SMTP server, with two instances on one PostgreSQL
//! (or, with `--backend sqlite`, the one instance SQLite allows).
//!
//! Files N issues through the API, then moves their triage clocks so that all N come due
//! within one second, and measures, for each, the time from its due instant to the moment a
//! loopback SMTP server accepted its escalation email; counts duplicates and losses. On
//! PostgreSQL the instances hear of the moved clocks by `NOTIFY`; SQLite has no way to tell a
//! running instance, so its instance is stopped while the clocks move and started again.
//!
//! ```sh
//! cargo build --release --bin tanggap --example bench_escalation
//! target/release/examples/bench_escalation --pg postgres://USER:PASS@127.0.0.1:5432/postgres --issues 10000
//! target/release/examples/bench_escalation --backend sqlite --issues 10000
//! # a relay 5 ms away (each reply waits that long), to see what the SMTP round trips cost
//! target/release/examples/bench_escalation --pg postgres://USER:PASS@127.0.0.1:5432/postgres --relay-rtt-ms 5
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
use diesel::prelude::*;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Args {
    /// `None` with `--backend sqlite`.
    pg: Option<String>,
    issues: usize,
    clients: usize,
    binary: String,
    /// Each instance's `database.pool_size`; 0 (the default) keeps the shipped configuration's.
    pool: usize,
    /// With N > 0, the issues are spread over N units and the step mails each unit's head
    /// (what a real ladder does: the recipients are looked up per step); with 0, one address.
    units: usize,
    /// The relay's round-trip time, as if it stood across a network: the sink waits this long
    /// before each reply it sends (0: loopback).
    rtt: Duration,
}

fn args() -> Args {
    let f = common::flags(&[
        "pg",
        "backend",
        "issues",
        "clients",
        "binary",
        "pool",
        "units",
        "relay-rtt-ms",
    ]);
    Args {
        pg: common::pg_or_sqlite(&f),
        issues: common::flag(&f, "issues", 10_000),
        clients: common::flag(&f, "clients", 16),
        binary: common::flag(&f, "binary", "target/release/tanggap".to_owned()),
        pool: common::flag(&f, "pool", 0),
        units: common::flag(&f, "units", 0),
        rtt: Duration::from_millis(common::flag(&f, "relay-rtt-ms", 0)),
    }
}

/// (subject, arrival) of every accepted message.
type Inbox = Arc<Mutex<Vec<(String, jiff::Timestamp)>>>;

fn sink(rtt: Duration) -> (u16, Inbox) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let inbox: Inbox = Arc::default();
    let i = inbox.clone();
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            let i = i.clone();
            std::thread::spawn(move || {
                let _ = session(s, &i, rtt);
            });
        }
    });
    (port, inbox)
}

/// Writes a reply, sent (after the round trip's time) unless more commands are already
/// waiting.
fn reply(
    w: &mut std::io::BufWriter<TcpStream>,
    r: &BufReader<TcpStream>,
    text: &[u8],
    rtt: Duration,
) -> std::io::Result<()> {
    w.write_all(text)?;
    if r.buffer().is_empty() {
        if !rtt.is_zero() {
            std::thread::sleep(rtt);
        }
        w.flush()?;
    }
    Ok(())
}

/// One SMTP session, as a relay like Postfix answers it: `PIPELINING` offered, and replies
/// written out once no more commands are waiting (a pipelined group gets its replies in one
/// write).
fn session(stream: TcpStream, inbox: &Inbox, rtt: Duration) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::new(stream.try_clone()?);
    let mut r = BufReader::new(stream);
    reply(&mut w, &r, b"220 bench\r\n", rtt)?;
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let up = line.to_ascii_uppercase();
        if up.starts_with("EHLO") {
            reply(
                &mut w,
                &r,
                b"250-bench\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
                rtt,
            )?;
        } else if up.starts_with("DATA") {
            reply(&mut w, &r, b"354 go\r\n", rtt)?;
            let mut subject = String::new();
            loop {
                line.clear();
                if r.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
                if subject.is_empty() && line.to_ascii_lowercase().starts_with("subject:") {
                    subject = line[8..].trim().to_owned();
                }
            }
            inbox
                .lock()
                .expect("inbox")
                .push((subject, jiff::Timestamp::now()));
            reply(&mut w, &r, b"250 OK\r\n", rtt)?;
        } else if up.starts_with("QUIT") {
            reply(&mut w, &r, b"221 bye\r\n", rtt)?;
            return Ok(());
        } else {
            reply(&mut w, &r, b"250 OK\r\n", rtt)?;
        }
    }
}

/// PostgreSQL's current write-ahead log position, and the bytes written since `since` (`None`
/// on SQLite).
fn wal(conn: &mut tanggap::store::Db, since: Option<&str>) -> Option<(String, i64)> {
    #[derive(QueryableByName)]
    struct Wal {
        #[diesel(sql_type = diesel::sql_types::Text)]
        lsn: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        bytes: i64,
    }
    match conn {
        tanggap::store::Db::Pg(pg) => {
            let w: Wal = diesel::sql_query(
                "SELECT pg_current_wal_lsn()::text AS lsn, \
                 COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn), 0)::bigint AS bytes",
            )
            .bind::<diesel::sql_types::Nullable<diesel::sql_types::Text>, _>(since)
            .get_result(pg)
            .expect("wal position");
            Some((w.lsn, w.bytes))
        }
        tanggap::store::Db::Sqlite(_) => None,
    }
}

/// Prints the p50, p90, p99 and max of `ms` (milliseconds), sorting it.
fn print_spread(name: &str, ms: &mut [f64]) {
    ms.sort_by(f64::total_cmp);
    println!(
        "{name} (ms): p50 {:.0}  p90 {:.0}  p99 {:.0}  max {:.0}",
        common::percentile(ms, 0.5),
        common::percentile(ms, 0.9),
        common::percentile(ms, 0.99),
        ms.last().copied().unwrap_or(f64::NAN)
    );
}

fn main() {
    println!("machine: {}", common::machine());
    let a = args();
    let (smtp_port, inbox) = sink(a.rtt);
    if !a.rtt.is_zero() {
        println!("relay round trip: {} ms", a.rtt.as_millis());
    }
    let db = "tanggap_bench_escalation";
    let dir = tempfile::tempdir().expect("dir");
    let sqlite = a.pg.is_none();
    assert!(a.units == 0 || !sqlite, "--units needs PostgreSQL");
    let (mut admin, url) = match &a.pg {
        None => (None, common::sqlite_url(&dir.path().join("bench.db"))),
        Some(pg) => {
            let (admin, url) = common::fresh_database(pg, db);
            (Some(admin), url)
        }
    };
    println!(
        "backend: {}; pool: {}",
        if sqlite {
            "SQLite, one instance"
        } else {
            "PostgreSQL, two instances"
        },
        if a.pool > 0 {
            format!("{} connections per instance", a.pool)
        } else {
            "the shipped configuration's size".to_owned()
        }
    );
    let overlay = dir.path().join("bench.toml");
    std::fs::write(
        &overlay,
        format!(
            r#"[demo]
seed = false
{pool}[log]
level = "warn"
[mail]
transport = "smtp"
retry_base = "1s"
[mail.smtp]
host = "127.0.0.1"
port = {smtp_port}
tls = "none"
[sla.priority.critical]
calendar = "always"
triage = "1h"
response = "2h"
resolution = "1d"
[escalation.triage]
steps = [{{ at = "100%", notify = [{notify}] }}]
"#,
            pool = common::pool_section(a.pool),
            notify = if a.units > 0 {
                r#""unit_head""#
            } else {
                r#""bench@localhost""#
            }
        ),
    )
    .expect("overlay");
    // A user to file with.
    let mut add = Command::new(&a.binary)
        .args([
            "user",
            "add",
            "--email",
            "bench@kotabarukab.go.id",
            "--name",
            "Bench",
            "--role",
            "trc",
        ])
        .env("TANGGAP_CONFIG", &overlay)
        .env("DATABASE_URL", &url)
        .stdin(Stdio::piped())
        .spawn()
        .expect("user add");
    add.stdin
        .take()
        .expect("stdin")
        .write_all(b"bench-password-2026\n")
        .expect("password");
    assert!(add.wait().expect("user add").success());
    // An experiment's schema change, tried before it is written as a migration.
    if let Ok(sql) = std::env::var("BENCH_SQL") {
        let mut c = tanggap::store::connect(&url).expect("connect");
        c.batch_execute(&sql).expect("BENCH_SQL");
        println!("BENCH_SQL applied: {sql}");
    }

    let ports: Vec<u16> = (0..if sqlite { 1 } else { 2 })
        .map(|_| common::free_port())
        .collect();
    let start_all = || -> Vec<common::Instance> {
        let started = ports
            .iter()
            .map(|p| common::start(&a.binary, &overlay, &url, *p))
            .collect();
        for p in &ports {
            common::wait_ready(*p);
        }
        started
    };
    let mut instances = start_all();
    let token = common::login(ports[0], "bench@kotabarukab.go.id", "bench-password-2026");

    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let threads: Vec<_> = (0..a.clients)
        .map(|c| {
            let (next, token, n) = (next.clone(), token.clone(), a.issues);
            let port = ports[c % ports.len()];
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new().build();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    agent
                        .post(&format!("http://127.0.0.1:{port}/api/v1/issues"))
                        .set("Authorization", &format!("Bearer {token}"))
                        .send_json(ureq::json!({
                            "title": format!("Bench {i}"), "description": "Benchmark", "category": "sosial",
                            "channel": "langsung", "priority": "critical"
                        }))
                        .expect("file");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("client");
    }
    let filing = started.elapsed();
    eprintln!(
        "filed {} issues in {:.1}s ({:.0}/s)",
        a.issues,
        filing.as_secs_f64(),
        a.issues as f64 / filing.as_secs_f64()
    );

    // All triage clocks come due within one second, starting 3 s from now.
    if sqlite {
        instances.clear(); // stopped
    }
    let t0 = jiff::Timestamp::now().as_microsecond() + 3_000_000;
    let mut conn = tanggap::store::connect(&url).expect("connect");
    if a.units > 0 {
        let mut sql = String::from("BEGIN;");
        for u in 0..a.units {
            sql.push_str(&format!(
                "INSERT INTO units (code, name, head_email, active, created_at, updated_at) \
                 VALUES ('B{u:03}', 'Unit {u}', 'head.b{u:03}@localhost', TRUE, 0, 0);"
            ));
        }
        sql.push_str(&format!(
            "UPDATE issues SET assigned_unit = 'B' || lpad((id % {})::text, 3, '0'); COMMIT;",
            a.units
        ));
        conn.batch_execute(&sql).expect("units");
    }
    conn.batch_execute(&format!(
        "UPDATE issue_clocks SET due_at = {t0} + (id % 1000) * 1000, next_event_at = {t0} + (id % 1000) * 1000 WHERE kind = 'triage';{}",
        if sqlite { "" } else { " NOTIFY tanggap_timers;" }
    ))
    .expect("move clocks");
    if sqlite {
        instances = start_all();
    }
    // The write-ahead log the burst writes (PostgreSQL), from after the clocks moved, and the
    // CPU it takes: the instances' and the whole machine's (less noisy than the latencies).
    let wal_from = wal(&mut conn, None).map(|(lsn, _)| lsn);
    let ticks = |instances: &[common::Instance]| -> (u64, common::CpuTicks) {
        let all = common::cpu_ticks(std::process::id());
        let service = instances
            .iter()
            .map(|i| common::cpu_ticks(i.id()).process)
            .sum();
        (service, all)
    };
    let cpu_from = ticks(&instances);
    let burst_start = Instant::now();
    use tanggap::store::schema::{issue_clocks, issues};
    let due: HashMap<String, i64> = issues::table
        .inner_join(issue_clocks::table.on(issue_clocks::issue_id.eq(issues::id)))
        .filter(issue_clocks::kind.eq("triage"))
        .select((issues::ref_, issue_clocks::due_at))
        .load::<(String, i64)>(&mut conn)
        .expect("due instants")
        .into_iter()
        .collect();

    let deadline = Instant::now() + Duration::from_secs(120);
    while inbox.lock().expect("inbox").len() < a.issues && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let (cpu_to, burst) = (ticks(&instances), burst_start.elapsed());
    std::thread::sleep(Duration::from_secs(2)); // late duplicates, if any, would arrive now
    println!(
        "CPU over the burst ({:.1} s, until the last email): instances {:.2} s, whole machine {:.2} s busy ({:.0} µs per breach), {:.2} s stolen",
        burst.as_secs_f64(),
        (cpu_to.0 - cpu_from.0) as f64 / 100.0,
        (cpu_to.1.machine_busy - cpu_from.1.machine_busy) as f64 / 100.0,
        (cpu_to.1.machine_busy - cpu_from.1.machine_busy) as f64 * 10_000.0 / a.issues as f64,
        (cpu_to.1.machine_steal - cpu_from.1.machine_steal) as f64 / 100.0,
    );
    let got = inbox.lock().expect("inbox").clone();
    if let Some(from) = &wal_from {
        if let Some((to, bytes)) = wal(&mut conn, Some(from)) {
            println!(
                "write-ahead log over the burst ({from} .. {to}): {:.1} MB ({:.0} bytes per breach)",
                bytes as f64 / 1e6,
                bytes as f64 / a.issues as f64
            );
        }
    }
    let mut per_ref: HashMap<String, Vec<jiff::Timestamp>> = HashMap::new();
    for (subject, at) in &got {
        if let Some(r) = subject.split_whitespace().find(|w| w.starts_with("ISU-")) {
            per_ref.entry(r.to_owned()).or_default().push(*at);
        }
    }
    let duplicates: usize = per_ref.values().map(|v| v.len().saturating_sub(1)).sum();
    let losses = a.issues.saturating_sub(per_ref.len());
    let mut lat: Vec<f64> = per_ref
        .iter()
        .filter_map(|(r, ats)| {
            let d = due.get(r)?;
            Some((ats[0].as_microsecond() - d) as f64 / 1000.0)
        })
        .collect();
    println!(
        "breaches: {}  delivered: {}  duplicates: {duplicates}  losses: {losses}",
        a.issues,
        per_ref.len()
    );
    print_spread("latency due -> SMTP accepted", &mut lat);
    // Where the time went: the timer's firing (the outbox row's creation, at the firing
    // transaction's instant) and the relay's acceptance as the sender recorded it (`sent_at`),
    // each from the due instant.
    let stages: Vec<(String, i64, Option<i64>)> = {
        use tanggap::store::schema::outbox;
        outbox::table
            .inner_join(issues::table.on(outbox::issue_id.eq(issues::id.nullable())))
            .filter(outbox::kind.eq("escalation"))
            .select((issues::ref_, outbox::created_at, outbox::sent_at))
            .load(&mut conn)
            .expect("outbox stages")
    };
    let mut fired = Vec::new();
    let mut sent = Vec::new();
    for (r, created, at) in &stages {
        let Some(d) = due.get(r) else { continue };
        fired.push((created - d) as f64 / 1000.0);
        if let Some(at) = at {
            sent.push((at - d) as f64 / 1000.0);
        }
    }
    print_spread("due -> fired", &mut fired);
    print_spread("due -> recorded sent", &mut sent);
    drop(conn);
    drop(instances);
    if let Some(admin) = admin.as_mut() {
        common::finish_database(admin, db);
    }
    if duplicates > 0 || losses > 0 {
        eprintln!("FAILED: every breach must be mailed exactly once");
        std::process::exit(1);
    }
}

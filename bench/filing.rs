//! Benchmark: filing throughput against what PostgreSQL itself can do.
//!
//! Starts `tanggap serve` (demo data: units, users, routing rules) on a fresh PostgreSQL
//! database and has 16 clients file issues through `POST /api/v1/issues` for a while (real JWT,
//! a realistic body, an `Idempotency-Key` each); then runs `pgbench` with the same 16 clients
//! for as long on the same database, with `bench/filing.pgbench` — the statements of one filing
//! transaction as the service sends them — and repeats the pair for `--rounds` (3). Prints
//! both rates and their ratio per round, the median ratio, and the same HTTP figure on SQLite
//! beside them.
//!
//! ```sh
//! cargo build --release --bin tanggap --example bench_filing
//! target/release/examples/bench_filing --pg postgres://USER:PASS@127.0.0.1:5433/postgres --seconds 20 --rounds 3
//! ```
//!
//! The load generator is wrk (`bench/filing.lua`, two threads) unless `--load own` asks for
//! this program's own threads.
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
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Args {
    pg: String,
    seconds: u64,
    rounds: usize,
    clients: usize,
    binary: String,
    /// `wrk` (the default: an external load generator, from Debian's packages) or `own` (this
    /// program's threads; what bench/smoke uses, so that CI needs no wrk).
    load: String,
    /// `database.pool_size` of the instance; 0 (the default) keeps the shipped configuration's.
    pool: usize,
}

fn args() -> Args {
    let f = common::flags(&[
        "pg", "seconds", "rounds", "clients", "binary", "load", "pool",
    ]);
    Args {
        pg: common::pg_flag(&f),
        seconds: common::flag(&f, "seconds", 20),
        rounds: common::flag(&f, "rounds", 3),
        clients: common::flag(&f, "clients", 16),
        binary: common::flag(&f, "binary", "target/release/tanggap".to_owned()),
        load: common::flag(&f, "load", "wrk".to_owned()),
        pool: common::flag(&f, "pool", 0),
    }
}

fn body(n: usize) -> serde_json::Value {
    serde_json::json!({
        "title": format!("Jalan rusak di Desa Sungup ({n})"),
        "description": "Warga mengeluhkan jalan rusak parah di Desa Sungup, Kecamatan Pulau Laut Utara, viral di Facebook.",
        "category": "infrastruktur",
        "channel": "facebook",
        "priority": "high",
        "source_urls": [format!("https://facebook.com/groups/kotabaru/posts/{n}")],
        "tags": ["jalan", "viral"],
    })
}

/// The number of the next filing: its `Idempotency-Key` and title, never used twice in a run
/// (a repeated key would be answered as a replay, not filed).
static NEXT: AtomicUsize = AtomicUsize::new(0);

/// Files for `seconds` with `clients` threads; answers (filings acknowledged, per second, latencies).
fn file_for(port: u16, token: &str, clients: usize, seconds: u64) -> (usize, f64, Vec<f64>) {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let stop = stop.clone();
            let (url, auth) = (
                format!("http://127.0.0.1:{port}/api/v1/issues"),
                format!("Bearer {token}"),
            );
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new().build();
                let mut lat = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let n = NEXT.fetch_add(1, Ordering::Relaxed);
                    let t = Instant::now();
                    let r = agent
                        .post(&url)
                        .set("Authorization", &auth)
                        .set("Idempotency-Key", &format!("bench-{n}"))
                        .send_json(body(n))
                        .expect("POST /issues");
                    assert_eq!(r.status(), 201);
                    assert_eq!(
                        r.header("Idempotent-Replayed"),
                        None,
                        "a replay, not a filing"
                    );
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                lat
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    let mut lat: Vec<f64> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("client"))
        .collect();
    let secs = started.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    (lat.len(), lat.len() as f64 / secs, lat)
}

/// Files for `seconds` with wrk (`bench/filing.lua`, two threads, `clients` connections): the
/// filings acknowledged, per second, and the latency p50/p99 in ms as wrk measured them.
fn wrk_for(port: u16, token: &str, clients: usize, seconds: u64) -> Run {
    let run = NEXT.fetch_add(1, Ordering::Relaxed);
    let out = Command::new("wrk")
        .env("TANGGAP_TOKEN", token)
        .env("TANGGAP_RUN", format!("wrk{}r{run}", std::process::id()))
        .args([
            "-t2",
            &format!("-c{clients}"),
            &format!("-d{seconds}s"),
            "--timeout",
            "10s",
            "-s",
            "bench/filing.lua",
            &format!("http://127.0.0.1:{port}/api/v1/issues"),
        ])
        .output()
        .expect("wrk (Debian: apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "wrk failed: {text}");
    let field = |prefix: &str, at: usize| -> f64 {
        text.lines()
            .find(|l| l.trim_start().starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(at))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{prefix} in wrk's output: {text}"))
    };
    let wrong = field("wrong answers:", 2);
    assert!(
        wrong == 0.0,
        "wrk saw answers other than a new filing: {text}"
    );
    assert!(
        !text.contains("Socket errors") && !text.contains("Non-2xx"),
        "wrk saw errors: {text}"
    );
    let total = text
        .lines()
        .find(|l| l.contains("requests in"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("the request count in wrk's output: {text}"));
    Run {
        n: total,
        rate: field("Requests/sec:", 1),
        p50: field("latency_us", 2) / 1000.0,
        p99: field("latency_us", 4) / 1000.0,
    }
}

/// One load's figures: filings acknowledged, per second, latency p50 and p99 in ms.
struct Run {
    n: usize,
    rate: f64,
    p50: f64,
    p99: f64,
}

/// Files with the load generator the run asked for.
fn load(a: &Args, port: u16, token: &str, seconds: u64) -> Run {
    if a.load == "wrk" {
        wrk_for(port, token, a.clients, seconds)
    } else {
        let (n, rate, lat) = file_for(port, token, a.clients, seconds);
        Run {
            n,
            rate,
            p50: common::percentile(&lat, 0.5),
            p99: common::percentile(&lat, 0.99),
        }
    }
}

/// One instance with demo data on `url`, its port and a token; warmed up.
fn serve(a: &Args, url: &str, dir: &std::path::Path) -> (common::Instance, u16, String) {
    let overlay = dir.join("bench.toml");
    std::fs::write(
        &overlay,
        format!(
            // The service's default configuration (spec §12), but for its log level and where
            // mail goes.
            "[log]\nlevel = \"warn\"\n[mail]\nfile_dir = \"{}\"\n{}",
            dir.join("mail").display(),
            common::pool_section(a.pool)
        ),
    )
    .expect("overlay");
    let port = common::free_port();
    let server = common::start(&a.binary, &overlay, url, port);
    common::wait_ready(port);
    let token = common::login(port, "pic.dinkes@demo.tanggap.id", "tanggap-demo");
    file_for(port, &token, a.clients, 2); // warm-up
    (server, port, token)
}

/// pgbench with the filing transaction's statements for `seconds`: tx/s and its failure line.
fn pgbench(a: &Args, url: &str) -> (f64, String) {
    let now = jiff::Timestamp::now().as_microsecond();
    let hour = 3_600_000_000;
    let instants = [
        format!("now={now}"),
        format!("due={}", now + 2 * hour),
        format!("expired={}", now - 24 * hour),
    ];
    let out = Command::new("pgbench")
        .args(instants.iter().flat_map(|v| ["-D", v.as_str()]))
        .args([
            "-n",
            "-r",
            "-M",
            "prepared",
            "-c",
            &a.clients.to_string(),
            "-j",
            "2",
            "-T",
            &a.seconds.to_string(),
            "-f",
            "bench/filing.pgbench",
            url,
        ])
        .output()
        .expect("pgbench (Debian: apt-get install postgresql-contrib or postgresql-client)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "pgbench failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tps: f64 = text
        .lines()
        .find(|l| l.starts_with("tps ="))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|v| v.parse().ok())
        .expect("tps in pgbench's output");
    let failed = text
        .lines()
        .find(|l| l.contains("number of failed transactions"))
        .unwrap_or("number of failed transactions: 0")
        .trim()
        .to_owned();
    // Per statement (pgbench -r): shown when a run is far off the others, to say which
    // statement was slow.
    let slow: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .next()
                .and_then(|v| v.parse::<f64>().ok())
                .is_some_and(|ms| ms > 10.0)
        })
        .collect();
    if !slow.is_empty() {
        println!("  pgbench statements over 10 ms on average:");
        for l in slow {
            println!("  {}", l.chars().take(140).collect::<String>());
        }
    }
    (tps, failed)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    common::percentile(&v, 0.5)
}

fn main() {
    let a = args();
    println!("machine: {}", common::machine());
    println!("load generator: {}", a.load);
    let db = "tanggap_bench_filing";
    let (mut admin, url) = common::fresh_database(&a.pg, db);
    let dir = tempfile::tempdir().expect("dir");

    let mut conn = tanggap::store::connect(&url).expect("connect");
    conn.batch_execute("CREATE SEQUENCE bench_ref; CREATE SEQUENCE bench_ref_number")
        .expect("sequence");
    drop(conn);
    // Rounds alternate the two loads so that both see the same moments of a noisy machine;
    // the ratio is taken per round, and its median reported.
    let (server, port, token) = serve(&a, &url, dir.path());
    let (mut ratios, mut rates, mut tpss, mut p50s, mut p99s) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // Fresh statistics before each load, as autovacuum keeps them in a running deployment: a
    // table that grew from nothing in the last seconds would otherwise be planned as empty (a
    // pgbench round once fell to 61 tx/s so, its statements prepared over stale figures).
    let analyze = || {
        let mut c = tanggap::store::connect(&url).expect("connect");
        c.batch_execute("ANALYZE").expect("analyze");
    };
    for round in 1..=a.rounds {
        analyze();
        let before = common::cpu_ticks(server.id());
        let run = load(&a, port, &token, a.seconds);
        let after = common::cpu_ticks(server.id());
        analyze();
        let (tps, failed) = pgbench(&a, &url);
        println!(
            "round {round}: HTTP filing {:.0}/s (p50 {:.1} ms, p99 {:.1} ms), pgbench {tps:.0} tx/s ({failed}): {:.0} %",
            run.rate,
            run.p50,
            run.p99,
            100.0 * run.rate / tps
        );
        println!(
            "  {}",
            common::cpu_per_request(before, after, run.n, run.n as f64 / run.rate)
        );
        ratios.push(run.rate / tps);
        rates.push(run.rate);
        tpss.push(tps);
        p50s.push(run.p50);
        p99s.push(run.p99);
    }
    drop(server);
    println!(
        "HTTP filing, PostgreSQL: median of {} rounds {:.0}/s, latency ms p50 {:.1}  p99 {:.1}",
        a.rounds,
        median(rates),
        median(p50s),
        median(p99s)
    );
    println!(
        "pgbench, the same transaction: median {:.0} tx/s",
        median(tpss)
    );
    ratios.sort_by(f64::total_cmp);
    println!(
        "ratio: HTTP filing is {:.0} % of pgbench (median of {} rounds; lowest {:.0} %, highest {:.0} %)",
        100.0 * common::percentile(&ratios, 0.5),
        a.rounds,
        100.0 * ratios[0],
        100.0 * ratios[ratios.len() - 1]
    );

    let lite = tempfile::tempdir().expect("dir");
    let lite_url = common::sqlite_url(&lite.path().join("t.db"));
    let (server, port, token) = serve(&a, &lite_url, lite.path());
    let run = load(&a, port, &token, a.seconds);
    drop(server);
    println!(
        "HTTP filing, SQLite (beside): {} filings, {:.0}/s, latency ms p50 {:.1}  p99 {:.1}",
        run.n, run.rate, run.p50, run.p99
    );

    common::finish_database(&mut admin, db);
}

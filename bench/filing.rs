//! Benchmark: filing throughput against what PostgreSQL itself can do.
//!
//! Starts `tanggap serve` (demo data: units, users, routing rules) on a fresh PostgreSQL
//! database and has 16 clients file issues through `POST /api/v1/issues` for a while (real JWT,
//! a realistic body, an `Idempotency-Key` each); then runs `pgbench` with the same 16 clients
//! for as long on the same database, with `bench/filing.pgbench` — the statements of one filing
//! transaction as the service sends them. Prints both rates and their ratio, and the same HTTP
//! figure on SQLite beside them.
//!
//! ```sh
//! cargo build --release --bin tanggap --example bench_filing
//! target/release/examples/bench_filing --pg postgres://USER:PASS@127.0.0.1:5432/postgres --seconds 20
//! ```

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
    clients: usize,
    binary: String,
}

fn args() -> Args {
    let f = common::flags(&["pg", "seconds", "clients", "binary"]);
    Args {
        pg: common::pg_flag(&f),
        seconds: common::flag(&f, "seconds", 20),
        clients: common::flag(&f, "clients", 16),
        binary: common::flag(&f, "binary", "target/release/tanggap".to_owned()),
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

/// Files for `seconds` with `clients` threads; answers (filings acknowledged, per second, latencies).
fn file_for(port: u16, token: &str, clients: usize, seconds: u64) -> (usize, f64, Vec<f64>) {
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let (stop, next) = (stop.clone(), next.clone());
            let (url, auth) = (
                format!("http://127.0.0.1:{port}/api/v1/issues"),
                format!("Bearer {token}"),
            );
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new().build();
                let mut lat = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let t = Instant::now();
                    let r = agent
                        .post(&url)
                        .set("Authorization", &auth)
                        .set("Idempotency-Key", &format!("bench-{n}"))
                        .send_json(body(n))
                        .expect("POST /issues");
                    assert_eq!(r.status(), 201);
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

fn login(port: u16) -> String {
    ureq::post(&format!("http://127.0.0.1:{port}/api/v1/auth/token"))
        .send_json(ureq::json!({"email": "pic.dinkes@demo.tanggap.id", "password": "tanggap-demo"}))
        .expect("login")
        .into_json::<serde_json::Value>()
        .expect("json")["access_token"]
        .as_str()
        .expect("token")
        .to_owned()
}

/// One instance with demo data on `url`, loaded for `seconds`.
fn http_run(a: &Args, url: &str, dir: &std::path::Path) -> (usize, f64, Vec<f64>) {
    let overlay = dir.join("bench.toml");
    std::fs::write(
        &overlay,
        format!(
            "[database]\npool_size = 16\n[log]\nlevel = \"warn\"\n[mail]\nfile_dir = \"{}\"\n",
            dir.join("mail").display()
        ),
    )
    .expect("overlay");
    let port = common::free_port();
    let mut server = common::start(&a.binary, &overlay, url, port);
    common::wait_ready(port);
    let token = login(port);
    file_for(port, &token, a.clients, 2); // warm-up
    let run = file_for(port, &token, a.clients, a.seconds);
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let _ = server.wait();
    run
}

fn summary(label: &str, n: usize, rate: f64, lat: &[f64]) {
    println!(
        "{label}: {n} filings, {rate:.0}/s, latency ms p50 {:.1}  p99 {:.1}",
        common::percentile(lat, 0.5),
        common::percentile(lat, 0.99)
    );
}

fn main() {
    let a = args();
    println!("machine: {}", common::machine());
    let db = "tanggap_bench_filing";
    let (mut admin, url) = common::fresh_database(&a.pg, db);
    let dir = tempfile::tempdir().expect("dir");

    let (n, http, lat) = http_run(&a, &url, dir.path());
    summary("HTTP filing, PostgreSQL", n, http, &lat);

    let mut conn = tanggap::store::connect(&url).expect("connect");
    conn.batch_execute("CREATE SEQUENCE bench_ref")
        .expect("sequence");
    drop(conn);
    let out = Command::new("pgbench")
        .args([
            "-n",
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
            &url,
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
        .to_owned();
    println!(
        "pgbench, the same transaction: {tps:.0} tx/s ({})",
        failed.trim()
    );
    println!(
        "ratio: HTTP filing is {:.0} % of pgbench",
        100.0 * http / tps
    );

    let lite = tempfile::tempdir().expect("dir");
    let lite_url = format!("sqlite://{}", lite.path().join("t.db").display());
    let (n, rate, lat) = http_run(&a, &lite_url, lite.path());
    summary("HTTP filing, SQLite (beside)", n, rate, &lat);

    common::finish_database(&mut admin, db);
}

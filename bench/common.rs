//! What the benchmarks share.

#![allow(dead_code)] // each benchmark uses a part

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Cores, CPU model and memory of the machine the figures come from.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split(':').nth(1))
        .unwrap_or("unknown CPU")
        .trim()
        .to_owned();
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024 / 1024);
    format!(
        "{} cores, {model}, {mem_gib} GiB",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    )
}

pub fn with_database(url: &str, db: &str) -> String {
    let cut = url.rfind('/').unwrap_or(url.len());
    format!("{}/{db}", &url[..cut])
}

pub fn start(binary: &str, overlay: &std::path::Path, url: &str, port: u16) -> Child {
    Command::new(binary)
        .arg("serve")
        .env("TANGGAP_CONFIG", overlay)
        .env("DATABASE_URL", url)
        .env("TANGGAP__SERVER__BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start tanggap")
}

pub fn wait_ready(port: u16) {
    let start = Instant::now();
    while ureq::get(&format!("http://127.0.0.1:{port}/readyz"))
        .call()
        .is_err()
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "instance on {port} did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

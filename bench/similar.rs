//! Benchmark: similar-issue suggestions over a large database.
//!
//! Starts `tanggap serve` (demo data) on a fresh database, stops it, and loads N issues
//! (default 1,000,000) spread over three years whose words follow Zipf's law over a vocabulary
//! of 30,000 words, the labelled set's words (`tests/data/similar.json`, brought to comparable
//! words by the service's own rules) placed among them from common to rare — so that the
//! words of a real report are carried by thousands of issues or by a handful, as in a region's
//! real history. Their comparable text and words are stored as the service stores them. Then
//! the service starts again, the first report of each labelled incident is filed through the
//! API (the newest issues, as a viral burst's first report is), and every later report asks
//! `POST /api/v1/issues/similar` as the TRC: one client for the latency (p50/p99), then 16
//! clients for the rate. Prints how many found their incident first among the million.
//!
//! ```sh
//! cargo build --release --bin tanggap --example bench_similar
//! target/release/examples/bench_similar --pg postgres://USER:PASS@127.0.0.1:5432/postgres --issues 1000000
//! target/release/examples/bench_similar --backend sqlite --issues 1000000
//! ```
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap,
    clippy::format_push_string,
    reason = "benchmark code: a failed step ends the run by design, and figures are printed as floats"
)]

#[path = "common.rs"]
mod common;

use diesel::connection::SimpleConnection;
use serde_json::{json, Value};
use std::time::Instant;
use tanggap::domain::similar;

struct Args {
    pg: Option<String>,
    issues: usize,
    clients: usize,
    rounds: usize,
    binary: String,
}

fn args() -> Args {
    let f = common::flags(&["pg", "backend", "issues", "clients", "rounds", "binary"]);
    Args {
        pg: common::pg_or_sqlite(&f),
        issues: common::flag(&f, "issues", 1_000_000),
        clients: common::flag(&f, "clients", 16),
        rounds: common::flag(&f, "rounds", 5),
        binary: common::flag(&f, "binary", "target/release/tanggap".to_owned()),
    }
}

/// A small, fixed pseudo-random sequence (xorshift): the same data on every run.
struct Draws(u64);

impl Draws {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1_u64 << 53) as f64
    }

    /// A rank in 1..=n with probability ∝ 1/rank (Zipf's law with exponent 1).
    fn zipf(&mut self, n: usize) -> usize {
        ((n as f64).powf(self.unit()) as usize).clamp(1, n)
    }
}

const VOCABULARY: usize = 30_000;

/// The words of the vocabulary by rank: the labelled set's words every 40th rank (the first
/// common, the last rare), made-up words of two to four syllables elsewhere.
fn vocabulary(labelled: &[String]) -> Vec<String> {
    const SYLLABLES: [&str; 20] = [
        "ba", "ka", "ra", "ma", "na", "ta", "sa", "la", "pa", "da", "bi", "ku", "ri", "mo", "ne",
        "tu", "se", "lo", "pu", "di",
    ];
    (1..=VOCABULARY)
        .map(|rank| {
            if rank % 40 == 0 && rank / 40 <= labelled.len() {
                return labelled[rank / 40 - 1].clone();
            }
            let mut n = rank;
            let mut w = String::new();
            while n > 0 || w.len() < 4 {
                w.push_str(SYLLABLES[n % 20]);
                n /= 20;
            }
            w.push('h'); // never one of the labelled words
            w
        })
        .collect()
}

fn labelled() -> Value {
    serde_json::from_str(include_str!("../tests/data/similar.json")).expect("the labelled set")
}

/// The labelled set's comparable words, each once, in their order.
fn labelled_words(data: &Value) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for c in data["clusters"].as_array().expect("clusters") {
        for item in c["items"].as_array().expect("items") {
            let text = format!(
                "{} {}",
                item[2].as_str().unwrap_or(""),
                item[3].as_str().unwrap_or("")
            );
            for w in similar::words(&text) {
                if seen.insert(w.clone()) {
                    out.push(w);
                }
            }
        }
    }
    out
}

const DISTRICTS: [&str; 6] = [
    "Pulau Laut Utara",
    "Pulau Sebuku",
    "Pulau Sebatik",
    "Kelumpang Hilir",
    "Pamukan Selatan",
    "Hampang",
];
const CATEGORIES: [&str; 6] = [
    "kesehatan",
    "infrastruktur",
    "sosial",
    "bencana",
    "pendidikan",
    "hoaks_disinformasi",
];

/// Loads `n` issues and their words in batches, each one transaction.
fn fill(conn: &mut tanggap::store::Db, n: usize, vocab: &[String]) {
    let mut d = Draws(0x2545_f491_4f6c_dd1d);
    let now = jiff::Timestamp::now().as_microsecond();
    let three_years = 3 * 365 * 86_400 * 1_000_000_i64;
    let bar = indicatif::ProgressBar::new(n as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} issues {per_sec} {eta}")
            .expect("style"),
    );
    let batch = 2_000;
    let mut done = 0;
    while done < n {
        let size = batch.min(n - done);
        let mut issues = String::from(
            "INSERT INTO issues (ref, title, description, category, channel, priority, \
             sensitivity, status, source_urls, screenshot_urls, archive_urls, filed_by_id, \
             filed_by, filing_unit, tags, escalation_level, version, urgent_at, is_open, search, \
             created_at, updated_at, clocks_version, similar_text, similar_version, district) VALUES ",
        );
        let mut texts = Vec::with_capacity(size);
        for k in 0..size {
            let i = done + k;
            let title: Vec<&str> = (0..6)
                .map(|_| vocab[d.zipf(VOCABULARY) - 1].as_str())
                .collect();
            let desc: Vec<&str> = (0..14)
                .map(|_| vocab[d.zipf(VOCABULARY) - 1].as_str())
                .collect();
            let (title, desc) = (title.join(" "), desc.join(" "));
            // Spread over three years, in filing order.
            let at = now - three_years + three_years * i as i64 / n as i64;
            let status = if d.unit() < 0.03 { "new" } else { "closed" };
            if k > 0 {
                issues.push(',');
            }
            issues.push_str(&format!(
                "('SIM-{i}', '{title}', '{desc}', '{}', 'facebook', 'medium', 'normal', '{status}', \
                 '[]', '[]', '[]', 1, 'bench', 'DISKOMINFO', '[]', 0, 1, {}, {}, '', {at}, {at}, 1, \
                 '{title}\n{desc}', {}, '{}')",
                CATEGORIES[i % 6],
                3_000_000_000_000_000_000_i64 + at,
                status == "new",
                similar::TEXT_VERSION,
                DISTRICTS[(d.next() % 6) as usize],
            ));
            texts.push(format!("{title}\n{desc}"));
        }
        issues.push_str(" RETURNING id");
        conn.batch_execute("BEGIN").expect("begin");
        #[derive(diesel::QueryableByName)]
        struct Id {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            id: i64,
        }
        let ids: Vec<Id> = match conn {
            tanggap::store::Db::Pg(c) => diesel::RunQueryDsl::load(diesel::sql_query(&issues), c),
            tanggap::store::Db::Sqlite(c) => {
                diesel::RunQueryDsl::load(diesel::sql_query(&issues), c)
            }
        }
        .expect("issues");
        let mut words = String::from("INSERT INTO issue_words (word, issue_id) VALUES ");
        let mut first = true;
        for (id, text) in ids.iter().zip(&texts) {
            for w in similar::index_words(text) {
                if !first {
                    words.push(',');
                }
                first = false;
                words.push_str(&format!("('{w}', {})", id.id));
            }
        }
        conn.batch_execute(&words).expect("words");
        conn.batch_execute("COMMIT").expect("commit");
        done += size;
        bar.inc(size as u64);
    }
    bar.finish();
    conn.batch_execute("ANALYZE").expect("analyze");
}

fn body(c: &Value, item: &Value) -> Value {
    let mut b = json!({
        "title": item[2], "description": item[3], "category": c["category"], "channel": item[0],
        "location": {"district": c["district"], "village": c["village"]},
    });
    if let Some(u) = item[1].as_str() {
        b["source_urls"] = json!([u]);
    }
    b
}

fn main() {
    let a = args();
    println!("machine: {}", common::machine());
    let db = "tanggap_bench_similar";
    let dir = tempfile::tempdir().expect("dir");
    let sqlite = a.pg.is_none();
    let (mut admin, url) = match &a.pg {
        None => (None, common::sqlite_url(&dir.path().join("similar.sqlite"))),
        Some(pg) => {
            let (admin, url) = common::fresh_database(pg, db);
            (Some(admin), url)
        }
    };
    println!("backend: {}", if sqlite { "SQLite" } else { "PostgreSQL" });
    let overlay = dir.path().join("bench.toml");
    std::fs::write(
        &overlay,
        format!(
            "[log]\nlevel = \"warn\"\n[mail]\nfile_dir = \"{}\"\n",
            dir.path().join("mail").display()
        ),
    )
    .expect("overlay");
    // The demo's units, users and rules, written by the service itself.
    let port = common::free_port();
    let server = common::start(&a.binary, &overlay, &url, port);
    common::wait_ready(port);
    drop(server);

    let data = labelled();
    let vocab = vocabulary(&labelled_words(&data));
    let mut conn = tanggap::store::connect(&url).expect("connect");
    let t = Instant::now();
    fill(&mut conn, a.issues, &vocab);
    println!(
        "loaded {} issues (and their words) in {:.1}s",
        a.issues,
        t.elapsed().as_secs_f64()
    );
    drop(conn);

    let port = common::free_port();
    let server = common::start(&a.binary, &overlay, &url, port);
    common::wait_ready(port);
    let token = common::login(port, "trc@demo.tanggap.id", "tanggap-demo");
    let base = format!("http://127.0.0.1:{port}/api/v1/issues");
    let clusters = data["clusters"].as_array().expect("clusters");
    // The first report of each incident, filed now; the later ones are the questions.
    let mut asks: Vec<(String, Value)> = Vec::new();
    for c in clusters {
        let items = c["items"].as_array().expect("items");
        let filed: Value = ureq::post(&base)
            .set("Authorization", &format!("Bearer {token}"))
            .send_json(body(c, &items[0]))
            .expect("file")
            .into_json()
            .expect("json");
        let reference = filed["ref"].as_str().expect("ref").to_owned();
        for item in &items[1..] {
            asks.push((reference.clone(), body(c, item)));
        }
    }
    let ask = |agent: &ureq::Agent, b: &Value| -> (f64, Value) {
        let t = Instant::now();
        let r: Value = agent
            .post(&format!("{base}/similar"))
            .set("Authorization", &format!("Bearer {token}"))
            .send_json(b.clone())
            .expect("similar")
            .into_json()
            .expect("json");
        (t.elapsed().as_secs_f64() * 1000.0, r)
    };
    let agent = ureq::AgentBuilder::new().build();
    let mut first = 0;
    let mut lat = Vec::new();
    for round in 0..a.rounds {
        for (reference, b) in &asks {
            let (ms, r) = ask(&agent, b);
            lat.push(ms);
            if round == 0 && r["items"][0]["ref"].as_str() == Some(reference.as_str()) {
                first += 1;
            }
        }
    }
    lat.sort_by(f64::total_cmp);
    println!(
        "suggestions for one report among {} issues, 1 client: {} requests, latency ms p50 {:.2}  p99 {:.2}  max {:.2}",
        a.issues,
        lat.len(),
        common::percentile(&lat, 0.5),
        common::percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "  its incident first: {first} of {} reports (the rest: no suggestion above the threshold or another first)",
        asks.len()
    );
    let started = Instant::now();
    let threads: Vec<_> = (0..a.clients)
        .map(|k| {
            let asks = asks.clone();
            let (base, token, rounds) = (base.clone(), token.clone(), a.rounds);
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new().build();
                let mut lat = Vec::new();
                for n in 0..rounds * asks.len() / 2 {
                    let b = &asks[(n + k * 7) % asks.len()].1;
                    let t = Instant::now();
                    agent
                        .post(&format!("{base}/similar"))
                        .set("Authorization", &format!("Bearer {token}"))
                        .send_json(b.clone())
                        .expect("similar");
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
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
    println!(
        "  {} clients: {} requests, {:.0}/s, latency ms p50 {:.2}  p99 {:.2}",
        a.clients,
        all.len(),
        all.len() as f64 / secs,
        common::percentile(&all, 0.5),
        common::percentile(&all, 0.99)
    );
    drop(server);
    if let Some(admin) = admin.as_mut() {
        common::finish_database(admin, db);
    }
}

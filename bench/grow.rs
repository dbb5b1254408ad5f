//! A million issues grown the way real data grows (issue #26), for the queue benchmark on
//! PostgreSQL.
//!
//! First `seeds` issues are filed through the API by 16 clients — the TRC and a PIC, sixteen
//! topics in twenty villages, six platforms, one in ten a repeat of an earlier post (so the
//! look-alike pairs are the service's own), 3 % restricted — and each is walked through the
//! API to its state: a sixteenth of them by turns new (4), assigned (4), responded (2), on hold
//! (1), resolved (1), closed (4). Then the seeds are copied, block after block, into the three
//! years before now (ids and filing instants growing together, as they do): every copy is
//! inserted as a new issue and then moved to its seed's state by an `UPDATE` (the heap and
//! every index carry the walk's old versions, as a table that lived does), with its clocks
//! (instants moved by the same amount, no timer due) and its look-alike pairs. Open seeds are
//! copied as open only into the last 8 % of the years (open issues are recent), elsewhere a
//! closed seed takes their place: overall 2 % new, 2 % assigned, 1 % responded, 0.5 % on
//! hold, the rest resolved or closed. Copies leave out what the queues never read: comments,
//! audit events, tags, words and post addresses (their tables stay as the seeds left them).

use diesel::connection::SimpleConnection;
use diesel::RunQueryDsl;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const TOPICS: [(&str, &str); 16] = [
    ("Jalan rusak parah", "infrastruktur"),
    ("Jembatan kayu ambruk", "infrastruktur"),
    ("Lampu jalan padam berminggu-minggu", "infrastruktur"),
    ("Air PDAM keruh dan berbau", "infrastruktur"),
    ("Banjir rob merendam rumah warga", "bencana"),
    ("Tanah longsor menutup jalan desa", "bencana"),
    ("Kebakaran lahan dekat permukiman", "bencana"),
    ("Antrean panjang di puskesmas", "kesehatan"),
    ("Obat habis di puskesmas pembantu", "kesehatan"),
    ("Kasus demam berdarah meningkat", "kesehatan"),
    ("Bantuan sosial tidak tepat sasaran", "sosial"),
    ("Pungutan liar saat pendaftaran sekolah", "pendidikan"),
    ("Guru honorer belum menerima gaji", "pendidikan"),
    ("Hoaks vaksin menyebabkan kemandulan", "hoaks_disinformasi"),
    (
        "Hoaks penculikan anak dengan mobil putih",
        "hoaks_disinformasi",
    ),
    (
        "Pesan berantai soal pemadaman listrik total",
        "hoaks_disinformasi",
    ),
];

const VILLAGES: [(&str, &str); 20] = [
    ("Sungup", "Pulau Laut Utara"),
    ("Semayap", "Pulau Laut Utara"),
    ("Dirgahayu", "Pulau Laut Utara"),
    ("Baharu", "Pulau Laut Utara"),
    ("Hilir Muara", "Pulau Laut Utara"),
    ("Stagen", "Pulau Laut Utara"),
    ("Gedambaan", "Pulau Laut Utara"),
    ("Sebelimbingan", "Pulau Laut Utara"),
    ("Rampa", "Pulau Laut Utara"),
    ("Sarang Tiung", "Pulau Laut Sigam"),
    ("Tegal Rejo", "Pulau Laut Timur"),
    ("Megasari", "Pulau Laut Tengah"),
    ("Sungai Taib", "Pulau Laut Barat"),
    ("Tanjung Serudung", "Pulau Laut Tanjung Selayar"),
    ("Sungai Bali", "Pulau Sebuku"),
    ("Serongga", "Kelumpang Hilir"),
    ("Tanjung Batu", "Pulau Laut Kepulauan"),
    ("Sungai Kupang", "Kelumpang Hulu"),
    ("Mekarpura", "Pamukan Selatan"),
    ("Sampanahan Hilir", "Sampanahan"),
];

const CHANNELS: [&str; 6] = [
    "facebook",
    "instagram",
    "x",
    "tiktok",
    "whatsapp",
    "media_online",
];

/// The states of the seeds, by turns (a sixteenth each).
const STATES: [&str; 16] = [
    "new",
    "new",
    "new",
    "new",
    "assigned",
    "assigned",
    "assigned",
    "assigned",
    "responded",
    "responded",
    "on_hold",
    "resolved",
    "closed",
    "closed",
    "closed",
    "closed",
];

/// A small deterministic generator (the data is the same from run to run).
fn draw(j: usize, salt: u64) -> f64 {
    let mut x = (j as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(salt.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 29;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

fn body(j: usize) -> serde_json::Value {
    // One in ten repeats the post of the seed seven before it, on another platform.
    let (src, repeat) = if j >= 7 && draw(j, 1) < 0.1 {
        (j - 7, true)
    } else {
        (j, false)
    };
    let (topic, category) = TOPICS[(draw(src, 2) * 16.0) as usize % 16];
    let (village, district) = VILLAGES[(draw(src, 3) * 20.0) as usize % 20];
    let channel = CHANNELS[(draw(j, 4) * 6.0) as usize % 6];
    let r = draw(j, 5);
    let priority = if r < 0.05 {
        "critical"
    } else if r < 0.25 {
        "high"
    } else if r < 0.75 {
        "medium"
    } else {
        "low"
    };
    let days = 1 + (draw(j, 6) * 9.0) as usize;
    let mut b = serde_json::json!({
        "title": format!("{topic} di Desa {village}"),
        "description": format!(
            "Warga Desa {village}, Kecamatan {district}, melaporkan: {} sejak {days} hari lalu. \
             Unggahan di {channel} ramai dibagikan dan dikomentari warga sekitar.",
            topic.to_lowercase()
        ),
        "category": category,
        "channel": channel,
        "priority": priority,
        "source_urls": [format!("https://{channel}.example/posts/{src}{}", if repeat { "/share" } else { "" })],
    });
    if draw(j, 7) < 0.03 {
        b["sensitivity"] = serde_json::json!("restricted");
    }
    b
}

/// The unit a seed is assigned to: a few big agencies, many small ones (as bench_queue's).
fn unit(j: usize) -> String {
    let r = draw(j, 8);
    format!("U{:02}", 1 + (40.0 * r * r) as usize)
}

fn call(
    agent: &ureq::Agent,
    url: &str,
    token: &str,
    body: serde_json::Value,
    want: u16,
) -> serde_json::Value {
    match agent
        .post(url)
        .set("Authorization", &format!("Bearer {token}"))
        .send_json(body)
    {
        Ok(r) if r.status() == want => r.into_json().expect("json"),
        Ok(r) => panic!("{url}: {}", r.status()),
        Err(ureq::Error::Status(s, r)) => {
            panic!("{url}: {s} {}", r.into_string().unwrap_or_default())
        }
        Err(e) => panic!("{url}: {e}"),
    }
}

/// Files `seeds` issues through the API at `port` (16 clients: the TRC files two in three,
/// the PIC one) and walks each to its state; answers how many requests it took.
pub fn seed(port: u16, trc: &str, pic: &str, seeds: usize) -> usize {
    let next = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let (next, requests) = (next.clone(), requests.clone());
            let (trc, pic) = (trc.to_owned(), pic.to_owned());
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new().build();
                let base = format!("http://127.0.0.1:{port}/api/v1/issues");
                loop {
                    let j = next.fetch_add(1, Ordering::Relaxed);
                    if j >= seeds {
                        break;
                    }
                    let filer = if j % 3 == 2 { &pic } else { &trc };
                    let filed = call(&agent, &base, filer, body(j), 201);
                    let reference = filed["ref"].as_str().expect("ref").to_owned();
                    let act = |action: &str, b: serde_json::Value| {
                        call(&agent, &format!("{base}/{reference}/{action}"), &trc, b, 200);
                    };
                    let steps: &[&str] = match STATES[j % 16] {
                        "new" => &[],
                        "assigned" => &["triage"],
                        "responded" => &["triage", "respond"],
                        "on_hold" => &["triage", "respond", "hold"],
                        "resolved" => &["triage", "respond", "resolve"],
                        _ => &["triage", "respond", "resolve", "close"],
                    };
                    for step in steps {
                        let b = match *step {
                            "triage" => serde_json::json!({"unit": unit(j)}),
                            "respond" => serde_json::json!({"text": "Laporan diterima; petugas sedang memeriksa ke lapangan."}),
                            "hold" => serde_json::json!({"reason": "Menunggu anggaran perbaikan dari provinsi."}),
                            "resolve" => serde_json::json!({"text": "Sudah ditangani; terima kasih atas laporannya."}),
                            _ => serde_json::json!({}),
                        };
                        act(step, b);
                    }
                    requests.fetch_add(1 + steps.len(), Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("seeding client");
    }
    requests.load(Ordering::Relaxed)
}

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

/// Copies the seeds (every issue in the database) into `total` issues over the three years
/// before now; see the module's comment.
pub fn copy(conn: &mut tanggap::store::Db, total: i64) {
    let seeds = super::common::count(conn, "SELECT count(*) AS n FROM issues");
    let max_id = super::common::count(conn, "SELECT max(id) AS n FROM issues");
    let blocks = ((total - seeds).max(0) + seeds - 1) / seeds;
    let open_blocks = ((blocks as f64) * 0.08).round().max(1.0) as i64;
    let now = jiff::Timestamp::now().as_microsecond();
    let years: i64 = 3 * 365 * 86_400 * 1_000_000;
    let (start, step) = (now - years, years / (blocks * seeds).max(1));
    conn.batch_execute(
        "DROP TABLE IF EXISTS bench_seed, bench_closed, bench_map; \
         CREATE TABLE bench_seed AS SELECT (row_number() OVER (ORDER BY id) - 1)::bigint AS j, \
           id, is_open AS open FROM issues; \
         CREATE TABLE bench_closed AS SELECT (row_number() OVER (ORDER BY id) - 1)::bigint AS c, \
           id FROM issues WHERE NOT is_open; \
         CREATE TABLE bench_map (k bigint, new_id bigint, src bigint, t bigint, own boolean); \
         CREATE INDEX ON bench_map (src);",
    )
    .expect("seed tables");
    let closed = super::common::count(conn, "SELECT count(*) AS n FROM bench_closed");
    assert!(
        closed > 0,
        "no closed seed to copy into the older years: seed at least 16 issues"
    );
    let columns: Vec<String> = diesel::sql_query(
        "SELECT column_name AS name FROM information_schema.columns \
         WHERE table_name = 'issues' AND table_schema = current_schema() ORDER BY ordinal_position",
    )
    .load::<Name>(conn)
    .expect("columns")
    .into_iter()
    .map(|c| c.name)
    .collect();
    // As filed: new, unassigned, its triage due two hours after filing; the walk comes next.
    let value = |c: &str| -> String {
        match c {
            "id" => "m.new_id".into(),
            "ref" => "'ISU-G-' || m.new_id".into(),
            "status" => "'new'".into(),
            "is_open" => "TRUE".into(),
            "assigned_unit" | "held_from" | "duplicate_of" | "external_id" | "import_key" => {
                "NULL".into()
            }
            "version" => "1".into(),
            "escalation_level" => "0".into(),
            "urgent_at" => "m.t + 7200000000".into(),
            "created_at" | "updated_at" => "m.t".into(),
            "posted_at" => "i.posted_at + (m.t - i.created_at)".into(),
            other => format!("i.{other}"),
        }
    };
    let list = columns.join(", ");
    let values = columns
        .iter()
        .map(|c| value(c))
        .collect::<Vec<_>>()
        .join(", ");
    let bar = indicatif::ProgressBar::new(u64::try_from(blocks * seeds).unwrap_or(0));
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} copies {per_sec} {eta}")
            .expect("style"),
    );
    let per_chunk = (40_000 / seeds).max(1);
    let mut k0 = 0;
    while k0 < blocks {
        let k1 = (k0 + per_chunk).min(blocks) - 1;
        let first_open = blocks - open_blocks;
        conn.batch_execute(&format!(
            "TRUNCATE bench_map; \
             INSERT INTO bench_map SELECT k, {max_id} + k * {seeds} + s.j + 1, \
               CASE WHEN k >= {first_open} OR NOT s.open THEN s.id ELSE c.id END, \
               {start} + (k * {seeds} + s.j) * {step}, k >= {first_open} OR NOT s.open \
             FROM generate_series({k0}, {k1}) AS k CROSS JOIN bench_seed s \
             LEFT JOIN bench_closed c ON c.c = s.j % {closed}; \
             ANALYZE bench_map; \
             INSERT INTO issues ({list}) SELECT {values} FROM bench_map m JOIN issues i ON i.id = m.src; \
             UPDATE issues g SET status = i.status, is_open = i.is_open, \
               assigned_unit = i.assigned_unit, version = i.version, held_from = i.held_from, \
               escalation_level = i.escalation_level, urgent_at = i.urgent_at + (m.t - i.created_at), \
               updated_at = i.updated_at + (m.t - i.created_at) \
             FROM bench_map m JOIN issues i ON i.id = m.src WHERE g.id = m.new_id; \
             INSERT INTO issue_clocks (issue_id, kind, state, calendar, target, started_at, due_at, \
               paused_at, paused_seconds, stopped_at, frozen_remaining, breached, steps_fired, \
               next_event_at, elapsed_seconds) \
             SELECT m.new_id, c.kind, c.state, c.calendar, c.target, c.started_at + (m.t - i.created_at), \
               c.due_at + (m.t - i.created_at), c.paused_at + (m.t - i.created_at), c.paused_seconds, \
               c.stopped_at + (m.t - i.created_at), c.frozen_remaining, c.breached, c.steps_fired, NULL, \
               c.elapsed_seconds \
             FROM bench_map m JOIN issues i ON i.id = m.src JOIN issue_clocks c ON c.issue_id = m.src \
             ORDER BY m.new_id, c.id; \
             INSERT INTO issue_similar (issue_id, other_id, score, reasons) \
             SELECT a.new_id, b.new_id, p.score, p.reasons FROM issue_similar p \
             JOIN bench_map a ON a.src = p.issue_id AND a.own \
             JOIN bench_map b ON b.src = p.other_id AND b.own AND b.k = a.k;"
        ))
        .expect("copy a chunk of blocks");
        bar.inc(u64::try_from((k1 - k0 + 1) * seeds).unwrap_or(0));
        k0 = k1 + 1;
    }
    bar.finish();
    conn.batch_execute(
        "SELECT setval(pg_get_serial_sequence('issues', 'id'), (SELECT max(id) FROM issues)); \
         DROP TABLE bench_seed, bench_closed, bench_map;",
    )
    .expect("sequence");
    super::common::fill_clock_copies(conn, false);
}

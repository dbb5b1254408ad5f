//! What the benchmarks share.

#![allow(dead_code)] // each benchmark uses a part

use diesel::connection::SimpleConnection;
use std::collections::HashMap;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The machine's cores (as the scheduler offers them to this process).
pub fn cores() -> u32 {
    std::thread::available_parallelism().map_or(1, |n| u32::try_from(n.get()).unwrap_or(1))
}

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
    format!("{} cores, {model}, {mem_gib} GiB", cores())
}

/// CPU time used so far, from `/proc`: by one process (`pid`), and by the whole machine —
/// busy and stolen by the hypervisor — in clock ticks (`CLK_TCK`, 100 a second on Linux).
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuTicks {
    pub process: u64,
    pub machine_busy: u64,
    pub machine_steal: u64,
}

pub fn cpu_ticks(pid: u32) -> CpuTicks {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let f: Vec<u64> = after
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    // utime and stime are fields 14 and 15 of the line, 12th and 13th after the name.
    let process = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    let all = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let cpu: Vec<u64> = all
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    let at = |i: usize| cpu.get(i).copied().unwrap_or(0);
    // user nice system idle iowait irq softirq steal
    CpuTicks {
        process,
        machine_busy: at(0) + at(1) + at(2) + at(5) + at(6),
        machine_steal: at(7),
    }
}

/// "CPU per request: service 410 µs, machine 1,020 µs busy, 3 % stolen" over `n` requests.
pub fn cpu_per_request(before: CpuTicks, after: CpuTicks, n: usize, secs: f64) -> String {
    let us = |ticks: u64| ticks as f64 * 10_000.0 / n.max(1) as f64;
    let cores = f64::from(cores());
    let steal = (after.machine_steal - before.machine_steal) as f64 / 100.0 / (secs * cores);
    format!(
        "CPU per request: service {:.0} µs, whole machine {:.0} µs busy; {:.0} % of the cores stolen by the hypervisor",
        us(after.process - before.process),
        us(after.machine_busy - before.machine_busy),
        steal * 100.0
    )
}

/// `url` with its database name replaced by `db`, keeping its parameters (`?sslmode=disable`,
/// `?host=/var/run/postgresql`…).
pub fn with_database(url: &str, db: &str) -> String {
    let base = url.find('?').unwrap_or(url.len());
    let cut = url[..base].rfind('/').unwrap_or(base);
    format!("{}/{db}{}", &url[..cut], &url[base..])
}

/// A running `tanggap serve`, stopped (SIGTERM, then waited for) when dropped, so that a
/// benchmark that fails half-way leaves no server behind on a database it drops.
pub struct Instance(Child);

impl Instance {
    pub fn id(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

pub fn start(binary: &str, overlay: &std::path::Path, url: &str, port: u16) -> Instance {
    Instance(
        Command::new(binary)
            .arg("serve")
            .env("TANGGAP_CONFIG", overlay)
            .env("DATABASE_URL", url)
            .env("TANGGAP__SERVER__BIND", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tanggap"),
    )
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

/// Logs in at the instance on `port`; answers the bearer token.
pub fn login(port: u16, email: &str, password: &str) -> String {
    ureq::post(&format!("http://127.0.0.1:{port}/api/v1/auth/token"))
        .send_json(ureq::json!({"email": email, "password": password}))
        .expect("login")
        .into_json::<serde_json::Value>()
        .expect("json")["access_token"]
        .as_str()
        .expect("token")
        .to_owned()
}

/// Stops with a usage error (exit status 2), as command-line tools do.
fn usage_error(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(2)
}

/// The command line's `--name value` pairs; names not in `known` are refused. `--help` lists
/// them (the command's usage is in docs/BENCHMARKS.md).
pub fn flags(known: &[&str]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        if k == "--help" || k == "-h" {
            println!(
                "flags: --{} (each followed by its value; see docs/BENCHMARKS.md)",
                known.join(", --")
            );
            std::process::exit(0);
        }
        let name = k.trim_start_matches("--");
        if !(k.starts_with("--") && known.contains(&name)) {
            usage_error(&format!(
                "unknown argument {k} (known: --{})",
                known.join(", --")
            ));
        }
        match it.next() {
            Some(v) => out.insert(name.to_owned(), v),
            None => usage_error(&format!("{k} needs a value")),
        };
    }
    out
}

/// A flag's value parsed, or `default` when it is not given.
pub fn flag<T: std::str::FromStr>(f: &HashMap<String, String>, name: &str, default: T) -> T {
    f.get(name).map_or(default, |v| {
        v.parse()
            .unwrap_or_else(|_| usage_error(&format!("--{name}: cannot read `{v}`")))
    })
}

/// The database of a benchmark that runs on either backend: `--backend postgres` (the default)
/// answers the server URL of `--pg` (then required), `--backend sqlite` answers `None`.
pub fn pg_or_sqlite(f: &HashMap<String, String>) -> Option<String> {
    match f.get("backend").map(String::as_str) {
        None | Some("postgres") => Some(pg_flag(f)),
        Some("sqlite") => None,
        Some(other) => usage_error(&format!(
            "--backend: `{other}` is neither postgres nor sqlite"
        )),
    }
}

/// The `sqlite://` URL of a database file.
/// The overlay's `[database]` section for a pool of `pool` connections; none for 0 (the
/// shipped configuration's size).
pub fn pool_section(pool: usize) -> String {
    if pool > 0 {
        format!("[database]\npool_size = {pool}\n")
    } else {
        String::new()
    }
}

pub fn sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}", path.display())
}

/// The PostgreSQL server URL from `--pg` (required).
pub fn pg_flag(f: &HashMap<String, String>) -> String {
    f.get("pg")
        .filter(|v| !v.is_empty())
        .cloned()
        .unwrap_or_else(|| {
            usage_error("--pg postgres://USER:PASS@HOST:PORT/postgres (a server where a database may be created) is required")
        })
}

/// A new, empty database `name` on the server of `admin_url` (an older one of that name is
/// dropped first): the admin connection and the database's URL.
pub fn fresh_database(admin_url: &str, name: &str) -> (tanggap::store::Db, String) {
    let mut admin = tanggap::store::connect(admin_url).expect("connect to PostgreSQL");
    // An autovacuum worker still busy in the last run's database cannot be ended by a role
    // that is not a superuser: wait for it a little.
    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    let mut tries = 0;
    while let Err(e) = admin.batch_execute(&drop) {
        tries += 1;
        assert!(tries < 30, "drop the old benchmark database: {e}");
        std::thread::sleep(Duration::from_secs(1));
    }
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create the benchmark database");
    (admin, with_database(admin_url, name))
}

/// Drops the benchmark's database, unless `BENCH_KEEP` is set (to look at it afterwards).
pub fn finish_database(admin: &mut tanggap::store::Db, name: &str) {
    if std::env::var("BENCH_KEEP").is_err() {
        let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}

/// Fills in each issue's copy of its clocks (what lists show) from `issue_clocks`, as the
/// migration that added the copy does: for issues and clocks written straight into the tables.
/// On PostgreSQL the rows rewritten are then vacuumed, so that the benchmark reads a table as
/// settled as one the service wrote over time.
pub fn fill_clock_copies(conn: &mut tanggap::store::Db, sqlite: bool) {
    use diesel::connection::SimpleConnection;
    let fields = "'kind', kind, 'state', state, 'calendar', calendar, 'target', target, \
        'started_at', started_at, 'due_at', due_at, 'paused_at', paused_at, \
        'paused_seconds', paused_seconds, 'stopped_at', stopped_at, \
        'frozen_remaining', frozen_remaining";
    let sql = if sqlite {
        format!(
            "UPDATE issues SET clocks = (SELECT json_group_array(json_object({fields}, \
               'breached', json(CASE WHEN breached THEN 'true' ELSE 'false' END))) \
             FROM (SELECT * FROM issue_clocks c WHERE c.issue_id = issues.id ORDER BY c.id)) \
             WHERE id IN (SELECT issue_id FROM issue_clocks); ANALYZE;"
        )
    } else {
        format!(
            "UPDATE issues i SET clocks = s.clocks FROM (SELECT issue_id, \
               json_agg(json_build_object({fields}, 'breached', breached) ORDER BY id)::text AS clocks \
             FROM issue_clocks GROUP BY issue_id) s WHERE s.issue_id = i.id"
        )
    };
    conn.batch_execute(&sql)
        .expect("fill the issues' copies of their clocks");
    if !sqlite {
        conn.batch_execute("VACUUM ANALYZE issues")
            .expect("vacuum the issues");
    }
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// The one figure `sql` answers as `n` (a `count(*)`, a `max`).
pub fn count(conn: &mut tanggap::store::Db, sql: &str) -> i64 {
    use diesel::RunQueryDsl;
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

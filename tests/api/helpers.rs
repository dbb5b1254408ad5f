//! The test application: the real server on a random port over a fresh database (a SQLite file
//! or a PostgreSQL database of its own), driven over HTTP.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tanggap::app::Application;
use tanggap::config::{self, LoadOptions};
use tanggap::service::{ShiftedClock, SystemClock};
use tanggap::store::{self, Db};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const DEMO_PASSWORD: &str = "tanggap-demo";
pub const ADMIN: &str = "admin@demo.tanggap.id";
pub const TRC: &str = "trc@demo.tanggap.id";
pub const PIC_DINKES: &str = "pic.dinkes@demo.tanggap.id";
pub const PIC_DPUPR: &str = "pic.dpupr@demo.tanggap.id";
pub const LEADER: &str = "leader@demo.tanggap.id";

/// The URL of a server the PostgreSQL tests may create databases on, if any.
fn pg_admin_url() -> Option<String> {
    match std::env::var("TANGGAP_TEST_DATABASE_URL") {
        Ok(u) if !u.trim().is_empty() => Some(u),
        _ => {
            assert!(
                !std::env::var("TANGGAP_REQUIRE_PG").is_ok_and(|v| v == "1"),
                "TANGGAP_REQUIRE_PG=1 but TANGGAP_TEST_DATABASE_URL is not set"
            );
            eprintln!(
                "SKIPPED: PostgreSQL test (set TANGGAP_TEST_DATABASE_URL or run scripts/test)"
            );
            None
        }
    }
}

/// Replaces the database name at the end of a PostgreSQL URL.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let cut = base.rfind('/').unwrap_or(base.len());
    let mut out = format!("{}/{db}", &base[..cut]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A database of its own for one test.
pub struct TestDb {
    pub url: String,
    pg: Option<(String, String)>,
    pub dir: tempfile::TempDir,
}

impl TestDb {
    pub fn create(backend: Backend) -> Option<TestDb> {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => Some(TestDb {
                url: format!("sqlite://{}", dir.path().join("tanggap.db").display()),
                pg: None,
                dir,
            }),
            Backend::Postgres => {
                let admin = pg_admin_url()?;
                let name = format!("tanggap_t_{}", uuid::Uuid::new_v4().simple());
                let mut conn =
                    store::connect(&admin).expect("connect to the PostgreSQL test server");
                diesel::connection::SimpleConnection::batch_execute(
                    &mut conn,
                    &format!("CREATE DATABASE {name}"),
                )
                .expect("create test database");
                Some(TestDb {
                    url: with_database(&admin, &name),
                    pg: Some((admin, name)),
                    dir,
                })
            }
        }
    }

    pub fn connect(&self) -> Db {
        store::connect(&self.url).expect("connect to the test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        use diesel::connection::SimpleConnection;
        if let Some((admin, name)) = &self.pg {
            if let Ok(mut conn) = store::connect(admin) {
                // An instance's background workers may still be reconnecting: shut the door
                // first, or a connection arriving while PostgreSQL ends the others makes the
                // drop fail and the database is left behind.
                let _ = conn.batch_execute(&format!(
                    "ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false"
                ));
                for _ in 0..5 {
                    let dropped =
                        conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                    if dropped.is_ok() {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
            }
        }
    }
}

/// The folder of the shipped configuration.
pub fn config_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config")
}

/// Deep-merges TOML tables: `extra` wins.
fn merge(base: &mut toml::Table, extra: toml::Table) {
    for (k, v) in extra {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(e)) => merge(b, e),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Writes the overlay that points the service at the test database and folders, with
/// `extra` (TOML) on top.
pub fn write_overlay(db: &TestDb, extra: &str) -> PathBuf {
    write_overlay_as(db, "test.toml", extra)
}

/// [`write_overlay`] into the file `name` of the test's folder.
pub fn write_overlay_as(db: &TestDb, name: &str, extra: &str) -> PathBuf {
    let path = db.dir.path().join(name);
    let mail = db.dir.path().join("mail");
    let base = format!(
        "[server]\nbind = \"127.0.0.1:0\"\nworkers = 2\nrequest_body_limit = \"64KiB\"\n\
         [database]\nurl = \"{}\"\npool_size = 4\n[mail]\nfile_dir = \"{}\"\n[log]\nlevel = \"warn\"\n",
        db.url,
        mail.display()
    );
    let mut table: toml::Table = base.parse().expect("base overlay");
    merge(
        &mut table,
        extra.parse().expect("extra configuration is TOML"),
    );
    std::fs::write(&path, toml::to_string(&table).expect("toml")).expect("write overlay");
    path
}

/// The shipped configuration with `overlay` on top.
pub fn load_config(overlay: &Path) -> config::Config {
    config::load(&LoadOptions {
        config_dir: config_dir(),
        profile: "default".into(),
        overlay: Some(overlay.to_path_buf()),
        use_env: false,
    })
    .expect("test configuration is valid")
}

/// The application on `db`, built but not serving: for tests of its state.
pub fn build_app(db: &TestDb, extra_config: &str) -> Application {
    let overlay = write_overlay(db, extra_config);
    Application::build(load_config(&overlay), Arc::new(SystemClock), None)
        .expect("application builds")
}

pub struct TestApp {
    pub base: String,
    pub db: Arc<TestDb>,
    pub overlay: PathBuf,
    /// The clock of every instance on this database: `advance` moves it.
    pub clock: Arc<ShiftedClock>,
    wake: Arc<tanggap::runtime::Wake>,
    handle: actix_web::dev::ServerHandle,
    agent: ureq::Agent,
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Asserts the status, printing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Reply {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }

    /// Asserts a problem+json error of `status` whose `type` names `cause` (docs/API.md).
    #[track_caller]
    pub fn problem_of(self, status: u16, cause: &str) -> Reply {
        let r = self.problem(status);
        assert_eq!(
            r.body["type"],
            json!(format!("urn:tanggap:problem:{cause}")),
            "{}",
            r.text
        );
        r
    }

    /// Asserts a problem+json error of `status`.
    #[track_caller]
    pub fn problem(self, status: u16) -> Reply {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "not problem+json: {}",
            self.text
        );
        assert_eq!(self.body["status"], json!(status));
        assert!(self.body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("urn:tanggap:problem:")));
        assert!(
            self.body["title"].is_string() && self.body["detail"].is_string(),
            "{}",
            self.text
        );
        self
    }
}

impl TestApp {
    pub fn spawn_with(backend: Backend, extra_config: &str) -> Option<TestApp> {
        let db = TestDb::create(backend)?;
        let overlay = write_overlay(&db, extra_config);
        Some(Self::start(Arc::new(db), overlay, Arc::default()))
    }

    /// A second instance of the service on the same database.
    pub fn spawn_on(other: &TestApp) -> TestApp {
        Self::start(other.db.clone(), other.overlay.clone(), other.clock.clone())
    }

    /// Stops this instance and starts another on the same database and clock with `extra`
    /// configuration (written to the overlay file `name`): a restart with a changed
    /// configuration.
    pub fn restart_with(self, name: &str, extra: &str) -> TestApp {
        self.stop();
        let overlay = write_overlay_as(&self.db, name, extra);
        Self::start(self.db.clone(), overlay, self.clock.clone())
    }

    fn start(db: Arc<TestDb>, overlay: PathBuf, clock: Arc<ShiftedClock>) -> TestApp {
        let cfg = load_config(&overlay);
        let (tx, rx) = std::sync::mpsc::channel();
        let app_clock = clock.clone();
        std::thread::spawn(move || {
            let app = Application::build(cfg, app_clock, None).expect("application builds");
            tx.send((app.port, app.server.handle(), app.state.wake.clone()))
                .expect("send port");
            let _ = actix_web::rt::System::new().block_on(app.run());
        });
        let (port, handle, wake) = rx.recv().expect("server started");
        TestApp {
            base: format!("http://127.0.0.1:{port}"),
            db,
            overlay,
            clock,
            wake,
            handle,
            agent: ureq::AgentBuilder::new()
                .timeout(std::time::Duration::from_secs(30))
                .build(),
        }
    }

    /// Moves time `by` ahead for every instance on this database (they share the clock) and
    /// wakes this one's timer and outbox worker to look at the new time.
    pub fn advance(&self, by: std::time::Duration) {
        self.clock.advance(by);
        self.nudge();
    }

    /// Waits until this instance's timer has compared the calendars with the last start's (and
    /// moved the clocks of a changed one).
    #[track_caller]
    pub fn calendars_checked(&self) {
        let started = std::time::Instant::now();
        while !self
            .wake
            .calendars_checked
            .load(std::sync::atomic::Ordering::Acquire)
        {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(20),
                "the timer did not compare the calendars"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    /// Wakes this instance's timer and outbox worker to look at the time now.
    fn nudge(&self) {
        self.wake.timers_at(None);
        self.wake.outbox.notify_one();
    }

    /// Waits until the background jobs have done everything due by now: no escalation step or
    /// breach due, no email due or being sent. Instead of sleeping "long enough".
    #[track_caller]
    pub fn settle(&self) {
        let started = std::time::Instant::now();
        let mut conn = self.db.connect();
        loop {
            let now = tanggap::service::micros(tanggap::service::Clock::now(&*self.clock));
            let timer = tanggap::service::escalation::next_instant(&mut conn).expect("next step");
            let mail = tanggap::service::notifications::next_due(&mut conn).expect("next mail");
            let sending = tanggap::store::outbox::count_sending(&mut conn).expect("sending");
            if timer.is_none_or(|t| t > now) && mail.is_none_or(|t| t > now) && sending == 0 {
                return;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(20),
                "the jobs did not settle: step due {timer:?}, mail due {mail:?}, {sending} sending, now {now}"
            );
            self.nudge();
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// The backend this app's database is on.
    /// The backend's name, for what a test prints.
    pub fn backend_label(&self) -> &'static str {
        match self.backend() {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }

    pub fn backend(&self) -> Backend {
        if self.db.url.starts_with("sqlite") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        }
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        let mut req = self.agent.request(method, &format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.set("Authorization", &format!("Bearer {t}"));
        }
        let mut has_ct = false;
        for (k, v) in headers {
            has_ct |= k.eq_ignore_ascii_case("content-type");
            req = req.set(k, v);
        }
        if body.is_some() && !has_ct {
            req = req.set("Content-Type", "application/json");
        }
        let res = match body {
            Some(b) => req.send_string(b),
            None => req.call(),
        };
        let res = match res {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let status = res.status();
        let headers = res
            .headers_names()
            .into_iter()
            .filter_map(|n| res.header(&n).map(|v| (n.clone(), v.to_owned())))
            .collect();
        let text = res.into_string().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    pub fn get(&self, path: &str, token: &str) -> Reply {
        self.request("GET", path, Some(token), &[], None)
    }

    pub fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.request("POST", path, Some(token), &[], Some(&body.to_string()))
    }

    pub fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.request("PATCH", path, Some(token), &[], Some(&body.to_string()))
    }

    pub fn delete(&self, path: &str, token: &str) -> Reply {
        self.request("DELETE", path, Some(token), &[], None)
    }

    pub fn login_reply(&self, email: &str, password: &str) -> Reply {
        self.request(
            "POST",
            "/api/v1/auth/token",
            None,
            &[],
            Some(&json!({"email": email, "password": password}).to_string()),
        )
    }

    /// Logs in and answers the access token.
    #[track_caller]
    pub fn login(&self, email: &str, password: &str) -> String {
        let r = self.login_reply(email, password).expect(200);
        r.body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    pub fn admin(&self) -> String {
        self.login(ADMIN, DEMO_PASSWORD)
    }

    /// The id of the user behind `token` (`GET /me`).
    #[track_caller]
    pub fn user_id(&self, token: &str) -> i64 {
        self.get("/api/v1/me", token).expect(200).body["id"]
            .as_i64()
            .expect("id")
    }

    /// An administrator switches user `id`'s account on or off (`PATCH /users/{id}`).
    #[track_caller]
    pub fn set_active(&self, id: i64, active: bool) {
        self.patch(
            &format!("/api/v1/users/{id}"),
            &self.admin(),
            json!({ "active": active }),
        )
        .expect(200);
    }

    /// The context of a use case run by the system (no user) on this app's configuration,
    /// `ahead_us` after the app's clock.
    pub fn system_ctx(&self, ahead_us: i64) -> tanggap::service::Ctx {
        tanggap::service::Ctx {
            actor: tanggap::service::Actor::System,
            now: tanggap::service::micros(tanggap::service::Clock::now(&*self.clock)) + ahead_us,
            request_id: None,
            client_request_id: None,
            sla: load_config(&self.overlay).sla,
        }
    }

    /// Stops the server and its workers (for tests that then work on the database alone).
    pub fn stop(&self) {
        let handle = self.handle.clone();
        let _ = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(handle.stop(false));
        })
        .join();
        // The workers stop right after the server; give them a moment to let go.
        std::thread::sleep(std::time::Duration::from_millis(300));
    }

    /// Runs the `tanggap` binary against this app's database.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> std::process::Output {
        run_cli(&self.overlay, args, stdin, &[])
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop the server before the database goes away.
        let handle = self.handle.clone();
        let _ = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(handle.stop(false));
        })
        .join();
    }
}

/// The longest a CLI command may take in a test before it counts as hung (and is killed).
const CLI_DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);

/// Runs the binary with the shipped configuration plus `overlay`, and extra environment.
/// A command still running after [`CLI_DEADLINE`] (a `serve` that started when it should have
/// refused, a command waiting for input) is killed and the test fails.
pub fn run_cli(
    overlay: &Path,
    args: &[&str],
    stdin: Option<&str>,
    env: &[(&str, &str)],
) -> std::process::Output {
    use std::io::Write;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tanggap"));
    cmd.args(args)
        .env("TANGGAP_CONFIG_DIR", config_dir())
        .env("TANGGAP_CONFIG", overlay)
        .env_remove("TANGGAP_PROFILE")
        .env_remove("DATABASE_URL")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run tanggap");
    if let Some(input) = stdin {
        child
            .stdin
            .as_mut()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    // The pipes are drained while waiting, so a chatty command cannot block on a full pipe.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut out);
            }
            out
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for tanggap") {
            break status;
        }
        if started.elapsed() > CLI_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tanggap {args:?} still ran after {CLI_DEADLINE:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    std::process::Output {
        status,
        stdout: stdout.join().expect("stdout"),
        stderr: stderr.join().expect("stderr"),
    }
}

/// Starts `tanggap serve` with the shipped configuration plus `overlay` and extra environment,
/// on a free port; answers the child and its base URL once `/readyz` answers (20 s at most).
pub fn serve_process(overlay: &Path, env: &[(&str, &str)]) -> (std::process::Child, String) {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
        l.local_addr().expect("addr").port()
    };
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tanggap"));
    cmd.arg("serve")
        .env("TANGGAP_CONFIG_DIR", config_dir())
        .env("TANGGAP_CONFIG", overlay)
        .env("TANGGAP__SERVER__BIND", format!("127.0.0.1:{port}"))
        .env_remove("DATABASE_URL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("serve");
    let base = format!("http://127.0.0.1:{port}");
    let started = std::time::Instant::now();
    while ureq::get(&format!("{base}/readyz")).call().is_err() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "serve did not come up"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    (child, base)
}

/// Declares a test that runs once per backend: `both!(name)` calls `fn name(app: TestApp)`.
#[macro_export]
macro_rules! both {
    ($name:ident) => {
        both!($name, "");
    };
    ($name:ident, $config:expr) => {
        mod $name {
            use super::*;
            #[test]
            fn sqlite() {
                if let Some(app) = TestApp::spawn_with(Backend::Sqlite, $config) {
                    super::$name(app);
                }
            }
            #[test]
            fn postgres() {
                if let Some(app) = TestApp::spawn_with(Backend::Postgres, $config) {
                    super::$name(app);
                }
            }
        }
    };
}

/// A minimal valid filing.
pub fn issue_body(title: &str) -> Value {
    json!({
        "title": title,
        "description": format!("Laporan warga: {title}"),
        "category": "infrastruktur",
        "channel": "facebook",
        "source_urls": ["https://www.facebook.com/kotabaru/posts/1"],
    })
}

impl TestApp {
    /// Files an issue and answers its ref.
    #[track_caller]
    pub fn file(&self, token: &str, body: Value) -> String {
        let r = self.post("/api/v1/issues", token, body).expect(201);
        r.body["ref"].as_str().expect("ref").to_owned()
    }

    pub fn act(&self, token: &str, reference: &str, action: &str, body: Value) -> Reply {
        self.post(&format!("/api/v1/issues/{reference}/{action}"), token, body)
    }

    pub fn issue(&self, token: &str, reference: &str) -> Reply {
        self.get(&format!("/api/v1/issues/{reference}"), token)
    }
}

/// The emails the outbox wrote to files so far.
pub fn mails(app: &TestApp) -> Vec<String> {
    let dir = app.db.dir.path().join("mail");
    std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Waits until the outbox has written `n` emails about `reference`.
pub fn mails_about(app: &TestApp, reference: &str, n: usize) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let about: Vec<String> = mails(app)
            .into_iter()
            .filter(|m| m.contains(reference))
            .collect();
        if about.len() >= n || std::time::Instant::now() > deadline {
            return about;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// A multipart/form-data body of `files` (field name, file name, bytes) and its content type.
pub fn multipart(files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "tanggap-test-boundary-7f3a";
    let mut body = Vec::new();
    for (field, name, bytes) in files {
        body.extend(format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        ).as_bytes());
        body.extend(*bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The refs of a list of issues (or suggestions).
pub fn refs(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|i| i["ref"].as_str().expect("ref").to_owned())
        .collect()
}

/// The item of issue `reference` on the page of issues `page` (a body with `items`).
#[track_caller]
pub fn item_on(page: &Value, reference: &str) -> Value {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["ref"] == reference)
        .cloned()
        .unwrap_or_else(|| panic!("{reference} is not on the page"))
}

/// Sends a request with a byte body (none for GET): the status, the headers (lower-case
/// names) and the body's bytes, whatever the status.
pub fn send_raw(
    req: ureq::Request,
    content_type: &str,
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let what = format!("{} {}", req.method(), req.url());
    let res = if req.method() == "GET" {
        req.call()
    } else {
        req.set("Content-Type", content_type).send_bytes(body)
    };
    let res = match res {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{what}: {e}"),
    };
    let status = res.status();
    let headers = res
        .headers_names()
        .into_iter()
        .filter_map(|n| res.header(&n).map(|v| (n.to_lowercase(), v.to_owned())))
        .collect();
    let mut bytes = Vec::new();
    let _ = std::io::Read::read_to_end(&mut res.into_reader(), &mut bytes);
    (status, headers, bytes)
}

impl TestApp {
    /// Sends bytes as the bearer of `token`; answers the status, the headers and the body.
    pub fn send_bytes(
        &self,
        method: &str,
        path: &str,
        token: &str,
        content_type: &str,
        body: &[u8],
    ) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let req = self
            .agent
            .request(method, &format!("{}{path}", self.base))
            .set("Authorization", &format!("Bearer {token}"));
        send_raw(req, content_type, body)
    }
}

/// The shipped zone (`Asia/Makassar`), in which reports and calendars count days.
pub fn local_zone() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get("Asia/Makassar").expect("zone")
}

/// The local date of an instant in the shipped zone, as reports and calendars count days.
pub fn local_date(t: jiff::Timestamp) -> jiff::civil::Date {
    t.to_zoned(local_zone()).date()
}

use crate::both;
use crate::helpers::*;
use serde_json::json;
use std::time::{Duration, Instant};

fn user_add_reads_the_password_from_stdin(app: TestApp) {
    let out = app.cli(
        &[
            "user",
            "add",
            "--email",
            "kadis.pupr@kotabaru.go.id",
            "--name",
            "Kadis PUPR",
            "--role",
            "leader",
            "--unit",
            "DPUPR",
        ],
        Some("rahasia-kadis-pupr\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = app.login("kadis.pupr@kotabaru.go.id", "rahasia-kadis-pupr");
    let me = app.get("/api/v1/me", &token).expect(200);
    assert_eq!(me.body["role"], "leader");
    assert_eq!(me.body["unit"], "DPUPR");
    // Bad values are named, with the valid ones.
    let out = app.cli(
        &[
            "user",
            "add",
            "--email",
            "x@kotabaru.go.id",
            "--name",
            "X",
            "--role",
            "boss",
        ],
        Some("long-enough-pw\n"),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--role") && err.contains("admin, trc, pic, leader"),
        "{err}"
    );
}
both!(user_add_reads_the_password_from_stdin);

fn migrations_go_down_and_up_again(app: TestApp) {
    app.stop();
    let mut conn = app.db.connect();
    tanggap::store::revert_all(&mut conn).expect("every down migration runs");
    assert!(tanggap::store::has_pending_migrations(&mut conn).expect("state"));
    tanggap::store::migrate(&mut conn).expect("and up again");
    let out = app.cli(&["migrate"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("applied 0 migration"));
}
both!(migrations_go_down_and_up_again);

/// Issues merged before the upgrade that counts merges get their count from the migration, so
/// that their duplicates still show on lists and queues.
fn the_upgrade_counts_the_merges_made_before_it(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let target = app.file(&trc, issue_body("Lampu jalan mati"));
    let lone = app.file(&trc, issue_body("Jembatan retak"));
    for title in ["Lampu mati lagi", "Lampu padam"] {
        let dup = app.file(&trc, issue_body(title));
        app.act(&trc, &dup, "merge", json!({"into": target}))
            .expect(200);
    }
    app.stop();
    let mut conn = app.db.connect();
    // Back to the schema before the count (the column goes, and the one added after it), then
    // up again.
    for _ in 0..2 {
        tanggap::store::revert_last(&mut conn).expect("the latest migrations go down");
    }
    tanggap::store::migrate(&mut conn).expect("and up again");
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        merged_count: i32,
    }
    let mut read = |r: &str| -> i32 {
        let q = diesel::sql_query(format!("SELECT merged_count FROM issues WHERE ref = '{r}'"));
        let rows: Vec<Count> = match &mut conn {
            tanggap::store::Db::Pg(c) => diesel::RunQueryDsl::load(q, c),
            tanggap::store::Db::Sqlite(c) => diesel::RunQueryDsl::load(q, c),
        }
        .expect("read the count");
        rows[0].merged_count
    };
    assert_eq!(read(&target), 2);
    assert_eq!(read(&lone), 0);
}
both!(the_upgrade_counts_the_merges_made_before_it);

/// `serve` refuses a bad overlay before it opens anything, naming the file and the key, as
/// `check-config` does: a type error, an unknown key, an invalid value, a file that is no TOML.
#[test]
fn serve_refuses_a_bad_overlay_naming_the_file_and_the_key() {
    let dir = tempfile::tempdir().expect("dir");
    let cases = [
        ("[server]\nbind = 5\n", "`server.bind`"),
        ("[server]\nbindd = \"127.0.0.1:1\"\n", "`server.bindd`"),
        ("[mail]\ntransport = \"pigeon\"\n", "`mail.transport`"),
        ("[server\nbind = 5\n", "TOML parse error"),
    ];
    for (i, (text, key)) in cases.iter().enumerate() {
        let overlay = dir.path().join(format!("bad-{i}.toml"));
        std::fs::write(&overlay, text).expect("write");
        let db = dir.path().join(format!("never-{i}.db"));
        let db_url = format!("sqlite://{}", db.display());
        for command in ["serve", "check-config"] {
            let out = run_cli(
                &overlay,
                &[command],
                None,
                &[("TANGGAP__DATABASE__URL", &db_url)],
            );
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{command} {text:?}: {err}");
            assert!(
                err.contains(&overlay.display().to_string()) && err.contains(key),
                "{command} {text:?} names the file and {key}: {err}"
            );
        }
        assert!(
            !db.exists(),
            "serve opened the database with a bad configuration"
        );
    }
}

#[test]
fn check_config_prints_masked_settings() {
    let dir = tempfile::tempdir().expect("dir");
    let overlay = dir.path().join("o.toml");
    std::fs::write(
        &overlay,
        "[database]\nurl = \"postgres://tanggap:hunter2secret@db:5432/tanggap\"\n",
    )
    .expect("write");
    let out = run_cli(
        &overlay,
        &["check-config"],
        None,
        &[("TANGGAP__AUTH__JWT_SECRET", "a-secret-from-the-environment")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("postgres://tanggap:********@db:5432/tanggap"),
        "{text}"
    );
    assert!(!text.contains("hunter2secret") && !text.contains("a-secret-from-the-environment"));
    assert!(text.contains("zone = \"Asia/Makassar\""));
}

#[test]
fn check_config_names_the_variable_the_key_and_the_problem() {
    let dir = tempfile::tempdir().expect("dir");
    let overlay = dir.path().join("o.toml");
    std::fs::write(&overlay, "[mail]\nlanguage = \"fr\"\n").expect("write");
    let out = run_cli(
        &overlay,
        &["check-config"],
        None,
        &[("TANGGAP__AUTH__TOKEN_TTL", "forever")],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("environment variable TANGGAP__AUTH__TOKEN_TTL: `auth.token_ttl`: `forever` is not a duration"), "{err}");
    assert!(
        err.contains(&format!(
            "{}: `mail.language`: `fr` is not one of: id, en",
            overlay.display()
        )),
        "{err}"
    );
    // DATABASE_URL is named as such.
    let out = run_cli(
        &overlay,
        &["check-config"],
        None,
        &[("DATABASE_URL", "mysql://x")],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("environment variable DATABASE_URL: `database.url`"),
        "{err}"
    );
    // The production profile refuses the shipped secret.
    let ok = dir.path().join("ok.toml");
    std::fs::write(&ok, "").expect("write");
    let out = run_cli(
        &ok,
        &["check-config"],
        None,
        &[("TANGGAP_PROFILE", "production")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("auth.jwt_secret"));
}

fn serve_stops_cleanly_on_sigterm(app: TestApp) {
    let (mut child, _) = serve_process(&app.overlay, &[]);
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let code = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s.code();
        }
        assert!(
            Instant::now() < deadline,
            "serve did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(code, Some(0));
}
both!(serve_stops_cleanly_on_sigterm);

#[test]
fn the_two_migration_trees_have_the_same_migrations() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let names = |b: &str| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(root.join(b))
            .expect("tree")
            .filter_map(std::result::Result::ok)
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        for n in &v {
            for f in ["up.sql", "down.sql"] {
                assert!(
                    root.join(b).join(n).join(f).is_file(),
                    "{b}/{n}/{f} missing"
                );
            }
        }
        v
    };
    let (lite, pg) = (names("sqlite"), names("postgres"));
    assert!(!lite.is_empty());
    assert_eq!(lite, pg, "migrations/sqlite and migrations/postgres differ");
}

#[test]
fn check_config_rejects_bad_durations_calendars_zones_and_dates() {
    let dir = tempfile::tempdir().expect("dir");
    let overlay = dir.path().join("o.toml");
    std::fs::write(
        &overlay,
        "[time]\nzone = \"Asia/Kotabaru\"\n\
         [holidays]\nkotabaru = [\"2026-02-30\"]\n\
         [sla.priority.high]\ncalendar = \"kantor\"\ntriage = \"2 jam\"\nresponse = \"1wd\"\nresolution = \"3wd\"\n",
    )
    .expect("write");
    let out = run_cli(&overlay, &["check-config"], None, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    for key in [
        "`time.zone`: `Asia/Kotabaru`",
        "`holidays.kotabaru`: `2026-02-30`",
        "`sla.priority.high.calendar`: no calendar `kantor`",
        "`sla.priority.high.triage`: `2 jam`",
    ] {
        assert!(err.contains(key), "{key} not in {err}");
    }
    assert!(err.contains(&overlay.display().to_string()));
}

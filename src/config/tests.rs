use super::*;
use std::io::Write;

fn shipped() -> LoadOptions {
    LoadOptions {
        config_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config"),
        profile: "default".into(),
        overlay: None,
        use_env: false,
    }
}

fn with_overlay(text: &str) -> (tempfile::NamedTempFile, LoadOptions) {
    let mut f = tempfile::Builder::new()
        .suffix(".toml")
        .tempfile()
        .expect("temp file");
    f.write_all(text.as_bytes()).expect("write overlay");
    let opts = LoadOptions {
        overlay: Some(f.path().to_path_buf()),
        ..shipped()
    };
    (f, opts)
}

#[test]
fn the_shipped_defaults_are_valid() {
    let cfg = load(&shipped()).expect("default config loads");
    assert_eq!(cfg.settings.time.zone, "Asia/Makassar");
    assert_eq!(cfg.backend, Backend::Sqlite);
    assert_eq!(cfg.token_ttl_secs, 8 * 3600);
    assert_eq!(cfg.body_limit, 1024 * 1024);
    let national = cfg
        .settings
        .holidays
        .get("national")
        .expect("national list");
    assert!(national.dates().contains(&"2026-03-21"), "Idul Fitri 2026");
    assert!(
        national.dates().contains(&"2026-03-23"),
        "cuti bersama Idul Fitri 2026"
    );
}

#[test]
fn the_production_profile_refuses_the_default_secret() {
    let opts = LoadOptions {
        profile: "production".into(),
        ..shipped()
    };
    let errs = load(&opts).expect_err("must refuse");
    assert!(
        errs.iter()
            .any(|e| e.key == "auth.jwt_secret" && e.problem.contains("default secret")),
        "{errs:?}"
    );
}

#[test]
fn errors_name_the_file_the_key_and_the_problem() {
    let (file, opts) =
        with_overlay("[auth]\ntoken_ttl = \"8 hours\"\n[time]\nzone = \"Asia/Atlantis\"\n");
    let errs = load(&opts).expect_err("must refuse");
    let path = file.path().display().to_string();
    let ttl = errs
        .iter()
        .find(|e| e.key == "auth.token_ttl")
        .expect("token_ttl named");
    assert_eq!(ttl.source, path);
    assert!(ttl.problem.contains("8 hours"), "{ttl}");
    let zone = errs
        .iter()
        .find(|e| e.key == "time.zone")
        .expect("zone named");
    assert_eq!(zone.source, path);
}

#[test]
fn type_errors_and_unknown_keys_name_the_key() {
    let (file, opts) = with_overlay("[server]\nworkers = \"many\"\nbindd = \"x\"\n");
    let errs = load(&opts).expect_err("must refuse");
    let text: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert!(errs.iter().any(|e| e.key.starts_with("server")), "{text:?}");
    assert!(
        errs.iter()
            .all(|e| e.source == file.path().display().to_string()),
        "{text:?}"
    );
}

#[test]
fn references_to_calendars_holidays_and_groups_are_checked() {
    let (_f, opts) = with_overlay(
        r#"
[calendars.office]
kind = "office_hours"
hours = { mon = "16:00-07:30", funday = "08:00-12:00" }
holidays = ["kotabaru"]
[sla.priority.low]
calendar = "weekend"
triage = "1wd"
response = "5wd"
resolution = "20wd"
[escalation.triage]
steps = [{ at = "1000x", notify = ["camat"] }]
"#,
    );
    let errs = load(&opts).expect_err("must refuse");
    let keys: Vec<&str> = errs.iter().map(|e| e.key.as_str()).collect();
    for k in [
        "calendars.office.hours.mon",
        "calendars.office.hours.funday",
        "calendars.office.holidays",
        "sla.priority.low.calendar",
        "escalation.triage.steps.0.at",
        "escalation.triage.steps.0.notify",
    ] {
        assert!(keys.contains(&k), "{k} missing from {keys:?}");
    }
}

#[test]
fn a_region_adds_its_own_holidays() {
    let (_f, opts) = with_overlay(
        "[holidays]\nkotabaru = [\"2026-01-29\"]\n[calendars.office]\nkind = \"office_hours\"\nhours = { mon = \"07:30-16:00\" }\nholidays = [\"national\", \"kotabaru\"]\n",
    );
    let cfg = load(&opts).expect("loads");
    assert_eq!(
        cfg.settings.calendars["office"].holidays,
        ["national", "kotabaru"]
    );
}

#[test]
fn a_holiday_list_says_how_far_it_reaches() {
    let cfg = load(&shipped()).expect("loads");
    let national = &cfg.sla.holiday_lists["national"];
    assert_eq!(
        national.covers_until,
        Some(jiff::civil::date(2027, 12, 31)),
        "the end of its latest year"
    );
    // The shipped list runs out within 90 days of 2027-10-03, not before.
    assert!(cfg
        .holiday_warnings(jiff::civil::date(2027, 10, 2))
        .is_empty());
    let w = cfg.holiday_warnings(jiff::civil::date(2027, 10, 3));
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!((w[0].list.as_str(), w[0].days_left), ("national", 89));
    assert!(w[0].source.ends_with("default.toml"), "{}", w[0].source);
    assert!(w[0]
        .to_string()
        .contains("holidays.national covers dates until 2027-12-31"));

    let (_f, opts) = with_overlay(
        "[holidays.kotabaru]\n\"2026-01-29\" = \"Hari Jadi\"\ncovers_until = \"2029-06-30\"\n\
         [calendars.office]\nholidays = [\"kotabaru\"]\n",
    );
    let cfg = load(&opts).expect("loads");
    let kotabaru = &cfg.sla.holiday_lists["kotabaru"];
    assert_eq!(kotabaru.covers_until, Some(jiff::civil::date(2029, 6, 30)));
    assert_eq!(kotabaru.days.len(), 1, "covers_until is no holiday");
    // Only lists a calendar names are watched: national is no longer on one.
    assert!(cfg
        .holiday_warnings(jiff::civil::date(2029, 1, 1))
        .is_empty());
    assert_eq!(
        cfg.holiday_warnings(jiff::civil::date(2029, 6, 1))[0].list,
        "kotabaru"
    );

    for (bad, problem) in [
        (
            "covers_until = \"2025-12-31\"",
            "before the list's last holiday, 2026-01-29",
        ),
        ("covers_until = \"soon\"", "not a date"),
    ] {
        let (_f, opts) = with_overlay(&format!(
            "[holidays.kotabaru]\n\"2026-01-29\" = \"Hari Jadi\"\n{bad}\n"
        ));
        let errs = load(&opts).expect_err("must refuse");
        assert!(
            errs.iter()
                .any(|e| e.key == "holidays.kotabaru.covers_until" && e.problem.contains(problem)),
            "{errs:?}"
        );
    }
    let (_f, opts) = with_overlay("[time]\nholiday_warning_days = -1\n");
    let errs = load(&opts).expect_err("must refuse");
    assert!(
        errs.iter().any(|e| e.key == "time.holiday_warning_days"),
        "{errs:?}"
    );
}

#[test]
fn database_passwords_are_masked() {
    let url = DatabaseUrl("postgres://tanggap:s3cret@db.local:5432/tanggap".into());
    assert_eq!(
        url.masked(),
        "postgres://tanggap:********@db.local:5432/tanggap"
    );
    let mut cfg = load(&shipped()).expect("loads");
    cfg.settings.database.url = url;
    cfg.settings.auth.jwt_secret = Secret::new("a-very-secret-value");
    let printed = cfg.to_masked_toml();
    assert!(
        !printed.contains("s3cret") && !printed.contains("a-very-secret-value"),
        "{printed}"
    );
}

#[test]
fn office_hours_parse_as_half_open_minutes() {
    assert_eq!(validate::parse_hours("07:30-16:00"), Ok((450, 960)));
    assert!(validate::parse_hours("16:00-16:00").is_err());
    assert!(validate::parse_hours("7:30-16:00").is_err());
    assert_eq!(validate::parse_hours("00:00-24:00"), Ok((0, 1440)));
}

const RANDOM_SECRET: &str = "q3N9v+Zr8kT1wLx0bP4sYhD6mE2uJcFa7GiR5oWnKe0=";

fn errors_for(overlay: &str) -> Vec<ConfigError> {
    let (_file, opts) = with_overlay(overlay);
    match load(&opts) {
        Ok(_) => vec![],
        Err(e) => e,
    }
}

fn names(errs: &[ConfigError], key: &str) -> bool {
    errs.iter().any(|e| e.key == key)
}

#[test]
fn a_reachable_service_refuses_the_default_secret_and_demo_data_whatever_the_profile() {
    // Profile "default" (not "production"), listening on every address.
    let errs = errors_for("[server]\nbind = \"0.0.0.0:8080\"\n");
    assert!(names(&errs, "auth.jwt_secret"), "{errs:?}");
    assert!(names(&errs, "demo.seed"), "{errs:?}");
    // Behind a proxy on loopback, but published under a public address: reachable too.
    let errs = errors_for("[server]\npublic_base_url = \"https://tanggap.kotabarukab.go.id\"\n");
    assert!(names(&errs, "auth.jwt_secret"), "{errs:?}");
    assert!(names(&errs, "demo.seed"), "{errs:?}");
    // A 16-character secret passed before; reachable, it is refused.
    let errs = errors_for(
        "[server]\nbind = \"0.0.0.0:8080\"\n[demo]\nseed = false\n[auth]\njwt_secret = \"sixteen-chars-ok\"\n",
    );
    assert!(
        errs.iter()
            .any(|e| e.key == "auth.jwt_secret" && e.problem.contains("32")),
        "{errs:?}"
    );
    // 32 bytes of one character are not random.
    let errs = errors_for(&format!(
        "[server]\nbind = \"0.0.0.0:8080\"\n[demo]\nseed = false\n[auth]\njwt_secret = \"{}\"\n",
        "a".repeat(40)
    ));
    assert!(names(&errs, "auth.jwt_secret"), "{errs:?}");
    // A random secret, no demo data, but no audit key: the audit key is required.
    let reachable = format!(
        "[server]\nbind = \"0.0.0.0:8080\"\n[demo]\nseed = false\n[auth]\njwt_secret = \"{RANDOM_SECRET}\"\n"
    );
    let errs = errors_for(&reachable);
    assert!(errs.len() == 1 && names(&errs, "audit.key"), "{errs:?}");
    // With a random audit key: accepted.
    let errs = errors_for(&format!(
        "{reachable}[audit]\nkey = \"{}\"\n",
        RANDOM_SECRET.chars().rev().collect::<String>()
    ));
    assert!(errs.is_empty(), "{errs:?}");
    // On loopback the demo keeps working with the shipped secret and its data.
    assert!(errors_for("").is_empty());
    assert!(errors_for(
        "[server]\nbind = \"[::1]:8080\"\npublic_base_url = \"http://localhost:8080\"\n"
    )
    .is_empty());
}

#[test]
fn the_example_files_placeholder_secret_is_refused_even_on_loopback() {
    let example = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("deploy/tanggap.env.example"),
    )
    .expect("read the example");
    let placeholder = example
        .lines()
        .find_map(|l| l.strip_prefix("TANGGAP__AUTH__JWT_SECRET="))
        .expect("the example sets the secret");
    let errs = errors_for(&format!("[auth]\njwt_secret = \"{placeholder}\"\n"));
    assert!(
        errs.iter()
            .any(|e| e.key == "auth.jwt_secret" && e.problem.contains("placeholder")),
        "{errs:?}"
    );
}

#[test]
fn a_lease_must_cover_a_delivery_and_credentials_never_travel_in_clear() {
    let errs = errors_for("[mail]\nlease = \"40s\"\n[mail.smtp]\ntimeout = \"30s\"\n");
    assert!(
        errs.iter().any(|e| e.key == "mail.lease"
            && e.problem.contains("mail.smtp.timeout")
            && e.problem.contains("twice")),
        "{errs:?}"
    );
    assert!(errors_for("[mail]\nlease = \"60s\"\n[mail.smtp]\ntimeout = \"30s\"\n").is_empty());
    let clear = "[mail]\ntransport = \"smtp\"\n[mail.smtp]\nhost = \"mail.kotabarukab.go.id\"\ntls = \"none\"\nusername = \"tanggap\"\n";
    let errs = errors_for(clear);
    assert!(
        errs.iter()
            .any(|e| e.key == "mail.smtp.tls" && e.problem.contains("clear text")),
        "{errs:?}"
    );
    // Plain SMTP is fine to a relay on loopback, or without credentials.
    assert!(errors_for(&clear.replace("mail.kotabarukab.go.id", "127.0.0.1")).is_empty());
    assert!(errors_for(&clear.replace("username = \"tanggap\"\n", "")).is_empty());
}

#[test]
fn audit_keys_are_long_named_and_distinct() {
    let errs = errors_for("[audit]\nkey = \"too-short\"\n");
    assert!(names(&errs, "audit.key"), "{errs:?}");
    let errs = errors_for(&format!(
        "[audit]\nkey = \"{RANDOM_SECRET}\"\nkey_id = \"a:b\"\n"
    ));
    assert!(names(&errs, "audit.key_id"), "{errs:?}");
    let errs = errors_for(&format!(
        "[audit]\nkey = \"{RANDOM_SECRET}\"\nkey_id = \"k2\"\n[audit.previous_keys]\nk2 = \"{RANDOM_SECRET}\"\nk1 = \"short\"\n"
    ));
    assert!(names(&errs, "audit.previous_keys.k2"), "{errs:?}");
    assert!(names(&errs, "audit.previous_keys.k1"), "{errs:?}");
    assert!(errors_for(&format!("[audit]\nkey = \"{RANDOM_SECRET}\"\n")).is_empty());
}

#[test]
fn mail_settings_are_parsed_once_into_a_route() {
    let cfg = load(&shipped()).expect("default config loads");
    assert!(
        matches!(&cfg.mail_route, MailRoute::File(dir) if dir.ends_with("mail")),
        "{:?}",
        cfg.mail_route
    );
    let (_f, opts) = with_overlay(
        "[mail]\ntransport = \"smtp\"\n[mail.smtp]\nhost = \" smtp.kotabarukab.go.id \"\nport = 465\ntls = \"tls\"\nusername = \"tanggap\"\npassword = \"relay-secret\"\ntimeout = \"20s\"\n",
    );
    let cfg = load(&opts).expect("smtp config loads");
    match &cfg.mail_route {
        MailRoute::Smtp {
            host,
            port,
            security,
            credentials,
        } => {
            assert_eq!(
                (host.as_str(), *port, *security),
                ("smtp.kotabarukab.go.id", 465, SmtpSecurity::Tls)
            );
            let (user, password) = credentials.as_ref().expect("credentials");
            assert_eq!(
                (user.as_str(), password.expose()),
                ("tanggap", "relay-secret")
            );
        }
        other @ MailRoute::File(_) => panic!("expected SMTP, got {other:?}"),
    }
    assert_eq!(cfg.mail.send_timeout, std::time::Duration::from_secs(20));
}

#[test]
fn reads_on_the_worker_are_bounded_and_only_for_postgresql() {
    let (_f, opts) = with_overlay("[database]\nread_on_worker_ms = 60000\n");
    let errs = load(&opts).expect_err("must refuse");
    let e = errs
        .iter()
        .find(|e| e.key == "database.read_on_worker_ms")
        .expect("read_on_worker_ms named");
    assert!(e.problem.contains("0 (off) to 5000"), "{e}");
    // SQLite reads in the process: the setting does nothing there.
    let (_f, opts) = with_overlay("[database]\nread_on_worker_ms = 300\n");
    assert_eq!(load(&opts).expect("valid").read_on_worker, None);
    let (_f, opts) =
        with_overlay("[database]\nurl = \"postgres://t@127.0.0.1/t\"\nread_on_worker_ms = 300\n");
    assert_eq!(
        load(&opts).expect("valid").read_on_worker,
        Some(std::time::Duration::from_millis(300))
    );
    let (_f, opts) =
        with_overlay("[database]\nurl = \"postgres://t@127.0.0.1/t\"\nread_on_worker_ms = 0\n");
    assert_eq!(load(&opts).expect("valid").read_on_worker, None);
}

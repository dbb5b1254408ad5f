//! Holiday lists that never silently run out, and a revised decree that moves running clocks.

use crate::both;
use crate::helpers::*;
use serde_json::{json, Value};
use tanggap::service::Clock as _;

fn ts(v: &Value) -> jiff::Timestamp {
    v.as_str().expect("instant").parse().expect("RFC 3339")
}

fn today(app: &TestApp) -> jiff::civil::Date {
    local_date(app.clock.now())
}

/// An overlay with a list `kotabaru` on the office calendar that covers `days` days past today.
fn regional_list(app: &TestApp, days: i64) -> String {
    let end = today(app)
        .checked_add(jiff::Span::new().days(days))
        .expect("date");
    format!(
        "[holidays.kotabaru]\n\"2026-01-29\" = \"Hari Jadi Kabupaten Kotabaru\"\ncovers_until = \"{end}\"\n\
         [calendars.office]\nholidays = [\"national\", \"kotabaru\"]\n"
    )
}

fn metric(app: &TestApp, list: &str) -> Option<i64> {
    let r = app.get("/metrics", "").expect(200);
    let prefix = format!("tanggap_holiday_list_days_remaining{{list=\"{list}\"}} ");
    r.text
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|v| v.parse().expect("days"))
}

fn a_list_that_runs_out_is_named_everywhere_but_stays_ready(app: TestApp) {
    let soon = regional_list(&app, 30);
    let app = app.restart_with("soon.toml", &soon);
    assert_eq!(metric(&app, "kotabaru"), Some(30));
    // The shipped list reaches to the end of 2027.
    let national = metric(&app, "national").expect("national is on the office calendar");
    let to_end_of_2027 = today(&app)
        .until(jiff::civil::date(2027, 12, 31))
        .expect("span")
        .get_days();
    assert_eq!(national, i64::from(to_end_of_2027));
    // A warning, not an outage.
    app.get("/readyz", "").expect(200);
    let out = app.cli(&["check-config"], None);
    assert!(out.status.success(), "check-config exits 0 on a warning");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let end = today(&app)
        .checked_add(jiff::Span::new().days(30))
        .expect("date");
    assert!(
        stderr.contains("warning")
            && stderr.contains("soon.toml")
            && stderr.contains("holidays.kotabaru")
            && stderr.contains(&end.to_string())
            && stderr.contains("30 days left"),
        "{stderr}"
    );

    // Reaching far enough: no warning (the national list too, while 2027 is more than 90
    // days away, as it is until October 2027).
    let far = regional_list(&app, 200);
    let app = app.restart_with("far.toml", &far);
    assert_eq!(metric(&app, "kotabaru"), Some(200));
    let out = app.cli(&["check-config"], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success());
    assert!(!stderr.contains("holidays.kotabaru"), "{stderr}");
    if national >= 90 {
        assert!(!stderr.contains("warning"), "{stderr}");
    }
}
both!(a_list_that_runs_out_is_named_everywhere_but_stays_ready);

fn clock_on<'a>(issue: &'a Value, calendar: &str, state: &str) -> &'a Value {
    issue["clocks"]
        .as_array()
        .expect("clocks")
        .iter()
        .find(|c| c["calendar"] == calendar && c["state"] == state)
        .unwrap_or_else(|| panic!("no {state} clock on {calendar}: {issue}"))
}

fn events(app: &TestApp, token: &str, reference: &str, action: &str) -> Vec<Value> {
    let h = app
        .get(&format!("/api/v1/issues/{reference}/history"), token)
        .expect(200);
    h.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["action"] == action)
        .cloned()
        .collect()
}

fn until(app: &TestApp, t: jiff::Timestamp) -> std::time::Duration {
    let d = app.clock.now().duration_until(t);
    std::time::Duration::try_from(d).unwrap_or_default()
}

fn a_revised_decree_moves_running_clocks(app: TestApp) {
    let trc = app.login(TRC, DEMO_PASSWORD);
    let mut body = issue_body("Jembatan ambruk di Sebatik");
    body["priority"] = json!("high");
    let running = app.file(&trc, body.clone());
    // A second issue whose triage clock stops before the decree changes.
    let stopped = app.file(&trc, body);
    app.act(&trc, &stopped, "triage", json!({"unit": "DPUPR"}))
        .expect(200);
    let before = app.issue(&trc, &running).expect(200).body;
    let clock = clock_on(&before, "office", "running").clone();
    let old_due = ts(&clock["due_at"]);
    let day = local_date(old_due);
    let stopped_before = app.issue(&trc, &stopped).expect(200).body;
    let met = clock_on(&stopped_before, "office", "met").clone();

    // The decree adds a cuti bersama day on the clock's due day; the operator adds it to the
    // configuration and restarts.
    let revised = format!(
        "[holidays.revisi]\n\"{day}\" = \"Cuti Bersama (SKB perubahan)\"\n\
         [calendars.office]\nholidays = [\"national\", \"revisi\"]\n"
    );
    let app = app.restart_with("revised.toml", &revised);
    let trc = app.login(TRC, DEMO_PASSWORD);
    // The instance serves at once; its timer moves the clocks first.
    app.calendars_checked();
    let after = app.issue(&trc, &running).expect(200).body;
    let moved = clock_on(&after, "office", "running");
    let new_due = ts(&moved["due_at"]);
    assert!(new_due > old_due, "{old_due} -> {new_due}");
    assert!(
        local_date(new_due) > day,
        "moved off the holiday: {new_due}"
    );
    assert_eq!(
        moved["started_at"], clock["started_at"],
        "from its own start"
    );
    assert_eq!(moved["target"], clock["target"], "on its own target");
    assert!(after["version"].as_i64() > before["version"].as_i64());
    let retargeted = events(&app, &trc, &running, "clock.retargeted");
    assert_eq!(retargeted.len(), 1, "{retargeted:?}");
    let changes = &retargeted[0]["changes"];
    assert_eq!(changes["reason"]["after"], "holiday list changed");
    assert_eq!(changes["calendar"]["after"], "office");
    let clock_change = changes
        .as_object()
        .expect("changes")
        .iter()
        .find(|(k, _)| k.starts_with("clocks."))
        .map(|(_, v)| v.clone())
        .expect("a clock's change");
    assert_eq!(clock_change["before"]["due_at"], clock["due_at"]);
    assert_eq!(clock_change["after"]["due_at"], moved["due_at"]);

    // The stopped clock keeps its figures.
    let stopped_after = app.issue(&trc, &stopped).expect(200).body;
    assert_eq!(clock_on(&stopped_after, "office", "met"), &met);

    // The timer sees the new instant: nothing breaches at the old one...
    app.advance(until(&app, old_due) + std::time::Duration::from_secs(60));
    app.settle();
    assert!(events(&app, &trc, &running, "sla.breached").is_empty());
    let now = app.issue(&trc, &running).expect(200).body;
    assert_eq!(
        clock_on(&now, "office", "running")["breached"],
        json!(false)
    );
    // ...and the breach comes at the new one.
    app.advance(until(&app, new_due) + std::time::Duration::from_secs(60));
    app.settle();
    let breached = events(&app, &trc, &running, "sla.breached");
    assert_eq!(breached.len(), 1, "{breached:?}");
    assert_eq!(
        breached[0]["changes"]["clock"]["after"]["due_at"],
        moved["due_at"]
    );

    // Starting again with the same lists moves nothing more.
    let app = app.restart_with("revised.toml", &revised);
    let trc = app.login(TRC, DEMO_PASSWORD);
    app.calendars_checked();
    assert_eq!(events(&app, &trc, &running, "clock.retargeted").len(), 1);
}
both!(a_revised_decree_moves_running_clocks);

#[test]
fn calendar_show_lists_hours_holidays_and_the_days_no_list_reaches() {
    let Some(db) = TestDb::create(Backend::Sqlite) else {
        return;
    };
    let overlay = write_overlay(&db, "");
    let out = run_cli(
        &overlay,
        &[
            "calendar",
            "show",
            "office",
            "--from",
            "2027-12-20",
            "--to",
            "2028-01-10",
        ],
        None,
        &[],
    );
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |date: &str| {
        text.lines()
            .find(|l| l.starts_with(date))
            .unwrap_or_else(|| panic!("no {date} in\n{text}"))
            .to_owned()
    };
    assert!(line("2027-12-20").contains("Mon  07:30-16:00"), "{text}");
    assert!(line("2027-12-24").contains("closed") && line("2027-12-24").contains("(national)"));
    assert!(line("2027-12-31").contains("07:30-16:30"), "a Friday");
    assert!(!line("2027-12-31").contains("WARNING"));
    assert!(
        line("2028-01-03").contains("beyond holidays.national"),
        "{text}"
    );
    assert_eq!(text.lines().filter(|l| l.starts_with("20")).count(), 22);
    let bad = run_cli(
        &overlay,
        &["calendar", "show", "kantor", "--from", "2027-12-20"],
        None,
        &[],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr)
        .contains("no calendar `kantor`; calendars: always, office"));
}

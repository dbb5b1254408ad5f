//! Reports over stored per-day tallies equal reports counted over the live tables, for every
//! role and grouping, before and after changes the job has not yet taken in, and after it has.

use crate::helpers::*;
use diesel::connection::SimpleConnection;
use std::fmt::Write as _;
use tanggap::config::{self, LoadOptions};
use tanggap::domain::Role;
use tanggap::service::{reports, Actor, Caller, Ctx};
use tanggap::store::Db;

/// A small deterministic generator (xorshift), so that a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[usize::try_from(self.next(from.len() as u64)).unwrap()]
    }
}

const UNITS: [&str; 5] = ["U1", "U1A", "U1B", "U2", "U3"];
const DAY: i64 = 86_400_000_000;

fn setup(conn: &mut Db, now: i64, rng: &mut Rng, issues: usize) {
    setup_people(conn);
    setup_issues(conn, now, rng, issues, 1);
}

fn setup_people(conn: &mut Db) {
    conn.batch_execute(
        "INSERT INTO units (code, name, active, created_at, updated_at) VALUES \
         ('U1', 'Satu', TRUE, 0, 0), ('U2', 'Dua', TRUE, 0, 0), ('U3', 'Tiga', TRUE, 0, 0); \
         INSERT INTO units (code, name, parent, active, created_at, updated_at) VALUES \
         ('U1A', 'Satu A', 'U1', TRUE, 0, 0); \
         INSERT INTO units (code, name, parent, active, created_at, updated_at) VALUES \
         ('U1B', 'Satu B', 'U1A', TRUE, 0, 0); \
         INSERT INTO users (email, name, role, unit, password_hash, active, created_at, updated_at) \
         VALUES ('a@x.id', 'A', 'admin', NULL, 'x', TRUE, 0, 0), \
         ('p@x.id', 'P', 'pic', 'U1A', 'x', TRUE, 0, 0), \
         ('q@x.id', 'Q', 'pic', 'U1', 'x', TRUE, 0, 0), \
         ('r@x.id', 'R', 'pic', 'U3', 'x', TRUE, 0, 0);",
    )
    .expect("units and users");
}

/// `issues` issues, their ids `stride` apart.
fn setup_issues(conn: &mut Db, now: i64, rng: &mut Rng, issues: usize, stride: i64) {
    let mut sql = String::new();
    for n in 1..=issues {
        let n = i64::try_from(n).unwrap() * stride;
        // Over the last forty days, most of them settled by now; a few still open.
        let created = now - 40 * DAY + i64::try_from(rng.next(40 * 86_400)).unwrap() * 1_000_000;
        let open = rng.next(30) == 0;
        let status = if open {
            rng.pick(&["new", "assigned", "responded", "on_hold"])
        } else {
            rng.pick(&["resolved", "closed", "rejected", "duplicate"])
        };
        let assigned = match rng.next(6) {
            5 => "NULL".to_owned(),
            i => format!("'{}'", UNITS[usize::try_from(i).unwrap()]),
        };
        let filing = UNITS[usize::try_from(rng.next(5)).unwrap()];
        let sensitivity = if rng.next(5) == 0 {
            "restricted"
        } else {
            "normal"
        };
        let district = if rng.next(3) == 0 {
            "NULL"
        } else {
            "'Pulau Laut'"
        };
        let filer = 1 + rng.next(4);
        let _ = writeln!(sql,
            "INSERT INTO issues (id, ref, title, description, category, channel, priority, \
             sensitivity, status, source_urls, screenshot_urls, archive_urls, filed_by_id, \
             filed_by, filing_unit, assigned_unit, district, tags, escalation_level, version, \
             urgent_at, is_open, search, created_at, updated_at, clocks_version) VALUES \
             ({n}, 'ISU-T-{n}', 'Isu {n}', 'Uraian', '{}', '{}', '{}', '{sensitivity}', '{status}', \
             '[]', '[]', '[]', {filer}, 'a@x.id', '{filing}', {assigned}, {district}, '[]', 0, 1, \
             {created}, {}, 'isu', {created}, {created}, 1);",
            rng.pick(&["kesehatan", "infrastruktur", "hoaks_disinformasi"]),
            rng.pick(&["facebook", "tiktok", "langsung"]),
            rng.pick(&["critical", "high", "low"]),
            if open { "TRUE" } else { "FALSE" },
        );
        for kind in ["triage", "response", "resolution"] {
            let state = if open {
                rng.pick(&["running", "paused", "met", "missed", "cancelled"])
            } else {
                rng.pick(&["met", "missed", "cancelled"])
            };
            let stopped = matches!(state, "met" | "missed");
            let elapsed = if stopped {
                (rng.next(90_000)).to_string()
            } else {
                "NULL".into()
            };
            let due = created + i64::try_from(rng.next(50)).unwrap() * DAY;
            let breached = if rng.next(4) == 0 { "TRUE" } else { "FALSE" };
            let _ =
                writeln!(sql,
                "INSERT INTO issue_clocks (issue_id, kind, state, calendar, target, started_at, \
                 due_at, paused_seconds, stopped_at, frozen_remaining, breached, steps_fired, \
                 elapsed_seconds) VALUES ({n}, '{kind}', '{state}', 'always', '2h', {created}, \
                 {due}, 0, {}, 0, {breached}, 0, {elapsed});",
                if stopped {
                    (created + 1).to_string()
                } else {
                    "NULL".into()
                },
            );
        }
        // Some hoaxes answered in public, some clarified.
        if rng.next(2) == 0 {
            let at = created + i64::try_from(rng.next(20_000)).unwrap() * 1_000_000;
            let _ = writeln!(
                sql,
                "INSERT INTO issue_comments (issue_id, kind, body, author, created_at) VALUES \
                 ({n}, 'public_response', 'Sudah ditangani', 'a@x.id', {at}), \
                 ({n}, 'internal', 'catatan', 'a@x.id', {created});"
            );
        }
        if rng.next(3) == 0 {
            let at = created + i64::try_from(rng.next(90_000)).unwrap() * 1_000_000;
            let published = if rng.next(4) == 0 {
                "NULL".to_owned()
            } else {
                at.to_string()
            };
            let _ = writeln!(sql,
                "INSERT INTO clarifications (issue_id, state, title, body, urls, standalone, \
                 detected_at, proposed_by, proposed_at, published_at, search, version, created_at, \
                 updated_at) VALUES ({n}, 'published', 'Klarifikasi', 'Isi', '[]', FALSE, \
                 {created}, 'a@x.id', {created}, {published}, 'klarifikasi', 1, {created}, {created});"
            );
        }
        for step in 0..rng.next(3) {
            for to in ["a@x.id", "b@x.id"] {
                let _ = writeln!(sql,
                    "INSERT INTO escalation_steps (issue_id, clock_id, step, recipient, fired_at) \
                     SELECT {n}, MIN(id), {step}, '{to}', {created} FROM issue_clocks WHERE issue_id = {n};"
                );
            }
        }
    }
    conn.batch_execute(&format!("BEGIN; {sql} COMMIT;"))
        .expect("issues");
}

fn ctx(sla: &Sla, now: i64, role: Role, unit: Option<&str>, id: i64) -> Ctx {
    Ctx {
        actor: Actor::User(Caller {
            id,
            email: "a@x.id".into(),
            name: "A".into(),
            role,
            unit: unit.map(str::to_owned),
        }),
        now,
        request_id: None,
        client_request_id: None,
        sla: sla.clone(),
    }
}

/// Every role's report, every grouping, three periods: stored tallies and live counting agree.
fn assert_agree(conn: &mut Db, sla: &Sla, now: i64, what: &str) {
    assert_agree_with(
        conn,
        sla,
        now,
        &[
            (Role::Admin, None, 1),
            (Role::Trc, Some("U3"), 1),
            (Role::Leader, None, 1),
            (Role::Leader, Some("U1"), 1),
            (Role::Leader, Some("U1A"), 1),
            (Role::Leader, Some("U2"), 1),
            (Role::Pic, Some("U1A"), 2),
            (Role::Pic, Some("U1"), 3),
            (Role::Pic, Some("U3"), 4),
            // A caller whose unit is not the one the users table gives counts live.
            (Role::Pic, Some("U2"), 2),
        ],
        what,
    );
}

/// As [`assert_agree`], for the viewers given (role, unit, user id).
fn assert_agree_with(
    conn: &mut Db,
    sla: &Sla,
    now: i64,
    viewers: &[(Role, Option<&str>, i64)],
    what: &str,
) {
    let zone = sla.zone.clone();
    let date = |t: i64| {
        jiff::Timestamp::from_microsecond(t)
            .unwrap()
            .to_zoned(zone.clone())
            .date()
            .to_string()
    };
    let periods = [
        (date(now - 45 * DAY), date(now)),
        (date(now - 30 * DAY), date(now - 10 * DAY)),
        (date(now - 3 * DAY), date(now + DAY)),
    ];
    for &(role, unit, id) in viewers {
        let c = ctx(sla, now, role, unit, id);
        for (from, to) in &periods {
            for g in ["unit", "category", "priority", "channel", "district"] {
                let tallied =
                    reports::report(conn, &c, Some(from), Some(to), Some(g)).expect("report");
                let live = reports::report_counted(conn, &c, Some(from), Some(to), Some(g), true)
                    .expect("live report");
                assert_eq!(
                    tallied, live,
                    "{what}: {role:?} of {unit:?}, {from}..{to} by {g}: tallied (left) and live (right) differ"
                );
            }
        }
    }
}

/// Each kind of change, made to one issue of a day still stored (and no other), shows at once
/// in the reports: only that change's trigger can tell the report to read the day afresh.
fn one_change_at_a_time(conn: &mut Db, sla: &Sla, now: i64) {
    const HOAX: &str =
        "category = 'hoaks_disinformasi' AND status NOT IN ('duplicate', 'rejected')";
    let changes: Vec<(String, &str)> = vec![
        ("NOT is_open".into(), "UPDATE issues SET status = 'assigned', is_open = TRUE WHERE id = {id}"),
        ("assigned_unit <> 'U2'".into(), "UPDATE issues SET assigned_unit = 'U2' WHERE id = {id}"),
        (
            "filing_unit = 'U2' AND assigned_unit IN ('U1', 'U1A', 'U1B') AND sensitivity = 'normal'".into(),
            "UPDATE issues SET sensitivity = 'restricted' WHERE id = {id}",
        ),
        ("channel <> 'tiktok'".into(), "UPDATE issues SET channel = 'tiktok' WHERE id = {id}"),
        ("category <> 'hoaks_disinformasi'".into(), "UPDATE issues SET category = 'hoaks_disinformasi' WHERE id = {id}"),
        (
            "EXISTS (SELECT 1 FROM issue_clocks c WHERE c.issue_id = issues.id AND c.kind = 'response' AND c.state = 'met')".into(),
            "UPDATE issue_clocks SET state = 'missed' WHERE issue_id = {id} AND kind = 'response' AND state = 'met'",
        ),
        (
            "EXISTS (SELECT 1 FROM issue_clocks c WHERE c.issue_id = issues.id AND c.kind = 'resolution' AND c.state IN ('met', 'missed'))".into(),
            "UPDATE issue_clocks SET state = 'running', stopped_at = NULL, elapsed_seconds = NULL WHERE issue_id = {id} AND kind = 'resolution'",
        ),
        (
            "1 = 1".into(),
            "INSERT INTO escalation_steps (issue_id, clock_id, step, recipient, fired_at) \
             SELECT {id}, MIN(id), 9, 'z@x.id', 0 FROM issue_clocks WHERE issue_id = {id}",
        ),
        (
            format!("{HOAX} AND NOT EXISTS (SELECT 1 FROM issue_comments c WHERE c.issue_id = issues.id AND c.kind = 'public_response')"),
            "INSERT INTO issue_comments (issue_id, kind, body, author, created_at) \
             SELECT {id}, 'public_response', 'Dijawab', 'a@x.id', created_at + 60000000 FROM issues WHERE id = {id}",
        ),
        (
            format!("{HOAX} AND NOT EXISTS (SELECT 1 FROM clarifications k WHERE k.issue_id = issues.id AND k.published_at IS NOT NULL)"),
            "INSERT INTO clarifications (issue_id, state, title, body, urls, standalone, detected_at, \
             proposed_by, proposed_at, published_at, search, version, created_at, updated_at) \
             SELECT {id}, 'published', 'K', 'I', '[]', FALSE, created_at, 'a@x.id', created_at, \
             created_at + 5000000, 'k', 1, created_at, created_at FROM issues WHERE id = {id}",
        ),
        (format!("{HOAX} AND verdict IS NULL"), "UPDATE issues SET verdict = 'hoaks' WHERE id = {id}"),
        (
            "1 = 1".into(),
            "DELETE FROM issue_comments WHERE issue_id = {id}; DELETE FROM clarifications WHERE issue_id = {id}; \
             DELETE FROM escalation_steps WHERE issue_id = {id}; DELETE FROM issue_clocks WHERE issue_id = {id}; \
             DELETE FROM issues WHERE id = {id}",
        ),
    ];
    let stored: std::collections::HashSet<i32> =
        tanggap::store::report_days::days(conn, 0, i32::MAX)
            .expect("days")
            .into_iter()
            .map(|d| d.day)
            .collect();
    let mut used = std::collections::HashSet::new();
    let day_of = |t: i64| day_of(sla, t);
    #[derive(diesel::QueryableByName)]
    struct Candidate {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        created_at: i64,
    }
    for (condition, change) in changes {
        let candidates: Vec<Candidate> = diesel::RunQueryDsl::load(
            diesel::sql_query(format!(
                "SELECT id, created_at FROM issues WHERE {condition} ORDER BY id"
            )),
            conn,
        )
        .expect("candidates");
        let target = candidates
            .iter()
            .find(|c| {
                stored.contains(&day_of(c.created_at)) && !used.contains(&day_of(c.created_at))
            })
            .unwrap_or_else(|| panic!("an issue of a stored day where {condition}"));
        used.insert(day_of(target.created_at));
        let sql = change.replace("{id}", &target.id.to_string());
        conn.batch_execute(&sql).expect("change");
        assert_agree_with(
            conn,
            sla,
            now,
            &[
                (Role::Admin, None, 1),
                (Role::Leader, Some("U1"), 1),
                (Role::Leader, Some("U2"), 1),
                (Role::Pic, Some("U1A"), 2),
                (Role::Pic, Some("U3"), 4),
            ],
            &format!("after `{sql}`"),
        );
    }
}

type Sla = std::sync::Arc<tanggap::domain::sla::SlaConfig>;

/// A migrated database of `backend` (none when PostgreSQL is not configured), the shipped
/// SLA configuration and the database's clock.
fn database(backend: Backend) -> Option<(TestDb, Db, Sla, i64)> {
    let db = TestDb::create(backend)?;
    let mut conn = db.connect();
    tanggap::store::migrate(&mut conn).expect("migrate");
    let cfg = config::load(&LoadOptions {
        config_dir: config_dir(),
        profile: "default".into(),
        overlay: None,
        use_env: false,
    })
    .expect("config");
    let now = tanggap::store::report_days::db_now(&mut conn).expect("now");
    Some((db, conn, cfg.sla, now))
}

/// Runs the tallies job, `days` per batch, until no day waits; answers the days stored.
fn tally_all(conn: &mut Db, job: &Ctx, days: usize) -> usize {
    let mut stored = 0;
    loop {
        let run = tanggap::service::report_days::tally_days(conn, job, days).expect("tally");
        stored += run.stored;
        if run.left == 0 {
            return stored;
        }
    }
}

/// The report of every day ever, by unit, for `ctx`'s caller.
fn whole_report(conn: &mut Db, ctx: &Ctx) -> reports::Report {
    reports::report(
        conn,
        ctx,
        Some("2000-01-01"),
        Some("2099-12-31"),
        Some("unit"),
    )
    .expect("report")
}

/// The local day (`YYYYMMDD`) of the instant `t` (µs).
fn day_of(sla: &Sla, t: i64) -> i32 {
    tanggap::service::report_days::day_key(
        jiff::Timestamp::from_microsecond(t)
            .unwrap()
            .to_zoned(sla.zone.clone())
            .date(),
    )
}

fn count(conn: &mut Db, table: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::RunQueryDsl::get_result::<N>(
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}")),
        conn,
    )
    .expect("count")
    .n
}

fn tallies_agree_with_live_counts(backend: Backend) {
    let Some((_db, mut conn, sla, now)) = database(backend) else {
        return;
    };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    setup(&mut conn, now, &mut rng, 400);
    assert!(
        count(&mut conn, "report_changes") > 0,
        "issues written as filed weeks ago (as an import writes them) are logged"
    );

    let job = ctx(&sla, now, Role::Admin, None, 1);
    let stored = tally_all(&mut conn, &job, 7);
    assert!(stored >= 15, "the settled days were stored: {stored}");
    let whole = whole_report(&mut conn, &job);
    let h = &whole.hoaxes;
    assert!(
        h.filed > 0 && h.responded > 0 && h.clarified > 0 && whole.total.escalations > 0,
        "the data exercises every figure: {h:?}"
    );
    assert_eq!(count(&mut conn, "report_changes"), 0);
    // Later, when running clocks of days not settled have passed their due instants.
    assert_agree(&mut conn, &sla, now, "stored");
    assert_agree(&mut conn, &sla, now + 3 * DAY, "stored, three days on");

    one_change_at_a_time(&mut conn, &sla, now);

    // Changes the job has not seen: status, unit, category, sensitivity, clocks, steps, a new
    // clock and an issue removed — each logged by a trigger, each day read afresh.
    conn.batch_execute(
        "UPDATE issues SET status = 'assigned', is_open = TRUE WHERE id % 17 = 0; \
         UPDATE issues SET assigned_unit = 'U2' WHERE id % 19 = 0; \
         UPDATE issues SET category = 'sosial', sensitivity = 'restricted' WHERE id % 23 = 0; \
         UPDATE issue_clocks SET state = 'missed', elapsed_seconds = 99 WHERE id % 29 = 0 AND state = 'met'; \
         UPDATE issue_clocks SET breached = TRUE WHERE id % 31 = 0; \
         INSERT INTO escalation_steps (issue_id, clock_id, step, recipient, fired_at) \
           SELECT issue_id, id, 7, 'c@x.id', 0 FROM issue_clocks WHERE id % 37 = 0; \
         INSERT INTO issue_clocks (issue_id, kind, state, calendar, target, started_at, due_at, \
           paused_seconds, frozen_remaining, breached, steps_fired, elapsed_seconds) \
           SELECT id, 'response', 'met', 'always', '2h', 0, 0, 0, 0, FALSE, 0, 5 FROM issues WHERE id % 41 = 0; \
         UPDATE issues SET verdict = 'hoaks', disinformation_type = 'konten_palsu' WHERE id % 13 = 0 AND category = 'hoaks_disinformasi'; \
         INSERT INTO issue_comments (issue_id, kind, body, author, created_at) \
           SELECT id, 'public_response', 'Dijawab', 'a@x.id', created_at + 60000000 FROM issues WHERE id % 11 = 0; \
         UPDATE clarifications SET published_at = created_at + 7000000 WHERE published_at IS NULL; \
         DELETE FROM issue_comments WHERE issue_id = 43; \
         DELETE FROM clarifications WHERE issue_id = 43; \
         DELETE FROM escalation_steps WHERE issue_id = 43; \
         DELETE FROM issue_clocks WHERE issue_id = 43; \
         DELETE FROM issues WHERE id = 43;",
    )
    .expect("changes");
    assert!(
        count(&mut conn, "report_changes") > 0,
        "the changes were logged"
    );
    assert_agree(&mut conn, &sla, now, "changed, not yet taken in");

    // The job takes them in: days reopened are dropped, the others stored again.
    tally_all(&mut conn, &job, 7);
    assert_eq!(count(&mut conn, "report_changes"), 0);
    assert_agree(&mut conn, &sla, now, "taken in");

    // A new unit under U1B moves leaders' scopes: tallies made under the old tree are not used.
    conn.batch_execute(
        "INSERT INTO units (code, name, parent, active, created_at, updated_at) VALUES ('U1C', 'Satu C', 'U1B', TRUE, 0, 0); \
         UPDATE units SET parent = 'U2' WHERE code = 'U1B';",
    )
    .expect("tree");
    assert_agree(&mut conn, &sla, now, "the unit tree changed");

    // Tallied again under the new tree; then a PIC moves to another unit: its tallies, and
    // everyone's made under the old basis, are not used until tallied again.
    tally_all(&mut conn, &job, 31);
    assert_agree(&mut conn, &sla, now, "tallied under the new tree");
    conn.batch_execute("UPDATE users SET unit = 'U1A' WHERE id = 4")
        .expect("the PIC moves");
    assert_agree_with(
        &mut conn,
        &sla,
        now,
        &[
            (Role::Pic, Some("U1A"), 4),
            (Role::Pic, Some("U3"), 4),
            (Role::Admin, None, 1),
        ],
        "a PIC moved",
    );

    // Every issue removed, the job run, and then one old issue written again (as an import
    // would): no tally of the removed issues may count.
    tally_all(&mut conn, &job, 31);
    conn.batch_execute(
        "DELETE FROM issue_comments; DELETE FROM clarifications; DELETE FROM escalation_steps; \
         DELETE FROM issue_clocks; DELETE FROM issues;",
    )
    .expect("remove every issue");
    let run = tanggap::service::report_days::tally_days(&mut conn, &job, 31).expect("tally");
    assert!(run.dropped > 0, "the stored days were dropped: {run:?}");
    assert_eq!(count(&mut conn, "report_tallies"), 0);
    setup_issues(&mut conn, now, &mut Rng(7), 1, 1);
    conn.batch_execute("DELETE FROM report_changes")
        .expect("a log the job has read");
    assert_agree(
        &mut conn,
        &sla,
        now,
        "every issue removed, one written again",
    );
}

#[test]
fn tallies_agree_with_live_counts_sqlite() {
    tallies_agree_with_live_counts(Backend::Sqlite);
}

#[test]
fn tallies_agree_with_live_counts_postgres() {
    tallies_agree_with_live_counts(Backend::Postgres);
}

/// Issues whose ids lie far apart (an import's, or a long-lived database's) are more id ranges
/// than the clocks' reader walks one by one: their clocks are read by the list of ids instead,
/// and the reports still agree — before the job (every day read from the facts) and after.
fn far_apart_ids_are_read_by_their_list(backend: Backend) {
    let Some((_db, mut conn, sla, now)) = database(backend) else {
        return;
    };
    setup_people(&mut conn);
    // 150 issues over forty days, ids 1,001 apart: a month holds about 110 of them, each its
    // own range (more than the 64 the reader walks).
    setup_issues(&mut conn, now, &mut Rng(0x2545_f491_4f6c_dd1d), 150, 1001);
    let job = ctx(&sla, now, Role::Admin, None, 1);
    let whole = whole_report(&mut conn, &job);
    assert!(
        whole.total.escalations > 0 && whole.total.filed == 150,
        "every issue counted, clocks and steps included: {:?}",
        whole.total
    );
    assert_agree(&mut conn, &sla, now, "far-apart ids, nothing stored");
    assert!(
        tally_all(&mut conn, &job, 31) >= 15,
        "the settled days were stored"
    );
    assert_agree(&mut conn, &sla, now, "far-apart ids, stored");
}

#[test]
fn far_apart_ids_are_read_by_their_list_sqlite() {
    far_apart_ids_are_read_by_their_list(Backend::Sqlite);
}

#[test]
fn far_apart_ids_are_read_by_their_list_postgres() {
    far_apart_ids_are_read_by_their_list(Backend::Postgres);
}

/// PostgreSQL: a change committed while the job tallies — after it took its snapshot, before
/// it wrote — is neither taken in nor forgotten: it stays in the log, and the reports read its
/// day afresh. (SQLite's writers take turns: it cannot happen there.) A third connection holds
/// the job at its first write (an uncommitted row of every day it may store) while the change
/// commits.
#[test]
fn a_change_made_while_the_job_tallies_is_kept_postgres() {
    let Some((db, mut conn, sla, now)) = database(Backend::Postgres) else {
        return;
    };
    setup(&mut conn, now, &mut Rng(0x2545_f491_4f6c_dd1d), 200);
    conn.batch_execute("DELETE FROM report_changes")
        .expect("a clean log");

    let mut holder = db.connect();
    let values: Vec<String> = (0..60)
        .map(|d| format!("({}, 'held', 0)", day_of(&sla, now - d * DAY)))
        .collect();
    holder
        .batch_execute(&format!(
            "BEGIN; INSERT INTO report_days (day, basis, tallied_at) VALUES {} ON CONFLICT DO NOTHING",
            values.join(", ")
        ))
        .expect("hold the days");

    let url = db.url.clone();
    let job_sla = sla.clone();
    let job = std::thread::spawn(move || {
        let mut c = tanggap::store::connect(&url).expect("connect");
        let ctx = ctx(&job_sla, now, Role::Admin, None, 1);
        tanggap::service::report_days::tally_days(&mut c, &ctx, 60).expect("tally")
    });
    // The job has its snapshot and waits on its first write.
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert!(!job.is_finished(), "the job waits for the held days");
    let mut writer = db.connect();
    writer
        .batch_execute("UPDATE issues SET status = 'assigned', is_open = TRUE WHERE id = 3")
        .expect("a change while the job runs");
    assert_eq!(count(&mut writer, "report_changes"), 1);
    holder.batch_execute("ROLLBACK").expect("let the job go");
    let run = job.join().expect("the job");
    assert!(run.stored > 0, "the job stored days: {run:?}");
    assert_eq!(
        count(&mut conn, "report_changes"),
        1,
        "the change the job did not see stays in the log"
    );
    assert_agree(&mut conn, &sla, now, "a change made while the job ran");
}

/// PostgreSQL: one instance tallies at a time; another that finds the turn taken skips the run.
#[test]
fn one_instance_tallies_at_a_time_postgres() {
    let Some((db, mut conn, sla, now)) = database(Backend::Postgres) else {
        return;
    };
    let ctx = ctx(&sla, now, Role::Admin, None, 1);
    let mut other = db.connect();
    tanggap::store::snapshot_write_tx(&mut other, |other| {
        assert!(tanggap::store::report_days::take_turn(other)?);
        let run = tanggap::service::report_days::tally_days(&mut conn, &ctx, 31).expect("tally");
        assert!(run.busy, "the second instance skips: {run:?}");
        Ok::<_, diesel::result::Error>(())
    })
    .expect("turn");
    let run = tanggap::service::report_days::tally_days(&mut conn, &ctx, 31).expect("tally");
    assert!(!run.busy, "the turn is free again once the first commits");
}

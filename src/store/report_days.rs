//! The stored per-day tallies of reports (`domain::report_days`): the facts a day's tally is
//! made from, the days tallied and their tallies, and the changes logged (by triggers) to issues
//! of days that may be stored.
//!
//! Long because: the facts' reads, the tallies' writes and reads, and the change log are one
//! protocol with the job and the report, and are kept together to be read together.

use super::fixed::{self, Arg};
use super::Db;
use crate::domain::enums::ReportGroup;
use crate::domain::report_days::{
    pack_times, unpack_times, ClockFact, ClockTally, HoaxFact, HoaxTally, IssueFact, Tallies, Tally,
};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Bool, Integer, Nullable, Text};

/// The database's clock (µs): the triggers' notion of "more than a day ago" is its own.
pub fn db_now(conn: &mut Db) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Now {
        #[diesel(sql_type = BigInt)]
        now: i64,
    }
    let sql = match conn {
        Db::Pg(_) => "SELECT CAST(extract(epoch FROM now()) * 1000000 AS BIGINT) AS now",
        Db::Sqlite(_) => "SELECT CAST(strftime('%s', 'now') AS INTEGER) * 1000000 AS now",
    };
    Ok(diesel::sql_query(sql).get_result::<Now>(conn)?.now)
}

/// On PostgreSQL, takes the transaction's turn to tally (one instance at a time); answers false
/// when another holds it. SQLite's writers take turns anyway.
pub fn take_turn(conn: &mut Db) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Got {
        #[diesel(sql_type = Bool)]
        got: bool,
    }
    match conn {
        // An arbitrary key of this service's own ("tallies").
        Db::Pg(_) => Ok(
            diesel::sql_query("SELECT pg_try_advisory_xact_lock(7364201955) AS got")
                .get_result::<Got>(conn)?
                .got,
        ),
        Db::Sqlite(_) => Ok(true),
    }
}

#[derive(QueryableByName)]
struct IssueRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    created_at: i64,
    #[diesel(sql_type = Nullable<Text>)]
    assigned_unit: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    filing_unit: Option<String>,
    #[diesel(sql_type = Text)]
    sensitivity: String,
    #[diesel(sql_type = Text)]
    category: String,
    #[diesel(sql_type = Text)]
    priority: String,
    #[diesel(sql_type = Text)]
    channel: String,
    #[diesel(sql_type = Nullable<Text>)]
    district: Option<String>,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Bool)]
    is_open: bool,
    #[diesel(sql_type = Nullable<BigInt>)]
    filed_by_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    verdict: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    disinformation_type: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    responded: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    clarified: Option<i64>,
}

/// A hoax counts in the hoax section unless merged into another or rejected.
macro_rules! hoax {
    () => {
        "i.category = 'hoaks_disinformasi' AND i.status NOT IN ('duplicate', 'rejected')"
    };
}

/// The issues filed in `[?, ?)`, with a counted hoax's seconds to its first public answer and to
/// its first published clarification.
const FACT_ISSUES: &str = concat!(
    "SELECT i.id, i.created_at, i.assigned_unit, i.filing_unit, i.sensitivity, i.category, \
     i.priority, i.channel, i.district, i.status, i.is_open, i.filed_by_id, i.verdict, \
     i.disinformation_type, CASE WHEN ",
    hoax!(),
    " THEN ((SELECT MIN(c.created_at) FROM issue_comments c \
     WHERE c.issue_id = i.id AND c.kind = 'public_response') - i.created_at) / 1000000 \
     END AS responded, CASE WHEN ",
    hoax!(),
    " THEN ((SELECT MIN(k.published_at) FROM clarifications k \
     WHERE k.issue_id = i.id AND k.published_at IS NOT NULL) - i.created_at) / 1000000 \
     END AS clarified FROM issues i WHERE i.created_at >= ? AND i.created_at < ?"
);

/// Escalation steps of the issues filed in `[?, ?)`, each clock's step once, per issue.
const FACT_STEPS: &str = "SELECT t.issue_id AS issue_id, COUNT(*) AS steps FROM (SELECT DISTINCT \
    e.issue_id, e.clock_id, e.step FROM issues i JOIN escalation_steps e ON e.issue_id = i.id \
    WHERE i.created_at >= ? AND i.created_at < ?) t GROUP BY t.issue_id";

#[derive(QueryableByName)]
struct ClockRow {
    #[diesel(sql_type = BigInt)]
    issue_id: i64,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    elapsed_seconds: Option<i64>,
    #[diesel(sql_type = BigInt)]
    due_at: i64,
    #[diesel(sql_type = Bool)]
    breached: bool,
}

#[derive(QueryableByName)]
struct StepRow {
    #[diesel(sql_type = BigInt)]
    issue_id: i64,
    #[diesel(sql_type = BigInt)]
    steps: i64,
}

/// The facts of the issues filed in `[from, to)` (µs) and of their clocks.
pub fn facts(conn: &mut Db, from: i64, to: i64) -> QueryResult<(Vec<IssueFact>, Vec<ClockFact>)> {
    struct FactIssues;
    struct FactSteps;
    let period = [Arg::I64(from), Arg::I64(to)];
    let issues: Vec<IssueRow> = fixed::load::<FactIssues, _>(conn, FACT_ISSUES, &period)?;
    if issues.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let clocks = clocks_of(conn, &issues.iter().map(|i| i.id).collect::<Vec<_>>())?;
    let steps: Vec<StepRow> = fixed::load::<FactSteps, _>(conn, FACT_STEPS, &period)?;
    let steps: std::collections::HashMap<i64, i64> =
        steps.into_iter().map(|s| (s.issue_id, s.steps)).collect();
    let issues = issues
        .into_iter()
        .map(|r| IssueFact {
            hoax: (r.category == "hoaks_disinformasi"
                && r.status != "duplicate"
                && r.status != "rejected")
                .then_some(HoaxFact {
                    verdict: r.verdict,
                    kind: r.disinformation_type,
                    responded: r.responded,
                    clarified: r.clarified,
                }),
            steps: steps.get(&r.id).copied().unwrap_or(0),
            id: r.id,
            created_at: r.created_at,
            assigned_unit: r.assigned_unit,
            filing_unit: r.filing_unit,
            sensitivity: r.sensitivity,
            category: r.category,
            priority: r.priority,
            channel: r.channel,
            district: r.district,
            status: r.status,
            is_open: r.is_open,
            filer: r.filed_by_id,
        })
        .collect();
    let clocks = clocks
        .into_iter()
        .map(|c| ClockFact {
            issue_id: c.issue_id,
            kind: c.kind,
            state: c.state,
            elapsed: c.elapsed_seconds,
            due_at: c.due_at,
            breached: c.breached,
        })
        .collect();
    Ok((issues, clocks))
}

/// What a report reads of a clock.
macro_rules! clocks {
    () => {
        "SELECT c.issue_id, c.kind, c.state, c.elapsed_seconds, c.due_at, c.breached \
         FROM issue_clocks c"
    };
}

/// Issue ids closer than this are read as one range of `issue_clocks_issue` (the clocks of the
/// issues between them are read too, and left out).
const RANGE_GAP: i64 = 1000;
/// More ranges than this are read by the list of ids instead.
const RANGES_MAX: usize = 64;

/// Runs of sorted `ids` whose neighbours are at most [`RANGE_GAP`] apart, as `(first, last)`.
fn id_ranges(ids: &[i64]) -> Vec<(i64, i64)> {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::new();
    for id in sorted {
        match out.last_mut() {
            Some((_, last)) if id - *last <= RANGE_GAP => *last = id,
            _ => out.push((id, id)),
        }
    }
    out
}

/// The clocks of the issues `ids`. Issues filed in the same weeks have near ids, so a few ranges
/// of the clocks' issue index — which carries the columns read, an index-only scan on PostgreSQL
/// — replace a list that made PostgreSQL scan the whole clock table (61 ms against 300 ms for
/// the 84,000 issues of three months at a million).
fn clocks_of(conn: &mut Db, ids: &[i64]) -> QueryResult<Vec<ClockRow>> {
    let ranges = id_ranges(ids);
    let mut clocks: Vec<ClockRow> = Vec::new();
    if ranges.len() <= RANGES_MAX {
        struct ClockRange;
        for (a, b) in ranges {
            clocks.extend(fixed::load::<ClockRange, ClockRow>(
                conn,
                concat!(clocks!(), " WHERE c.issue_id >= ? AND c.issue_id <= ?"),
                &[Arg::I64(a), Arg::I64(b)],
            )?);
        }
        let wanted: std::collections::HashSet<i64> = ids.iter().copied().collect();
        clocks.retain(|c| wanted.contains(&c.issue_id));
        return Ok(clocks);
    }
    match conn {
        Db::Pg(pg) => {
            clocks = diesel::sql_query(concat!(clocks!(), " WHERE c.issue_id = ANY($1)"))
                .bind::<diesel::sql_types::Array<BigInt>, _>(ids)
                .load(pg)?;
        }
        Db::Sqlite(_) => {
            for chunk in ids.chunks(500) {
                let list = chunk
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                clocks.extend(
                    diesel::sql_query(format!(
                        concat!(clocks!(), " WHERE c.issue_id IN ({})"),
                        list
                    ))
                    .load::<ClockRow>(conn)?,
                );
            }
        }
    }
    Ok(clocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_ids_make_one_range() {
        assert_eq!(id_ranges(&[]), []);
        assert_eq!(id_ranges(&[5, 3, 1004, 9000]), [(3, 1004), (9000, 9000)]);
        assert_eq!(id_ranges(&[1, 1002]), [(1, 1), (1002, 1002)]);
    }
}

/// Every PIC with a unit: id and unit (what PICs' tallies are made for).
pub fn pics(conn: &mut Db) -> QueryResult<Vec<(i64, String)>> {
    #[derive(QueryableByName)]
    struct Pic {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Text)]
        unit: String,
    }
    Ok(
        diesel::sql_query("SELECT id, unit FROM users WHERE role = 'pic' AND unit IS NOT NULL")
            .load::<Pic>(conn)?
            .into_iter()
            .map(|p| (p.id, p.unit))
            .collect(),
    )
}

#[derive(QueryableByName)]
struct Filed {
    #[diesel(sql_type = BigInt)]
    created_at: i64,
}

/// When the open issues were filed (µs): the days that cannot be settled.
pub fn open_filed(conn: &mut Db) -> QueryResult<Vec<i64>> {
    Ok(
        diesel::sql_query("SELECT created_at FROM issues WHERE is_open")
            .load::<Filed>(conn)?
            .into_iter()
            .map(|f| f.created_at)
            .collect(),
    )
}

/// When the first and the last issue were filed (µs), if any was.
pub fn filed_between(conn: &mut Db) -> QueryResult<Option<(i64, i64)>> {
    let one = |conn: &mut Db, order: &str| -> QueryResult<Option<i64>> {
        Ok(diesel::sql_query(format!(
            "SELECT created_at FROM issues ORDER BY created_at {order} LIMIT 1"
        ))
        .load::<Filed>(conn)?
        .first()
        .map(|f| f.created_at))
    };
    Ok(one(conn, "ASC")?.zip(one(conn, "DESC")?))
}

/// A day tallied, and the basis it was tallied under.
#[derive(Debug, Clone, QueryableByName)]
pub struct Day {
    #[diesel(sql_type = Integer)]
    pub day: i32,
    #[diesel(sql_type = Text)]
    pub basis: String,
}

/// The days tallied from `from` to `to` (both `YYYYMMDD`, inclusive).
pub fn days(conn: &mut Db, from: i32, to: i32) -> QueryResult<Vec<Day>> {
    struct Days;
    fixed::load::<Days, _>(
        conn,
        "SELECT day, basis FROM report_days WHERE day >= ? AND day <= ?",
        &[Arg::I32(from), Arg::I32(to)],
    )
}

/// A logged change: its id and the quarter hour (since the epoch) its issue was filed in.
#[derive(Debug, Clone, Copy, QueryableByName)]
pub struct Change {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub quarter: i64,
}

/// Every change logged and not yet taken in by a tally.
pub fn changes(conn: &mut Db) -> QueryResult<Vec<Change>> {
    diesel::sql_query("SELECT id, quarter FROM report_changes").load(conn)
}

/// The quarter hours with changes not yet taken in (each once).
pub fn changed_quarters(conn: &mut Db) -> QueryResult<Vec<i64>> {
    #[derive(QueryableByName)]
    struct Q {
        #[diesel(sql_type = BigInt)]
        quarter: i64,
    }
    Ok(
        diesel::sql_query("SELECT DISTINCT quarter FROM report_changes")
            .load::<Q>(conn)?
            .into_iter()
            .map(|q| q.quarter)
            .collect(),
    )
}

/// Forgets the changes `ids` (taken in by the tallies just written).
pub fn forget_changes(conn: &mut Db, ids: &[i64]) -> QueryResult<()> {
    for chunk in ids.chunks(500) {
        let list = chunk
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        diesel::sql_query(format!("DELETE FROM report_changes WHERE id IN ({list})"))
            .execute(conn)?;
    }
    Ok(())
}

/// Removes a day's tallies: it is no longer settled, or is about to be tallied again.
pub fn drop_day(conn: &mut Db, day: i32) -> QueryResult<()> {
    struct DropTallies;
    struct DropHoaxes;
    struct DropDay;
    const TALLIES: &str = "DELETE FROM report_tallies WHERE day = ?";
    const HOAXES: &str = "DELETE FROM report_hoaxes WHERE day = ?";
    const DAY: &str = "DELETE FROM report_days WHERE day = ?";
    let args = [Arg::I32(day)];
    fixed::execute::<DropTallies>(conn, TALLIES, TALLIES, &args)?;
    fixed::execute::<DropHoaxes>(conn, HOAXES, HOAXES, &args)?;
    fixed::execute::<DropDay>(conn, DAY, DAY, &args)?;
    Ok(())
}

/// The columns of a stored tally, in the order they are written.
macro_rules! tally_columns {
    () => {
        "day, scope, group_by, k, filed, resolved, breached_now, escalations, response_met, \
         response_missed, response_clocks, response_times, resolution_met, resolution_missed, \
         resolution_clocks, resolution_times"
    };
}

/// Stores a day's tallies (replacing any), tallied under `basis` at `at` (µs).
pub fn replace_day(
    conn: &mut Db,
    day: i32,
    basis: &str,
    at: i64,
    tallies: &Tallies,
) -> QueryResult<()> {
    let rows = &tallies.rows;
    drop_day(conn, day)?;
    let pg = matches!(conn, Db::Pg(_));
    let mark = |n: usize| if pg { format!("${n}") } else { "?".to_owned() };
    struct InsertDay;
    const DAY: &str = "INSERT INTO report_days (day, basis, tallied_at) VALUES (?, ?, ?)";
    let args = [Arg::I32(day), Arg::Text(basis), Arg::I64(at)];
    fixed::execute::<InsertDay>(conn, DAY, DAY, &args)?;
    for chunk in rows.chunks(200) {
        let mut sql = concat!(
            "INSERT INTO report_tallies (",
            tally_columns!(),
            ") VALUES "
        )
        .to_owned();
        let mut n = 0;
        for r in 0..chunk.len() {
            if r > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..16 {
                if c > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                sql.push_str(&mark(n));
            }
            sql.push(')');
        }
        let mut q = diesel::sql_query(sql).into_boxed::<<Db as Connection>::Backend>();
        for r in chunk {
            let t = &r.tally;
            q = q
                .bind::<Integer, _>(day)
                .bind::<Text, _>(r.scope.clone())
                .bind::<Text, _>(r.group_by.as_str())
                .bind::<Nullable<Text>, _>(r.key.clone())
                .bind::<BigInt, _>(t.filed)
                .bind::<BigInt, _>(t.resolved)
                .bind::<BigInt, _>(t.breached_now)
                .bind::<BigInt, _>(t.escalations)
                .bind::<BigInt, _>(t.response.met)
                .bind::<BigInt, _>(t.response.missed)
                .bind::<BigInt, _>(t.response.clocks)
                .bind::<Binary, _>(pack_times(&t.response.times))
                .bind::<BigInt, _>(t.resolution.met)
                .bind::<BigInt, _>(t.resolution.missed)
                .bind::<BigInt, _>(t.resolution.clocks)
                .bind::<Binary, _>(pack_times(&t.resolution.times));
        }
        q.execute(conn)?;
    }
    struct InsertHoaxes;
    const HOAXES: &str = "INSERT INTO report_hoaxes (day, scope, filed, verdicts, kinds, \
        responded, clarified) VALUES (?, ?, ?, ?, ?, ?, ?)";
    for (scope, h) in &tallies.hoaxes {
        let (verdicts, kinds) = (
            serde_json::to_string(&h.verdicts).unwrap_or_default(),
            serde_json::to_string(&h.kinds).unwrap_or_default(),
        );
        let (responded, clarified) = (pack_times(&h.responded), pack_times(&h.clarified));
        let args = [
            Arg::I32(day),
            Arg::Text(scope),
            Arg::I64(h.filed),
            Arg::Text(&verdicts),
            Arg::Text(&kinds),
            Arg::Bytes(&responded),
            Arg::Bytes(&clarified),
        ];
        fixed::execute::<InsertHoaxes>(conn, HOAXES, HOAXES, &args)?;
    }
    Ok(())
}

#[derive(QueryableByName)]
struct HoaxRow {
    #[diesel(sql_type = Integer)]
    day: i32,
    #[diesel(sql_type = BigInt)]
    filed: i64,
    #[diesel(sql_type = Text)]
    verdicts: String,
    #[diesel(sql_type = Text)]
    kinds: String,
    #[diesel(sql_type = Binary)]
    responded: Vec<u8>,
    #[diesel(sql_type = Binary)]
    clarified: Vec<u8>,
}

fn damaged(what: &str) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(
        format!("a stored tally's {what} is damaged").into(),
    )
}

/// The stored hoax tallies of `scope` from day `from` to `to` (inclusive), each with its day.
pub fn hoax_tallies(
    conn: &mut Db,
    scope: &str,
    from: i32,
    to: i32,
) -> QueryResult<Vec<(i32, HoaxTally)>> {
    struct HoaxTallies;
    let rows: Vec<HoaxRow> = fixed::load::<HoaxTallies, _>(
        conn,
        "SELECT day, filed, verdicts, kinds, responded, clarified FROM report_hoaxes \
         WHERE scope = ? AND day >= ? AND day <= ?",
        &[Arg::Text(scope), Arg::I32(from), Arg::I32(to)],
    )?;
    rows.into_iter()
        .map(|r| {
            Ok((
                r.day,
                HoaxTally {
                    filed: r.filed,
                    verdicts: serde_json::from_str(&r.verdicts).map_err(|_| damaged("verdicts"))?,
                    kinds: serde_json::from_str(&r.kinds).map_err(|_| damaged("types"))?,
                    responded: unpack_times(&r.responded).ok_or_else(|| damaged("times"))?,
                    clarified: unpack_times(&r.clarified).ok_or_else(|| damaged("times"))?,
                },
            ))
        })
        .collect()
}

#[derive(QueryableByName)]
struct TallyRow {
    #[diesel(sql_type = Integer)]
    day: i32,
    #[diesel(sql_type = Nullable<Text>)]
    k: Option<String>,
    #[diesel(sql_type = BigInt)]
    filed: i64,
    #[diesel(sql_type = BigInt)]
    resolved: i64,
    #[diesel(sql_type = BigInt)]
    breached_now: i64,
    #[diesel(sql_type = BigInt)]
    escalations: i64,
    #[diesel(sql_type = BigInt)]
    response_met: i64,
    #[diesel(sql_type = BigInt)]
    response_missed: i64,
    #[diesel(sql_type = BigInt)]
    response_clocks: i64,
    #[diesel(sql_type = Binary)]
    response_times: Vec<u8>,
    #[diesel(sql_type = BigInt)]
    resolution_met: i64,
    #[diesel(sql_type = BigInt)]
    resolution_missed: i64,
    #[diesel(sql_type = BigInt)]
    resolution_clocks: i64,
    #[diesel(sql_type = Binary)]
    resolution_times: Vec<u8>,
}

fn clock_tally(met: i64, missed: i64, clocks: i64, times: &[u8]) -> QueryResult<ClockTally> {
    Ok(ClockTally {
        met,
        missed,
        clocks,
        times: unpack_times(times).ok_or_else(|| damaged("times"))?,
    })
}

/// The stored tallies of `scope` and grouping `group_by` from day `from` to `to` (inclusive),
/// each with its day and group key.
pub fn tallies(
    conn: &mut Db,
    scope: &str,
    group_by: ReportGroup,
    from: i32,
    to: i32,
) -> QueryResult<Vec<(i32, Option<String>, Tally)>> {
    struct ReadTallies;
    let rows: Vec<TallyRow> = fixed::load::<ReadTallies, _>(
        conn,
        concat!(
            "SELECT ",
            tally_columns!(),
            " FROM report_tallies WHERE scope = ? AND group_by = ? AND day >= ? AND day <= ?"
        ),
        &[
            Arg::Text(scope),
            Arg::Text(group_by.as_str()),
            Arg::I32(from),
            Arg::I32(to),
        ],
    )?;
    rows.into_iter()
        .map(|r| {
            Ok((
                r.day,
                r.k,
                Tally {
                    filed: r.filed,
                    resolved: r.resolved,
                    breached_now: r.breached_now,
                    escalations: r.escalations,
                    response: clock_tally(
                        r.response_met,
                        r.response_missed,
                        r.response_clocks,
                        &r.response_times,
                    )?,
                    resolution: clock_tally(
                        r.resolution_met,
                        r.resolution_missed,
                        r.resolution_clocks,
                        &r.resolution_times,
                    )?,
                },
            ))
        })
        .collect()
}

//! What reports aggregate, in the database: per group of the issues filed in a period (within a
//! scope), counts of issues, clocks and escalation steps, and the nearest-rank median and p90 of
//! the stopped clocks' counted time (window functions, the same SQL on both backends).
//!
//! Long because: every report query shares the small SQL builder here (binds in each backend's
//! notation, the period, the visibility rule in SQL) and its tests.

use super::issues::Scope;
use super::Db;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use std::fmt::Write as _;

type Backend = <Db as Connection>::Backend;

/// The column an issue is grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupColumn {
    AssignedUnit,
    Category,
    Priority,
    Channel,
    District,
}

impl GroupColumn {
    fn sql(self) -> &'static str {
        match self {
            GroupColumn::AssignedUnit => "i.assigned_unit",
            GroupColumn::Category => "i.category",
            GroupColumn::Priority => "i.priority",
            GroupColumn::Channel => "i.channel",
            GroupColumn::District => "i.district",
        }
    }
}

/// Which issues a report covers: filed in `[from, to)`, seen by `scope`, grouped by `column`;
/// running clocks due at or before `now` count as breached.
pub struct Period<'a> {
    pub scope: &'a Scope,
    pub from: i64,
    pub to: i64,
    pub column: GroupColumn,
    pub now: i64,
}

enum Bind {
    Text(String),
    Int(i64),
}

/// Raw SQL with bind parameters in the backend's notation (`$1` or `?`).
struct Sql {
    pg: bool,
    text: String,
    binds: Vec<Bind>,
}

impl Sql {
    fn new(conn: &Db) -> Sql {
        Sql {
            pg: matches!(conn, Db::Pg(_)),
            text: String::new(),
            binds: Vec::new(),
        }
    }

    fn push(&mut self, s: &str) -> &mut Sql {
        self.text.push_str(s);
        self
    }

    fn bind(&mut self, b: Bind) -> &mut Sql {
        self.binds.push(b);
        if self.pg {
            let n = self.binds.len();
            let _ = write!(self.text, "${n}");
        } else {
            self.text.push('?');
        }
        self
    }

    /// `(p1, p2, ...)`, or `(NULL)` (which nothing is in) for an empty list.
    fn list(&mut self, items: &[String]) -> &mut Sql {
        self.push("(");
        if items.is_empty() {
            self.push("NULL");
        }
        for (n, item) in items.iter().enumerate() {
            if n > 0 {
                self.push(", ");
            }
            self.bind(Bind::Text(item.clone()));
        }
        self.push(")")
    }

    /// The issues of the period the scope may see, as `s(id, k, status, is_open)`.
    fn period(&mut self, p: &Period) -> &mut Sql {
        self.push("(SELECT i.id AS id, ")
            .push(p.column.sql())
            .push(" AS k, i.status AS status, i.is_open AS is_open FROM issues i WHERE i.created_at >= ")
            .bind(Bind::Int(p.from))
            .push(" AND i.created_at < ")
            .bind(Bind::Int(p.to))
            .push(" AND ");
        self.scope(p.scope).push(") s")
    }

    /// The same visibility rule as [`super::issues::scoped`], in SQL over `issues i`.
    fn scope(&mut self, scope: &Scope) -> &mut Sql {
        match scope {
            Scope::All => self.push("1 = 1"),
            Scope::Pic {
                user_id,
                unit,
                subtree,
            } => self
                .push("((i.sensitivity = 'normal' AND (i.filing_unit IN ")
                .list(subtree)
                .push(" OR i.assigned_unit IN ")
                .list(subtree)
                .push(" OR i.filed_by_id = ")
                .bind(Bind::Int(*user_id))
                .push(")) OR (i.sensitivity = 'restricted' AND (i.filed_by_id = ")
                .bind(Bind::Int(*user_id))
                .push(" OR i.assigned_unit = ")
                .bind(Bind::Text(unit.clone()))
                .push(")))"),
            Scope::Leader { subtree } => self
                .push("((i.sensitivity = 'normal' AND (i.filing_unit IN ")
                .list(subtree)
                .push(" OR i.assigned_unit IN ")
                .list(subtree)
                .push(")) OR (i.sensitivity = 'restricted' AND i.assigned_unit IN ")
                .list(subtree)
                .push("))"),
        }
    }

    fn load<R>(self, conn: &mut Db) -> QueryResult<Vec<R>>
    where
        R: QueryableByName<Backend> + 'static,
    {
        let mut q = diesel::sql_query(self.text).into_boxed::<Backend>();
        for b in self.binds {
            q = match b {
                Bind::Text(s) => q.bind::<Text, _>(s),
                Bind::Int(n) => q.bind::<BigInt, _>(n),
            };
        }
        q.load(conn)
    }
}

/// Issue counts of one group.
#[derive(Debug, Clone, QueryableByName)]
pub struct IssueCounts {
    #[diesel(sql_type = Nullable<Text>)]
    pub k: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub filed: i64,
    /// Now resolved or closed.
    #[diesel(sql_type = BigInt)]
    pub resolved: i64,
    /// Open, with a live clock past due.
    #[diesel(sql_type = BigInt)]
    pub breached_now: i64,
}

/// Readies the current (read-only) transaction for the report's queries: on PostgreSQL, no JIT
/// compilation — for these one-pass aggregates it costs more (0.6 s at a million issues) than it
/// saves.
pub fn prepare(conn: &mut Db) -> QueryResult<()> {
    if let Db::Pg(pg) = conn {
        diesel::connection::SimpleConnection::batch_execute(pg, "SET LOCAL jit = off")?;
    }
    Ok(())
}

/// Per group: issues filed, resolved and breached now.
pub fn issue_counts(conn: &mut Db, p: &Period) -> QueryResult<Vec<IssueCounts>> {
    let mut q = Sql::new(conn);
    q.push(
        "SELECT s.k AS k, COUNT(*) AS filed, \
         SUM(CASE WHEN s.status IN ('resolved', 'closed') THEN 1 ELSE 0 END) AS resolved, \
         SUM(CASE WHEN s.is_open AND b.issue_id IS NOT NULL THEN 1 ELSE 0 END) AS breached_now FROM ",
    )
    .period(p)
    .push(
        " LEFT JOIN (SELECT DISTINCT c.issue_id AS issue_id FROM issue_clocks c \
         WHERE c.state IN ('running', 'paused') AND (c.breached OR (c.state = 'running' AND c.due_at <= ",
    )
    .bind(Bind::Int(p.now))
    .push("))) b ON b.issue_id = s.id GROUP BY s.k");
    q.load(conn)
}

/// A hoax of the period (not merged into another, not rejected): its verdict, its
/// disinformation type, and the seconds from its filing to its first public response and to
/// its first published clarification (each null while there is none).
#[derive(Debug, Clone, QueryableByName)]
pub struct HoaxRow {
    #[diesel(sql_type = Nullable<Text>)]
    pub verdict: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub kind: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub seconds: Option<i64>,
    /// Seconds from its filing to its first published clarification (null while none).
    #[diesel(sql_type = Nullable<BigInt>)]
    pub clarified_seconds: Option<i64>,
}

/// The hoaxes filed in the period that the scope may see (a few thousand a month at most:
/// their figures are made by the caller).
pub fn hoaxes(conn: &mut Db, p: &Period) -> QueryResult<Vec<HoaxRow>> {
    let mut q = Sql::new(conn);
    q.push(
        "SELECT i.verdict AS verdict, i.disinformation_type AS kind, \
         ((SELECT MIN(c.created_at) FROM issue_comments c WHERE c.issue_id = i.id \
           AND c.kind = 'public_response') - i.created_at) / 1000000 AS seconds, \
         ((SELECT MIN(k.published_at) FROM clarifications k WHERE k.issue_id = i.id \
           AND k.published_at IS NOT NULL) - i.created_at) / 1000000 AS clarified_seconds \
         FROM issues i WHERE i.category = 'hoaks_disinformasi' \
         AND i.status NOT IN ('duplicate', 'rejected') AND i.created_at >= ",
    )
    .bind(Bind::Int(p.from))
    .push(" AND i.created_at < ")
    .bind(Bind::Int(p.to))
    .push(" AND ");
    q.scope(p.scope);
    q.load(conn)
}

/// Escalation steps of one group.
#[derive(Debug, Clone, QueryableByName)]
pub struct StepCount {
    #[diesel(sql_type = Nullable<Text>)]
    pub k: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub steps: i64,
}

/// Per group: escalation steps fired (each (clock, step) once, whatever its recipients).
pub fn step_counts(conn: &mut Db, p: &Period) -> QueryResult<Vec<StepCount>> {
    // The period's issues first, then their steps (by `escalation_steps.issue_id`): removing
    // recipients' repeats over the whole table first made a month's report pay for every step
    // ever fired (3.4 s against 0.09 s with four million steps).
    let mut q = Sql::new(conn);
    q.push("SELECT t.k AS k, COUNT(*) AS steps FROM (SELECT DISTINCT s.k AS k, e.issue_id, e.clock_id, e.step FROM ")
        .period(p)
        .push(" JOIN escalation_steps e ON e.issue_id = s.id) t GROUP BY t.k");
    q.load(conn)
}

/// Response or resolution clock figures of one group, or of all issues (`total`).
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct ClockFigures {
    #[diesel(sql_type = Nullable<Text>)]
    pub k: Option<String>,
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// 1 for the figures over every group (`k` is then null).
    #[diesel(sql_type = Integer)]
    pub total: i32,
    /// Stopped in time.
    #[diesel(sql_type = BigInt)]
    pub met: i64,
    /// Stopped late, or live and past due.
    #[diesel(sql_type = BigInt)]
    pub missed: i64,
    /// Every clock counted (cancelled ones left out).
    #[diesel(sql_type = BigInt)]
    pub clocks: i64,
    /// Nearest-rank median and p90 of the stopped clocks' counted time.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub median: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub p90: Option<i64>,
}

const CLOCK_COUNTS: &str = "SUM(CASE WHEN c.state = 'met' THEN 1 ELSE 0 END) AS met, \
     SUM(CASE WHEN c.state = 'missed' OR (c.state <> 'met' AND (c.breached OR \
     (c.state = 'running' AND c.due_at <= ";
const REPORTED: &str =
    " JOIN issue_clocks c ON c.issue_id = s.id WHERE c.kind IN ('response', 'resolution')";

/// Per group and clock kind, and per kind over every group: met, missed and all (not
/// cancelled) response/resolution clocks, and the median and p90 of the stopped ones' counted
/// time. PostgreSQL answers in one pass (`GROUPING SETS`, `percentile_disc`, which is the
/// nearest rank); SQLite, which has neither, by counts and window functions.
pub fn clock_figures(conn: &mut Db, p: &Period) -> QueryResult<Vec<ClockFigures>> {
    if matches!(conn, Db::Pg(_)) {
        return pg_clock_figures(conn, p).load(conn);
    }
    let mut rows: Vec<ClockFigures> =
        clock_figures_sql(conn, p, "0", "NULL AS median, NULL AS p90", "s.k, c.kind").load(conn)?;
    let mut totals: Vec<ClockFigures> = Vec::new();
    for r in &rows {
        match totals.iter_mut().find(|t| t.kind == r.kind) {
            Some(t) => {
                t.met += r.met;
                t.missed += r.missed;
                t.clocks += r.clocks;
            }
            None => totals.push(ClockFigures {
                k: None,
                total: 1,
                ..r.clone()
            }),
        }
    }
    rows.extend(totals);
    for per_group in [true, false] {
        for r in ranked_times(conn, p, per_group)? {
            let total = i32::from(!per_group);
            if let Some(f) = rows
                .iter_mut()
                .find(|f| f.total == total && f.kind == r.kind && (!per_group || f.k == r.k))
            {
                if r.rank == nearest_rank(r.n, 50) {
                    f.median = Some(r.seconds);
                }
                if r.rank == nearest_rank(r.n, 90) {
                    f.p90 = Some(r.seconds);
                }
            }
        }
    }
    Ok(rows)
}

fn pg_clock_figures(conn: &Db, p: &Period) -> Sql {
    clock_figures_sql(
        conn,
        p,
        "GROUPING(s.k)",
        "percentile_disc(0.5) WITHIN GROUP (ORDER BY c.elapsed_seconds) \
         FILTER (WHERE c.state IN ('met', 'missed')) AS median, \
         percentile_disc(0.9) WITHIN GROUP (ORDER BY c.elapsed_seconds) \
         FILTER (WHERE c.state IN ('met', 'missed')) AS p90",
        "GROUPING SETS ((s.k, c.kind), (c.kind))",
    )
}

/// The clock-figures query: counts per group and kind, with `total` (1 for a row over every
/// group), the `percentiles` columns and the `group_by` of each backend.
fn clock_figures_sql(conn: &Db, p: &Period, total: &str, percentiles: &str, group_by: &str) -> Sql {
    let mut q = Sql::new(conn);
    q.push("SELECT s.k AS k, c.kind AS kind, ")
        .push(total)
        .push(" AS total, ")
        .push(CLOCK_COUNTS)
        .bind(Bind::Int(p.now))
        .push("))) THEN 1 ELSE 0 END) AS missed, COUNT(*) AS clocks, ")
        .push(percentiles)
        .push(" FROM ")
        .period(p)
        .push(REPORTED)
        .push(" AND c.state <> 'cancelled' GROUP BY ")
        .push(group_by);
    q
}

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

/// `EXPLAIN ANALYZE` of the heaviest query of a report on PostgreSQL (for benchmarks and
/// operators); empty on SQLite.
pub fn explain_clock_figures(conn: &mut Db, p: &Period) -> QueryResult<Vec<String>> {
    if !matches!(conn, Db::Pg(_)) {
        return Ok(Vec::new());
    }
    let mut q = pg_clock_figures(conn, p);
    q.text.insert_str(0, "EXPLAIN ANALYZE ");
    Ok(q.load::<PlanLine>(conn)?
        .into_iter()
        .map(|l| l.line)
        .collect())
}

/// The rank ⌈p·n/100⌉ (at least 1) that the nearest-rank percentile `p` takes among `n` values.
pub fn nearest_rank(n: i64, p_percent: i64) -> i64 {
    ((p_percent * n + 99) / 100).max(1)
}

/// One ranked value: the `rank`-th smallest counted time of `n` in its group and kind.
#[derive(Debug, Clone, QueryableByName)]
struct Ranked {
    #[diesel(sql_type = Nullable<Text>)]
    k: Option<String>,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = BigInt)]
    seconds: i64,
    #[diesel(sql_type = BigInt)]
    rank: i64,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The counted times at the nearest ranks of the median and p90 of stopped response/resolution
/// clocks, per group and kind — or per kind over the whole period (`k` is then null).
fn ranked_times(conn: &mut Db, p: &Period, per_group: bool) -> QueryResult<Vec<Ranked>> {
    let (key, partition) = if per_group {
        ("s.k", "s.k, c.kind")
    } else {
        ("CAST(NULL AS TEXT)", "c.kind")
    };
    let mut q = Sql::new(conn);
    q.push("SELECT t.k AS k, t.kind AS kind, t.v AS seconds, t.rn AS rank, t.n AS n FROM (SELECT ")
        .push(key)
        .push(" AS k, c.kind AS kind, c.elapsed_seconds AS v, ROW_NUMBER() OVER (PARTITION BY ")
        .push(partition)
        .push(" ORDER BY c.elapsed_seconds) AS rn, COUNT(*) OVER (PARTITION BY ")
        .push(partition)
        .push(") AS n FROM ")
        .period(p)
        .push(REPORTED)
        .push(
            " AND c.state IN ('met', 'missed') AND c.elapsed_seconds IS NOT NULL) t \
             WHERE t.rn = (t.n * 50 + 99) / 100 OR t.rn = (t.n * 90 + 99) / 100",
        );
    q.load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition: the value at rank ⌈p·n/100⌉ of the sorted values.
    fn value_at_nearest_rank(sorted: &[i64], p_percent: usize) -> Option<i64> {
        if sorted.is_empty() {
            return None;
        }
        let rank = (p_percent * sorted.len()).div_ceil(100).max(1);
        sorted.get(rank - 1).copied()
    }

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(value_at_nearest_rank(&[], 50), None);
        assert_eq!(value_at_nearest_rank(&[7], 90), Some(7));
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(value_at_nearest_rank(&v, 50), Some(5));
        assert_eq!(value_at_nearest_rank(&v, 90), Some(9));
        assert_eq!(value_at_nearest_rank(&[1, 2, 3], 50), Some(2));
        assert_eq!(value_at_nearest_rank(&[1, 2, 3, 4], 50), Some(2));
    }

    proptest::proptest! {
        #[test]
        fn the_rank_asked_of_the_database_is_the_nearest_rank(
            mut v in proptest::collection::vec(0i64..100_000, 1..200),
            p in 1usize..=100,
        ) {
            v.sort_unstable();
            let rank = nearest_rank(i64::try_from(v.len()).unwrap(), i64::try_from(p).unwrap());
            let index = usize::try_from(rank).unwrap() - 1;
            proptest::prop_assert_eq!(v.get(index).copied(), value_at_nearest_rank(&v, p));
        }
    }
}

//! Importing issues from the spreadsheets units keep today: every row validated first (errors
//! name the row), then all rows written in one transaction or none. Rows imported before (same
//! external id, or same date, title and description) are skipped, so importing a file twice
//! creates nothing new. Clocks are computed from the historical times; escalation steps whose
//! instants passed before the import are counted as done, so history sends no email.
//!
//! Long because: a spreadsheet row's columns are checked in one pass, and the rows are written in
//! one transaction.

use super::issues::{clocks, refresh_derived, stream, to_json_list, Check};
use super::{Caller, Ctx};
use crate::audit::{diff, Changes};
use crate::domain::clock::Clock;
use crate::domain::spreadsheet as sheet;
use crate::domain::{Category, Channel, ClockKind, Priority, Sensitivity, Status};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::clocks::ClockRow;
use crate::store::issues::IssueRow;
use crate::store::{self, write_tx, Db};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// One row, validated.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: usize,
    pub external_id: Option<String>,
    pub filed_at: i64,
    pub title: String,
    pub description: String,
    pub category: Category,
    pub channel: Channel,
    pub priority: Priority,
    pub status: Status,
    pub source_urls: Vec<String>,
    pub district: Option<String>,
    pub village: Option<String>,
    pub unit: Option<String>,
    pub responded_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub response: Option<String>,
    pub lapor_id: Option<String>,
    pub tags: Vec<String>,
    pub sensitivity: Sensitivity,
    /// Whether the sensitivity came from the default, the file not saying.
    pub sensitivity_defaulted: bool,
    /// The unit that filed it (its PICs see it); the importer's unit when the file does not say.
    pub filing_unit: Option<String>,
}

/// A problem in one row (row 1 is the header, so data starts at row 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "row {}: {}: {}", self.line, self.field, self.message)
    }
}

fn local_us(ctx: &Ctx, dt: jiff::civil::DateTime) -> Option<i64> {
    dt.to_zoned(ctx.sla.zone.clone())
        .ok()
        .map(|z| z.timestamp().as_microsecond())
}

fn instant(ctx: &Ctx, text: &str) -> Option<i64> {
    text.parse::<jiff::Timestamp>()
        .ok()
        .map(jiff::Timestamp::as_microsecond)
        .or_else(|| sheet::local_datetime(text).and_then(|d| local_us(ctx, d)))
}

/// Reads and validates every row; answers the rows or every error. A row whose sensitivity the
/// file does not give (no `kerahasiaan` column, or an empty cell) takes `default_sensitivity`:
/// the caller decides it, and restricted is the safe choice.
#[allow(
    clippy::too_many_lines,
    reason = "one pass over a row's columns in the spreadsheet's order, each column checked where the operator reads it"
)]
pub fn parse(
    ctx: &Ctx,
    data: &[u8],
    units: &[String],
    default_sensitivity: Sensitivity,
) -> Result<Vec<Row>, Vec<RowError>> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(data);
    let mut errors = Vec::new();
    let headers: Vec<Option<&'static str>> = match rdr.headers() {
        Ok(h) => h.iter().map(sheet::column).collect(),
        Err(e) => {
            return Err(vec![RowError {
                line: 1,
                field: "(file)".into(),
                message: e.to_string(),
            }])
        }
    };
    for required in ["tanggal", "judul", "uraian", "kategori", "kanal"] {
        if !headers.contains(&Some(required)) {
            errors.push(RowError {
                line: 1,
                field: required.into(),
                message: "this column is required".into(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(RowError {
                    line,
                    field: "(row)".into(),
                    message: e.to_string(),
                });
                continue;
            }
        };
        let mut cells: HashMap<&str, String> = HashMap::new();
        for (h, v) in headers.iter().zip(rec.iter()) {
            if let Some(h) = h {
                // Exports escape formula-looking cells with a leading quote; take it off.
                let v = v
                    .strip_prefix('\'')
                    .filter(|r| r.starts_with(super::reports::FORMULA_STARTS))
                    .unwrap_or(v);
                cells.insert(h, v.to_owned());
            }
        }
        if cells.values().all(String::is_empty) {
            continue;
        }
        let get = |k: &str| cells.get(k).map(String::as_str).filter(|v| !v.is_empty());
        let mut c = Check::new();
        let mut fail = |field: &str, message: String| {
            errors.push(RowError {
                line,
                field: field.into(),
                message,
            });
        };
        let filed_at = if let Some(t) = get("tanggal") {
            instant(ctx, t).or_else(|| {
            fail("tanggal", format!("`{t}` is not a date such as 14/01/2026 or 2026-01-14 (optionally with 08:30)"));
            None
        })
        } else {
            fail("tanggal", "is required".into());
            None
        };
        let title = c.text("judul", get("judul").unwrap_or(""), 200, true);
        let description = c.text("uraian", get("uraian").unwrap_or(""), 10_000, false);
        let category = get("kategori").and_then(sheet::category);
        if category.is_none() {
            fail("kategori", format!("`{}` is not a category (e.g. Layanan Publik, Infrastruktur, Kesehatan, Bencana, Hoaks/Disinformasi)", get("kategori").unwrap_or("")));
        }
        let channel = get("kanal").and_then(sheet::channel);
        if channel.is_none() {
            fail("kanal", format!("`{}` is not a channel (e.g. Facebook, Instagram, TikTok, WhatsApp, Media Online, LAPOR!, KIM, Langsung)", get("kanal").unwrap_or("")));
        }
        let priority = match get("prioritas") {
            Some(p) => sheet::priority(p).or_else(|| {
                fail(
                    "prioritas",
                    format!("`{p}` is not a priority: Kritis, Tinggi, Sedang or Rendah"),
                );
                None
            }),
            None => Some(Priority::Medium),
        };
        let urls: Vec<String> = get("tautan")
            .map(|t| {
                t.split([' ', ';', ',', '\n'])
                    .filter(|u| !u.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let source_urls = c.urls("tautan", &urls, 20);
        let unit = get("unit").map(str::to_uppercase);
        if let Some(u) = &unit {
            if !units.contains(u) {
                fail("unit", format!("there is no unit `{u}`"));
            }
        }
        let responded_at = get("tanggal_tanggapan").and_then(|t| {
            instant(ctx, t).or_else(|| {
                fail("tanggal_tanggapan", format!("`{t}` is not a date"));
                None
            })
        });
        let resolved_at = get("tanggal_selesai").and_then(|t| {
            instant(ctx, t).or_else(|| {
                fail("tanggal_selesai", format!("`{t}` is not a date"));
                None
            })
        });
        let status = match get("status") {
            Some(s) => sheet::status(s).or_else(|| {
                fail("status", format!("`{s}` is not a status: Baru, Ditugaskan, Ditanggapi, Ditunda, Selesai, Ditutup, Ditolak or Duplikat"));
                None
            }),
            None => Some(match (resolved_at, responded_at, &unit) {
                (Some(_), _, _) => Status::Resolved,
                (None, Some(_), _) => Status::Responded,
                (None, None, Some(_)) => Status::Assigned,
                _ => Status::New,
            }),
        };
        if let (Some(s), Some(f)) = (status, filed_at) {
            if matches!(
                s,
                Status::Assigned | Status::Responded | Status::Resolved | Status::Closed
            ) && unit.is_none()
            {
                fail("unit", format!("status {s} needs the unit that handled it"));
            }
            if matches!(s, Status::Resolved | Status::Closed) && resolved_at.is_none() {
                fail(
                    "tanggal_selesai",
                    format!("status {s} needs the date it was resolved"),
                );
            }
            for (field, t) in [
                ("tanggal_tanggapan", responded_at),
                ("tanggal_selesai", resolved_at),
            ] {
                if t.is_some_and(|t| t < f) {
                    fail(field, "is before the filing date".into());
                }
            }
        }
        let tags: Vec<String> = get("tag")
            .map(|t| {
                t.split([' ', ',', ';'])
                    .filter(|x| !x.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let tags = c.tags("tag", &tags);
        let (sensitivity, sensitivity_defaulted) = match get("kerahasiaan") {
            Some(v) => {
                if let Some(s) = sheet::sensitivity(v) {
                    (s, false)
                } else {
                    fail(
                        "kerahasiaan",
                        format!("`{v}` is not a sensitivity: normal or terbatas"),
                    );
                    (Sensitivity::Restricted, false)
                }
            }
            None => (default_sensitivity, true),
        };
        let filing_unit = get("unit_pelapor").map(str::to_uppercase);
        if let Some(u) = &filing_unit {
            if !units.contains(u) {
                fail("unit_pelapor", format!("there is no unit `{u}`"));
            }
        }
        let lapor_id = c.opt_text("id_lapor", get("id_lapor"), 64);
        let district = c.opt_text("kecamatan", get("kecamatan"), 100);
        let village = c.opt_text("desa", get("desa"), 100);
        let response = get("tanggapan").map(|t| c.text("tanggapan", t, 10_000, false));
        for e in c.errors {
            errors.push(RowError {
                line,
                field: e.field,
                message: e.message,
            });
        }
        if let (Some(filed_at), Some(category), Some(channel), Some(priority), Some(status)) =
            (filed_at, category, channel, priority, status)
        {
            rows.push(Row {
                line,
                external_id: get("id_eksternal").map(str::to_owned),
                filed_at,
                title,
                description,
                category,
                channel,
                priority,
                status,
                source_urls,
                district,
                village,
                unit,
                responded_at,
                resolved_at,
                response,
                lapor_id,
                tags,
                sensitivity,
                sensitivity_defaulted,
                filing_unit,
            });
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// The content key of a row without an id.
pub fn import_key(r: &Row) -> String {
    hex::encode(Sha256::digest(
        format!("{}\n{}\n{}", r.filed_at, r.title, r.description).as_bytes(),
    ))
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub imported: usize,
    pub skipped: usize,
}

fn year_of(ctx: &Ctx, us: i64) -> i16 {
    jiff::Timestamp::from_microsecond(us).map_or(2026, |t| t.to_zoned(ctx.sla.zone.clone()).year())
}

/// A clock of an imported issue: started and stopped at the historical times; the steps that
/// came due before `ctx.now` counted as fired so that history sends no email.
fn historic(
    ctx: &Ctx,
    row: &IssueRow,
    kind: ClockKind,
    start: i64,
    stop: Option<i64>,
) -> Option<(Clock, i32, Option<i64>)> {
    let priority = Priority::parse(&row.priority)?;
    let (cal, duration) = clocks::target(ctx, row, kind)?;
    let mut c = Clock::start(kind, &cal, duration, start);
    if let Some(s) = stop {
        c.stop(&cal, s);
        return Some((c, 0, None));
    }
    let steps = ctx.sla.ladders.steps(kind, priority);
    let fired = steps
        .iter()
        .take_while(|s| crate::domain::escalation::step_instant(&cal, &c, s.at) <= ctx.now)
        .count();
    c.breached = c.due_at <= ctx.now;
    let next = crate::domain::escalation::next_event(&cal, &c, steps, fired);
    Some((c, i32::try_from(fired).unwrap_or(0), next))
}

/// Writes the rows (all or none). `on_row` is called after each row, for progress.
#[allow(
    clippy::too_many_lines,
    reason = "one pass over a row's columns in the spreadsheet's order, each column checked where the operator reads it"
)]
pub fn import(
    conn: &mut Db,
    ctx: &Ctx,
    importer: &Caller,
    rows: &[Row],
    source: &str,
    dry_run: bool,
    on_row: &mut dyn FnMut(usize),
) -> AppResult<Summary> {
    let mut years: Vec<i16> = rows.iter().map(|r| year_of(ctx, r.filed_at)).collect();
    years.sort_unstable();
    years.dedup();
    for y in &years {
        store::issues::create_ref_sequence(conn, *y)?;
    }
    let run = |conn: &mut Db| -> Result<Summary, Abort> {
        let mut s = Summary::default();
        for (i, r) in rows.iter().enumerate() {
            let key = import_key(r);
            if store::issues::imported(conn, r.external_id.as_deref(), &key)? {
                s.skipped += 1;
                on_row(i + 1);
                continue;
            }
            let year = year_of(ctx, r.filed_at);
            let n = match store::issues::next_ref_number(conn, year)? {
                store::issues::RefNumber::Number(n) => n,
                store::issues::RefNumber::SequenceMissing => {
                    return Err(
                        AppError::from(anyhow::anyhow!("no reference sequence for {year}")).into(),
                    )
                }
            };
            let reference = format!("ISU-{year}-{n:06}");
            let last = r.resolved_at.or(r.responded_at).unwrap_or(r.filed_at);
            let mut row = IssueRow {
                id: 0,
                ref_: reference.clone(),
                title: r.title.clone(),
                description: r.description.clone(),
                category: r.category.as_str().into(),
                channel: r.channel.as_str().into(),
                priority: r.priority.as_str().into(),
                sensitivity: r.sensitivity.as_str().into(),
                status: r.status.as_str().into(),
                held_from: None,
                source_urls: to_json_list(&r.source_urls),
                screenshot_urls: "[]".into(),
                archive_urls: "[]".into(),
                reach: None,
                posted_at: None,
                district: r.district.clone(),
                village: r.village.clone(),
                lat: None,
                lon: None,
                filed_by_id: importer.id,
                filed_by: importer.email.clone(),
                filing_unit: r.filing_unit.clone().or_else(|| importer.unit.clone()),
                assigned_unit: r.unit.clone(),
                proposed_unit: None,
                proposed_rule: None,
                similar_text: String::new(),
                similar_version: 0,
                lapor_id: r.lapor_id.clone(),
                tags: to_json_list(&r.tags),
                duplicate_of: None,
                escalation_level: 0,
                disinformation_type: None,
                verdict: None,
                clarification_text: None,
                clarification_urls: None,
                version: 1,
                urgent_at: r.filed_at,
                is_open: true,
                search: String::new(),
                created_at: r.filed_at,
                updated_at: last,
                external_id: r.external_id.clone(),
                import_key: Some(key),
                merged_count: 0,
                clocks: "[]".into(),
                clocks_version: 0,
            };
            refresh_derived(&mut row);
            let mut made: Vec<(Clock, i32, Option<i64>)> = Vec::new();
            match (r.status, &r.unit) {
                (Status::New, _) => {
                    made.extend(historic(ctx, &row, ClockKind::Triage, r.filed_at, None));
                }
                (Status::Rejected | Status::Duplicate, _) => {
                    made.extend(historic(
                        ctx,
                        &row,
                        ClockKind::Triage,
                        r.filed_at,
                        Some(last),
                    ));
                }
                (Status::OnHold, unit) => {
                    // On hold since it was filed: the clocks wait, their due instants move on resume.
                    let kinds: &[ClockKind] = if unit.is_some() {
                        &[ClockKind::Response, ClockKind::Resolution]
                    } else {
                        &[ClockKind::Triage]
                    };
                    row.held_from = Some(if unit.is_some() { "assigned" } else { "new" }.into());
                    for k in kinds {
                        if let Some((mut c, _, _)) = historic(ctx, &row, *k, r.filed_at, None) {
                            c.breached = false;
                            c.pause(&ctx.sla.calendar(&c.calendar), r.filed_at);
                            made.push((c, 0, None));
                        }
                    }
                }
                (_, Some(_)) => {
                    let resolved = r
                        .resolved_at
                        .filter(|_| matches!(r.status, Status::Resolved | Status::Closed));
                    made.extend(historic(
                        ctx,
                        &row,
                        ClockKind::Response,
                        r.filed_at,
                        r.responded_at.or(resolved),
                    ));
                    made.extend(historic(
                        ctx,
                        &row,
                        ClockKind::Resolution,
                        r.filed_at,
                        resolved,
                    ));
                }
                _ => {}
            }
            let plain: Vec<Clock> = made.iter().map(|(c, _, _)| c.clone()).collect();
            row.urgent_at = clocks::urgency(&row, &plain);
            clocks::keep_copy(&mut row, &plain);
            row.escalation_level =
                clocks::escalation_level(made.iter().map(|(c, f, _)| (c.is_live(), *f)));
            row.id = store::issues::insert(conn, &row)?;
            store::issues::set_tags(conn, row.id, &r.tags)?;
            super::issues::keep_found_by_new(conn, row.id, &row.source_urls, &row.similar_text)?;
            for (c, fired, next) in &made {
                store::clocks::insert(conn, &ClockRow::from_clock(0, row.id, c, *fired, *next))?;
            }
            if let Some(text) = &r.response {
                store::issues::insert_comment(
                    conn,
                    row.id,
                    "public_response",
                    text,
                    &importer.email,
                    r.responded_at.unwrap_or(last),
                )?;
            }
            let mut changes = Changes::new();
            diff(
                &mut changes,
                "imported_from",
                serde_json::Value::Null,
                serde_json::json!({"file": source, "row": r.line, "external_id": r.external_id}),
            );
            for (k, v) in [
                ("title", &row.title),
                ("category", &row.category),
                ("channel", &row.channel),
                ("priority", &row.priority),
                ("sensitivity", &row.sensitivity),
                ("status", &row.status),
            ] {
                diff(&mut changes, k, serde_json::Value::Null, v);
            }
            diff(
                &mut changes,
                "assigned_unit",
                serde_json::Value::Null,
                &row.assigned_unit,
            );
            diff(
                &mut changes,
                "filing_unit",
                serde_json::Value::Null,
                &row.filing_unit,
            );
            diff(
                &mut changes,
                "filed_at",
                serde_json::Value::Null,
                super::rfc3339(r.filed_at),
            );
            ctx.record(
                conn,
                &stream(&reference),
                "issue.imported",
                &format!("issue:{reference}"),
                changes,
            )?;
            s.imported += 1;
            on_row(i + 1);
        }
        store::notify(conn, store::TIMERS_CHANNEL)?;
        if dry_run {
            // Everything was checked against the database; nothing is kept.
            return Err(Abort::DryRun(s));
        }
        Ok(s)
    };
    match write_tx(conn, run) {
        Ok(s) | Err(Abort::DryRun(s)) => Ok(s),
        Err(Abort::App(e)) => Err(e),
    }
}

/// Why the import transaction rolls back.
enum Abort {
    App(AppError),
    /// A dry run went through every row.
    DryRun(Summary),
}

impl From<AppError> for Abort {
    fn from(e: AppError) -> Self {
        Abort::App(e)
    }
}

impl From<diesel::result::Error> for Abort {
    fn from(e: diesel::result::Error) -> Self {
        Abort::App(e.into())
    }
}

/// Validation failures as one error (for callers that want an `AppError`).
pub fn as_error(errors: &[RowError]) -> AppError {
    AppError::Invalid(
        errors
            .iter()
            .map(|e| FieldError::new(format!("row {}.{}", e.line, e.field), e.message.clone()))
            .collect(),
    )
}

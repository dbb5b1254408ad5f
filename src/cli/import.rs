//! `tanggap import FILE.csv` and `tanggap export`.

use crate::config::Config;
use crate::service::{self, Actor, Caller, Ctx};
use crate::store;
use clap::Args;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file (columns as in docs/import-example.csv).
    pub file: PathBuf,
    /// File the issues as this user (default: the first active admin).
    #[arg(long = "as", value_name = "EMAIL")]
    pub as_user: Option<String>,
    /// Check every row against the database and report, importing nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Sensitivity of the rows whose file does not give one (no `kerahasiaan` column, or an
    /// empty cell): restricted unless you say the file holds only normal issues.
    #[arg(long, value_parser = ["normal", "restricted"], default_value = "restricted")]
    pub sensitivity: String,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// `csv` (importable again) or `jsonl` (the API's issue shape, one per line).
    #[arg(long, value_parser = ["csv", "jsonl"])]
    pub format: String,
    /// First local filing date (YYYY-MM-DD), inclusive.
    #[arg(long)]
    pub from: Option<String>,
    /// Last local filing date (YYYY-MM-DD), inclusive.
    #[arg(long)]
    pub to: Option<String>,
}

fn ctx(cfg: &Config) -> Ctx {
    Ctx {
        actor: Actor::System,
        now: service::micros(jiff::Timestamp::now()),
        request_id: None,
        client_request_id: None,
        sla: cfg.sla.clone(),
    }
}

fn importer(conn: &mut store::Db, email: Option<&str>) -> anyhow::Result<Caller> {
    let row = match email {
        Some(e) => {
            store::users::find_by_email(conn, &e.trim().to_lowercase())?.filter(|u| u.active)
        }
        None => store::users::active_with_role(conn, "admin")?
            .into_iter()
            .next(),
    };
    let row = row
        .ok_or_else(|| anyhow::anyhow!("no active user to file the issues as (use --as EMAIL)"))?;
    Ok(service::users::User::from_row(&row)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .into_caller())
}

#[allow(
    clippy::too_many_lines,
    reason = "reads, checks, asks and imports in the order the operator sees them, around one progress bar"
)]
pub fn run_import(cfg: &Config, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let data = std::fs::read(&args.file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", args.file.display()))?;
    let mut conn = store::connect(&cfg.settings.database.url.0)?;
    crate::app::migrate(cfg, &mut conn)?;
    let who = importer(&mut conn, args.as_user.as_deref())?;
    let units: Vec<String> = store::units::all(&mut conn)?
        .into_iter()
        .map(|u| u.code)
        .collect();
    let ctx = Ctx {
        actor: Actor::User(who.clone()),
        ..ctx(cfg)
    };
    let default_sensitivity = crate::domain::Sensitivity::parse(&args.sensitivity)
        .unwrap_or(crate::domain::Sensitivity::Restricted);
    let rows = match service::import::parse(&ctx, &data, &units, default_sensitivity) {
        Ok(r) => r,
        Err(errors) => {
            for e in &errors {
                eprintln!("{}: {e}", args.file.display());
            }
            eprintln!("tanggap: {} problem(s); nothing was imported", errors.len());
            return Ok(ExitCode::from(1));
        }
    };
    let defaulted = rows.iter().filter(|r| r.sensitivity_defaulted).count();
    if defaulted > 0 {
        eprintln!(
            "{}: {defaulted} row(s) do not say their sensitivity (column kerahasiaan): they are imported as {} (--sensitivity)",
            args.file.display(),
            args.sensitivity
        );
    }
    let total = rows.len();
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new(u64::try_from(total).unwrap_or(0));
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} importing [{bar:40}] {pos}/{len} rows ({eta} left)",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let mut progress = |done: usize| match &bar {
        Some(b) => b.set_position(u64::try_from(done).unwrap_or(0)),
        None if done.is_multiple_of(500) || done == total => {
            eprintln!("imported {done}/{total} rows");
        }
        None => {}
    };
    let source = args
        .file
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let summary = service::import::import(
        &mut conn,
        &ctx,
        &who,
        &rows,
        &source,
        args.dry_run,
        &mut progress,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    println!(
        "{} {} issue(s); {} already imported and skipped{}",
        if args.dry_run {
            "would import"
        } else {
            "imported"
        },
        summary.imported,
        summary.skipped,
        if args.dry_run {
            " (dry run: nothing was written)"
        } else {
            ""
        }
    );
    Ok(ExitCode::SUCCESS)
}

pub fn run_export(cfg: &Config, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let c = ctx(cfg);
    let day = |s: &Option<String>, next: bool| -> anyhow::Result<Option<i64>> {
        let Some(s) = s else { return Ok(None) };
        let d: jiff::civil::Date = s
            .parse()
            .map_err(|_| anyhow::anyhow!("`{s}` is not a date written YYYY-MM-DD"))?;
        let d = if next { d.tomorrow()? } else { d };
        Ok(Some(
            d.to_zoned(cfg.zone.clone())?.timestamp().as_microsecond(),
        ))
    };
    let (from, to) = (day(&args.from, false)?, day(&args.to, true)?);
    let mut conn = store::connect(&cfg.settings.database.url.0)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let n = service::export::export(&mut conn, &c, args.format == "csv", from, to, &mut out)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!("exported {n} issue(s)");
    Ok(ExitCode::SUCCESS)
}

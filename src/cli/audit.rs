//! `tanggap audit verify [--checkpoint FILE]` and `tanggap audit checkpoint`.

use crate::audit::Checkpoint;
use crate::config::Config;
use crate::store;
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify every hash chain; exit 1 naming the first broken event.
    Verify {
        /// Also check the trail against the checkpoints in FILE (one JSON line each, as
        /// `tanggap audit checkpoint` prints them): every MAC, and the newest one against the
        /// events it covers.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
    },
    /// Print a checkpoint of the trail (one JSON line, under the audit key) to append to a file
    /// kept away from the database (deploy/tanggap-checkpoint.timer does it hourly).
    Checkpoint,
}

pub fn run(cfg: &Config, cmd: AuditCommand) -> anyhow::Result<ExitCode> {
    let keys = &cfg.sla.audit_keys;
    let mut conn = store::connect(&cfg.settings.database.url.0)?;
    let checkpoint = match cmd {
        AuditCommand::Checkpoint => {
            let now = crate::service::micros(jiff::Timestamp::now());
            let cp = crate::service::audit::checkpoint(&mut conn, keys, now)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}", serde_json::to_string(&cp)?);
            return Ok(ExitCode::SUCCESS);
        }
        AuditCommand::Verify { checkpoint: None } => None,
        AuditCommand::Verify {
            checkpoint: Some(file),
        } => match newest_checkpoint(&file, keys) {
            Ok(cp) => Some(cp),
            Err(problem) => {
                println!("audit trail NOT VERIFIED: {}: {problem}", file.display());
                return Ok(ExitCode::from(1));
            }
        },
    };
    let report = crate::service::audit::verify_against(&mut conn, keys, checkpoint.as_ref())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    match &report.first_broken {
        None => {
            println!(
                "audit trail intact: {} events in {} streams{}",
                report.events,
                report.streams,
                checkpoint
                    .map(|c| format!(", matching the checkpoint of {}", c.at))
                    .unwrap_or_default()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(b) => {
            println!(
                "audit trail BROKEN at stream {} event {}{}: {}",
                b.stream,
                b.seq,
                b.event_id
                    .map(|id| format!(" (id {id})"))
                    .unwrap_or_default(),
                b.reason
            );
            Ok(ExitCode::from(1))
        }
    }
}

/// Reads the checkpoints of `file`: every MAC must hold and they must only grow; answers the
/// newest.
fn newest_checkpoint(file: &PathBuf, keys: &crate::audit::Keys) -> Result<Checkpoint, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read it: {e}"))?;
    let mut newest: Option<Checkpoint> = None;
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let cp: Checkpoint = serde_json::from_str(line)
            .map_err(|e| format!("line {}: not a checkpoint: {e}", i + 1))?;
        cp.check(keys).map_err(|e| format!("line {}: {e}", i + 1))?;
        if let Some(before) = &newest {
            if cp.max_id < before.max_id || cp.events < before.events {
                return Err(format!(
                    "line {}: the checkpoint of {} covers less than the one before it",
                    i + 1,
                    cp.at
                ));
            }
        }
        newest = Some(cp);
    }
    newest.ok_or_else(|| "holds no checkpoint".to_owned())
}

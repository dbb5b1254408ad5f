//! `tanggap audit verify`

use crate::config::Config;
use crate::store;
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify every hash chain; exit 1 naming the first broken event.
    Verify,
}

pub fn run(cfg: &Config, cmd: AuditCommand) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify = cmd;
    let mut conn = store::connect(&cfg.settings.database.url.0)?;
    let report = crate::service::audit::verify(&mut conn, &cfg.sla.audit_keys)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    match &report.first_broken {
        None => {
            println!(
                "audit trail intact: {} events in {} streams",
                report.events, report.streams
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

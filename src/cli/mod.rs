//! The command line: `serve`, `migrate`, `check-config`, `user add`, `audit verify`,
//! `calendar show`, `import`, `export`.

mod audit;
mod calendar;
mod check_config;
mod import;
mod migrate;
mod serve;
mod user;

use crate::config::{self, Config, LoadOptions};
use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Tanggap: rapid-response public-issue tracking.
///
/// Configuration comes from config/default.toml, config/<TANGGAP_PROFILE>.toml, the file named by
/// TANGGAP_CONFIG, TANGGAP__SECTION__KEY variables and DATABASE_URL.
#[derive(Debug, Parser)]
#[command(name = "tanggap", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate, seed demo data on a new database (when [demo] seed is on) and serve the API
    /// until SIGTERM or SIGINT, which drain in-flight requests and exit 0.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the effective configuration (secrets masked), or every error naming the file or
    /// variable, the key and the problem (exit 1).
    CheckConfig,
    /// Manage users.
    #[command(subcommand)]
    User(user::UserCommand),
    /// See what a calendar does: open hours per day and the holidays' names.
    #[command(subcommand)]
    Calendar(calendar::CalendarCommand),
    /// Check the audit trail.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Import issues from a spreadsheet exported as CSV: every row is checked first (errors
    /// name the row), then all are imported or none; rows imported before are skipped.
    Import(import::ImportArgs),
    /// Write every issue to standard output as CSV (importable again) or JSON lines.
    Export(import::ExportArgs),
}

/// Loads the configuration or prints every error (exit 1).
fn load_config() -> Result<Config, ExitCode> {
    config::load(&LoadOptions::from_env()).map_err(|errors| {
        eprintln!("tanggap: the configuration is not valid:");
        for e in &errors {
            eprintln!("  {e}");
        }
        ExitCode::from(1)
    })
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    let cfg = match load_config() {
        Ok(c) => c,
        Err(code) => return code,
    };
    if !matches!(cli.command, Command::CheckConfig) {
        crate::telemetry::init(&cfg.settings.log.format, &cfg.settings.log.level);
    }
    let result = match cli.command {
        Command::Serve => serve::run(cfg),
        Command::Migrate => migrate::run(&cfg),
        Command::CheckConfig => check_config::run(&cfg),
        Command::User(cmd) => user::run(&cfg, cmd),
        Command::Audit(cmd) => audit::run(&cfg, cmd),
        Command::Calendar(cmd) => calendar::run(&cfg, cmd),
        Command::Import(args) => import::run_import(&cfg, args),
        Command::Export(args) => import::run_export(&cfg, args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tanggap: {e:#}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}

//! `tanggap check-config`

use crate::config::Config;
use std::process::ExitCode;

#[allow(
    clippy::unnecessary_wraps,
    reason = "every command's run has one signature, so cli::run dispatches them alike"
)]
pub fn run(cfg: &Config) -> anyhow::Result<ExitCode> {
    // Warnings, not errors: a holiday list running out leaves the service working (exit 0).
    let today = jiff::Zoned::now().with_time_zone(cfg.zone.clone()).date();
    for w in cfg.holiday_warnings(today) {
        eprintln!("tanggap: warning: {w}");
    }
    println!("# profile: {}", cfg.profile);
    print!("{}", cfg.to_masked_toml());
    Ok(ExitCode::SUCCESS)
}

//! `tanggap check-config`

use crate::config::Config;
use std::process::ExitCode;

#[allow(
    clippy::unnecessary_wraps,
    reason = "every command's run has one signature, so cli::run dispatches them alike"
)]
pub fn run(cfg: &Config) -> anyhow::Result<ExitCode> {
    println!("# profile: {}", cfg.profile);
    print!("{}", cfg.to_masked_toml());
    Ok(ExitCode::SUCCESS)
}

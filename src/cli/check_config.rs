//! `tanggap check-config`

use crate::config::Config;
use std::process::ExitCode;

pub fn run(cfg: &Config) -> anyhow::Result<ExitCode> {
    println!("# profile: {}", cfg.profile);
    print!("{}", cfg.to_masked_toml());
    Ok(ExitCode::SUCCESS)
}

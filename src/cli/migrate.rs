//! `tanggap migrate`

use crate::config::Config;
use crate::store;
use std::process::ExitCode;

pub fn run(cfg: &Config) -> anyhow::Result<ExitCode> {
    let mut conn = store::connect(&cfg.settings.database.url.0)?;
    let n = crate::app::migrate(cfg, &mut conn)?;
    println!("applied {n} migration(s); the database is up to date");
    Ok(ExitCode::SUCCESS)
}

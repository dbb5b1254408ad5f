//! `tanggap serve`

use crate::app::Application;
use crate::config::Config;
use crate::service::SystemClock;
use std::process::ExitCode;
use std::sync::Arc;

pub fn run(cfg: Config) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let app = Application::build(cfg, Arc::new(SystemClock), None)?;
    tracing::info!(
        bind = %app.state.cfg.bind,
        port = app.port,
        backend = ?app.state.cfg.backend,
        startup_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "Tanggap is listening"
    );
    // actix-web stops gracefully on SIGTERM and SIGINT: it stops accepting, lets in-flight
    // requests finish within server.shutdown_timeout, then returns.
    actix_web::rt::System::new().block_on(app.run())?;
    tracing::info!("stopped cleanly");
    Ok(ExitCode::SUCCESS)
}

//! Background work of every instance: the escalation timer, the outbox worker, the re-indexing
//! of older issues for similar issues, the report tallies, and (on
//! PostgreSQL) the listener that wakes both when another instance changed something.

pub mod listener;
pub mod outbox;
pub mod reindex;
pub mod tallies;
pub mod timer;

use crate::runtime::{AppState, Wake};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The context of a change the service makes itself, at the instance's clock's now.
pub(crate) fn system_ctx(state: &AppState) -> crate::service::Ctx {
    crate::service::Ctx {
        actor: crate::service::Actor::System,
        now: crate::service::micros(state.clock.now()),
        request_id: None,
        client_request_id: None,
        sla: state.cfg.sla.clone(),
    }
}

/// The running workers.
pub struct Workers {
    wake: Arc<Wake>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Starts the workers on the current runtime.
pub fn spawn(state: AppState) -> Workers {
    let wake = state.wake.clone();
    let mut tasks = vec![
        tokio::spawn(timer::run(state.clone())),
        tokio::spawn(outbox::run(state.clone())),
        tokio::spawn(reindex::run(state.clone())),
        tokio::spawn(tallies::run(state.clone())),
    ];
    if state.cfg.backend == crate::config::Backend::Postgres {
        let url = state.cfg.settings.database.url.0.clone();
        let w = wake.clone();
        tasks.push(tokio::task::spawn_blocking(move || listener::run(&url, &w)));
    }
    Workers { wake, tasks }
}

impl Workers {
    /// Asks the workers to stop and waits for them.
    pub async fn stop(self) {
        self.wake.stop.store(true, Ordering::Relaxed);
        self.wake.timers.notify_waiters();
        self.wake.outbox.notify_waiters();
        for t in self.tasks {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), t).await;
        }
    }
}

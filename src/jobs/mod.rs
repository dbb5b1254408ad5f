//! Background work of every instance: the escalation timer, the outbox worker, and (on
//! PostgreSQL) the listener that wakes both when another instance changed something.

pub mod listener;
pub mod outbox;
pub mod timer;

use crate::http::AppState;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use tokio::sync::Notify;

/// Wake-ups for the workers, from this process and (through the listener) from others.
#[derive(Debug)]
pub struct Wake {
    pub timers: Notify,
    pub outbox: Notify,
    pub stop: AtomicBool,
    /// The earliest due instant announced since the timer last looked (µs); `i64::MIN` when a
    /// change did not say (the timer must look), `i64::MAX` when nothing was announced.
    timer_hint: AtomicI64,
}

impl Default for Wake {
    fn default() -> Self {
        Wake {
            timers: Notify::new(),
            outbox: Notify::new(),
            stop: AtomicBool::new(false),
            timer_hint: AtomicI64::new(i64::MAX),
        }
    }
}

impl Wake {
    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Wakes the timer: a due instant was created or moved, at `earliest` when known.
    pub fn timers_at(&self, earliest: Option<i64>) {
        self.timer_hint
            .fetch_min(earliest.unwrap_or(i64::MIN), Ordering::AcqRel);
        self.timers.notify_one();
    }

    /// The earliest instant announced since the last call (see `timer_hint`).
    pub fn take_timer_hint(&self) -> i64 {
        self.timer_hint.swap(i64::MAX, Ordering::AcqRel)
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

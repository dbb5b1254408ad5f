//! Wake-ups for the workers, from this process and (through the listener) from others.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
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
    /// Whether the timer has compared the calendars with the last start's (and moved the
    /// clocks of a changed one): it fires nothing before.
    pub calendars_checked: AtomicBool,
}

impl Default for Wake {
    fn default() -> Self {
        Wake {
            timers: Notify::new(),
            outbox: Notify::new(),
            stop: AtomicBool::new(false),
            timer_hint: AtomicI64::new(i64::MAX),
            calendars_checked: AtomicBool::new(false),
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

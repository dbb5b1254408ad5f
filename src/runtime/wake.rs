//! Wake-ups for the workers, from this process and (through the listener) from others.

use crate::store::outbox::OutboxRow;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Mutex;
use tokio::sync::Notify;

/// How many messages handed to this instance's sender (claimed as they were made) may wait
/// before the timer stops handing: a round's workers look before they fire, so up to one
/// round's messages more may arrive. Past it, new ones wait in the outbox for any instance's
/// claim.
pub const HANDED_MAX: usize = 512;

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
    /// Whether this instance's outbox worker is sending (it has a mail transport): only then
    /// does the timer claim the messages it makes for it.
    pub sender_running: AtomicBool,
    /// Messages claimed as they were made, waiting for this instance's sender.
    handed: Mutex<Vec<OutboxRow>>,
}

impl Default for Wake {
    fn default() -> Self {
        Wake {
            timers: Notify::new(),
            outbox: Notify::new(),
            stop: AtomicBool::new(false),
            timer_hint: AtomicI64::new(i64::MAX),
            calendars_checked: AtomicBool::new(false),
            sender_running: AtomicBool::new(false),
            handed: Mutex::new(Vec::new()),
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

    /// Whether the timer should claim the messages it makes for this instance's sender: it is
    /// sending and holds fewer than [`HANDED_MAX`] handed to it.
    pub fn takes_handed(&self) -> bool {
        self.sender_running.load(Ordering::Acquire)
            && self.handed.lock().is_ok_and(|h| h.len() < HANDED_MAX)
    }

    /// Hands claimed messages to this instance's sender and wakes it.
    pub fn hand(&self, rows: Vec<OutboxRow>) {
        if rows.is_empty() {
            return;
        }
        if let Ok(mut h) = self.handed.lock() {
            h.extend(rows);
        }
        self.outbox.notify_one();
    }

    /// Up to `limit` of the messages handed to the sender, oldest first.
    pub fn take_handed(&self, limit: usize) -> Vec<OutboxRow> {
        self.handed.lock().map_or_else(
            |_| Vec::new(),
            |mut h| {
                let n = h.len().min(limit);
                h.drain(..n).collect()
            },
        )
    }

    /// The earliest instant announced since the last call (see `timer_hint`).
    pub fn take_timer_hint(&self) -> i64 {
        self.timer_hint.swap(i64::MAX, Ordering::AcqRel)
    }
}

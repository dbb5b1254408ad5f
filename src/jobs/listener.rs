//! PostgreSQL `LISTEN` for wake-ups from other instances. diesel only drains notifications
//! libpq has already read, so a short query every 100 ms pulls them in.

use super::Wake;
use crate::store::{OUTBOX_CHANNEL, TIMERS_CHANNEL};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use std::time::Duration;

pub fn run(url: &str, wake: &Wake) {
    while !wake.stopping() {
        let mut conn = match PgConnection::establish(url) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "the wake-up listener cannot connect; retrying");
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
        };
        if conn
            .batch_execute(&format!(
                "LISTEN {TIMERS_CHANNEL}; LISTEN {OUTBOX_CHANNEL};"
            ))
            .is_err()
        {
            std::thread::sleep(Duration::from_secs(1));
            continue;
        }
        while !wake.stopping() {
            if conn.batch_execute("SELECT 1").is_err() {
                break;
            }
            for n in conn.notifications_iter() {
                match n {
                    // The payload, when there is one, is the earliest due instant announced.
                    Ok(n) if n.channel == TIMERS_CHANNEL => wake.timers_at(n.payload.parse().ok()),
                    Ok(n) if n.channel == OUTBOX_CHANNEL => wake.outbox.notify_one(),
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

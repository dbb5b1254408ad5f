//! Re-indexing for similar issues: the issues written before similar issues existed, or under
//! older rules of comparable words, get their words and canonical addresses, 500 per
//! transaction, while the instance serves. Several instances may run it at once: each batch
//! rewrites the same values.

use crate::runtime::AppState;
use crate::service::issues::similar;
use std::time::Duration;

pub async fn run(state: AppState) {
    let mut total = 0usize;
    while !state.wake.stopping() {
        match state.db(|conn| similar::reindex(conn, 500)).await {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(e) => {
                tracing::warn!(error = %e, "cannot re-index issues for similar issues; retrying");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    }
    if total > 0 {
        tracing::info!(issues = total, "re-indexed issues for finding similar ones");
    }
}

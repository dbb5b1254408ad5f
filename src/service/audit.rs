//! Verifying every audit chain.

use crate::audit::{Broken, StoredEvent, StreamWalk};
use crate::error::AppResult;
use crate::store::{self, Db};
use serde::Serialize;
use std::collections::BTreeMap;

/// The outcome of a verification.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, PartialEq, Eq)]
pub struct VerifyReport {
    pub ok: bool,
    /// Streams checked.
    pub streams: i64,
    /// Events checked.
    pub events: i64,
    /// The first broken event, in stream order, or null.
    pub first_broken: Option<Broken>,
}

const PAGE: i64 = 5_000;

/// Walks every stream in (stream, seq) order, page by page, and checks each against its head,
/// all on one snapshot so that events appended meanwhile do not look like tampering.
pub fn verify(conn: &mut Db) -> AppResult<VerifyReport> {
    store::snapshot_tx(conn, verify_snapshot)
}

fn verify_snapshot(conn: &mut Db) -> AppResult<VerifyReport> {
    let heads: BTreeMap<String, (i64, String)> = store::audit::heads(conn)?
        .into_iter()
        .map(|(s, seq, h)| (s, (seq, h)))
        .collect();
    let mut seen_streams: Vec<String> = Vec::new();
    let mut events = 0i64;
    let mut walk: Option<StreamWalk> = None;
    let mut after: Option<(String, i64)> = None;
    let mut broken: Option<Broken> = None;
    let finish = |w: &StreamWalk| w.finish(heads.get(&w.stream).map(|(s, h)| (*s, h.as_str())));
    'pages: loop {
        let page = store::audit::page(conn, after.as_ref().map(|(s, q)| (s.as_str(), *q)), PAGE)?;
        let Some(last) = page.last() else { break };
        after = Some((last.stream.clone(), last.seq));
        for row in page {
            let e = StoredEvent::from(row);
            events += 1;
            if walk.as_ref().map(|w| w.stream.as_str()) != Some(e.stream.as_str()) {
                if let Some(w) = &walk {
                    if let Err(b) = finish(w) {
                        broken = Some(b);
                        break 'pages;
                    }
                }
                seen_streams.push(e.stream.clone());
                walk = Some(StreamWalk::new(&e.stream));
            }
            if let Some(w) = walk.as_mut() {
                if let Err(b) = w.step(&e) {
                    broken = Some(b);
                    break 'pages;
                }
            }
        }
    }
    if broken.is_none() {
        if let Some(w) = &walk {
            broken = finish(w).err();
        }
    }
    if broken.is_none() {
        // A head without events: the whole stream was removed.
        if let Some((stream, (seq, _))) = heads
            .iter()
            .find(|(s, (seq, _))| *seq > 0 && !seen_streams.contains(s))
        {
            broken = Some(Broken {
                stream: stream.clone(),
                seq: 1,
                event_id: None,
                reason: format!("the stream's head says {seq} events but none are stored"),
            });
        }
    }
    Ok(VerifyReport {
        ok: broken.is_none(),
        streams: i64::try_from(heads.len().max(seen_streams.len())).unwrap_or(i64::MAX),
        events,
        first_broken: broken,
    })
}

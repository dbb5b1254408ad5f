//! Verifying every audit chain.

use crate::audit::{
    Broken, Checkpoint, HeadDigest, Keys, Policy, StoredEvent, StreamWalk, KEY_INTRODUCED,
    SYSTEM_STREAM,
};
use crate::error::AppError;
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
/// all on one snapshot so that events appended meanwhile do not look like tampering. Links are
/// checked under `keys` (see [`crate::audit`]).
pub fn verify(conn: &mut Db, keys: &std::sync::Arc<Keys>) -> AppResult<VerifyReport> {
    verify_against(conn, keys, None)
}

/// Takes a checkpoint of the trail (needs the audit key).
pub fn checkpoint(conn: &mut Db, keys: &Keys, now: i64) -> AppResult<Checkpoint> {
    let (max_id, heads) = store::write_tx(conn, |c| {
        store::audit::checkpoint_state(c).map_err(AppError::from)
    })?;
    let mut digest = HeadDigest::default();
    for (stream, seq, hash) in &heads {
        digest.add(stream, *seq, hash);
    }
    let (streams, events) = (digest.streams, digest.events);
    Checkpoint {
        at: super::rfc3339(now),
        key_id: String::new(),
        max_id,
        streams,
        events,
        digest: digest.finish(),
        mac: String::new(),
    }
    .sealed(keys)
    .ok_or_else(|| AppError::invalid("audit.key", "a checkpoint needs the audit key"))
}

/// Verifies the trail, and against `checkpoint` (whose MAC the caller checked) when given:
/// the events up to its `max_id` must be exactly those it saw.
pub fn verify_against(
    conn: &mut Db,
    keys: &std::sync::Arc<Keys>,
    checkpoint: Option<&Checkpoint>,
) -> AppResult<VerifyReport> {
    store::snapshot_tx(conn, |conn| {
        let policy = match policy(conn, keys)? {
            Ok(p) => p,
            Err(broken) => {
                return Ok(VerifyReport {
                    ok: false,
                    streams: 0,
                    events: 0,
                    first_broken: Some(broken),
                })
            }
        };
        verify_snapshot(conn, &policy, checkpoint)
    })
}

/// Records, once, when the audit key was introduced: every unkeyed event after it was written
/// without the key. Called at start-up (and by every command that writes) after migrations.
pub fn introduce_key(conn: &mut Db, ctx: &super::Ctx) -> AppResult<bool> {
    if !ctx.sla.audit_keys.active() {
        return Ok(false);
    }
    store::write_tx(conn, |conn| {
        if store::audit::first_system_event(conn, KEY_INTRODUCED)?.is_some() {
            return Ok(false);
        }
        let until = store::audit::max_id(conn)?;
        let mut ch = crate::audit::Changes::new();
        crate::audit::diff(&mut ch, "unkeyed_until_id", serde_json::Value::Null, until);
        ctx.record(conn, SYSTEM_STREAM, KEY_INTRODUCED, "audit", ch)?;
        Ok(true)
    })
}

/// What unkeyed events are held to: from the key's introduction event, whose own keyed link
/// must hold (someone without the key cannot move it).
fn policy(conn: &mut Db, keys: &std::sync::Arc<Keys>) -> AppResult<Result<Policy, Broken>> {
    let intro = store::audit::first_system_event(conn, KEY_INTRODUCED)?;
    let Some(row) = intro else {
        // No introduction: plain links only are expected; keyed ones without it mean it was removed.
        if store::audit::any_keyed(conn)? {
            return Ok(Err(Broken {
                stream: SYSTEM_STREAM.to_owned(),
                seq: 0,
                event_id: None,
                reason: "keyed events exist but the audit key's introduction event is missing: it was removed".into(),
            }));
        }
        return Ok(Ok(Policy {
            keys: keys.clone(),
            unkeyed_until: None,
        }));
    };
    let broken = |reason: String| Broken {
        stream: row.stream.clone(),
        seq: row.seq,
        event_id: Some(row.id),
        reason,
    };
    match keys.check(&row.prev_hash, &row.canonical, &row.hash) {
        Ok(true) => {}
        Ok(false) => {
            return Ok(Err(broken(
                "the audit key's introduction event is not keyed: it was forged".into(),
            )))
        }
        Err(e) => return Ok(Err(broken(e))),
    }
    let canon: crate::audit::Canonical = match serde_json::from_str(&row.canonical) {
        Ok(c) => c,
        Err(e) => return Ok(Err(broken(format!("canonical form unreadable: {e}")))),
    };
    let Some(until) = canon.changes["unkeyed_until_id"]["after"].as_i64() else {
        return Ok(Err(broken("the introduction names no event id".into())));
    };
    Ok(Ok(Policy {
        keys: keys.clone(),
        unkeyed_until: Some(until),
    }))
}

/// The heads the trail had at a checkpoint, computed from the events while walking them.
struct AtCheckpoint<'a> {
    cp: &'a Checkpoint,
    digest: HeadDigest,
    /// The current stream's newest event up to the checkpoint.
    last: Option<(String, i64, String)>,
}

impl AtCheckpoint<'_> {
    fn see(&mut self, e: &StoredEvent) {
        if self.last.as_ref().is_some_and(|(s, _, _)| *s != e.stream) {
            self.flush();
        }
        if e.id <= self.cp.max_id {
            self.last = Some((e.stream.clone(), e.seq, e.hash.clone()));
        }
    }

    fn flush(&mut self) {
        if let Some((stream, seq, hash)) = self.last.take() {
            self.digest.add(&stream, seq, &hash);
        }
    }

    fn result(mut self) -> Option<Broken> {
        self.flush();
        let (streams, events) = (self.digest.streams, self.digest.events);
        (self.digest.finish() != self.cp.digest).then(|| Broken {
            stream: "(checkpoint)".into(),
            seq: 0,
            event_id: None,
            reason: format!(
                "the trail up to event id {} differs from the checkpoint of {} ({} streams, {} events then; {streams} streams, {events} events now): events or whole streams were removed or changed",
                self.cp.max_id, self.cp.at, self.cp.streams, self.cp.events
            ),
        })
    }
}

fn verify_snapshot(
    conn: &mut Db,
    policy: &Policy,
    checkpoint: Option<&Checkpoint>,
) -> AppResult<VerifyReport> {
    let mut at_checkpoint = checkpoint.map(|cp| AtCheckpoint {
        cp,
        digest: HeadDigest::default(),
        last: None,
    });
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
            if let Some(a) = at_checkpoint.as_mut() {
                a.see(&e);
            }
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
                if let Err(b) = w.step_with(&e, policy) {
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
    if broken.is_none() {
        broken = at_checkpoint.and_then(AtCheckpoint::result);
    }
    Ok(VerifyReport {
        ok: broken.is_none(),
        streams: i64::try_from(heads.len().max(seen_streams.len())).unwrap_or(i64::MAX),
        events,
        first_broken: broken,
    })
}

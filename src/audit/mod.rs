//! The audit trail's pure part: the canonical form of an event, its chain link, and
//! verification of a stream. Appending happens in `store::audit`, inside the caller's
//! transaction.
//!
//! Links: with an audit key configured (`[audit] key`, a secret the database does not hold),
//! each link is HMAC-SHA-256 under that key, written `k:<key id>:<hex>`; without one, plain
//! SHA-256 (`<hex>`), as before keys existed. Someone holding only the database can recompute
//! plain links but not keyed ones: verification names an event whose keyed link does not hold,
//! and an unkeyed event where only keyed ones can stand (after a keyed event of its stream, or
//! written after the key was introduced).
//!
//! Long because: the canonical form, the chain link and verification are read together to be
//! trusted.

use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The `prev_hash` of the first event of every stream.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The stream of everything that is not an issue: configuration, units, users, rules, logins.
pub const SYSTEM_STREAM: &str = "system";

/// The actor of changes made by the service itself.
pub const SYSTEM_ACTOR: &str = "system";

/// A field's value before and after a change.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Change {
    pub before: Value,
    pub after: Value,
}

/// Changed fields by name.
pub type Changes = BTreeMap<String, Change>;

/// Records `field` as changed when `before` and `after` differ.
pub fn diff(changes: &mut Changes, field: &str, before: impl Serialize, after: impl Serialize) {
    let before = serde_json::to_value(before).unwrap_or(Value::Null);
    let after = serde_json::to_value(after).unwrap_or(Value::Null);
    if before != after {
        changes.insert(field.to_owned(), Change { before, after });
    }
}

/// An event about to be appended.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub stream: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub changes: Changes,
    /// The id this server gave the request that made the change.
    pub request_id: Option<String>,
    /// The `X-Request-Id` the client sent, if any: its own label, kept apart from ours.
    pub client_request_id: Option<String>,
    /// Microseconds since the epoch, UTC.
    pub at: i64,
    /// The keys its link is made with (none: a plain SHA-256 link).
    pub keys: Option<std::sync::Arc<Keys>>,
}

/// The audit keys: the current one, which links new events, and earlier ones, which still
/// verify the events they linked (rotation).
#[derive(Clone, Default)]
pub struct Keys {
    current: Option<String>,
    secrets: BTreeMap<String, Vec<u8>>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("current", &self.current)
            .field("ids", &self.secrets.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The action of the event that records when the audit key was introduced.
pub const KEY_INTRODUCED: &str = "audit.key_introduced";

impl Keys {
    /// `current` (id, secret) links new events; `previous` only verify.
    pub fn new(current: Option<(&str, &str)>, previous: &[(&str, &str)]) -> Keys {
        let mut secrets: BTreeMap<String, Vec<u8>> = previous
            .iter()
            .map(|(id, k)| ((*id).to_owned(), k.as_bytes().to_vec()))
            .collect();
        if let Some((id, k)) = current {
            secrets.insert(id.to_owned(), k.as_bytes().to_vec());
        }
        Keys {
            current: current.map(|(id, _)| id.to_owned()),
            secrets,
        }
    }

    /// Whether new events are linked with a key.
    pub fn active(&self) -> bool {
        self.current.is_some()
    }

    fn mac(secret: &[u8], prev_hash: &str, canonical: &str) -> String {
        // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        m.update(prev_hash.as_bytes());
        m.update(b"\n");
        m.update(canonical.as_bytes());
        hex::encode(m.finalize().into_bytes())
    }

    /// The link of an event after `prev_hash`: keyed with the current key, plain without one.
    pub fn link(&self, prev_hash: &str, canonical: &str) -> String {
        match self
            .current
            .as_ref()
            .and_then(|id| self.secrets.get(id).map(|k| (id, k)))
        {
            Some((id, k)) => format!("k:{id}:{}", Self::mac(k, prev_hash, canonical)),
            None => link(prev_hash, canonical),
        }
    }

    /// The current key's id, when there is a key.
    pub fn current_id(&self) -> Option<&str> {
        self.current.as_deref()
    }

    /// HMAC-SHA-256 of `text` under key `id`, when the configuration holds it.
    pub fn mac_under(&self, id: &str, text: &str) -> Option<String> {
        self.secrets.get(id).map(|k| Self::mac(k, "", text))
    }

    /// Checks a stored link; answers whether it is keyed.
    pub fn check(&self, prev_hash: &str, canonical: &str, hash: &str) -> Result<bool, String> {
        let Some(rest) = hash.strip_prefix("k:") else {
            return if link(prev_hash, canonical) == hash {
                Ok(false)
            } else {
                Err("hash does not match the event's canonical form".into())
            };
        };
        let (id, mac) = rest.split_once(':').unwrap_or((rest, ""));
        let Some(secret) = self.secrets.get(id) else {
            return Err(format!(
                "linked with audit key `{id}`, which this configuration does not hold (audit.key_id, audit.previous_keys)"
            ));
        };
        if Self::mac(secret, prev_hash, canonical) == mac {
            Ok(true)
        } else {
            Err(format!(
                "hash does not match the event's canonical form under audit key `{id}`: the event was changed"
            ))
        }
    }
}

/// A checkpoint of the whole trail, kept outside the database (a file, a mail): every stream's
/// head at one instant, as a digest, under the audit key. Verified against a later trail, it
/// shows events or whole streams removed (with their heads) and rewrites of events older than
/// the key, which links alone cannot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Checkpoint {
    /// When it was taken (RFC 3339).
    pub at: String,
    /// The key of its MAC.
    pub key_id: String,
    /// Every event up to this id, and none above, was in the trail then.
    pub max_id: i64,
    /// Streams with events, and events in all.
    pub streams: i64,
    pub events: i64,
    /// SHA-256 over `stream \t seq \t hash \n` of every stream's head, in stream order.
    pub digest: String,
    /// HMAC-SHA-256 of the checkpoint's JSON with `mac` empty.
    #[serde(default)]
    pub mac: String,
}

impl Checkpoint {
    fn body(&self) -> String {
        let mut plain = self.clone();
        plain.mac.clear();
        serde_json::to_string(&plain).unwrap_or_default()
    }

    /// The checkpoint with its MAC under the current key (`None` without a key).
    pub fn sealed(mut self, keys: &Keys) -> Option<Checkpoint> {
        let id = keys.current_id()?.to_owned();
        self.key_id.clone_from(&id);
        self.mac = keys.mac_under(&id, &self.body())?;
        Some(self)
    }

    /// Whether its MAC holds under `keys`.
    pub fn check(&self, keys: &Keys) -> Result<(), String> {
        match keys.mac_under(&self.key_id, &self.body()) {
            Some(mac) if mac == self.mac => Ok(()),
            Some(_) => Err(format!("the checkpoint of {} was altered", self.at)),
            None => Err(format!(
                "the checkpoint of {} is under audit key `{}`, which this configuration does not hold",
                self.at, self.key_id
            )),
        }
    }
}

/// The digest of stream heads, fed in stream order.
#[derive(Debug, Clone, Default)]
pub struct HeadDigest {
    hasher: Sha256,
    pub streams: i64,
    pub events: i64,
}

impl HeadDigest {
    /// Adds a stream whose newest event is (`seq`, `hash`).
    pub fn add(&mut self, stream: &str, seq: i64, hash: &str) {
        if seq > 0 {
            self.hasher
                .update(format!("{stream}\t{seq}\t{hash}\n").as_bytes());
            self.streams += 1;
            self.events += seq;
        }
    }

    pub fn finish(self) -> String {
        hex::encode(self.hasher.finalize())
    }
}

/// The canonical form that is hashed and stored beside the event. Field order is fixed by the
/// struct, so the text does not depend on any map's ordering.
#[derive(Debug, Serialize, serde::Deserialize, PartialEq)]
pub struct Canonical {
    pub stream: String,
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub changes: Value,
    pub request_id: Option<String>,
    /// Absent from the text when the client sent none, so events from before the field
    /// existed keep their canonical form byte for byte.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_request_id: Option<String>,
}

impl NewEvent {
    /// The canonical text of this event at position `seq` of its stream.
    pub fn canonical(&self, seq: i64) -> String {
        self.canonical_at(seq, self.at)
    }

    /// The canonical text at `seq`, recorded at `at` (µs).
    pub fn canonical_at(&self, seq: i64, at: i64) -> String {
        let c = Canonical {
            stream: self.stream.clone(),
            seq,
            at,
            actor: self.actor.clone(),
            action: self.action.clone(),
            subject: self.subject.clone(),
            changes: serde_json::to_value(&self.changes).unwrap_or(Value::Null),
            request_id: self.request_id.clone(),
            client_request_id: self.client_request_id.clone(),
        };
        serde_json::to_string(&c).unwrap_or_default()
    }

    /// The `changes` column: the same JSON as inside the canonical form.
    pub fn changes_json(&self) -> String {
        serde_json::to_string(&self.changes).unwrap_or_else(|_| "{}".to_owned())
    }
}

/// The link of an event: SHA-256 over the previous hash, a newline, and the canonical text.
pub fn link(prev_hash: &str, canonical: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canonical.as_bytes());
    hex::encode(h.finalize())
}

/// A stored event as verification reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub id: i64,
    pub stream: String,
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub changes: String,
    pub request_id: Option<String>,
    pub client_request_id: Option<String>,
    pub canonical: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The first event found broken, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Broken {
    pub stream: String,
    pub seq: i64,
    pub event_id: Option<i64>,
    pub reason: String,
}

/// What verification holds unkeyed events to.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub keys: std::sync::Arc<Keys>,
    /// The largest event id from before the audit key was introduced: an unkeyed event with a
    /// larger id was written without the key. `None`: every unkeyed event is from before
    /// (no key introduced yet).
    pub unkeyed_until: Option<i64>,
}

/// Walks one stream's events in order, carrying the expected position and hash.
#[derive(Debug, Clone)]
pub struct StreamWalk {
    pub stream: String,
    pub next_seq: i64,
    pub last_hash: String,
    /// Whether an earlier event of the stream was keyed: no unkeyed one may follow.
    pub keyed: bool,
}

impl StreamWalk {
    pub fn new(stream: &str) -> Self {
        StreamWalk {
            stream: stream.to_owned(),
            next_seq: 1,
            last_hash: GENESIS.to_owned(),
            keyed: false,
        }
    }

    /// Checks the next event of the stream, plain links only (no audit key).
    pub fn step(&mut self, e: &StoredEvent) -> Result<(), Broken> {
        self.step_with(e, &Policy::default())
    }

    /// Checks the next event of the stream under `policy`.
    pub fn step_with(&mut self, e: &StoredEvent, policy: &Policy) -> Result<(), Broken> {
        let broken = |reason: String| Broken {
            stream: e.stream.clone(),
            seq: e.seq,
            event_id: Some(e.id),
            reason,
        };
        if e.seq != self.next_seq {
            return Err(broken(format!(
                "expected event {} of the stream, found {}: events are missing",
                self.next_seq, e.seq
            )));
        }
        if e.prev_hash != self.last_hash {
            return Err(broken(
                "prev_hash does not match the previous event's hash".into(),
            ));
        }
        let keyed = policy
            .keys
            .check(&e.prev_hash, &e.canonical, &e.hash)
            .map_err(broken)?;
        if !keyed && self.keyed {
            return Err(broken(
                "an unkeyed event after keyed ones: it was written without the audit key".into(),
            ));
        }
        if !keyed && policy.unkeyed_until.is_some_and(|until| e.id > until) {
            return Err(broken(
                "an unkeyed event written after the audit key was introduced: it was written without the key".into(),
            ));
        }
        let canon: Canonical = serde_json::from_str(&e.canonical)
            .map_err(|err| broken(format!("canonical form unreadable: {err}")))?;
        let changes: Value = serde_json::from_str(&e.changes)
            .map_err(|err| broken(format!("changes unreadable: {err}")))?;
        let columns_match = canon.stream == e.stream
            && canon.seq == e.seq
            && canon.at == e.at
            && canon.actor == e.actor
            && canon.action == e.action
            && canon.subject == e.subject
            && canon.changes == changes
            && canon.request_id == e.request_id
            && canon.client_request_id == e.client_request_id;
        if !columns_match {
            return Err(broken(
                "the stored columns differ from the hashed canonical form".into(),
            ));
        }
        self.next_seq += 1;
        self.last_hash.clone_from(&e.hash);
        self.keyed |= keyed;
        Ok(())
    }

    /// Checks the end of the stream against its separately kept head.
    pub fn finish(&self, head: Option<(i64, &str)>) -> Result<(), Broken> {
        let last = self.next_seq - 1;
        match head {
            Some((seq, hash)) if seq == last && hash == self.last_hash => Ok(()),
            Some((seq, _)) => Err(Broken {
                stream: self.stream.clone(),
                seq: last + 1,
                event_id: None,
                reason: format!(
                    "the stream's head says {seq} events but {last} are stored: events were removed or altered"
                ),
            }),
            None => Err(Broken {
                stream: self.stream.clone(),
                seq: last,
                event_id: None,
                reason: "the stream has no head record".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests;

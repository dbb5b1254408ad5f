//! Pages of issues written as JSON, each issue's unchanging members kept between pages.
//!
//! An issue's wire shape is, but for a few members, a function of its row at a version: every
//! save bumps `version`, and the one shown column written without a bump, `escalation_level`,
//! is part of the key. So is the row's copy of its clocks (written only with a save or the
//! row's insert). The members that depend on the instant or the reader — the clocks' views
//! (remaining time, breached) and the links to other issues (those the reader may not see are
//! taken out) — are made for every page ([`super::live`]) from the kept copy. A list then
//! reads of each issue only its key and its links ([`IssueHead`]), and decodes and writes the
//! rest of a row only when it has not shown the issue at that key yet. On a page of the triage
//! queue, decoding the rows and escaping their texts was most of the service's work.
//!
//! The members are kept per instance, in memory, within a budget of bytes; an entry is used
//! only when the row's key is the same, so that an instance never shows what another one
//! changed as it was before.

use super::{copied_clocks, live, Issue, Live, LiveClocks, LiveOf};
use crate::domain::clock::{Clock, ClockReading};
use crate::error::{AppError, AppResult};
use crate::service::Ctx;
use crate::store::issues::IssueHead;
use crate::store::{self, Db};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// The members made for every page, not kept.
const LIVE_MEMBERS: [&str; 4] = ["clocks", "duplicates", "duplicate_of", "similar"];

/// The bytes of members one generation holds: two generations are kept (below 20 MB together
/// with their keys), each filled by the pages shown since the one before was dropped.
const GENERATION_BYTES: usize = 8 * 1024 * 1024;

/// The members of issues shown lately, by id. Kept in two generations: a new entry goes to
/// the young one; when it is full, the old one is dropped and the young one becomes old; an
/// entry found in the old one moves back to the young one. What is shown often stays, without
/// any bookkeeping per read.
#[derive(Default)]
pub struct Shapes {
    gens: Mutex<Generations>,
}

#[derive(Default)]
struct Generations {
    young: HashMap<i64, Shape>,
    old: HashMap<i64, Shape>,
    young_bytes: usize,
}

#[derive(Clone)]
struct Shape {
    version: i64,
    level: i32,
    kept: Kept,
}

/// What is kept of an issue at a version.
#[derive(Clone)]
pub struct Kept {
    /// The members, written as JSON, without the braces.
    members: Arc<str>,
    /// The row's copy of its clocks, read, when it is current at that version (it is written
    /// only with a save, which raises the version, or with the row's insert).
    clocks: Option<Arc<[KeptClock]>>,
}

impl Kept {
    fn bytes(&self) -> usize {
        self.members.len()
            + self.clocks.as_ref().map_or(0, |c| {
                c.iter()
                    .map(|k| 160 + k.fixed.len() + k.stopped.len())
                    .sum()
            })
    }
}

/// A clock of a kept issue, with its members that do not change until the row does already
/// written: of a [`super::ClockView`], all but `state`, `breached`, `remaining_seconds` and
/// `paused_seconds`, which are read at each page's instant.
pub struct KeptClock {
    clock: Clock,
    /// `"calendar":…,"target":…,"started_at":…,"due_at":…`
    fixed: Box<str>,
    /// `"stopped_at":…`
    stopped: Box<str>,
}

impl KeptClock {
    fn of(clock: Clock) -> AppResult<KeptClock> {
        let written =
            |e: serde_json::Error| AppError::Internal(anyhow::anyhow!("writing a clock: {e}"));
        let text = |v: &str| serde_json::to_string(v).map_err(written);
        let fixed = format!(
            "\"calendar\":{},\"target\":{},\"started_at\":\"{}\",\"due_at\":\"{}\"",
            text(&clock.calendar)?,
            text(&clock.target)?,
            crate::service::rfc3339(clock.started_at),
            crate::service::rfc3339(clock.due_at),
        );
        let stopped = match clock.stopped_at {
            Some(at) => format!("\"stopped_at\":\"{}\"", crate::service::rfc3339(at)),
            None => "\"stopped_at\":null".to_owned(),
        };
        Ok(KeptClock {
            clock,
            fixed: fixed.into(),
            stopped: stopped.into(),
        })
    }

    /// Writes the clock as `reading` shows it: the JSON of its [`super::ClockView`], member for
    /// member in the same order.
    fn write(&self, reading: &ClockReading, out: &mut Vec<u8>) {
        use std::io::Write;
        out.extend_from_slice(b"{\"kind\":\"");
        out.extend_from_slice(self.clock.kind.as_str().as_bytes());
        out.extend_from_slice(b"\",\"state\":\"");
        out.extend_from_slice(reading.state.as_str().as_bytes());
        out.extend_from_slice(b"\",");
        out.extend_from_slice(self.fixed.as_bytes());
        // Writing to a vector cannot fail.
        let _ = write!(
            out,
            ",\"breached\":{},\"remaining_seconds\":",
            reading.breached
        );
        match reading.remaining_seconds {
            Some(n) => {
                let _ = write!(out, "{n}");
            }
            None => out.extend_from_slice(b"null"),
        }
        let _ = write!(out, ",\"paused_seconds\":{},", reading.paused_seconds);
        out.extend_from_slice(self.stopped.as_bytes());
        out.push(b'}');
    }
}

impl Generations {
    fn get(&mut self, id: i64, version: i64, level: i32) -> Option<Kept> {
        let same = |s: &Shape| s.version == version && s.level == level;
        if let Some(s) = self.young.get(&id) {
            return same(s).then(|| s.kept.clone());
        }
        let s = self.old.remove(&id)?;
        let kept = same(&s).then(|| s.kept.clone());
        if kept.is_some() {
            self.keep(id, s);
        }
        kept
    }

    fn keep(&mut self, id: i64, shape: Shape) {
        self.young_bytes += shape.kept.bytes();
        if let Some(before) = self.young.insert(id, shape) {
            self.young_bytes -= before.kept.bytes();
        }
        if self.young_bytes > GENERATION_BYTES {
            self.old = std::mem::take(&mut self.young);
            self.young_bytes = 0;
        }
    }
}

impl Shapes {
    /// What is kept of issue `id` at `version` and escalation `level`.
    #[cfg(test)]
    fn get(&self, id: i64, version: i64, level: i32) -> Option<Kept> {
        let mut gens = self.gens.lock().unwrap_or_else(PoisonError::into_inner);
        gens.get(id, version, level)
    }

    /// What is kept of each of `heads` at its key, taking the lock once (a page's threads
    /// would otherwise meet at it once per issue).
    fn get_all(&self, heads: &[IssueHead]) -> Vec<Option<Kept>> {
        let mut gens = self.gens.lock().unwrap_or_else(PoisonError::into_inner);
        heads
            .iter()
            .map(|h| gens.get(h.id, h.version, h.escalation_level))
            .collect()
    }

    fn keep(&self, id: i64, version: i64, level: i32, kept: Kept) {
        let mut gens = self.gens.lock().unwrap_or_else(PoisonError::into_inner);
        gens.keep(
            id,
            Shape {
                version,
                level,
                kept,
            },
        );
    }

    /// How many issues are kept (both generations) and about how many bytes they take.
    pub fn size(&self) -> (usize, usize) {
        let gens = self.gens.lock().unwrap_or_else(PoisonError::into_inner);
        let bytes = gens
            .young
            .values()
            .chain(gens.old.values())
            .map(|s| s.kept.bytes())
            .sum();
        (gens.young.len() + gens.old.len(), bytes)
    }
}

/// The members of `issue` that do not change until its row does, as JSON without the braces.
pub fn members(issue: &Issue) -> AppResult<String> {
    let written =
        |e: serde_json::Error| AppError::Internal(anyhow::anyhow!("writing an issue: {e}"));
    let serde_json::Value::Object(mut map) = serde_json::to_value(issue).map_err(written)? else {
        return Err(AppError::Internal(anyhow::anyhow!(
            "an issue was not written as an object"
        )));
    };
    for name in LIVE_MEMBERS {
        map.remove(name);
    }
    let text = serde_json::to_string(&map).map_err(written)?;
    // `{…}`: the braces are one byte each.
    Ok(text[1..text.len() - 1].to_owned())
}

/// An issue of a page: its kept members and its live ones.
pub struct Item {
    members: Arc<str>,
    /// Its clocks as kept, each with its reading at the page's instant; `None`: the row's copy
    /// was not current, and the clocks are `live.clocks`, read from their table.
    clocks: Option<(Arc<[KeptClock]>, Vec<ClockReading>)>,
    live: Live,
}

/// The items of `heads`, in their order: each one's members and clocks as kept, or read from
/// its row and kept when not (one query for all the rows not kept). An issue whose row is gone
/// since its head was read is left out.
pub fn items(
    conn: &mut Db,
    ctx: &Ctx,
    shapes: &Shapes,
    heads: &[IssueHead],
) -> AppResult<Vec<Item>> {
    let mut found: Vec<Option<Kept>> = shapes.get_all(heads);
    let missing: Vec<i64> = heads
        .iter()
        .zip(&found)
        .filter(|(_, f)| f.is_none())
        .map(|(h, _)| h.id)
        .collect();
    if !missing.is_empty() {
        let mut made: HashMap<i64, Kept> = HashMap::with_capacity(missing.len());
        for row in store::issues::by_ids(conn, &missing)? {
            let (id, version, level) = (row.id, row.version, row.escalation_level);
            let clocks = match copied_clocks(&row) {
                Some(c) => Some(
                    c.into_iter()
                        .map(KeptClock::of)
                        .collect::<AppResult<Arc<[KeptClock]>>>()?,
                ),
                None => None,
            };
            let members: Arc<str> =
                Arc::from(members(&Issue::from_row(row, Vec::new(), Vec::new())?)?);
            let kept = Kept { members, clocks };
            // Kept under the row's own key: it may be newer than the head read before it.
            shapes.keep(id, version, level, kept.clone());
            made.insert(id, kept);
        }
        for (h, f) in heads.iter().zip(found.iter_mut()) {
            if f.is_none() {
                *f = made.remove(&h.id);
            }
        }
    }
    let (heads, found): (Vec<&IssueHead>, Vec<Kept>) = heads
        .iter()
        .zip(found)
        .filter_map(|(h, f)| f.map(|f| (h, f)))
        .unzip();
    let lives = live(
        conn,
        ctx,
        &heads
            .iter()
            .zip(&found)
            .map(|(h, k)| LiveOf {
                id: h.id,
                reference: &h.ref_,
                clocks: match k.clocks {
                    Some(_) => LiveClocks::Elsewhere,
                    None => LiveClocks::Table,
                },
                merged_count: h.merged_count,
                duplicate_of: h.duplicate_of.as_deref(),
            })
            .collect::<Vec<_>>(),
    )?;
    Ok(found
        .into_iter()
        .zip(lives)
        .map(|(k, live)| Item {
            clocks: k.clocks.map(|kept| {
                let read = kept
                    .iter()
                    .map(|k| k.clock.read(&ctx.sla.calendar(&k.clock.calendar), ctx.now))
                    .collect();
                (kept, read)
            }),
            members: k.members,
            live,
        })
        .collect())
}

/// Writes `{"items":[…],"next_cursor":…}`: the shape of [`crate::http::extract::Page`].
pub fn write_page(items: &[Item], next_cursor: Option<&str>) -> AppResult<Vec<u8>> {
    let written = |e: serde_json::Error| AppError::Internal(anyhow::anyhow!("writing a page: {e}"));
    let size: usize = items.iter().map(|i| i.members.len() + 512).sum();
    let mut out: Vec<u8> = Vec::with_capacity(size + 64);
    out.extend_from_slice(b"{\"items\":[");
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.push(b'{');
        out.extend_from_slice(item.members.as_bytes());
        out.extend_from_slice(b",\"clocks\":");
        match &item.clocks {
            Some((kept, read)) => {
                out.push(b'[');
                for (n, (k, r)) in kept.iter().zip(read).enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    k.write(r, &mut out);
                }
                out.push(b']');
            }
            None => serde_json::to_writer(&mut out, &item.live.clocks).map_err(written)?,
        }
        out.extend_from_slice(b",\"duplicates\":");
        serde_json::to_writer(&mut out, &item.live.duplicates).map_err(written)?;
        out.extend_from_slice(b",\"duplicate_of\":");
        serde_json::to_writer(&mut out, &item.live.duplicate_of).map_err(written)?;
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"next_cursor\":");
    serde_json::to_writer(&mut out, &next_cursor).map_err(written)?;
    out.push(b'}');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text(n: usize) -> Arc<str> {
        Arc::from("x".repeat(n))
    }

    fn kept(m: &Arc<str>) -> Kept {
        Kept {
            members: m.clone(),
            clocks: None,
        }
    }

    proptest! {
        /// Whatever is kept and looked up in whatever order, a lookup answers only what was
        /// kept under exactly that key, the last kept for the issue, and the bytes kept stay
        /// within two generations.
        #[test]
        fn answers_only_the_last_members_kept_at_that_key(
            ops in proptest::collection::vec((any::<bool>(), 0i64..40, 1i64..4, 0i32..3, 1usize..600_000), 1..300)
        ) {
            let shapes = Shapes::default();
            let mut last: HashMap<i64, (i64, i32, Arc<str>)> = HashMap::new();
            for (keep, id, version, level, size) in ops {
                if keep {
                    let m = text(size);
                    shapes.keep(id, version, level, kept(&m));
                    last.insert(id, (version, level, m));
                } else if let Some(got) = shapes.get(id, version, level) {
                    let (v, l, m) = last.get(&id).expect("kept before");
                    prop_assert_eq!((*v, *l), (version, level));
                    prop_assert!(Arc::ptr_eq(&got.members, m));
                }
                let gens = shapes.gens.lock().expect("lock");
                let bytes: usize = gens.young.values().chain(gens.old.values()).map(|s| s.kept.bytes()).sum();
                prop_assert!(bytes <= 2 * GENERATION_BYTES + 600_000);
            }
        }
    }

    proptest! {
        /// A kept clock writes, for any reading, exactly the JSON its view would have been
        /// written as: the same members with the same values in the same order, whatever
        /// characters its calendar's and target's names hold.
        #[test]
        fn a_kept_clock_writes_what_its_view_would(
            kind in 0usize..3, state in 0usize..5, calendar in ".{0,12}", target in "\\PC{0,8}",
            started_at in -4_000_000_000_000_000i64..4_000_000_000_000_000,
            span in 0i64..100_000_000_000_000, stopped in proptest::option::of(0i64..100_000_000_000_000),
            read_state in 0usize..5, breached in any::<bool>(),
            remaining in proptest::option::of(any::<i64>()), paused in any::<i64>(),
        ) {
            use crate::domain::clock::ClockState;
            use crate::domain::ClockKind;
            let clock = Clock {
                kind: ClockKind::ALL[kind],
                state: ClockState::ALL[state],
                calendar,
                target,
                started_at,
                due_at: started_at + span,
                paused_at: None,
                paused_seconds: 0,
                stopped_at: stopped.map(|s| started_at + s),
                frozen_remaining: None,
                breached: false,
                elapsed_seconds: None,
            };
            let reading = ClockReading {
                state: ClockState::ALL[read_state],
                breached,
                remaining_seconds: remaining,
                paused_seconds: paused,
            };
            let view = super::super::clocks::view_as_read(&clock, &reading);
            let mut written = Vec::new();
            KeptClock::of(clock).expect("kept").write(&reading, &mut written);
            prop_assert_eq!(
                String::from_utf8(written).expect("UTF-8"),
                serde_json::to_string(&view).expect("view")
            );
        }
    }

    /// An issue shown again and again stays kept while others pass through.
    #[test]
    fn what_is_shown_often_stays() {
        let shapes = Shapes::default();
        shapes.keep(1, 1, 0, kept(&text(100)));
        for id in 2..2_000 {
            shapes.keep(id, 1, 0, kept(&text(20_000)));
            assert!(shapes.get(1, 1, 0).is_some(), "dropped after {id}");
        }
        assert!(
            shapes.get(2, 1, 0).is_none(),
            "the oldest of the others is dropped"
        );
        assert!(
            shapes.get(1, 2, 0).is_none(),
            "another version is not answered"
        );
        assert!(
            shapes.get(1, 1, 1).is_none(),
            "another level is not answered"
        );
    }
}

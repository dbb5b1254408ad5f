//! Report figures tallied per local day: what one day's issues add to each group of each
//! grouping, for every issue and for each unit's leaders, and how tallies add up into a report's
//! figures. The database keeps the tallies of *settled* days (no open issue, no live clock: their
//! figures no longer move with time), so that a report over years adds a few thousand tallies
//! instead of counting a million issues and ranking two million clocks; days that are not
//! settled, or that changed since they were tallied, are tallied afresh by the report itself from
//! the same facts with this same code.
//!
//! Long because: the tally, its merge, the visibility rule it keys by and the compact form of
//! the counted times are one definition, and are tested together against each other.

use super::enums::ReportGroup;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The scope key of tallies over every issue (what administrators and the TRC see).
pub const EVERY_ISSUE: &str = "*";

/// The groupings a report offers, in a fixed order.
pub const GROUPINGS: [ReportGroup; 5] = [
    ReportGroup::Unit,
    ReportGroup::Category,
    ReportGroup::Priority,
    ReportGroup::Channel,
    ReportGroup::District,
];

/// What a report needs of one issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueFact {
    pub id: i64,
    /// Filed at (µs, UTC).
    pub created_at: i64,
    pub assigned_unit: Option<String>,
    pub filing_unit: Option<String>,
    /// `normal` or `restricted`.
    pub sensitivity: String,
    pub category: String,
    pub priority: String,
    pub channel: String,
    pub district: Option<String>,
    pub status: String,
    pub is_open: bool,
    /// The user who filed it.
    pub filer: Option<i64>,
    /// Escalation steps fired on it (each clock's step once, whatever its recipients).
    pub steps: i64,
    /// Its figures as a hoax: only a hoax not merged into another and not rejected has them.
    pub hoax: Option<HoaxFact>,
}

/// What the hoax section needs of one hoax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoaxFact {
    pub verdict: Option<String>,
    pub kind: Option<String>,
    /// Seconds from its filing to its first public response, once there is one.
    pub responded: Option<i64>,
    /// Seconds from its filing to its first published clarification, once there is one.
    pub clarified: Option<i64>,
}

/// The hoax section's tally of a set of hoaxes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HoaxTally {
    pub filed: i64,
    /// Hoaxes per verdict (`none`: no verdict yet).
    pub verdicts: BTreeMap<String, i64>,
    /// Hoaxes per disinformation type (`none`: not named).
    pub kinds: BTreeMap<String, i64>,
    /// Seconds to the first public response of those responded, in no order.
    pub responded: Vec<i64>,
    /// Seconds to the first published clarification of those clarified, in no order.
    pub clarified: Vec<i64>,
}

impl HoaxTally {
    pub fn add_hoax(&mut self, h: &HoaxFact) {
        self.filed += 1;
        *self
            .verdicts
            .entry(h.verdict.clone().unwrap_or_else(|| "none".into()))
            .or_insert(0) += 1;
        *self
            .kinds
            .entry(h.kind.clone().unwrap_or_else(|| "none".into()))
            .or_insert(0) += 1;
        self.responded.extend(h.responded);
        self.clarified.extend(h.clarified);
    }

    pub fn add(&mut self, o: &HoaxTally) {
        self.filed += o.filed;
        for (k, n) in &o.verdicts {
            *self.verdicts.entry(k.clone()).or_insert(0) += n;
        }
        for (k, n) in &o.kinds {
            *self.kinds.entry(k.clone()).or_insert(0) += n;
        }
        self.responded.extend_from_slice(&o.responded);
        self.clarified.extend_from_slice(&o.clarified);
    }
}

impl IssueFact {
    fn key(&self, g: ReportGroup) -> Option<&str> {
        match g {
            ReportGroup::Unit => self.assigned_unit.as_deref(),
            ReportGroup::Category => Some(&self.category),
            ReportGroup::Priority => Some(&self.priority),
            ReportGroup::Channel => Some(&self.channel),
            ReportGroup::District => self.district.as_deref(),
        }
    }
}

/// What a report needs of one clock (any kind).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockFact {
    pub issue_id: i64,
    pub kind: String,
    pub state: String,
    /// Counted seconds, once stopped.
    pub elapsed: Option<i64>,
    pub due_at: i64,
    pub breached: bool,
}

impl ClockFact {
    fn live(&self) -> bool {
        self.state == "running" || self.state == "paused"
    }

    /// Past due and not stopped, as of `now`.
    fn breached_at(&self, now: i64) -> bool {
        self.live() && (self.breached || (self.state == "running" && self.due_at <= now))
    }
}

/// One clock kind's tally: clocks met, missed and counted, and the counted times of the stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClockTally {
    pub met: i64,
    pub missed: i64,
    /// Every clock of the kind but the cancelled.
    pub clocks: i64,
    /// Counted seconds of the stopped clocks (met or missed), in no particular order.
    pub times: Vec<i64>,
}

impl ClockTally {
    fn add_clock(&mut self, c: &ClockFact, now: i64) {
        if c.state == "cancelled" {
            return;
        }
        self.clocks += 1;
        if c.state == "met" {
            self.met += 1;
        } else if c.state == "missed" || c.breached || (c.state == "running" && c.due_at <= now) {
            self.missed += 1;
        }
        if c.state == "met" || c.state == "missed" {
            if let Some(e) = c.elapsed {
                self.times.push(e);
            }
        }
    }

    fn add(&mut self, o: &ClockTally) {
        self.met += o.met;
        self.missed += o.missed;
        self.clocks += o.clocks;
        self.times.extend_from_slice(&o.times);
    }

    /// The nearest-rank `p`th percentile (value at rank ⌈p·n/100⌉) of the counted times.
    pub fn percentile(&mut self, p_percent: usize) -> Option<i64> {
        if self.times.is_empty() {
            return None;
        }
        let rank = (p_percent * self.times.len()).div_ceil(100).max(1);
        let (_, v, _) = self.times.select_nth_unstable(rank - 1);
        Some(*v)
    }
}

/// One group's tally.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub filed: i64,
    /// Now resolved or closed.
    pub resolved: i64,
    /// Open, with a clock past due and not stopped.
    pub breached_now: i64,
    pub escalations: i64,
    pub response: ClockTally,
    pub resolution: ClockTally,
}

impl Tally {
    fn add_issue(&mut self, i: &IssueFact, clocks: &[&ClockFact], now: i64) {
        self.filed += 1;
        if i.status == "resolved" || i.status == "closed" {
            self.resolved += 1;
        }
        if i.is_open && clocks.iter().any(|c| c.breached_at(now)) {
            self.breached_now += 1;
        }
        self.escalations += i.steps;
        for c in clocks {
            match c.kind.as_str() {
                "response" => self.response.add_clock(c, now),
                "resolution" => self.resolution.add_clock(c, now),
                _ => {}
            }
        }
    }

    /// Adds another tally of the same group (or of another, for a total).
    pub fn add(&mut self, o: &Tally) {
        self.filed += o.filed;
        self.resolved += o.resolved;
        self.breached_now += o.breached_now;
        self.escalations += o.escalations;
        self.response.add(&o.response);
        self.resolution.add(&o.resolution);
    }
}

/// A tally of one day, scope, grouping and group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// [`EVERY_ISSUE`], or the unit whose leaders see these issues.
    pub scope: String,
    pub group_by: ReportGroup,
    pub key: Option<String>,
    pub tally: Tally,
}

/// Every unit's code and parent and every PIC's unit, and what follows from them for the scopes
/// of leaders and PICs.
pub struct Tree {
    /// For each unit, the units whose subtree holds it (itself first), following parents.
    above: HashMap<String, Vec<String>>,
    /// The PICs of each unit.
    pics_by_unit: HashMap<String, Vec<i64>>,
    /// Each PIC's unit.
    pic_unit: HashMap<i64, String>,
    /// Each PIC's scope key.
    pic_key: HashMap<i64, String>,
}

/// The scope key of what the PIC `id` sees.
pub fn pic_scope(id: i64) -> String {
    format!("pic:{id}")
}

impl Tree {
    /// `units`: every unit's code and parent; `pics`: every PIC's id and unit.
    pub fn new(units: &[(String, Option<String>)], pics: &[(i64, String)]) -> Tree {
        let parent: HashMap<&str, Option<&str>> = units
            .iter()
            .map(|(c, p)| (c.as_str(), p.as_deref()))
            .collect();
        let mut above = HashMap::new();
        for (code, _) in units {
            let mut chain = vec![code.clone()];
            let mut seen: HashSet<&str> = HashSet::from([code.as_str()]);
            let mut at = code.as_str();
            while let Some(Some(p)) = parent.get(at) {
                if !seen.insert(p) {
                    break;
                }
                chain.push((*p).to_owned());
                at = p;
            }
            above.insert(code.clone(), chain);
        }
        let mut pics_by_unit: HashMap<String, Vec<i64>> = HashMap::new();
        for (id, unit) in pics {
            pics_by_unit.entry(unit.clone()).or_default().push(*id);
        }
        Tree {
            above,
            pics_by_unit,
            pic_unit: pics.iter().map(|(id, u)| (*id, u.clone())).collect(),
            pic_key: pics.iter().map(|(id, _)| (*id, pic_scope(*id))).collect(),
        }
    }

    /// The unit of the PIC `id`, as the tallies know it.
    pub fn pic_unit(&self, id: i64) -> Option<&str> {
        self.pic_unit.get(&id).map(String::as_str)
    }

    /// The units whose subtree holds `unit` (a unit unknown to the tree: itself only).
    fn above<'a>(&'a self, unit: &'a str, out: &mut Vec<&'a str>) {
        match self.above.get(unit) {
            Some(chain) => out.extend(chain.iter().map(String::as_str)),
            None => out.push(unit),
        }
    }

    /// The units whose leaders see the issue, by the visibility rule: a normal issue by the
    /// subtree of its filing or its assigned unit, a restricted one by its assigned unit's only.
    pub fn leaders_of<'a>(&'a self, i: &'a IssueFact) -> Vec<&'a str> {
        let mut out = Vec::new();
        if let Some(a) = &i.assigned_unit {
            self.above(a, &mut out);
        }
        if i.sensitivity == "normal" {
            if let Some(f) = &i.filing_unit {
                self.above(f, &mut out);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The PICs who see the issue, by the visibility rule: a normal issue by the subtree of
    /// their unit holding its filing or assigned unit, a restricted one by their unit being
    /// its assigned unit; and its filer, either way.
    pub fn pics_of(&self, i: &IssueFact) -> Vec<i64> {
        let mut out = Vec::new();
        let units: Vec<&str> = if i.sensitivity == "normal" {
            self.leaders_of(i)
        } else {
            i.assigned_unit.as_deref().into_iter().collect()
        };
        for u in units {
            if let Some(ids) = self.pics_by_unit.get(u) {
                out.extend_from_slice(ids);
            }
        }
        if let Some(f) = i.filer {
            if self.pic_unit.contains_key(&f) {
                out.push(f);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// A digest of what tallies depend on besides the issues: the zone that makes local days, the
/// unit tree that makes leaders' scopes and the PICs' units that make theirs. Tallies made under
/// another basis are not used.
pub fn basis(zone: &str, units: &[(String, Option<String>)], pics: &[(i64, String)]) -> String {
    use sha2::{Digest, Sha256};
    let mut sorted: Vec<&(String, Option<String>)> = units.iter().collect();
    sorted.sort();
    let mut h = Sha256::new();
    h.update(zone.as_bytes());
    for (c, p) in sorted {
        h.update([0]);
        h.update(c.as_bytes());
        h.update([1]);
        h.update(p.as_deref().unwrap_or("").as_bytes());
    }
    let mut pics: Vec<&(i64, String)> = pics.iter().collect();
    pics.sort();
    for (id, unit) in pics {
        h.update([2]);
        h.update(id.to_le_bytes());
        h.update(unit.as_bytes());
    }
    hex::encode(&h.finalize()[..12])
}

/// Which scopes to tally: all of them (for storing), or one (a report's own).
#[derive(Debug, Clone, Copy)]
pub enum Scopes<'a> {
    All,
    Only(&'a str),
}

/// Whether a day's facts no longer move with time: no open issue and no live clock.
pub fn settled(issues: &[IssueFact], clocks: &[ClockFact]) -> bool {
    !issues.iter().any(|i| i.is_open) && !clocks.iter().any(ClockFact::live)
}

/// The tallies of a set of issues: per scope, grouping and group, and each scope's hoaxes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tallies {
    pub rows: Vec<Row>,
    /// Per scope (only scopes that see a hoax).
    pub hoaxes: BTreeMap<String, HoaxTally>,
}

/// The tallies of a set of issues (and their clocks), as of `now`, per scope, grouping and group.
/// With [`Scopes::Only`], the rows of that scope only.
pub fn tally(
    issues: &[IssueFact],
    clocks: &[ClockFact],
    tree: &Tree,
    scopes: Scopes,
    groupings: &[ReportGroup],
    now: i64,
) -> Tallies {
    let mut hoaxes: BTreeMap<String, HoaxTally> = BTreeMap::new();
    let mut by_issue: HashMap<i64, Vec<&ClockFact>> = HashMap::new();
    for c in clocks {
        by_issue.entry(c.issue_id).or_default().push(c);
    }
    let mut rows: BTreeMap<(&str, &'static str, Option<&str>), (ReportGroup, Tally)> =
        BTreeMap::new();
    for i in issues {
        let mut one = Tally::default();
        one.add_issue(i, by_issue.get(&i.id).map_or(&[], Vec::as_slice), now);
        let mut scopes_of: Vec<&str> = Vec::new();
        match scopes {
            Scopes::All => {
                scopes_of.push(EVERY_ISSUE);
                scopes_of.extend(tree.leaders_of(i));
                scopes_of.extend(
                    tree.pics_of(i)
                        .into_iter()
                        .filter_map(|id| tree.pic_key.get(&id).map(String::as_str)),
                );
            }
            Scopes::Only(s) if s == EVERY_ISSUE => scopes_of.push(s),
            Scopes::Only(s) => {
                let sees = match s.strip_prefix("pic:").and_then(|id| id.parse::<i64>().ok()) {
                    Some(id) => tree.pics_of(i).contains(&id),
                    None => tree.leaders_of(i).contains(&s),
                };
                if sees {
                    scopes_of.push(s);
                }
            }
        }
        for s in scopes_of {
            if let Some(h) = &i.hoax {
                hoaxes.entry(s.to_owned()).or_default().add_hoax(h);
            }
            for g in groupings {
                rows.entry((s, g.as_str(), i.key(*g)))
                    .or_insert_with(|| (*g, Tally::default()))
                    .1
                    .add(&one);
            }
        }
    }
    let rows = rows
        .into_iter()
        .map(|((s, _, k), (g, tally))| Row {
            scope: s.to_owned(),
            group_by: g,
            key: k.map(str::to_owned),
            tally,
        })
        .collect();
    Tallies { rows, hoaxes }
}

/// Counted times in a compact form: sorted, then each the difference from the one before as a
/// LEB128 varint of its zigzag form (a few bytes each instead of eight).
pub fn pack_times(times: &[i64]) -> Vec<u8> {
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    let mut out = Vec::with_capacity(sorted.len() * 3);
    let mut prev = 0i64;
    for t in sorted {
        let d = t.wrapping_sub(prev);
        prev = t;
        let mut z = ((d << 1) ^ (d >> 63)).cast_unsigned();
        loop {
            let byte = u8::try_from(z & 0x7f).unwrap_or(0);
            z >>= 7;
            if z == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
    }
    out
}

/// The times [`pack_times`] packed (sorted); `None` for bytes it cannot have written.
pub fn unpack_times(bytes: &[u8]) -> Option<Vec<i64>> {
    let mut out = Vec::new();
    let mut prev = 0i64;
    let mut z: u64 = 0;
    let mut shift = 0u32;
    for &b in bytes {
        if shift > 63 {
            return None;
        }
        z |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            let d = (z >> 1).cast_signed() ^ -((z & 1).cast_signed());
            prev = prev.wrapping_add(d);
            out.push(prev);
            z = 0;
            shift = 0;
        } else {
            shift += 7;
        }
    }
    (shift == 0).then_some(out)
}

#[cfg(test)]
mod tests;

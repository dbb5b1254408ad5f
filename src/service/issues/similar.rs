//! Similar issues: which issues look like a filing — the same post, alike words, the same place
//! — among those the caller may see, with a score and the reasons. Candidates come from the
//! store (the same canonical address; the issues that share the filing's rarer words, found
//! per word among the newest that carry it), the domain scores each, and only those at or above
//! its threshold are suggested. Filing is never blocked by a suggestion.

use super::file::NewIssue;
use super::{caller_of, list, viewer};
use crate::domain::similar::{self, Facts, Reason};
use crate::domain::Status;
use crate::error::AppResult;
use crate::service::Ctx;
use crate::store::issues::{IssueQuery, Order, Scope};
use crate::store::{self, Db};
use serde::Serialize;
use utoipa::ToSchema;

/// How many text candidates the store hands to the score.
const CANDIDATES: i64 = 30;
#[allow(
    clippy::cast_sign_loss,
    clippy::cast_possible_truncation,
    reason = "30"
)]
const CANDIDATES_USIZE: usize = CANDIDATES as usize;

/// An issue that looks like the filing.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Suggestion {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub status: Status,
    /// From 0 to 1.
    pub score: f64,
    /// What matched: `same_url`, `similar_text`, `same_place`, `same_category`.
    pub reasons: Vec<String>,
}

/// The answer of `POST /issues/similar`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Similar {
    /// Best first, at most 10.
    pub items: Vec<Suggestion>,
}

/// What is compared of a filing.
pub fn facts_of(ctx: &Ctx, input: &NewIssue) -> Facts {
    let loc = input.location.as_ref();
    Facts::new(
        &input.title,
        &input.description,
        &input.source_urls,
        (
            loc.and_then(|l| l.district.as_deref()),
            loc.and_then(|l| l.village.as_deref()),
        ),
        input.category.trim(),
        &ctx.sla.common_words,
    )
    .with_lapor_id(input.lapor_id.as_deref())
}

/// One issue found like a filing: its id, the suggestion, and whether the `seen_by` scope of
/// [`find`] may see it.
pub struct Found {
    pub id: i64,
    pub suggestion: Suggestion,
    pub seen: bool,
}

/// The suggestions for `facts` among what `scope` lets one see, best first, at most `limit`,
/// with each issue's id and whether `seen_by` may see it (read with them); `except` is left out.
pub fn find(
    conn: &mut Db,
    ctx: &Ctx,
    (scope, seen_by): (Scope, &Scope),
    facts: &Facts,
    except: Option<i64>,
    limit: usize,
) -> AppResult<Vec<Found>> {
    let urls: Vec<String> = facts.urls.iter().cloned().collect();
    let words = similar::lookup_words(facts);
    let (mut ids, hits) =
        store::issues::candidates(conn, &urls, &words, (CANDIDATES, similar::PER_WORD))?;
    if let Some(id) = &facts.lapor_id {
        ids.extend(store::issues::with_lapor_id(conn, id, CANDIDATES)?);
    }
    ids.extend(similar::rank_candidates(&hits, CANDIDATES_USIZE));
    ids.sort_unstable();
    ids.dedup();
    ids.retain(|id| Some(*id) != except);
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // Only what is compared, through the asker's scope: an issue one may not see is never read.
    let rows = compared(conn, scope, seen_by, ids)?;
    let mut known = Known::for_words(&ctx.sla.common_words);
    let mut found: Vec<Found> = rows
        .into_iter()
        .filter_map(|row| {
            let status = Status::parse(&row.status)?;
            // A merged issue points to the one that stayed, which is found itself.
            if status == Status::Duplicate {
                return None;
            }
            let other = known.facts_of(&row);
            let (score, reasons) = similar::score(facts, &other);
            (score >= similar::THRESHOLD).then(|| Found {
                id: row.id,
                seen: row.seen == Some(true),
                suggestion: Suggestion {
                    reference: row.ref_,
                    title: row.title,
                    status,
                    score: (score * 1000.0).round() / 1000.0,
                    reasons: reasons
                        .iter()
                        .map(|r| Reason::as_str(*r).to_owned())
                        .collect(),
                },
            })
        })
        .collect();
    drop(known);
    found.sort_by(|a, b| {
        b.suggestion
            .score
            .total_cmp(&a.suggestion.score)
            .then_with(|| b.id.cmp(&a.id))
    });
    found.truncate(limit);
    Ok(found)
}

/// What an issue's facts were made of (as read for the comparison).
#[derive(Debug, PartialEq, Eq)]
struct MadeOf {
    similar_text: String,
    source_urls: String,
    district: Option<String>,
    village: Option<String>,
    category: String,
    lapor_id: Option<String>,
}

impl MadeOf {
    fn is(&self, row: &store::issues::CompareRow) -> bool {
        self.similar_text == row.similar_text
            && self.source_urls == row.source_urls
            && self.district == row.district
            && self.village == row.village
            && self.category == row.category
            && self.lapor_id == row.lapor_id
    }
}

/// Compared issues' facts as lately made, by issue id, with what each was made of, under one
/// list of common words. A filing is compared with up to thirty issues, and a wave of filings
/// about one hoax with much the same thirty: their words and trigrams were made again for
/// every filing, about a tenth of its work in the service (docs/BENCHMARKS.md). An entry is
/// used only when everything it was made of is what the row holds now, so an edited issue (or
/// another database's issue of the same id, in one process's tests) is made again.
#[derive(Default)]
struct KnownFacts {
    common: Vec<String>,
    by_id: std::collections::HashMap<i64, (MadeOf, std::sync::Arc<Facts>)>,
}

/// At most this many issues' facts are kept (a few KB each, some MB in all); when full, all
/// are let go. A filing reads up to thirty per rarer word: a wave about one hoax stays well within.
const KNOWN_MAX: usize = 1024;

static KNOWN: std::sync::LazyLock<std::sync::Mutex<KnownFacts>> =
    std::sync::LazyLock::new(std::sync::Mutex::default);

/// The kept facts, locked for one comparison, under `common`.
struct Known(std::sync::MutexGuard<'static, KnownFacts>);

impl Known {
    fn for_words(common: &[String]) -> Known {
        let mut kept = KNOWN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if kept.common != common {
            kept.by_id.clear();
            kept.common = common.to_vec();
        }
        Known(kept)
    }

    /// `row`'s facts under the kept common words: kept, or made (and kept) from its stored
    /// words when made under today's rules, else from its title and description (re-indexing
    /// catches up those; not kept).
    fn facts_of(&mut self, row: &store::issues::CompareRow) -> std::sync::Arc<Facts> {
        let KnownFacts { common, by_id } = &mut *self.0;
        let urls = || super::json_list(&row.source_urls);
        let place = (row.district.as_deref(), row.village.as_deref());
        if row.similar_version != similar::TEXT_VERSION {
            let made = Facts::new(
                &row.title,
                &row.description,
                &urls(),
                place,
                &row.category,
                common,
            );
            return std::sync::Arc::new(made.with_lapor_id(row.lapor_id.as_deref()));
        }
        if let Some((made_of, facts)) = by_id.get(&row.id) {
            if made_of.is(row) {
                return facts.clone();
            }
        }
        let facts = std::sync::Arc::new(
            Facts::indexed(&row.similar_text, &urls(), place, &row.category, common)
                .with_lapor_id(row.lapor_id.as_deref()),
        );
        if by_id.len() >= KNOWN_MAX {
            by_id.clear();
        }
        let made_of = MadeOf {
            similar_text: row.similar_text.clone(),
            source_urls: row.source_urls.clone(),
            district: row.district.clone(),
            village: row.village.clone(),
            category: row.category.clone(),
            lapor_id: row.lapor_id.clone(),
        };
        by_id.insert(row.id, (made_of, facts.clone()));
        facts
    }
}

/// What is compared of the issues of `ids` that `scope` lets one see (in no order).
fn compared(
    conn: &mut Db,
    scope: Scope,
    seen_by: &Scope,
    ids: Vec<i64>,
) -> AppResult<Vec<store::issues::CompareRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = IssueQuery::new(scope, Order::Newest, i64::try_from(ids.len()).unwrap_or(0));
    q.ids = ids;
    Ok(store::issues::compare_rows(conn, &q, seen_by)?)
}

/// Which of `ids` `scope` lets one see (their ids only: the rows were read already).
pub fn visible_ids(conn: &mut Db, scope: Scope, ids: &[i64]) -> AppResult<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = IssueQuery::new(scope, Order::Newest, i64::try_from(ids.len()).unwrap_or(0));
    q.ids = ids.to_vec();
    Ok(store::issues::ids_of(conn, &q)?)
}

/// `POST /issues/similar`: the issues the bearer of a checked token may see that look like this
/// filing, best first, at most 10. The caller and the unit tree its scope is made of are read
/// in one statement (PostgreSQL) and checked before `input` (the body as parsed) is looked at.
pub fn similar(
    conn: &mut Db,
    ctx: &mut Ctx,
    user: crate::service::auth::TokenUser,
    input: AppResult<NewIssue>,
) -> AppResult<Vec<Suggestion>> {
    let v = super::viewer_for(conn, ctx, user)?;
    let input = input?;
    super::file::check(&input, None)?;
    let scope = (list::scope(&v), &Scope::All);
    let found = find(conn, ctx, scope, &facts_of(ctx, &input), None, 10)?;
    Ok(found.into_iter().map(|f| f.suggestion).collect())
}

/// Re-indexes up to `limit` issues whose comparable words were made under older rules (or
/// before similar issues existed): their words and their posts' canonical addresses, in one
/// transaction. Answers how many; 0 when none is left.
pub fn reindex(conn: &mut Db, limit: i64) -> AppResult<usize> {
    store::write_tx(conn, |conn| {
        let rows = store::issues::similar_outdated(conn, similar::TEXT_VERSION, limit)?;
        for (id, title, description, sources) in &rows {
            let text = similar::index_text(title, description);
            store::issues::set_similar_text(conn, *id, &text, similar::TEXT_VERSION)?;
            super::keep_found_by(conn, *id, sources, &text)?;
        }
        Ok(rows.len())
    })
}

/// Each issue of `items` with what filing found for it (`similar`, at most three, best first,
/// among the issues this person may see); none is left without the field.
pub fn attach(conn: &mut Db, ctx: &Ctx, items: &mut [super::Issue], ids: &[i64]) -> AppResult<()> {
    let mut kept = kept(conn, ctx, ids)?;
    for (issue, id) in items.iter_mut().zip(ids) {
        issue.similar = Some(kept.remove(id).unwrap_or_default());
    }
    Ok(())
}

/// What filing found for each of `ids` (the issues of a page of the triage board), among the
/// issues this person may see: at most three each, best first.
pub fn kept(
    conn: &mut Db,
    ctx: &Ctx,
    ids: &[i64],
) -> AppResult<std::collections::BTreeMap<i64, Vec<Suggestion>>> {
    let v = viewer(conn, &caller_of(ctx))?;
    // Who sees every issue (the TRC, whose board this is) reads only each issue's best three;
    // anyone else reads every pair and which of the others they may see.
    let (pairs, seen) = match list::scope(&v) {
        Scope::All => (store::issues::similar_best(conn, ids, 3)?, None),
        scope => {
            let pairs = store::issues::similar_of(conn, ids)?;
            let others: Vec<i64> = pairs.iter().map(|p| p.1).collect();
            let seen: std::collections::BTreeSet<i64> =
                visible_ids(conn, scope, &others)?.into_iter().collect();
            (pairs, Some(seen))
        }
    };
    let mut out = std::collections::BTreeMap::<i64, Vec<Suggestion>>::new();
    for (issue, other, reference, title, status, score, reasons) in pairs {
        let Some(status) = Status::parse(&status) else {
            continue;
        };
        if seen.as_ref().is_some_and(|s| !s.contains(&other)) || status == Status::Duplicate {
            continue;
        }
        let list = out.entry(issue).or_default();
        if list.len() < 3 {
            list.push(Suggestion {
                reference,
                title,
                status,
                score: f64::from(score) / 1000.0,
                reasons: serde_json::from_str(&reasons).unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, text: &str, village: Option<&str>) -> store::issues::CompareRow {
        store::issues::CompareRow {
            id,
            ref_: format!("ISU-{id}"),
            title: String::new(),
            description: String::new(),
            similar_text: text.to_owned(),
            similar_version: similar::TEXT_VERSION,
            source_urls: "[]".into(),
            district: Some("Pulau Laut Utara".into()),
            village: village.map(str::to_owned),
            category: "infrastruktur".into(),
            status: "new".into(),
            lapor_id: None,
            seen: Some(true),
        }
    }

    #[test]
    fn kept_facts_are_made_again_when_anything_they_were_made_of_changed() {
        let common = vec!["di".to_owned()];
        let fresh = |r: &store::issues::CompareRow| {
            Facts::indexed(
                &r.similar_text,
                &[],
                (r.district.as_deref(), r.village.as_deref()),
                &r.category,
                &common,
            )
        };
        // An id no other test uses: the kept facts are the process's.
        let id = -7_340_001;
        let first = row(id, "jalan rusak sungup\nwarga mengeluh", Some("Sungup"));
        let mut known = Known::for_words(&common);
        assert_eq!(*known.facts_of(&first), fresh(&first));
        assert_eq!(*known.facts_of(&first), fresh(&first));
        // The title edited, then the village: each time the facts of what the row holds now.
        let edited = row(id, "jembatan putus sungup\nwarga mengeluh", Some("Sungup"));
        assert_eq!(*known.facts_of(&edited), fresh(&edited));
        let moved = row(id, "jembatan putus sungup\nwarga mengeluh", Some("Stagen"));
        assert_eq!(*known.facts_of(&moved), fresh(&moved));
        assert_ne!(fresh(&moved), fresh(&edited));
        drop(known);
        // Another list of common words: nothing kept under the old one is used.
        let other = vec!["sungup".to_owned()];
        let mut known = Known::for_words(&other);
        let made = known.facts_of(&moved);
        assert!(!made.title.iter().any(|w| w == "sungup"), "{made:?}");
    }
}

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
    let mut found: Vec<Found> = compared(conn, scope, seen_by, ids)?
        .into_iter()
        .filter_map(|row| {
            let status = Status::parse(&row.status)?;
            // A merged issue points to the one that stayed, which is found itself.
            if status == Status::Duplicate {
                return None;
            }
            let urls = super::json_list(&row.source_urls);
            let place = (row.district.as_deref(), row.village.as_deref());
            let common = &ctx.sla.common_words;
            // Its stored words when made under today's rules (re-indexing catches up the rest).
            let other = (if row.similar_version == similar::TEXT_VERSION {
                Facts::indexed(&row.similar_text, &urls, place, &row.category, common)
            } else {
                Facts::new(
                    &row.title,
                    &row.description,
                    &urls,
                    place,
                    &row.category,
                    common,
                )
            })
            .with_lapor_id(row.lapor_id.as_deref());
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
    found.sort_by(|a, b| {
        b.suggestion
            .score
            .total_cmp(&a.suggestion.score)
            .then_with(|| b.id.cmp(&a.id))
    });
    found.truncate(limit);
    Ok(found)
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

//! What the public sees, without an account: published clarifications only, and of each only
//! what approval put in its snapshot — never an issue's row, never restricted data, personal
//! data or internal comments. The public pages, the Atom feed and the partner page read
//! through here.

use crate::domain::clarification::{self as rules, ClarificationState};
use crate::domain::{Category, DisinformationType, Verdict};
use crate::error::{AppError, AppResult};
use crate::store::clarifications::ClarificationRow;
use crate::store::{self, Db};

/// A published (or since withdrawn) clarification, as the public sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PublicClarification {
    pub public_id: String,
    pub title: String,
    pub claim: Option<String>,
    pub text: String,
    pub urls: Vec<String>,
    pub verdict: Option<Verdict>,
    pub disinformation_type: Option<DisinformationType>,
    pub category: Option<Category>,
    pub district: Option<String>,
    /// The unit that answered.
    pub unit: Option<String>,
    /// µs.
    pub published_at: i64,
    pub withdrawn_at: Option<i64>,
    pub withdraw_reason: Option<String>,
}

impl PublicClarification {
    /// The public shape of a published row's snapshot; a standalone text carries nothing
    /// else, whatever the row holds.
    pub fn from_row(r: &ClarificationRow) -> PublicClarification {
        let snapshot = !r.standalone;
        let keep = |v: &Option<String>| if snapshot { v.clone() } else { None };
        PublicClarification {
            public_id: r.public_id.clone().unwrap_or_default(),
            title: r.title.clone(),
            claim: r.claim.clone(),
            text: r.body.clone(),
            urls: serde_json::from_str(&r.urls).unwrap_or_default(),
            verdict: keep(&r.verdict).as_deref().and_then(Verdict::parse),
            disinformation_type: keep(&r.disinformation_type)
                .as_deref()
                .and_then(DisinformationType::parse),
            category: keep(&r.category).as_deref().and_then(Category::parse),
            district: keep(&r.district),
            unit: keep(&r.unit_name),
            published_at: r.published_at.unwrap_or(r.updated_at),
            withdrawn_at: r.withdrawn_at,
            withdraw_reason: r.withdraw_reason.clone(),
        }
    }

    pub fn withdrawn(&self) -> bool {
        self.withdrawn_at.is_some()
    }

    pub fn verdict_label(&self) -> Option<&'static str> {
        self.verdict.map(rules::verdict_label)
    }

    pub fn disinformation_label(&self) -> Option<&'static str> {
        self.disinformation_type.map(rules::disinformation_label)
    }

    pub fn category_label(&self) -> Option<&'static str> {
        self.category.map(rules::category_label)
    }
}

/// A page of published clarifications, newest first, and the cursor of the next.
#[derive(Debug, Clone)]
pub struct PublicPage {
    pub items: Vec<PublicClarification>,
    /// `published_at.id` of the last item, when there may be more.
    pub next: Option<String>,
}

/// Published clarifications matching every word of `q`, newest first, after `cursor`.
pub fn page(conn: &mut Db, q: &str, cursor: Option<&str>, limit: i64) -> AppResult<PublicPage> {
    let words: Vec<String> = q
        .split_whitespace()
        .take(8)
        .map(|w| w.chars().take(60).collect::<String>().to_lowercase())
        .collect();
    let before = cursor.and_then(|c| {
        let (a, b) = c.split_once('.')?;
        Some((a.parse().ok()?, b.parse().ok()?))
    });
    let rows = store::clarifications::published_page(conn, &words, before, limit + 1)?;
    let more = i64::try_from(rows.len()).unwrap_or(0) > limit;
    let rows: Vec<_> = rows
        .into_iter()
        .take(usize::try_from(limit).unwrap_or(0))
        .collect();
    let next = if more {
        rows.last()
            .map(|r| format!("{}.{}", r.published_at.unwrap_or(0), r.id))
    } else {
        None
    };
    Ok(PublicPage {
        items: rows
            .iter()
            .filter(|r| r.state == ClarificationState::Published.as_str())
            .map(PublicClarification::from_row)
            .collect(),
        next,
    })
}

/// One published (or withdrawn) clarification by its public id; anything else is 404.
pub fn get(conn: &mut Db, public_id: &str) -> AppResult<PublicClarification> {
    let missing = || AppError::NotFound(format!("tidak ada klarifikasi {public_id}"));
    if !rules::is_public_id(public_id) {
        return Err(missing());
    }
    store::clarifications::published(conn, public_id)?
        .map(|r| PublicClarification::from_row(&r))
        .ok_or_else(missing)
}

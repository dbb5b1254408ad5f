//! `PATCH /issues/{ref}`: JSON merge-patch of the fields each caller may change.
//!
//! Long because: each editable field is checked here as the patched document has it, with the
//! rules that tie fields together (a verdict only on a hoax, its disinformation type only with
//! a verdict that found false content), and one use case owns the whole edit.

use super::check::{check_evidence, check_location, EvidenceInput, LocationInput};
use super::{caller_of, json_list, load_visible, save, to_json_list, view, viewer, Check, Issue};
use crate::audit::{diff, Changes};
use crate::domain::issue::{self, editable};
use crate::domain::lifecycle::Standing;
use crate::domain::visibility::Viewer;
use crate::domain::{
    Category, Channel, DisinformationType, Priority, Sensitivity, Status, Verdict,
};
use crate::error::{AppError, AppResult};
use crate::service::Ctx;
use crate::store::issues::{IssueRow, Scope};
use crate::store::{self, write_tx, Db};
use serde_json::{json, Map, Value};

/// The fields the caller may change on this issue.
fn writable(v: &Viewer, row: &IssueRow) -> Vec<&'static str> {
    let who = Standing {
        role: v.role,
        pic_of_assigned_unit: v.is_pic_of(row.assigned_unit.as_deref()),
    };
    let status = Status::parse(&row.status).unwrap_or(Status::New);
    editable::fields(who, row.filed_by_id == v.user_id, status)
}

/// 404 when the issue is not visible, 403 when the caller may change none of its fields.
pub fn preflight(conn: &mut Db, ctx: &Ctx, reference: &str) -> AppResult<()> {
    let v = viewer(conn, &caller_of(ctx))?;
    let row = load_visible(conn, &v, reference, false)?;
    if writable(&v, &row).is_empty() {
        return Err(AppError::Forbidden("you may not change this issue".into()));
    }
    Ok(())
}

/// RFC 7396 JSON merge-patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

fn document(issue: &Issue) -> Value {
    json!({
        "title": issue.title,
        "description": issue.description,
        "channel": issue.channel,
        "source_urls": issue.source_urls,
        "evidence": issue.evidence,
        "location": issue.location,
        "priority": issue.priority,
        "category": issue.category,
        "sensitivity": issue.sensitivity,
        "tags": issue.tags,
        "verdict": issue.verdict,
        "disinformation_type": issue.disinformation_type,
        "clarification": issue.clarification,
        "lapor_id": issue.lapor_id,
    })
}

fn str_of<'a>(doc: &'a Map<String, Value>, k: &str) -> &'a str {
    doc.get(k).and_then(Value::as_str).unwrap_or("")
}

fn list_of(c: &mut Check, doc: &Map<String, Value>, k: &str) -> Vec<String> {
    match doc.get(k) {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                if let Some(s) = v.as_str() {
                    Some(s.to_owned())
                } else {
                    c.fail(&format!("{k}.{i}"), "must be text");
                    None
                }
            })
            .collect(),
        Some(_) => {
            c.fail(k, "must be a list");
            vec![]
        }
    }
}

fn typed<T: serde::de::DeserializeOwned + Default>(
    c: &mut Check,
    doc: &Map<String, Value>,
    k: &str,
) -> T {
    match doc.get(k) {
        None | Some(Value::Null) => T::default(),
        Some(v) => match serde_path_to_error::deserialize::<_, T>(v.clone()) {
            Ok(t) => t,
            Err(e) => {
                let path = e.path().to_string();
                c.fail(
                    &if path == "." {
                        k.to_owned()
                    } else {
                        format!("{k}.{path}")
                    },
                    e.inner()
                        .to_string()
                        .split(" at line")
                        .next()
                        .unwrap_or("invalid value")
                        .to_owned(),
                );
                T::default()
            }
        },
    }
}

/// An edit's fields, checked.
struct Edited {
    title: String,
    description: String,
    channel: Channel,
    sources: Vec<String>,
    shots: Vec<String>,
    archives: Vec<String>,
    reach: Option<i64>,
    posted_at: Option<i64>,
    location: super::Location,
    priority: Priority,
    category: Category,
    sensitivity: Sensitivity,
    tags: Vec<String>,
    verdict: Option<Verdict>,
    disinformation_type: Option<DisinformationType>,
    clarification: Option<super::Clarification>,
    lapor_id: Option<String>,
}

/// 403 for a field the caller may not change, 422 for one no edit can name.
fn check_fields(allowed: &[&str], patch: &Map<String, Value>) -> AppResult<()> {
    let mut c = Check::new();
    for k in patch.keys().filter(|k| !editable::known(k)) {
        c.fail(k, "is not a field that can be changed");
    }
    let forbidden: Vec<&str> = patch
        .keys()
        .map(String::as_str)
        .filter(|k| editable::known(k) && !allowed.contains(k))
        .collect();
    if !forbidden.is_empty() {
        return Err(AppError::Forbidden(format!(
            "you may not change {} (you may change: {})",
            forbidden.join(", "),
            allowed.join(", ")
        )));
    }
    c.done()
}

/// The verdict of the patched document: one only on a hoax (a verdict the patch itself sets on
/// another category is refused; one left over from a recategorisation is dropped).
fn verdict(
    c: &mut Check,
    doc: &Map<String, Value>,
    patch: &Map<String, Value>,
    category: Option<Category>,
) -> Option<Verdict> {
    let verdict = doc
        .get("verdict")
        .and_then(Value::as_str)
        .and_then(|s| c.enumerated("verdict", s, Verdict::parse, Verdict::names));
    if category.is_some_and(|k| !issue::verdict_allowed(k)) && verdict.is_some() {
        if patch.get("verdict").is_some_and(|v| !v.is_null()) {
            c.fail(
                "verdict",
                "a verdict is only for the category hoaks_disinformasi",
            );
        }
        return None;
    }
    verdict
}

/// The disinformation type of the patched document: only with a verdict that found false
/// content (a type the patch itself sets beside another verdict is refused; one left over when
/// the verdict moved to `benar` or `unverified` is dropped, and the history shows it).
fn disinformation_type(
    c: &mut Check,
    doc: &Map<String, Value>,
    patch: &Map<String, Value>,
    verdict: Option<Verdict>,
) -> Option<DisinformationType> {
    let kind = doc
        .get("disinformation_type")
        .and_then(Value::as_str)
        .and_then(|s| {
            c.enumerated(
                "disinformation_type",
                s,
                DisinformationType::parse,
                DisinformationType::names,
            )
        });
    if kind.is_some() && !issue::disinformation_allowed(verdict) {
        if patch
            .get("disinformation_type")
            .is_some_and(|v| !v.is_null())
        {
            c.fail(
                "disinformation_type",
                "only with a verdict of hoaks, misleading or satire",
            );
        }
        return None;
    }
    kind
}

fn clarification(c: &mut Check, doc: &Map<String, Value>) -> Option<super::Clarification> {
    let v = doc.get("clarification").filter(|v| !v.is_null())?;
    if let Ok(cl) = serde_json::from_value::<super::Clarification>(v.clone()) {
        let text = c.text("clarification.text", &cl.text, 5000, false);
        let urls = c.urls("clarification.urls", &cl.urls, 20);
        Some(super::Clarification { text, urls })
    } else {
        c.fail(
            "clarification",
            "must be {\"text\": \"...\", \"urls\": [\"https://...\"]}",
        );
        None
    }
}

fn enumerated<T>(
    c: &mut Check,
    doc: &Map<String, Value>,
    field: &str,
    parse: fn(&str) -> Option<T>,
    names: fn() -> Vec<String>,
) -> Option<T> {
    c.enumerated(field, str_of(doc, field), parse, names)
}

/// Checks the patched document: 422 naming every field that is wrong.
fn read(doc: &Map<String, Value>, patch: &Map<String, Value>) -> AppResult<Edited> {
    let mut c = Check::new();
    let title = c.text("title", str_of(doc, "title"), 200, true);
    let description = c.text("description", str_of(doc, "description"), 10_000, false);
    let channel = enumerated(&mut c, doc, "channel", Channel::parse, Channel::names);
    let sources = list_of(&mut c, doc, "source_urls");
    let sources = c.urls("source_urls", &sources, 20);
    if channel.is_some_and(issue::needs_sources) && sources.is_empty() {
        c.fail(
            "source_urls",
            "at least one link to the post is required for this channel",
        );
    }
    let evidence: EvidenceInput = typed(&mut c, doc, "evidence");
    let (shots, archives, reach, posted_at) = check_evidence(&mut c, &evidence);
    let location: LocationInput = typed(&mut c, doc, "location");
    let location = check_location(&mut c, &location);
    let priority = enumerated(&mut c, doc, "priority", Priority::parse, Priority::names);
    let category = enumerated(&mut c, doc, "category", Category::parse, Category::names);
    let sensitivity = enumerated(
        &mut c,
        doc,
        "sensitivity",
        Sensitivity::parse,
        Sensitivity::names,
    );
    let tags = list_of(&mut c, doc, "tags");
    let tags = c.tags("tags", &tags);
    let verdict = verdict(&mut c, doc, patch, category);
    let disinformation_type = disinformation_type(&mut c, doc, patch, verdict);
    let clarification = clarification(&mut c, doc);
    let lapor_id = c.opt_text("lapor_id", doc.get("lapor_id").and_then(Value::as_str), 64);
    c.done()?;
    let (Some(channel), Some(priority), Some(category), Some(sensitivity)) =
        (channel, priority, category, sensitivity)
    else {
        return Err(anyhow::anyhow!("validated fields missing").into());
    };
    Ok(Edited {
        title,
        description,
        channel,
        sources,
        shots,
        archives,
        reach,
        posted_at,
        location,
        priority,
        category,
        sensitivity,
        tags,
        verdict,
        disinformation_type,
        clarification,
        lapor_id,
    })
}

fn write(row: &mut IssueRow, e: Edited) {
    row.title = e.title;
    row.description = e.description;
    row.channel = e.channel.as_str().into();
    row.source_urls = to_json_list(&e.sources);
    row.screenshot_urls = to_json_list(&e.shots);
    row.archive_urls = to_json_list(&e.archives);
    row.reach = e.reach;
    row.posted_at = e.posted_at;
    row.district = e.location.district;
    row.village = e.location.village;
    row.lat = e.location.lat;
    row.lon = e.location.lon;
    row.priority = e.priority.as_str().into();
    row.category = e.category.as_str().into();
    row.sensitivity = e.sensitivity.as_str().into();
    row.tags = to_json_list(&e.tags);
    row.verdict = e.verdict.map(|v| v.as_str().to_owned());
    row.disinformation_type = e.disinformation_type.map(|v| v.as_str().to_owned());
    row.clarification_text = e.clarification.as_ref().map(|c| c.text.clone());
    row.clarification_urls = e.clarification.as_ref().map(|c| to_json_list(&c.urls));
    row.lapor_id = e.lapor_id;
}

/// Applies a merge-patch. `patch` is the parsed body (an object): who may change which field
/// (403), `If-Match` (412), the patched document's fields (422); then the row, its tags, its
/// clocks when priority or category moved, and the audit event of what changed.
pub fn patch(
    conn: &mut Db,
    ctx: &Ctx,
    reference: &str,
    if_match: Option<i64>,
    patch: &Map<String, Value>,
) -> AppResult<Issue> {
    write_tx(conn, |conn| {
        let v = viewer(conn, &caller_of(ctx))?;
        let mut row = load_visible(conn, &v, reference, true)?;
        let allowed = writable(&v, &row);
        if allowed.is_empty() {
            return Err(AppError::Forbidden("you may not change this issue".into()));
        }
        check_fields(&allowed, patch)?;
        super::check_version(&row, if_match)?;

        let current = view(conn, ctx, row.clone())?;
        let mut doc = document(&current);
        merge_patch(&mut doc, &Value::Object(patch.clone()));
        let edited = read(&doc.as_object().cloned().unwrap_or_default(), patch)?;
        let before = row.clone();
        write(&mut row, edited);

        let after = Issue::from_row(
            row.clone(),
            current.duplicates.clone(),
            current.clocks.clone(),
        )?;
        let mut changes = Changes::new();
        let (b, a) = (document(&current), document(&after));
        if let (Some(b), Some(a)) = (b.as_object(), a.as_object()) {
            for (k, av) in a {
                diff(
                    &mut changes,
                    k,
                    b.get(k).cloned().unwrap_or(Value::Null),
                    av.clone(),
                );
            }
        }
        if changes.is_empty() {
            return Ok(current);
        }
        if before.tags != row.tags {
            store::issues::set_tags(conn, row.id, &json_list(&row.tags))?;
        }
        if let Some(event) = before
            .state()
            .zip(row.state())
            .and_then(|(b, a)| issue::edit_clock_event(&b, &a))
        {
            super::clocks::apply(conn, ctx, &mut row, event, &mut changes)?;
        }
        let new_lapor_id = row.lapor_id.is_some() && before.lapor_id != row.lapor_id;
        save(conn, ctx, &mut row, "issue.updated", changes)?;
        // What it is found by, from the comparable words the save just wrote.
        if before.source_urls != row.source_urls
            || before.title != row.title
            || before.description != row.description
        {
            super::keep_found_by(conn, row.id, &row.source_urls, &row.similar_text)?;
        }
        let lapor_facts = new_lapor_id.then(|| {
            crate::domain::similar::Facts::default().with_lapor_id(row.lapor_id.as_deref())
        });
        let (id, mut issue) = (row.id, view(conn, ctx, row)?);
        // A LAPOR! id another issue already carries: the answer says which (as a filing's
        // would), so that the TRC merges rather than answering one complaint twice.
        if let Some(facts) = lapor_facts {
            let same = super::similar::find(
                conn,
                ctx,
                (super::list::scope(&v), &Scope::All),
                &facts,
                Some(id),
                3,
            )?;
            issue.similar = Some(same.into_iter().map(|f| f.suggestion).collect());
        }
        Ok(issue)
    })
}

//! `PATCH /issues/{ref}`: JSON merge-patch of the fields each caller may change.

use super::file::{check_evidence, check_location, needs_sources, EvidenceInput, LocationInput};
use super::{caller_of, load_visible, save, to_json_list, view, viewer, Check, Issue};
use crate::audit::{diff, Changes};
use crate::domain::visibility::Viewer;
use crate::domain::{Category, Channel, Priority, Role, Sensitivity, Status, Verdict};
use crate::error::{AppError, AppResult};
use crate::service::Ctx;
use crate::store::issues::IssueRow;
use crate::store::{self, write_tx, Db};
use serde_json::{json, Map, Value};

const TRC_FIELDS: &[&str] = &[
    "priority",
    "category",
    "sensitivity",
    "tags",
    "verdict",
    "clarification",
    "lapor_id",
];
const UNIT_PIC_FIELDS: &[&str] = &["verdict", "clarification", "tags"];
const FILER_FIELDS: &[&str] = &[
    "title",
    "description",
    "channel",
    "source_urls",
    "evidence",
    "location",
];

/// The fields the caller may change on this issue.
fn writable(v: &Viewer, row: &IssueRow) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    if matches!(v.role, Role::Trc | Role::Admin) {
        out.extend(TRC_FIELDS);
    }
    if v.is_pic_of(row.assigned_unit.as_deref()) {
        out.extend(UNIT_PIC_FIELDS);
    }
    if row.filed_by_id == v.user_id && row.status == Status::New.as_str() {
        out.extend(FILER_FIELDS);
    }
    out.sort_unstable();
    out.dedup();
    out
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

/// Applies a merge-patch. `patch` is the parsed body (an object).
#[allow(
    clippy::too_many_lines,
    reason = "still decides each field's edit rules itself: they move into a domain transition with #21 step 1"
)]
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
        let mut c = Check::new();
        let known: Vec<&str> = TRC_FIELDS.iter().chain(FILER_FIELDS).copied().collect();
        for k in patch.keys() {
            if !known.contains(&k.as_str()) {
                c.fail(k, "is not a field that can be changed");
            }
        }
        let forbidden: Vec<&str> = patch
            .keys()
            .map(String::as_str)
            .filter(|k| known.contains(k) && !allowed.contains(k))
            .collect();
        if !forbidden.is_empty() {
            return Err(AppError::Forbidden(format!(
                "you may not change {} (you may change: {})",
                forbidden.join(", "),
                allowed.join(", ")
            )));
        }
        super::check_version(&row, if_match)?;
        c.done()?;

        let current = view(conn, ctx, row.clone())?;
        let mut doc = document(&current);
        merge_patch(&mut doc, &Value::Object(patch.clone()));
        let doc = doc.as_object().cloned().unwrap_or_default();
        let mut c = Check::new();
        let title = c.text("title", str_of(&doc, "title"), 200, true);
        let description = c.text("description", str_of(&doc, "description"), 10_000, false);
        let channel = c.enumerated(
            "channel",
            str_of(&doc, "channel"),
            Channel::parse,
            Channel::names,
        );
        let sources = list_of(&mut c, &doc, "source_urls");
        let sources = c.urls("source_urls", &sources, 20);
        if channel.is_some_and(needs_sources) && sources.is_empty() {
            c.fail(
                "source_urls",
                "at least one link to the post is required for this channel",
            );
        }
        let evidence: EvidenceInput = typed(&mut c, &doc, "evidence");
        let (shots, archives, reach, posted_at) = check_evidence(&mut c, &evidence);
        let location: LocationInput = typed(&mut c, &doc, "location");
        let location = check_location(&mut c, &location);
        let priority = c.enumerated(
            "priority",
            str_of(&doc, "priority"),
            Priority::parse,
            Priority::names,
        );
        let category = c.enumerated(
            "category",
            str_of(&doc, "category"),
            Category::parse,
            Category::names,
        );
        let sensitivity = c.enumerated(
            "sensitivity",
            str_of(&doc, "sensitivity"),
            Sensitivity::parse,
            Sensitivity::names,
        );
        let tags = list_of(&mut c, &doc, "tags");
        let tags = c.tags("tags", &tags);
        let mut verdict = match doc.get("verdict").and_then(Value::as_str) {
            Some(s) => c.enumerated("verdict", s, Verdict::parse, Verdict::names),
            None => None,
        };
        if category.is_some_and(|k| k != Category::HoaksDisinformasi) && verdict.is_some() {
            if patch.get("verdict").is_some_and(|v| !v.is_null()) {
                c.fail(
                    "verdict",
                    "a verdict is only for the category hoaks_disinformasi",
                );
            } else {
                verdict = None;
            }
        }
        let clarification: Option<super::Clarification> = match doc.get("clarification") {
            None | Some(Value::Null) => None,
            Some(v) => {
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
        };
        let lapor_id = c.opt_text("lapor_id", doc.get("lapor_id").and_then(Value::as_str), 64);
        c.done()?;
        let (Some(channel), Some(priority), Some(category), Some(sensitivity)) =
            (channel, priority, category, sensitivity)
        else {
            return Err(anyhow::anyhow!("validated fields missing").into());
        };

        let before = row.clone();
        row.title = title;
        row.description = description;
        row.channel = channel.as_str().into();
        row.source_urls = to_json_list(&sources);
        row.screenshot_urls = to_json_list(&shots);
        row.archive_urls = to_json_list(&archives);
        row.reach = reach;
        row.posted_at = posted_at;
        row.district = location.district;
        row.village = location.village;
        row.lat = location.lat;
        row.lon = location.lon;
        row.priority = priority.as_str().into();
        row.category = category.as_str().into();
        row.sensitivity = sensitivity.as_str().into();
        row.tags = to_json_list(&tags);
        row.verdict = verdict.map(|v| v.as_str().to_owned());
        row.clarification_text = clarification.as_ref().map(|c| c.text.clone());
        row.clarification_urls = clarification.as_ref().map(|c| to_json_list(&c.urls));
        row.lapor_id = lapor_id;

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
            store::issues::set_tags(conn, row.id, &tags)?;
        }
        if before.priority != row.priority || before.category != row.category {
            super::clocks::apply(
                conn,
                ctx,
                &mut row,
                super::clocks::ClockEvent::Retarget,
                &mut changes,
            )?;
        }
        save(conn, ctx, &mut row, "issue.updated", changes)?;
        view(conn, ctx, row)
    })
}

//! Exporting every issue, page by page (never the whole table in memory), as CSV that imports
//! again or as JSON lines in the API's wire shape.

use super::issues::{views, Issue};
use super::reports::safe_cell;
use super::Ctx;
use crate::domain::Sensitivity;
use crate::error::AppResult;
use crate::store::{self, Db};
use std::io::Write;

/// The CSV columns, the same names `tanggap import` reads.
pub const COLUMNS: &[&str] = &[
    "id_eksternal",
    "tanggal",
    "judul",
    "uraian",
    "kategori",
    "kanal",
    "prioritas",
    "status",
    "unit",
    "kecamatan",
    "desa",
    "tautan",
    "id_lapor",
    "tag",
    "tanggal_tanggapan",
    "tanggal_selesai",
    "tanggapan",
    "kerahasiaan",
    "unit_pelapor",
];

fn local(ctx: &Ctx, rfc: &str) -> String {
    rfc.parse::<jiff::Timestamp>()
        .map(|t| {
            t.to_zoned(ctx.sla.zone.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

fn csv_row(ctx: &Ctx, conn: &mut Db, i: &Issue, id: i64) -> AppResult<Vec<String>> {
    let stopped = |kind: &str| {
        i.clocks
            .iter()
            .filter(|c| c.kind == kind && matches!(c.state.as_str(), "met" | "missed"))
            .filter_map(|c| c.stopped_at.as_deref().map(|s| local(ctx, s)))
            .next_back()
            .unwrap_or_default()
    };
    let response = store::issues::comments(conn, id, &["public_response"], None, 1000)?
        .last()
        .map(|c| c.body.clone())
        .unwrap_or_default();
    Ok(vec![
        i.reference.clone(),
        local(ctx, &i.created_at),
        safe_cell(&i.title),
        safe_cell(&i.description),
        i.category.as_str().into(),
        i.channel.as_str().into(),
        i.priority.as_str().into(),
        i.status.as_str().into(),
        safe_cell(i.assigned_unit.as_deref().unwrap_or("")),
        safe_cell(i.location.district.as_deref().unwrap_or("")),
        safe_cell(i.location.village.as_deref().unwrap_or("")),
        safe_cell(&i.source_urls.join(" ")),
        safe_cell(i.lapor_id.as_deref().unwrap_or("")),
        safe_cell(&i.tags.join(" ")),
        stopped("response"),
        stopped("resolution"),
        safe_cell(&response),
        match i.sensitivity {
            Sensitivity::Normal => "normal",
            Sensitivity::Restricted => "terbatas",
        }
        .into(),
        safe_cell(i.filing_unit.as_deref().unwrap_or("")),
    ])
}

/// Calls `f` for every issue filed in `[from, to)`, a thousand at a time.
fn each(
    conn: &mut Db,
    ctx: &Ctx,
    from: Option<i64>,
    to: Option<i64>,
    f: &mut dyn FnMut(&mut Db, i64, &Issue) -> AppResult<()>,
) -> AppResult<usize> {
    let mut after = 0;
    let mut n = 0;
    loop {
        let rows = store::issues::page_by_id(conn, after, from, to, 1000)?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let issues = views(conn, ctx, rows)?;
        for (id, issue) in ids.into_iter().zip(issues.iter()) {
            f(conn, id, issue)?;
            n += 1;
        }
    }
    Ok(n)
}

/// Writes every issue filed in `[from, to)` (µs; both optional) to `out`.
pub fn export(
    conn: &mut Db,
    ctx: &Ctx,
    csv: bool,
    from: Option<i64>,
    to: Option<i64>,
    out: &mut dyn Write,
) -> AppResult<usize> {
    let io = |e: std::io::Error| anyhow::anyhow!("cannot write the export: {e}");
    let n = if csv {
        let mut w = csv::Writer::from_writer(&mut *out);
        w.write_record(COLUMNS).map_err(|e| anyhow::anyhow!(e))?;
        let n = each(conn, ctx, from, to, &mut |conn, id, issue| {
            w.write_record(csv_row(ctx, conn, issue, id)?)
                .map_err(|e| anyhow::anyhow!(e))?;
            Ok(())
        })?;
        w.flush().map_err(io)?;
        n
    } else {
        each(conn, ctx, from, to, &mut |_, _, issue| {
            serde_json::to_writer(&mut *out, issue).map_err(|e| anyhow::anyhow!(e))?;
            out.write_all(b"\n").map_err(io)?;
            Ok(())
        })?
    };
    out.flush().map_err(io)?;
    Ok(n)
}

//! Drawing a catalog diff ([`crate::query::diff::Changes`]) for a terminal, for a pull-request
//! comment (markdown a reviewer reads in ten seconds) and for bots (JSON).

use std::io::{self, Write};

use serde_json::json;

use crate::query::diff::{compact, Changes};

/// `diff` and `stale` take the same formats as the other reports.
pub use super::query::ReportFormat;

/// What was compared, as shown in the summary line.
pub struct Sides<'a> {
    pub base: &'a str,
    pub head: &'a str,
}

/// `1 added, 2 changed, …` (only the non-zero counts), or `no changes`.
pub fn summary(c: &Changes) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut parts = Vec::new();
    let counts = [
        (c.added.len(), "added", "added"),
        (c.removed.len(), "removed", "removed"),
        (c.renamed.len(), "renamed", "renamed"),
        (c.changed.len(), "changed", "changed"),
        (c.ownership.len(), "changes owner", "change owner"),
        (
            c.dangling.len(),
            "new dangling reference",
            "new dangling references",
        ),
        (
            c.routing.len(),
            "routing test changes result",
            "routing tests change result",
        ),
    ];
    for (n, one, many) in counts {
        if n > 0 {
            parts.push(plural(n, one, many));
        }
    }
    if parts.is_empty() {
        "no changes to the catalog".into()
    } else {
        parts.join(", ")
    }
}

pub fn render(
    out: &mut dyn Write,
    c: &Changes,
    sides: &Sides<'_>,
    format: ReportFormat,
    color: bool,
) -> io::Result<()> {
    match format {
        ReportFormat::Human => human(out, c, sides, color),
        ReportFormat::Markdown => markdown(out, c, sides),
        ReportFormat::Json => {
            let doc = json!({
                "version": 1,
                "base": sides.base,
                "head": sides.head,
                "summary": {
                    "added": c.added.len(),
                    "removed": c.removed.len(),
                    "renamed": c.renamed.len(),
                    "changed": c.changed.len(),
                    "ownership": c.ownership.len(),
                    "dangling": c.dangling.len(),
                    "routing": c.routing.len(),
                },
                "added": c.added,
                "removed": c.removed,
                "renamed": c.renamed,
                "changed": c.changed,
                "ownership": c.ownership,
                "dangling": c.dangling,
                "routing": c.routing,
            });
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)
        }
    }
}

fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

fn owners(list: &[String]) -> String {
    if list.is_empty() {
        "(no owner)".into()
    } else {
        list.join(", ")
    }
}

fn human(out: &mut dyn Write, c: &Changes, sides: &Sides<'_>, color: bool) -> io::Result<()> {
    writeln!(out, "{} → {}: {}", sides.base, sides.head, summary(c))?;
    for e in &c.added {
        let tag = paint(color, "32", "added   ");
        writeln!(out, "{tag} {}  ({}:{})", e.entry, e.file, e.line)?;
    }
    for e in &c.removed {
        let tag = paint(color, "31", "removed ");
        writeln!(out, "{tag} {}  (was {}:{})", e.entry, e.file, e.line)?;
    }
    for r in &c.renamed {
        writeln!(out, "renamed  {} → {}", r.from, r.to)?;
    }
    for ch in &c.changed {
        for f in &ch.fields {
            writeln!(
                out,
                "changed  {}  {}: {} → {}",
                ch.entry,
                f.field,
                compact(f.old.as_ref()),
                compact(f.new.as_ref())
            )?;
        }
    }
    for m in &c.ownership {
        let why = m
            .via
            .as_ref()
            .map(|v| format!("  (inherited via {v})"))
            .unwrap_or_default();
        let tag = paint(color, "33", "owner   ");
        writeln!(
            out,
            "{tag} {}  {} → {}{why}",
            m.entry,
            owners(&m.old),
            owners(&m.new)
        )?;
    }
    for d in &c.dangling {
        let tag = paint(color, "31", "dangling");
        writeln!(out, "{tag} {}:{}  {}", d.file, d.line, d.message)?;
    }
    for r in &c.routing {
        let tag = paint(color, "35", "routing ");
        writeln!(
            out,
            "{tag} {}:{}  {}: {} → {}",
            r.file, r.line, r.case, r.base, r.head
        )?;
    }
    Ok(())
}

/// Text for a markdown table cell: no pipes or newlines, code spans for values.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn code(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("`{}`", cell(text).replace('`', "'"))
    }
}

/// Rows per markdown table: a pull-request comment stays readable on a huge change.
const MAX_ROWS: usize = 50;

fn table(out: &mut dyn Write, title: &str, header: &str, rows: Vec<String>) -> io::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let columns = header.matches('|').count().saturating_sub(1);
    writeln!(out, "\n{title}\n")?;
    writeln!(out, "{header}\n|{}", "---|".repeat(columns))?;
    for row in rows.iter().take(MAX_ROWS) {
        writeln!(out, "{row}")?;
    }
    if rows.len() > MAX_ROWS {
        writeln!(
            out,
            "\n…and {} more; run `lore diff` locally for all of them.",
            rows.len() - MAX_ROWS
        )?;
    }
    Ok(())
}

fn markdown(out: &mut dyn Write, c: &Changes, sides: &Sides<'_>) -> io::Result<()> {
    writeln!(
        out,
        "**lore diff** {} → {}: {}",
        code(sides.base),
        code(sides.head),
        summary(c)
    )?;
    let dangling = c
        .dangling
        .iter()
        .map(|d| {
            format!(
                "| {} | {} |",
                code(&format!("{}:{}", d.file, d.line)),
                cell(&d.message)
            )
        })
        .collect();
    table(
        out,
        ":warning: **References that now dangle**",
        "| Where | Problem |",
        dangling,
    )?;
    let routing = c
        .routing
        .iter()
        .map(|r| {
            format!(
                "| {} | {} | {} | {} |",
                cell(&r.case),
                code(&format!("{}:{}", r.file, r.line)),
                cell(&r.base),
                cell(&r.head)
            )
        })
        .collect();
    table(
        out,
        ":rotating_light: **Routing tests that change result**",
        "| Case | Where | Before | After |",
        routing,
    )?;
    let moves = c
        .ownership
        .iter()
        .map(|m| {
            let why = match &m.via {
                Some(v) => format!("inherited via {}", code(v)),
                None => "its own owner".into(),
            };
            format!(
                "| {} | {} | {} | {why} |",
                code(&m.entry),
                cell(&owners(&m.old)),
                cell(&owners(&m.new))
            )
        })
        .collect();
    table(
        out,
        "**Ownership moved**",
        "| Entry | From | To | Why |",
        moves,
    )?;
    let entries = c
        .added
        .iter()
        .map(|e| format!("| added | {} | {} |", code(&e.entry), code(&e.file)))
        .chain(
            c.removed
                .iter()
                .map(|e| format!("| removed | {} | {} |", code(&e.entry), code(&e.file))),
        )
        .chain(
            c.renamed
                .iter()
                .map(|r| format!("| renamed | {} → {} | |", code(&r.from), code(&r.to))),
        )
        .collect();
    table(out, "**Entries**", "| | Entry | File |", entries)?;
    let fields = c
        .changed
        .iter()
        .flat_map(|ch| {
            ch.fields.iter().map(move |f| {
                format!(
                    "| {} | {} | {} | {} |",
                    code(&ch.entry),
                    cell(&f.field),
                    code(&compact(f.old.as_ref())),
                    code(&compact(f.new.as_ref()))
                )
            })
        })
        .collect();
    table(
        out,
        "**Fields changed**",
        "| Entry | Field | Old | New |",
        fields,
    )?;
    Ok(())
}

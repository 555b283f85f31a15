//! Drawing a catalog diff ([`crate::query::diff::Changes`]) for a terminal, for a pull-request
//! comment (markdown a reviewer reads in ten seconds) and for bots (JSON).
//!
//! Field values, ids, paths and routing-test names come from the repository: they are
//! escaped for the terminal ([`escape`]) or for markdown ([`markdown`], [`markdown_code`]).

use std::io::{self, Write};

use serde_json::json;

use crate::query::diff::{compact, Changes};
use crate::term::{escape, markdown, markdown_code, Style};

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
    style: Style,
) -> io::Result<()> {
    match format {
        ReportFormat::Human => human(out, c, sides, style),
        ReportFormat::Markdown => comment(out, c, sides),
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

fn owners(list: &[String]) -> String {
    if list.is_empty() {
        "(no owner)".into()
    } else {
        list.join(", ")
    }
}

fn human(out: &mut dyn Write, c: &Changes, sides: &Sides<'_>, st: Style) -> io::Result<()> {
    let e = |s: &str| escape(s).into_owned();
    writeln!(out, "{} → {}: {}", e(sides.base), e(sides.head), summary(c))?;
    for a in &c.added {
        let tag = st.green("added   ");
        writeln!(out, "{tag} {}  ({}:{})", e(&a.entry), e(&a.file), a.line)?;
    }
    for r in &c.removed {
        let tag = st.red("removed ");
        writeln!(
            out,
            "{tag} {}  (was {}:{})",
            e(&r.entry),
            e(&r.file),
            r.line
        )?;
    }
    for r in &c.renamed {
        writeln!(out, "renamed  {} → {}", e(&r.from), e(&r.to))?;
    }
    for ch in &c.changed {
        for f in &ch.fields {
            writeln!(
                out,
                "changed  {}  {}: {} → {}",
                e(&ch.entry),
                e(&f.field),
                e(&compact(f.old.as_ref())),
                e(&compact(f.new.as_ref()))
            )?;
        }
    }
    for m in &c.ownership {
        let why = m
            .via
            .as_ref()
            .map(|v| format!("  (inherited via {})", e(v)))
            .unwrap_or_default();
        let tag = st.yellow("owner   ");
        writeln!(
            out,
            "{tag} {}  {} → {}{why}",
            e(&m.entry),
            e(&owners(&m.old)),
            e(&owners(&m.new))
        )?;
    }
    for d in &c.dangling {
        let tag = st.red("dangling");
        writeln!(out, "{tag} {}:{}  {}", e(&d.file), d.line, e(&d.message))?;
    }
    for r in &c.routing {
        let tag = st.magenta("routing ");
        writeln!(
            out,
            "{tag} {}:{}  {}: {} → {}",
            e(&r.file),
            r.line,
            e(&r.case),
            e(&r.base),
            e(&r.head)
        )?;
    }
    Ok(())
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

/// The pull-request comment.
fn comment(out: &mut dyn Write, c: &Changes, sides: &Sides<'_>) -> io::Result<()> {
    writeln!(
        out,
        "**lore diff** {} → {}: {}",
        markdown_code(sides.base),
        markdown_code(sides.head),
        summary(c)
    )?;
    let dangling = c
        .dangling
        .iter()
        .map(|d| {
            format!(
                "| {} | {} |",
                markdown_code(&format!("{}:{}", d.file, d.line)),
                markdown(&d.message)
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
                markdown(&r.case),
                markdown_code(&format!("{}:{}", r.file, r.line)),
                markdown(&r.base),
                markdown(&r.head)
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
                Some(v) => format!("inherited via {}", markdown_code(v)),
                None => "its own owner".into(),
            };
            format!(
                "| {} | {} | {} | {why} |",
                markdown_code(&m.entry),
                markdown(&owners(&m.old)),
                markdown(&owners(&m.new))
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
        .map(|e| {
            format!(
                "| added | {} | {} |",
                markdown_code(&e.entry),
                markdown_code(&e.file)
            )
        })
        .chain(c.removed.iter().map(|e| {
            format!(
                "| removed | {} | {} |",
                markdown_code(&e.entry),
                markdown_code(&e.file)
            )
        }))
        .chain(c.renamed.iter().map(|r| {
            format!(
                "| renamed | {} → {} | |",
                markdown_code(&r.from),
                markdown_code(&r.to)
            )
        }))
        .collect();
    table(out, "**Entries**", "| | Entry | File |", entries)?;
    let fields = c
        .changed
        .iter()
        .flat_map(|ch| {
            ch.fields.iter().map(move |f| {
                format!(
                    "| {} | {} | {} | {} |",
                    markdown_code(&ch.entry),
                    markdown(&f.field),
                    markdown_code(&compact(f.old.as_ref())),
                    markdown_code(&compact(f.new.as_ref()))
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

//! Drawing a catalog diff ([`crate::query::diff::Changes`]) for a terminal, for a pull-request
//! comment (markdown a reviewer reads in ten seconds) and for bots (JSON).
//!
//! Field values, ids, paths and routing-test names come from the repository: they are
//! escaped for the terminal ([`escape`]) or for markdown ([`markdown`], [`markdown_code`]).

use std::io::{self, Write};

use serde::Serialize;

use crate::query::diff::{
    compact, Changed, Changes, Dangling, EntryRef, OwnerMove, Renamed, RoutingChange,
};
use crate::term::{escape, markdown, markdown_code, Style};

/// `diff` and `stale` take the same formats as the other reports.
use crate::cli::ReportFormat;

/// What was compared, as shown in the summary line.
pub(crate) struct Sides<'a> {
    pub(crate) base: &'a str,
    pub(crate) head: &'a str,
}

/// `1 added, 2 changed, …` (only the non-zero counts), or `no changes`.
pub(crate) fn summary(c: &Changes) -> String {
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

/// `lore diff --format json`: each kind of change in a list, with the lists' lengths in
/// `summary`. Entries are sorted by `Type:id` (renames by the old one), dangling
/// references by file and line, routing cases by test file and line.
#[derive(Debug, Serialize)]
pub(crate) struct DiffDoc<'a> {
    /// Always 1.
    pub(crate) version: u32,
    /// The revision compared from, as given (`main`).
    pub(crate) base: &'a str,
    /// The revision compared to, as given, or `working tree`.
    pub(crate) head: &'a str,
    /// How many of each kind of change.
    pub(crate) summary: DiffSummary,
    /// Entries in the head that are not in the base.
    pub(crate) added: &'a [EntryRef],
    /// Entries in the base that are not in the head (nor renamed).
    pub(crate) removed: &'a [EntryRef],
    /// Ids that moved to the aliases of a new id.
    pub(crate) renamed: &'a [Renamed],
    /// Entries on both sides whose fields differ, with each field's old and new value.
    pub(crate) changed: &'a [Changed],
    /// Entries whose owners differ, also when the owner is inherited.
    pub(crate) ownership: &'a [OwnerMove],
    /// References that dangle in the head and did not in the base.
    pub(crate) dangling: &'a [Dangling],
    /// Routing test cases whose result differs between base and head.
    pub(crate) routing: &'a [RoutingChange],
}

/// The length of each list of a [`DiffDoc`].
#[derive(Debug, Serialize)]
pub(crate) struct DiffSummary {
    /// Entries added.
    pub(crate) added: usize,
    /// Entries removed.
    pub(crate) removed: usize,
    /// Entries renamed.
    pub(crate) renamed: usize,
    /// Entries with changed fields.
    pub(crate) changed: usize,
    /// Entries whose owners changed.
    pub(crate) ownership: usize,
    /// New dangling references.
    pub(crate) dangling: usize,
    /// Routing test cases that change result.
    pub(crate) routing: usize,
}

/// The diff as a [`DiffDoc`].
pub(crate) fn diff_doc<'a>(c: &'a Changes, sides: &Sides<'a>) -> DiffDoc<'a> {
    DiffDoc {
        version: 1,
        base: sides.base,
        head: sides.head,
        summary: DiffSummary {
            added: c.added.len(),
            removed: c.removed.len(),
            renamed: c.renamed.len(),
            changed: c.changed.len(),
            ownership: c.ownership.len(),
            dangling: c.dangling.len(),
            routing: c.routing.len(),
        },
        added: &c.added,
        removed: &c.removed,
        renamed: &c.renamed,
        changed: &c.changed,
        ownership: &c.ownership,
        dangling: &c.dangling,
        routing: &c.routing,
    }
}

pub(crate) fn render(
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
            let doc = diff_doc(c, sides);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::diff::FieldChange;
    use crate::render::json_keys;

    #[test]
    fn json_is_one_diff_document_with_counts_and_rows() {
        let entry = EntryRef {
            entry: "Feature:search".into(),
            name: "Search".into(),
            file: "catalog/search.yaml".into(),
            line: 1,
        };
        let changes = Changes {
            added: vec![entry.clone()],
            removed: vec![entry],
            renamed: vec![Renamed {
                from: "Feature:checkout".into(),
                to: "Feature:pay".into(),
            }],
            changed: vec![Changed {
                entry: "Product:shop".into(),
                fields: vec![FieldChange {
                    field: "tier".into(),
                    old: Some(1.into()),
                    new: None,
                }],
            }],
            ownership: vec![OwnerMove {
                entry: "Feature:pay".into(),
                old: vec!["Team:web".into()],
                new: vec!["Team:payments".into()],
                via: Some("Product:shop".into()),
            }],
            dangling: vec![Dangling {
                entry: Some("Service:old".into()),
                file: "catalog/old.yaml".into(),
                line: 3,
                message: "no entry has the id `legacy`".into(),
            }],
            routing: vec![RoutingChange {
                file: "routing/shop.yaml".into(),
                line: 2,
                case: "shop is down".into(),
                base: "passed".into(),
                head: "failed (owners: -Team:web +Team:payments)".into(),
            }],
        };
        let sides = Sides {
            base: "main",
            head: "working tree",
        };
        let doc = diff_doc(&changes, &sides);
        assert_eq!(
            json_keys(&doc),
            [
                "version",
                "base",
                "head",
                "summary",
                "added",
                "removed",
                "renamed",
                "changed",
                "ownership",
                "dangling",
                "routing"
            ]
        );
        let keys = [
            "added",
            "removed",
            "renamed",
            "changed",
            "ownership",
            "dangling",
            "routing",
        ];
        assert_eq!(json_keys(&doc.summary), keys);
        assert_eq!(json_keys(&doc.added[0]), ["entry", "name", "file", "line"]);
        assert_eq!(json_keys(&doc.renamed[0]), ["from", "to"]);
        assert_eq!(json_keys(&doc.changed[0]), ["entry", "fields"]);
        assert_eq!(
            json_keys(&doc.changed[0].fields[0]),
            ["field", "old", "new"]
        );
        assert_eq!(json_keys(&doc.ownership[0]), ["entry", "old", "new", "via"]);
        assert_eq!(
            json_keys(&doc.dangling[0]),
            ["entry", "file", "line", "message"]
        );
        assert_eq!(
            json_keys(&doc.routing[0]),
            ["file", "line", "case", "base", "head"]
        );
        let v = serde_json::to_value(&doc).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["head"], "working tree");
        assert!(keys.iter().all(|k| v["summary"][k] == 1), "{v}");
        assert_eq!(v["changed"][0]["fields"][0]["new"], serde_json::Value::Null);
    }
}

//! Drawing `stale` reports: per owner, how to reach them and what they have left alone.
//! Ids, paths, authors and commit summaries are escaped for the terminal or markdown.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::Value;

use super::changes::ReportFormat;
use crate::graph::{Catalog, EntryId};
use crate::history::date;
use crate::query::stale::{summary, Report};
use crate::term::{escape, markdown, markdown_code};

const TRUNCATED: &str = "history is truncated (shallow clone): ages older than the clone's history are unknown; run `git fetch --unshallow` for all of them";

fn days(n: i64) -> String {
    format!("{n} day{}", if n == 1 { "" } else { "s" })
}

fn headline(c: &Catalog, r: &Report) -> String {
    let owners = r.groups.iter().filter(|g| g.owner.is_some()).count();
    format!(
        "{} of {} entries untouched for more than {} (as of {}), {} owner{}",
        r.stale,
        c.len(),
        days(r.max_age_days),
        date(r.now),
        owners,
        if owners == 1 { "" } else { "s" }
    )
}

/// The owner and how to reach them, unescaped.
fn reach(c: &Catalog, owner: Option<EntryId>) -> String {
    let Some(o) = owner else {
        return "(no owner)".into();
    };
    let fields: Vec<String> = summary(c, o)
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}: {s}"),
            v => format!("{k}: {v}"),
        })
        .collect();
    if fields.is_empty() {
        c.key(o)
    } else {
        format!("{} ({})", c.key(o), fields.join(", "))
    }
}

/// `stale --format json`: `{"version":1, "max_age_days", "now":"YYYY-MM-DD", "entries":N,
/// "stale":N, "truncated":bool, "unknown":["Type:id"], "owners":[{"owner":"Type:id"|null,
/// "name", "summary":{…}, "entries":[{"entry", "name", "file", "line", "age_days",
/// "last_change":{"commit", "author", "email", "date", "summary"}}]}]}`.
#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    max_age_days: i64,
    now: String,
    entries: usize,
    stale: usize,
    truncated: bool,
    unknown: Vec<String>,
    owners: Vec<JsonGroup<'a>>,
}

#[derive(Serialize)]
struct JsonGroup<'a> {
    owner: Option<String>,
    name: Option<&'a str>,
    summary: serde_json::Map<String, Value>,
    entries: Vec<JsonEntry<'a>>,
}

#[derive(Serialize)]
struct JsonEntry<'a> {
    entry: String,
    name: &'a str,
    file: String,
    line: usize,
    age_days: i64,
    last_change: JsonChange<'a>,
}

#[derive(Serialize)]
struct JsonChange<'a> {
    commit: &'a str,
    author: &'a str,
    email: &'a str,
    date: String,
    summary: &'a str,
}

pub fn render(
    out: &mut dyn Write,
    c: &Catalog,
    r: &Report,
    format: ReportFormat,
) -> io::Result<()> {
    match format {
        ReportFormat::Human => {
            writeln!(out, "{}", headline(c, r))?;
            if r.truncated {
                writeln!(
                    out,
                    "note: {TRUNCATED}; {} entries of unknown age",
                    r.unknown.len()
                )?;
            }
            for g in &r.groups {
                writeln!(out, "\n{}", escape(&reach(c, g.owner)))?;
                for s in &g.entries {
                    let ch = &s.last_change;
                    let short: String = ch.commit.chars().take(7).collect();
                    writeln!(
                        out,
                        "  {}  {}  {}:{}  {} {} {}",
                        escape(&c.key(s.entry)),
                        days(s.age_days),
                        escape(&c.sources.display_path(c.entry(s.entry).file)),
                        s.line,
                        ch.date(),
                        escape(&ch.author),
                        escape(&short),
                    )?;
                }
            }
            Ok(())
        }
        ReportFormat::Markdown => {
            writeln!(out, "**lore stale**: {}", headline(c, r))?;
            if r.truncated {
                writeln!(
                    out,
                    "\n> {TRUNCATED}; {} entries of unknown age",
                    r.unknown.len()
                )?;
            }
            for g in &r.groups {
                writeln!(out, "\n**{}**\n", markdown(&reach(c, g.owner)))?;
                writeln!(
                    out,
                    "| Entry | Age | Last change | File |\n|---|---|---|---|"
                )?;
                for s in &g.entries {
                    let ch = &s.last_change;
                    writeln!(
                        out,
                        "| {} | {} | {} {}: {} | {} |",
                        markdown_code(&c.key(s.entry)),
                        days(s.age_days),
                        ch.date(),
                        markdown(&ch.author),
                        markdown(&ch.summary),
                        markdown_code(&format!(
                            "{}:{}",
                            c.sources.display_path(c.entry(s.entry).file),
                            s.line
                        )),
                    )?;
                }
            }
            Ok(())
        }
        ReportFormat::Json => {
            let doc = JsonReport {
                version: 1,
                max_age_days: r.max_age_days,
                now: date(r.now),
                entries: r.checked,
                stale: r.stale,
                truncated: r.truncated,
                unknown: r.unknown.iter().map(|&e| c.key(e)).collect(),
                owners: r
                    .groups
                    .iter()
                    .map(|g| JsonGroup {
                        owner: g.owner.map(|o| c.key(o)),
                        name: g.owner.map(|o| c.entry(o).name()),
                        summary: g.owner.map(|o| summary(c, o)).unwrap_or_default(),
                        entries: g
                            .entries
                            .iter()
                            .map(|s| JsonEntry {
                                entry: c.key(s.entry),
                                name: c.entry(s.entry).name(),
                                file: c.sources.display_path(c.entry(s.entry).file),
                                line: s.line,
                                age_days: s.age_days,
                                last_change: JsonChange {
                                    commit: &s.last_change.commit,
                                    author: &s.last_change.author,
                                    email: &s.last_change.email,
                                    date: s.last_change.date(),
                                    summary: &s.last_change.summary,
                                },
                            })
                            .collect(),
                    })
                    .collect(),
            };
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)
        }
    }
}

//! Drawing `stale` reports: per owner, how to reach them and what they have left alone.
//! Ids, paths, authors and commit summaries are escaped for the terminal or markdown.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::Value;

use super::query::summary;
use crate::cli::ReportFormat;
use crate::date;
use crate::graph::{Catalog, EntryId};
use crate::query::stale::Report;
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
        date::day(r.now),
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

/// `lore stale --format json`: the stale entries grouped by owner.
#[derive(Debug, Serialize)]
pub(crate) struct StaleDoc<'a> {
    /// Always 1.
    pub(crate) version: u32,
    /// The maximum age in days: entries untouched for longer are stale.
    pub(crate) max_age_days: i64,
    /// The day ages are counted to, `YYYY-MM-DD` (UTC; `LORE_NOW` when set).
    pub(crate) now: String,
    /// Entries looked at: the whole catalog.
    pub(crate) entries: usize,
    /// Distinct stale entries (an entry with two owners is in two groups, counted once).
    pub(crate) stale: usize,
    /// `true` when the clone's history is cut short (shallow clone): ages older than it
    /// are unknown, and those entries are in `unknown`.
    pub(crate) truncated: bool,
    /// `Type:id` of the entries whose age the history cannot tell, sorted.
    pub(crate) unknown: Vec<String>,
    /// One group per owner, sorted by the owner's `Type:id`; entries nobody owns last.
    pub(crate) owners: Vec<StaleGroupJson<'a>>,
}

/// The stale entries of one owner.
#[derive(Debug, Serialize)]
pub(crate) struct StaleGroupJson<'a> {
    /// The owner, `Type:id`; `null` for the entries nobody owns.
    pub(crate) owner: Option<String>,
    /// The owner's display name; `null` with no owner.
    pub(crate) name: Option<&'a str>,
    /// The owner type's `summary` attributes the owner has: how to reach them (empty with
    /// no owner).
    pub(crate) summary: std::collections::BTreeMap<String, Value>,
    /// Oldest first, then by `Type:id`.
    pub(crate) entries: Vec<StaleEntryJson<'a>>,
}

/// One stale entry.
#[derive(Debug, Serialize)]
pub(crate) struct StaleEntryJson<'a> {
    /// `Type:id`.
    pub(crate) entry: String,
    /// Display name (the id when the entry has none).
    pub(crate) name: &'a str,
    /// The entry's file, relative to the catalog root.
    pub(crate) file: String,
    /// 1-based line of the entry's first line.
    pub(crate) line: usize,
    /// Whole days from `last_change` to `now`.
    pub(crate) age_days: i64,
    /// The newest commit among the entry's lines.
    pub(crate) last_change: ChangeJson<'a>,
}

/// A commit, as git blame found it.
#[derive(Debug, Serialize)]
pub(crate) struct ChangeJson<'a> {
    /// Full hex id.
    pub(crate) commit: &'a str,
    /// Author name.
    pub(crate) author: &'a str,
    /// Author email.
    pub(crate) email: &'a str,
    /// Author date, `YYYY-MM-DD` (UTC).
    pub(crate) date: String,
    /// First line of the commit message.
    pub(crate) summary: &'a str,
}

/// The report as a [`StaleDoc`].
pub(crate) fn stale_doc<'a>(c: &'a Catalog, r: &'a Report) -> StaleDoc<'a> {
    StaleDoc {
        version: 1,
        max_age_days: r.max_age_days,
        now: date::day(r.now),
        entries: r.checked,
        stale: r.stale,
        truncated: r.truncated,
        unknown: r.unknown.iter().map(|&e| c.key(e)).collect(),
        owners: r
            .groups
            .iter()
            .map(|g| StaleGroupJson {
                owner: g.owner.map(|o| c.key(o)),
                name: g.owner.map(|o| c.entry(o).name()),
                summary: g.owner.map(|o| summary(c, o)).unwrap_or_default(),
                entries: g
                    .entries
                    .iter()
                    .map(|s| StaleEntryJson {
                        entry: c.key(s.entry),
                        name: c.entry(s.entry).name(),
                        file: c.sources.display_path(c.entry(s.entry).file),
                        line: s.line,
                        age_days: s.age_days,
                        last_change: ChangeJson {
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
    }
}

pub(crate) fn render(
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
            let doc = stale_doc(c, r);
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Change;
    use crate::query::stale::{Group, StaleEntry};
    use crate::render::json_keys;

    #[test]
    fn json_is_one_stale_document_grouped_by_owner() {
        let (_d, c) = crate::load::test_catalog(&[
            (
                "schemas/team.yaml",
                "type: Team\nschema:\n  properties:\n    slack: {type: string}\nsummary: [slack]\n",
            ),
            (
                "schemas/service.yaml",
                "type: Service\nrelations:\n  owner: {to: Team, owner: true}\n",
            ),
            (
                "catalog/all.yaml",
                "type: Team\nid: web\nslack: '#web'\n---\ntype: Service\nid: pay\nowner: web\n",
            ),
        ]);
        let web = crate::query::find(&c, "Team:web").expect("web");
        let pay = crate::query::find(&c, "Service:pay").expect("pay");
        assert_eq!(
            (c.key(web), c.key(pay)),
            ("Team:web".into(), "Service:pay".into())
        );
        let last_change = Change {
            commit: "0123456789abcdef".into(),
            author: "Ada".into(),
            email: "ada@example.com".into(),
            time: 0,
            summary: "add pay".into(),
        };
        let report = Report {
            max_age_days: 180,
            now: 400 * 86_400,
            checked: 2,
            stale: 1,
            groups: vec![Group {
                owner: Some(web),
                entries: vec![StaleEntry {
                    entry: pay,
                    line: 4,
                    age_days: 400,
                    last_change,
                }],
            }],
            unknown: vec![],
            truncated: false,
        };
        let doc = stale_doc(&c, &report);
        assert_eq!(
            json_keys(&doc),
            [
                "version",
                "max_age_days",
                "now",
                "entries",
                "stale",
                "truncated",
                "unknown",
                "owners"
            ]
        );
        let group = &doc.owners[0];
        assert_eq!(json_keys(group), ["owner", "name", "summary", "entries"]);
        assert_eq!(
            json_keys(&group.entries[0]),
            ["entry", "name", "file", "line", "age_days", "last_change"]
        );
        assert_eq!(
            json_keys(&group.entries[0].last_change),
            ["commit", "author", "email", "date", "summary"]
        );
        let v = serde_json::to_value(&doc).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["now"], "1971-02-05");
        assert_eq!(v["owners"][0]["owner"], "Team:web");
        assert_eq!(v["owners"][0]["summary"]["slack"], "#web");
        assert_eq!(
            v["owners"][0]["entries"][0]["last_change"]["date"],
            "1970-01-01"
        );
    }
}

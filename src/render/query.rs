//! Drawing the answers of `lore owners` and `lore impact`, for people (human), chat and
//! pull requests (markdown) and scripts (JSON, stable and documented).
//!
//! Input: the plain data of `crate::query` and the catalog it refers to. Output: text on
//! the writer handed in. The JSON documents are the serde types below; their field
//! names are a contract.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;
use serde_json::{Number, Value};

use super::text::{aligned, one_line, table, table_lines};
use crate::cli::ReportFormat;
use crate::graph::{Catalog, EntryId};
use crate::model::TypeId;
use crate::query::{explain, ImpactSet, Impacted, Owner};
use crate::term::{escape, markdown, markdown_code, thousands, Style};

/// `lore owners --format json`:
/// `{"version":1, "owners":[{"of":"Type:id", "owner":"Type:id", "name", "summary":{…}, "path":["Type:id", …], "explain"}]}`.
#[derive(Debug, Serialize)]
pub(crate) struct OwnersDoc {
    /// Always 1.
    pub(crate) version: u32,
    /// Per REF in the order given, its owners (closest first, then by `Type:id`).
    pub(crate) owners: Vec<OwnerJson>,
}

/// One owner of one entry.
#[derive(Debug, Serialize)]
pub(crate) struct OwnerJson {
    /// The entry asked about, `Type:id`.
    pub(crate) of: String,
    /// The owning entry, `Type:id`.
    pub(crate) owner: String,
    /// The owner's display name.
    pub(crate) name: String,
    /// The owner type's `summary` attributes that the owner has (Slack channel, on-call…);
    /// absent attributes are left out.
    pub(crate) summary: BTreeMap<String, Value>,
    /// The entries from `of` to `owner`, both included, as `Type:id`.
    pub(crate) path: Vec<String>,
    /// The path in words: `Feature checkout → product Product store → owner Team commerce`.
    pub(crate) explain: String,
}

/// The summary attributes of an entry, per its type's `summary`.
pub(crate) fn summary(c: &Catalog, e: EntryId) -> BTreeMap<String, Value> {
    let entry = c.entry(e);
    c.type_def(entry.type_id)
        .summary
        .iter()
        .filter_map(|k| entry.value.get(k).map(|v| (k.clone(), v.clone())))
        .collect()
}

/// The summary attributes in the type's order, for people.
pub(crate) fn summary_pairs(c: &Catalog, e: EntryId) -> Vec<(String, String)> {
    let entry = c.entry(e);
    c.type_def(entry.type_id)
        .summary
        .iter()
        .filter_map(|k| entry.value.get(k).map(|v| (k.clone(), one_line(v))))
        .collect()
}

pub(crate) fn owner_json(c: &Catalog, o: &Owner) -> OwnerJson {
    OwnerJson {
        of: c.key(o.of),
        owner: c.key(o.owner),
        name: c.entry(o.owner).name().to_owned(),
        summary: summary(c, o.owner),
        path: o
            .path
            .iter()
            .map(|s| c.key(s.entry))
            .chain(std::iter::once(c.key(o.owner)))
            .collect(),
        explain: explain(c, o),
    }
}

/// `Type:id  Name` for people (the name left out when it is the id).
pub(crate) fn label(c: &Catalog, e: EntryId) -> String {
    let entry = c.entry(e);
    let name = entry.name();
    if name == entry.id {
        escape(&c.key(e)).into_owned()
    } else {
        format!("{}  {}", escape(&c.key(e)), escape(name))
    }
}

/// `Type:id (Name)` for headings (the name left out when it is the id).
pub(crate) fn title(c: &Catalog, e: EntryId) -> String {
    let entry = c.entry(e);
    let name = entry.name();
    if name == entry.id {
        escape(&c.key(e)).into_owned()
    } else {
        format!("{} ({})", escape(&c.key(e)), escape(name))
    }
}

/// The owners of each entry asked about (an entry with no owner has an empty list).
pub(crate) fn owners(
    w: &mut dyn Write,
    c: &Catalog,
    answers: &[(EntryId, Vec<Owner>)],
    format: ReportFormat,
    style: Style,
) -> io::Result<()> {
    match format {
        ReportFormat::Json => {
            let doc = OwnersDoc {
                version: 1,
                owners: answers
                    .iter()
                    .flat_map(|(_, os)| os.iter().map(|o| owner_json(c, o)))
                    .collect(),
            };
            serde_json::to_writer_pretty(&mut *w, &doc)?;
            writeln!(w)
        }
        ReportFormat::Human => {
            for (i, (of, os)) in answers.iter().enumerate() {
                if i > 0 {
                    writeln!(w)?;
                }
                writeln!(w, "{}", label(c, *of))?;
                if os.is_empty() {
                    writeln!(w, "  no owner")?;
                }
                for o in os {
                    owner_lines(w, c, o, "  ", style)?;
                }
            }
            Ok(())
        }
        ReportFormat::Markdown => {
            for (i, (of, os)) in answers.iter().enumerate() {
                if i > 0 {
                    writeln!(w)?;
                }
                writeln!(w, "### Owners of {}", md_label(c, *of))?;
                writeln!(w)?;
                if os.is_empty() {
                    writeln!(w, "No owner.")?;
                }
                for o in os {
                    writeln!(w, "- {}", md_owner(c, o))?;
                }
            }
            Ok(())
        }
    }
}

/// One owner for people: its label, its summary attributes aligned, and why.
pub(crate) fn owner_lines(
    w: &mut dyn Write,
    c: &Catalog,
    o: &Owner,
    indent: &str,
    style: Style,
) -> io::Result<()> {
    writeln!(w, "{indent}{}", label(c, o.owner))?;
    let mut t = table(style.width.saturating_sub(indent.len() + 2), false);
    for (k, v) in summary_pairs(c, o.owner) {
        t.add_row(vec![k, v]);
    }
    t.add_row(vec!["why".to_owned(), explain_shown(c, o)]);
    for line in table_lines(&t) {
        writeln!(w, "{indent} {line}")?;
    }
    Ok(())
}

fn md_label(c: &Catalog, e: EntryId) -> String {
    let entry = c.entry(e);
    let name = entry.name();
    if name == entry.id {
        markdown_code(&c.key(e))
    } else {
        format!("{} ({})", markdown_code(&c.key(e)), markdown(name))
    }
}

fn md_owner(c: &Catalog, o: &Owner) -> String {
    let mut s = format!("**{}**", md_label(c, o.owner));
    let pairs = summary_pairs(c, o.owner);
    if !pairs.is_empty() {
        let parts: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{} {}", markdown(k), markdown_code(v)))
            .collect();
        s.push_str(": ");
        s.push_str(&parts.join(", "));
    }
    let _ = write!(s, " — {}", markdown(&explain(c, o)));
    s
}

/// `lore impact --format json`:
/// `{"version":1, "roots":["Type:id"], "impacted":[{"entry":"Type:id", "type", "name", "distance":N, "via":"Type:id", "chain":["Type:id", …], "chain_truncated":true?}], "totals":{"Type":{"attr":number}}}`.
#[derive(Debug, Serialize)]
pub(crate) struct ImpactDoc {
    /// Always 1.
    pub(crate) version: u32,
    /// The entries asked about, sorted by `Type:id`.
    pub(crate) roots: Vec<String>,
    /// Every entry reached, once, at its shortest distance; sorted by distance, then
    /// `Type:id`.
    pub(crate) impacted: Vec<ImpactedJson>,
    /// Type → attribute → sum over the roots and the impacted entries, for every total a
    /// type declares (0 when none of its entries is involved).
    pub(crate) totals: BTreeMap<String, BTreeMap<String, Number>>,
}

/// Entries of a chain in JSON: a chain through a long dependency path is cut to its last
/// entries, so the document stays linear in the number of impacted entries.
pub(crate) const JSON_CHAIN_MAX: usize = 32;

/// One impacted entry, as `impact` and `route` write it.
#[derive(Debug, Serialize)]
pub(crate) struct ImpactedJson {
    /// `Type:id`.
    pub(crate) entry: String,
    /// The entry's type.
    #[serde(rename = "type")]
    pub(crate) type_: String,
    /// Display name (the id when the entry has none).
    pub(crate) name: String,
    /// Impact steps from the nearest root.
    pub(crate) distance: usize,
    /// `Type:id` of the entry that reached this one (a root at distance 1); following
    /// `via` through the `impacted` rows rebuilds any chain. `null` is reserved for
    /// entries reached from nothing.
    pub(crate) via: Option<String>,
    /// From a root to this entry, both included, as `Type:id`: the whole chain when it
    /// has at most 32 entries, else its last 32 (and `chain_truncated`).
    pub(crate) chain: Vec<String>,
    /// Present and `true` when `chain` holds only the chain's last 32 entries.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) chain_truncated: bool,
}

/// One impacted row as `impact` and `route` write it.
pub(crate) fn impacted_json(c: &Catalog, set: &ImpactSet, i: &Impacted) -> ImpactedJson {
    ImpactedJson {
        entry: c.key(i.entry),
        type_: c.type_of(i.entry).name.clone(),
        name: c.entry(i.entry).name().to_owned(),
        distance: i.distance,
        via: Some(c.key(i.via)),
        chain: set
            .chain_tail(i, JSON_CHAIN_MAX)
            .iter()
            .map(|&e| c.key(e))
            .collect(),
        chain_truncated: i.distance + 1 > JSON_CHAIN_MAX,
    }
}

pub(crate) fn impact_doc(c: &Catalog, set: &ImpactSet) -> ImpactDoc {
    ImpactDoc {
        version: 1,
        roots: set.roots.iter().map(|&r| c.key(r)).collect(),
        impacted: set
            .impacted
            .iter()
            .map(|i| impacted_json(c, set, i))
            .collect(),
        totals: set.totals.clone(),
    }
}

/// Impacted entries grouped by type: groups in order of their nearest entry, then type
/// name; inside a group, by distance then `Type:id` (the order of `set.impacted`).
fn groups<'a>(c: &'a Catalog, set: &'a ImpactSet) -> Vec<(&'a str, Vec<&'a Impacted>)> {
    let mut by_type: BTreeMap<TypeId, Vec<&Impacted>> = BTreeMap::new();
    for i in &set.impacted {
        by_type.entry(c.entry(i.entry).type_id).or_default().push(i);
    }
    let mut out: Vec<(&str, Vec<&Impacted>)> = by_type
        .into_iter()
        .map(|(t, items)| (c.type_def(t).name.as_str(), items))
        .collect();
    out.sort_by(|a, b| {
        let da = a.1.first().map_or(0, |i| i.distance);
        let db = b.1.first().map_or(0, |i| i.distance);
        da.cmp(&db).then(a.0.cmp(b.0))
    });
    out
}

/// Chains and paths longer than this many entries are shown by their ends.
const SHOWN: usize = 6;

/// `first → second → … (N more) → last-but-one → last` when `len` is over [`SHOWN`], else
/// every entry; `entry(k)` draws the k-th (only the four ends are asked for when cut).
fn elided(len: usize, mut entry: impl FnMut(usize) -> String) -> String {
    let parts: Vec<String> = if len <= SHOWN {
        (0..len).map(&mut entry).collect()
    } else {
        let hidden = thousands(&Number::from(len - 4));
        vec![
            entry(0),
            entry(1),
            format!("… ({hidden} more)"),
            entry(len - 2),
            entry(len - 1),
        ]
    };
    parts.join(" → ")
}

/// The chain from a root to `i`, cut in the middle when long: built from its ends
/// (root, first hop, the entry that reached `i`, `i`), never walked in full.
fn chain_text(c: &Catalog, set: &ImpactSet, i: &Impacted) -> String {
    let len = i.distance + 1;
    let tail = set.chain_tail(i, SHOWN.min(len));
    elided(len, |k| {
        let e = match k {
            0 => i.root,
            1 => i.first_hop,
            _ => tail[tail.len() - (len - k)],
        };
        escape(&c.key(e)).into_owned()
    })
}

/// [`explain`] for people: a long path cut in the middle.
pub(crate) fn explain_shown(c: &Catalog, o: &Owner) -> String {
    let n = o.path.len();
    if n <= SHOWN {
        return escape(&explain(c, o)).into_owned();
    }
    let named = |e: EntryId| {
        let entry = c.entry(e);
        format!("{} {}", c.type_def(entry.type_id).name, entry.id)
    };
    let step = |k: usize| format!("{} → {}", named(o.path[k].entry), o.path[k].relation);
    let hidden = thousands(&Number::from(n - 3));
    let text = format!(
        "{} {} … ({hidden} more) {} {}",
        step(0),
        step(1),
        step(n - 1),
        named(o.owner)
    );
    escape(&text).into_owned()
}

fn roots_text(c: &Catalog, set: &ImpactSet) -> String {
    set.roots
        .iter()
        .map(|&r| title(c, r))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What else breaks when the roots break.
pub(crate) fn impact(
    w: &mut dyn Write,
    c: &Catalog,
    set: &ImpactSet,
    depth: Option<usize>,
    format: ReportFormat,
    style: Style,
) -> io::Result<()> {
    match format {
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut *w, &impact_doc(c, set))?;
            writeln!(w)
        }
        ReportFormat::Human => {
            let limit = depth.map_or(String::new(), |d| format!(" within {d} steps"));
            if set.impacted.is_empty() {
                writeln!(
                    w,
                    "Nothing else is impacted by {}{limit}.",
                    roots_text(c, set)
                )?;
            } else {
                writeln!(
                    w,
                    "Impact of {}{limit}: {} {}",
                    roots_text(c, set),
                    set.impacted.len(),
                    plural(set.impacted.len(), "entry", "entries")
                )?;
            }
            for (t, items) in groups(c, set) {
                writeln!(w)?;
                writeln!(w, "{t} ({})", items.len())?;
                let header = ["id", "name", "distance", "chain"]
                    .map(str::to_owned)
                    .to_vec();
                let rows: Vec<Vec<String>> = std::iter::once(header)
                    .chain(items.iter().map(|i| {
                        let entry = c.entry(i.entry);
                        vec![
                            escape(&entry.id).into_owned(),
                            escape(entry.name()).into_owned(),
                            i.distance.to_string(),
                            chain_text(c, set, i),
                        ]
                    }))
                    .collect();
                for line in aligned(&rows, "  ", style.width, " → ") {
                    writeln!(w, "{line}")?;
                }
            }
            let totals = totals_rows(set);
            if !totals.is_empty() {
                writeln!(w)?;
                writeln!(w, "Totals (roots included)")?;
                let mut tab = table(style.width.saturating_sub(1), false);
                for (t, attr, n) in totals {
                    tab.add_row(vec![t, attr, n]);
                }
                for line in table_lines(&tab) {
                    writeln!(w, " {line}")?;
                }
            }
            Ok(())
        }
        ReportFormat::Markdown => {
            writeln!(
                w,
                "### Impact of {}",
                set.roots
                    .iter()
                    .map(|&r| md_label(c, r))
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
            writeln!(w)?;
            if set.impacted.is_empty() {
                writeln!(w, "Nothing else is impacted.")?;
            }
            for (t, items) in groups(c, set) {
                writeln!(w, "#### {t} ({})", items.len())?;
                writeln!(w)?;
                writeln!(w, "| entry | name | distance | chain |")?;
                writeln!(w, "|---|---|---|---|")?;
                for i in items {
                    let entry = c.entry(i.entry);
                    writeln!(
                        w,
                        "| `{}` | {} | {} | {} |",
                        markdown(&c.key(i.entry)),
                        markdown(entry.name()),
                        i.distance,
                        markdown(&chain_text(c, set, i))
                    )?;
                }
                writeln!(w)?;
            }
            let totals = totals_rows(set);
            if !totals.is_empty() {
                writeln!(w, "#### Totals")?;
                writeln!(w)?;
                for (t, attr, n) in totals {
                    writeln!(w, "- {} {}: **{n}**", markdown(&t), markdown(&attr))?;
                }
            }
            Ok(())
        }
    }
}

fn totals_rows(set: &ImpactSet) -> Vec<(String, String, String)> {
    set.totals
        .iter()
        .flat_map(|(t, attrs)| {
            attrs
                .iter()
                .map(move |(a, n)| (t.clone(), a.clone(), thousands(n)))
        })
        .collect()
}

pub(crate) fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

//! Drawing a [`Route`]: one screen for a responder (most decisive first), the JSON of
//! the stable JSON contract, and markdown for a chat channel.
//!
//! Payload values are attacker-controlled: every string drawn for a terminal goes
//! through [`escape`], for a chat through [`term::markdown`] or [`markdown_code`], so control
//! and bidi characters cannot rewrite the responder's screen and payload text cannot add
//! links or formatting.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;
use serde_json::{Number, Value};

use super::query::{
    explain_shown, impacted_json, owner_json, summary_pairs, ImpactedJson, OwnerJson,
};
use crate::alert::route::Route;
use crate::alert::{Match, Step};
use crate::graph::{Catalog, EntryId};
use crate::query::Owner;
use crate::term::{self, escape, markdown_code, thousands, Style};

/// `lore route --format json`: the documented `route` object. Added fields:
/// `matches[].key`, `unmatched[].key`, `ambiguous`; owners and impacted rows are those of
/// `lore owners` and `lore impact`.
#[derive(Debug, Serialize)]
pub(crate) struct RouteDoc {
    /// Always 1.
    pub(crate) version: u32,
    /// The payload's source: a built-in (`alertmanager`, `grafana`…) or one of lore.yaml's
    /// `alerts.sources`; `null` when none recognized the payload.
    pub(crate) source: Option<String>,
    /// `true` when no source recognized the payload and every value in it was tried.
    pub(crate) scanned: bool,
    /// The payload's alerts, in payload order (Alertmanager and Grafana group several).
    pub(crate) alerts: Vec<AlertJson>,
    /// Payload values that named an entry: first those whose key names the entry's type
    /// (`service=…`), then the others, each group in payload order; each entry once.
    pub(crate) matches: Vec<MatchJson>,
    /// Values that name entries of several types equally well, and so match none.
    pub(crate) ambiguous: Vec<AmbiguousJson>,
    /// Values tried that name no entry.
    pub(crate) unmatched: Vec<UnmatchedJson>,
    /// The owners of each match, in match order, as `lore owners` writes them.
    pub(crate) owners: Vec<OwnerJson>,
    /// What breaks with the matched entries, as `lore impact` writes it.
    pub(crate) impacted: Vec<ImpactedJson>,
    /// Type → attribute → sum over the matched and impacted entries, as in `lore impact`.
    pub(crate) totals: BTreeMap<String, BTreeMap<String, Number>>,
    /// The notes that hold: lore.yaml's global notes first, then those of matched
    /// entries' types, then of impacted entries' types.
    pub(crate) notes: Vec<NoteJson>,
    /// Owners of impacted entries that own none of the matches (teams to tell, not to
    /// page), by `Type:id`, as `lore owners` writes them (`of` is the impacted entry).
    pub(crate) inform: Vec<OwnerJson>,
    /// The latest incidents (up to 5) touching a matched entry, newest first, as
    /// `lore incidents` writes them.
    pub(crate) past_incidents: Vec<super::report::IncidentJson>,
    /// For each impacted type with totals and summary fields (customers), its top
    /// impacted entries (up to 3) by the type's first total.
    pub(crate) top: Vec<TopJson>,
}

/// The top impacted entries of one type.
#[derive(Debug, Serialize)]
pub(crate) struct TopJson {
    /// The type, `Customer`.
    pub(crate) r#type: String,
    /// The total they are ranked by (the type's first), `arr`.
    pub(crate) by: String,
    /// Largest first, then by `Type:id`.
    pub(crate) entries: Vec<TopEntryJson>,
}

/// One of the top impacted entries.
#[derive(Debug, Serialize)]
pub(crate) struct TopEntryJson {
    /// `Type:id`.
    pub(crate) entry: String,
    /// Its display name.
    pub(crate) name: String,
    /// Its value of the total; `null` when it has none.
    pub(crate) value: Option<Value>,
    /// The type's `summary` attributes that the entry has (CSM, plan…).
    pub(crate) summary: BTreeMap<String, Value>,
}

/// One alert of the payload; each field `null` when the payload does not say.
#[derive(Debug, Serialize)]
pub(crate) struct AlertJson {
    /// Its name or summary (`alertname`, a title).
    pub(crate) title: Option<String>,
    /// `firing`, `resolved`, or the source's own word.
    pub(crate) status: Option<String>,
    /// As the payload writes it (`critical`, `P1`…).
    pub(crate) severity: Option<String>,
}

/// A payload value that named an entry.
#[derive(Debug, Serialize)]
pub(crate) struct MatchJson {
    /// The entry named, `Type:id`.
    pub(crate) entry: String,
    /// The payload's value.
    pub(crate) value: String,
    /// Where in the payload (RFC 9535 normalized path, `$['labels']['service']`).
    pub(crate) path: String,
    /// `id` or `alias`: what of the entry the value equals.
    pub(crate) via: &'static str,
    /// The label, tag or field name the value came with; `null` for a bare value.
    pub(crate) key: Option<String>,
    /// How `value` was taken out of the payload's longer value `within`: `host` (of
    /// host:port), `segment` (last of a path or ARN), `first-label` (of a domain name),
    /// `capture` (the source's pattern), `gke-cluster` (of a GKE node name), `word` (of free
    /// text); `null` when whole.
    pub(crate) step: Option<&'static str>,
    /// The payload's whole value, when `value` was taken out of it; else `null`.
    pub(crate) within: Option<String>,
    /// `true` when the key names types none of which has the value, and it matched an
    /// entry of another type.
    pub(crate) any_type: bool,
}

/// A payload value that names entries of several types equally well.
#[derive(Debug, Serialize)]
pub(crate) struct AmbiguousJson {
    /// The payload's value.
    pub(crate) value: String,
    /// Where in the payload (RFC 9535 normalized path).
    pub(crate) path: String,
    /// The label, tag or field name the value came with; `null` for a bare value.
    pub(crate) key: Option<String>,
    /// The entries it could name, `Type:id`.
    pub(crate) candidates: Vec<String>,
}

/// A payload value that was tried and names nothing.
#[derive(Debug, Serialize)]
pub(crate) struct UnmatchedJson {
    /// The payload's value.
    pub(crate) value: String,
    /// Where in the payload (RFC 9535 normalized path).
    pub(crate) path: String,
    /// The label, tag or field name the value came with; `null` for a bare value.
    pub(crate) key: Option<String>,
}

/// A note that holds for this alert.
#[derive(Debug, Serialize)]
pub(crate) struct NoteJson {
    /// The entry whose type's note it is, `Type:id`; `null` for lore.yaml's global notes.
    pub(crate) entry: Option<String>,
    /// The note, its template filled in.
    pub(crate) text: String,
}

/// The route as a [`RouteDoc`].
pub(crate) fn json(c: &Catalog, r: &Route) -> RouteDoc {
    RouteDoc {
        version: 1,
        source: r.found.source.clone(),
        scanned: r.found.scanned,
        alerts: r
            .found
            .alerts
            .iter()
            .map(|a| AlertJson {
                title: a.title.clone(),
                status: a.status.clone(),
                severity: a.severity.clone(),
            })
            .collect(),
        matches: r
            .found
            .matches
            .iter()
            .map(|m| MatchJson {
                entry: c.key(m.entry),
                value: m.value.clone(),
                path: m.path.clone(),
                via: m.via.as_str(),
                key: m.key.clone(),
                step: m.step.map(Step::as_str),
                within: m.within.clone(),
                any_type: m.any_type,
            })
            .collect(),
        ambiguous: r
            .found
            .ambiguous
            .iter()
            .map(|a| AmbiguousJson {
                value: a.value.clone(),
                path: a.path.clone(),
                key: a.key.clone(),
                candidates: a.candidates.iter().map(|&e| c.key(e)).collect(),
            })
            .collect(),
        unmatched: r
            .found
            .unmatched
            .iter()
            .map(|u| UnmatchedJson {
                value: u.value.clone(),
                path: u.path.clone(),
                key: u.key.clone(),
            })
            .collect(),
        owners: r.owners.iter().map(|o| owner_json(c, o)).collect(),
        impacted: r
            .impact
            .impacted
            .iter()
            .map(|i| impacted_json(c, &r.impact, i))
            .collect(),
        totals: r.impact.totals.clone(),
        notes: r
            .notes
            .iter()
            .map(|n| NoteJson {
                entry: n.entry.map(|e| c.key(e)),
                text: n.text.clone(),
            })
            .collect(),
        inform: r.inform.iter().map(|o| owner_json(c, o)).collect(),
        past_incidents: r
            .past
            .iter()
            .map(|t| super::report::incident_json(c, t))
            .collect(),
        top: tops(c, &by_type(c, r))
            .into_iter()
            .map(|t| TopJson {
                r#type: t.type_name.to_owned(),
                by: t.by.to_owned(),
                entries: t
                    .entries
                    .iter()
                    .map(|&x| TopEntryJson {
                        entry: c.key(x),
                        name: c.entry(x).name().to_owned(),
                        value: c.entry(x).value.get(t.by).cloned(),
                        summary: super::query::summary(c, x),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// `Type id`, escaped for a terminal.
fn type_and_id(c: &Catalog, e: EntryId) -> String {
    let entry = c.entry(e);
    escape(&format!("{} {}", c.type_def(entry.type_id).name, entry.id)).into_owned()
}

/// Links of the matched entries, then of their owners, each URL once.
fn links(c: &Catalog, r: &Route) -> Vec<(EntryId, String, String)> {
    let mut out: Vec<(EntryId, String, String)> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    let entries = r
        .found
        .matches
        .iter()
        .map(|m| m.entry)
        .chain(r.owners.iter().map(|o| o.owner));
    for e in entries {
        let Some(Value::Array(items)) = c.entry(e).value.get("links") else {
            continue;
        };
        for item in items {
            let (Some(title), Some(url)) = (
                item.get("title").and_then(Value::as_str),
                item.get("url").and_then(Value::as_str),
            ) else {
                continue;
            };
            if seen.insert(url) {
                out.push((e, title.to_owned(), url.to_owned()));
            }
        }
    }
    out
}

/// Impacted entries by type, in first-reached order of types.
fn by_type(c: &Catalog, r: &Route) -> Vec<(String, Vec<EntryId>)> {
    let mut out: Vec<(String, Vec<EntryId>)> = Vec::new();
    // Per type, its place in `out`.
    let mut slot: Vec<Option<usize>> = vec![None; c.types().len()];
    for i in &r.impact.impacted {
        let t = c.entry_type(i.entry);
        let n = *slot[t.index()].get_or_insert_with(|| {
            out.push((c.type_def(t).name.clone(), Vec::new()));
            out.len() - 1
        });
        out[n].1.push(i.entry);
    }
    out
}

/// The top impacted entries of a type by its first total, for types with totals and
/// summary fields (customers by ARR, with their CSM).
struct Top<'c> {
    type_name: &'c str,
    /// The total they are ranked by.
    by: &'c str,
    /// At most [`TOP_SUMMARIES`], largest first, then by `Type:id`.
    entries: Vec<EntryId>,
}

fn tops<'c>(c: &'c Catalog, groups: &[(String, Vec<EntryId>)]) -> Vec<Top<'c>> {
    let mut out = Vec::new();
    for (_, items) in groups {
        let Some(tid) = items.first().map(|&x| c.entry_type(x)) else {
            continue;
        };
        let def = c.type_def(tid);
        let Some(total) = def.totals.first() else {
            continue;
        };
        if def.summary.is_empty() {
            continue;
        }
        let value = |x: EntryId| {
            c.total(x, 0)
                .and_then(serde_json::Number::as_f64)
                .unwrap_or(0.0)
        };
        let mut top: Vec<(f64, EntryId)> = items.iter().map(|&x| (value(x), x)).collect();
        let order = |a: &(f64, EntryId), b: &(f64, EntryId)| {
            (b.0.total_cmp(&a.0))
                .then_with(|| crate::graph::key_order(c.key_parts(a.1), c.key_parts(b.1)))
        };
        // Linear: the first few, then only they are sorted.
        if top.len() > TOP_SUMMARIES {
            top.select_nth_unstable_by(TOP_SUMMARIES - 1, order);
            top.truncate(TOP_SUMMARIES);
        }
        top.sort_by(order);
        out.push(Top {
            type_name: &def.name,
            by: total,
            entries: top.into_iter().map(|(_, x)| x).collect(),
        });
    }
    out
}

/// Non-zero totals as `Customer arr 2,940,000`.
fn totals_text(r: &Route) -> Vec<String> {
    let mut out = Vec::new();
    for (t, attrs) in &r.impact.totals {
        for (a, n) in attrs {
            if n.as_f64().is_some_and(|f| f != 0.0) {
                out.push(format!("{t} {a} {}", thousands(n)));
            }
        }
    }
    out
}

fn alert_line(r: &Route) -> String {
    let mut parts = Vec::new();
    match &r.found.source {
        Some(s) => parts.push(s.clone()),
        None => parts.push("no known source: scanned every value".into()),
    }
    if r.found.alerts.len() > 1 {
        parts.push(format!("{} alerts", r.found.alerts.len()));
    }
    parts.join(", ")
}

/// Ids of at most `max` entries, then "and N more", drawn by `cell`.
fn names_list(c: &Catalog, items: &[EntryId], max: usize, cell: impl Fn(&str) -> String) -> String {
    let mut s: Vec<String> = items
        .iter()
        .take(max)
        .map(|&e| cell(&c.entry(e).id))
        .collect();
    if items.len() > max {
        s.push(format!("and {} more", items.len() - max));
    }
    s.join(", ")
}

const MAX_IMPACTED_NOTES: usize = 12;

/// Impacted entries whose summary fields the human route shows, per type.
const TOP_SUMMARIES: usize = 3;

/// One screen: the alert, what matched (and where), owners and how to reach them,
/// impact by type with totals, notes, links.
pub(crate) fn human(c: &Catalog, r: &Route, out: &mut dyn Write, st: Style) -> io::Result<()> {
    let e = |s: &str| escape(s).into_owned();
    writeln!(out, "{}  ({})", st.bold("Alert"), e(&alert_line(r)))?;
    for a in &r.found.alerts {
        let mut bits = vec![e(a.title.as_deref().unwrap_or("(untitled)"))];
        bits.extend(a.status.as_deref().map(e));
        bits.extend(a.severity.as_deref().map(e));
        writeln!(out, "  {}", bits.join("  "))?;
    }
    writeln!(out)?;

    if r.found.matches.is_empty() {
        writeln!(
            out,
            "{}",
            st.warning("Nothing in the catalog matches this alert.")
        )?;
        if r.found.unmatched.is_empty() {
            writeln!(out, "The payload holds no value to try.")?;
        }
    } else {
        writeln!(out, "{}", st.bold("Matched"))?;
        let w = r
            .found
            .matches
            .iter()
            .map(|m| type_and_id(c, m.entry).chars().count())
            .max()
            .unwrap_or(0);
        for m in &r.found.matches {
            writeln!(
                out,
                "  {:w$}  {} by {}  at {}",
                type_and_id(c, m.entry),
                named(m, e),
                m.via.as_str(),
                e(&m.path),
            )?;
        }
    }
    for a in &r.found.ambiguous {
        let cands: Vec<String> = a.candidates.iter().map(|&x| e(&c.key(x))).collect();
        writeln!(
            out,
            "  {} `{}` at {} names several entries: {}",
            st.warning("ambiguous:"),
            e(&a.value),
            e(&a.path),
            cands.join(", ")
        )?;
    }
    let typed_misses: Vec<_> = r
        .found
        .unmatched
        .iter()
        .filter(|u| !u.types.is_empty())
        .collect();
    let shown: Vec<_> = if r.found.matches.is_empty() {
        r.found.unmatched.iter().collect()
    } else {
        typed_misses
    };
    if !shown.is_empty() {
        let title = if r.found.matches.is_empty() {
            "Values tried"
        } else {
            "Not in the catalog"
        };
        writeln!(out, "{}", st.bold(title))?;
        for u in shown.iter().take(20) {
            let named = match &u.key {
                Some(k) => format!("{}={}", e(k), e(&u.value)),
                None => e(&u.value),
            };
            let types: Vec<String> = u.types.iter().map(|&t| e(&c.type_def(t).name)).collect();
            let within = if types.is_empty() {
                String::new()
            } else {
                format!(
                    " (no {} has this id or alias, nor does any other entry)",
                    types.join(" or ")
                )
            };
            writeln!(out, "  {named}  at {}{within}", e(&u.path))?;
        }
        if shown.len() > 20 {
            writeln!(
                out,
                "  and {} more (--format json lists them all)",
                shown.len() - 20
            )?;
        }
    }
    if r.found.matches.is_empty() {
        return Ok(());
    }
    writeln!(out)?;

    writeln!(out, "{}", st.bold("Owners"))?;
    let by_owner = by_owner(r);
    if by_owner.is_empty() {
        writeln!(out, "  none: the matched entries have no owner")?;
    }
    for (owner, of) in &by_owner {
        let reach: Vec<String> = text_pairs(c, *owner);
        write!(
            out,
            "  {} ({})",
            type_and_id(c, *owner),
            e(c.entry(*owner).name())
        )?;
        if reach.is_empty() {
            writeln!(out)?;
        } else {
            writeln!(out, "  {}", e(&reach.join("  ")))?;
        }
        for o in of {
            if o.of == o.owner {
                writeln!(out, "    named by the alert")?;
            } else if o.path.len() > 1 {
                writeln!(out, "    for {}", explain_shown(c, o))?;
            } else {
                writeln!(out, "    owns {}", type_and_id(c, o.of))?;
            }
        }
    }
    writeln!(out)?;

    let groups = by_type(c, r);
    let totals = totals_text(r);
    let count = r.impact.impacted.len();
    let mut head = format!(
        "Impact  {count} {}",
        if count == 1 { "entry" } else { "entries" }
    );
    if !totals.is_empty() {
        let _ = write!(head, "; {}", totals.join(", "));
    }
    writeln!(out, "{}", st.bold(&e(&head)))?;
    if groups.is_empty() {
        writeln!(out, "  nothing else breaks with the matched entries")?;
    }
    let tw = groups
        .iter()
        .map(|(t, _)| e(t).chars().count())
        .max()
        .unwrap_or(0);
    for (t, items) in &groups {
        writeln!(
            out,
            "  {:tw$}  {:>3}  {}",
            e(t),
            items.len(),
            names_list(c, items, 8, e)
        )?;
    }

    // For impacted types with summary fields and totals (customers), the top entries by
    // the first total with their summary: the CSM to pull in, named.
    for top in tops(c, &groups) {
        writeln!(out, "  top {} by {}:", e(top.type_name), e(top.by))?;
        for &x in &top.entries {
            let fields: Vec<String> = text_pairs(c, x);
            writeln!(out, "    {}  {}", e(&c.entry(x).id), e(&fields.join("  ")))?;
        }
    }

    if !r.inform.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            st.bold("Inform  (owners of impacted entries: tell, do not page)")
        )?;
        for o in &r.inform {
            let reach: Vec<String> = text_pairs(c, o.owner);
            writeln!(
                out,
                "  {} ({})  {}",
                type_and_id(c, o.owner),
                e(c.entry(o.owner).name()),
                e(&reach.join("  "))
            )?;
            writeln!(out, "    for {}", type_and_id(c, o.of))?;
        }
    }
    if !r.past.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", st.bold("Past incidents"))?;
        for t in &r.past {
            let fields: Vec<String> = text_pairs(c, t.fact);
            writeln!(
                out,
                "  {}  {}  {}  {}",
                t.date.map_or("-".to_owned(), |d| d.to_string()),
                type_and_id(c, t.fact),
                e(c.entry(t.fact).name()),
                e(&fields.join("  "))
            )?;
        }
    }

    if !r.notes.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", st.bold("Notes"))?;
        // Global notes and those of matched entries in full; of impacted ones, the first
        // few: they are in the JSON and markdown, and the screen is for deciding.
        let matched: HashSet<EntryId> = r.found.matches.iter().map(|m| m.entry).collect();
        let mut hidden = 0;
        let mut impacted_shown = 0;
        for n in &r.notes {
            match n.entry {
                None => writeln!(out, "  {} {}", st.warning("!"), e(&n.text))?,
                Some(x) => {
                    if !matched.contains(&x) {
                        if impacted_shown == MAX_IMPACTED_NOTES {
                            hidden += 1;
                            continue;
                        }
                        impacted_shown += 1;
                    }
                    writeln!(out, "  - {}: {}", type_and_id(c, x), e(&n.text))?;
                }
            }
        }
        if hidden > 0 {
            writeln!(
                out,
                "  and {hidden} more notes on impacted entries (--format markdown or json shows them)"
            )?;
        }
    }

    let links = links(c, r);
    if !links.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", st.bold("Links"))?;
        for (x, title, url) in links {
            writeln!(out, "  {}  {}  {}", type_and_id(c, x), e(&title), e(&url))?;
        }
    }
    Ok(())
}

/// What the payload said and how the value came out of it: `key=value`, or
/// `key=whole → value (step)`, and whether it matched outside its key's types.
fn named(m: &Match, e: impl Fn(&str) -> String) -> String {
    let whole = m.within.as_deref().unwrap_or(&m.value);
    let mut s = match &m.key {
        Some(k) => format!("{}={}", e(k), e(whole)),
        None => e(whole),
    };
    if m.within.is_some() {
        let step = m.step.map_or("part of it", Step::describe);
        if m.step == Some(Step::Word) {
            // Free text can be long: name where the word is, not the whole text.
            let of = m.key.as_deref().map_or("a value".to_owned(), &e);
            s = format!("{} ({step} {of})", e(&m.value));
        } else {
            let _ = write!(s, " → {} ({step})", e(&m.value));
        }
    }
    if m.any_type {
        s.push_str(" (not of the type its key names; found among every type)");
    }
    s
}

/// Owners grouped by owner, in first-seen order, each with the answers it gives.
fn by_owner(r: &Route) -> Vec<(EntryId, Vec<&Owner>)> {
    let mut out: Vec<(EntryId, Vec<&Owner>)> = Vec::new();
    let mut slot: HashMap<EntryId, usize> = HashMap::new();
    for o in &r.owners {
        let n = *slot.entry(o.owner).or_insert_with(|| {
            out.push((o.owner, Vec::new()));
            out.len() - 1
        });
        out[n].1.push(o);
    }
    out
}

/// Markdown for a chat channel: the alert, matches, owners with how to reach them,
/// impact and notes.
pub(crate) fn markdown(c: &Catalog, r: &Route, out: &mut dyn Write) -> io::Result<()> {
    let first = r.found.alerts.first();
    let title = first
        .and_then(|a| a.title.as_deref())
        .unwrap_or("(untitled alert)");
    let mut meta: Vec<String> = Vec::new();
    if let Some(a) = first {
        meta.extend(a.status.as_deref().map(term::markdown));
        meta.extend(a.severity.as_deref().map(term::markdown));
    }
    meta.push(term::markdown(&alert_line(r)));
    writeln!(out, "### {}", term::markdown(title))?;
    writeln!(out, "_{}_", meta.join(" · "))?;
    for a in r.found.alerts.iter().skip(1) {
        writeln!(
            out,
            "- also: {}",
            term::markdown(a.title.as_deref().unwrap_or("(untitled)"))
        )?;
    }
    writeln!(out)?;
    if r.found.matches.is_empty() {
        write!(out, "**Nothing in the catalog matches this alert.**")?;
        if r.found.unmatched.is_empty() {
            writeln!(out, " The payload holds no value to try.")?;
        } else {
            writeln!(out, " Values tried:")?;
        }
        for u in r.found.unmatched.iter().take(20) {
            writeln!(
                out,
                "- {} at {}",
                markdown_code(&u.value),
                markdown_code(&u.path)
            )?;
        }
        return Ok(());
    }
    writeln!(out, "**Matched**")?;
    for m in &r.found.matches {
        writeln!(
            out,
            "- {} ← {} at {}",
            markdown_code(&c.key(m.entry)),
            named(m, markdown_code),
            markdown_code(&m.path)
        )?;
    }
    writeln!(out)?;
    writeln!(out, "**Owners**")?;
    for (owner, answers) in by_owner(r) {
        let reach: Vec<String> = markdown_pairs(c, owner);
        let of: Vec<String> = answers
            .iter()
            .filter(|x| x.of != x.owner)
            .map(|x| markdown_code(&c.key(x.of)))
            .collect();
        let what = if of.is_empty() {
            "named by the alert".to_owned()
        } else {
            format!("owns {}", of.join(", "))
        };
        writeln!(
            out,
            "- **{}** {}{} ({what})",
            term::markdown(c.entry(owner).name()),
            markdown_code(&c.key(owner)),
            dash_list(&reach),
        )?;
    }
    writeln!(out)?;
    let groups = by_type(c, r);
    let totals = totals_text(r);
    write!(out, "**Impact:** {} entries", r.impact.impacted.len())?;
    if !totals.is_empty() {
        write!(out, " — {}", totals.join(", "))?;
    }
    writeln!(out)?;
    for (t, items) in &groups {
        writeln!(
            out,
            "- {} ({}): {}",
            term::markdown(t),
            items.len(),
            names_list(c, items, 8, term::markdown)
        )?;
    }
    for top in tops(c, &groups) {
        writeln!(
            out,
            "- top {} by {}:",
            term::markdown(top.type_name),
            term::markdown(top.by)
        )?;
        for &x in &top.entries {
            writeln!(
                out,
                "  - {} {}{}",
                markdown_code(&c.key(x)),
                term::markdown(c.entry(x).name()),
                dash_list(&markdown_pairs(c, x))
            )?;
        }
    }
    if !r.inform.is_empty() {
        writeln!(out)?;
        writeln!(out, "**Inform** (tell, do not page)")?;
        for o in &r.inform {
            writeln!(
                out,
                "- **{}** {}{} (for {})",
                term::markdown(c.entry(o.owner).name()),
                markdown_code(&c.key(o.owner)),
                dash_list(&markdown_pairs(c, o.owner)),
                markdown_code(&c.key(o.of))
            )?;
        }
    }
    if !r.past.is_empty() {
        writeln!(out)?;
        writeln!(out, "**Past incidents**")?;
        for t in &r.past {
            let fields: Vec<String> = markdown_pairs(c, t.fact);
            writeln!(
                out,
                "- {} {} {} — {}",
                t.date.map_or("-".to_owned(), |d| d.to_string()),
                markdown_code(&c.key(t.fact)),
                term::markdown(c.entry(t.fact).name()),
                fields.join(", ")
            )?;
        }
    }
    if !r.notes.is_empty() {
        writeln!(out)?;
        writeln!(out, "**Notes**")?;
        for n in &r.notes {
            match n.entry {
                None => writeln!(out, "- :warning: {}", term::markdown(&n.text))?,
                Some(x) => writeln!(
                    out,
                    "- {}: {}",
                    markdown_code(&c.key(x)),
                    term::markdown(&n.text)
                )?,
            }
        }
    }
    let links = links(c, r);
    if !links.is_empty() {
        writeln!(out)?;
        let items: Vec<String> = links
            .iter()
            .filter(|(_, _, url)| url.starts_with("https://") || url.starts_with("http://"))
            .map(|(_, t, url)| {
                format!(
                    "[{}]({})",
                    term::markdown(t),
                    escape(url).replace(['(', ')', ' ', '<', '>', '\\'], "")
                )
            })
            .collect();
        writeln!(out, "**Links:** {}", items.join(" · "))?;
    }
    Ok(())
}

/// ` — a, b` after a name, or nothing when there are no items.
fn dash_list(items: &[String]) -> String {
    if items.is_empty() {
        String::new()
    } else {
        format!(" — {}", items.join(", "))
    }
}

/// An entry's summary fields as `key value` items, for human output.
fn text_pairs(c: &Catalog, e: EntryId) -> Vec<String> {
    summary_pairs(c, e)
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect()
}

/// An entry's summary fields as markdown items: the key escaped, the value as code.
fn markdown_pairs(c: &Catalog, e: EntryId) -> Vec<String> {
    summary_pairs(c, e)
        .iter()
        .map(|(k, v)| format!("{} {}", term::markdown(k), markdown_code(v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::json_keys;

    #[test]
    fn the_top_impacted_customers_by_arr_are_in_every_format() {
        let mut customers = String::new();
        for (id, arr) in [("a", 10), ("b", 30), ("c", 20), ("d", 30), ("e", 5)] {
            let _ = write!(
                customers,
                "---\ntype: Customer\nid: {id}\narr: {arr}\ncsm: {id}@x.io\nuses: [pay]\n"
            );
        }
        let (_d, c) = crate::load::test_catalog(&[
            ("schemas/service.yaml", "type: Service\n"),
            (
                "schemas/customer.yaml",
                "type: Customer\nschema:\n  properties:\n    arr: {type: integer}\n    csm: {type: string}\nrelations:\n  uses: {to: Service, many: true, impact: source}\nsummary: [arr, csm]\ntotals: [arr]\n",
            ),
            ("catalog/all.yaml", &format!("type: Service\nid: pay\n{customers}")),
        ]);
        let payload = serde_json::json!({"version": "4", "groupKey": "g", "status": "firing",
            "alerts": [{"labels": {"service": "pay"}}]});
        let r = crate::alert::route::route(&c, &payload, None).unwrap();
        // 30, 30 (b before d), then 20; 10 and 5 are left out.
        let v = serde_json::to_value(json(&c, &r)).unwrap();
        assert_eq!(v["top"][0]["type"], "Customer");
        assert_eq!(v["top"][0]["by"], "arr");
        let entries: Vec<(&str, i64, &str)> = v["top"][0]["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["entry"].as_str().unwrap(),
                    e["value"].as_i64().unwrap(),
                    e["summary"]["csm"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            entries,
            [
                ("Customer:b", 30, "b@x.io"),
                ("Customer:d", 30, "d@x.io"),
                ("Customer:c", 20, "c@x.io")
            ]
        );
        let mut md = Vec::new();
        markdown(&c, &r, &mut md).unwrap();
        let md = String::from_utf8(md).unwrap();
        assert!(
            md.contains("- top Customer by arr:\n  - `Customer:b` b — arr `30`, csm `b@x.io`\n  - `Customer:d`"),
            "{md}"
        );
        assert!(!md.contains("Customer:a` a —"), "{md}");
        let mut human = Vec::new();
        super::human(
            &c,
            &r,
            &mut human,
            Style {
                color: false,
                width: 100,
            },
        )
        .unwrap();
        let human = String::from_utf8(human).unwrap();
        assert!(
            human.contains("  top Customer by arr:\n    b  arr 30  csm b@x.io\n    d  "),
            "{human}"
        );
    }

    #[test]
    fn json_is_the_documented_route_object_with_owners_and_impact_rows() {
        let (_d, c) = crate::load::test_catalog(&[
            ("schemas/team.yaml", "type: Team\n"),
            (
                "schemas/service.yaml",
                "type: Service\nrelations:\n  owner: {to: Team, owner: true}\n  depends_on: {to: Service, many: true, impact: source}\n",
            ),
            (
                "catalog/all.yaml",
                "type: Team\nid: web\n---\ntype: Service\nid: pay\naliases: [pay-api]\nowner: web\n---\ntype: Service\nid: shop\nowner: web\ndepends_on: [pay]\n",
            ),
        ]);
        let payload = serde_json::json!({
            "version": "4", "groupKey": "g", "status": "firing",
            "alerts": [{"status": "firing", "labels": {"alertname": "Down", "service": "pay-api", "zone": "eu-1"}}],
        });
        let r = crate::alert::route::route(&c, &payload, None).unwrap();
        let doc = json(&c, &r);
        assert_eq!(
            json_keys(&doc),
            [
                "version",
                "source",
                "scanned",
                "alerts",
                "matches",
                "ambiguous",
                "unmatched",
                "owners",
                "impacted",
                "totals",
                "notes",
                "inform",
                "past_incidents",
                "top"
            ]
        );
        assert_eq!(json_keys(&doc.alerts[0]), ["title", "status", "severity"]);
        assert_eq!(
            json_keys(&doc.matches[0]),
            ["entry", "value", "path", "via", "key", "step", "within", "any_type"]
        );
        assert_eq!(json_keys(&doc.unmatched[0]), ["value", "path", "key"]);
        let v = serde_json::to_value(&doc).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["source"], "alertmanager");
        assert_eq!(v["matches"][0]["entry"], "Service:pay");
        assert_eq!(v["matches"][0]["via"], "alias");
        // The rows of `lore owners` and `lore impact`, field for field.
        let owners = serde_json::to_value(owner_json(&c, &r.owners[0])).unwrap();
        assert_eq!(v["owners"][0], owners);
        let impacted =
            serde_json::to_value(impacted_json(&c, &r.impact, &r.impact.impacted[0])).unwrap();
        assert_eq!(v["impacted"][0], impacted);
        assert_eq!(v["impacted"][0]["entry"], "Service:shop");
    }

    #[test]
    fn ambiguous_and_note_rows_keep_their_field_names() {
        let a = AmbiguousJson {
            value: "pay".into(),
            path: "$['labels']['app']".into(),
            key: Some("app".into()),
            candidates: vec!["Service:pay".into(), "Database:pay".into()],
        };
        assert_eq!(json_keys(&a), ["value", "path", "key", "candidates"]);
        let n = NoteJson {
            entry: None,
            text: "page the incident commander".into(),
        };
        assert_eq!(json_keys(&n), ["entry", "text"]);
    }
}

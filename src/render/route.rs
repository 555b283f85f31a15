//! Drawing a [`Route`]: one screen for a responder (most decisive first), the JSON of
//! DESIGN.md §10, and markdown for a chat channel.
//!
//! Payload values are attacker-controlled: every string drawn for a terminal or a chat
//! goes through [`escape_terminal`], so control and bidi characters cannot rewrite the
//! responder's screen.

use std::borrow::Cow;
use std::io::{self, Write};

use serde_json::{json, Map, Value};

use crate::alert::route::Route;
use crate::graph::{Catalog, EntryId};
use crate::query::{self, Owner};

/// Output formats of `route`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RouteFormat {
    /// One screen for a responder.
    Human,
    /// One JSON document (DESIGN.md §10).
    Json,
    /// Markdown to paste into a chat channel or an incident ticket.
    Markdown,
}

/// Control characters (C0, DEL, C1) and bidi controls as `\u{…}`; everything else as is.
pub fn escape_terminal(s: &str) -> Cow<'_, str> {
    fn bad(c: char) -> bool {
        c.is_control()
            || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    }
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if bad(c) {
                    format!("\\u{{{:04x}}}", c as u32)
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// The route as DESIGN.md §10's `route` object. Added fields: `matches[].key`,
/// `unmatched[].key`, `ambiguous`.
pub fn json(c: &Catalog, r: &Route) -> Value {
    json!({
        "version": 1,
        "source": r.found.source,
        "scanned": r.found.scanned,
        "alerts": r.found.alerts.iter().map(|a| json!({
            "title": a.title, "status": a.status, "severity": a.severity,
        })).collect::<Vec<_>>(),
        "matches": r.found.matches.iter().map(|m| json!({
            "entry": c.key(m.entry), "value": m.value, "path": m.path,
            "via": m.via.as_str(), "key": m.key,
        })).collect::<Vec<_>>(),
        "ambiguous": r.found.ambiguous.iter().map(|a| json!({
            "value": a.value, "path": a.path, "key": a.key,
            "candidates": a.candidates.iter().map(|&e| c.key(e)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "unmatched": r.found.unmatched.iter().map(|u| json!({
            "value": u.value, "path": u.path, "key": u.key,
        })).collect::<Vec<_>>(),
        "owners": r.owners.iter().map(|o| owner_json(c, o)).collect::<Vec<_>>(),
        "impacted": r.impact.impacted.iter().map(|i| json!({
            "entry": c.key(i.entry),
            "name": c.entries[i.entry].name(),
            "distance": i.distance,
            "chain": i.chain.iter().map(|&e| c.key(e)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "totals": r.impact.totals,
        "notes": r.notes.iter().map(|n| json!({
            "entry": n.entry.map(|e| c.key(e)), "text": n.text,
        })).collect::<Vec<_>>(),
    })
}

fn owner_json(c: &Catalog, o: &Owner) -> Value {
    let mut path: Vec<String> = o.path.iter().map(|s| c.key(s.entry)).collect();
    path.push(c.key(o.owner));
    json!({
        "of": c.key(o.of),
        "owner": c.key(o.owner),
        "name": c.entries[o.owner].name(),
        "summary": summary(c, o.owner).into_iter().collect::<Map<String, Value>>(),
        "path": path,
    })
}

/// The entry's type's `summary` attributes that it has, in the type's order.
fn summary(c: &Catalog, e: EntryId) -> Vec<(String, Value)> {
    let entry = &c.entries[e];
    c.types[entry.type_id]
        .summary
        .iter()
        .filter_map(|f| entry.value.get(f).map(|v| (f.clone(), v.clone())))
        .collect()
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => group_digits(&n.to_string()),
        other => other.to_string(),
    }
}

/// `2940000` → `2,940,000` (integers only; anything else as written).
fn group_digits(s: &str) -> String {
    let (sign, digits) = s.strip_prefix('-').map_or(("", s), |d| ("-", d));
    if digits.len() <= 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return s.to_owned();
    }
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    format!("{sign}{out}")
}

fn type_and_id(c: &Catalog, e: EntryId) -> String {
    let entry = &c.entries[e];
    format!("{} {}", c.types[entry.type_id].name, entry.id)
}

/// Links of the matched entries, then of their owners, each URL once.
fn links(c: &Catalog, r: &Route) -> Vec<(EntryId, String, String)> {
    let mut out: Vec<(EntryId, String, String)> = Vec::new();
    let entries = r
        .found
        .matches
        .iter()
        .map(|m| m.entry)
        .chain(r.owners.iter().map(|o| o.owner));
    for e in entries {
        let Some(Value::Array(items)) = c.entries[e].value.get("links") else {
            continue;
        };
        for item in items {
            let (Some(title), Some(url)) = (
                item.get("title").and_then(Value::as_str),
                item.get("url").and_then(Value::as_str),
            ) else {
                continue;
            };
            if out.iter().all(|(_, _, u)| u != url) {
                out.push((e, title.to_owned(), url.to_owned()));
            }
        }
    }
    out
}

/// Impacted entries by type, in first-reached order of types.
fn by_type(c: &Catalog, r: &Route) -> Vec<(String, Vec<EntryId>)> {
    let mut out: Vec<(String, Vec<EntryId>)> = Vec::new();
    for i in &r.impact.impacted {
        let t = &c.types[c.entries[i.entry].type_id].name;
        match out.iter_mut().find(|(n, _)| n == t) {
            Some((_, v)) => v.push(i.entry),
            None => out.push((t.clone(), vec![i.entry])),
        }
    }
    out
}

/// Non-zero totals as `Customer arr 2,940,000`.
fn totals_text(r: &Route) -> Vec<String> {
    let mut out = Vec::new();
    for (t, attrs) in &r.impact.totals {
        for (a, n) in attrs {
            if n.as_f64().is_some_and(|f| f != 0.0) {
                out.push(format!("{t} {a} {}", group_digits(&n.to_string())));
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

struct Style {
    color: bool,
}

impl Style {
    fn head(&self, s: &str) -> String {
        if self.color {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
    fn warn(&self, s: &str) -> String {
        if self.color {
            format!("\x1b[1;33m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
}

/// Names of at most `max` entries, then "and N more".
fn names_list(c: &Catalog, items: &[EntryId], max: usize) -> String {
    let mut s: Vec<String> = items
        .iter()
        .take(max)
        .map(|&e| c.entries[e].id.clone())
        .collect();
    if items.len() > max {
        s.push(format!("and {} more", items.len() - max));
    }
    s.join(", ")
}

const MAX_IMPACTED_NOTES: usize = 12;

/// One screen: the alert, what matched (and where), owners and how to reach them,
/// impact by type with totals, notes, links.
pub fn human(c: &Catalog, r: &Route, out: &mut dyn Write, color: bool) -> io::Result<()> {
    let st = Style { color };
    let e = |s: &str| escape_terminal(s).into_owned();
    writeln!(out, "{}  ({})", st.head("Alert"), e(&alert_line(r)))?;
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
            st.warn("Nothing in the catalog matches this alert.")
        )?;
    } else {
        writeln!(out, "{}", st.head("Matched"))?;
        let w = r
            .found
            .matches
            .iter()
            .map(|m| type_and_id(c, m.entry).chars().count())
            .max()
            .unwrap_or(0);
        for m in &r.found.matches {
            let named = match &m.key {
                Some(k) => format!("{}={}", e(k), e(&m.value)),
                None => e(&m.value),
            };
            writeln!(
                out,
                "  {:w$}  {} by {}  at {}",
                type_and_id(c, m.entry),
                named,
                m.via.as_str(),
                e(&m.path),
            )?;
        }
    }
    for a in &r.found.ambiguous {
        let cands: Vec<String> = a.candidates.iter().map(|&x| c.key(x)).collect();
        writeln!(
            out,
            "  {} `{}` at {} names several entries: {}",
            st.warn("ambiguous:"),
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
        writeln!(out, "{}", st.head(title))?;
        for u in shown.iter().take(20) {
            let named = match &u.key {
                Some(k) => format!("{}={}", e(k), e(&u.value)),
                None => e(&u.value),
            };
            let types: Vec<&str> = u.types.iter().map(|&t| c.types[t].name.as_str()).collect();
            let within = if types.is_empty() {
                String::new()
            } else {
                format!(" (no {} has this id or alias)", types.join(" or "))
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

    writeln!(out, "{}", st.head("Owners"))?;
    let mut by_owner: Vec<(EntryId, Vec<&Owner>)> = Vec::new();
    for o in &r.owners {
        match by_owner.iter_mut().find(|(x, _)| *x == o.owner) {
            Some((_, v)) => v.push(o),
            None => by_owner.push((o.owner, vec![o])),
        }
    }
    if by_owner.is_empty() {
        writeln!(out, "  none: the matched entries have no owner")?;
    }
    for (owner, of) in &by_owner {
        let reach: Vec<String> = summary(c, *owner)
            .iter()
            .map(|(k, v)| format!("{k} {}", scalar_text(v)))
            .collect();
        writeln!(
            out,
            "  {} ({})  {}",
            type_and_id(c, *owner),
            e(c.entries[*owner].name()),
            e(&reach.join("  "))
        )?;
        for o in of {
            if o.path.len() > 1 {
                writeln!(out, "    for {}", e(&query::explain(c, o)))?;
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
        head.push_str(&format!("; {}", totals.join(", ")));
    }
    writeln!(out, "{}", st.head(&head))?;
    if groups.is_empty() {
        writeln!(out, "  nothing else breaks with the matched entries")?;
    }
    let tw = groups.iter().map(|(t, _)| t.len()).max().unwrap_or(0);
    for (t, items) in &groups {
        writeln!(
            out,
            "  {t:tw$}  {:>3}  {}",
            items.len(),
            e(&names_list(c, items, 8))
        )?;
    }

    if !r.notes.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", st.head("Notes"))?;
        // Global notes and those of matched entries in full; of impacted ones, the first
        // few: they are in the JSON and markdown, and the screen is for deciding.
        let matched: Vec<EntryId> = r.found.matches.iter().map(|m| m.entry).collect();
        let mut hidden = 0;
        let mut impacted_shown = 0;
        for n in &r.notes {
            match n.entry {
                None => writeln!(out, "  {} {}", st.warn("!"), e(&n.text))?,
                Some(x) => {
                    if !matched.contains(&x) {
                        if impacted_shown == MAX_IMPACTED_NOTES {
                            hidden += 1;
                            continue;
                        }
                        impacted_shown += 1;
                    }
                    writeln!(out, "  - {}: {}", type_and_id(c, x), e(&n.text))?
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
        writeln!(out, "{}", st.head("Links"))?;
        for (x, title, url) in links {
            writeln!(out, "  {}  {}  {}", type_and_id(c, x), e(&title), e(&url))?;
        }
    }
    Ok(())
}

/// Payload text for markdown: escaped for the terminal and for markdown's special
/// characters, so an alert title cannot add links, mentions or formatting.
fn md(s: &str) -> String {
    let s = escape_terminal(s);
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(
            ch,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~'
        ) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// A code span that payload text cannot break out of.
fn code(s: &str) -> String {
    format!("`{}`", escape_terminal(s).replace('`', "'"))
}

/// Markdown for a chat channel: the alert, matches, owners with how to reach them,
/// impact and notes.
pub fn markdown(c: &Catalog, r: &Route, out: &mut dyn Write) -> io::Result<()> {
    let first = r.found.alerts.first();
    let title = first
        .and_then(|a| a.title.as_deref())
        .unwrap_or("(untitled alert)");
    let mut meta: Vec<String> = Vec::new();
    if let Some(a) = first {
        meta.extend(a.status.as_deref().map(md));
        meta.extend(a.severity.as_deref().map(md));
    }
    meta.push(md(&alert_line(r)));
    writeln!(out, "### {}", md(title))?;
    writeln!(out, "_{}_", meta.join(" · "))?;
    for a in r.found.alerts.iter().skip(1) {
        writeln!(
            out,
            "- also: {}",
            md(a.title.as_deref().unwrap_or("(untitled)"))
        )?;
    }
    writeln!(out)?;
    if r.found.matches.is_empty() {
        writeln!(
            out,
            "**Nothing in the catalog matches this alert.** Values tried:"
        )?;
        for u in r.found.unmatched.iter().take(20) {
            writeln!(out, "- {} at {}", code(&u.value), code(&u.path))?;
        }
        return Ok(());
    }
    writeln!(out, "**Matched**")?;
    for m in &r.found.matches {
        writeln!(
            out,
            "- {} ← {} at {}",
            code(&c.key(m.entry)),
            code(&m.value),
            code(&m.path)
        )?;
    }
    writeln!(out)?;
    writeln!(out, "**Owners**")?;
    let mut seen: Vec<EntryId> = Vec::new();
    for o in &r.owners {
        if seen.contains(&o.owner) {
            continue;
        }
        seen.push(o.owner);
        let reach: Vec<String> = summary(c, o.owner)
            .iter()
            .map(|(k, v)| format!("{k} {}", code(&scalar_text(v))))
            .collect();
        let of: Vec<String> = r
            .owners
            .iter()
            .filter(|x| x.owner == o.owner)
            .map(|x| code(&c.key(x.of)))
            .collect();
        writeln!(
            out,
            "- **{}** {} — {} (owns {})",
            escape_terminal(c.entries[o.owner].name()),
            code(&c.key(o.owner)),
            reach.join(", "),
            of.join(", ")
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
            "- {t} ({}): {}",
            items.len(),
            md(&names_list(c, items, 8))
        )?;
    }
    if !r.notes.is_empty() {
        writeln!(out)?;
        writeln!(out, "**Notes**")?;
        for n in &r.notes {
            match n.entry {
                None => writeln!(out, "- :warning: {}", escape_terminal(&n.text))?,
                Some(x) => writeln!(out, "- {}: {}", code(&c.key(x)), escape_terminal(&n.text))?,
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
                    escape_terminal(t),
                    url.replace(['(', ')', ' '], "")
                )
            })
            .collect();
        writeln!(out, "**Links:** {}", items.join(" · "))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_are_escaped() {
        assert_eq!(escape_terminal("plain"), "plain");
        assert_eq!(
            escape_terminal("a\u{202E}b\x1b[2Jc\n"),
            "a\\u{202e}b\\u{001b}[2Jc\\u{000a}"
        );
    }

    #[test]
    fn digits_are_grouped() {
        assert_eq!(group_digits("2940000"), "2,940,000");
        assert_eq!(group_digits("940"), "940");
        assert_eq!(group_digits("-1000"), "-1,000");
        assert_eq!(group_digits("1.5"), "1.5");
    }
}

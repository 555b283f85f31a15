//! route(alert): the payload's matches, then their owners, the impact of
//! the matches, and the notes that hold — type notes of matched and impacted entries,
//! then lore.yaml's global notes over the whole result.
//!
//! Output: a [`Route`], plain data for the renderers.

use serde_json::{json, Map, Value};

use super::{extract, sources, Extracted, SourceError};
use crate::expr::Scope;
use crate::graph::{Catalog, EntryId};
use crate::query::report::Touching;
use crate::query::{self, ImpactSet, Owner};

/// A note that holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RouteNote {
    /// The entry whose type note it is; `None` for lore.yaml's global notes.
    pub(crate) entry: Option<EntryId>,
    pub(crate) text: String,
}

/// Everything `lore route` answers.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    /// What the payload names: its source, alerts, matches and the values that matched nothing.
    pub(crate) found: Extracted,
    /// Owners of each match, in match order.
    pub(crate) owners: Vec<Owner>,
    pub(crate) impact: ImpactSet,
    /// Global notes first, then notes of matched entries, then of impacted ones.
    pub(crate) notes: Vec<RouteNote>,
    /// Notes that could not be evaluated, as messages (shown on stderr).
    pub(crate) warnings: Vec<String>,
    /// The latest incidents (up to [`PAST_INCIDENTS`]) touching a matched entry, by
    /// `lore incidents`' rules, newest first.
    pub(crate) past: Vec<Touching>,
    /// Owners of impacted entries that own none of the matches: teams to tell, not to
    /// page. Each owner once, by `Type:id`, with the path of its first impacted entry.
    pub(crate) inform: Vec<Owner>,
}

/// How many past incidents `route` shows.
pub(crate) const PAST_INCIDENTS: usize = 5;

/// Route a parsed payload. `forced` names the source (`--source`).
pub(crate) fn route(
    c: &Catalog,
    payload: &Value,
    forced: Option<&str>,
) -> Result<Route, SourceError> {
    let all = sources::all(c);
    let found = extract(c, &all, payload, forced)?;
    let roots: Vec<EntryId> = found.matches.iter().map(|m| m.entry).collect();
    let owners: Vec<Owner> = roots.iter().flat_map(|&e| query::owners(c, e)).collect();
    let impact = query::impact(c, &roots, None);
    let inform = inform(c, &owners, &impact);
    let past = past_incidents(c, &roots);
    let mut route = Route {
        found,
        owners,
        impact,
        notes: Vec::new(),
        warnings: Vec::new(),
        past,
        inform,
    };
    if !route.found.matches.is_empty() {
        global_notes(c, &mut route);
        entry_notes(c, &mut route);
    }
    Ok(route)
}

/// Owners of impacted entries that are not owners of the matches.
fn inform(c: &Catalog, paged: &[Owner], impact: &ImpactSet) -> Vec<Owner> {
    let paged: std::collections::HashSet<EntryId> = paged.iter().map(|o| o.owner).collect();
    let mut index = query::OwnerIndex::default();
    let mut seen: std::collections::HashSet<EntryId> = std::collections::HashSet::new();
    let mut out: Vec<Owner> = Vec::new();
    for i in &impact.impacted {
        for held in index.owners(c, i.entry) {
            if !paged.contains(&held.owner) && seen.insert(held.owner) {
                // The path only for the owners kept: one walk each.
                if let Some(o) = query::owners(c, i.entry)
                    .into_iter()
                    .find(|o| o.owner == held.owner)
                {
                    out.push(o);
                }
            }
        }
    }
    out.sort_by_cached_key(|o| c.key(o.owner));
    out
}

/// The latest incidents touching any of `roots`, each once, newest first.
fn past_incidents(c: &Catalog, roots: &[EntryId]) -> Vec<Touching> {
    let configured = c.config.incidents.as_ref();
    let Some(facts) = c.type_id(configured.map_or("Incident", |i| i.type_name.as_str())) else {
        return Vec::new();
    };
    let time = configured.and_then(|i| i.time.as_deref());
    let mut all: Vec<Touching> = Vec::new();
    for &r in roots {
        for t in query::report::incidents(c, facts, r, time, None) {
            if all.iter().all(|a| a.fact != t.fact) {
                all.push(t);
            }
        }
    }
    all.sort_by_cached_key(|t| std::cmp::Reverse((t.date.is_some(), t.date, c.key(t.fact))));
    all.truncate(PAST_INCIDENTS);
    all
}

/// The alert as notes see it: its first alert's title, severity and status.
fn alert_value(route: &Route) -> Value {
    let first = route.found.alerts.first().cloned().unwrap_or_default();
    json!({"title": first.title, "severity": first.severity, "status": first.status})
}

fn entry_notes(c: &Catalog, route: &mut Route) {
    let alert = alert_value(route);
    let involved: Vec<EntryId> = route
        .found
        .matches
        .iter()
        .map(|m| m.entry)
        .chain(route.impact.impacted.iter().map(|i| i.entry))
        .collect();
    for e in involved {
        let t = c.type_of(e);
        if t.notes.is_empty() {
            continue;
        }
        let entry = c.entry(e);
        let this = crate::model::entry::self_value(&entry.id, &entry.value);
        let scope = Scope::new(&[("self", &*this), ("alert", &alert)]);
        for note in &t.notes {
            match note.text_in(&scope) {
                Ok(Some(text)) => route.notes.push(RouteNote {
                    entry: Some(e),
                    text,
                }),
                Ok(None) => {}
                Err(err) => route.warnings.push(format!(
                    "a note of type {} failed for {}: {}",
                    t.name,
                    c.key(e),
                    err.message
                )),
            }
        }
    }
}

/// The variables global notes see: totals, matches, owners, impacted (each with the
/// entry's `fields`), alert.
pub(crate) fn note_variables(c: &Catalog, route: &Route) -> Vec<(&'static str, Value)> {
    let describe = |e: EntryId| {
        let entry = c.entry(e);
        json!({
            "entry": c.key(e),
            "type": c.type_def(entry.type_id).name,
            "id": entry.id,
            "name": entry.name(),
        })
    };
    let with = |mut v: Value, extra: Value| {
        if let (Value::Object(a), Value::Object(b)) = (&mut v, extra) {
            a.extend(b);
        }
        v
    };
    let matches: Vec<Value> = route
        .found
        .matches
        .iter()
        .map(|m| {
            with(
                describe(m.entry),
                json!({"value": m.value, "path": m.path, "via": m.via.as_str()}),
            )
        })
        .collect();
    let owners: Vec<Value> = route
        .owners
        .iter()
        .map(|o| {
            with(
                describe(o.owner),
                json!({"of": c.key(o.of), "owner": c.key(o.owner)}),
            )
        })
        .collect();
    let impacted: Vec<Value> = route
        .impact
        .impacted
        .iter()
        .map(|i| {
            with(
                describe(i.entry),
                json!({"distance": i.distance, "fields": c.entry(i.entry).value}),
            )
        })
        .collect();
    let totals: Map<String, Value> = route
        .impact
        .totals
        .iter()
        .map(|(t, attrs)| {
            let m: Map<String, Value> = attrs
                .iter()
                .map(|(a, n)| (a.clone(), Value::Number(n.clone())))
                .collect();
            (t.clone(), Value::Object(m))
        })
        .collect();
    let alert = alert_value(route);
    vec![
        ("totals", Value::Object(totals)),
        ("matches", Value::Array(matches)),
        ("owners", Value::Array(owners)),
        ("impacted", Value::Array(impacted)),
        ("alert", alert),
    ]
}

fn global_notes(c: &Catalog, route: &mut Route) {
    if c.config.alerts.notes.is_empty() {
        return;
    }
    let vars = note_variables(c, route);
    let refs: Vec<(&str, &Value)> = vars.iter().map(|(k, v)| (*k, v)).collect();
    let scope = Scope::new(&refs);
    for (i, note) in &c.config.alerts.notes {
        match note.text_in(&scope) {
            Ok(Some(text)) => route.notes.push(RouteNote { entry: None, text }),
            Ok(None) => {}
            Err(e) => route.warnings.push(format!(
                "lore.yaml alerts.notes[{i}] failed: {}; check the values it uses",
                e.message
            )),
        }
    }
}

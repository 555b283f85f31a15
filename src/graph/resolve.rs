//! References resolved into edges: `id`, alias or `Type:id`, with "did you mean" for
//! the ones that do not resolve.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;
use serde_json::Value;

use crate::diag::{at, closest, did_you_mean, Code, Diag, Loc};
use crate::graph::{Catalog, Edge, EntryId, Found};
use crate::model::{self, TypeId};
use crate::schema::escape;

/// Resolve every relation value into an edge; report the ones that do not resolve.
pub(super) fn resolve(c: &mut Catalog) {
    // Entries a task at a time: one edge list per task, not per entry (a million
    // entries' lists cost more than their edges).
    const CHUNK: usize = 1024;
    let suggestions = Suggestions::default();
    let n = c.len();
    let parts: Vec<(Vec<u32>, Vec<Edge>, Vec<Diag>)> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|k| {
            let (mut counts, mut edges, mut diags) = (Vec::new(), Vec::new(), Vec::new());
            for e in k * CHUNK..n.min((k + 1) * CHUNK) {
                let before = edges.len();
                resolve_entry(c, &suggestions, EntryId::new(e), &mut edges, &mut diags);
                counts.push(offset(edges.len() - before));
            }
            (counts, edges, diags)
        })
        .collect();
    // Entries in order, so the edges come sorted by source: `out_start` delimits them.
    let mut edges = Vec::with_capacity(parts.iter().map(|(_, es, _)| es.len()).sum());
    let mut out_start = Vec::with_capacity(n + 1);
    for (counts, mut es, ds) in parts {
        let mut at = offset(edges.len());
        for count in counts {
            out_start.push(at);
            at += count;
        }
        edges.append(&mut es);
        c.problems.extend(ds);
    }
    out_start.push(offset(edges.len()));
    c.graph.edges = edges;
    c.graph.out_start = out_start;
    c.graph.link_incoming();
}

fn offset(n: usize) -> u32 {
    u32::try_from(n).expect("fewer than 4G edges")
}

/// Resolve `e`'s relation values onto `edges`, its problems onto `diags`.
fn resolve_entry(
    c: &Catalog,
    s: &Suggestions,
    e: EntryId,
    edges: &mut Vec<Edge>,
    diags: &mut Vec<Diag>,
) {
    let entry = c.entry(e);
    let t = c.type_def(entry.type_id);
    for (r, rel) in t.relations.iter().enumerate() {
        let Some(value) = entry.relation(r, &rel.name) else {
            continue;
        };
        let items: Vec<(Option<u32>, &str)> = match value {
            Value::String(s) => vec![(None, s.as_str())],
            Value::Array(a) => a
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.as_str().map(|s| (Some(i as u32), s)))
                .collect(),
            _ => continue, // the schema reported it
        };
        let mut seen = HashSet::new();
        for (item, reference) in items {
            let pointer = match item {
                Some(i) => format!("/{}/{i}", escape(&rel.name)),
                None => format!("/{}", escape(&rel.name)),
            };
            match resolve_ref(c, s, rel, reference) {
                Ok(to) => {
                    if seen.insert(to) {
                        edges.push(Edge {
                            from: e,
                            to,
                            relation: r as u32,
                            item,
                        });
                    }
                }
                Err(d) => diags.push(Diag {
                    loc: at(entry.file, entry.doc, &pointer, false),
                    entry: Some(c.key(e)),
                    ..d
                }),
            }
        }
    }
}

/// "Team", "Service or Database", "Service, Database or Cluster".
fn type_list(c: &Catalog, ids: &[TypeId]) -> String {
    let names: Vec<&str> = ids.iter().map(|&t| c.type_def(t).name.as_str()).collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// Resolve one reference (`id`, alias, or `Type:id`) of relation `rel`.
// The error is the rare path; boxing it would only add an allocation per problem.
#[allow(clippy::result_large_err)]
fn resolve_ref(
    c: &Catalog,
    s: &Suggestions,
    rel: &model::Relation,
    reference: &str,
) -> Result<EntryId, Diag> {
    if let Some((t, rest)) = c.split_type(reference) {
        if !rel.to.contains(&t) {
            let why = format!(
                "`{}` takes {}, not {}",
                rel.name,
                type_list(c, &rel.to),
                c.type_def(t).name
            );
            return Err(wrong_type(c, rel, why));
        }
        return c
            .lookup(t, rest)
            .ok_or_else(|| dangling(c, s, &[t], rest, &rel.name));
    }
    match c.find(reference, &rel.to) {
        Found::One(e, _) => Ok(e),
        Found::None => {
            // Exists, but in a type the relation does not allow?
            let elsewhere = match c.find(reference, &[]) {
                Found::One(x, _) => Some(x),
                Found::Several(xs) => xs.first().copied(),
                Found::None => None,
            };
            if let Some(other) = elsewhere.map(|x| c.key(x)) {
                let why = format!(
                    "`{reference}` is {other}, but `{}` takes {}",
                    rel.name,
                    type_list(c, &rel.to)
                );
                return Err(wrong_type(c, rel, why));
            }
            Err(dangling(c, s, &rel.to, reference, &rel.name))
        }
        Found::Several(found) => {
            let candidates: Vec<String> =
                found.iter().map(|&x| format!("`{}`", c.key(x))).collect();
            Err(Diag::error(
                Code::AmbiguousRef,
                format!(
                    "`{reference}` matches several entries: {}",
                    candidates.join(", ")
                ),
                Loc::None,
            )
            .with_help(format!("write the type too, e.g. {}", candidates[0])))
        }
    }
}

fn wrong_type(c: &Catalog, rel: &model::Relation, why: String) -> Diag {
    Diag::error(Code::WrongTypeRef, why, Loc::None).with_help(format!(
        "point `{}` at an entry of type {}",
        rel.name,
        type_list(c, &rel.to)
    ))
}

/// "Did you mean" for dangling references, computed once per missing value and at most
/// for [`Suggestions::BUDGET`] values: each costs a scan of every id of the target types,
/// and a catalog with thousands of dangling references must still load in seconds.
#[derive(Default)]
struct Suggestions {
    memo: std::sync::Mutex<HashMap<SuggestionKey, Vec<String>>>,
}

/// The target types and the missing value.
type SuggestionKey = (Vec<TypeId>, String);

impl Suggestions {
    const BUDGET: usize = 200;

    fn get(&self, c: &Catalog, types: &[TypeId], reference: &str) -> Vec<String> {
        let key = (types.to_vec(), reference.to_owned());
        if let Some(found) = self.memo.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return found;
        }
        if self.memo.lock().map_or(true, |m| m.len() >= Self::BUDGET) {
            return Vec::new();
        }
        let mut candidates: Vec<&str> = Vec::new();
        for &t in types {
            candidates.extend(closest(
                reference,
                c.graph.index[t.index()].keys().map(String::as_str),
            ));
        }
        candidates.sort_unstable();
        candidates.dedup();
        let best: Vec<String> = closest(reference, candidates.iter().copied())
            .into_iter()
            .map(str::to_owned)
            .collect();
        if let Ok(mut m) = self.memo.lock() {
            m.insert(key, best.clone());
        }
        best
    }
}

fn dangling(
    c: &Catalog,
    s: &Suggestions,
    types: &[TypeId],
    reference: &str,
    relation: &str,
) -> Diag {
    let best = s.get(c, types, reference);
    let best: Vec<&str> = best.iter().map(String::as_str).collect();
    let help = did_you_mean(&best).unwrap_or_else(|| {
        format!(
            "add an entry of type {} with id `{reference}`, or fix the reference",
            type_list(c, types)
        )
    });
    Diag::error(
        Code::DanglingRef,
        format!(
            "`{relation}` refers to `{reference}`, but no {} has that id or alias",
            type_list(c, types)
        ),
        Loc::None,
    )
    .with_label("not found")
    .with_help(help)
}

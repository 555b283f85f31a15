//! Ids and aliases indexed per type; a clash is a problem naming both places.

use std::collections::{HashMap, HashSet};

use crate::diag::{at, Code, Diag};
use crate::graph::{Catalog, EntryId};

/// Index ids and aliases per type; report clashes naming both places.
pub(super) fn build_index(c: &mut Catalog) {
    let mut counts = vec![0usize; c.types().len()];
    for (_, e) in c.entries() {
        counts[e.type_id.index()] += 1 + e.aliases().count();
    }
    let mut index: Vec<HashMap<String, EntryId>> =
        counts.iter().map(|&n| HashMap::with_capacity(n)).collect();
    let mut problems = Vec::new();
    // Ids first, so an alias that equals another entry's id is the alias's problem.
    let mut drop = HashSet::new();
    for (e, entry) in c.entries() {
        let idx = &mut index[entry.type_id.index()];
        if let Some(&first) = idx.get(&entry.id) {
            let f = c.entry(first);
            let tname = &c.type_def(entry.type_id).name;
            problems.push(
                Diag::error(
                    Code::DuplicateId,
                    format!("duplicate id: {tname} `{}` is already defined", entry.id),
                    at(entry.file, entry.doc, "/id", false),
                )
                .with_related(at(f.file, f.doc, "/id", false), "first defined here")
                .with_entry(format!("{tname}:{}", entry.id))
                .with_help(
                    "ids are unique within a type: rename one of the entries, or merge them",
                ),
            );
            drop.insert(e);
        } else {
            idx.insert(entry.id.clone(), e);
        }
    }
    for (e, entry) in c.entries() {
        if drop.contains(&e) {
            continue;
        }
        for (k, alias) in entry.aliases().enumerate() {
            let idx = &mut index[entry.type_id.index()];
            match idx.get(alias) {
                Some(&other) if other == e => {}
                Some(&other) => {
                    let o = c.entry(other);
                    let tname = &c.type_def(entry.type_id).name;
                    let (what, related) = if o.id == alias {
                        ("the id", at(o.file, o.doc, "/id", false))
                    } else {
                        let pos = o.aliases().position(|a| a == alias).unwrap_or(0);
                        (
                            "an alias",
                            at(o.file, o.doc, &format!("/aliases/{pos}"), false),
                        )
                    };
                    problems.push(
                        Diag::error(
                            Code::DuplicateId,
                            format!(
                                "duplicate alias: `{alias}` is already {what} of {tname} `{}`",
                                o.id
                            ),
                            at(entry.file, entry.doc, &format!("/aliases/{k}"), false),
                        )
                        .with_related(related, "already used here")
                        .with_entry(format!("{tname}:{}", entry.id))
                        .with_help(
                            "an alias names one entry of its type only; remove it from one of them",
                        ),
                    );
                }
                None => {
                    idx.insert(alias.to_owned(), e);
                }
            }
        }
    }
    c.graph.index = index;
    c.problems.extend(problems);
}

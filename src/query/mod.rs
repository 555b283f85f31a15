//! Questions asked of a resolved catalog: which entry a REF names, who owns an entry
//! (and why), what else breaks when it does. Queries return plain data; renderers draw it.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde_json::{Number, Value};

use crate::diag::closest;
use crate::graph::{Catalog, EntryId, Found};
use crate::model::Impact;

pub mod browse;
pub mod diff;
pub mod stale;

/// Why a REF names no single entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefError {
    /// Nothing has this id or alias; the closest `Type:id`s.
    Unknown { suggestions: Vec<String> },
    /// Several entries answer to it, as `Type:id`.
    Ambiguous { candidates: Vec<String> },
    /// `Type:` names no type.
    UnknownType {
        name: String,
        suggestions: Vec<String>,
    },
}

impl RefError {
    /// A message that says what to do.
    pub fn message(&self, reference: &str) -> String {
        match self {
            RefError::Unknown { suggestions } if suggestions.is_empty() => {
                format!("no entry has the id or alias `{reference}`; try `lore search {reference}`")
            }
            RefError::Unknown { suggestions } => format!(
                "no entry has the id or alias `{reference}`; did you mean {}?",
                quote(suggestions).join(" or ")
            ),
            RefError::Ambiguous { candidates } => format!(
                "`{reference}` names several entries: {}; write one of them as Type:id",
                quote(candidates).join(", ")
            ),
            RefError::UnknownType { name, suggestions } if suggestions.is_empty() => {
                format!("there is no type `{name}`")
            }
            RefError::UnknownType { name, suggestions } => format!(
                "there is no type `{name}`; did you mean {}?",
                quote(suggestions).join(" or ")
            ),
        }
    }
}

fn quote(items: &[String]) -> Vec<String> {
    items.iter().map(|s| format!("`{s}`")).collect()
}

/// The entry a REF names: `Type:id`, an id, or an alias, in any type. An id wins over
/// an alias of another entry.
pub fn find(c: &Catalog, reference: &str) -> Result<EntryId, RefError> {
    if let Some((t, rest)) = c.split_type(reference) {
        return c.lookup(t, rest).ok_or_else(|| RefError::Unknown {
            suggestions: suggest(c, rest, Some(t)),
        });
    }
    if let Some((prefix, rest)) = reference.split_once(':') {
        if prefix.chars().next().is_some_and(char::is_uppercase) && !rest.is_empty() {
            let names: Vec<&str> = c.types.iter().map(|t| t.name.as_str()).collect();
            return Err(RefError::UnknownType {
                name: prefix.to_owned(),
                suggestions: closest(prefix, names.into_iter())
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
            });
        }
    }
    match c.find(reference, &[]) {
        Found::One(e, _) => Ok(e),
        Found::None => Err(RefError::Unknown {
            suggestions: suggest(c, reference, None),
        }),
        Found::Several(many) => Err(RefError::Ambiguous {
            candidates: many.iter().map(|&e| c.key(e)).collect(),
        }),
    }
}

fn suggest(c: &Catalog, wanted: &str, only: Option<usize>) -> Vec<String> {
    let keys: Vec<(String, EntryId)> = c
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| only.is_none_or(|t| e.type_id == t))
        .flat_map(|(i, e)| {
            std::iter::once(e.id.clone())
                .chain(e.aliases().map(str::to_owned))
                .map(move |k| (k, i))
        })
        .collect();
    let best = closest(wanted, keys.iter().map(|(k, _)| k.as_str()));
    let mut out: Vec<String> = best
        .iter()
        .filter_map(|b| keys.iter().find(|(k, _)| k == b).map(|(_, e)| c.key(*e)))
        .collect();
    out.dedup();
    out
}

/// One step of an explanation: the entry, and the relation followed out of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub entry: EntryId,
    pub relation: String,
}

/// An owner of an entry, with the path that explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub of: EntryId,
    pub owner: EntryId,
    /// From `of` to `owner`: each entry with the relation followed out of it.
    pub path: Vec<Step>,
}

/// owners(X): targets of X's `owner` relations; with none, the owners of X's `parent`
/// targets, recursively (DESIGN.md §4). Sorted by owner key; each owner once, by its
/// shortest path.
pub fn owners(c: &Catalog, of: EntryId) -> Vec<Owner> {
    let mut out: Vec<Owner> = Vec::new();
    // Breadth-first over parent links, so each owner comes with its shortest explanation.
    let mut queue: VecDeque<(EntryId, Vec<Step>)> = VecDeque::from([(of, Vec::new())]);
    let mut seen = vec![of];
    while let Some((e, path)) = queue.pop_front() {
        let t = &c.types[c.entries[e].type_id];
        let mut direct = false;
        for &ei in &c.outgoing[e] {
            let edge = c.edges[ei];
            let rel = &t.relations[edge.relation];
            if rel.owner {
                direct = true;
                if out.iter().all(|o| o.owner != edge.to) {
                    let mut p = path.clone();
                    p.push(Step {
                        entry: e,
                        relation: rel.name.clone(),
                    });
                    out.push(Owner {
                        of,
                        owner: edge.to,
                        path: p,
                    });
                }
            }
        }
        if direct {
            continue;
        }
        for &ei in &c.outgoing[e] {
            let edge = c.edges[ei];
            let rel = &t.relations[edge.relation];
            if rel.parent && !seen.contains(&edge.to) {
                seen.push(edge.to);
                let mut p = path.clone();
                p.push(Step {
                    entry: e,
                    relation: rel.name.clone(),
                });
                queue.push_back((edge.to, p));
            }
        }
    }
    if out.is_empty() && is_owner_type(c, c.entries[of].type_id) {
        // A team answers for itself: who owns Team payments is Team payments.
        out.push(Owner {
            of,
            owner: of,
            path: Vec::new(),
        });
    }
    out.sort_by_key(|o| (o.path.len(), c.key(o.owner)));
    out
}

/// Whether some `owner: true` relation points at type `t` (Team, usually).
pub fn is_owner_type(c: &Catalog, t: usize) -> bool {
    c.types
        .iter()
        .any(|ty| ty.relations.iter().any(|r| r.owner && r.to.contains(&t)))
}

/// `Feature checkout → parent Product storefront → owner Team web`.
pub fn explain(c: &Catalog, owner: &Owner) -> String {
    let mut s = String::new();
    for step in &owner.path {
        let e = &c.entries[step.entry];
        s.push_str(&format!(
            "{} {} → {} ",
            c.types[e.type_id].name, e.id, step.relation
        ));
    }
    let o = &c.entries[owner.owner];
    s.push_str(&format!("{} {}", c.types[o.type_id].name, o.id));
    s
}

/// An entry reached by impact edges.
#[derive(Debug, Clone, PartialEq)]
pub struct Impacted {
    pub entry: EntryId,
    pub distance: usize,
    /// From a root to this entry.
    pub chain: Vec<EntryId>,
}

/// What breaks when the roots break.
#[derive(Debug, Clone, PartialEq)]
pub struct ImpactSet {
    pub roots: Vec<EntryId>,
    /// Sorted by distance, then type, then id.
    pub impacted: Vec<Impacted>,
    /// Type -> attribute -> sum over roots and impacted, each entry once. Every declared
    /// total of every type is present.
    pub totals: BTreeMap<String, BTreeMap<String, Number>>,
}

/// The impact neighbours of `e`: entries that break when `e` breaks.
pub fn impact_next(c: &Catalog, e: EntryId) -> impl Iterator<Item = EntryId> + '_ {
    let forward = c.outgoing[e].iter().filter_map(move |&i| {
        let edge = c.edges[i];
        let rel = &c.types[c.entries[edge.from].type_id].relations[edge.relation];
        (rel.impact == Some(Impact::Target)).then_some(edge.to)
    });
    let backward = c.incoming[e].iter().filter_map(move |&i| {
        let edge = c.edges[i];
        let rel = &c.types[c.entries[edge.from].type_id].relations[edge.relation];
        (rel.impact == Some(Impact::Source)).then_some(edge.from)
    });
    forward.chain(backward)
}

/// impact(X): breadth-first over impact edges from every root, each entry once at its
/// shortest distance, up to `depth` steps (DESIGN.md §4). Cycles are harmless.
pub fn impact(c: &Catalog, roots: &[EntryId], depth: Option<usize>) -> ImpactSet {
    let mut parent: HashMap<EntryId, Option<EntryId>> = HashMap::new();
    let mut distance: HashMap<EntryId, usize> = HashMap::new();
    let mut queue = VecDeque::new();
    let mut roots_sorted = roots.to_vec();
    roots_sorted.sort_by_key(|&r| c.key(r));
    roots_sorted.dedup();
    for &r in &roots_sorted {
        parent.insert(r, None);
        distance.insert(r, 0);
        queue.push_back(r);
    }
    while let Some(e) = queue.pop_front() {
        let d = distance[&e];
        if depth.is_some_and(|max| d >= max) {
            continue;
        }
        let mut next: Vec<EntryId> = impact_next(c, e).collect();
        next.sort_unstable();
        next.dedup();
        for n in next {
            if let std::collections::hash_map::Entry::Vacant(v) = parent.entry(n) {
                v.insert(Some(e));
                distance.insert(n, d + 1);
                queue.push_back(n);
            }
        }
    }
    let mut impacted: Vec<Impacted> = distance
        .iter()
        .filter(|(_, &d)| d > 0)
        .map(|(&e, &d)| {
            let mut chain = vec![e];
            let mut at = e;
            while let Some(Some(p)) = parent.get(&at) {
                chain.push(*p);
                at = *p;
            }
            chain.reverse();
            Impacted {
                entry: e,
                distance: d,
                chain,
            }
        })
        .collect();
    impacted.sort_by_cached_key(|i| (i.distance, c.key(i.entry)));
    let totals = totals(
        c,
        roots_sorted
            .iter()
            .copied()
            .chain(impacted.iter().map(|i| i.entry)),
    );
    ImpactSet {
        roots: roots_sorted,
        impacted,
        totals,
    }
}

/// Sum every type's declared `totals` over `entries` (each counted once by the caller).
pub fn totals(
    c: &Catalog,
    entries: impl Iterator<Item = EntryId>,
) -> BTreeMap<String, BTreeMap<String, Number>> {
    #[derive(Default, Clone, Copy)]
    struct Sum {
        int: i128,
        float: f64,
        is_float: bool,
    }
    let mut sums: BTreeMap<(String, String), Sum> = BTreeMap::new();
    for t in &c.types {
        for attr in &t.totals {
            sums.insert((t.name.clone(), attr.clone()), Sum::default());
        }
    }
    for e in entries {
        let entry = &c.entries[e];
        let t = &c.types[entry.type_id];
        for attr in &t.totals {
            let Some(Value::Number(n)) = entry.value.get(attr) else {
                continue;
            };
            let sum = sums.entry((t.name.clone(), attr.clone())).or_default();
            if let Some(i) = n.as_i64() {
                sum.int += i128::from(i);
            } else if let Some(u) = n.as_u64() {
                sum.int += i128::from(u);
            } else if let Some(f) = n.as_f64() {
                sum.float += f;
                sum.is_float = true;
            }
        }
    }
    let mut out: BTreeMap<String, BTreeMap<String, Number>> = BTreeMap::new();
    for ((t, attr), s) in sums {
        let n = if s.is_float {
            Number::from_f64(s.float + s.int as f64).unwrap_or_else(|| Number::from(0))
        } else if let Ok(i) = i64::try_from(s.int) {
            Number::from(i)
        } else {
            Number::from_f64(s.int as f64).unwrap_or_else(|| Number::from(0))
        };
        out.entry(t).or_default().insert(attr, n);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org() -> (tempfile::TempDir, Catalog) {
        crate::load::test_catalog(&[
            ("schemas/team.yaml", "type: Team\n"),
            ("schemas/product.yaml", "type: Product\nrelations:\n  owner: {to: Team, owner: true}\n"),
            ("schemas/feature.yaml", "type: Feature\nrelations:\n  product: {to: Product, parent: true, impact: target}\n"),
            (
                "schemas/service.yaml",
                "type: Service\nrelations:\n  owner: {to: Team, owner: true}\n  depends_on: {to: Service, many: true, impact: source}\n  features: {to: Feature, many: true, impact: target}\n",
            ),
            (
                "schemas/customer.yaml",
                "type: Customer\nschema:\n  properties:\n    arr: {type: number}\nrelations:\n  products: {to: Product, many: true, impact: source}\ntotals: [arr]\n",
            ),
            (
                "catalog/all.yaml",
                "type: Team\nid: web\n---\ntype: Team\nid: payments\n---\ntype: Product\nid: storefront\nowner: web\n---\ntype: Feature\nid: checkout\nproduct: storefront\n---\ntype: Service\nid: pay\naliases: [checkout]\nowner: payments\nfeatures: [checkout]\ndepends_on: [ledger]\n---\ntype: Service\nid: ledger\nowner: payments\ndepends_on: [pay]\n---\ntype: Customer\nid: acme\narr: 1000\nproducts: [storefront]\n---\ntype: Customer\nid: globex\narr: 250\nproducts: [storefront]\n",
            ),
        ])
    }

    #[test]
    fn owners_are_inherited_through_parents_with_the_path() {
        let (_d, c) = org();
        let checkout = find(&c, "Feature:checkout").unwrap();
        let found = owners(&c, checkout);
        assert_eq!(found.len(), 1);
        assert_eq!(c.key(found[0].owner), "Team:web");
        assert_eq!(
            explain(&c, &found[0]),
            "Feature checkout → product Product storefront → owner Team web"
        );
        let pay = find(&c, "pay").unwrap();
        assert_eq!(
            explain(&c, &owners(&c, pay)[0]),
            "Service pay → owner Team payments"
        );
    }

    #[test]
    fn refs_prefer_ids_and_report_ambiguity_and_near_misses() {
        let (_d, c) = org();
        // `checkout` is a Feature id and a Service alias: the id wins.
        assert_eq!(c.key(find(&c, "checkout").unwrap()), "Feature:checkout");
        assert_eq!(c.key(find(&c, "Service:checkout").unwrap()), "Service:pay");
        match find(&c, "ledgr") {
            Err(RefError::Unknown { suggestions }) => assert_eq!(suggestions, ["Service:ledger"]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            find(&c, "Servce:pay"),
            Err(RefError::UnknownType { .. })
        ));
    }

    #[test]
    fn impact_follows_declared_directions_through_cycles() {
        let (_d, c) = org();
        let ledger = find(&c, "ledger").unwrap();
        let set = impact(&c, &[ledger], None);
        let got: Vec<(String, usize)> = set
            .impacted
            .iter()
            .map(|i| (c.key(i.entry), i.distance))
            .collect();
        assert_eq!(
            got,
            [
                ("Service:pay".to_owned(), 1),
                ("Feature:checkout".to_owned(), 2),
                ("Product:storefront".to_owned(), 3),
                ("Customer:acme".to_owned(), 4),
                ("Customer:globex".to_owned(), 4),
            ]
        );
        let acme = &set.impacted[3];
        let chain: Vec<String> = acme.chain.iter().map(|&e| c.key(e)).collect();
        assert_eq!(
            chain,
            [
                "Service:ledger",
                "Service:pay",
                "Feature:checkout",
                "Product:storefront",
                "Customer:acme"
            ]
        );
        assert_eq!(set.totals["Customer"]["arr"], Number::from(1250));
        let shallow = impact(&c, &[ledger], Some(2));
        assert_eq!(shallow.impacted.len(), 2);
        assert_eq!(
            shallow.totals["Customer"]["arr"],
            Number::from(0),
            "declared totals are always present"
        );
    }
}

//! Questions asked of a resolved catalog: which entry a REF names, who owns an entry
//! (and why), what else breaks when it does. Queries return plain data; renderers draw it.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt::Write as _;

use serde_json::Number;

use crate::diag::closest;
use crate::graph::{Catalog, Edge, EntryId, Found};
use crate::model::{Impact, Relation, TypeId};

pub(crate) mod browse;
pub(crate) mod diff;
pub(crate) mod report;
pub(crate) mod stale;

/// Why a REF names no single entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RefError {
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
    pub(crate) fn message(&self, reference: &str) -> String {
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
pub(crate) fn find(c: &Catalog, reference: &str) -> Result<EntryId, RefError> {
    if let Some((t, rest)) = c.split_type(reference) {
        return c.lookup(t, rest).ok_or_else(|| RefError::Unknown {
            suggestions: suggest(c, rest, Some(t)),
        });
    }
    if let Some((prefix, rest)) = reference.split_once(':') {
        if prefix.chars().next().is_some_and(char::is_uppercase) && !rest.is_empty() {
            let names: Vec<&str> = c.types().map(|(_, t)| t.name.as_str()).collect();
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

fn suggest(c: &Catalog, wanted: &str, only: Option<TypeId>) -> Vec<String> {
    let keys: Vec<(String, EntryId)> = c
        .entries()
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
pub(crate) struct Step {
    pub(crate) entry: EntryId,
    pub(crate) relation: String,
}

/// An owner of an entry, with the path that explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Owner {
    pub(crate) of: EntryId,
    pub(crate) owner: EntryId,
    /// From `of` to `owner`: each entry with the relation followed out of it.
    pub(crate) path: Vec<Step>,
}

/// owners(X): targets of X's `owner` relations; with none, the owners of X's `parent`
/// targets, recursively. Sorted by owner key; each owner once, by its
/// shortest path.
///
/// Linear in the entries it visits: breadth-first over parent links with a visited set,
/// each visited entry remembering the one that reached it, so a path is built only for
/// the owners found.
pub(crate) fn owners(c: &Catalog, of: EntryId) -> Vec<Owner> {
    // entry -> the parent edge that reached it.
    let mut reached: HashMap<EntryId, Option<&Edge>> = HashMap::from([(of, None)]);
    let mut queue: VecDeque<EntryId> = VecDeque::from([of]);
    let mut found: HashSet<EntryId> = HashSet::new();
    let mut out: Vec<Owner> = Vec::new();
    while let Some(e) = queue.pop_front() {
        let mut direct = false;
        for edge in owner_edges(c, e) {
            direct = true;
            if found.insert(edge.to) {
                out.push(Owner {
                    of,
                    owner: edge.to,
                    path: path_to(c, &reached, edge),
                });
            }
        }
        if direct {
            continue;
        }
        for edge in parent_edges(c, e) {
            if let std::collections::hash_map::Entry::Vacant(v) = reached.entry(edge.to) {
                v.insert(Some(edge));
                queue.push_back(edge.to);
            }
        }
    }
    if out.is_empty() && is_owner_type(c, c.entry(of).type_id) {
        // A team answers for itself: who owns Team payments is Team payments.
        out.push(Owner {
            of,
            owner: of,
            path: Vec::new(),
        });
    }
    out.sort_by_cached_key(|o| (o.path.len(), c.key(o.owner)));
    out
}

/// Each `owner: true` edge out of `e`.
fn owner_edges(c: &Catalog, e: EntryId) -> impl Iterator<Item = &Edge> + '_ {
    edges_out(c, e, |r| r.owner)
}

/// Each `parent: true` edge out of `e`.
fn parent_edges(c: &Catalog, e: EntryId) -> impl Iterator<Item = &Edge> + '_ {
    edges_out(c, e, |r| r.parent)
}

fn edges_out(
    c: &Catalog,
    e: EntryId,
    kind: fn(&Relation) -> bool,
) -> impl Iterator<Item = &Edge> + '_ {
    c.out(e).filter(move |edge| kind(c.relation(edge)))
}

/// The steps from the walk's start to the source of `last`, then `last` itself.
fn path_to(c: &Catalog, reached: &HashMap<EntryId, Option<&Edge>>, last: &Edge) -> Vec<Step> {
    let step = |edge: &Edge| Step {
        entry: edge.from,
        relation: c.relation(edge).name.clone(),
    };
    let mut path = vec![step(last)];
    let mut at = last.from;
    while let Some(Some(edge)) = reached.get(&at) {
        path.push(step(edge));
        at = edge.from;
    }
    path.reverse();
    path
}

/// An owner as [`OwnerIndex`] gives it: without the path, with its length and the entry
/// whose owner relation names the owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Held {
    pub(crate) owner: EntryId,
    /// Steps from the entry asked about: 1 for its own owner, 0 for a team that answers
    /// for itself.
    pub(crate) distance: usize,
    /// The entry whose owner relation names `owner` (the entry asked about, or the parent
    /// it inherits from).
    pub(crate) holder: EntryId,
}

/// The owners of many entries, each entry's computed once: an entry with no owner of its
/// own has its parents' owners, one step further. `list`, `stale` and `diff` ask about
/// every entry; walking up a long parent chain from each would be quadratic.
#[derive(Debug, Default)]
pub(crate) struct OwnerIndex {
    /// Owners through parent links, sorted as [`owners`] sorts them, without the
    /// answer a team gives for itself.
    memo: HashMap<EntryId, Vec<Held>>,
    /// Per type (by index): whether it has an owner or parent relation to walk, and
    /// whether it is an owner type ([`is_owner_type`]). Made on first use.
    kinds: Vec<(bool, bool)>,
}

impl OwnerIndex {
    /// The owners [`owners`] finds for `e`, in its order.
    pub(crate) fn owners(&mut self, c: &Catalog, e: EntryId) -> Vec<Held> {
        if self.kinds.is_empty() {
            self.kinds = c
                .types()
                .map(|(id, t)| {
                    let walks = t.relations.iter().any(|r| r.owner || r.parent);
                    (walks, is_owner_type(c, id))
                })
                .collect();
        }
        // An entry whose type has no owner or parent relation has no owner to reach and
        // needs no walk (a catalog's customers, most of it, say).
        let (walks, owner_type) = self.kinds[c.entry_type(e).index()];
        let mut found = if walks {
            match self.fill(c, e) {
                Some(()) => self.memo[&e].clone(),
                // A parent cycle (an invalid catalog): one exact walk, nothing remembered.
                None => owners(c, e)
                    .into_iter()
                    .filter(|o| !o.path.is_empty())
                    .map(|o| Held {
                        owner: o.owner,
                        distance: o.path.len(),
                        holder: o.path.last().map_or(e, |s| s.entry),
                    })
                    .collect(),
            }
        } else {
            Vec::new()
        };
        if found.is_empty() && owner_type {
            found.push(Held {
                owner: e,
                distance: 0,
                holder: e,
            });
        }
        found
    }

    /// Memoize `e` and the parents it depends on, parents first (an explicit stack: a
    /// chain can be longer than the call stack is deep). `None` on a parent cycle.
    fn fill(&mut self, c: &Catalog, e: EntryId) -> Option<()> {
        let mut stack: Vec<(EntryId, bool)> = vec![(e, false)];
        let mut open: HashSet<EntryId> = HashSet::new();
        while let Some(&(x, expanded)) = stack.last() {
            if self.memo.contains_key(&x) {
                stack.pop();
                continue;
            }
            let mut direct: Vec<Held> = Vec::new();
            for edge in owner_edges(c, x) {
                let owner = edge.to;
                if direct.iter().all(|h| h.owner != owner) {
                    direct.push(Held {
                        owner,
                        distance: 1,
                        holder: x,
                    });
                }
            }
            if !direct.is_empty() {
                direct.sort_by_cached_key(|h| c.key(h.owner));
                self.memo.insert(x, direct);
                stack.pop();
                continue;
            }
            if !expanded {
                if let Some(top) = stack.last_mut() {
                    top.1 = true;
                }
                open.insert(x);
                for p in parent_edges(c, x).map(|edge| edge.to) {
                    if open.contains(&p) {
                        return None;
                    }
                    if !self.memo.contains_key(&p) {
                        stack.push((p, false));
                    }
                }
                continue;
            }
            let mut best: HashMap<EntryId, Held> = HashMap::new();
            for p in parent_edges(c, x).map(|edge| edge.to) {
                for h in &self.memo[&p] {
                    let further = Held {
                        distance: h.distance + 1,
                        ..*h
                    };
                    best.entry(h.owner)
                        .and_modify(|b| {
                            if further.distance < b.distance {
                                *b = further;
                            }
                        })
                        .or_insert(further);
                }
            }
            let mut merged: Vec<Held> = best.into_values().collect();
            merged.sort_by_cached_key(|h| (h.distance, c.key(h.owner)));
            self.memo.insert(x, merged);
            open.remove(&x);
            stack.pop();
        }
        Some(())
    }
}

/// Whether some `owner: true` relation points at type `t` (Team, usually).
pub(crate) fn is_owner_type(c: &Catalog, t: TypeId) -> bool {
    c.types()
        .any(|(_, ty)| ty.relations.iter().any(|r| r.owner && r.to.contains(&t)))
}

/// `Feature checkout → parent Product storefront → owner Team web`.
pub(crate) fn explain(c: &Catalog, owner: &Owner) -> String {
    let mut s = String::new();
    for step in &owner.path {
        let e = c.entry(step.entry);
        let _ = write!(
            s,
            "{} {} → {} ",
            c.type_def(e.type_id).name,
            e.id,
            step.relation
        );
    }
    let o = c.entry(owner.owner);
    let _ = write!(s, "{} {}", c.type_def(o.type_id).name, o.id);
    s
}

/// An entry reached by impact edges.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Impacted {
    pub(crate) entry: EntryId,
    pub(crate) distance: usize,
    /// The entry that reached this one: a root at distance 1, else an impacted entry one
    /// step nearer. Following `via` back to a root gives the chain ([`ImpactSet::chain`]).
    pub(crate) via: EntryId,
    /// The root the chain starts from.
    pub(crate) root: EntryId,
    /// The chain's entry at distance 1 (this entry when it is at distance 1).
    pub(crate) first_hop: EntryId,
}

/// What breaks when the roots break. Each impacted entry holds the one that reached it,
/// not its whole chain: chains of a long dependency path would be quadratic in size.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ImpactSet {
    pub(crate) roots: Vec<EntryId>,
    /// Sorted by distance, then type, then id.
    pub(crate) impacted: Vec<Impacted>,
    /// Type -> attribute -> sum over roots and impacted, each entry once. Every declared
    /// total of every type is present.
    pub(crate) totals: BTreeMap<String, BTreeMap<String, Number>>,
    /// Per entry of the catalog: 1 + its place in `impacted`; 0 if not impacted, or
    /// [`REACHED`] (a root).
    place: Vec<u32>,
}

/// [`ImpactSet::place`] of a root, and of an entry reached while the walk runs.
const REACHED: u32 = u32::MAX;

impl ImpactSet {
    /// The entry's `via`, unless it is a root.
    fn via(&self, e: EntryId) -> Option<EntryId> {
        match self.place.get(e.index()) {
            Some(&p) if p != 0 && p != REACHED => Some(self.impacted[p as usize - 1].via),
            _ => None,
        }
    }

    /// From a root to `i.entry`, both included: `distance + 1` entries.
    #[cfg(test)]
    pub(crate) fn chain(&self, i: &Impacted) -> Vec<EntryId> {
        self.chain_tail(i, usize::MAX)
    }

    /// The last `max` entries of [`ImpactSet::chain`] (all of it when it is shorter),
    /// found in `max` steps.
    pub(crate) fn chain_tail(&self, i: &Impacted, max: usize) -> Vec<EntryId> {
        let mut out = vec![i.entry];
        let mut at = i.entry;
        while out.len() < max {
            match self.via(at) {
                Some(p) => {
                    out.push(p);
                    at = p;
                }
                None => break,
            }
        }
        out.reverse();
        out
    }
}

/// The impact neighbours of `e`: entries that break when `e` breaks.
pub(crate) fn impact_next(c: &Catalog, e: EntryId) -> impl Iterator<Item = EntryId> + '_ {
    let forward = c
        .out(e)
        .filter(move |edge| c.relation(edge).impact == Some(Impact::Target))
        .map(|edge| edge.to);
    let backward = c
        .into(e)
        .filter(move |edge| c.relation(edge).impact == Some(Impact::Source))
        .map(|edge| edge.from);
    forward.chain(backward)
}

/// impact(X): breadth-first over impact edges from every root, each entry once at its
/// shortest distance, up to `depth` steps. Cycles are harmless.
pub(crate) fn impact(c: &Catalog, roots: &[EntryId], depth: Option<usize>) -> ImpactSet {
    let mut roots_sorted = roots.to_vec();
    roots_sorted.sort_by_key(|&r| c.key(r));
    roots_sorted.dedup();
    // The entries reached, in the order reached (so by distance): also the queue, read
    // from `next` on, after the roots. Roots are never reached.
    let mut place = vec![0u32; c.len()];
    for &r in &roots_sorted {
        place[r.index()] = REACHED;
    }
    let mut impacted: Vec<Impacted> = Vec::new();
    let mut neighbours: Vec<EntryId> = Vec::new();
    // Once the catalog holds every edge in memory (asked again per entry: the index may
    // read them midway).
    let mut lists = None;
    let mut reach = |from: EntryId,
                     d: usize,
                     chain: Option<(EntryId, EntryId)>,
                     impacted: &mut Vec<Impacted>| {
        if depth.is_some_and(|max| d >= max) {
            return;
        }
        if lists.is_none() {
            lists = c.impact_lists();
        }
        neighbours.clear();
        if let Some(l) = lists {
            neighbours.extend_from_slice(l.next(from));
        } else {
            neighbours.extend(impact_next(c, from));
            neighbours.sort_unstable();
            neighbours.dedup();
        }
        for &n in &neighbours {
            if std::mem::replace(&mut place[n.index()], REACHED) == 0 {
                // Chains start at a root; the root and the first hop are the parent's.
                let (root, first_hop) = chain.unwrap_or((from, n));
                impacted.push(Impacted {
                    entry: n,
                    distance: d + 1,
                    via: from,
                    root,
                    first_hop,
                });
            }
        }
    };
    for &r in &roots_sorted {
        reach(r, 0, None, &mut impacted);
    }
    let mut next = 0;
    while let Some(i) = impacted.get(next) {
        let (from, d, chain) = (i.entry, i.distance, (i.root, i.first_hop));
        reach(from, d, Some(chain), &mut impacted);
        next += 1;
    }
    match c.key_ranks() {
        Some(rank) => sort_by_rank(&mut impacted, rank),
        None => impacted.sort_by_cached_key(|i| (i.distance, c.key(i.entry))),
    }
    let totals = totals(
        c,
        roots_sorted
            .iter()
            .copied()
            .chain(impacted.iter().map(|i| i.entry)),
    );
    for (n, i) in impacted.iter().enumerate() {
        place[i.entry.index()] = n as u32 + 1;
    }
    ImpactSet {
        roots: roots_sorted,
        impacted,
        totals,
        place,
    }
}

/// Sort `impacted` by distance, then by its entries' key `rank`, as a stable sort would.
/// Past a sixteenth of the catalog, two stable counting sorts (by rank, then by
/// distance) cost the catalog's size once instead of a comparison sort's log factor.
fn sort_by_rank(impacted: &mut Vec<Impacted>, rank: &[u32]) {
    if impacted.len().saturating_mul(16) < rank.len() {
        impacted.sort_by_key(|i| (i.distance, rank[i.entry.index()]));
        return;
    }
    /// `order` stably sorted by `key`, whose values are below `buckets`.
    fn counting(order: &[u32], buckets: usize, key: impl Fn(u32) -> usize) -> Vec<u32> {
        let mut start = vec![0u32; buckets + 1];
        for &i in order {
            start[key(i) + 1] += 1;
        }
        for b in 0..buckets {
            start[b + 1] += start[b];
        }
        let mut out = vec![0u32; order.len()];
        for &i in order {
            let slot = &mut start[key(i)];
            out[*slot as usize] = i;
            *slot += 1;
        }
        out
    }
    let all: Vec<u32> = (0..impacted.len() as u32).collect();
    let item = |i: u32| &impacted[i as usize];
    // Ranks are below the catalog's size (the index checks them).
    let by_rank = counting(&all, rank.len(), |i| rank[item(i).entry.index()] as usize);
    let deepest = impacted.iter().map(|i| i.distance).max().unwrap_or(0);
    let order = counting(&by_rank, deepest + 1, |i| item(i).distance);
    *impacted = order.into_iter().map(|i| item(i).clone()).collect();
}

/// Sum every type's declared `totals` over `entries` (each counted once by the caller).
pub(crate) fn totals(
    c: &Catalog,
    entries: impl Iterator<Item = EntryId>,
) -> BTreeMap<String, BTreeMap<String, Number>> {
    #[derive(Default, Clone, Copy)]
    struct Sum {
        int: i128,
        float: f64,
        is_float: bool,
    }
    // Per type, a sum per declared total.
    let mut sums: Vec<Vec<Sum>> = c
        .types()
        .map(|(_, t)| vec![Sum::default(); t.totals.len()])
        .collect();
    for e in entries {
        let t = c.entry_type(e);
        for (k, sum) in sums[t.index()].iter_mut().enumerate() {
            let Some(n) = c.total(e, k) else {
                continue;
            };
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
    let mut by_name: BTreeMap<(String, String), Sum> = BTreeMap::new();
    for ((_, t), type_sums) in c.types().zip(&sums) {
        for (attr, s) in t.totals.iter().zip(type_sums) {
            // A total listed twice counts twice, as it always has.
            let all = by_name.entry((t.name.clone(), attr.clone())).or_default();
            all.int += s.int;
            all.float += s.float;
            all.is_float |= s.is_float;
        }
    }
    let mut out: BTreeMap<String, BTreeMap<String, Number>> = BTreeMap::new();
    for ((t, attr), s) in by_name {
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
        let chain: Vec<String> = set.chain(acme).iter().map(|&e| c.key(e)).collect();
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

    proptest::proptest! {
        /// Both ways of [`sort_by_rank`] (counting past a sixteenth of the catalog,
        /// comparing below) order as a stable sort by distance and rank does, ties
        /// among equal ranks included.
        #[test]
        fn sort_by_rank_is_a_stable_sort_by_distance_and_rank(
            rank in proptest::collection::vec(0u32..40, 1..60),
            items in proptest::collection::vec((0usize..60, 0usize..4), 0..50),
        ) {
            let mut rank = rank;
            let n = rank.len();
            for r in &mut rank {
                *r %= n as u32;
            }
            let mut impacted: Vec<Impacted> = items
                .iter()
                .enumerate()
                .map(|(k, &(e, d))| Impacted {
                    entry: EntryId::new(e % n),
                    distance: d,
                    via: EntryId::new(k),
                    root: EntryId::new(0),
                    first_hop: EntryId::new(0),
                })
                .collect();
            let mut want = impacted.clone();
            want.sort_by_key(|i| (i.distance, rank[i.entry.index()]));
            sort_by_rank(&mut impacted, &rank);
            proptest::prop_assert_eq!(impacted, want);
        }
    }

    #[test]
    fn impact_lists_hold_each_entrys_impact_neighbours_once_in_order() {
        // The example catalog, and one whose lists repeat an entry (a many relation
        // naming it twice, and an edge each way between two entries).
        let (_d, small) = crate::load::test_catalog(&[
            ("schemas/s.yaml", "type: S\nrelations:\n  down: {to: S, many: true, impact: target}\n  up: {to: S, many: true, impact: source}\n  plain: {to: S}\n"),
            ("catalog/s.yaml", "type: S\nid: a\ndown: [c, b, c]\nup: [b]\nplain: c\n---\ntype: S\nid: b\ndown: [a]\n---\ntype: S\nid: c\nup: [a, a]\n"),
        ]);
        let example = crate::load::load(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
        let mut repeats = 0;
        for c in [&small, &example] {
            let lists = c.impact_lists().expect("a linked catalog holds every edge");
            for e in c.entry_ids() {
                let mut want: Vec<EntryId> = impact_next(c, e).collect();
                repeats += want.len();
                want.sort_unstable();
                want.dedup();
                repeats -= want.len();
                assert_eq!(lists.next(e), want, "{}", c.key(e));
            }
        }
        assert!(repeats > 0);
        let key = |e: EntryId| small.key(e);
        let a = small.lookup(small.type_id("S").unwrap(), "a").unwrap();
        let next: Vec<String> = small
            .impact_lists()
            .unwrap()
            .next(a)
            .iter()
            .map(|&e| key(e))
            .collect();
        assert_eq!(next, ["S:b", "S:c"]);
    }

    #[test]
    fn impacted_entries_hold_their_parent_and_chains_are_built_on_demand() {
        let (_d, c) = org();
        let ledger = find(&c, "ledger").unwrap();
        let set = impact(&c, &[ledger], None);
        let acme = &set.impacted[3];
        assert_eq!(c.key(acme.via), "Product:storefront");
        assert_eq!(c.key(acme.root), "Service:ledger");
        assert_eq!(c.key(acme.first_hop), "Service:pay");
        let tail: Vec<String> = set.chain_tail(acme, 2).iter().map(|&e| c.key(e)).collect();
        assert_eq!(tail, ["Product:storefront", "Customer:acme"]);
        assert_eq!(set.chain(acme).len(), acme.distance + 1);
        let pay = &set.impacted[0];
        assert_eq!(
            (pay.via, pay.root, pay.first_hop),
            (ledger, ledger, pay.entry)
        );
    }

    /// A `parent` chain of `n` Groups, the last one owned by Team t.
    fn parent_chain(n: usize) -> (tempfile::TempDir, Catalog) {
        let mut text = String::from("type: Team\nid: t\n");
        for i in 0..n {
            let _ = writeln!(text, "---\ntype: Group\nid: g{i}");
            if i == 0 {
                text.push_str("owner: t\n");
            } else {
                let _ = writeln!(text, "parent: g{}", i - 1);
            }
        }
        crate::load::test_catalog(&[
            ("schemas/team.yaml", "type: Team\n"),
            (
                "schemas/group.yaml",
                "type: Group\nrelations:\n  owner: {to: Team, owner: true}\n  parent: {to: Group, parent: true}\n",
            ),
            ("catalog/all.yaml", &text),
        ])
    }

    #[test]
    fn the_owner_index_answers_as_owners_does_and_once_per_entry() {
        for (_d, c) in [org(), parent_chain(300)] {
            let mut index = OwnerIndex::default();
            for e in c.entry_ids().rev() {
                let walked: Vec<(EntryId, usize)> = owners(&c, e)
                    .iter()
                    .map(|o| (o.owner, o.path.len()))
                    .collect();
                let held: Vec<(EntryId, usize)> = index
                    .owners(&c, e)
                    .iter()
                    .map(|h| (h.owner, h.distance))
                    .collect();
                assert_eq!(held, walked, "{}", c.key(e));
            }
            assert!(index.memo.len() <= c.len());
        }
        let (_d, c) = parent_chain(300);
        let last = find(&c, "g299").unwrap();
        let found = owners(&c, last);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path.len(), 300);
        assert_eq!(c.key(found[0].path[0].entry), "Group:g299");
        assert_eq!(found[0].path[299].relation, "owner");
    }

    #[test]
    fn the_owner_index_survives_a_parent_cycle() {
        // A cycle is a validation error, but the catalog still answers queries.
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in [
            ("schemas/team.yaml", "type: Team\n"),
            (
                "schemas/group.yaml",
                "type: Group\nrelations:\n  owner: {to: Team, owner: true}\n  parent: {to: Group, parent: true}\n",
            ),
            (
                "catalog/all.yaml",
                "type: Team\nid: t\n---\ntype: Group\nid: a\nparent: b\n---\ntype: Group\nid: b\nparent: a\n---\ntype: Group\nid: c\nparent: a\n---\ntype: Group\nid: d\nparent: b\nowner: t\n",
            ),
        ] {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let c = crate::load::load(dir.path()).unwrap();
        assert!(!c.problems.is_empty(), "the cycle is reported");
        let mut index = OwnerIndex::default();
        for e in c.entry_ids() {
            let walked: Vec<EntryId> = owners(&c, e).iter().map(|o| o.owner).collect();
            let held: Vec<EntryId> = index.owners(&c, e).iter().map(|h| h.owner).collect();
            assert_eq!(held, walked);
        }
    }
}

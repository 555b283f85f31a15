//! Questions that browse the catalog rather than answer an incident: one entry in full
//! (`show`), the entries of a type (`list`), fuzzy search across types (`search`) and
//! the relation graph or one neighbourhood of it (`graph`).
//!
//! Input: a resolved [`Catalog`]. Output: plain data holding [`EntryId`]s, sorted and
//! deterministic; the renderers in `crate::render` draw it. Owners and impact live in
//! `crate::query`.

use std::cmp::Ordering;
use std::collections::VecDeque;

use serde_json::Value;

use crate::expr::{Expr, ExprError, Scope};
use crate::graph::{Catalog, EdgeId, EntryId};
use crate::model::TypeId;
use crate::query::{self, Owner};
use crate::schema::ENVELOPE;

/// One side of a relation, seen from the entry being shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Link {
    /// Outgoing: the relation's name. Incoming: its inverse name (`owns`), or
    /// `<relation> of` when the relation declares no inverse.
    pub(crate) relation: String,
    /// The entry at the other end.
    pub(crate) entry: EntryId,
}

/// The last commit that touched an entry. Filled by the git history module; `show`
/// leaves it `None` until that exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LastChange {
    pub(crate) commit: String,
    pub(crate) author: String,
    /// ISO 8601 date.
    pub(crate) date: String,
    pub(crate) summary: String,
}

/// Everything `lore show` says about one entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Shown {
    pub(crate) entry: EntryId,
    /// The type's own attributes (not the envelope, not relations), sorted by name.
    pub(crate) fields: Vec<(String, Value)>,
    /// Relations out of the entry, in declaration order, then list order.
    pub(crate) outgoing: Vec<Link>,
    /// Relations into the entry, by inverse name, then `Type:id`.
    pub(crate) incoming: Vec<Link>,
    pub(crate) owners: Vec<Owner>,
    /// Set by the git history module; `None` here.
    pub(crate) last_change: Option<LastChange>,
}

/// `lore show`: the entry, its fields, its relations both ways and its owners.
pub(crate) fn show(c: &Catalog, e: EntryId) -> Shown {
    let entry = c.entry(e);
    let t = c.type_def(entry.type_id);
    let mut fields: Vec<(String, Value)> = match &entry.value {
        Value::Object(m) => m
            .iter()
            .filter(|(k, _)| !ENVELOPE.contains(&k.as_str()) && t.relation(k).is_none())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => Vec::new(),
    };
    fields.sort_by(|a, b| a.0.cmp(&b.0));

    // `out` is in declaration order, then list order.
    let outgoing = c
        .out(e)
        .map(|edge| Link {
            relation: c.relation(edge).name.clone(),
            entry: edge.to,
        })
        .collect();

    let mut incoming: Vec<Link> = c
        .into(e)
        .map(|edge| {
            let rel = c.relation(edge);
            Link {
                relation: rel
                    .inverse
                    .clone()
                    .unwrap_or_else(|| format!("{} of", rel.name)),
                entry: edge.from,
            }
        })
        .collect();
    incoming.sort_by_cached_key(|l| (l.relation.clone(), c.key(l.entry)));
    incoming.dedup();

    Shown {
        entry: e,
        fields,
        outgoing,
        incoming,
        owners: query::owners(c, e),
        last_change: None,
    }
}

/// The entries of a type that pass a filter.
#[derive(Debug, Default)]
pub(crate) struct Listed {
    /// Sorted by id.
    pub(crate) entries: Vec<EntryId>,
    /// Entries the filter could not be evaluated on (left out of `entries`), with why.
    pub(crate) failures: Vec<(EntryId, ExprError)>,
}

/// `lore list TYPE --where EXPR`: the entries of `t` for which `filter` (with the entry as
/// `self`) is true.
pub(crate) fn list(c: &Catalog, t: TypeId, filter: Option<&Expr>) -> Listed {
    let mut out = Listed::default();
    for (e, entry) in c.entries() {
        if entry.type_id != t {
            continue;
        }
        let Some(filter) = filter else {
            out.entries.push(e);
            continue;
        };
        let this = crate::model::entry::self_value(&entry.id, &entry.value);
        let scope = Scope::new(&[("self", &*this)]);
        match filter.eval_bool_in(&scope) {
            Ok(true) => out.entries.push(e),
            Ok(false) => {}
            Err(err) => out.failures.push((e, err)),
        }
    }
    out.entries
        .sort_by(|&a, &b| c.entry(a).id.cmp(&c.entry(b).id));
    out.failures
        .sort_by(|a, b| c.entry(a.0).id.cmp(&c.entry(b.0).id));
    out
}

/// Which field of an entry a search matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Field {
    Id,
    Alias,
    Name,
}

impl Field {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::Alias => "alias",
            Field::Name => "name",
        }
    }
}

/// How well a search matched, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Rank {
    /// The whole field, ignoring case.
    Exact,
    /// The field starts with the text.
    Prefix,
    /// The text is inside the field.
    Substring,
    /// Close in spelling (Jaro-Winkler similarity of at least 0.8).
    Fuzzy,
}

impl Rank {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Rank::Exact => "exact",
            Rank::Prefix => "prefix",
            Rank::Substring => "substring",
            Rank::Fuzzy => "fuzzy",
        }
    }
}

/// One search result: an entry and its best-matching field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Hit {
    pub(crate) entry: EntryId,
    pub(crate) field: Field,
    /// The field's value that matched (an id, an alias or the name).
    pub(crate) value: String,
    pub(crate) rank: Rank,
    /// Similarity in 0..=1 (1 for exact).
    pub(crate) score: f64,
}

const FUZZY_THRESHOLD: f64 = 0.8;

fn rate(text: &str, candidate: &str) -> Option<(Rank, f64)> {
    let lower: std::borrow::Cow<'_, str> = if candidate.chars().any(char::is_uppercase) {
        candidate.to_lowercase().into()
    } else {
        candidate.into()
    };
    // Jaro-Winkler is the costly part: only for ties and near misses.
    let rank = if *lower == *text {
        return Some((Rank::Exact, 1.0));
    } else if lower.starts_with(text) {
        Rank::Prefix
    } else if lower.contains(text) {
        Rank::Substring
    } else {
        let score = strsim::jaro_winkler(text, &lower);
        return (score >= FUZZY_THRESHOLD).then_some((Rank::Fuzzy, score));
    };
    Some((rank, strsim::jaro_winkler(text, &lower)))
}

fn better(c: &Catalog, a: &Hit, b: &Hit) -> Ordering {
    a.rank
        .cmp(&b.rank)
        .then(a.field.cmp(&b.field))
        .then(b.score.total_cmp(&a.score))
        .then(a.value.len().cmp(&b.value.len()))
        .then_with(|| c.key(a.entry).cmp(&c.key(b.entry)))
}

/// `lore search TEXT`: entries of any type whose id, alias or name matches `text`, ignoring
/// case; each entry once by its best field; exact before prefix before substring before
/// fuzzy, then id before alias before name, then closer spelling; at most `limit`.
pub(crate) fn search(c: &Catalog, text: &str, limit: usize) -> Vec<Hit> {
    let text = text.trim().to_lowercase();
    if text.is_empty() {
        return Vec::new();
    }
    let mut hits: Vec<Hit> = Vec::new();
    for (e, entry) in c.entries() {
        let name = entry.value.get("name").and_then(Value::as_str);
        let fields = std::iter::once((Field::Id, entry.id.as_str()))
            .chain(entry.aliases().map(|a| (Field::Alias, a)))
            .chain(name.map(|n| (Field::Name, n)));
        let mut best: Option<Hit> = None;
        for (field, value) in fields {
            let Some((rank, score)) = rate(&text, value) else {
                continue;
            };
            let hit = Hit {
                entry: e,
                field,
                value: value.to_owned(),
                rank,
                score,
            };
            if best
                .as_ref()
                .is_none_or(|b| better(c, &hit, b) == Ordering::Less)
            {
                best = Some(hit);
            }
        }
        hits.extend(best);
    }
    hits.sort_by(|a, b| better(c, a, b));
    hits.truncate(limit);
    hits
}

/// A part of the relation graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Graph {
    /// Sorted by `Type:id`.
    pub(crate) nodes: Vec<EntryId>,
    /// The edges between nodes, sorted by source, relation, target.
    pub(crate) edges: Vec<EdgeId>,
}

/// `lore graph`: the whole graph, or the entries within `depth` relation steps of `root`
/// (following edges both ways) and the edges between them.
pub(crate) fn graph(c: &Catalog, root: Option<EntryId>, depth: usize) -> Graph {
    let mut member = vec![root.is_none(); c.len()];
    if let Some(r) = root {
        member[r.index()] = true;
        let mut queue = VecDeque::from([(r, 0usize)]);
        while let Some((e, d)) = queue.pop_front() {
            if d >= depth {
                continue;
            }
            let next = c
                .out(e)
                .map(|edge| edge.to)
                .chain(c.into(e).map(|edge| edge.from));
            for n in next {
                if !member[n.index()] {
                    member[n.index()] = true;
                    queue.push_back((n, d + 1));
                }
            }
        }
    }
    let keys: Vec<Option<String>> = c
        .entry_ids()
        .map(|e| member[e.index()].then(|| c.key(e)))
        .collect();
    let key = |e: EntryId| keys[e.index()].as_deref().unwrap_or_default();
    let mut nodes: Vec<EntryId> = c.entry_ids().filter(|e| member[e.index()]).collect();
    nodes.sort_by(|&a, &b| key(a).cmp(key(b)));
    let rel_name = |i: EdgeId| c.relation(c.edge(i)).name.as_str();
    let mut edges: Vec<EdgeId> = nodes
        .iter()
        .flat_map(|&e| c.out_ids(e))
        .filter(|&i| member[c.edge(i).to.index()])
        .collect();
    edges.sort_by(|&a, &b| {
        let (ea, eb) = (c.edge(a), c.edge(b));
        key(ea.from)
            .cmp(key(eb.from))
            .then(rel_name(a).cmp(rel_name(b)))
            .then(key(ea.to).cmp(key(eb.to)))
    });
    edges.dedup_by(|a, b| {
        let (ea, eb) = (c.edge(*a), c.edge(*b));
        ea.from == eb.from && ea.to == eb.to && rel_name(*a) == rel_name(*b)
    });
    Graph { nodes, edges }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org() -> (tempfile::TempDir, Catalog) {
        crate::load::test_catalog(&[
            ("schemas/team.yaml", "type: Team\n"),
            (
                "schemas/service.yaml",
                "type: Service\nschema:\n  properties:\n    tier: {enum: [1, 2, 3]}\nrelations:\n  owner: {to: Team, owner: true, inverse: owns}\n  depends_on: {to: Service, many: true, impact: source}\n",
            ),
            (
                "catalog/all.yaml",
                "type: Team\nid: payments\nname: Payments\n---\ntype: Team\nid: web\n---\ntype: Service\nid: pay\nname: Payments API\naliases: [payments-api]\ntier: 1\nowner: payments\ndepends_on: [ledger]\n---\ntype: Service\nid: ledger\ntier: 2\nowner: payments\n---\ntype: Service\nid: paywall\ntier: 3\nowner: web\n",
            ),
        ])
    }

    #[test]
    fn show_names_relations_both_ways_with_inverse_names() {
        let (_d, c) = org();
        let ledger = query::find(&c, "ledger").unwrap();
        let s = show(&c, ledger);
        assert_eq!(s.fields, [("tier".to_owned(), Value::from(2))]);
        let out: Vec<(String, String)> = s
            .outgoing
            .iter()
            .map(|l| (l.relation.clone(), c.key(l.entry)))
            .collect();
        assert_eq!(out, [("owner".to_owned(), "Team:payments".to_owned())]);
        let inc: Vec<(String, String)> = s
            .incoming
            .iter()
            .map(|l| (l.relation.clone(), c.key(l.entry)))
            .collect();
        // depends_on declares no inverse: "depends_on of".
        assert_eq!(
            inc,
            [("depends_on of".to_owned(), "Service:pay".to_owned())]
        );
        let team = show(&c, query::find(&c, "Team:payments").unwrap());
        let owns: Vec<String> = team
            .incoming
            .iter()
            .map(|l| format!("{} {}", l.relation, c.key(l.entry)))
            .collect();
        assert_eq!(owns, ["owns Service:ledger", "owns Service:pay"]);
        assert!(s.last_change.is_none());
    }

    #[test]
    fn list_filters_with_cel_and_keeps_evaluation_failures_apart() {
        let (_d, c) = org();
        let t = c.type_id("Service").unwrap();
        let all = list(&c, t, None);
        let ids: Vec<&str> = all
            .entries
            .iter()
            .map(|&e| c.entry(e).id.as_str())
            .collect();
        assert_eq!(ids, ["ledger", "pay", "paywall"]);
        let tier = Expr::compile("self.tier <= 2").unwrap();
        let some = list(&c, t, Some(&tier));
        assert_eq!(some.entries.len(), 2);
        let missing = Expr::compile("self.depends_on.size() > 0").unwrap();
        let partial = list(&c, t, Some(&missing));
        assert_eq!(partial.entries.len(), 1);
        assert_eq!(partial.failures.len(), 2, "no depends_on field on two");
    }

    #[test]
    fn search_ranks_exact_then_prefix_then_substring_then_fuzzy() {
        let (_d, c) = org();
        let got: Vec<(String, &str)> = search(&c, "pay", 20)
            .iter()
            .map(|h| (c.key(h.entry), h.rank.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("Service:pay".to_owned(), "exact"),
                ("Service:paywall".to_owned(), "prefix"),
                ("Team:payments".to_owned(), "prefix"),
            ]
        );
        let hits = search(&c, "PAYMENTS", 20);
        assert_eq!(c.key(hits[0].entry), "Team:payments");
        assert_eq!(hits[0].field, Field::Id);
        // The alias is exact for Service:pay, after the exact id.
        assert_eq!(c.key(hits[1].entry), "Service:pay");
        assert_eq!(hits[1].field, Field::Alias);
        let fuzzy = search(&c, "ledgr", 20);
        assert_eq!(fuzzy[0].rank, Rank::Fuzzy);
        assert_eq!(c.key(fuzzy[0].entry), "Service:ledger");
        assert!(search(&c, "zzzz", 20).is_empty());
        assert_eq!(search(&c, "a", 2).len(), 2);
    }

    #[test]
    fn graph_neighbourhoods_go_both_ways_and_stop_at_depth() {
        let (_d, c) = org();
        let ledger = query::find(&c, "ledger").unwrap();
        let keys = |g: &Graph| g.nodes.iter().map(|&e| c.key(e)).collect::<Vec<_>>();
        let one = graph(&c, Some(ledger), 1);
        assert_eq!(
            keys(&one),
            ["Service:ledger", "Service:pay", "Team:payments"]
        );
        assert_eq!(
            one.edges.len(),
            3,
            "pay→ledger, pay→payments, ledger→payments"
        );
        let zero = graph(&c, Some(ledger), 0);
        assert_eq!(keys(&zero), ["Service:ledger"]);
        let all = graph(&c, None, 0);
        assert_eq!(all.nodes.len(), c.len());
        assert_eq!(all.edges.len(), c.edge_count());
    }
}

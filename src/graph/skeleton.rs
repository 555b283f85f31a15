//! The catalog's graph without its entries' values: each entry's type, id, place in key
//! order and declared totals, and the edges. A command that walks most of a large
//! catalog (routing an alert that impacts most of it) needs only this, and the on-disk
//! index holds it as a few columns of fixed-width numbers that read in one pass, where
//! the entries' values would have to be parsed one by one.
//!
//! [`encode`] makes the columns of a linked catalog; [`decode`] reads them back and
//! checks every number against the index's header and the types, so that a damaged
//! column is only ever a miss.

use serde_json::{Number, Value};

use super::{Edge, Graph};
use crate::model::entry::{Entry, EntryId};
use crate::model::{TypeDef, TypeId};

/// The columns, in the order they are written and read.
pub(crate) const COLUMNS: [&str; 6] = ["types", "id_ends", "ids", "ranks", "edges", "totals"];

/// An edge's `item` when it has none.
const NO_ITEM: u32 = u32::MAX;

/// A total's tags: absent (or not a number), then the three kinds of JSON number.
const ABSENT: u8 = 0;
const INT: u8 = 1;
const UINT: u8 = 2;
const FLOAT: u8 = 3;
/// Bytes per total: its tag and eight bytes of number.
const TOTAL: usize = 9;

/// What [`decode`] reads: every entry's type, id, key rank and totals, and the edges
/// both ways.
pub(crate) struct Skeleton {
    types: Vec<TypeId>,
    /// Entry `e`'s id is `ids[id_ends[e - 1]..id_ends[e]]` (from 0 for the first).
    id_ends: Vec<u32>,
    ids: String,
    /// Entry `e`'s place among the entries sorted by `Type:id` (equal keys share one).
    pub(crate) ranks: Vec<u32>,
    /// Entry `e`'s totals, one per total its type declares, are
    /// `totals[total_start[e]..total_start[e + 1]]`.
    total_start: Vec<u32>,
    totals: Vec<Option<Number>>,
    /// The edges, out and in; no entries, no names.
    pub(crate) graph: Graph,
}

impl Skeleton {
    pub(crate) fn type_id(&self, e: EntryId) -> TypeId {
        self.types[e.index()]
    }

    pub(crate) fn id(&self, e: EntryId) -> &str {
        let start = match e.index() {
            0 => 0,
            i => self.id_ends[i - 1] as usize,
        };
        // Checked by `decode`: in order, within `ids`, on character boundaries.
        &self.ids[start..self.id_ends[e.index()] as usize]
    }

    /// The entry's `k`th declared total, when the entry holds a number there.
    pub(crate) fn total(&self, e: EntryId, k: usize) -> Option<&Number> {
        let (start, end) = (self.total_start[e.index()], self.total_start[e.index() + 1]);
        self.totals[start as usize..end as usize].get(k)?.as_ref()
    }
}

fn u32s(numbers: impl Iterator<Item = u32>) -> Vec<u8> {
    numbers.flat_map(u32::to_le_bytes).collect()
}

/// The number an entry holds at `attr`, as [`Skeleton::total`] gives it back.
pub(crate) fn total_of<'e>(entry: &'e Entry, attr: &str) -> Option<&'e Number> {
    match entry.value.get(attr) {
        Some(Value::Number(n)) => Some(n),
        _ => None,
    }
}

/// The columns of `entries` and `edges` (sorted by source), in [`COLUMNS`] order.
pub(crate) fn encode(entries: &[Entry], edges: &[Edge], types: &[TypeDef]) -> Vec<Vec<u8>> {
    let type_ids = u32s(entries.iter().map(|e| e.type_id.index() as u32));
    let mut ids = Vec::new();
    let mut ends = Vec::with_capacity(entries.len());
    for e in entries {
        ids.extend_from_slice(e.id.as_bytes());
        ends.push(u32::try_from(ids.len()).unwrap_or(u32::MAX));
    }
    let id_ends = u32s(ends.into_iter());
    // Dense ranks of `Type:id`: equal keys (an invalid catalog's duplicates) rank alike,
    // so a stable sort by rank keeps their order as a stable sort by key does.
    let key = |i: u32| {
        let e = &entries[i as usize];
        (types[e.type_id.index()].name.as_str(), e.id.as_str())
    };
    let mut order: Vec<u32> = (0..entries.len() as u32).collect();
    {
        use rayon::prelude::*;
        order.par_sort_unstable_by(|&a, &b| super::key_order(key(a), key(b)));
    }
    let mut ranks = vec![0u32; entries.len()];
    let mut rank = 0u32;
    for (n, &i) in order.iter().enumerate() {
        if n > 0 && key(order[n - 1]) != key(i) {
            rank = n as u32;
        }
        ranks[i as usize] = rank;
    }
    let ranks = u32s(ranks.into_iter());
    let mut edge_bytes = Vec::with_capacity(edges.len() * 12);
    for edge in edges {
        for n in [
            edge.to.index() as u32,
            edge.relation,
            edge.item.unwrap_or(NO_ITEM),
        ] {
            edge_bytes.extend_from_slice(&n.to_le_bytes());
        }
    }
    let mut totals = Vec::new();
    for e in entries {
        for attr in &types[e.type_id.index()].totals {
            let (tag, bytes) = match total_of(e, attr) {
                Some(n) => {
                    if let Some(i) = n.as_i64() {
                        (INT, i.to_le_bytes())
                    } else if let Some(u) = n.as_u64() {
                        (UINT, u.to_le_bytes())
                    } else {
                        (FLOAT, n.as_f64().unwrap_or(0.0).to_le_bytes())
                    }
                }
                None => (ABSENT, [0; 8]),
            };
            totals.push(tag);
            totals.extend_from_slice(&bytes);
        }
    }
    vec![type_ids, id_ends, ids, ranks, edge_bytes, totals]
}

/// What [`decode`] checks the columns against: the header's counts and edge ranges, and
/// per type, how many relations and totals it declares.
pub(crate) struct Shape<'a> {
    pub(crate) entries: usize,
    pub(crate) out_start: &'a [u32],
    pub(crate) relations: &'a [usize],
    pub(crate) totals: &'a [usize],
}

fn read_u32s(bytes: &[u8], count: usize) -> Option<Vec<u32>> {
    if bytes.len() != count.checked_mul(4)? {
        return None;
    }
    Some(
        bytes
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
    )
}

/// The skeleton from its columns (in [`COLUMNS`] order), or `None` if any number in them
/// is out of range or any column has the wrong length. (The index reads its columns
/// through [`decode_types`], [`decode_edges`] and [`decode_rest`], the edges on another
/// thread.)
#[cfg(test)]
pub(crate) fn decode(columns: Vec<Vec<u8>>, shape: &Shape<'_>) -> Option<Skeleton> {
    let [types, id_ends, ids, ranks, edges, totals]: [Vec<u8>; 6] = columns.try_into().ok()?;
    let types = decode_types(&types, shape)?;
    let graph = decode_edges(&edges, &types, shape)?;
    decode_rest(types, graph, [id_ends, ids, ranks, totals], shape)
}

/// Each entry's type, checked against the number of types.
pub(crate) fn decode_types(types: &[u8], shape: &Shape<'_>) -> Option<Vec<TypeId>> {
    if shape.out_start.len() != shape.entries + 1 {
        return None;
    }
    read_u32s(types, shape.entries)?
        .into_iter()
        .map(|t| ((t as usize) < shape.relations.len()).then(|| TypeId::new(t as usize)))
        .collect()
}

/// The edges both ways, each target and relation checked.
pub(crate) fn decode_edges(edges: &[u8], types: &[TypeId], shape: &Shape<'_>) -> Option<Graph> {
    let n = shape.entries;
    let edge_count = *shape.out_start.last()? as usize;
    let edge_words = read_u32s(edges, edge_count.checked_mul(3)?)?;
    let mut out = Vec::with_capacity(edge_count);
    for (from, window) in shape.out_start.windows(2).enumerate() {
        let relations = shape.relations[types.get(from)?.index()];
        for w in edge_words
            .get(window[0] as usize * 3..window[1] as usize * 3)?
            .chunks_exact(3)
        {
            let (to, relation, item) = (w[0], w[1], w[2]);
            if to as usize >= n || relation as usize >= relations {
                return None;
            }
            out.push(Edge {
                from: EntryId::new(from),
                to: EntryId::new(to as usize),
                relation,
                item: (item != NO_ITEM).then_some(item),
            });
        }
    }
    if out.len() != edge_count {
        return None;
    }
    let mut graph = Graph {
        edges: out,
        out_start: shape.out_start.to_vec(),
        ..Graph::default()
    };
    graph.link_incoming_of(n);
    Some(graph)
}

/// The skeleton from its types and edges and the other columns (`id_ends`, `ids`,
/// `ranks`, `totals`), each checked.
pub(crate) fn decode_rest(
    types: Vec<TypeId>,
    graph: Graph,
    [id_ends, ids, ranks, totals]: [Vec<u8>; 4],
    shape: &Shape<'_>,
) -> Option<Skeleton> {
    let n = shape.entries;
    let ids = String::from_utf8(ids).ok()?;
    let id_ends = read_u32s(&id_ends, n)?;
    let mut at = 0u32;
    for &end in &id_ends {
        if end < at || !ids.is_char_boundary(end as usize) {
            return None;
        }
        at = end;
    }
    if at as usize != ids.len() {
        return None;
    }
    let ranks = read_u32s(&ranks, n)?;
    if ranks.iter().any(|&r| r as usize >= n) {
        return None;
    }
    let mut total_start = Vec::with_capacity(n + 1);
    let mut slots = 0usize;
    for t in &types {
        total_start.push(u32::try_from(slots).ok()?);
        slots += shape.totals[t.index()];
    }
    total_start.push(u32::try_from(slots).ok()?);
    if totals.len() != slots.checked_mul(TOTAL)? {
        return None;
    }
    let totals = totals
        .chunks_exact(TOTAL)
        .map(|b| {
            let bytes: [u8; 8] = b[1..].try_into().ok()?;
            Some(match b[0] {
                ABSENT => None,
                INT => Some(Number::from(i64::from_le_bytes(bytes))),
                UINT => Some(Number::from(u64::from_le_bytes(bytes))),
                FLOAT => Some(Number::from_f64(f64::from_le_bytes(bytes))?),
                _ => return None,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Skeleton {
        types,
        id_ends,
        ids,
        ranks,
        total_start,
        totals,
        graph,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Catalog;

    /// Duplicate ids (an invalid catalog), ids that sort across the `:`, totals of every
    /// kind and none, a list relation.
    fn catalog() -> (tempfile::TempDir, Catalog) {
        let dir = crate::load::test_files(&[
            ("schemas/team.yaml", "type: Team\n"),
            ("schemas/team2.yaml", "type: Team2\n"),
            (
                "schemas/customer.yaml",
                "type: Customer\nschema:\n  properties:\n    arr: {}\n    seats: {}\nrelations:\n  teams: {to: [Team, Team2], many: true}\ntotals: [arr, seats]\n",
            ),
            (
                "catalog/all.yaml",
                "type: Team\nid: b\n---\ntype: Team2\nid: a\n---\ntype: Team\nid: b\n---\ntype: Team\nid: '2'\n---\ntype: Customer\nid: x\narr: 5\nseats: 2.5\nteams: [Team2:a, '2']\n---\ntype: Customer\nid: y\narr: 18446744073709551615\nseats: many\n---\ntype: Customer\nid: z\narr: -3\n",
            ),
        ]);
        let c = crate::load::load(dir.path()).unwrap();
        // The one problem is the duplicate.
        assert_eq!(c.problems.len(), 1, "{:?}", c.problems);
        (dir, c)
    }

    fn shape(c: &Catalog) -> (Vec<usize>, Vec<usize>) {
        (
            c.types.iter().map(|t| t.relations.len()).collect(),
            c.types.iter().map(|t| t.totals.len()).collect(),
        )
    }

    #[test]
    fn columns_read_back_as_the_catalog_holds_them() {
        let (_d, c) = catalog();
        let (relations, totals) = shape(&c);
        let s = decode(
            encode(&c.graph.entries, &c.graph.edges, &c.types),
            &Shape {
                entries: c.len(),
                out_start: &c.graph.out_start,
                relations: &relations,
                totals: &totals,
            },
        )
        .expect("the columns of a catalog decode");
        for e in c.entry_ids() {
            assert_eq!(s.type_id(e), c.entry_type(e));
            assert_eq!(s.id(e), c.entry(e).id);
            for k in 0..2 {
                assert_eq!(s.total(e, k), c.total(e, k), "{} total {k}", c.key(e));
            }
            let edges = |g: &Graph| -> Vec<String> {
                g.out(e)
                    .iter()
                    .chain(g.in_ids(e).iter().map(|&i| g.edge(i)))
                    .map(|x| format!("{x:?}"))
                    .collect()
            };
            assert_eq!(edges(&s.graph), edges(&c.graph));
        }
        let customer = c.type_id("Customer").unwrap();
        let y = c.lookup(customer, "y").unwrap();
        assert_eq!(s.total(y, 0), Some(&Number::from(u64::MAX)));
        assert_eq!(s.total(y, 1), None, "not a number");
        assert!(s.total(y, 2).is_none(), "no third total");
        // Ranks order entries as their keys do; equal keys rank alike.
        for a in c.entry_ids() {
            for b in c.entry_ids() {
                assert_eq!(
                    s.ranks[a.index()].cmp(&s.ranks[b.index()]),
                    c.key(a).cmp(&c.key(b)),
                    "{} {}",
                    c.key(a),
                    c.key(b)
                );
            }
        }
    }

    #[test]
    fn a_column_that_does_not_fit_the_shape_is_refused() {
        let (_d, c) = catalog();
        let (relations, totals) = shape(&c);
        let good = encode(&c.graph.entries, &c.graph.edges, &c.types);
        let shape = Shape {
            entries: c.len(),
            out_start: &c.graph.out_start,
            relations: &relations,
            totals: &totals,
        };
        assert!(decode(good.clone(), &shape).is_some());
        // One byte more or less of each column, and one column fewer.
        for column in 0..COLUMNS.len() {
            let mut longer = good.clone();
            longer[column].push(0);
            assert!(
                decode(longer, &shape).is_none(),
                "{} longer",
                COLUMNS[column]
            );
            let mut shorter = good.clone();
            shorter[column].pop();
            assert!(
                decode(shorter, &shape).is_none(),
                "{} shorter",
                COLUMNS[column]
            );
        }
        assert!(decode(good[1..].to_vec(), &shape).is_none());
        // A type with fewer totals than the columns hold.
        let fewer: Vec<usize> = totals.iter().map(|&n| n.saturating_sub(1)).collect();
        let other = Shape {
            totals: &fewer,
            ..shape
        };
        assert!(decode(good, &other).is_none());
    }
}

//! The resolved catalog: types, entries, and the edges between them in both directions.
//!
//! Input: the checked entries of every file ([`crate::check`]). Output: a [`Catalog`]
//! whose ids and aliases are indexed per type, whose references are resolved into
//! [`Edge`]s, and whose ownership cycles are reported.

mod cycles;
mod index;
mod resolve;
mod skeleton;
pub(crate) mod stored;

use std::collections::HashMap;
use std::path::PathBuf;

use crate::config::Config;
use crate::diag::{Diag, Severity};
pub(crate) use crate::model::entry::{Entry, EntryId};
use crate::model::{Impact, Relation, TypeDef, TypeId};
use crate::span::SourceMap;

/// A resolved reference: `from`'s relation [`Catalog::relation`] names `to`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Edge {
    pub(crate) from: EntryId,
    pub(crate) to: EntryId,
    /// The relation's place in the `from` type's relations.
    relation: u32,
    /// Position in the list, for `many` relations.
    pub(crate) item: Option<u32>,
}

/// An edge of the catalog: its place in the edge list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct EdgeId(u32);

impl EdgeId {
    fn new(index: usize) -> EdgeId {
        EdgeId(u32::try_from(index).expect("fewer than 4G edges"))
    }

    /// Its place in the edge list, for tables indexed by edge.
    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }
}

/// How a name found its entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    Id,
    Alias,
}

impl Via {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Via::Id => "id",
            Via::Alias => "alias",
        }
    }
}

/// What [`Catalog::find`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Found {
    One(EntryId, Via),
    /// Several entries answer equally well, sorted by `Type:id`.
    Several(Vec<EntryId>),
    None,
}

/// A loaded catalog.
pub(crate) struct Catalog {
    pub(crate) root: PathBuf,
    pub(crate) config: Config,
    pub(crate) sources: SourceMap,
    /// Number of entry files read.
    pub(crate) files: usize,
    /// How many of them came from the cache.
    #[cfg(test)]
    pub(crate) cache_hits: usize,
    pub(crate) problems: Vec<Diag>,
    types: Vec<TypeDef>,
    graph: Graph,
    type_by_name: HashMap<String, TypeId>,
    /// Set when the catalog is answered from the on-disk index: then `graph` is empty,
    /// and every accessor asks it.
    stored: Option<Box<stored::Stored>>,
    /// See [`Catalog::impact_lists`].
    impact_lists: std::sync::OnceLock<ImpactLists>,
}

/// Per entry, the entries that break when it breaks (the targets of its `impact:
/// target` relations, the sources of `impact: source` relations into it), sorted, each
/// once: what an impact walk over most of the catalog reads, one list per entry, where
/// following the edges would look up each edge's source and relation.
pub(crate) struct ImpactLists {
    start: Vec<u32>,
    next: Vec<EntryId>,
}

impl ImpactLists {
    /// What breaks when `e` breaks.
    pub(crate) fn next(&self, e: EntryId) -> &[EntryId] {
        &self.next[self.start[e.index()] as usize..self.start[e.index() + 1] as usize]
    }
}

/// Entries and the edges between them, in memory: a linked catalog's, or the on-disk
/// index's once it is read in full.
#[derive(Default)]
struct Graph {
    entries: Vec<Entry>,
    /// Sorted by source entry: the edges out of `e` are `edges[out_start[e]..out_start[e + 1]]`.
    edges: Vec<Edge>,
    out_start: Vec<u32>,
    /// The edges into `e` are `in_edges[in_start[e]..in_start[e + 1]]`, in edge order.
    in_edges: Vec<EdgeId>,
    in_start: Vec<u32>,
    /// Per type: id or alias -> entry.
    index: Vec<HashMap<String, EntryId>>,
}

impl Graph {
    fn entry(&self, e: EntryId) -> &Entry {
        &self.entries[e.index()]
    }

    fn edge(&self, id: EdgeId) -> &Edge {
        &self.edges[id.index()]
    }

    fn out_range(&self, e: EntryId) -> std::ops::Range<usize> {
        self.out_start[e.index()] as usize..self.out_start[e.index() + 1] as usize
    }

    fn out(&self, e: EntryId) -> &[Edge] {
        &self.edges[self.out_range(e)]
    }

    fn in_ids(&self, e: EntryId) -> &[EdgeId] {
        &self.in_edges[self.in_start[e.index()] as usize..self.in_start[e.index() + 1] as usize]
    }

    fn lookup(&self, t: TypeId, key: &str) -> Option<EntryId> {
        self.index.get(t.index())?.get(key).copied()
    }

    /// `in_edges` and `in_start` from `edges`: incoming edges by target, in edge order
    /// (a counting sort).
    fn link_incoming(&mut self) {
        self.link_incoming_of(self.entries.len());
    }

    /// [`Graph::link_incoming`] for `n` entries, which this graph need not hold.
    fn link_incoming_of(&mut self, n: usize) {
        let mut in_start = vec![0u32; n + 1];
        for edge in &self.edges {
            in_start[edge.to.index() + 1] += 1;
        }
        for i in 0..n {
            in_start[i + 1] += in_start[i];
        }
        let mut next = in_start.clone();
        let mut in_edges = vec![EdgeId::new(0); self.edges.len()];
        for (i, edge) in self.edges.iter().enumerate() {
            let slot = &mut next[edge.to.index()];
            in_edges[*slot as usize] = EdgeId::new(i);
            *slot += 1;
        }
        self.in_edges = in_edges;
        self.in_start = in_start;
    }
}

/// What the loader hands to [`link`]: the checked types and entries, and what it found
/// on the way.
pub(crate) struct Unlinked {
    pub(crate) root: PathBuf,
    pub(crate) config: Config,
    pub(crate) sources: SourceMap,
    pub(crate) types: Vec<TypeDef>,
    pub(crate) type_by_name: HashMap<String, TypeId>,
    pub(crate) entries: Vec<Entry>,
    pub(crate) files: usize,
    #[cfg(test)]
    pub(crate) cache_hits: usize,
    pub(crate) problems: Vec<Diag>,
}

impl Catalog {
    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        match &self.stored {
            Some(s) => s.len(),
            None => self.graph.entries.len(),
        }
    }

    /// A catalog answered from the on-disk index: `u` holds lore.yaml, the types and the
    /// entry files (unread), and no entries; `stored` answers for them.
    pub(crate) fn from_stored(u: Unlinked, stored: stored::Stored) -> Catalog {
        Catalog::unlinked(u, Some(Box::new(stored)))
    }

    /// `u`'s parts, with no edges or names yet.
    fn unlinked(u: Unlinked, stored: Option<Box<stored::Stored>>) -> Catalog {
        Catalog {
            root: u.root,
            config: u.config,
            sources: u.sources,
            files: u.files,
            #[cfg(test)]
            cache_hits: u.cache_hits,
            problems: u.problems,
            types: u.types,
            graph: Graph {
                entries: u.entries,
                ..Graph::default()
            },
            type_by_name: u.type_by_name,
            stored,
            impact_lists: std::sync::OnceLock::new(),
        }
    }

    /// Whether this catalog is answered from the on-disk index.
    #[cfg(test)]
    pub(crate) fn is_stored(&self) -> bool {
        self.stored.is_some()
    }

    /// See [`stored::Stored::set_budget`].
    #[cfg(test)]
    pub(crate) fn set_budget(&self, first: usize, second: usize) {
        if let Some(s) = &self.stored {
            s.set_budget(first, second);
        }
    }

    /// Whether the on-disk index this catalog is answered from has read its skeleton
    /// (see [`stored::Stored::set_budget`]).
    #[cfg(test)]
    pub(crate) fn read_skeleton(&self) -> bool {
        self.stored.as_ref().is_some_and(|s| s.has_skeleton())
    }

    /// Whether the on-disk index this catalog is answered from has been read whole (or
    /// the catalog loaded in full in its place).
    #[cfg(test)]
    pub(crate) fn read_graph(&self) -> bool {
        self.stored.as_ref().is_some_and(|s| s.has_full())
    }

    /// Whether the on-disk index this catalog is answered from reads whole (see
    /// [`stored::Stored::read_all`]).
    #[cfg(test)]
    pub(crate) fn reads_whole(&self) -> bool {
        self.stored.as_ref().is_some_and(|s| s.read_all().is_some())
    }

    /// The [`FileId`] of the first entry file: files before it are lore.yaml and the
    /// type definitions.
    pub(crate) fn first_entry_file(&self) -> u32 {
        (self.sources.len() - self.files) as u32
    }

    /// Number of edges.
    #[cfg(test)]
    pub(crate) fn edge_count(&self) -> usize {
        self.graph.edges.len()
    }

    pub(crate) fn entry(&self, e: EntryId) -> &Entry {
        match &self.stored {
            Some(s) => s.entry(e),
            None => self.graph.entry(e),
        }
    }

    /// Every entry, in load order (files in path order, documents in file order).
    pub(crate) fn entries(
        &self,
    ) -> impl DoubleEndedIterator<Item = (EntryId, &Entry)> + ExactSizeIterator + '_ {
        if let Some(s) = &self.stored {
            s.fill();
        }
        self.entry_ids().map(|e| (e, self.entry(e)))
    }

    /// The ids of [`Catalog::entries`].
    pub(crate) fn entry_ids(&self) -> impl DoubleEndedIterator<Item = EntryId> + ExactSizeIterator {
        (0..self.len()).map(EntryId::new)
    }

    pub(crate) fn type_def(&self, t: TypeId) -> &TypeDef {
        &self.types[t.index()]
    }

    /// Every type, sorted by name.
    pub(crate) fn types(&self) -> impl ExactSizeIterator<Item = (TypeId, &TypeDef)> + '_ {
        self.types
            .iter()
            .enumerate()
            .map(|(i, t)| (TypeId::new(i), t))
    }

    /// The type of an entry.
    pub(crate) fn type_of(&self, e: EntryId) -> &TypeDef {
        self.type_def(self.entry_type(e))
    }

    /// The type of an entry, which the on-disk index answers without reading the entry.
    pub(crate) fn entry_type(&self, e: EntryId) -> TypeId {
        match &self.stored {
            Some(s) => s.type_id(e),
            None => self.graph.entry(e).type_id,
        }
    }

    /// The `k`th total the entry's type declares, when the entry holds a number there
    /// (the on-disk index answers without reading the entry).
    pub(crate) fn total(&self, e: EntryId, k: usize) -> Option<&serde_json::Number> {
        if let Some(s) = self.stored.as_ref().and_then(|s| s.skeleton()) {
            return s.total(e, k);
        }
        let entry = self.entry(e);
        skeleton::total_of(entry, self.type_def(entry.type_id).totals.get(k)?)
    }

    /// Each entry's place in `Type:id` order (equal keys share one), when known without
    /// reading the keys: a sort by it is a sort by [`Catalog::key`].
    pub(crate) fn key_ranks(&self) -> Option<&[u32]> {
        Some(&self.stored.as_ref()?.skeleton()?.ranks)
    }

    pub(crate) fn type_id(&self, name: &str) -> Option<TypeId> {
        self.type_by_name.get(name).copied()
    }

    pub(crate) fn edge(&self, id: EdgeId) -> &Edge {
        match &self.stored {
            Some(s) => s.edge(id),
            None => self.graph.edge(id),
        }
    }

    /// The relation an edge follows, declared by the type of its source.
    pub(crate) fn relation(&self, edge: &Edge) -> &Relation {
        &self.type_of(edge.from).relations[edge.relation as usize]
    }

    /// See [`ImpactLists`]: made once, when every edge is in memory (a linked catalog, or
    /// the index's skeleton or whole graph read); `None` while the index answers one
    /// row at a time, so that a small walk reads only what it visits.
    pub(crate) fn impact_lists(&self) -> Option<&ImpactLists> {
        if self.stored.as_ref().is_some_and(|s| !s.edges_in_memory()) {
            return None;
        }
        Some(self.impact_lists.get_or_init(|| self.make_impact_lists()))
    }

    /// [`ImpactLists`] in two passes over the edges: a count per entry, then the lists,
    /// each sorted and its repeats dropped.
    fn make_impact_lists(&self) -> ImpactLists {
        let directions: Vec<Vec<Option<Impact>>> = self
            .types
            .iter()
            .map(|t| t.relations.iter().map(|r| r.impact).collect())
            .collect();
        // Each impact edge as (entry, what breaks when it breaks).
        let each = |f: &mut dyn FnMut(EntryId, EntryId)| {
            for e in self.entry_ids() {
                let relations = &directions[self.entry_type(e).index()];
                for edge in self.out_slice(e) {
                    match relations[edge.relation as usize] {
                        Some(Impact::Target) => f(e, edge.to),
                        Some(Impact::Source) => f(edge.to, e),
                        None => {}
                    }
                }
            }
        };
        let n = self.len();
        let mut start = vec![0u32; n + 1];
        each(&mut |from, _| start[from.index() + 1] += 1);
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut next = vec![EntryId::new(0); start[n] as usize];
        each(&mut |from, to| {
            let slot = &mut fill[from.index()];
            next[*slot as usize] = to;
            *slot += 1;
        });
        // Sorted and deduplicated in place, list by list, moved down over the repeats.
        let mut kept = 0usize;
        for i in 0..n {
            let (a, b) = (start[i] as usize, start[i + 1] as usize);
            start[i] = kept as u32;
            next[a..b].sort_unstable();
            let mut last = None;
            for j in a..b {
                if last != Some(next[j]) {
                    last = Some(next[j]);
                    next[kept] = next[j];
                    kept += 1;
                }
            }
        }
        start[n] = kept as u32;
        next.truncate(kept);
        ImpactLists { start, next }
    }

    /// The edges out of `e`, in the order of its type's relations, then list order.
    pub(crate) fn out(&self, e: EntryId) -> impl ExactSizeIterator<Item = &Edge> + '_ {
        self.out_slice(e).iter()
    }

    fn out_slice(&self, e: EntryId) -> &[Edge] {
        match &self.stored {
            Some(s) => s.out(e),
            None => self.graph.out(e),
        }
    }

    /// The ids of the edges into `e`.
    fn in_slice(&self, e: EntryId) -> &[EdgeId] {
        match &self.stored {
            Some(s) => s.in_ids(e),
            None => self.graph.in_ids(e),
        }
    }

    /// The ids of [`Catalog::out`].
    pub(crate) fn out_ids(&self, e: EntryId) -> impl ExactSizeIterator<Item = EdgeId> {
        self.out_range(e).map(EdgeId::new)
    }

    /// The edges into `e`, by source entry. (On an owned `Catalog`, method lookup finds
    /// [`Into::into`] first: call it through a reference.)
    pub(crate) fn into(&self, e: EntryId) -> impl ExactSizeIterator<Item = &Edge> + '_ {
        self.in_slice(e).iter().map(|&id| self.edge(id))
    }

    fn out_range(&self, e: EntryId) -> std::ops::Range<usize> {
        match &self.stored {
            Some(s) => s.out_range(e),
            None => self.graph.out_range(e),
        }
    }

    /// The entry of `type_id` whose id or alias is `key`.
    pub(crate) fn lookup(&self, type_id: TypeId, key: &str) -> Option<EntryId> {
        match &self.stored {
            Some(s) => s.lookup(type_id, key),
            None => self.graph.lookup(type_id, key),
        }
    }

    /// `Type:` at the start of `reference`, when it names a type: the type and the rest.
    pub(crate) fn split_type<'r>(&self, reference: &'r str) -> Option<(TypeId, &'r str)> {
        let (prefix, rest) = reference.split_once(':')?;
        Some((self.type_id(prefix)?, rest))
    }

    /// The one lookup of a name (an id or alias, not `Type:id`: see [`Catalog::split_type`])
    /// among `types`, every type when empty. An id wins over aliases of other entries;
    /// several entries that answer equally well are [`Found::Several`], sorted by
    /// `Type:id`. References between entries, REF arguments and alert values all use it.
    pub(crate) fn find(&self, name: &str, types: &[TypeId]) -> Found {
        let mut found: Vec<EntryId> = if types.is_empty() {
            self.types()
                .filter_map(|(t, _)| self.lookup(t, name))
                .collect()
        } else {
            types.iter().filter_map(|&t| self.lookup(t, name)).collect()
        };
        if found.len() > 1 && found.iter().any(|&e| self.entry(e).id == name) {
            found.retain(|&e| self.entry(e).id == name);
        }
        match found.as_slice() {
            [] => Found::None,
            [one] => {
                let via = if self.entry(*one).id == name {
                    Via::Id
                } else {
                    Via::Alias
                };
                Found::One(*one, via)
            }
            _ => {
                found.sort_by_cached_key(|&e| self.key(e));
                Found::Several(found)
            }
        }
    }

    /// `Type:id` of an entry.
    pub(crate) fn key(&self, e: EntryId) -> String {
        let (t, id) = self.key_parts(e);
        format!("{t}:{id}")
    }

    /// `Type:id` of an entry, as its two parts (see [`key_order`]).
    pub(crate) fn key_parts(&self, e: EntryId) -> (&str, &str) {
        let (t, id) = if let Some(s) = &self.stored {
            s.key_parts(e)
        } else {
            let entry = self.graph.entry(e);
            (entry.type_id, entry.id.as_str())
        };
        (&self.type_def(t).name, id)
    }

    /// 1-based line of the entry's first line.
    pub(crate) fn line(&self, e: EntryId) -> usize {
        let entry = self.entry(e);
        self.sources.line_col(entry.file, entry.span.start).0
    }

    pub(crate) fn errors(&self) -> usize {
        if let Some(s) = &self.stored {
            return s.errors;
        }
        self.problems
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }
}

/// The order of two `Type:id` keys given as [`Catalog::key_parts`], as the strings
/// compare, without making them.
pub(crate) fn key_order(a: (&str, &str), b: (&str, &str)) -> std::cmp::Ordering {
    if a.0 == b.0 {
        return a.1.cmp(b.1);
    }
    let a = a.0.bytes().chain([b':']).chain(a.1.bytes());
    a.cmp(b.0.bytes().chain([b':']).chain(b.1.bytes()))
}

/// Index ids and aliases, resolve references into edges, and find ownership cycles;
/// every problem on the way goes to `problems`.
pub(crate) fn link(u: Unlinked) -> Catalog {
    let mut c = Catalog::unlinked(u, None);
    index::build_index(&mut c);
    resolve::resolve(&mut c);
    cycles::find_cycles(&mut c);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linked() -> (tempfile::TempDir, Catalog) {
        crate::load::test_catalog(&[
            ("schemas/team.yaml", "type: Team\n"),
            (
                "schemas/service.yaml",
                "type: Service\nrelations:\n  owner: {to: Team, owner: true}\n  depends_on: {to: Service, many: true}\n",
            ),
            (
                "catalog/all.yaml",
                "type: Team\nid: t\n---\ntype: Service\nid: a\nowner: t\ndepends_on: [c, b, c]\n---\ntype: Service\nid: b\nowner: t\ndepends_on: [a]\n---\ntype: Service\nid: c\n",
            ),
        ])
    }

    fn named(c: &Catalog, edge: &Edge) -> String {
        format!(
            "{} {} {}",
            c.key(edge.from),
            c.relation(edge).name,
            c.key(edge.to)
        )
    }

    proptest::proptest! {
        /// Keys compared in parts order as the `Type:id` strings do, with characters
        /// on either side of `:` and shared prefixes.
        #[test]
        fn key_order_is_the_order_of_the_key_strings(
            t1 in "[A-C:9-;]{0,3}", i1 in "[a-c:9-;]{0,3}",
            t2 in "[A-C:9-;]{0,3}", i2 in "[a-c:9-;]{0,3}",
        ) {
            let want = format!("{t1}:{i1}").cmp(&format!("{t2}:{i2}"));
            proptest::prop_assert_eq!(key_order((&t1, &i1), (&t2, &i2)), want);
        }
    }

    #[test]
    fn out_follows_relation_order_then_list_order_and_into_mirrors_it() {
        let (_d, catalog) = linked();
        let c = &catalog;
        let a = c.lookup(c.type_id("Service").unwrap(), "a").unwrap();
        let out: Vec<(String, Option<u32>)> =
            c.out(a).map(|edge| (named(c, edge), edge.item)).collect();
        assert_eq!(
            out,
            [
                ("Service:a depends_on Service:c".to_owned(), Some(0)),
                ("Service:a depends_on Service:b".to_owned(), Some(1)),
                ("Service:a owner Team:t".to_owned(), None),
            ]
        );
        let by_id: Vec<String> = c.out_ids(a).map(|i| named(c, c.edge(i))).collect();
        let by_edge: Vec<String> = c.out(a).map(|edge| named(c, edge)).collect();
        assert_eq!(by_id, by_edge);

        let t = c.lookup(c.type_id("Team").unwrap(), "t").unwrap();
        let into: Vec<String> = c.into(t).map(|edge| named(c, edge)).collect();
        assert_eq!(into, ["Service:a owner Team:t", "Service:b owner Team:t"]);

        // Every edge is out of its source and into its target, once.
        let mut total = 0;
        for (e, entry) in c.entries() {
            assert_eq!(c.type_of(e).name, c.type_def(entry.type_id).name);
            for edge in c.out(e) {
                total += 1;
                let back = c.into(edge.to).filter(|x| named(c, x) == named(c, edge));
                assert_eq!(back.count(), 1, "{}", named(c, edge));
            }
        }
        assert_eq!(total, c.edge_count());
        assert_eq!(c.len(), 4);
        assert_eq!(
            c.entry_ids().next_back().map(|e| c.key(e)).as_deref(),
            Some("Service:c")
        );
    }
}

//! `lore report`: facts (incidents, usually) counted or summed under the catalog entries
//! they name, per period.
//!
//! Input: a resolved catalog and a [`Spec`]. Output: a [`Report`], plain data whose rows
//! are sorted for every renderer alike.
//!
//! The entries a fact F names, D(F), are the targets of its relations (all, or those of
//! `via`), and with `impact` everything impacted by them. F's values for a dimension type
//! T are the entries of type T in D(F) or among the `parent` ancestors of entries in
//! D(F), and, when T is owned-by target, the owners of the entries in D(F). Each entry's
//! values for a type are computed once ([`Dims`]), so a report is linear in the facts and
//! the edges they reach, however many facts name the same entry.

use std::collections::{HashMap, HashSet, VecDeque};

use jiff::civil::Date;
use serde_json::{json, Value};

use super::OwnerIndex;
use crate::date::{parse_date, Per};
use crate::expr::{Expr, ExprError, Scope};
use crate::graph::{Catalog, EntryId};
use crate::model::TypeId;

/// The most periods a report lists (27 years of weeks): a `--since 1900-01-01 --per day`
/// would otherwise allocate without bound.
pub(crate) const MAX_PERIODS: usize = 1500;

/// What to report.
pub(crate) struct Spec<'a> {
    /// The type that holds the facts.
    pub(crate) facts: TypeId,
    /// The dimension: rows are its entries. `None`: only the `all` row.
    pub(crate) by: Option<TypeId>,
    /// `--sum EXPR` over `self` and `impact.totals`; `None` counts.
    pub(crate) sum: Option<&'a Expr>,
    /// D(F) holds impact(D(F)) too.
    pub(crate) impact: bool,
    /// Follow only these relations of the fact type (by name); empty: all of them.
    pub(crate) via: &'a [String],
    /// `--where`: facts for which it is true.
    pub(crate) filter: Option<&'a Expr>,
    /// The REFs `touches()` is called with in `filter`, as written, and their entries.
    pub(crate) touches: &'a [(String, EntryId)],
    /// Bucket by period of `time`.
    pub(crate) per: Option<Per>,
    /// The date or date-time attribute of each fact.
    pub(crate) time: Option<&'a str>,
    pub(crate) since: Option<Date>,
    pub(crate) until: Option<Date>,
    /// Keep the N rows with the largest totals (and `(none)`).
    pub(crate) top: Option<usize>,
}

/// A measure summed under one row: its facts, their total, and the total per period.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Cell {
    pub(crate) count: usize,
    pub(crate) total: f64,
    /// One per [`Report::periods`].
    pub(crate) values: Vec<f64>,
}

impl Cell {
    fn new(periods: usize) -> Cell {
        Cell {
            values: vec![0.0; periods],
            ..Cell::default()
        }
    }

    fn add(&mut self, amount: f64, period: Option<usize>) {
        self.count += 1;
        self.total += amount;
        if let Some(p) = period {
            self.values[p] += amount;
        }
    }
}

/// One row: a dimension entry (`None`: the facts with no value) and its cell.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub(crate) entry: Option<EntryId>,
    pub(crate) cell: Cell,
}

/// The answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Report {
    /// Labels, continuous from the first period to the last (empty without `per`).
    pub(crate) periods: Vec<String>,
    /// By total (descending), then `Type:id`; `(none)` last.
    pub(crate) rows: Vec<Row>,
    /// Every fact once (not the sum of the rows: a fact can have several values).
    pub(crate) all: Cell,
    /// Rows left out by `top`.
    pub(crate) hidden: usize,
    /// Facts `filter` could not be evaluated on (left out), with why.
    pub(crate) failures: Vec<(EntryId, ExprError)>,
    /// Facts without a usable time (left out), when periods or bounds need one.
    pub(crate) undated: Vec<EntryId>,
}

/// Why a report cannot be made; each message says what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ReportError {
    #[error("--sum `{expression}` could not be evaluated on {fact}: {message}; guard missing fields, e.g. `has(self.hours) ? self.hours : 0`")]
    Sum {
        expression: String,
        fact: String,
        message: String,
    },
    #[error("--sum `{expression}` gave {got} on {fact}, not a number; sum a numeric attribute, e.g. `self.hours`")]
    NotANumber {
        expression: String,
        fact: String,
        got: String,
    },
    #[error("the report would have {periods} periods (at most {MAX_PERIODS}); narrow it with --since/--until or a longer --per")]
    TooManyPeriods { periods: usize },
}

/// Each entry's values for a dimension type, computed once.
pub(crate) struct Dims<'c> {
    c: &'c Catalog,
    owners: OwnerIndex,
    owner_types: HashSet<TypeId>,
    /// Per type asked about (by index), per entry: its values (computed on first use).
    memo: Vec<Vec<Option<Box<[EntryId]>>>>,
    /// Marks for [`Dims::values`], stamped per call.
    stamp: Vec<u32>,
    call: u32,
    /// Marks for the walk of [`Dims::of`], stamped per walk, and its queue.
    seen: Vec<u32>,
    walk: u32,
    queue: VecDeque<EntryId>,
}

impl<'c> Dims<'c> {
    pub(crate) fn new(c: &'c Catalog) -> Dims<'c> {
        let owner_types = c
            .types()
            .flat_map(|(_, t)| t.relations.iter())
            .filter(|r| r.owner)
            .flat_map(|r| r.to.iter().copied())
            .collect();
        Dims {
            c,
            owners: OwnerIndex::default(),
            owner_types,
            memo: Vec::new(),
            stamp: vec![0; c.len()],
            call: 0,
            seen: vec![0; c.len()],
            walk: 0,
            queue: VecDeque::new(),
        }
    }

    /// The entries of type `t` that `e` stands for: itself, its `parent` ancestors, and
    /// (when `t` owns things) its owners, each once.
    fn of(&mut self, t: TypeId, e: EntryId) -> &[EntryId] {
        let c = self.c;
        if self.memo.len() <= t.index() {
            self.memo.resize_with(t.index() + 1, Vec::new);
        }
        if self.memo[t.index()].is_empty() {
            self.memo[t.index()] = vec![None; c.len()];
        }
        let known = self.memo[t.index()][e.index()].is_some();
        if !known {
            let mut found: Vec<EntryId> = Vec::new();
            // Breadth-first over parent links, each ancestor once (a parent cycle in an
            // invalid catalog ends the walk).
            self.walk = self.walk.wrapping_add(1);
            if self.walk == 0 {
                self.seen.iter_mut().for_each(|s| *s = 0);
                self.walk = 1;
            }
            let walk = self.walk;
            self.seen[e.index()] = walk;
            self.queue.clear();
            self.queue.push_back(e);
            while let Some(x) = self.queue.pop_front() {
                if c.entry_type(x) == t {
                    found.push(x);
                }
                for edge in c.out(x) {
                    let to = edge.to.index();
                    if c.relation(edge).parent && self.seen[to] != walk {
                        self.seen[to] = walk;
                        self.queue.push_back(edge.to);
                    }
                }
            }
            if self.owner_types.contains(&t) {
                for held in self.owners.owners(c, e) {
                    if c.entry_type(held.owner) == t && !found.contains(&held.owner) {
                        found.push(held.owner);
                    }
                }
            }
            self.memo[t.index()][e.index()] = Some(found.into_boxed_slice());
        }
        self.memo[t.index()][e.index()].as_deref().unwrap_or(&[])
    }

    /// F's values for `t`, given D(F): each once, in first-found order.
    pub(crate) fn values(&mut self, t: TypeId, named: &[EntryId]) -> Vec<EntryId> {
        self.call = self.call.wrapping_add(1);
        if self.call == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.call = 1;
        }
        let call = self.call;
        let mut out: Vec<EntryId> = Vec::new();
        for &d in named {
            self.of(t, d);
            let values = self.memo[t.index()][d.index()].as_deref().unwrap_or(&[]);
            for &v in values {
                if self.stamp[v.index()] != call {
                    self.stamp[v.index()] = call;
                    out.push(v);
                }
            }
        }
        out
    }

    /// Whether `target` is among F's values for its own type.
    pub(crate) fn touches(&mut self, target: EntryId, named: &[EntryId]) -> bool {
        let t = self.c.entry_type(target);
        named.iter().any(|&d| self.of(t, d).contains(&target))
    }
}

/// D(F) without impact: the targets of `fact`'s relations (only `via`'s when given),
/// each once.
pub(crate) fn named(c: &Catalog, fact: EntryId, via: &[String]) -> Vec<EntryId> {
    let mut out: Vec<EntryId> = Vec::new();
    for edge in c.out(fact) {
        if (via.is_empty() || via.contains(&c.relation(edge).name)) && !out.contains(&edge.to) {
            out.push(edge.to);
        }
    }
    out
}

/// An entry's declared totals, as (slot, value).
type Amounts = Box<[(usize, f64)]>;

/// impact(D) ∪ D, fact after fact: a breadth-first walk over impact edges that marks
/// entries in one array stamped per walk, so each walk costs what it visits and no
/// hashing (an incident can reach thousands of customers through one product); and the
/// declared totals summed over what a walk reached.
/// With `--impact`, each root's values for a dimension over the root and everything it
/// impacts, computed once per root: a fact's values are the union over its roots (the
/// impact of a set is the union of its members' impact), so 10,000 incidents naming the
/// same few services walk each service's impact once, not once per incident.
struct ImpactedValues {
    /// Per type (by index), per root entry.
    memo: Vec<Vec<Option<Box<[EntryId]>>>>,
    /// Per type with few enough entries, the components of the impact graph with their
    /// values as bitsets (see [`Components`]).
    components: Vec<Option<Components>>,
    stamp: Vec<u32>,
    call: u32,
}

/// Dimension types with at most this many entries get one bitset per strongly connected
/// component of the impact graph (so 100,000 components cost at most 25 MB).
const BITSET_DIMS: usize = 2048;

/// Tarjan's strongly connected components, iterative (each entry and edge once), over
/// a graph of entries whose neighbours the caller gives; kept across visits from
/// several starts. Components finish in reverse topological order: when one finishes,
/// every component it reaches has, which is what the bitset reaches below build on.
struct Scc {
    /// Per entry: Tarjan's index (0: not visited yet), low link, component.
    index: Vec<u32>,
    low: Vec<u32>,
    comp: Vec<u32>,
    on_stack: Vec<bool>,
    counter: u32,
    components: u32,
}

impl Scc {
    fn new(n: usize) -> Scc {
        Scc {
            index: vec![0; n],
            low: vec![0; n],
            comp: vec![u32::MAX; n],
            on_stack: vec![false; n],
            counter: 0,
            components: 0,
        }
    }

    /// `e`'s component, once finished.
    fn comp(&self, e: EntryId) -> Option<usize> {
        let k = self.comp[e.index()];
        (k != u32::MAX).then_some(k as usize)
    }

    /// Visits what `start` reaches that no earlier visit did. `next(e)` gives `e`'s
    /// neighbours; `finish(k, members, scc)` is called as component `k` finishes, with
    /// `scc` knowing the component of every finished entry.
    fn visit(
        &mut self,
        start: EntryId,
        mut next: impl FnMut(EntryId) -> Vec<EntryId>,
        mut finish: impl FnMut(usize, &[EntryId], &Scc),
    ) {
        if self.index[start.index()] != 0 {
            return;
        }
        let mut stack: Vec<EntryId> = Vec::new();
        // (entry, its neighbours, the next one to look at)
        let mut frames: Vec<(EntryId, Vec<EntryId>, usize)> = Vec::new();
        let mut enter =
            |me: &mut Scc, frames: &mut Vec<_>, stack: &mut Vec<EntryId>, e: EntryId| {
                me.counter += 1;
                me.index[e.index()] = me.counter;
                me.low[e.index()] = me.counter;
                me.on_stack[e.index()] = true;
                stack.push(e);
                frames.push((e, next(e), 0));
            };
        enter(self, &mut frames, &mut stack, start);
        while let Some(frame) = frames.last_mut() {
            let e = frame.0;
            if let Some(&n) = frame.1.get(frame.2) {
                frame.2 += 1;
                if self.index[n.index()] == 0 {
                    enter(self, &mut frames, &mut stack, n);
                } else if self.on_stack[n.index()] {
                    self.low[e.index()] = self.low[e.index()].min(self.index[n.index()]);
                }
                continue;
            }
            frames.pop();
            if let Some(parent) = frames.last() {
                let p = parent.0.index();
                self.low[p] = self.low[p].min(self.low[e.index()]);
            }
            if self.low[e.index()] != self.index[e.index()] {
                continue;
            }
            // `e` roots a component: its members are on the stack down to `e`.
            let from = stack
                .iter()
                .rposition(|&x| x == e)
                .expect("e is on the stack");
            let members: Vec<EntryId> = stack.drain(from..).collect();
            let k = self.components;
            self.components += 1;
            for &m in &members {
                self.on_stack[m.index()] = false;
                self.comp[m.index()] = k;
            }
            finish(k as usize, &members, self);
        }
    }
}

/// The values of one dimension type over `{x} ∪ impact(x)` for every `x`, by dynamic
/// programming over the strongly connected components of the impact graph (Tarjan's
/// algorithm, iterative, visiting each entry and impact edge once): a component's
/// values are its members' own values and those of every component it reaches, and
/// Tarjan finishes components in reverse topological order, so each is one OR of
/// finished bitsets. Linear in the graph reached times the bitset width, instead of one
/// walk of the impact per root.
struct Components {
    /// The dimension's entries, by bit.
    dim: Vec<EntryId>,
    /// Entry index → bit, for the dimension's entries.
    bit: HashMap<EntryId, usize>,
    words: usize,
    scc: Scc,
    /// The values of component `k`: `bits[k * words..(k + 1) * words]`.
    bits: Vec<u64>,
}

impl Components {
    fn new(c: &Catalog, t: TypeId) -> Option<Components> {
        let dim: Vec<EntryId> = c
            .entries()
            .filter(|(_, e)| e.type_id == t)
            .map(|(id, _)| id)
            .collect();
        if dim.len() > BITSET_DIMS {
            return None;
        }
        let bit = dim.iter().enumerate().map(|(i, &e)| (e, i)).collect();
        Some(Components {
            words: dim.len().div_ceil(64).max(1),
            dim,
            bit,
            scc: Scc::new(c.len()),
            bits: Vec::new(),
        })
    }

    /// The values of `{r} ∪ impact(r)`, in bit order.
    fn values(&mut self, dims: &mut Dims<'_>, t: TypeId, r: EntryId) -> Vec<EntryId> {
        let c = dims.c;
        let Components {
            dim,
            bit,
            words,
            scc,
            bits: sets,
        } = self;
        let words = *words;
        scc.visit(
            r,
            |e| super::impact_next(c, e).collect(),
            |k, members, scc| {
                sets.resize((k + 1) * words, 0);
                let base = k * words;
                for &m in members {
                    for &v in dims.of(t, m) {
                        if let Some(&b) = bit.get(&v) {
                            sets[base + b / 64] |= 1 << (b % 64);
                        }
                    }
                    for n in super::impact_next(c, m) {
                        if let Some(o) = scc.comp(n).filter(|&o| o != k) {
                            for w in 0..words {
                                sets[base + w] |= sets[o * words + w];
                            }
                        }
                    }
                }
            },
        );
        let k = scc.comp(r).expect("visited");
        bits(&sets[k * words..(k + 1) * words])
            .map(|b| dim[b])
            .collect()
    }
}

impl ImpactedValues {
    fn new() -> ImpactedValues {
        ImpactedValues {
            memo: Vec::new(),
            components: Vec::new(),
            stamp: Vec::new(),
            call: 0,
        }
    }

    fn of(
        &mut self,
        dims: &mut Dims<'_>,
        reach: &mut Reach<'_>,
        t: TypeId,
        r: EntryId,
    ) -> &[EntryId] {
        let n = dims.c.len();
        if self.memo.len() <= t.index() {
            self.memo.resize_with(t.index() + 1, Vec::new);
            self.components.resize_with(t.index() + 1, || None);
        }
        if self.memo[t.index()].is_empty() {
            self.memo[t.index()] = vec![None; n];
            self.components[t.index()] = Components::new(dims.c, t);
        }
        if self.memo[t.index()][r.index()].is_none() {
            let values = if let Some(components) = &mut self.components[t.index()] {
                components.values(dims, t, r)
            } else {
                let reached = reach.reach(&[r]);
                dims.values(t, &reached)
            };
            self.memo[t.index()][r.index()] = Some(values.into_boxed_slice());
        }
        self.memo[t.index()][r.index()].as_deref().unwrap_or(&[])
    }

    /// F's values for `t`: the union of its roots' values, each once.
    fn values(
        &mut self,
        dims: &mut Dims<'_>,
        reach: &mut Reach<'_>,
        t: TypeId,
        roots: &[EntryId],
    ) -> Vec<EntryId> {
        if self.stamp.is_empty() {
            self.stamp = vec![0; dims.c.len()];
        }
        self.call = self.call.wrapping_add(1);
        if self.call == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.call = 1;
        }
        let call = self.call;
        let mut out = Vec::new();
        for &r in roots {
            let n = self.of(dims, reach, t, r).len();
            for i in 0..n {
                let v = self.memo[t.index()][r.index()].as_deref().unwrap_or(&[])[i];
                if self.stamp[v.index()] != call {
                    self.stamp[v.index()] = call;
                    out.push(v);
                }
            }
        }
        out
    }

    fn touches(
        &mut self,
        dims: &mut Dims<'_>,
        reach: &mut Reach<'_>,
        target: EntryId,
        roots: &[EntryId],
    ) -> bool {
        let t = dims.c.entry(target).type_id;
        roots
            .iter()
            .any(|&r| self.of(dims, reach, t, r).contains(&target))
    }
}

pub(crate) struct Reach<'c> {
    c: &'c Catalog,
    stamp: Vec<u32>,
    walk: u32,
    /// Per type: its declared totals as (slot, attribute).
    slots_of: Vec<Vec<(usize, String)>>,
    /// Per slot: (type name, attribute).
    slots: Vec<(String, String)>,
    /// Per entry, once it has been visited: its impact neighbours, and its declared
    /// totals as (slot, value). Walks then read arrays, not relations and JSON maps.
    next: Vec<Option<Box<[EntryId]>>>,
    amounts: Vec<Option<Amounts>>,
    /// For [`Reach::union_totals`], built on its first call.
    groups: Option<Sinks>,
    /// Reaches from components (false: from walks kept per root, as when the
    /// components do not fit; tests turn it off to check that path too).
    components: bool,
}

/// `of[entry]`: for an entry that impacts nothing, its group (by the set of entries
/// impacting it), else this.
const NOT_A_SINK: u32 = u32::MAX;

/// The entries that impact nothing, in groups (see [`Reach::union_totals`]).
struct Sinks {
    of: Vec<u32>,
    /// Per entry: the groups it impacts.
    fed_by: Vec<Vec<u32>>,
    /// Per group: its members' totals, by slot.
    sums: Vec<Vec<f64>>,
    /// Per entry that impacts something: its impact neighbours that do too.
    inner: Vec<Box<[EntryId]>>,
    /// The entries that impact something, by bit; per entry, its bit.
    inner_ids: Vec<EntryId>,
    inner_pos: Vec<u32>,
    /// The bits of `inner_ids` whose entries have a non-zero total of their own.
    weighted: Vec<u64>,
    /// Per root walked: [`Reach::walk_inner`]'s bitsets, while they fit in the budget.
    reach: Vec<Option<Walked>>,
    /// Words kept in `reach`.
    kept: usize,
    /// The components of the entries that impact something (built on first use), and
    /// per component its reach: `gw` words of groups, then `iw` of entries (see
    /// [`Sinks::component`]).
    scc: Option<Scc>,
    comp_bits: Vec<u64>,
}

impl Sinks {
    /// Whether one reach per component fits in [`BITSET_BUDGET`].
    fn dp_fits(&self, gw: usize, iw: usize) -> bool {
        self.inner_ids
            .len()
            .saturating_mul(gw + iw)
            .saturating_mul(8)
            <= BITSET_BUDGET
    }

    /// The component of `r` (an entry that impacts something), its reach computed: its
    /// members' own bits and an OR of the finished components they reach.
    fn component(&mut self, r: EntryId, gw: usize, iw: usize) -> usize {
        let words = gw + iw;
        let n = self.of.len();
        let Sinks {
            fed_by,
            inner,
            inner_pos,
            scc,
            comp_bits,
            ..
        } = self;
        let scc = scc.get_or_insert_with(|| Scc::new(n));
        scc.visit(
            r,
            |e| inner[e.index()].to_vec(),
            |k, members, scc| {
                comp_bits.resize((k + 1) * words, 0);
                let base = k * words;
                for &m in members {
                    let i = inner_pos[m.index()] as usize;
                    comp_bits[base + gw + i / 64] |= 1 << (i % 64);
                    for &g in &fed_by[m.index()] {
                        comp_bits[base + g as usize / 64] |= 1 << (g % 64);
                    }
                    for &nb in &inner[m.index()] {
                        if let Some(o) = scc.comp(nb).filter(|&o| o != k) {
                            for w in 0..words {
                                comp_bits[base + w] |= comp_bits[o * words + w];
                            }
                        }
                    }
                }
            },
        );
        scc.comp(r).expect("visited")
    }
}

/// A root's reach: the groups of sinks, and the entries that impact something.
type Walked = (Box<[u64]>, Box<[u64]>);

/// Bytes of per-root bitsets [`Reach::union_totals`] keeps; roots past it are walked
/// again each time.
const BITSET_BUDGET: usize = 256 << 20;

/// The positions of the set bits.
fn bits(words: &[u64]) -> impl Iterator<Item = usize> + '_ {
    words.iter().enumerate().flat_map(|(w, &word)| {
        let mut rest = word;
        std::iter::from_fn(move || {
            (rest != 0).then(|| {
                let b = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                w * 64 + b
            })
        })
    })
}

impl<'c> Reach<'c> {
    pub(crate) fn new(c: &'c Catalog) -> Reach<'c> {
        let mut slots = Vec::new();
        let slots_of = c
            .types()
            .map(|(_, t)| {
                t.totals
                    .iter()
                    .map(|a| {
                        slots.push((t.name.clone(), a.clone()));
                        (slots.len() - 1, a.clone())
                    })
                    .collect()
            })
            .collect();
        Reach {
            c,
            stamp: vec![0; c.len()],
            walk: 0,
            slots_of,
            slots,
            next: vec![None; c.len()],
            amounts: vec![None; c.len()],
            groups: None,
            components: true,
        }
    }

    /// `roots` and everything impact edges reach from them, each once, roots first.
    pub(crate) fn reach(&mut self, roots: &[EntryId]) -> Vec<EntryId> {
        self.walk = self.walk.wrapping_add(1);
        if self.walk == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.walk = 1;
        }
        let mut out: Vec<EntryId> = Vec::new();
        for &r in roots {
            if self.stamp[r.index()] != self.walk {
                self.stamp[r.index()] = self.walk;
                out.push(r);
            }
        }
        let mut next = 0;
        while next < out.len() {
            let e = out[next];
            next += 1;
            let c = self.c;
            let neighbours =
                self.next[e.index()].get_or_insert_with(|| super::impact_next(c, e).collect());
            for &n in neighbours.iter() {
                if self.stamp[n.index()] != self.walk {
                    self.stamp[n.index()] = self.walk;
                    out.push(n);
                }
            }
        }
        out
    }

    /// `{"totals": {Type: {attr: sum}}}` over `entries` (each once), every declared total
    /// present.
    #[cfg(test)]
    pub(crate) fn totals(&mut self, entries: &[EntryId]) -> Value {
        let mut sums = vec![0.0f64; self.slots.len()];
        for &e in entries {
            self.add(&mut sums, e);
        }
        self.doc(&sums)
    }

    /// Adds `e`'s declared totals to `sums`.
    fn add(&mut self, sums: &mut [f64], e: EntryId) {
        let (c, slots_of) = (self.c, &self.slots_of);
        let amounts = self.amounts[e.index()].get_or_insert_with(|| {
            let entry = c.entry(e);
            slots_of[entry.type_id.index()]
                .iter()
                .filter_map(|(slot, attr)| {
                    entry
                        .value
                        .get(attr)
                        .and_then(Value::as_f64)
                        .map(|x| (*slot, x))
                })
                .collect()
        });
        for &(slot, x) in amounts.iter() {
            sums[slot] += x;
        }
    }

    /// The totals of `reach(roots)`, each entry once, as [`Reach::totals`] of that walk
    /// gives them, without visiting every entry reached. Entries that impact nothing
    /// (customers, devices: most of a catalog) are grouped by the entries that impact
    /// them, and a group's totals are summed once: a group is in the reach exactly when
    /// one of those entries is (or a member is a root). So a fact costs the entries it
    /// reaches that impact something, and the groups they feed: 78,000 customers in
    /// 1,275 groups of products in the 100k benchmark.
    pub(crate) fn union_totals(&mut self, roots: &[EntryId]) -> Value {
        if self.groups.is_none() {
            self.groups = Some(self.group_sinks());
        }
        let mut groups = self.groups.take().expect("just built");
        let gw = groups.sums.len().div_ceil(64).max(1);
        let iw = groups.inner_ids.len().div_ceil(64).max(1);
        let mut acc_groups = vec![0u64; gw];
        let mut acc_inner = vec![0u64; iw];
        let mut sink_roots: Vec<EntryId> = Vec::new();
        for &r in roots {
            if groups.of[r.index()] != NOT_A_SINK {
                if !sink_roots.contains(&r) {
                    sink_roots.push(r);
                }
                continue;
            }
            if self.components && groups.dp_fits(gw, iw) {
                let k = groups.component(r, gw, iw);
                let base = k * (gw + iw);
                let set = &groups.comp_bits[base..base + gw + iw];
                for (a, b) in acc_groups.iter_mut().zip(&set[..gw]) {
                    *a |= *b;
                }
                for (a, b) in acc_inner.iter_mut().zip(&set[gw..]) {
                    *a |= *b;
                }
                continue;
            }
            let walked = match groups.reach[r.index()].take() {
                Some(w) => w,
                None => self.walk_inner(&groups, r, gw, iw),
            };
            for (a, b) in acc_groups.iter_mut().zip(walked.0.iter()) {
                *a |= *b;
            }
            for (a, b) in acc_inner.iter_mut().zip(walked.1.iter()) {
                *a |= *b;
            }
            // Kept for the next fact naming `r`, within the budget.
            if groups.kept + gw + iw <= BITSET_BUDGET / 8 {
                groups.kept += gw + iw;
                groups.reach[r.index()] = Some(walked);
            }
        }
        let mut sums = vec![0.0f64; self.slots.len()];
        for g in bits(&acc_groups) {
            for (slot, x) in groups.sums[g].iter().enumerate() {
                sums[slot] += x;
            }
        }
        // Only the entries with totals of their own (services rarely have any).
        for (a, m) in acc_inner.iter_mut().zip(&groups.weighted) {
            *a &= *m;
        }
        for i in bits(&acc_inner) {
            self.add(&mut sums, groups.inner_ids[i]);
        }
        // A sink named by the fact counts once: with its group when that is reached.
        for r in sink_roots {
            let g = groups.of[r.index()] as usize;
            if acc_groups[g / 64] & (1 << (g % 64)) == 0 {
                self.add(&mut sums, r);
            }
        }
        self.groups = Some(groups);
        self.doc(&sums)
    }

    /// What impact reaches from `r` (an entry that impacts something): the groups of
    /// sinks it reaches and the other such entries, as bitsets of `gw` and `iw` words.
    fn walk_inner(&mut self, groups: &Sinks, r: EntryId, gw: usize, iw: usize) -> Walked {
        self.walk = self.walk.wrapping_add(1);
        if self.walk == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.walk = 1;
        }
        let walk = self.walk;
        let mut group_bits = vec![0u64; gw];
        let mut inner_bits = vec![0u64; iw];
        let mut queue = vec![r];
        self.stamp[r.index()] = walk;
        while let Some(e) = queue.pop() {
            let i = groups.inner_pos[e.index()] as usize;
            inner_bits[i / 64] |= 1 << (i % 64);
            for &g in &groups.fed_by[e.index()] {
                group_bits[g as usize / 64] |= 1 << (g % 64);
            }
            for &n in &groups.inner[e.index()] {
                if self.stamp[n.index()] != walk {
                    self.stamp[n.index()] = walk;
                    queue.push(n);
                }
            }
        }
        (group_bits.into_boxed_slice(), inner_bits.into_boxed_slice())
    }

    /// Entries with no impact neighbours, grouped by the set of entries whose impact
    /// neighbours they are.
    fn group_sinks(&mut self) -> Sinks {
        let c = self.c;
        let n = c.len();
        let mut preds: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut of = vec![0u32; n];
        for (i, slot) in of.iter_mut().enumerate() {
            let e = EntryId::new(i);
            let mut any = false;
            for t in super::impact_next(c, e) {
                any = true;
                preds[t.index()].push(i as u32);
            }
            if any {
                *slot = NOT_A_SINK;
            }
        }
        let mut ids: HashMap<Vec<u32>, u32> = HashMap::new();
        let mut sums: Vec<Vec<f64>> = Vec::new();
        let mut fed_by: Vec<Vec<u32>> = vec![Vec::new(); n];
        for i in 0..n {
            if of[i] == NOT_A_SINK {
                continue;
            }
            let mut key = std::mem::take(&mut preds[i]);
            key.sort_unstable();
            key.dedup();
            let next_id = u32::try_from(ids.len()).expect("fewer than 4G groups");
            let (g, new) = match ids.get(&key) {
                Some(&g) => (g, false),
                None => (next_id, true),
            };
            if new {
                for &p in &key {
                    fed_by[p as usize].push(g);
                }
                ids.insert(key, g);
                sums.push(vec![0.0; self.slots.len()]);
            }
            of[i] = g;
            let mut one = std::mem::take(&mut sums[g as usize]);
            self.add(&mut one, EntryId::new(i));
            sums[g as usize] = one;
        }
        let inner_ids: Vec<EntryId> = (0..n)
            .filter(|&i| of[i] == NOT_A_SINK)
            .map(EntryId::new)
            .collect();
        let mut inner_pos = vec![u32::MAX; n];
        let mut weighted = vec![0u64; inner_ids.len().div_ceil(64).max(1)];
        let mut one = vec![0.0f64; self.slots.len()];
        for (k, e) in inner_ids.iter().enumerate() {
            inner_pos[e.index()] = u32::try_from(k).expect("fewer than 4G entries");
            one.fill(0.0);
            self.add(&mut one, *e);
            if one.iter().any(|x| *x != 0.0) {
                weighted[k / 64] |= 1 << (k % 64);
            }
        }
        // The walk follows only entries that impact something: a product's thousands of
        // customers are its groups.
        let inner = (0..n)
            .map(|i| {
                if of[i] == NOT_A_SINK {
                    super::impact_next(c, EntryId::new(i))
                        .filter(|t| of[t.index()] == NOT_A_SINK)
                        .collect()
                } else {
                    Box::default()
                }
            })
            .collect();
        Sinks {
            of,
            fed_by,
            sums,
            inner,
            inner_ids,
            inner_pos,
            weighted,
            reach: (0..n).map(|_| None).collect(),
            kept: 0,
            scc: None,
            comp_bits: Vec::new(),
        }
    }

    /// `{"totals": {Type: {attribute: sum}}}`.
    fn doc(&self, sums: &[f64]) -> Value {
        let mut totals = serde_json::Map::new();
        for ((t, a), x) in self.slots.iter().zip(sums.iter().copied()) {
            let n = if x.fract() == 0.0 && x.abs() < 9.0e15 {
                serde_json::Number::from(x as i64)
            } else {
                serde_json::Number::from_f64(x).unwrap_or_else(|| serde_json::Number::from(0))
            };
            let by_type = totals
                .entry(t.clone())
                .or_insert_with(|| Value::Object(serde_json::Map::new()));
            if let Value::Object(m) = by_type {
                m.insert(a.clone(), Value::Number(n));
            }
        }
        json!({ "totals": totals })
    }
}

/// The type names reachable from the fact type the way values are: relation targets
/// (through `via`), impact neighbours with `with_impact`, parents, and owners. `None`
/// when `dim` is one of them; else the reachable names, sorted, for the message.
pub(crate) fn unreachable(
    c: &Catalog,
    facts: TypeId,
    dim: TypeId,
    via: &[String],
    with_impact: bool,
) -> Option<Vec<String>> {
    let mut reached: HashSet<TypeId> = HashSet::new();
    let mut queue: VecDeque<TypeId> = VecDeque::new();
    for r in &c.type_def(facts).relations {
        if via.is_empty() || via.contains(&r.name) {
            for &t in &r.to {
                if reached.insert(t) {
                    queue.push_back(t);
                }
            }
        }
    }
    while let Some(t) = queue.pop_front() {
        let mut next: Vec<TypeId> = Vec::new();
        for r in &c.type_def(t).relations {
            if r.parent || r.owner || (with_impact && r.impact.is_some()) {
                next.extend(r.to.iter().copied());
            }
        }
        if with_impact {
            // Entries that break with this type's (`impact: source` relations into it).
            for (u, ty) in c.types() {
                if ty
                    .relations
                    .iter()
                    .any(|r| r.impact.is_some() && r.to.contains(&t))
                {
                    next.push(u);
                }
            }
        }
        for n in next {
            if reached.insert(n) {
                queue.push_back(n);
            }
        }
    }
    if reached.contains(&dim) {
        return None;
    }
    let mut names: Vec<String> = reached
        .iter()
        .map(|&t| c.type_def(t).name.clone())
        .collect();
    names.sort();
    Some(names)
}

/// A fact that passed the filter, with what it adds and where.
struct Counted {
    amount: f64,
    date: Option<Date>,
    values: Vec<EntryId>,
}

/// Run the report.
pub(crate) fn report(c: &Catalog, spec: &Spec<'_>) -> Result<Report, ReportError> {
    let mut dims = Dims::new(c);
    let mut reach = Reach::new(c);
    let mut impacted = ImpactedValues::new();
    let mut failures: Vec<(EntryId, ExprError)> = Vec::new();
    let mut undated: Vec<EntryId> = Vec::new();
    let needs_time = spec.per.is_some() || spec.since.is_some() || spec.until.is_some();
    let sum_uses_impact = spec.sum.is_some_and(|e| e.uses("impact"));
    let mut counted: Vec<Counted> = Vec::new();
    for (fact, entry) in c.entries() {
        if entry.type_id != spec.facts {
            continue;
        }
        let date = match (needs_time, spec.time) {
            (true, Some(field)) => {
                if let Some(d) = entry
                    .value
                    .get(field)
                    .and_then(Value::as_str)
                    .and_then(parse_date)
                {
                    Some(d)
                } else {
                    undated.push(fact);
                    continue;
                }
            }
            _ => None,
        };
        if let Some(d) = date {
            if spec.since.is_some_and(|s| d < s) || spec.until.is_some_and(|u| d > u) {
                continue;
            }
        }
        let direct = named(c, fact, spec.via);
        // With --impact, values and touches() come from each root's memo, and impact
        // totals from the grouped sinks.
        let this = crate::model::entry::self_value(&entry.id, &entry.value);
        let impact_doc = if sum_uses_impact {
            reach.union_totals(&direct)
        } else {
            Value::Null
        };
        let scope = Scope::new(&[("self", &*this), ("impact", &impact_doc)]);
        if let Some(filter) = spec.filter {
            let touched: HashMap<String, bool> = spec
                .touches
                .iter()
                .map(|(r, target)| {
                    let yes = if spec.impact {
                        impacted.touches(&mut dims, &mut reach, *target, &direct)
                    } else {
                        dims.touches(*target, &direct)
                    };
                    (r.clone(), yes)
                })
                .collect();
            match filter.eval_touching(&scope, touched) {
                Ok(Value::Bool(true)) => {}
                Ok(Value::Bool(false)) => continue,
                Ok(other) => {
                    let message = format!(
                        "it gave {}, not true or false",
                        crate::expr::excerpt(&other.to_string())
                    );
                    failures.push((fact, ExprError::new(message, None)));
                    continue;
                }
                Err(err) => {
                    failures.push((fact, err));
                    continue;
                }
            }
        }
        let amount = match spec.sum {
            None => 1.0,
            Some(expr) => {
                let got = expr.eval_in(&scope).map_err(|e| ReportError::Sum {
                    expression: expr.source().to_owned(),
                    fact: c.key(fact),
                    message: e.message,
                })?;
                match got.as_f64() {
                    Some(x) if got.is_number() => x,
                    _ => {
                        return Err(ReportError::NotANumber {
                            expression: expr.source().to_owned(),
                            fact: c.key(fact),
                            got: crate::expr::excerpt(&got.to_string()).into_owned(),
                        })
                    }
                }
            }
        };
        let values = match spec.by {
            Some(t) if spec.impact => impacted.values(&mut dims, &mut reach, t, &direct),
            Some(t) => dims.values(t, &direct),
            None => Vec::new(),
        };
        counted.push(Counted {
            amount,
            date,
            values,
        });
    }

    // Periods: continuous from the first to the last, within the bounds.
    let mut starts: Vec<Date> = Vec::new();
    if let Some(per) = spec.per {
        let dates = counted.iter().filter_map(|f| f.date);
        let first = spec.since.or_else(|| dates.clone().min());
        let last = spec.until.or_else(|| dates.max());
        if let (Some(first), Some(last)) = (first, last) {
            let mut at = per.start(first);
            let end = per.start(last);
            while at <= end {
                starts.push(at);
                if starts.len() > MAX_PERIODS {
                    return Err(ReportError::TooManyPeriods {
                        periods: estimate(per, first, last),
                    });
                }
                match per.next(at) {
                    Some(n) => at = n,
                    None => break,
                }
            }
        }
    }
    let period_of = |d: Option<Date>| -> Option<usize> {
        let per = spec.per?;
        let start = per.start(d?);
        starts.binary_search(&start).ok()
    };

    let n = starts.len();
    let mut all = Cell::new(n);
    let mut rows: HashMap<Option<EntryId>, Cell> = HashMap::new();
    for f in &counted {
        let p = period_of(f.date);
        all.add(f.amount, p);
        if spec.by.is_none() {
            continue;
        }
        if f.values.is_empty() {
            rows.entry(None)
                .or_insert_with(|| Cell::new(n))
                .add(f.amount, p);
        }
        for &v in &f.values {
            rows.entry(Some(v))
                .or_insert_with(|| Cell::new(n))
                .add(f.amount, p);
        }
    }
    let mut rows: Vec<Row> = rows
        .into_iter()
        .map(|(entry, cell)| Row { entry, cell })
        .collect();
    rows.sort_by_cached_key(|r| {
        (
            r.entry.is_none(),
            std::cmp::Reverse(OrdF64(r.cell.total)),
            r.entry.map(|e| c.key(e)),
        )
    });
    let mut hidden = 0;
    if let Some(top) = spec.top {
        let named_rows = rows.iter().filter(|r| r.entry.is_some()).count();
        if named_rows > top {
            hidden = named_rows - top;
            let none = match rows.last() {
                Some(last) if last.entry.is_none() => rows.pop(),
                _ => None,
            };
            rows.truncate(top);
            rows.extend(none);
        }
    }
    failures.sort_by_cached_key(|(e, _)| c.key(*e));
    undated.sort_by_cached_key(|e| c.key(*e));
    Ok(Report {
        periods: spec
            .per
            .map(|per| starts.iter().map(|&s| per.label(s)).collect())
            .unwrap_or_default(),
        rows,
        all,
        hidden,
        failures,
        undated,
    })
}

/// About how many periods lie between two dates, for the message.
fn estimate(per: Per, first: Date, last: Date) -> usize {
    let days = usize::try_from((last - first).get_days().max(0)).unwrap_or(usize::MAX);
    match per {
        Per::Day => days + 1,
        Per::Week => days / 7 + 1,
        Per::Month => days / 30 + 1,
        Per::Quarter => days / 91 + 1,
    }
}

/// Totals are finite sums of JSON numbers: a total order is safe.
struct OrdF64(f64);

impl PartialEq for OrdF64 {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for OrdF64 {}

impl PartialOrd for OrdF64 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrdF64 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// A fact that touches an entry, with its date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Touching {
    pub(crate) fact: EntryId,
    /// The date of its time field, when it has one.
    pub(crate) date: Option<Date>,
}

/// `lore incidents REF`: the facts of type `facts` that touch `target`, newest first (by
/// `time`, then `Type:id` descending; undated last), on or after `since`.
pub(crate) fn incidents(
    c: &Catalog,
    facts: TypeId,
    target: EntryId,
    time: Option<&str>,
    since: Option<Date>,
) -> Vec<Touching> {
    let date_of = |f: EntryId| {
        let field = time?;
        c.entry(f).value.get(field)?.as_str().and_then(parse_date)
    };
    let mut out: Vec<Touching> = touching(c, facts, target)
        .into_iter()
        .map(|fact| Touching {
            fact,
            date: date_of(fact),
        })
        .filter(|t| since.is_none_or(|s| t.date.is_some_and(|d| d >= s)))
        .collect();
    out.sort_by_cached_key(|t| std::cmp::Reverse((t.date.is_some(), t.date, c.key(t.fact))));
    out
}

/// The facts that touch `target` by the report's rules (a Team: the facts touching
/// anything it owns).
pub(crate) fn touching(c: &Catalog, facts: TypeId, target: EntryId) -> Vec<EntryId> {
    let stands = standing_for(c, target);
    c.entry_ids()
        .filter(|&f| c.entry_type(f) == facts)
        .filter(|&f| c.out(f).any(|edge| stands.contains(&edge.to)))
        .collect()
}

/// The entries whose values for `target`'s type hold `target` ([`Dims::of`], so that a
/// fact naming one of them touches it): those `target` is a `parent` ancestor of
/// (itself included) and, when its type owns things, those it owns, directly or through
/// parents that have no owner of their own. Walked back from `target` over the edges
/// into it, each entry once, instead of forward from everything the facts name.
fn standing_for(c: &Catalog, target: EntryId) -> HashSet<EntryId> {
    let mut out = HashSet::from([target]);
    let mut queue = vec![target];
    while let Some(x) = queue.pop() {
        for edge in c.into(x) {
            if c.relation(edge).parent && out.insert(edge.from) {
                queue.push(edge.from);
            }
        }
    }
    if !super::is_owner_type(c, c.entry_type(target)) {
        return out;
    }
    let owns = |e: EntryId| c.out(e).any(|edge| c.relation(edge).owner);
    let mut owned: HashSet<EntryId> = HashSet::new();
    for edge in c.into(target) {
        if c.relation(edge).owner && owned.insert(edge.from) {
            queue.push(edge.from);
        }
    }
    // An entry with no owner of its own has its parents' owners.
    while let Some(x) = queue.pop() {
        for edge in c.into(x) {
            if c.relation(edge).parent && !owns(edge.from) && owned.insert(edge.from) {
                queue.push(edge.from);
            }
        }
    }
    out.extend(owned);
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::query::find;
    use std::fmt::Write as _;

    /// Worked by hand in the comments of each test. Lines own products; Product store
    /// has no owner and inherits Line shop's (web); billing has its own (pay).
    pub(crate) fn fixture() -> (tempfile::TempDir, Catalog) {
        crate::load::test_catalog(&[
            ("schemas/team.yaml", "type: Team\n"),
            ("schemas/line.yaml", "type: Line\nrelations:\n  owner: {to: Team, owner: true}\nsummary: [tier]\nschema:\n  properties:\n    tier: {type: integer}\n"),
            ("schemas/product.yaml", "type: Product\nrelations:\n  owner: {to: Team, owner: true}\n  line: {to: Line, parent: true}\n"),
            ("schemas/feature.yaml", "type: Feature\nrelations:\n  product: {to: Product, parent: true, impact: target}\n"),
            ("schemas/service.yaml", "type: Service\nrelations:\n  owner: {to: Team, owner: true}\n  features: {to: Feature, many: true, impact: target}\n"),
            ("schemas/customer.yaml", "type: Customer\nschema:\n  properties:\n    arr: {type: number}\nrelations:\n  products: {to: Product, many: true, impact: source}\ntotals: [arr]\n"),
            ("schemas/incident.yaml", "type: Incident\nschema:\n  properties:\n    hours: {type: number}\n    opened: {type: string}\n    note: {type: string}\nrelations:\n  affected: {to: [Service, Feature, Customer], many: true}\n  led_by: {to: Team}\n"),
            (
                "catalog/org.yaml",
                "type: Team\nid: web\n---\ntype: Team\nid: pay\n---\ntype: Team\nid: core\n---\ntype: Line\nid: shop\nowner: web\ntier: 1\n---\ntype: Product\nid: store\nline: shop\n---\ntype: Product\nid: billing\nline: shop\nowner: pay\n---\ntype: Feature\nid: checkout\nproduct: store\n---\ntype: Feature\nid: invoices\nproduct: billing\n---\ntype: Service\nid: api\nowner: core\nfeatures: [checkout]\n---\ntype: Customer\nid: acme\narr: 1000\nproducts: [store]\n---\ntype: Customer\nid: globex\narr: 250\nproducts: [billing]\n",
            ),
            (
                "catalog/incidents.yaml",
                // W10: I1 Mon 03-03, I2 Wed 03-05; W11 empty; W12: I4 03-18, I3 03-20.
                "type: Incident\nid: I1\nopened: '2025-03-03'\nhours: 2\naffected: [checkout, api]\n---\ntype: Incident\nid: I2\nopened: '2025-03-05T10:00:00Z'\nhours: 3\naffected: [checkout, invoices]\n---\ntype: Incident\nid: I3\nopened: '2025-03-20'\nhours: 5\naffected: [acme]\n---\ntype: Incident\nid: I4\nopened: '2025-03-18'\nhours: 1\naffected: [api]\nled_by: web\n",
            ),
        ])
    }

    fn t_incident(c: &Catalog) -> TypeId {
        c.type_id("Incident").unwrap()
    }

    fn spec<'a>(c: &Catalog, by: Option<&str>) -> Spec<'a> {
        Spec {
            facts: c.type_id("Incident").unwrap(),
            by: by.map(|b| c.type_id(b).unwrap()),
            sum: None,
            impact: false,
            via: &[],
            filter: None,
            touches: &[],
            per: None,
            time: Some("opened"),
            since: None,
            until: None,
            top: None,
        }
    }

    /// `(row, count, total, per period)` with `(none)` for the facts without a value.
    fn table(c: &Catalog, r: &Report) -> Vec<(String, usize, f64, Vec<f64>)> {
        r.rows
            .iter()
            .map(|row| {
                (
                    row.entry.map_or("(none)".to_owned(), |e| c.key(e)),
                    row.cell.count,
                    row.cell.total,
                    row.cell.values.clone(),
                )
            })
            .collect()
    }

    fn row(k: &str, count: usize, total: f64, values: &[f64]) -> (String, usize, f64, Vec<f64>) {
        (k.to_owned(), count, total, values.to_vec())
    }

    #[test]
    fn hours_by_line_per_week_count_a_fact_once_through_two_parent_chains() {
        // I1: checkout → store → shop (two parent steps); api has no Line: shop once.
        // I2: checkout → store → shop and invoices → billing → shop: shop once.
        // I3 (acme) and I4 (api) reach no Line: (none). W11 has no incident: 0.
        let (_d, c) = fixture();
        let hours = Expr::compile("self.hours").unwrap();
        let r = report(
            &c,
            &Spec {
                sum: Some(&hours),
                per: Some(Per::Week),
                ..spec(&c, Some("Line"))
            },
        )
        .unwrap();
        assert_eq!(r.periods, ["2025-W10", "2025-W11", "2025-W12"]);
        assert_eq!(
            table(&c, &r),
            [
                row("Line:shop", 2, 5.0, &[5.0, 0.0, 0.0]),
                row("(none)", 2, 6.0, &[0.0, 0.0, 6.0]),
            ],
            "(none) comes last whatever its total"
        );
        assert_eq!(r.all.count, 4);
        assert_eq!(r.all.total, 11.0);
        assert_eq!(r.all.values, [5.0, 0.0, 6.0]);
    }

    #[test]
    fn teams_are_owners_with_inheritance_and_all_is_not_the_sum_of_rows() {
        // I1: checkout → web (inherited from shop), api → core. I2: checkout → web,
        // invoices → pay (billing's own owner, not shop's). I3: acme has no owner.
        // I4: api → core, and its led_by names Team web itself.
        let (_d, c) = fixture();
        let r = report(&c, &spec(&c, Some("Team"))).unwrap();
        assert_eq!(
            table(&c, &r),
            [
                row("Team:web", 3, 3.0, &[]),
                row("Team:core", 2, 2.0, &[]),
                row("Team:pay", 1, 1.0, &[]),
                row("(none)", 1, 1.0, &[]),
            ]
        );
        assert_eq!(r.all.count, 4, "7 row counts, 4 facts");
        let via = ["affected".to_owned()];
        let r = report(
            &c,
            &Spec {
                via: &via,
                ..spec(&c, Some("Team"))
            },
        )
        .unwrap();
        assert_eq!(
            table(&c, &r),
            [
                row("Team:core", 2, 2.0, &[]),
                row("Team:web", 2, 2.0, &[]),
                row("Team:pay", 1, 1.0, &[]),
                row("(none)", 1, 1.0, &[]),
            ],
            "ties by Type:id"
        );
        let r = report(
            &c,
            &Spec {
                via: &via,
                top: Some(1),
                ..spec(&c, Some("Team"))
            },
        )
        .unwrap();
        assert_eq!(
            table(&c, &r),
            [row("Team:core", 2, 2.0, &[]), row("(none)", 1, 1.0, &[])]
        );
        assert_eq!(r.hidden, 2);
    }

    #[test]
    fn impact_widens_what_a_fact_names_and_sums_revenue_once_per_entry() {
        // --impact: I3 names acme only (a customer breaks nothing): (none). I4: api →
        // checkout → store. Revenue: I1 and I4 reach store → acme (1000); I2 reaches
        // store → acme and billing → globex (1250); I3 names acme (1000).
        let (_d, c) = fixture();
        let arr = Expr::compile("impact.totals.Customer.arr").unwrap();
        let r = report(
            &c,
            &Spec {
                impact: true,
                sum: Some(&arr),
                ..spec(&c, Some("Product"))
            },
        )
        .unwrap();
        assert_eq!(
            table(&c, &r),
            [
                row("Product:store", 3, 3250.0, &[]),
                row("Product:billing", 1, 1250.0, &[]),
                row("(none)", 1, 1000.0, &[]),
            ]
        );
        assert_eq!(r.all.total, 4250.0);
    }

    #[test]
    fn where_touches_a_ref_by_the_same_rules_and_bounds_cut_periods() {
        let (_d, c) = fixture();
        let web = find(&c, "Team:web").unwrap();
        let shop = find(&c, "shop").unwrap();
        let filter = Expr::compile("touches('Team:web') && !touches('shop')").unwrap();
        assert_eq!(
            filter.literal_args("touches").unwrap(),
            ["Team:web", "shop"]
        );
        let touches = [("Team:web".to_owned(), web), ("shop".to_owned(), shop)];
        let r = report(
            &c,
            &Spec {
                filter: Some(&filter),
                touches: &touches,
                ..spec(&c, None)
            },
        )
        .unwrap();
        // web: I1, I2 (owners), I4 (led_by); shop: I1, I2. Left: I4.
        assert_eq!(r.all.count, 1);
        assert!(r.rows.is_empty(), "no --by, only the all row");

        let since = parse_date("2025-03-04");
        let until = parse_date("2025-03-19");
        let r = report(
            &c,
            &Spec {
                per: Some(Per::Week),
                since,
                until,
                ..spec(&c, Some("Team"))
            },
        )
        .unwrap();
        // I2 (03-05) and I4 (03-18) only; the periods run from since to until.
        assert_eq!(r.periods, ["2025-W10", "2025-W11", "2025-W12"]);
        assert_eq!(r.all.values, [1.0, 0.0, 1.0]);
        let newest: Vec<String> = incidents(
            &c,
            t_incident(&c),
            web,
            Some("opened"),
            parse_date("2025-03-04"),
        )
        .into_iter()
        .map(|t| c.key(t.fact))
        .collect();
        assert_eq!(
            newest,
            ["Incident:I4", "Incident:I2"],
            "newest first, I1 before --since"
        );
        assert_eq!(
            touching(&c, c.type_id("Incident").unwrap(), web)
                .into_iter()
                .map(|e| c.key(e))
                .collect::<Vec<_>>(),
            ["Incident:I1", "Incident:I2", "Incident:I4"]
        );
    }

    /// `touching` walks back from its target; the report's filter asks [`Dims`] forward
    /// from each fact. Both agree on every target and fact of this fixture, the example
    /// catalog, and one whose ownership passes through parents with and without owners
    /// of their own, and a parent cycle.
    #[test]
    fn touching_walks_back_to_what_dims_finds_forward() {
        let (_f, fixture) = fixture();
        let dir = crate::load::test_files(&[
            ("schemas/team.yaml", "type: Team\n"),
            ("schemas/node.yaml", "type: Node\nrelations:\n  owner: {to: Team, owner: true}\n  up: {to: Node, many: true, parent: true}\n"),
            ("schemas/fact.yaml", "type: Fact\nrelations:\n  on: {to: [Node, Team], many: true}\n"),
            (
                "catalog/all.yaml",
                "type: Team\nid: a\n---\ntype: Team\nid: b\n---\ntype: Node\nid: root\nowner: a\n---\ntype: Node\nid: mid\nup: [root]\n---\ntype: Node\nid: own\nowner: b\nup: [mid]\n---\ntype: Node\nid: leaf\nup: [own, mid]\n---\ntype: Node\nid: loop1\nup: [loop2]\n---\ntype: Node\nid: loop2\nup: [loop1, root]\n---\ntype: Fact\nid: f1\non: [leaf]\n---\ntype: Fact\nid: f2\non: [own]\n---\ntype: Fact\nid: f3\non: [loop1]\n---\ntype: Fact\nid: f4\non: [b]\n---\ntype: Fact\nid: f5\non: [mid, a]\n",
            ),
        ]);
        let owned = crate::load::load(dir.path()).unwrap();
        // The one problem is the parent cycle.
        assert_eq!(owned.problems.len(), 1, "{:?}", owned.problems);
        let example = crate::load::load(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
        let mut touches = 0;
        for c in [&fixture, &owned, &example] {
            let mut dims = Dims::new(c);
            for facts in c.types().map(|(t, _)| t) {
                for target in c.entry_ids() {
                    let want: Vec<EntryId> = c
                        .entry_ids()
                        .filter(|&f| c.entry_type(f) == facts)
                        .filter(|&f| dims.touches(target, &named(c, f, &[])))
                        .collect();
                    touches += want.len();
                    assert_eq!(touching(c, facts, target), want, "{}", c.key(target));
                }
            }
        }
        assert!(touches > 100, "{touches}");
        let key = |e: EntryId| owned.key(e);
        let fact = owned.type_id("Fact").unwrap();
        let team = |id: &str| owned.lookup(owned.type_id("Team").unwrap(), id).unwrap();
        let of = |id: &str| -> Vec<String> {
            touching(&owned, fact, team(id))
                .into_iter()
                .map(key)
                .collect()
        };
        // leaf inherits both a (through mid) and b (through own).
        assert_eq!(of("a"), ["Fact:f1", "Fact:f3", "Fact:f5"]);
        assert_eq!(of("b"), ["Fact:f1", "Fact:f2", "Fact:f4"]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(48))]

        /// The components' values of each root are those of a walk of its impact, on
        /// graphs with cycles, self-loops and entries shared by several roots.
        #[test]
        fn components_give_each_root_the_values_of_its_own_walk(
            deps in proptest::collection::vec((0..10usize, 0..10usize), 0..30),
            groups in proptest::collection::vec(proptest::option::of(0..4usize), 10),
        ) {
            let mut text = String::from("type: Group\nid: g0\n---\ntype: Group\nid: g1\n---\ntype: Group\nid: g2\n---\ntype: Group\nid: g3\n");
            for (i, g) in groups.iter().enumerate() {
                let on: Vec<String> = deps.iter().filter(|d| d.0 == i).map(|d| format!("n{}", d.1)).collect();
                let _ = write!(text, "---\ntype: Node\nid: n{i}\ndeps: [{}]\n", on.join(", "));
                if let Some(g) = g {
                    let _ = writeln!(text, "group: g{g}");
                }
            }
            let (_d, c) = crate::load::test_catalog(&[
                ("schemas/group.yaml", "type: Group\n"),
                ("schemas/node.yaml", "type: Node\nrelations:\n  deps: {to: Node, many: true, impact: source}\n  group: {to: Group, parent: true}\n"),
                ("catalog/all.yaml", &text),
            ]);
            let t = c.type_id("Group").unwrap();
            let mut dims = Dims::new(&c);
            let mut reach = Reach::new(&c);
            let mut components = Components::new(&c, t).unwrap();
            for i in 0..10 {
                let r = find(&c, &format!("Node:n{i}")).unwrap();
                let mut fast = components.values(&mut dims, t, r);
                let walked = reach.reach(&[r]);
                let mut slow = dims.values(t, &walked);
                fast.sort();
                slow.sort();
                proptest::prop_assert_eq!(fast, slow, "root n{}", i);
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(48))]

        /// Grouped sinks and per-root bitsets give the totals of one walk of the union,
        /// each entry once: sinks named as roots, sinks reached twice, cycles.
        #[test]
        fn union_totals_are_the_totals_of_one_walk(
            deps in proptest::collection::vec((0..8usize, 0..8usize), 0..20),
            leaves in proptest::collection::vec(proptest::collection::vec(0..8usize, 0..3), 0..12),
            facts in proptest::collection::vec(proptest::collection::vec(0..20usize, 0..4), 1..8),
        ) {
            let mut text = String::new();
            for i in 0..8 {
                let on: Vec<String> = deps.iter().filter(|d| d.0 == i).map(|d| format!("n{}", d.1)).collect();
                let _ = write!(text, "---\ntype: Node\nid: n{i}\ncost: {}\ndeps: [{}]\n", i % 3, on.join(", "));
            }
            for (j, uses) in leaves.iter().enumerate() {
                let on: Vec<String> = uses.iter().map(|u| format!("n{u}")).collect();
                let _ = write!(text, "---\ntype: Leaf\nid: l{j}\narr: {}\nuses: [{}]\n", 10 + j, on.join(", "));
            }
            let (_d, c) = crate::load::test_catalog(&[
                ("schemas/node.yaml", "type: Node\nschema:\n  properties:\n    cost: {type: integer}\nrelations:\n  deps: {to: Node, many: true, impact: source}\ntotals: [cost]\n"),
                ("schemas/leaf.yaml", "type: Leaf\nschema:\n  properties:\n    arr: {type: integer}\nrelations:\n  uses: {to: Node, many: true, impact: source}\ntotals: [arr]\n"),
                ("catalog/all.yaml", &text),
            ]);
            let pick = |k: usize| {
                if k < 8 {
                    find(&c, &format!("Node:n{k}")).ok()
                } else {
                    find(&c, &format!("Leaf:l{}", k - 8)).ok()
                }
            };
            let mut fast = Reach::new(&c);
            let mut kept = Reach::new(&c);
            kept.components = false;
            let mut slow = Reach::new(&c);
            for fact in &facts {
                let roots: Vec<EntryId> = fact.iter().filter_map(|&k| pick(k)).collect();
                let walked = slow.reach(&roots);
                let want = slow.totals(&walked);
                proptest::prop_assert_eq!(fast.union_totals(&roots), want.clone(), "roots {:?}", fact);
                proptest::prop_assert_eq!(kept.union_totals(&roots), want, "walked, roots {:?}", fact);
            }
        }
    }

    #[test]
    fn bad_sums_and_unreachable_dimensions_are_errors() {
        let (_d, c) = fixture();
        let note = Expr::compile("self.id").unwrap();
        let err = report(
            &c,
            &Spec {
                sum: Some(&note),
                ..spec(&c, None)
            },
        )
        .unwrap_err();
        assert!(matches!(err, ReportError::NotANumber { .. }), "{err}");
        let missing = Expr::compile("self.note").unwrap();
        let err = report(
            &c,
            &Spec {
                sum: Some(&missing),
                ..spec(&c, None)
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("has(self.hours)"), "{err}");
        let t = |n: &str| c.type_id(n).unwrap();
        assert_eq!(unreachable(&c, t("Incident"), t("Line"), &[], false), None);
        assert_eq!(unreachable(&c, t("Incident"), t("Team"), &[], false), None);
        let reached = unreachable(&c, t("Incident"), t("Line"), &["led_by".to_owned()], false);
        assert_eq!(reached, Some(vec!["Team".to_owned()]));
        let day = Spec {
            per: Some(Per::Day),
            since: parse_date("1900-01-01"),
            ..spec(&c, None)
        };
        assert!(matches!(
            report(&c, &day),
            Err(ReportError::TooManyPeriods { .. })
        ));
    }
}

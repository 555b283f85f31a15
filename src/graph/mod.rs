//! The resolved catalog: types, entries, and the edges between them in both directions.
//!
//! Input: the checked entries of every file ([`crate::check`]). Output: a [`Catalog`]
//! whose ids and aliases are indexed per type, whose references are resolved into
//! [`Edge`]s, and whose ownership cycles are reported.

mod cycles;
mod index;
mod resolve;

use std::collections::HashMap;
use std::path::PathBuf;

use crate::config::Config;
use crate::diag::{Diag, Severity};
pub use crate::model::entry::{Entry, EntryId};
use crate::model::{TypeDef, TypeId};
use crate::span::SourceMap;

/// A resolved reference: `from`'s relation number `relation` names `to`.
#[derive(Debug, Clone, Copy)]
pub struct Edge {
    pub from: EntryId,
    pub to: EntryId,
    pub relation: usize,
    /// Position in the list, for `many` relations.
    pub item: Option<u32>,
}

/// A loaded catalog.
pub struct Catalog {
    pub root: PathBuf,
    pub config: Config,
    pub sources: SourceMap,
    pub types: Vec<TypeDef>,
    pub entries: Vec<Entry>,
    pub edges: Vec<Edge>,
    /// Edge indexes by source entry, and by target entry.
    pub outgoing: Vec<Vec<usize>>,
    pub incoming: Vec<Vec<usize>>,
    /// Number of entry files read.
    pub files: usize,
    /// How many of them came from the cache.
    pub cache_hits: usize,
    pub problems: Vec<Diag>,
    /// Per type: id or alias -> entry.
    pub(crate) index: Vec<HashMap<String, EntryId>>,
    pub(crate) type_by_name: HashMap<String, TypeId>,
}

impl Catalog {
    pub fn type_id(&self, name: &str) -> Option<TypeId> {
        self.type_by_name.get(name).copied()
    }

    /// The entry of `type_id` whose id or alias is `key`.
    pub fn lookup(&self, type_id: TypeId, key: &str) -> Option<EntryId> {
        self.index[type_id].get(key).copied()
    }

    /// `Type:id` of an entry.
    pub fn key(&self, e: EntryId) -> String {
        let entry = &self.entries[e];
        format!("{}:{}", self.types[entry.type_id].name, entry.id)
    }

    /// 1-based line of the entry's first line.
    pub fn line(&self, e: EntryId) -> usize {
        let entry = &self.entries[e];
        self.sources.line_col(entry.file, entry.span.start).0
    }

    pub fn errors(&self) -> usize {
        self.problems
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    pub fn warnings(&self) -> usize {
        self.problems.len() - self.errors()
    }
}

/// Index ids and aliases, resolve references into edges, and find ownership cycles;
/// every problem on the way goes to `c.problems`.
pub fn link(c: &mut Catalog) {
    index::build_index(c);
    resolve::resolve(c);
    cycles::find_cycles(c);
}

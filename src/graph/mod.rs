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

/// How a name found its entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Id,
    Alias,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Id => "id",
            Via::Alias => "alias",
        }
    }
}

/// What [`Catalog::find`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    One(EntryId, Via),
    /// Several entries answer equally well, sorted by `Type:id`.
    Several(Vec<EntryId>),
    None,
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

    /// `Type:` at the start of `reference`, when it names a type: the type and the rest.
    pub fn split_type<'r>(&self, reference: &'r str) -> Option<(TypeId, &'r str)> {
        let (prefix, rest) = reference.split_once(':')?;
        Some((self.type_id(prefix)?, rest))
    }

    /// The one lookup of a name (an id or alias, not `Type:id`: see [`Catalog::split_type`])
    /// among `types`, every type when empty. An id wins over aliases of other entries;
    /// several entries that answer equally well are [`Found::Several`], sorted by
    /// `Type:id`. References between entries, REF arguments and alert values all use it.
    pub fn find(&self, name: &str, types: &[TypeId]) -> Found {
        let mut found: Vec<EntryId> = if types.is_empty() {
            (0..self.types.len())
                .filter_map(|t| self.lookup(t, name))
                .collect()
        } else {
            types.iter().filter_map(|&t| self.lookup(t, name)).collect()
        };
        if found.len() > 1 && found.iter().any(|&e| self.entries[e].id == name) {
            found.retain(|&e| self.entries[e].id == name);
        }
        match found.as_slice() {
            [] => Found::None,
            [one] => {
                let via = if self.entries[*one].id == name {
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

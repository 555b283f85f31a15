//! One checked catalog entry: its type, id, value and where it was written.

use std::ops::Range;

use serde_json::Value;

use crate::model::TypeId;
use crate::span::FileId;

/// An entry of the catalog: its place in the entry list. Made by the catalog only; read
/// it with [`crate::graph::Catalog::entry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct EntryId(u32);

impl EntryId {
    pub(crate) fn new(index: usize) -> EntryId {
        EntryId(u32::try_from(index).expect("fewer than 4G entries"))
    }

    /// Its place in the entry list, for tables indexed by entry.
    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }
}

/// One catalog entry.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) type_id: TypeId,
    pub(crate) id: String,
    pub(crate) value: Value,
    pub(crate) file: FileId,
    /// Index of the YAML document in its file.
    pub(crate) doc: usize,
    /// Byte span of the document.
    pub(crate) span: Range<usize>,
}

impl Entry {
    /// Display name: `name`, else the id.
    pub(crate) fn name(&self) -> &str {
        self.field(NAME, "name")
            .and_then(Value::as_str)
            .unwrap_or(&self.id)
    }

    pub(crate) fn aliases(&self) -> impl Iterator<Item = &str> {
        self.field(ALIASES, "aliases")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
    }

    /// The value of its type's `r`th relation, `name`; `None` when absent or null.
    pub(crate) fn relation(&self, r: usize, name: &str) -> Option<&Value> {
        self.field(RELATIONS + r, name).filter(|v| !v.is_null())
    }

    /// The field `name`, at `place` in the [`graph_form`].
    fn field(&self, place: usize, name: &str) -> Option<&Value> {
        match &self.value {
            Value::Array(graph) => graph.get(place),
            value => value.get(name),
        }
    }
}

/// Places in the [`graph_form`].
const NAME: usize = 0;
const ALIASES: usize = 1;
const RELATIONS: usize = 2;

/// `value` cut down to what linking reads (its name, aliases and relations), for a load
/// that asks nothing else of its entries (`validate`): `[name, aliases, each of the
/// type's relations in order]`, null where absent. An entry's value is otherwise always
/// an object, so an array is this form. An object of even three fields costs a whole
/// B-tree node (about 630 bytes); this costs 32 bytes a field.
pub(crate) fn graph_form(relations: &[crate::model::Relation], value: Value) -> Value {
    let Value::Object(mut m) = value else {
        return value;
    };
    // A relation may share its name with `name` or `aliases`: then both places hold it.
    let mut take = |key: &str, shared: bool| {
        if shared {
            m.get(key).cloned()
        } else {
            m.remove(key)
        }
        .unwrap_or(Value::Null)
    };
    let shares = |key: &str| relations.iter().any(|r| r.name == key);
    let mut graph = Vec::with_capacity(RELATIONS + relations.len());
    graph.push(take("name", shares("name")));
    graph.push(take("aliases", shares("aliases")));
    graph.extend(relations.iter().map(|r| take(&r.name, false)));
    while graph.last().is_some_and(Value::is_null) {
        graph.pop();
    }
    Value::Array(graph)
}

/// `self` as expressions see it: the entry with `name` defaulted to the id.
pub(crate) fn self_value<'a>(id: &str, value: &'a Value) -> std::borrow::Cow<'a, Value> {
    if value.get("name").is_some() {
        return std::borrow::Cow::Borrowed(value);
    }
    let mut v = value.clone();
    if let Value::Object(m) = &mut v {
        m.insert("name".into(), Value::String(id.to_owned()));
    }
    std::borrow::Cow::Owned(v)
}

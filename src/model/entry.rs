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
        self.value
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(&self.id)
    }

    pub(crate) fn aliases(&self) -> impl Iterator<Item = &str> {
        self.value
            .get("aliases")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
    }
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

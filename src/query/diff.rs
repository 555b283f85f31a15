//! What a change does to the catalog: two loaded catalogs in (a base and a head), the
//! entries added, removed and renamed, the fields changed, the owners that moved (also
//! through inheritance: a product changing team moves its features), and the references
//! that dangle now but did not before. Plain data; `render::changes` draws it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use serde_json::Value;

use crate::diag::{Code, Loc};
use crate::graph::{Catalog, EntryId};
use crate::query::OwnerIndex;

/// An entry that appeared or went away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct EntryRef {
    /// `Type:id`.
    pub(crate) entry: String,
    /// Display name (the id when the entry has none).
    pub(crate) name: String,
    /// Catalog-relative path of its file (in the head when added, the base when removed).
    pub(crate) file: String,
    /// 1-based line of the entry's first line in that file.
    pub(crate) line: usize,
}

/// An id that moved to the aliases of a new id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Renamed {
    /// The old `Type:id`, now an alias of `to`.
    pub(crate) from: String,
    /// The new `Type:id`.
    pub(crate) to: String,
}

/// One field's old and new value (`None`: absent).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct FieldChange {
    /// The top-level field's name.
    pub(crate) field: String,
    /// Its value in the base; `null` when absent.
    pub(crate) old: Option<Value>,
    /// Its value in the head; `null` when absent.
    pub(crate) new: Option<Value>,
}

/// An entry present on both sides whose fields differ.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Changed {
    /// `Type:id` in the head (the new id of a renamed entry).
    pub(crate) entry: String,
    /// The fields that differ, by name; never `type` or `id`.
    pub(crate) fields: Vec<FieldChange>,
}

/// An entry whose owners differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct OwnerMove {
    /// `Type:id` in the head.
    pub(crate) entry: String,
    /// Owners in the base, as `Type:id`, sorted.
    pub(crate) old: Vec<String>,
    /// Owners in the head, as `Type:id`, sorted.
    pub(crate) new: Vec<String>,
    /// The entry the new owner comes through when it is inherited (`Product:shop` for a
    /// feature of that product); `None` when the entry names its owner itself.
    pub(crate) via: Option<String>,
}

/// A reference that dangles in the head and did not in the base.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Dangling {
    /// `Type:id` of the entry holding the reference; `null` when it is not known.
    pub(crate) entry: Option<String>,
    /// Catalog-relative path of the head's file with the reference.
    pub(crate) file: String,
    /// 1-based line of the reference.
    pub(crate) line: usize,
    /// `validate`'s message for it (`lore::dangling-ref`).
    pub(crate) message: String,
}

/// A routing test case whose result differs between the base and the head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct RoutingChange {
    /// The test file, relative to the catalog root.
    pub(crate) file: String,
    /// 1-based line of the case in the test file.
    pub(crate) line: usize,
    /// The case's name.
    pub(crate) case: String,
    /// The result with the base catalog: `passed`, what failed
    /// (`failed (owners: -Team:a +Team:b)`), or `error: …`.
    pub(crate) base: String,
    /// The result with the head catalog, in the same words.
    pub(crate) head: String,
}

/// The whole difference between two catalogs, each list sorted by entry.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub(crate) struct Changes {
    pub(crate) added: Vec<EntryRef>,
    pub(crate) removed: Vec<EntryRef>,
    pub(crate) renamed: Vec<Renamed>,
    pub(crate) changed: Vec<Changed>,
    pub(crate) ownership: Vec<OwnerMove>,
    pub(crate) dangling: Vec<Dangling>,
    pub(crate) routing: Vec<RoutingChange>,
}

impl Changes {}

fn by_key(c: &Catalog) -> BTreeMap<String, EntryId> {
    c.entry_ids().map(|e| (c.key(e), e)).collect()
}

fn entry_ref(c: &Catalog, e: EntryId) -> EntryRef {
    let entry = c.entry(e);
    EntryRef {
        entry: c.key(e),
        name: entry.name().to_owned(),
        file: c.sources.display_path(entry.file),
        line: c.sources.line(entry.file, entry.span.start),
    }
}

/// Compare `base` with `head`.
pub(crate) fn diff(base: &Catalog, head: &Catalog) -> Changes {
    let old = by_key(base);
    let new = by_key(head);
    let mut removed: Vec<&String> = old.keys().filter(|k| !new.contains_key(*k)).collect();
    let mut added: Vec<&String> = new.keys().filter(|k| !old.contains_key(*k)).collect();

    // Renames: a removed `Type:id` that is now an alias of an added entry of that type.
    let mut pairs: Vec<(EntryId, EntryId)> = old
        .iter()
        .filter_map(|(k, &e)| new.get(k).map(|&h| (e, h)))
        .collect();
    let mut renamed = Vec::new();
    let added_aliases: HashMap<(String, &str), &String> = added
        .iter()
        .flat_map(|k| {
            let e = new[*k];
            let t = head.type_of(e).name.clone();
            head.entry(e).aliases().map(move |a| ((t.clone(), a), *k))
        })
        .collect();
    removed.retain(|k| {
        let e = old[*k];
        let t = base.type_of(e).name.clone();
        match added_aliases.get(&(t, base.entry(e).id.as_str())) {
            Some(to) => {
                renamed.push(Renamed {
                    from: (*k).clone(),
                    to: (*to).clone(),
                });
                pairs.push((e, new[*to]));
                false
            }
            None => true,
        }
    });
    let renamed_to: BTreeSet<&str> = renamed.iter().map(|r| r.to.as_str()).collect();
    added.retain(|k| !renamed_to.contains(k.as_str()));

    let mut changed = Vec::new();
    let mut ownership = Vec::new();
    // One index per side: entries along a parent chain share their owners.
    let (mut base_owners, mut head_owners) = (OwnerIndex::default(), OwnerIndex::default());
    for &(b, h) in &pairs {
        let fields = field_changes(&base.entry(b).value, &head.entry(h).value);
        if !fields.is_empty() {
            changed.push(Changed {
                entry: head.key(h),
                fields,
            });
        }
        let before: Vec<String> = sorted(
            base_owners
                .owners(base, b)
                .iter()
                .map(|o| base.key(o.owner)),
        );
        let after_owners = head_owners.owners(head, h);
        let after: Vec<String> = sorted(after_owners.iter().map(|o| head.key(o.owner)));
        if before != after {
            let via = after_owners
                .iter()
                .filter(|o| o.distance > 0)
                .map(|o| o.holder)
                .find(|&holder| holder != h)
                .map(|holder| head.key(holder));
            ownership.push(OwnerMove {
                entry: head.key(h),
                old: before,
                new: after,
                via,
            });
        }
    }

    // References that dangle now and did not before, compared without positions (a line
    // added above one shifts it without changing it).
    let was: BTreeSet<(Option<String>, String)> = base
        .problems
        .iter()
        .filter(|d| d.code == Code::DanglingRef)
        .map(|d| (d.entry.clone(), d.message.clone()))
        .collect();
    let mut dangling: Vec<Dangling> = head
        .problems
        .iter()
        .filter(|d| d.code == Code::DanglingRef)
        .filter(|d| !was.contains(&(d.entry.clone(), d.message.clone())))
        .map(|d| {
            let (file, line) = file_line(head, &d.loc);
            Dangling {
                entry: d.entry.clone(),
                file,
                line,
                message: d.message.clone(),
            }
        })
        .collect();
    dangling.sort_by(|a, b| (&a.file, a.line, &a.message).cmp(&(&b.file, b.line, &b.message)));

    let mut changes = Changes {
        added: added.iter().map(|k| entry_ref(head, new[*k])).collect(),
        removed: removed.iter().map(|k| entry_ref(base, old[*k])).collect(),
        renamed,
        changed,
        ownership,
        dangling,
        routing: Vec::new(),
    };
    changes.renamed.sort_by(|a, b| a.from.cmp(&b.from));
    changes.changed.sort_by(|a, b| a.entry.cmp(&b.entry));
    changes.ownership.sort_by(|a, b| a.entry.cmp(&b.entry));
    changes
}

/// Catalog-relative file and 1-based line of a problem.
pub(crate) fn file_line(c: &Catalog, loc: &Loc) -> (String, usize) {
    match loc {
        Loc::Span(f, span) => (
            c.sources.display_path(*f),
            c.sources.line_col(*f, span.start).0,
        ),
        Loc::File(f) | Loc::Pointer { file: f, .. } => (c.sources.display_path(*f), 1),
        Loc::None => (String::new(), 0),
    }
}

fn sorted(keys: impl Iterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = keys.collect();
    v.sort();
    v.dedup();
    v
}

/// Top-level fields that differ, by name; `type` and `id` are the entry's key.
fn field_changes(old: &Value, new: &Value) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let o = old.as_object().unwrap_or(&empty);
    let n = new.as_object().unwrap_or(&empty);
    let names: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
    names
        .into_iter()
        .filter(|f| f.as_str() != "type" && f.as_str() != "id")
        .filter(|f| o.get(*f) != n.get(*f))
        .map(|f| FieldChange {
            field: f.clone(),
            old: o.get(f).cloned(),
            new: n.get(f).cloned(),
        })
        .collect()
}

/// A value in one short line: strings bare, everything else as compact JSON.
pub(crate) fn compact(v: Option<&Value>) -> String {
    match v {
        None => "(none)".into(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_changes_skip_the_key_and_list_each_difference() {
        let old = json!({"type": "Product", "id": "a", "tier": 1, "owner": "web"});
        let new = json!({"type": "Product", "id": "a", "tier": 2, "owner": "web", "x": [1]});
        let f = field_changes(&old, &new);
        assert_eq!(
            f,
            vec![
                FieldChange {
                    field: "tier".into(),
                    old: Some(json!(1)),
                    new: Some(json!(2))
                },
                FieldChange {
                    field: "x".into(),
                    old: None,
                    new: Some(json!([1]))
                },
            ]
        );
    }

    #[test]
    fn compact_values_read_in_one_line() {
        assert_eq!(compact(Some(&json!("web"))), "web");
        assert_eq!(compact(Some(&json!(["a", 1]))), "[\"a\",1]");
        assert_eq!(compact(None), "(none)");
    }
}

//! `lore export`: the catalog in formats other tools read. JSON (an array of entries),
//! NDJSON (one entry a line), CSV (one row per entry, a column per field), CODEOWNERS
//! (entries with a path field and their owners' handles), SQLite (tables for
//! analysts and BI tools), and Backstage (`catalog-info.yaml` entities, see [`backstage`]). Output is sorted (by type, then id) and deterministic.
//!
//! The SQLite schema (every value column holding JSON is JSON text):
//!
//! | table | columns | one row per |
//! |---|---|---|
//! | `entries` | `entry` (`Type:id`, key), `type`, `id`, `name`, `file`, `line`, `value` (the whole entry, JSON) | entry |
//! | `fields` | `entry`, `field`, `value` (JSON) | top-level field of an entry |
//! | `relations` | `entry`, `relation`, `target`, `item` (position in a list, or null) | reference that resolved |
//! | `owners` | `entry`, `owner`, `distance` (1: its own owner), `via` (the entry whose owner it is) | resolved owner, also inherited through parents |
//! | `impact` | `broken`, `impacted`, `relation` | impact edge: when `broken` breaks, `impacted` is affected |

use rusqlite::types::Value as SqlValue;
use std::io::{self, Write};

use serde_json::Value;

use crate::graph::{Catalog, EntryId};
use crate::model::Impact;
use crate::query::OwnerIndex;

/// The entries exported: of `types` (all when empty), sorted by type, then id.
pub(crate) fn selected(c: &Catalog, types: &[crate::model::TypeId]) -> Vec<EntryId> {
    let mut ids: Vec<EntryId> = c
        .entry_ids()
        .filter(|&e| types.is_empty() || types.contains(&c.entry(e).type_id))
        .collect();
    ids.sort_by(|&a, &b| {
        let (x, y) = (c.entry(a), c.entry(b));
        (&c.type_def(x.type_id).name, &x.id).cmp(&(&c.type_def(y.type_id).name, &y.id))
    });
    ids
}

pub(crate) fn json(out: &mut dyn Write, c: &Catalog, ids: &[EntryId]) -> io::Result<()> {
    let values: Vec<&Value> = ids.iter().map(|&e| &c.entry(e).value).collect();
    serde_json::to_writer_pretty(&mut *out, &values)?;
    writeln!(out)
}

pub(crate) fn ndjson(out: &mut dyn Write, c: &Catalog, ids: &[EntryId]) -> io::Result<()> {
    for &e in ids {
        serde_json::to_writer(&mut *out, &c.entry(e).value)?;
        writeln!(out)?;
    }
    Ok(())
}

/// Text of a value in a CSV cell: strings as they are, the rest as compact JSON.
fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// One row per entry: `type`, `id`, `name`, then every other field any of them has, by name.
pub(crate) fn csv(out: &mut dyn Write, c: &Catalog, ids: &[EntryId]) -> io::Result<()> {
    let mut columns: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    for &e in ids {
        if let Some(map) = c.entry(e).value.as_object() {
            columns.extend(map.keys().map(String::as_str));
        }
    }
    let head = ["type", "id", "name"];
    let rest: Vec<&str> = columns.into_iter().filter(|k| !head.contains(k)).collect();
    let mut w = ::csv::Writer::from_writer(out);
    let header: Vec<&str> = head.iter().copied().chain(rest.iter().copied()).collect();
    w.write_record(&header).map_err(io::Error::other)?;
    for &e in ids {
        let entry = c.entry(e);
        let mut row = vec![
            c.type_def(entry.type_id).name.clone(),
            entry.id.clone(),
            entry.name().to_owned(),
        ];
        row.extend(rest.iter().map(|k| cell(entry.value.get(*k))));
        w.write_record(&row).map_err(io::Error::other)?;
    }
    w.flush()
}

/// Backstage `catalog-info.yaml` entities, one document per entry: `kind` is the type's
/// name; `metadata.name` the id (less its `namespace.` prefix when the entry has a
/// `namespace` field), `title` the name, `description`, `tags` and `annotations` from the
/// fields of those names; `spec.type`, `spec.lifecycle` and `spec.profile.email` from
/// `spec_type`, `lifecycle` and `email`. References are written `Kind:namespace/name`
/// under the relation's own name when it is one of Backstage's reference fields (`owner`,
/// `system`, `dependsOn`, …), else an owner relation as `owner`, a parent System or
/// Domain as `system` or `domain`, and impact edges as `dependsOn` (when the target
/// breaks, this entry does) or `dependencyOf`. This is the form `lore import` reads back.
pub(crate) fn backstage(out: &mut dyn Write, c: &Catalog, ids: &[EntryId]) -> io::Result<()> {
    let text = |e: EntryId, f: &str| {
        c.entry(e)
            .value
            .get(f)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let name_of = |e: EntryId| {
        let id = c.entry(e).id.as_str();
        match text(e, "namespace") {
            Some(ns) => (
                ns,
                id.strip_prefix(ns)
                    .and_then(|r| r.strip_prefix('.'))
                    .filter(|r| !r.is_empty())
                    .unwrap_or(id),
            ),
            None => ("default", id),
        }
    };
    for (n, &e) in ids.iter().enumerate() {
        let entry = c.entry(e);
        let kind = &c.type_of(e).name;
        let (namespace, name) = name_of(e);
        let mut metadata = serde_json::Map::new();
        metadata.insert("name".into(), Value::from(name));
        if namespace != "default" {
            metadata.insert("namespace".into(), Value::from(namespace));
        }
        if let Some(title) = text(e, "name").filter(|t| *t != entry.id) {
            metadata.insert("title".into(), Value::from(title));
        }
        for f in ["description", "tags", "annotations"] {
            if let Some(v) = entry.value.get(f).filter(|v| !v.is_null()) {
                metadata.insert(f.into(), v.clone());
            }
        }
        let mut spec = serde_json::Map::new();
        for (from, to) in [("spec_type", "type"), ("lifecycle", "lifecycle")] {
            if let Some(v) = text(e, from) {
                spec.insert(to.into(), Value::from(v));
            }
        }
        if let Some(email) = text(e, "email") {
            spec.insert("profile".into(), serde_json::json!({"email": email}));
        }
        let mut refs: Vec<(String, bool, Vec<String>)> = Vec::new();
        for edge in c.out(e) {
            let r = c.relation(edge);
            let target_type = &c.type_of(edge.to).name;
            let field = match crate::import::backstage::ref_field(&r.name) {
                Some(many) => Some((r.name.clone(), many)),
                None if r.owner => Some(("owner".to_owned(), false)),
                None if r.parent && (target_type == "System" || target_type == "Domain") => {
                    Some((target_type.to_ascii_lowercase(), false))
                }
                None => match r.impact {
                    Some(Impact::Source) => Some(("dependsOn".to_owned(), true)),
                    Some(Impact::Target) => Some(("dependencyOf".to_owned(), true)),
                    None => None,
                },
            };
            let Some((field, many)) = field else { continue };
            let (ns, target) = name_of(edge.to);
            let reference = format!("{target_type}:{ns}/{target}");
            match refs.iter_mut().find(|(f, _, _)| *f == field) {
                Some((_, _, list)) => list.push(reference),
                None => refs.push((field, many, vec![reference])),
            }
        }
        for (field, many, mut list) in refs {
            list.dedup();
            // A field Backstage reads as one reference keeps the first.
            let value = if many {
                Value::from(list)
            } else {
                Value::from(list.swap_remove(0))
            };
            spec.insert(field, value);
        }
        if n > 0 {
            writeln!(out, "---")?;
        }
        writeln!(out, "apiVersion: backstage.io/v1alpha1")?;
        writeln!(out, "kind: {}", serde_json::to_string(kind)?)?;
        write!(out, "metadata:")?;
        yaml_block(out, &Value::Object(metadata), 1)?;
        if !spec.is_empty() {
            write!(out, "spec:")?;
            yaml_block(out, &Value::Object(spec), 1)?;
        }
    }
    Ok(())
}

/// `value` after a key already written: a mapping as indented block lines, anything else
/// on the key's line as JSON (every JSON value is a YAML flow value).
fn yaml_block(out: &mut dyn Write, value: &Value, depth: usize) -> io::Result<()> {
    match value {
        Value::Object(map) if !map.is_empty() => {
            writeln!(out)?;
            for (k, v) in map {
                let mut key = String::new();
                crate::import::write_key(&mut key, k);
                write!(out, "{:width$}{key}:", "", width = depth * 2)?;
                yaml_block(out, v, depth + 1)?;
            }
            Ok(())
        }
        other => writeln!(out, " {}", serde_json::to_string(other)?),
    }
}

/// A CODEOWNERS file: for each entry with a `path_field`, its path and the `handle_field`
/// of each of its owners; broader paths first, as the last matching rule wins. An entry
/// whose owners have no handle is a comment saying so.
pub(crate) fn codeowners(
    out: &mut dyn Write,
    c: &Catalog,
    ids: &[EntryId],
    path_field: &str,
    handle_field: &str,
) -> io::Result<()> {
    let mut owners = OwnerIndex::default();
    let mut rules: Vec<(usize, String, String)> = Vec::new();
    for &e in ids {
        let Some(path) = c.entry(e).value.get(path_field).and_then(Value::as_str) else {
            continue;
        };
        let path = path.trim();
        if path.is_empty() || path.chars().any(char::is_control) {
            continue;
        }
        let held = owners.owners(c, e);
        let handles: Vec<String> = held
            .iter()
            .filter_map(|h| {
                c.entry(h.owner)
                    .value
                    .get(handle_field)
                    .and_then(Value::as_str)
            })
            .filter(|h| !h.is_empty() && !h.chars().any(|ch| ch.is_whitespace() || ch.is_control()))
            .map(str::to_owned)
            .collect();
        let escaped = path.replace(' ', "\\ ").replace('#', "\\#");
        let line = if handles.is_empty() {
            format!(
                "# {escaped}: {} has no owner with a `{handle_field}`",
                c.key(e)
            )
        } else {
            format!("{escaped} {}", handles.join(" "))
        };
        let depth = path.trim_matches('/').matches('/').count();
        rules.push((depth, path.to_owned(), line));
    }
    rules.sort();
    writeln!(out, "# Generated by `lore export --format codeowners` from the catalog: entries' `{path_field}` and their owners' `{handle_field}`.")?;
    for (_, _, line) in rules {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// The tables rows are written to, with their column counts.
const TABLES: [crate::sqlite::Table; 5] = [
    ("entries", 7),
    ("fields", 3),
    ("relations", 4),
    ("owners", 4),
    ("impact", 3),
];
const ENTRIES: usize = 0;
const FIELDS: usize = 1;
const RELATIONS: usize = 2;
const OWNERS: usize = 3;
const IMPACT: usize = 4;

fn text(s: impl Into<String>) -> SqlValue {
    SqlValue::Text(s.into())
}

/// Write the catalog into a new SQLite database at `path` (which must not exist).
pub(crate) fn sqlite(path: &std::path::Path, c: &Catalog, ids: &[EntryId]) -> rusqlite::Result<()> {
    crate::sqlite::write(
        path,
        "CREATE TABLE entries (entry TEXT PRIMARY KEY, type TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, file TEXT NOT NULL, line INTEGER NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
         CREATE TABLE fields (entry TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (entry, field)) WITHOUT ROWID;
         CREATE TABLE relations (entry TEXT NOT NULL, relation TEXT NOT NULL, target TEXT NOT NULL, item INTEGER);
         CREATE TABLE owners (entry TEXT NOT NULL, owner TEXT NOT NULL, distance INTEGER NOT NULL, via TEXT NOT NULL);
         CREATE TABLE impact (broken TEXT NOT NULL, impacted TEXT NOT NULL, relation TEXT NOT NULL);",
        &TABLES,
        "CREATE INDEX relations_target ON relations (target);
         CREATE INDEX owners_owner ON owners (owner);
         CREATE INDEX impact_broken ON impact (broken);",
        |rows| make_rows(c, ids, rows),
    )
}

/// The rows of every table, in entry order.
fn make_rows(c: &Catalog, ids: &[EntryId], rows: &mut crate::sqlite::Rows<'_>) {
    let mut owners = OwnerIndex::default();
    let keys: Vec<String> = c.entry_ids().map(|e| c.key(e)).collect();
    let selected: std::collections::HashSet<EntryId> = ids.iter().copied().collect();
    for &e in ids {
        let entry = c.entry(e);
        let key = &keys[e.index()];
        let file = crate::fsutil::slashed(c.sources.path(entry.file));
        let mut open = rows.push(
            ENTRIES,
            [
                text(key.as_str()),
                text(c.type_def(entry.type_id).name.as_str()),
                text(entry.id.as_str()),
                text(entry.name()),
                text(file),
                SqlValue::Integer(c.line(e) as i64),
                text(entry.value.to_string()),
            ],
        );
        if let Some(map) = entry.value.as_object() {
            for (k, v) in map {
                open &= rows.push(
                    FIELDS,
                    [text(key.as_str()), text(k.as_str()), text(v.to_string())],
                );
            }
        }
        for edge in c.out(e) {
            let rel = c.relation(edge);
            open &= rows.push(
                RELATIONS,
                [
                    text(key.as_str()),
                    text(rel.name.as_str()),
                    text(keys[edge.to.index()].as_str()),
                    edge.item
                        .map_or(SqlValue::Null, |i| SqlValue::Integer(i64::from(i))),
                ],
            );
            let (broken, impacted) = match rel.impact {
                Some(Impact::Source) => (edge.to, e),
                Some(Impact::Target) => (e, edge.to),
                None => continue,
            };
            if selected.contains(&broken) || selected.contains(&impacted) {
                open &= rows.push(
                    IMPACT,
                    [
                        text(keys[broken.index()].as_str()),
                        text(keys[impacted.index()].as_str()),
                        text(rel.name.as_str()),
                    ],
                );
            }
        }
        for h in owners.owners(c, e) {
            open &= rows.push(
                OWNERS,
                [
                    text(key.as_str()),
                    text(keys[h.owner.index()].as_str()),
                    SqlValue::Integer(h.distance as i64),
                    text(keys[h.holder.index()].as_str()),
                ],
            );
        }
        if !open {
            return; // the writer failed: its error is the answer
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(entries: usize) -> (tempfile::TempDir, Catalog) {
        let mut text = String::new();
        for i in 0..entries {
            let next = (i + 1) % entries;
            text += "---\ntype: Service\nid: s";
            text += &i.to_string();
            text += "\nowner: team\ndepends_on: [s";
            text += &next.to_string();
            text += "]\n";
        }
        crate::load::test_catalog(&[
            (
                "schemas/team.yaml",
                "type: Team\nschema: {properties: {}}\n",
            ),
            (
                "schemas/service.yaml",
                "type: Service\nrelations:\n  owner: {to: Team, owner: true}\n  depends_on: {to: Service, many: true, impact: source}\n",
            ),
            ("catalog/team.yaml", "type: Team\nid: team\n"),
            ("catalog/services.yaml", &text),
        ])
    }

    #[test]
    fn every_row_reaches_its_table_across_batches() {
        // More rows than one batch, and not a multiple of it: both statements run.
        let (dir, c) = catalog(crate::sqlite::BATCH * 3 + 5);
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        let ids = selected(&c, &[]);
        let path = dir.path().join("out.db");
        sqlite(&path, &c, &ids).unwrap();
        let db = rusqlite::Connection::open(&path).unwrap();
        let count = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).unwrap() };
        let services = (crate::sqlite::BATCH * 3 + 5) as i64;
        assert_eq!(count("SELECT count(*) FROM entries"), services + 1);
        assert_eq!(count("SELECT count(*) FROM relations"), services * 2);
        assert_eq!(count("SELECT count(*) FROM impact"), services);
        assert_eq!(
            count("SELECT count(*) FROM fields WHERE entry = 'Service:s7'"),
            4
        );
        assert_eq!(
            count("SELECT count(*) FROM owners WHERE owner = 'Team:team'"),
            services + 1
        );
    }

    #[test]
    fn a_database_that_cannot_be_created_is_an_error_not_a_hang() {
        let (dir, c) = catalog(crate::sqlite::BATCH * 2);
        let ids = selected(&c, &[]);
        let path = dir.path().join("no/such/folder/out.db");
        assert!(sqlite(&path, &c, &ids).is_err());
    }
}

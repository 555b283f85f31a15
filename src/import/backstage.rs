//! Backstage sources: `catalog-info.yaml` entities (`apiVersion`, `kind`, `metadata`,
//! `spec`), one row per entity, with Backstage's own reference rules applied.
//!
//! A reference is `[kind:][namespace/]name`. The kind, when left out, depends on the
//! field (`spec.owner` → Group, `spec.system` → System, `spec.domain` → Domain,
//! `spec.subcomponentOf` → Component, `spec.providesApis`/`consumesApis` → API,
//! `spec.parent`/`children`/`memberOf` → Group); `spec.dependsOn` and `dependencyOf`
//! need it written. The namespace, when left out, is the entity's own. Kinds compare
//! without case (`component:x` is a Component).
//!
//! Each row is the entity as written plus `row.lore`: its `id` (the name in the `default`
//! namespace, else `namespace.name`), its `kind` as a type name, and every reference
//! field above as `Kind:id` (a list for the list fields; null or `[]` when absent), ready for a pipeline's
//! `relations:`. A reference without a kind where one is needed is a problem at its line.

use serde_json::{json, Map, Value};

use super::{Problem, Row};
use crate::yaml::{self, Limits};

/// Backstage's kinds, by their canonical names.
const KINDS: &[&str] = &[
    "Component",
    "API",
    "Resource",
    "System",
    "Domain",
    "Group",
    "User",
    "Location",
    "Template",
];

/// Reference fields of `spec`: the field, its default kind (None: the kind is required),
/// and whether it holds a list.
const REFS: &[(&str, Option<&str>, bool)] = &[
    ("owner", Some("Group"), false),
    ("system", Some("System"), false),
    ("domain", Some("Domain"), false),
    ("subcomponentOf", Some("Component"), false),
    ("dependsOn", None, true),
    ("dependencyOf", None, true),
    ("providesApis", Some("API"), true),
    ("consumesApis", Some("API"), true),
    ("parent", Some("Group"), false),
    ("children", Some("Group"), true),
    ("memberOf", Some("Group"), true),
];

/// A kind as a type name: Backstage's spelling for its own kinds, else as written with
/// its first letter upper-case.
pub(crate) fn kind_name(kind: &str) -> String {
    if let Some(k) = KINDS.iter().find(|k| k.eq_ignore_ascii_case(kind)) {
        return (*k).to_owned();
    }
    let mut c = kind.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// lore's id of the entity `name` in `namespace`.
pub(crate) fn lore_id(namespace: &str, name: &str) -> String {
    if namespace.eq_ignore_ascii_case("default") {
        name.to_owned()
    } else {
        format!("{namespace}.{name}")
    }
}

/// `Kind:id` of a reference, with the field's default kind and the entity's namespace.
pub(crate) fn resolve(
    reference: &str,
    default_kind: Option<&str>,
    namespace: &str,
) -> Option<String> {
    let (kind, rest) = match reference.split_once(':') {
        Some((k, rest)) => (Some(k), rest),
        None => (None, reference),
    };
    let kind = kind.or(default_kind)?;
    let (ns, name) = rest.split_once('/').unwrap_or((namespace, rest));
    Some(format!("{}:{}", kind_name(kind), lore_id(ns, name)))
}

/// The rows of one YAML file of entities (`file` names it in problems).
pub(crate) fn rows(file: &str, bytes: &[u8], out: &mut Vec<Problem>) -> Vec<Row> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        out.push(Problem::at(file, 0, "it is not UTF-8").help("save it as UTF-8"));
        return Vec::new();
    };
    let parsed = yaml::parse(text, Limits::default(), true);
    let lines = crate::span::Lines::new(text);
    for e in &parsed.errors {
        out.push(Problem::at(
            file,
            lines.line(e.span.start),
            e.message.clone(),
        ));
    }
    if !parsed.errors.is_empty() {
        return Vec::new();
    }
    let mut rows = Vec::new();
    for (i, doc) in parsed.documents.into_iter().enumerate() {
        if doc.value.is_null() {
            continue;
        }
        let at = |pointer: &str| {
            doc.spans
                .as_ref()
                .and_then(|s| s.nearest(pointer))
                .map_or(lines.line(doc.span.start), |s| lines.line(s.start))
        };
        let line = at("");
        let kind = doc.value.get("kind").and_then(Value::as_str);
        let meta = doc.value.get("metadata");
        let name = meta.and_then(|m| m.get("name")).and_then(Value::as_str);
        let (Some(kind), Some(name)) = (kind, name) else {
            out.push(
                Problem::at(
                    file,
                    line,
                    "this document is not a Backstage entity: it needs `kind` and `metadata.name`",
                )
                .help("see https://backstage.io/docs/features/software-catalog/descriptor-format"),
            );
            continue;
        };
        let namespace = meta
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str)
            .unwrap_or("default");
        let mut lore = Map::new();
        lore.insert("id".into(), json!(lore_id(namespace, name)));
        lore.insert("kind".into(), json!(kind_name(kind)));
        lore.insert("namespace".into(), json!(namespace));
        let spec = doc.value.get("spec");
        for &(field, default, many) in REFS {
            // Every field is there (null, or an empty list) so pipelines need no `has()`.
            let Some(value) = spec.and_then(|s| s.get(field)) else {
                lore.insert(field.into(), if many { json!([]) } else { Value::Null });
                continue;
            };
            let items: Vec<(usize, &str)> = match value {
                Value::String(s) => vec![(0, s.as_str())],
                Value::Array(a) => a
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| v.as_str().map(|s| (i, s)))
                    .collect(),
                _ => Vec::new(),
            };
            let mut refs = Vec::new();
            for (j, item) in items {
                match resolve(item, default, namespace) {
                    Some(r) => refs.push(Value::String(r)),
                    None => out.push(
                        Problem::at(file, at(&format!("/spec/{field}/{j}")), format!("`{item}` in `spec.{field}` names no kind; Backstage needs one there"))
                            .help(format!("write it as `kind:[namespace/]name`, e.g. `resource:{item}`")),
                    ),
                }
            }
            let v = if many {
                Value::Array(refs)
            } else {
                refs.into_iter().next().unwrap_or(Value::Null)
            };
            lore.insert(field.into(), v);
        }
        let mut value = doc.value;
        if let Value::Object(map) = &mut value {
            map.insert("lore".into(), Value::Object(lore));
        }
        rows.push(Row {
            number: i + 1,
            line,
            value,
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_follow_backstages_rules() {
        assert_eq!(
            resolve("team-a", Some("Group"), "default").as_deref(),
            Some("Group:team-a")
        );
        assert_eq!(
            resolve("user:jdoe", Some("Group"), "default").as_deref(),
            Some("User:jdoe")
        );
        assert_eq!(
            resolve("ops/db", Some("System"), "default").as_deref(),
            Some("System:ops.db")
        );
        assert_eq!(
            resolve("api", Some("API"), "payments").as_deref(),
            Some("API:payments.api")
        );
        assert_eq!(
            resolve("resource:default/db", None, "x").as_deref(),
            Some("Resource:db")
        );
        assert_eq!(resolve("db", None, "default"), None);
        assert_eq!(kind_name("component"), "Component");
        assert_eq!(kind_name("api"), "API");
        assert_eq!(kind_name("template"), "Template");
        assert_eq!(kind_name("myKind"), "MyKind");
    }

    #[test]
    fn entities_become_rows_with_their_references_resolved() {
        let text = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: artist-web\n  namespace: music\nspec:\n  type: website\n  owner: team-a\n  system: audio\n  providesApis: [artist-api]\n  dependsOn: [resource:default/artists-db, artists-cache]\n---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: team-a}\nspec: {type: team, children: []}\n";
        let mut out = Vec::new();
        let rows = rows("catalog-info.yaml", text.as_bytes(), &mut out);
        assert_eq!(rows.len(), 2);
        let lore = &rows[0].value["lore"];
        assert_eq!(lore["id"], "music.artist-web");
        assert_eq!(lore["owner"], "Group:music.team-a");
        assert_eq!(lore["system"], "System:music.audio");
        assert_eq!(lore["providesApis"], json!(["API:music.artist-api"]));
        assert_eq!(lore["dependsOn"], json!(["Resource:artists-db"]));
        assert_eq!(rows[1].value["lore"]["id"], "team-a");
        // The reference without a kind is reported at its line.
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].line, 11);
        assert!(out[0].message.contains("`artists-cache`"));
    }
}

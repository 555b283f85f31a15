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
//! namespace, else `namespace.name`), its `kind` as a type name, its `namespace`, every
//! reference field above as `Kind:id` (a list for the list fields; null or `[]` when
//! absent), ready for a pipeline's `relations:`, and `title` (or the profile's
//! `displayName`), `description`, `type`, `lifecycle`, `email`, `tags`, `annotations`
//! (null when absent). A reference without a kind where one is needed is a problem at
//! its line. A document with neither `apiVersion` nor `kind` (an API definition kept
//! beside the entities) is not an entity and is passed over.
//!
//! [`starter`] writes the types and pipelines of `lore init --from-backstage`.

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

/// Whether `field` is one of the reference fields of `spec`, and then whether it holds a
/// list.
pub(crate) fn ref_field(field: &str) -> Option<bool> {
    REFS.iter()
        .find(|(f, _, _)| *f == field)
        .map(|&(_, _, many)| many)
}

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

/// The descriptive fields of an entity under names a pipeline can use without `has()`:
/// null (or `[]`, `{}`) when absent or not of the type Backstage gives them.
fn plain_fields(meta: Option<&Value>, spec: Option<&Value>) -> Vec<(&'static str, Value)> {
    let text = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map_or(Value::Null, |s| json!(s))
    };
    let m = |k: &str| meta.and_then(|m| m.get(k));
    let s = |k: &str| spec.and_then(|s| s.get(k));
    let profile = |k: &str| s("profile").and_then(|p| p.get(k));
    let tags: Vec<Value> = m("tags")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter(|t| t.is_string()).cloned().collect())
        .unwrap_or_default();
    let annotations: Map<String, Value> = m("annotations")
        .and_then(Value::as_object)
        .map(|a| {
            a.iter()
                .filter(|(_, v)| v.is_string())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    let title = match text(m("title")) {
        Value::Null => text(profile("displayName")),
        t => t,
    };
    vec![
        ("title", title),
        ("description", text(m("description"))),
        ("type", text(s("type"))),
        ("lifecycle", text(s("lifecycle"))),
        ("email", text(profile("email"))),
        ("tags", Value::Array(tags)),
        (
            "annotations",
            if annotations.is_empty() {
                Value::Null
            } else {
                Value::Object(annotations)
            },
        ),
    ]
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
        // A document with neither is another kind of YAML kept beside the entities (an
        // OpenAPI definition, say), which Backstage never reads as an entity either.
        if doc.value.get("apiVersion").is_none() && doc.value.get("kind").is_none() {
            continue;
        }
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
        for (key, value) in plain_fields(meta, spec) {
            lore.insert(key.into(), value);
        }
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

/// How lore declares each reference field of `spec`: extra relation keys, and the name
/// the target shows the edge under (Backstage's own relation names where they do not
/// collide with a field).
const DECLARED: &[(&str, &str, &str)] = &[
    ("owner", "owner: true", "ownerOf"),
    ("system", "parent: true", "hasPart"),
    ("domain", "parent: true", "hasPart"),
    ("subcomponentOf", "parent: true", "hasSubcomponent"),
    ("dependsOn", "many: true, impact: source", "dependents"),
    ("dependencyOf", "many: true, impact: target", "dependencies"),
    ("providesApis", "many: true", "apiProvidedBy"),
    ("consumesApis", "many: true", "apiConsumedBy"),
    ("parent", "parent: true", "parentOf"),
    ("children", "many: true", "childOf"),
    ("memberOf", "many: true", "hasMember"),
];

/// The reference fields Backstage's built-in kinds declare in `spec`.
const BUILTIN: &[(&str, &[&str])] = &[
    (
        "Component",
        &[
            "owner",
            "system",
            "subcomponentOf",
            "providesApis",
            "consumesApis",
            "dependsOn",
            "dependencyOf",
        ],
    ),
    ("API", &["owner", "system"]),
    (
        "Resource",
        &["owner", "system", "dependsOn", "dependencyOf"],
    ),
    ("System", &["owner", "domain"]),
    ("Domain", &["owner"]),
    ("Group", &["parent", "children"]),
    ("User", &["memberOf"]),
];

/// The attributes every imported type declares, with their JSON Schema, and the row
/// field each comes from.
const ATTRIBUTES: &[(&str, &str, &str)] = &[
    (
        "namespace",
        "{type: string, description: \"Backstage namespace, when not default\"}",
        "row.lore.namespace == 'default' ? null : row.lore.namespace",
    ),
    (
        "spec_type",
        "{type: string, description: \"spec.type\"}",
        "row.lore.type",
    ),
    (
        "lifecycle",
        "{type: string, description: \"spec.lifecycle\"}",
        "row.lore.lifecycle",
    ),
    (
        "email",
        "{type: string, description: \"spec.profile.email\"}",
        "row.lore.email",
    ),
    (
        "tags",
        "{type: array, items: {type: string}, description: \"metadata.tags\"}",
        "row.lore.tags",
    ),
    (
        "annotations",
        "{type: object, additionalProperties: {type: string}, description: \"metadata.annotations\"}",
        "row.lore.annotations",
    ),
];

/// The glob the generated pipelines read when `lore import` gets no `--from`.
pub(crate) const DEFAULT_GLOB: &str = "**/catalog-info.yaml";

/// Whether `kind` can name a type and a file: Backstage's own rule for kinds.
fn plain_kind(kind: &str) -> bool {
    let mut c = kind.chars();
    c.next().is_some_and(|f| f.is_ascii_alphabetic())
        && c.all(|ch| ch.is_ascii_alphanumeric())
        && kind.len() <= 63
}

/// The files of a new catalog repository for Backstage entities: `lore.yaml` with one
/// import pipeline per kind, and `schemas/<kind>.yaml` for Backstage's built-in kinds and
/// every other kind in `rows`, each declaring the reference fields its entities use.
/// A kind that cannot name a type is reported into `out`.
pub(crate) fn starter(
    files: &[(String, Vec<Row>)],
    out: &mut Vec<Problem>,
) -> Vec<(String, String)> {
    use std::collections::{BTreeMap, BTreeSet};
    use std::fmt::Write as _;
    let mut kinds: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for (kind, fields) in BUILTIN {
        kinds.insert((*kind).to_owned(), fields.iter().copied().collect());
    }
    let mut by_lower: BTreeMap<String, String> = kinds
        .keys()
        .map(|k| (k.to_ascii_lowercase(), k.clone()))
        .collect();
    for (file, row) in files
        .iter()
        .flat_map(|(f, rows)| rows.iter().map(move |r| (f.as_str(), r)))
    {
        let Some(kind) = row.value["lore"]["kind"].as_str() else {
            continue;
        };
        if !plain_kind(kind) {
            out.push(
                Problem::at(file, row.line, format!("kind `{kind}` is not a Backstage kind name (a letter, then letters and digits)"))
                    .help("fix the entity's `kind`, or leave the file out"),
            );
            continue;
        }
        match by_lower.get(&kind.to_ascii_lowercase()) {
            Some(seen) if seen != kind => {
                out.push(
                    Problem::at(file, row.line, format!("kind `{kind}` differs from `{seen}` only by case; Backstage reads them as one kind"))
                        .help(format!("write it `{seen}` in every entity")),
                );
                continue;
            }
            Some(_) => {}
            None => {
                by_lower.insert(kind.to_ascii_lowercase(), kind.to_owned());
            }
        }
        let used = kinds.entry(kind.to_owned()).or_default();
        let spec = row.value.get("spec");
        for (field, _, _) in DECLARED {
            if spec.and_then(|s| s.get(*field)).is_some() {
                used.insert(field);
            }
        }
    }
    let all: Vec<String> = kinds
        .keys()
        .map(|k| serde_json::to_string(k).unwrap_or_default())
        .collect();
    let to = format!("[{}]", all.join(", "));
    let mut files = Vec::new();
    let mut config = String::from(
        "# A lore catalog of Backstage entities, written by `lore init --from-backstage`.\n\
         # Bring the entities in (and again after they change): lore import --from DIR\n\
         # Each pipeline reads every catalog-info.yaml in this repository, or --from,\n\
         # keeps the entities of its kind, and writes them to catalog/backstage/.\n\
         catalog: [catalog]\nschemas: schemas\n\nimports:\n",
    );
    for (kind, used) in &kinds {
        let lower = kind.to_ascii_lowercase();
        let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
        let mut t = format!(
            "# Backstage's {kind} kind, as `lore init --from-backstage` declared it.\ntype: {kind}\ndescription: {}\nschema:\n  properties:\n",
            q(&format!("Backstage {kind} entities, imported from catalog-info.yaml files."))
        );
        for (name, schema, _) in ATTRIBUTES {
            let _ = writeln!(t, "    {name}: {schema}");
        }
        if !used.is_empty() {
            t.push_str("relations:\n");
        }
        for (field, keys, inverse) in DECLARED.iter().filter(|(f, _, _)| used.contains(f)) {
            let _ = writeln!(t, "  {field}: {{to: {to}, {keys}, inverse: {inverse}}}");
        }
        t.push_str(if matches!(kind.as_str(), "Group" | "User") {
            "summary: [email]\n"
        } else {
            "summary: [spec_type, lifecycle]\n"
        });
        files.push((format!("schemas/{lower}.yaml"), t));

        let _ = write!(
            config,
            "  backstage-{lower}:\n    from: {{backstage: {}}}\n    type: {kind}\n    into: catalog/backstage/{lower}.yaml\n    where: {}\n    id: \"row.lore.id\"\n    name: \"row.lore.title\"\n    description: \"row.lore.description\"\n    fields:\n",
            q(DEFAULT_GLOB),
            q(&format!("row.lore.kind == '{kind}'")),
        );
        for (name, _, expr) in ATTRIBUTES {
            let _ = writeln!(config, "      {name}: {}", q(expr));
        }
        if !used.is_empty() {
            config.push_str("    relations:\n");
        }
        for (field, _, _) in DECLARED.iter().filter(|(f, _, _)| used.contains(f)) {
            let _ = writeln!(config, "      {field}: \"row.lore.{field}\"");
        }
    }
    files.push(("lore.yaml".to_owned(), config));
    files.sort();
    files
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

    #[test]
    fn starter_types_every_kind_met_and_refuses_kinds_that_cannot_name_a_file() {
        let text = "apiVersion: v1\nkind: Template\nmetadata: {name: t}\nspec: {owner: team-a}\n---\napiVersion: v1\nkind: ../../evil\nmetadata: {name: e}\n---\napiVersion: v1\nkind: template\nmetadata: {name: u}\n---\nopenapi: 3.0.0\ninfo: {title: not an entity}\n";
        let mut out = Vec::new();
        let rows = rows("x.yaml", text.as_bytes(), &mut out);
        assert!(out.is_empty(), "{out:?}");
        assert_eq!(rows.len(), 3, "the OpenAPI document is passed over");
        let files = starter(&[("x.yaml".to_owned(), rows)], &mut out);
        let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
        assert!(paths.contains(&"schemas/template.yaml"), "{paths:?}");
        assert!(paths.iter().all(|p| !p.contains("evil")), "{paths:?}");
        let template = &files
            .iter()
            .find(|(p, _)| p == "schemas/template.yaml")
            .unwrap()
            .1;
        assert!(template.contains("  owner: {"), "{template}");
        // `template` is Backstage's Template (kinds compare without case): no problem.
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].line, 6);
        assert!(out[0].message.contains("../../evil"));
    }
}

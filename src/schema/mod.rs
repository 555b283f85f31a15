//! JSON Schemas: how the ones lore checks its own files against are derived from their
//! raw serde structs (lore.yaml in `config`, type definition files in `model`), the
//! composed schema of each type's entries, and the mapping of validation errors back to
//! the YAML that caused them.
//!
//! An entry's effective schema is the type's `schema` with the envelope (`type`, `id`,
//! `name`, `description`, `aliases`, `links`) and one property per relation merged into
//! its root, so the type's own `$defs` and `#/...` references keep working. `$ref`
//! never reaches the network or the disk: a retriever serves other type files' schemas
//! from memory, under `lore:///schemas/<file>`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use jsonschema::{Draft, PatternOptions, Retrieve, Uri, ValidationError, Validator};
use serde_json::{json, Map, Value};

use crate::diag::{closest, did_you_mean};

/// Base URI under which type files' schemas are addressed by `$ref`.
pub(crate) const BASE_URI: &str = "lore:///schemas/";

/// The fields every entry may have, whatever its type.
pub(crate) const ENVELOPE: &[&str] = &["type", "id", "name", "description", "aliases", "links"];

/// The JSON Schema 2020-12 of one of lore's own raw file types (lore.yaml, type
/// definitions), derived from its serde struct: doc comments become descriptions,
/// `deny_unknown_fields` becomes `additionalProperties: false`.
///
/// An `Option` field is optional, not nullable: lore's files never mean anything by
/// `null`, so `key:` with no value is reported rather than read as absent.
pub(crate) fn derived<T: schemars::JsonSchema>() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .with_transform(schemars::transform::RecursiveTransform(not_nullable))
        .into_generator();
    generator.into_root_schema_for::<T>().to_value()
}

/// Drop the `null` schemars allows for `Option` fields.
fn not_nullable(schema: &mut schemars::Schema) {
    let Some(m) = schema.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(types)) = m.get_mut("type") {
        types.retain(|t| t != "null");
        if let [one] = types.as_slice() {
            let one = one.clone();
            m.insert("type".into(), one);
        }
    }
    let null = json!({"type": "null"});
    if let Some(Value::Array(any)) = m.get("anyOf") {
        if any.contains(&null) {
            let rest: Vec<Value> = any.iter().filter(|s| **s != null).cloned().collect();
            m.remove("anyOf");
            match <[Value; 1]>::try_from(rest) {
                Ok([Value::Object(only)]) => m.extend(only),
                Ok([other]) => {
                    m.insert("anyOf".into(), Value::Array(vec![other]));
                }
                Err(rest) => {
                    m.insert("anyOf".into(), Value::Array(rest));
                }
            }
        }
    }
}

/// Serves type files' schemas to `$ref`, and nothing else.
#[derive(Clone, Default)]
pub(crate) struct TypeFileRetriever {
    pub(crate) documents: Arc<HashMap<String, Value>>,
}

impl Retrieve for TypeFileRetriever {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let wanted = uri.as_str();
        self.documents.get(wanted).cloned().ok_or_else(|| {
            format!("`{wanted}` is not a type file in schemas/; `$ref` reaches only `#/...` and other type files (e.g. `team.yaml#/$defs/slack_channel`)").into()
        })
    }
}

/// Build a validator the way lore always does: draft 2020-12, formats checked, regexes
/// in linear time, references served only by `retriever`.
pub(crate) fn build(
    schema: &Value,
    retriever: TypeFileRetriever,
) -> Result<Validator, ValidationError<'static>> {
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .with_pattern_options(PatternOptions::regex())
        .with_retriever(retriever)
        .build(schema)
}

/// Validate `schema` itself against the 2020-12 meta-schema: (pointer inside the schema, message).
pub(crate) fn meta_errors(schema: &Value) -> Vec<(String, String)> {
    let validator = jsonschema::draft202012::meta::validator();
    validator
        .iter_errors(schema)
        .map(|e| (e.instance_path().as_str().to_owned(), e.to_string()))
        .collect()
}

/// One relation's contribution to the composed schema.
pub(crate) struct RelationField<'a> {
    pub(crate) name: &'a str,
    pub(crate) many: bool,
    pub(crate) required: bool,
}

/// Compose the effective schema of a type's entries (see the module docs).
pub(crate) fn compose(
    type_schema: Option<&Value>,
    relations: &[RelationField<'_>],
    additional_fields: bool,
    id: &str,
) -> Value {
    let mut root: Map<String, Value> = match type_schema {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    root.insert("$id".into(), Value::String(id.to_owned()));
    root.remove("$schema");
    let mut properties = match root.remove("properties") {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let envelope = json!({
        "type": {"type": "string"},
        "id": {"type": "string", "minLength": 1},
        "name": {"type": "string"},
        "description": {"type": "string"},
        "aliases": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "links": {"type": "array", "items": {
            "type": "object", "required": ["url"], "additionalProperties": false,
            "properties": {
                "title": {"type": "string"},
                "url": {"type": "string", "format": "uri"},
                "icon": {"type": "string"}
            }
        }}
    });
    if let Value::Object(envelope) = envelope {
        for (k, v) in envelope {
            properties.insert(k, v);
        }
    }
    let mut required: Vec<Value> = vec!["type".into(), "id".into()];
    if let Some(Value::Array(r)) = root.remove("required") {
        required.extend(r);
    }
    for rel in relations {
        let reference = json!({"type": "string", "minLength": 1});
        let field = if rel.many {
            let mut f = json!({"type": "array", "items": reference});
            if rel.required {
                f["minItems"] = 1.into();
            }
            f
        } else {
            reference
        };
        properties.insert(rel.name.to_owned(), field);
        if rel.required {
            required.push(rel.name.into());
        }
    }
    root.insert("type".into(), "object".into());
    root.insert("properties".into(), Value::Object(properties));
    root.insert("required".into(), Value::Array(required));
    if !additional_fields {
        // `unevaluatedProperties` also sees properties declared inside allOf/if/$ref;
        // `additionalProperties` is faster and enough when the root declares them all.
        let composite = ["allOf", "anyOf", "oneOf", "if", "$ref", "dependentSchemas"]
            .iter()
            .any(|k| root.contains_key(*k));
        let key = if composite {
            "unevaluatedProperties"
        } else {
            "additionalProperties"
        };
        root.insert(key.into(), false.into());
    }
    Value::Object(root)
}

/// A schema violation, located by JSON pointer into the instance.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Violation {
    pub(crate) pointer: String,
    /// Point at the mapping key rather than the value (unknown fields).
    pub(crate) key: bool,
    pub(crate) unknown_field: bool,
    pub(crate) message: String,
    pub(crate) help: Option<String>,
}

/// Every violation of `instance`, mapped for humans: unknown fields one each at their
/// key with "did you mean" from the declared properties, missing fields named.
///
/// `declared` feeds the suggestions for unknown fields at the root, or at any depth with
/// `anywhere` (lore's own files, whose key names are unique enough).
pub(crate) fn violations(
    validator: &Validator,
    instance: &Value,
    declared: &[&str],
    anywhere: bool,
) -> Vec<Violation> {
    let mut out = Vec::new();
    for error in validator.iter_errors(instance) {
        explain(&error, declared, anywhere, &mut out);
    }
    out.sort_by(|a, b| a.pointer.cmp(&b.pointer).then(a.message.cmp(&b.message)));
    out.dedup();
    out
}

fn explain(
    error: &ValidationError<'_>,
    declared: &[&str],
    anywhere: bool,
    out: &mut Vec<Violation>,
) {
    use jsonschema::error::ValidationErrorKind as Kind;
    let pointer = error.instance_path().as_str().to_owned();
    let field = field_name(&pointer);
    match error.kind() {
        Kind::AdditionalProperties { unexpected } | Kind::UnevaluatedProperties { unexpected } => {
            let at_root = pointer.is_empty();
            for name in unexpected {
                let suggestions = if at_root || anywhere {
                    closest(name, declared.iter().copied())
                } else {
                    Vec::new()
                };
                let help = did_you_mean(&suggestions).unwrap_or_else(|| {
                    #[allow(clippy::if_same_then_else)]
                    if at_root {
                        "declare it in the type's `schema.properties` or `relations`, or set `additional_fields: true` in the type definition".to_owned()
                    } else {
                        "remove it; the schema does not allow other fields here".to_owned()
                    }
                });
                out.push(Violation {
                    pointer: format!("{pointer}/{}", escape(name)),
                    key: true,
                    unknown_field: true,
                    message: format!("unknown field `{name}`"),
                    help: Some(help),
                });
            }
        }
        Kind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let whose = if pointer.is_empty() {
                String::new()
            } else {
                format!(" in `{field}`")
            };
            out.push(Violation {
                pointer,
                key: false,
                unknown_field: false,
                message: format!("missing required field `{name}`{whose}"),
                help: Some(format!("add `{name}:` with a value")),
            });
        }
        Kind::Enum { options } => out.push(Violation {
            message: format!(
                "`{field}`: {} is not one of the allowed values",
                short(error.instance())
            ),
            help: Some(format!("use one of {options}")),
            ..plain(pointer)
        }),
        _ => {
            let message = if pointer.is_empty() {
                error.to_string()
            } else {
                format!("`{field}`: {error}")
            };
            out.push(Violation {
                message,
                ..plain(pointer)
            });
        }
    }
}

fn plain(pointer: String) -> Violation {
    Violation {
        pointer,
        key: false,
        unknown_field: false,
        message: String::new(),
        help: None,
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(57).collect();
        format!("{cut}...")
    } else {
        s
    }
}

/// Every property name a schema declares, at any depth (for suggestions).
pub(crate) fn property_names(schema: &Value) -> Vec<&str> {
    let mut out = Vec::new();
    let mut stack = vec![schema];
    while let Some(node) = stack.pop() {
        match node {
            Value::Object(m) => {
                if let Some(Value::Object(props)) = m.get("properties") {
                    out.extend(props.keys().map(String::as_str));
                }
                stack.extend(m.values());
            }
            Value::Array(a) => stack.extend(a),
            _ => {}
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// `/slo/latency_ms` -> `slo.latency_ms`, `/depends_on/1` -> `depends_on[1]`.
pub(crate) fn field_name(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            let _ = write!(out, "[{seg}]");
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
    }
    out
}

/// Escape one JSON pointer segment (RFC 6901).
pub(crate) fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service_schema() -> Value {
        compose(
            Some(&json!({
                "required": ["tier"],
                "properties": {"tier": {"enum": [1, 2, 3]}, "runbook": {"type": "string", "format": "uri"}}
            })),
            &[RelationField {
                name: "owner",
                many: false,
                required: true,
            }],
            false,
            "lore:///schemas/service.yaml",
        )
    }

    #[test]
    fn composed_schema_accepts_a_valid_entry() {
        let v = build(&service_schema(), TypeFileRetriever::default()).unwrap();
        let e = json!({"type": "Service", "id": "a", "tier": 1, "owner": "t", "runbook": "https://x.example/r"});
        assert!(violations(&v, &e, &[], false).is_empty());
    }

    #[test]
    fn unknown_field_points_at_the_key_with_a_suggestion() {
        let v = build(&service_schema(), TypeFileRetriever::default()).unwrap();
        let e = json!({"type": "Service", "id": "a", "tier": 1, "owner": "t", "runbok": "x"});
        let found = violations(&v, &e, &["tier", "runbook", "owner"], false);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].pointer, "/runbok");
        assert!(found[0].key && found[0].unknown_field);
        assert_eq!(found[0].help.as_deref(), Some("did you mean `runbook`?"));
    }

    #[test]
    fn enum_format_and_required_relation() {
        let v = build(&service_schema(), TypeFileRetriever::default()).unwrap();
        let e = json!({"type": "Service", "id": "a", "tier": 7, "runbook": "not a uri"});
        let found = violations(&v, &e, &[], false);
        let pointers: Vec<&str> = found.iter().map(|f| f.pointer.as_str()).collect();
        assert_eq!(pointers, vec!["", "/runbook", "/tier"], "{found:?}");
        assert!(found[0].message.contains("`owner`"));
        assert!(found[2].message.contains("not one of"));
    }

    #[test]
    fn refs_to_other_files_are_served_from_memory_only() {
        let mut docs = HashMap::new();
        docs.insert(
            format!("{BASE_URI}team.yaml"),
            json!({"$defs": {"chan": {"type": "string", "pattern": "^#"}}}),
        );
        let retriever = TypeFileRetriever {
            documents: Arc::new(docs),
        };
        let schema = compose(
            Some(&json!({"properties": {"chan": {"$ref": "team.yaml#/$defs/chan"}}})),
            &[],
            false,
            &format!("{BASE_URI}service.yaml"),
        );
        let v = build(&schema, retriever.clone()).unwrap();
        assert!(!violations(
            &v,
            &json!({"type": "S", "id": "a", "chan": "nope"}),
            &[],
            false
        )
        .is_empty());
        assert!(violations(
            &v,
            &json!({"type": "S", "id": "a", "chan": "#ok"}),
            &[],
            false
        )
        .is_empty());
        let remote = compose(
            Some(&json!({"properties": {"x": {"$ref": "https://example.com/s.json"}}})),
            &[],
            false,
            &format!("{BASE_URI}x.yaml"),
        );
        assert!(build(&remote, retriever).is_err());
    }

    #[test]
    fn the_meta_schema_catches_a_misspelt_type() {
        assert!(!meta_errors(&json!({"type": "strnig"})).is_empty());
    }

    #[test]
    fn derived_options_are_optional_not_nullable() {
        #[derive(schemars::JsonSchema)]
        #[allow(dead_code)]
        struct Raw {
            /// A name.
            name: Option<String>,
            inner: Option<Inner>,
        }
        #[derive(schemars::JsonSchema)]
        #[allow(dead_code)]
        struct Inner {
            x: u8,
        }
        let s = derived::<Raw>();
        assert!(meta_errors(&s).is_empty(), "{s}");
        assert_eq!(
            s["properties"]["name"],
            json!({"type": "string", "description": "A name."})
        );
        assert_eq!(s["properties"]["inner"], json!({"$ref": "#/$defs/Inner"}));
        assert_eq!(s.get("required"), None);
    }

    #[test]
    fn field_names_read_like_paths() {
        assert_eq!(field_name("/slo/latency_ms"), "slo.latency_ms");
        assert_eq!(field_name("/depends_on/1"), "depends_on[1]");
        assert_eq!(field_name("/a~1b"), "a/b");
    }
}

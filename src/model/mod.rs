//! The type definitions, checked and turned into the [`TypeDef`]s later stages use.
//!
//! Each file is parsed with spans, checked against lore's own schema for it (so an
//! unknown key is labelled where it is written), then deserialized. Semantic checks
//! follow: relation targets exist, regexes and CEL compile, `summary`/`totals` name
//! declared attributes. Every problem is collected; a type with errors in its definition
//! is still returned when its name is known, so entries of it are not reported as
//! "unknown type" on top.

use std::collections::{BTreeMap, HashMap};

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use crate::diag::{closest, did_you_mean, Code, Diag};
use crate::expr::{Expr, ExprError, Scope, Template};
use crate::schema::{self, escape};
use crate::span::FileId;

pub(crate) mod doc;
pub(crate) mod entry;

pub(crate) use doc::SpannedDoc;
use doc::{check_structure, compile_expr, compile_template, remove_pointer};

/// A note shown by `route` and `impact` when its condition holds.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "note")]
pub(crate) struct NoteRaw {
    /// CEL condition; the note is shown when it holds (always, when absent).
    pub(crate) when: Option<String>,
    /// Text with `{{ CEL }}` placeholders.
    pub(crate) say: String,
}

/// A type definition file in `schemas/`: one type of the organization's catalog.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "lore type definition")]
struct TypeDefRaw {
    /// The type's name, e.g. Service.
    #[serde(rename = "type")]
    #[schemars(pattern(r"^[A-Za-z][A-Za-z0-9_]*$"))]
    name: String,
    /// What entries of this type are, for people.
    description: Option<String>,
    /// Regular expression every id of this type matches.
    id_pattern: Option<String>,
    /// JSON Schema 2020-12 of the type's own attributes.
    #[schemars(with = "Option<serde_json::Map<String, Value>>")]
    schema: Option<Value>,
    /// Fields that name other entries, by field name.
    #[serde(default)]
    #[schemars(extend("propertyNames" = {"pattern": "^[A-Za-z_][A-Za-z0-9_]*$"}))]
    relations: BTreeMap<String, RelationRaw>,
    /// Alert payload keys whose values name an entry of this type (default: the type's
    /// name in lower case, with `_id` and `_name` variants).
    alert_keys: Option<Vec<String>>,
    /// Attributes shown in one-line views (owners, route).
    #[serde(default)]
    summary: Vec<String>,
    /// Numeric attributes summed over impacted entries.
    #[serde(default)]
    totals: Vec<String>,
    /// Checks beyond JSON Schema.
    #[serde(default)]
    rules: Vec<RuleRaw>,
    /// Notes shown when an entry of this type is matched or impacted; they see `self`.
    #[serde(default)]
    notes: Vec<NoteRaw>,
    /// Allow fields that neither the schema nor a relation declares.
    #[serde(default)]
    additional_fields: bool,
    /// Set when the definition failed its structural check.
    #[serde(skip)]
    broken: bool,
}

/// A target type, or a list of them.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "targets")]
enum OneOrMany {
    One(#[schemars(length(min = 1))] String),
    Many(#[schemars(length(min = 1), inner(length(min = 1)))] Vec<String>),
}

/// A relation: a field whose value names entries of other types.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "relation")]
struct RelationRaw {
    /// The target type, or a list of types.
    to: OneOrMany,
    /// The value is a list.
    #[serde(default)]
    many: bool,
    /// The field must be present and non-empty.
    #[serde(default)]
    required: bool,
    /// The name under which the target shows this edge (e.g. Team `owns`).
    #[schemars(pattern(r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    inverse: Option<String>,
    /// The target owns this entry: it answers "who owns".
    #[serde(default)]
    owner: bool,
    /// The target contains this entry; with no owner of its own, it inherits the parent's.
    #[serde(default)]
    parent: bool,
    /// Which way breakage flows along the relation.
    impact: Option<Impact>,
    /// What the relation means, for people.
    description: Option<String>,
}

/// A check beyond JSON Schema, in CEL over the entry (`self`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "rule")]
struct RuleRaw {
    /// The rule's name, shown with its problems.
    #[schemars(length(min = 1))]
    name: String,
    /// CEL condition: the rule applies to entries where it holds (all, when absent).
    when: Option<String>,
    /// CEL condition every entry the rule applies to must meet.
    check: String,
    /// Text with `{{ CEL }}` placeholders, shown when the check fails.
    message: Option<String>,
    /// `error` (the default) fails `lore validate`; `warning` only with `--strict`.
    #[serde(default)]
    severity: RuleSeverity,
}

/// Which way breakage flows along a relation: `source`, when the target breaks this
/// entry is impacted (a dependency); `target`, when this entry breaks the target is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "impact")]
pub(crate) enum Impact {
    Source,
    Target,
}

/// How a failed rule counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "severity")]
pub(crate) enum RuleSeverity {
    #[default]
    Error,
    Warning,
}

/// The JSON Schema of a type definition file, derived from [`TypeDefRaw`].
pub(crate) fn typedef_schema() -> Value {
    schema::derived::<TypeDefRaw>()
}

/// A type of the catalog: its place in the type list, which is sorted by name. Made by
/// the type loader only; read it with [`crate::graph::Catalog::type_def`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct TypeId(u32);

impl TypeId {
    /// The id of the `index`th type (the loader numbers types as it builds them).
    pub(crate) fn new(index: usize) -> TypeId {
        TypeId(u32::try_from(index).expect("fewer than 4G types"))
    }

    /// Its place in the type list, for tables indexed by type.
    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }
}

/// A relation, with its target types resolved.
#[derive(Debug, Clone)]
pub(crate) struct Relation {
    pub(crate) name: String,
    pub(crate) to: Vec<TypeId>,
    pub(crate) many: bool,
    pub(crate) required: bool,
    pub(crate) inverse: Option<String>,
    pub(crate) owner: bool,
    pub(crate) parent: bool,
    pub(crate) impact: Option<Impact>,
    /// What the relation means, for people (editor schemas show it).
    pub(crate) description: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Rule {
    pub(crate) name: String,
    pub(crate) when: Option<Expr>,
    pub(crate) check: Expr,
    pub(crate) message: Option<Template>,
    pub(crate) severity: RuleSeverity,
}

#[derive(Debug, Clone)]
pub(crate) struct Note {
    pub(crate) when: Option<Expr>,
    pub(crate) say: Template,
}

impl Note {
    /// The note's text when its condition holds in `scope`.
    /// Whether its condition or its text reads the variable `name`.
    pub(crate) fn reads(&self, name: &str) -> bool {
        self.when.as_ref().is_some_and(|w| w.uses(name)) || self.say.uses(name)
    }

    pub(crate) fn text_in(&self, scope: &Scope<'_>) -> Result<Option<String>, ExprError> {
        let holds = match &self.when {
            None => true,
            Some(when) => when.eval_bool_in(scope)?,
        };
        holds.then(|| self.say.render_in(scope)).transpose()
    }
}

/// What a type's notes see: the entry, and the alert being routed (`title`, `severity`,
/// `status`, each `null` when the payload does not say).
pub(crate) const NOTE_VARIABLES: &[&str] = &["self", "alert"];

/// A checked type definition.
#[derive(Debug)]
pub(crate) struct TypeDef {
    pub(crate) name: String,
    pub(crate) file: FileId,
    pub(crate) description: Option<String>,
    pub(crate) id_pattern: Option<regex::Regex>,
    /// The type's own JSON Schema, as written.
    pub(crate) schema: Option<Value>,
    pub(crate) relations: Vec<Relation>,
    pub(crate) alert_keys: Vec<String>,
    pub(crate) summary: Vec<String>,
    pub(crate) totals: Vec<String>,
    pub(crate) rules: Vec<Rule>,
    pub(crate) notes: Vec<Note>,
    pub(crate) additional_fields: bool,
    /// False when the definition had errors: its entries are not schema-checked.
    pub(crate) usable: bool,
}

impl TypeDef {
    pub(crate) fn relation(&self, name: &str) -> Option<&Relation> {
        self.relations.iter().find(|r| r.name == name)
    }

    /// Attribute names declared in the type's schema `properties`.
    pub(crate) fn attributes(&self) -> Vec<&str> {
        match self.schema.as_ref().and_then(|s| s.get("properties")) {
            Some(Value::Object(m)) => m.keys().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// Every field an entry of this type may have.
    pub(crate) fn fields(&self) -> Vec<&str> {
        let mut out: Vec<&str> = schema::ENVELOPE.to_vec();
        out.extend(self.attributes());
        out.extend(self.relations.iter().map(|r| r.name.as_str()));
        out
    }
}

/// Check every type definition. Returns the types (sorted by name) and their schemas for
/// `$ref` between type files, keyed by URI.
pub(crate) fn load_types(docs: &[SpannedDoc<'_>], out: &mut Vec<Diag>) -> Vec<TypeDef> {
    let meta = typedef_schema();
    // Pass 1: structure and names.
    let mut raws: Vec<(usize, TypeDefRaw)> = Vec::new();
    let mut names: HashMap<String, usize> = HashMap::new();
    for (i, d) in docs.iter().enumerate() {
        if !d.doc.value.is_object() {
            out.push(Diag::error(
                Code::Typedef,
                "a type definition must be a mapping with at least `type:`",
                d.loc("", false),
            ));
            continue;
        }
        let bad = check_structure(d, &meta, Code::Typedef, out);
        let ok = bad.is_none();
        // With unknown keys removed, the rest of a definition can still be checked.
        let mut value = d.doc.value.clone();
        let bad = bad.unwrap_or_default();
        if bad.iter().all(|(_, unknown)| *unknown) {
            for (pointer, _) in &bad {
                remove_pointer(&mut value, pointer);
            }
        }
        let raw: TypeDefRaw = match serde_json::from_value(value) {
            Ok(r) => r,
            Err(_) if !ok => {
                // Keep the name so entries of this type are not also "unknown type".
                if let Some(Value::String(name)) = d.doc.value.get("type") {
                    raws.push((i, TypeDefRaw::named(name.clone())));
                    names.entry(name.clone()).or_insert(i);
                }
                continue;
            }
            Err(e) => {
                out.push(Diag::error(
                    Code::Typedef,
                    format!("invalid type definition: {e}"),
                    d.loc("", false),
                ));
                continue;
            }
        };
        if let Some(&first) = names.get(&raw.name) {
            out.push(
                Diag::error(
                    Code::Typedef,
                    format!("type `{}` is defined twice", raw.name),
                    d.loc("/type", false),
                )
                .with_related(docs[first].loc("/type", false), "first defined here")
                .with_help("rename one of the types, or merge the two files"),
            );
            continue;
        }
        names.insert(raw.name.clone(), i);
        let mut raw = raw;
        if !ok {
            raw.broken = true;
        }
        raws.push((i, raw));
    }
    raws.sort_by(|a, b| a.1.name.cmp(&b.1.name));
    let type_ids: HashMap<&str, TypeId> = raws
        .iter()
        .enumerate()
        .map(|(t, (_, r))| (r.name.as_str(), TypeId::new(t)))
        .collect();
    let type_names: Vec<&str> = raws.iter().map(|(_, r)| r.name.as_str()).collect();

    // Pass 2: semantics.
    let mut types = Vec::with_capacity(raws.len());
    for (i, raw) in &raws {
        let d = &docs[*i];
        let before = out
            .iter()
            .filter(|x| x.severity == crate::diag::Severity::Error)
            .count();
        let mut relations = Vec::new();
        for (rname, r) in &raw.relations {
            let base = format!("/relations/{}", escape(rname));
            let targets: Vec<String> = match &r.to {
                OneOrMany::One(t) => vec![t.clone()],
                OneOrMany::Many(ts) => ts.clone(),
            };
            let mut to = Vec::new();
            for (k, t) in targets.iter().enumerate() {
                if let Some(&id) = type_ids.get(t.as_str()) {
                    to.push(id);
                } else {
                    let pointer = match &r.to {
                        OneOrMany::One(_) => format!("{base}/to"),
                        OneOrMany::Many(_) => format!("{base}/to/{k}"),
                    };
                    let mut diag = Diag::error(
                        Code::Typedef,
                        format!("relation `{rname}` points to unknown type `{t}`"),
                        d.loc(&pointer, false),
                    );
                    diag = diag.with_help(
                        did_you_mean(&closest(t, type_names.iter().copied())).unwrap_or_else(
                            || {
                                format!(
                                    "define `{t}` in a file under schemas/, or use one of: {}",
                                    type_names.join(", ")
                                )
                            },
                        ),
                    );
                    out.push(diag);
                }
            }
            if schema::ENVELOPE.contains(&rname.as_str()) {
                out.push(
                    Diag::error(
                        Code::Typedef,
                        format!(
                            "relation `{rname}` clashes with the envelope field of the same name"
                        ),
                        d.loc(&base, true),
                    )
                    .with_help("rename the relation"),
                );
            }
            if r.owner && r.parent {
                out.push(Diag::error(
                    Code::Typedef,
                    format!("relation `{rname}` is both `owner` and `parent`"),
                    d.loc(&base, true),
                ).with_help("an owner relation names who owns the entry; a parent relation names what contains it; pick one"));
            }
            relations.push(Relation {
                name: rname.clone(),
                to,
                many: r.many,
                required: r.required,
                inverse: r.inverse.clone(),
                owner: r.owner,
                parent: r.parent,
                impact: r.impact,
                description: r.description.clone(),
            });
        }

        let id_pattern = raw
            .id_pattern
            .as_ref()
            .and_then(|p| match regex::Regex::new(p) {
                Ok(re) => Some(re),
                Err(e) => {
                    out.push(
                        Diag::error(
                            Code::InvalidRegex,
                            format!(
                                "`id_pattern` is not a valid regular expression: {}",
                                first_line(&e.to_string())
                            ),
                            d.loc("/id_pattern", false),
                        )
                        .with_help(
                            "lore uses Rust regex syntax (no look-around or backreferences)",
                        ),
                    );
                    None
                }
            });

        if let Some(schema_value) = &raw.schema {
            check_type_schema(d, schema_value, &raw.relations, out);
        }

        let attributes: Vec<&str> = match raw.schema.as_ref().and_then(|s| s.get("properties")) {
            Some(Value::Object(m)) => m.keys().map(String::as_str).collect(),
            _ => Vec::new(),
        };
        for (list, key) in [(&raw.summary, "summary"), (&raw.totals, "totals")] {
            for (k, name) in list.iter().enumerate() {
                let known = attributes.contains(&name.as_str())
                    || (key == "summary"
                        && (schema::ENVELOPE.contains(&name.as_str())
                            || raw.relations.contains_key(name)));
                if !known {
                    out.push(
                        Diag::error(
                            Code::Typedef,
                            format!("`{key}` names `{name}`, which the type does not declare"),
                            d.loc(&format!("/{key}/{k}"), false),
                        )
                        .with_help(
                            did_you_mean(&closest(name, attributes.iter().copied()))
                                .unwrap_or_else(|| "declare it in `schema.properties`".into()),
                        ),
                    );
                }
            }
        }

        let mut rules = Vec::new();
        for (k, r) in raw.rules.iter().enumerate() {
            let base = format!("/rules/{k}");
            let when = r
                .when
                .as_ref()
                .map(|w| compile_expr(d, &format!("{base}/when"), w, &["self"], out));
            let check = compile_expr(d, &format!("{base}/check"), &r.check, &["self"], out);
            let message = r
                .message
                .as_ref()
                .map(|m| compile_template(d, &format!("{base}/message"), m, &["self"], out));
            if let (Some(check), Some(when), Some(message)) = (check, flip(when), flip(message)) {
                rules.push(Rule {
                    name: r.name.clone(),
                    when,
                    check,
                    message,
                    severity: r.severity,
                });
            }
        }
        let mut notes = Vec::new();
        for (k, n) in raw.notes.iter().enumerate() {
            let base = format!("/notes/{k}");
            let when = n
                .when
                .as_ref()
                .map(|w| compile_expr(d, &format!("{base}/when"), w, NOTE_VARIABLES, out));
            let say = compile_template(d, &format!("{base}/say"), &n.say, NOTE_VARIABLES, out);
            if let (Some(say), Some(when)) = (say, flip(when)) {
                notes.push(Note { when, say });
            }
        }

        let after = out
            .iter()
            .filter(|x| x.severity == crate::diag::Severity::Error)
            .count();
        let lower = raw.name.to_lowercase();
        types.push(TypeDef {
            name: raw.name.clone(),
            file: d.file,
            description: raw.description.clone(),
            id_pattern,
            schema: raw.schema.clone(),
            relations,
            alert_keys: raw.alert_keys.clone().unwrap_or_else(|| {
                vec![
                    lower.clone(),
                    format!("{lower}_id"),
                    format!("{lower}_name"),
                ]
            }),
            summary: raw.summary.clone(),
            totals: raw.totals.clone(),
            rules,
            notes,
            additional_fields: raw.additional_fields,
            usable: !raw.broken && after == before,
        });
    }
    types
}

/// `Some(None)` when absent, `Some(Some(x))` when it compiled, `None` when it failed.
#[allow(clippy::option_option)] // the three states are the point
fn flip<T>(x: Option<Option<T>>) -> Option<Option<T>> {
    match x {
        None => Some(None),
        Some(Some(v)) => Some(Some(v)),
        Some(None) => None,
    }
}

/// The last non-empty line of a regex error (the one that says what is wrong).
fn first_line(s: &str) -> String {
    let line = s
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim();
    line.strip_prefix("error: ").unwrap_or(line).to_owned()
}

/// The type's own schema: valid 2020-12, linear-time patterns, `$ref` only inside the
/// repository, and no property that a relation or the envelope already defines.
fn check_type_schema(
    d: &SpannedDoc<'_>,
    value: &Value,
    relations: &BTreeMap<String, RelationRaw>,
    out: &mut Vec<Diag>,
) {
    for (pointer, message) in schema::meta_errors(value) {
        let at = d.doc.value.pointer(&format!("/schema{pointer}"));
        let message = match (pointer.rsplit('/').next(), at) {
            (Some("type"), Some(Value::String(t))) => {
                let types = [
                    "string", "number", "integer", "boolean", "object", "array", "null",
                ];
                let hint = did_you_mean(&closest(t, types.iter().copied())).unwrap_or_default();
                format!("`{t}` is not a JSON Schema type (string, number, integer, boolean, object, array, null); {hint}")
            }
            _ => message,
        };
        out.push(
            Diag::error(Code::InvalidSchema, format!("invalid JSON Schema: {message}"), d.loc(&format!("/schema{pointer}"), false))
                .with_help("`schema` is JSON Schema 2020-12; see https://json-schema.org/understanding-json-schema/"),
        );
    }
    let mut stack: Vec<(String, &Value)> = vec![(String::from("/schema"), value)];
    while let Some((pointer, node)) = stack.pop() {
        match node {
            Value::Object(m) => {
                for (k, v) in m {
                    let child = format!("{pointer}/{}", escape(k));
                    match (k.as_str(), v) {
                        ("pattern", Value::String(p)) => check_regex(d, &child, p, out),
                        ("patternProperties", Value::Object(pp)) => {
                            for name in pp.keys() {
                                check_regex_key(d, &format!("{child}/{}", escape(name)), name, out);
                            }
                        }
                        ("$ref", Value::String(r)) => check_ref(d, &child, r, out),
                        _ => {}
                    }
                    stack.push((child, v));
                }
            }
            Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    stack.push((format!("{pointer}/{i}"), v));
                }
            }
            _ => {}
        }
    }
    if let Some(Value::Object(props)) = value.get("properties") {
        for name in props.keys() {
            let clash = if schema::ENVELOPE.contains(&name.as_str()) {
                Some("the envelope field")
            } else if relations.contains_key(name) {
                Some("the relation")
            } else {
                None
            };
            if let Some(what) = clash {
                out.push(
                    Diag::error(
                        Code::InvalidSchema,
                        format!("property `{name}` clashes with {what} of the same name"),
                        d.loc(&format!("/schema/properties/{}", escape(name)), true),
                    )
                    .with_help(
                        "lore declares that field itself; remove it from `schema.properties`",
                    ),
                );
            }
        }
    }
}

fn check_regex(d: &SpannedDoc<'_>, pointer: &str, pattern: &str, out: &mut Vec<Diag>) {
    if let Err(e) = regex::Regex::new(pattern) {
        out.push(
            Diag::error(Code::InvalidRegex, format!("pattern does not compile: {}", first_line(&e.to_string())), d.loc(pointer, false))
                .with_help("lore runs patterns in linear time (Rust regex syntax: no look-around or backreferences)"),
        );
    }
}

fn check_regex_key(d: &SpannedDoc<'_>, pointer: &str, pattern: &str, out: &mut Vec<Diag>) {
    if let Err(e) = regex::Regex::new(pattern) {
        out.push(Diag::error(
            Code::InvalidRegex,
            format!("pattern does not compile: {}", first_line(&e.to_string())),
            d.loc(pointer, true),
        ));
    }
}

fn check_ref(d: &SpannedDoc<'_>, pointer: &str, reference: &str, out: &mut Vec<Diag>) {
    let (file, _) = reference.split_once('#').unwrap_or((reference, ""));
    let bad = if file.is_empty() {
        None
    } else if file.contains(':') || file.starts_with('/') || file.starts_with("//") {
        Some("`$ref` cannot reach the network or absolute paths")
    } else if file.split('/').any(|s| s == "..") {
        Some("`$ref` cannot leave the schemas folder")
    } else {
        None
    };
    if let Some(why) = bad {
        out.push(
            Diag::error(Code::InvalidSchema, format!("{why}: `{reference}`"), d.loc(pointer, false))
                .with_help("refer to `#/$defs/name` in this file, or `other.yaml#/$defs/name` for another type file"),
        );
    }
}

impl TypeDefRaw {
    fn named(name: String) -> TypeDefRaw {
        TypeDefRaw {
            name,
            description: None,
            id_pattern: None,
            schema: None,
            relations: BTreeMap::new(),
            alert_keys: None,
            summary: Vec::new(),
            totals: Vec::new(),
            rules: Vec::new(),
            notes: Vec::new(),
            additional_fields: true,
            broken: true,
        }
    }
}

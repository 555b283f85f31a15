//! The alert-source language: how a payload format is recognized and where it keeps its
//! alerts, titles, statuses, severities and identifiers. Built-in sources are written in
//! it too (YAML files shipped inside the binary), so one mechanism reads every format and
//! any built-in can be copied into lore.yaml, changed and tested.
//!
//! Input: a [`SourceRaw`] (one entry of `alerts.sources`, or a built-in file). Output: a
//! compiled [`Source`]: RFC 9535 paths, regular expressions and types resolved once, every
//! problem reported at its place.

use std::collections::{BTreeMap, HashMap};

use regex::{Regex, RegexBuilder};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json_path::JsonPath;

use super::{at_doc, compile_path, ValidationContext};
use crate::diag::{closest, did_you_mean, Code, Diag};
use crate::model::{SpannedDoc, TypeId};
use crate::schema::escape;

/// One JSONPath, or several tried in order (the first that selects a value wins).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "paths")]
pub(crate) enum Paths {
    One(String),
    Many(Vec<String>),
}

impl Paths {
    fn items(&self) -> &[String] {
        match self {
            Paths::One(p) => std::slice::from_ref(p),
            Paths::Many(ps) => ps,
        }
    }
}

/// A detection condition: a JSONPath that must select a non-null value, `{path, equals}`
/// (it selects this string), or `{any: [paths]}` (one of them selects a value).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged, deny_unknown_fields)]
#[schemars(rename = "condition")]
pub(crate) enum CondRaw {
    Present(String),
    Equals { path: String, equals: String },
    Any { any: Vec<String> },
}

/// One condition, or a list that must all hold.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "conditions")]
pub(crate) enum Conds {
    One(CondRaw),
    Many(Vec<CondRaw>),
}

/// How the identifiers at a `read` path are laid out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "shape")]
pub(crate) enum Shape {
    /// A scalar (or a list of them) under the read's `key`.
    #[default]
    Value,
    /// A mapping of labels or details: each value under its own key.
    Map,
    /// `key:value` strings, as a list or comma-separated (Datadog, Opsgenie).
    Tags,
    /// `[[key, value], …]` or `[{key|name, value}, …]` (Sentry tags, CloudWatch dimensions).
    Pairs,
}

/// A labelled step that takes the identifier out of a longer value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "split")]
pub(crate) enum Split {
    /// The host of `host:port`.
    Host,
    /// The last segment of a path, URL, ARN or resource name (after `/` or `:`).
    Last,
    /// The cluster of a GKE node name, `gke-<cluster>-<pool>-<8 hex>-<4 alnum>`: the
    /// longest dash-ending prefix of `<cluster>-<pool>` that names an entry of the read's
    /// types. A value of another shape yields nothing.
    Gke,
}

/// A place in the payload that holds identifiers.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "read")]
pub(crate) struct ReadRaw {
    /// JSONPath of the value, list or mapping, from the alert.
    pub(crate) path: String,
    /// How the identifiers are laid out there (default: `value`).
    #[serde(default)]
    pub(crate) shape: Shape,
    /// For `shape: value`: the key the value comes with; it names a type when it is one of
    /// the type's `alert_keys` (`service`, `team`, …).
    pub(crate) key: Option<String>,
    /// A regular expression whose first group is the identifier (the Sentry project slug
    /// in `/projects/{org}/{slug}/`); values it does not match are skipped.
    pub(crate) capture: Option<String>,
    /// Take the identifier out of the value: `host` (of `host:port`), `last` (segment of
    /// a path or ARN) or `gke` (the cluster of a GKE node name).
    pub(crate) split: Option<Split>,
    /// The path is from the payload's root, read once, not from each alert (Alertmanager's
    /// `commonLabels`).
    #[serde(default)]
    pub(crate) root: bool,
}

/// An alert source: how to recognize a payload format and where it keeps its alerts and
/// identifiers, as JSONPath (RFC 9535) expressions.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "source")]
pub(crate) struct SourceRaw {
    /// What this source is, in one line (`lore sources` shows it).
    pub(crate) description: Option<String>,
    /// Where the vendor documents the payload.
    pub(crate) docs: Option<String>,
    /// Conditions on the (unwrapped) payload that select this source: a JSONPath that must
    /// be present, `{path, equals}`, `{any: [paths]}`, or a list that must all hold.
    pub(crate) detect: Conds,
    /// JSONPaths of an envelope around the alert, tried in order: a JSON document inside a
    /// string (SNS `$.Message`, `$.Records[0].Sns.Message`) or an object; when none
    /// selects one, the payload itself is the alert.
    pub(crate) unwrap: Option<Paths>,
    /// JSONPath of the alerts in the payload (default: the payload is one alert).
    pub(crate) each: Option<String>,
    /// JSONPath(s) of an alert's title, tried in order.
    pub(crate) title: Option<Paths>,
    /// JSONPath(s) of an alert's severity, tried in order.
    pub(crate) severity: Option<Paths>,
    /// JSONPath(s) of an alert's status, tried in order.
    pub(crate) status: Option<Paths>,
    /// Type name → JSONPaths whose values name entries of that type, tried in order.
    #[serde(default, rename = "match")]
    pub(crate) matches: BTreeMap<String, Vec<String>>,
    /// Places that hold identifiers, each value matched by its key.
    #[serde(default)]
    pub(crate) read: Vec<ReadRaw>,
    /// Keys that are the vendor's own, not the organization's (Splunk `app`, Sentry
    /// `platform`): never read as identifiers.
    #[serde(default)]
    pub(crate) ignore: Vec<String>,
    /// Keys whose values are secrets (routing keys, tokens): never read nor shown. lore
    /// always hides keys like `routing_key`, `token`, `password`, `secret`, `authorization`.
    #[serde(default)]
    pub(crate) redact: Vec<String>,
}

/// A detection condition, compiled.
#[derive(Debug, Clone)]
pub(crate) enum Cond {
    /// The path selects a non-null value.
    Present(JsonPath),
    /// The path selects this string.
    Equals(JsonPath, String),
    /// One of the paths selects a non-null value.
    Any(Vec<JsonPath>),
}

/// A `read`, compiled.
#[derive(Debug, Clone)]
pub(crate) struct Read {
    pub(crate) root: bool,
    pub(crate) path: JsonPath,
    pub(crate) shape: Shape,
    pub(crate) key: Option<String>,
    pub(crate) capture: Option<Regex>,
    pub(crate) split: Option<Split>,
}

/// One alert source, built in or configured, compiled.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub(crate) name: String,
    pub(crate) builtin: bool,
    pub(crate) description: Option<String>,
    pub(crate) docs: Option<String>,
    pub(crate) detect: Vec<Cond>,
    pub(crate) unwrap: Vec<JsonPath>,
    pub(crate) each: Option<JsonPath>,
    pub(crate) title: Vec<JsonPath>,
    pub(crate) severity: Vec<JsonPath>,
    pub(crate) status: Vec<JsonPath>,
    /// Configured `match`: per type, paths tried in order until one names an entry.
    pub(crate) typed: Vec<(TypeId, Vec<JsonPath>)>,
    pub(crate) reads: Vec<Read>,
    /// Normalized keys (see [`normalize_key`]).
    pub(crate) ignore: Vec<String>,
    /// Normalized keys (see [`normalize_key`]).
    pub(crate) redact: Vec<String>,
}

/// `key` as compared with `alert_keys`, `ignore` and `redact`: lower case, without `_` and
/// `-`, so `ServiceName`, `service_name` and `service-name` are one key.
pub(crate) fn normalize_key(key: &str) -> String {
    key.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Parts of a normalized key that make it a secret in every source.
const SECRET_KEYS: &[&str] = &[
    "routingkey",
    "integrationkey",
    "servicekey",
    "token",
    "password",
    "passwd",
    "secret",
    "apikey",
    "authorization",
    "signature",
    "privatekey",
    "cookie",
];

/// Whether values under `key` are secrets: lore's list, or the source's `redact`.
pub(crate) fn is_secret(key: &str, extra: &[String]) -> bool {
    let k = normalize_key(key);
    SECRET_KEYS.iter().any(|s| k.contains(s)) || extra.contains(&k)
}

/// Longest regular expression accepted in `capture`.
const MAX_REGEX_LEN: usize = 1024;

impl SourceRaw {
    /// The compiled source, or None (with every problem reported) when a path or pattern
    /// does not compile or `match` names an unknown type.
    pub(crate) fn compile(
        &self,
        name: &str,
        base: &str,
        builtin: bool,
        ctx: &ValidationContext<'_>,
        out: &mut Vec<Diag>,
    ) -> Option<Source> {
        let before = out.len();
        let path =
            |pointer: String, p: &str, out: &mut Vec<Diag>| compile_path(ctx.doc, &pointer, p, out);
        let paths = |field: &str, ps: &Option<Paths>, out: &mut Vec<Diag>| -> Vec<JsonPath> {
            let Some(ps) = ps else { return Vec::new() };
            let one = matches!(ps, Paths::One(_));
            ps.items()
                .iter()
                .enumerate()
                .filter_map(|(i, p)| {
                    let at = if one {
                        format!("{base}/{field}")
                    } else {
                        format!("{base}/{field}/{i}")
                    };
                    path(at, p, out)
                })
                .collect()
        };
        let conds: Vec<(String, &CondRaw)> = match &self.detect {
            Conds::One(c) => vec![(format!("{base}/detect"), c)],
            Conds::Many(cs) => cs
                .iter()
                .enumerate()
                .map(|(i, c)| (format!("{base}/detect/{i}"), c))
                .collect(),
        };
        if conds.is_empty() {
            out.push(
                Diag::error(
                    Code::Config,
                    format!(
                        "alert source `{name}` has an empty `detect`: it would never be chosen"
                    ),
                    at_doc(ctx.doc, &format!("{base}/detect"), false),
                )
                .with_help("list at least one JSONPath that only this format's payloads have"),
            );
        }
        let mut detect = Vec::new();
        for (at, c) in conds {
            let compiled = match c {
                CondRaw::Present(p) => path(at, p, out).map(Cond::Present),
                CondRaw::Equals { path: p, equals } => {
                    path(format!("{at}/path"), p, out).map(|p| Cond::Equals(p, equals.clone()))
                }
                CondRaw::Any { any } => {
                    let ps: Vec<JsonPath> = any
                        .iter()
                        .enumerate()
                        .filter_map(|(i, p)| path(format!("{at}/any/{i}"), p, out))
                        .collect();
                    (ps.len() == any.len()).then_some(Cond::Any(ps))
                }
            };
            detect.extend(compiled);
        }
        let unwrap = paths("unwrap", &self.unwrap, out);
        let each = self
            .each
            .as_ref()
            .and_then(|p| path(format!("{base}/each"), p, out));
        let title = paths("title", &self.title, out);
        let severity = paths("severity", &self.severity, out);
        let status = paths("status", &self.status, out);
        let mut reads = Vec::new();
        for (i, r) in self.read.iter().enumerate() {
            let at = format!("{base}/read/{i}");
            let p = path(format!("{at}/path"), &r.path, out);
            let capture = r
                .capture
                .as_ref()
                .map(|re| compile_capture(ctx.doc, &format!("{at}/capture"), re, out));
            if r.key.is_some() && r.shape != Shape::Value {
                out.push(
                    Diag::error(
                        Code::Config,
                        "`key` applies to `shape: value` only: the other shapes carry their own keys",
                        at_doc(ctx.doc, &format!("{at}/key"), true),
                    )
                    .with_help("remove `key`, or read the value itself with `shape: value`"),
                );
            }
            // A capture that did not compile was reported; the read is left out.
            if let (Some(p), Some(capture)) = (p, capture.map_or(Some(None), |c| c.map(Some))) {
                reads.push(Read {
                    root: r.root,
                    path: p,
                    shape: r.shape,
                    key: r.key.clone(),
                    capture,
                    split: r.split,
                });
            }
        }
        let mut typed = Vec::new();
        for (type_name, ps) in &self.matches {
            let at = format!("{base}/match/{}", escape(type_name));
            let compiled: Vec<JsonPath> = ps
                .iter()
                .enumerate()
                .filter_map(|(i, p)| path(format!("{at}/{i}"), p, out))
                .collect();
            let Some(&t) = ctx.types.get(type_name) else {
                out.push(unknown_type(name, type_name, ctx, &at));
                continue;
            };
            typed.push((t, compiled));
        }
        if out.len() > before {
            return None;
        }
        Some(Source {
            name: name.to_owned(),
            builtin,
            description: self.description.clone(),
            docs: self.docs.clone(),
            detect,
            unwrap,
            each,
            title,
            severity,
            status,
            typed,
            reads,
            ignore: self.ignore.iter().map(|k| normalize_key(k)).collect(),
            redact: self.redact.iter().map(|k| normalize_key(k)).collect(),
        })
    }
}

fn unknown_type(name: &str, type_name: &str, ctx: &ValidationContext<'_>, at: &str) -> Diag {
    let mut names: Vec<&str> = ctx.types.keys().map(String::as_str).collect();
    names.sort_unstable();
    let help = did_you_mean(&closest(type_name, names.iter().copied())).unwrap_or_else(|| {
        match names.as_slice() {
            [] => "define the type in a file under schemas/".to_owned(),
            _ => format!(
                "define it in a file under schemas/, or match one of: {}",
                names.join(", ")
            ),
        }
    });
    Diag::error(
        Code::Config,
        format!("alert source `{name}` matches type `{type_name}`, which is not defined"),
        at_doc(ctx.doc, at, true),
    )
    .with_help(help)
}

/// Compile a `capture` pattern (linear-time, size-capped), which must have a group.
fn compile_capture(
    doc: Option<&SpannedDoc<'_>>,
    pointer: &str,
    pattern: &str,
    out: &mut Vec<Diag>,
) -> Option<Regex> {
    let problem = if pattern.len() > MAX_REGEX_LEN {
        format!(
            "this pattern is {} bytes long; lore accepts up to {MAX_REGEX_LEN}",
            pattern.len()
        )
    } else {
        match RegexBuilder::new(pattern).size_limit(1 << 20).build() {
            Ok(re) if re.captures_len() >= 2 => return Some(re),
            Ok(_) => {
                format!("`{pattern}` has no group: `capture` keeps what its first group matches")
            }
            Err(e) => format!("`{pattern}` is not a regular expression: {e}"),
        }
    };
    out.push(
        Diag::error(Code::Config, problem, at_doc(doc, pointer, false)).with_help(
            "write a pattern with one group around the identifier, like `/projects/[^/]+/([^/]+)/`",
        ),
    );
    None
}

/// Compile a built-in source file: the same language and checks as lore.yaml's sources,
/// without types (built-ins read keyed values, never `match`). Problems are returned,
/// and a unit test keeps the built-ins free of them.
pub(crate) fn compile_builtin(name: &str, text: &str) -> Result<Source, Vec<Diag>> {
    let parsed = crate::yaml::parse(text, crate::yaml::Limits::default(), true);
    let mut out: Vec<Diag> = Vec::new();
    let doc = match (parsed.errors.first(), parsed.documents.first()) {
        (None, Some(doc)) => doc,
        (e, _) => {
            out.push(Diag::error(
                Code::Config,
                format!("built-in source `{name}` does not parse: {e:?}"),
                crate::diag::Loc::None,
            ));
            return Err(out);
        }
    };
    let d = SpannedDoc {
        file: crate::span::FileId(0),
        doc,
        text,
    };
    let raw: SourceRaw = match serde_json::from_value(doc.value.clone()) {
        Ok(r) => r,
        Err(e) => {
            out.push(Diag::error(Code::Config, e.to_string(), d.loc("", false)));
            return Err(out);
        }
    };
    let types = HashMap::new();
    let ctx = ValidationContext {
        doc: Some(&d),
        types: &types,
        totals: &[],
    };
    match raw.compile(name, "", true, &ctx, &mut out) {
        Some(s) if out.is_empty() => Ok(s),
        _ => Err(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        match compile_builtin("t", text) {
            Ok(_) => Vec::new(),
            Err(out) => out.into_iter().map(|d| d.message).collect(),
        }
    }

    #[test]
    fn the_language_compiles_every_kind_of_condition_read_and_fallback() {
        let s = compile_builtin(
            "t",
            "detect: [\"$.a\", {path: \"$.t\", equals: x}, {any: [\"$.b\", \"$.c\"]}]\nunwrap: [\"$.Message\", \"$.Records[0].Sns.Message\"]\ntitle: [\"$.x\", \"$.y\"]\nstatus: \"$.s\"\nread:\n  - {path: \"$.l\", shape: map}\n  - {path: \"$.u\", key: project, capture: \"/p/([^/]+)/\", split: last}\n  - {path: \"$.n\", key: cluster, split: gke}\nignore: [App_Name]\nredact: [X-Signature]\n",
        )
        .unwrap();
        assert_eq!(s.detect.len(), 3);
        assert!(matches!(&s.detect[1], Cond::Equals(_, v) if v == "x"));
        assert_eq!((s.unwrap.len(), s.title.len(), s.status.len()), (2, 2, 1));
        assert_eq!(s.reads[1].split, Some(Split::Last));
        assert_eq!(s.reads[2].split, Some(Split::Gke));
        assert!(s.reads[1].capture.is_some());
        assert_eq!(s.ignore, ["appname"]);
        assert!(is_secret("X-Signature", &s.redact) && is_secret("routing_key", &[]));
        assert!(is_secret("Authorization", &[]) && !is_secret("service", &[]));
    }

    #[test]
    fn mistakes_in_a_source_are_each_reported() {
        let p = problems("detect: []\nread:\n  - {path: \"$.u\", capture: \"/p/[^/]+/\"}\n  - {path: \"$.l\", shape: map, key: service}\n  - {path: \"$.v\", capture: \"(\"}\n");
        assert_eq!(p.len(), 4, "{p:?}");
        assert!(p[0].contains("empty `detect`"), "{p:?}");
        assert!(p[1].contains("has no group"), "{p:?}");
        assert!(p[2].contains("`key` applies to `shape: value`"), "{p:?}");
        assert!(p[3].contains("not a regular expression"), "{p:?}");
        let huge = format!(
            "detect: \"$.a\"\nread:\n  - {{path: \"$.u\", capture: \"({})\"}}\n",
            "a".repeat(2000)
        );
        assert!(problems(&huge)[0].contains("lore accepts up to"));
        // Size-capped: a pattern that compiles to a huge program is refused, not built.
        let big = "detect: \"$.a\"\nread:\n  - {path: \"$.u\", capture: \"(\\\\w{500}){500}\"}\n";
        assert!(
            problems(big)[0].contains("not a regular expression"),
            "{:?}",
            problems(big)
        );
    }
}

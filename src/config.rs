//! `lore.yaml`: parsed into raw serde structs, then validated into a [`Config`] whose
//! alert sources and global notes are compiled once (parse raw, then validate; after cargo-deny's
//! `ValidationContext`).
//!
//! Two steps, because lore.yaml says where the type definitions are and its `match`
//! names types: [`parse`] checks the file against the schema derived from [`ConfigRaw`]
//! (so an unknown key is labelled where it is written) and gives the folders to read;
//! once the types are loaded, [`ConfigRaw::validate`] compiles the JSONPaths of each
//! source (RFC 9535), resolves the types its `match` names, and compiles each note's
//! CEL `when` and `say` template. Every problem is reported at its place in lore.yaml;
//! a source or note with a problem is left out of the [`Config`], the rest is kept.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use serde_json_path::JsonPath;

pub(crate) mod sources;
pub(crate) use sources::{Source, SourceRaw};

use crate::diag::{closest, did_you_mean, Code, Diag, Loc};
use crate::expr::{excerpt, Expr};
use crate::model::doc::{check_structure, checked, compile_expr, compile_template, remove_pointer};
use crate::model::{Note, NoteRaw, SpannedDoc, TypeId};
use crate::schema::{self, escape};
use crate::span::SourceMap;
use crate::workspace::CONFIG_FILE;

/// The variables lore.yaml's global notes see.
pub(crate) const NOTE_VARIABLES: &[&str] = &["totals", "matches", "owners", "impacted", "alert"];

/// Configuration of a lore catalog repository (`lore.yaml`). Every key is optional.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
#[schemars(title = "lore.yaml")]
pub(crate) struct ConfigRaw {
    /// Folders or globs of entry files, relative to the repository root.
    #[schemars(inner(length(min = 1)))]
    pub(crate) catalog: Vec<String>,
    /// Folder of type definition files.
    #[schemars(length(min = 1))]
    pub(crate) schemas: String,
    /// Globs of files to skip, relative to the root.
    #[schemars(inner(length(min = 1)))]
    pub(crate) exclude: Vec<String>,
    /// When an entry counts as stale (`lore stale`).
    pub(crate) freshness: FreshnessRaw,
    /// Alert sources and notes for `lore route`.
    pub(crate) alerts: AlertsRaw,
    /// Import pipelines for `lore import`, by name: where rows come from and how each
    /// becomes an entry.
    pub(crate) imports: BTreeMap<String, ImportRaw>,
    /// Which type holds incidents, for `lore incidents`, `lore report` and `lore route`.
    pub(crate) incidents: Option<IncidentsRaw>,
}

/// The type that holds incidents and its time field.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "incidents")]
pub(crate) struct IncidentsRaw {
    /// The type name, e.g. `Incident`.
    #[serde(rename = "type")]
    #[schemars(length(min = 1))]
    pub(crate) type_name: String,
    /// Its date or date-time attribute that says when an incident started, e.g.
    /// `opened`; the default `--time` of `lore report`.
    pub(crate) time: Option<String>,
}

impl Default for ConfigRaw {
    fn default() -> Self {
        ConfigRaw {
            catalog: vec!["catalog".into()],
            schemas: "schemas".into(),
            exclude: Vec::new(),
            freshness: FreshnessRaw::default(),
            alerts: AlertsRaw::default(),
            imports: BTreeMap::new(),
            incidents: None,
        }
    }
}

/// When an entry counts as stale.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
#[schemars(rename = "freshness")]
pub(crate) struct FreshnessRaw {
    /// Entries untouched in git for longer than this are stale: days, weeks, months or
    /// years, e.g. `180d`, `26w`, `6m`, `1y`.
    #[schemars(pattern(r"^[0-9]+[dwmy]$"))]
    pub(crate) max_age: String,
}

impl Default for FreshnessRaw {
    fn default() -> Self {
        FreshnessRaw {
            max_age: "180d".into(),
        }
    }
}

/// Alert sources and notes for `lore route`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
#[schemars(rename = "alerts")]
pub(crate) struct AlertsRaw {
    /// Alert payload formats, by name; one with a built-in's name replaces it.
    pub(crate) sources: BTreeMap<String, SourceRaw>,
    /// Notes evaluated over the whole route result; they see `totals`, `matches`,
    /// `owners`, `impacted` and `alert`.
    pub(crate) notes: Vec<NoteRaw>,
}

/// An import pipeline: rows from a source, each made into an entry by CEL expressions
/// over `row`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "import")]
pub(crate) struct ImportRaw {
    /// Where the rows come from (a path inside the repository; `--from` overrides it).
    pub(crate) from: FromRaw,
    /// The type of the entries made.
    #[serde(rename = "type")]
    #[schemars(length(min = 1))]
    pub(crate) type_name: String,
    /// The file the entries are written to; lore owns it (a header says so).
    #[schemars(length(min = 1))]
    pub(crate) into: String,
    /// CEL over `row`: rows for which it is false are skipped.
    #[serde(default, rename = "where")]
    pub(crate) filter: Option<String>,
    /// CEL over `row`: the entry's id.
    pub(crate) id: String,
    /// CEL over `row`: the display name.
    #[serde(default)]
    pub(crate) name: Option<String>,
    /// CEL over `row`: the description.
    #[serde(default)]
    pub(crate) description: Option<String>,
    /// CEL over `row`, each an alias (or a list of aliases).
    #[serde(default)]
    pub(crate) aliases: Vec<String>,
    /// Attribute name → CEL over `row`. A null, an empty string or an empty list leaves
    /// the field out.
    #[serde(default)]
    pub(crate) fields: BTreeMap<String, String>,
    /// Relation name → CEL over `row`: an id, or a list of ids.
    #[serde(default)]
    pub(crate) relations: BTreeMap<String, String>,
    /// Remove entries whose rows left the source (default true); when false they stay.
    #[serde(default = "yes")]
    pub(crate) prune: bool,
    /// A hand-written YAML file of `id` plus fields, merged into the imported entries of
    /// those ids (fields the pipeline does not set).
    #[serde(default)]
    pub(crate) extend: Option<String>,
    /// Owners by path from a CODEOWNERS file: each row gets `row.codeowners`, the owners
    /// of the last rule matching the row's path (`[]` when none matches, or the rule
    /// un-owns it), for `relations:` to use.
    #[serde(default)]
    pub(crate) codeowners: Option<CodeownersRaw>,
}

/// `codeowners:` of an import pipeline.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CodeownersRaw {
    /// The CODEOWNERS file (GitHub or GitLab syntax), inside the repository.
    #[schemars(length(min = 1))]
    pub(crate) file: String,
    /// CEL over `row`: the row's path in the repository, e.g. `row.path`.
    pub(crate) path: String,
}

fn yes() -> bool {
    true
}

/// Where an import's rows come from.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "lowercase")]
#[schemars(rename = "import_source")]
pub(crate) enum FromRaw {
    /// A CSV file (RFC 4180) with a header row.
    Csv(String),
    /// A JSON file holding an array of objects, or NDJSON (one object a line).
    Json(String),
    /// A command (program and arguments, no shell) printing JSON, NDJSON or CSV; runs
    /// only with `lore import --allow-exec`.
    Exec(#[schemars(length(min = 1))] Vec<String>),
    /// A CODEOWNERS file (GitHub or GitLab syntax): one row per rule, `pattern`,
    /// `owners` (a list), `section`, `line`.
    Codeowners(String),
    /// A glob of Backstage `catalog-info.yaml` files: one row per entity, with its
    /// references resolved under `row.lore` (`id`, `kind`, `owner`, `dependsOn`, …).
    Backstage(String),
}

/// A compiled import pipeline.
#[derive(Debug, Clone)]
pub(crate) struct Pipeline {
    pub(crate) name: String,
    pub(crate) from: FromRaw,
    pub(crate) type_name: String,
    pub(crate) into: String,
    pub(crate) filter: Option<Expr>,
    pub(crate) id: Expr,
    pub(crate) name_expr: Option<Expr>,
    pub(crate) description: Option<Expr>,
    pub(crate) aliases: Vec<Expr>,
    /// Attributes then relations, each sorted by name.
    pub(crate) fields: Vec<(String, Expr)>,
    pub(crate) prune: bool,
    pub(crate) extend: Option<String>,
    /// The CODEOWNERS file and the path of a row in it.
    pub(crate) codeowners: Option<(String, Expr)>,
}

/// `lore.yaml`, checked: what later stages use.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) catalog: Vec<String>,
    pub(crate) schemas: String,
    pub(crate) exclude: Vec<String>,
    pub(crate) freshness: Freshness,
    pub(crate) alerts: Alerts,
    /// The import pipelines that compiled, by name.
    pub(crate) imports: Vec<Pipeline>,
    /// `incidents:` as written (the type is checked where types are known).
    pub(crate) incidents: Option<IncidentsRaw>,
}

#[derive(Debug, Clone)]
pub(crate) struct Freshness {
    pub(crate) max_age: String,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Alerts {
    /// The configured sources that compiled, by name.
    pub(crate) sources: Vec<Source>,
    /// Configured sources left out for their problems (`lore validate` reports them);
    /// they still replace the built-in of the same name.
    pub(crate) broken: Vec<String>,
    /// The global notes that compiled, in order, each with its index in lore.yaml's
    /// `alerts.notes` (for messages).
    pub(crate) notes: Vec<(usize, Note)>,
}

impl Alerts {
    /// Whether lore.yaml configures a source of this name (compiled or not).
    pub(crate) fn configures(&self, name: &str) -> bool {
        self.sources.iter().any(|s| s.name == name) || self.broken.iter().any(|b| b == name)
    }
}

/// What validating lore.yaml needs: the file with spans, to place problems, and the
/// loaded types, for `match`.
pub(crate) struct ValidationContext<'a> {
    /// `None` without a lore.yaml (the defaults have nothing to report).
    pub(crate) doc: Option<&'a SpannedDoc<'a>>,
    pub(crate) types: &'a HashMap<String, TypeId>,
    /// Each type's declared totals, `(type, attribute)`: what `totals` holds in notes.
    pub(crate) totals: &'a [(String, String)],
}

/// Why a global note fails on a route whose matches impact nothing (every total 0,
/// `impacted` empty), when it reads nothing else: that route is common, so such a note
/// would print a warning instead of its text during an incident. Notes that read the
/// matches, owners or alert depend on the payload and are left to `lore route`.
fn quiet_failure(note: &Note, totals: &[(String, String)]) -> Option<String> {
    if ["matches", "owners", "alert"].iter().any(|v| note.reads(v)) {
        return None;
    }
    let mut sums = serde_json::Map::new();
    for (t, a) in totals {
        let per = sums
            .entry(t.clone())
            .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
        if let serde_json::Value::Object(m) = per {
            m.insert(a.clone(), serde_json::Value::from(0));
        }
    }
    let totals = serde_json::Value::Object(sums);
    let empty = serde_json::Value::Array(Vec::new());
    let scope = crate::expr::Scope::new(&[("totals", &totals), ("impacted", &empty)]);
    note.text_in(&scope).err().map(|e| e.message)
}

/// Check `lore.yaml` against its schema and read it (None: absent, defaults apply). A
/// key with a problem is reported and left out, so the rest still applies.
pub(crate) fn parse(d: Option<&SpannedDoc<'_>>, out: &mut Vec<Diag>) -> ConfigRaw {
    let Some(d) = d else {
        return ConfigRaw::default();
    };
    if d.doc.value.is_null() {
        return ConfigRaw::default();
    }
    let mut value = d.doc.value.clone();
    let bad = check_structure(d, &schema(), Code::Config, out);
    for (pointer, _) in bad.iter().flatten() {
        remove_pointer(&mut value, pointer);
    }
    let raw = match serde_json::from_value(value) {
        Ok(c) => c,
        // The root is not a mapping: reported by the structural check.
        Err(_) if bad.is_some() => ConfigRaw::default(),
        Err(e) => {
            out.push(Diag::error(
                Code::Config,
                format!("internal: lore.yaml conforms to its schema but does not read: {e}"),
                d.loc("", false),
            ));
            ConfigRaw::default()
        }
    };
    paths_inside(d, raw, out)
}

/// The JSON Schema of lore.yaml, derived from [`ConfigRaw`].
pub(crate) fn schema() -> Value {
    schema::derived::<ConfigRaw>()
}

impl ConfigRaw {
    /// Compile what lore.yaml configures, reporting every problem into `out`.
    pub(crate) fn validate(self, ctx: &ValidationContext<'_>, out: &mut Vec<Diag>) -> Config {
        for (key, patterns) in [("catalog", &self.catalog), ("exclude", &self.exclude)] {
            for (i, pattern) in patterns.iter().enumerate() {
                if let Err(e) = globset::Glob::new(pattern) {
                    out.push(
                        Diag::error(
                            Code::Config,
                            format!("`{pattern}` is not a valid glob: {}", e.kind()),
                            at_doc(ctx.doc, &format!("/{key}/{i}"), false),
                        )
                        .with_help("write a folder, or a glob like `catalog/**/*.yaml`"),
                    );
                }
            }
        }
        let mut alerts = Alerts::default();
        for (name, raw) in self.alerts.sources {
            let base = format!("/alerts/sources/{}", escape(&name));
            match raw.compile(&name, &base, false, ctx, out) {
                Some(s) => alerts.sources.push(s),
                None => alerts.broken.push(name),
            }
        }
        if let Some(d) = ctx.doc {
            for (i, note) in self.alerts.notes.iter().enumerate() {
                let base = format!("/alerts/notes/{i}");
                let when = note
                    .when
                    .as_ref()
                    .map(|w| compile_expr(d, &format!("{base}/when"), w, NOTE_VARIABLES, out));
                let say =
                    compile_template(d, &format!("{base}/say"), &note.say, NOTE_VARIABLES, out);
                let note = match (when, say) {
                    (None, Some(say)) => Note { when: None, say },
                    (Some(Some(when)), Some(say)) => Note {
                        when: Some(when),
                        say,
                    },
                    _ => continue,
                };
                if let Some(problem) = quiet_failure(&note, ctx.totals) {
                    out.push(
                        Diag::warning(
                            Code::RuleError,
                            format!(
                                "this note fails when the matched entries impact nothing: {problem}"
                            ),
                            d.loc(&base, false),
                        )
                        .with_help("`totals` holds every declared total (0 when nothing is impacted) and `impacted` may be empty: test with `has()` or `size()`"),
                    );
                }
                alerts.notes.push((i, note));
            }
        }
        let mut imports = Vec::new();
        if let Some(d) = ctx.doc {
            for (name, raw) in self.imports {
                if let Some(p) = raw.compile(&name, d, ctx, out) {
                    imports.push(p);
                }
            }
        }
        Config {
            imports,
            catalog: self.catalog,
            schemas: self.schemas,
            exclude: self.exclude,
            freshness: Freshness {
                max_age: self.freshness.max_age,
            },
            alerts,
            incidents: self.incidents,
        }
    }
}

/// The variables an import pipeline's expressions see.
pub(crate) const IMPORT_VARIABLES: &[&str] = &["row"];

impl ImportRaw {
    /// The compiled pipeline, or None with every problem reported.
    fn compile(
        self,
        name: &str,
        d: &SpannedDoc<'_>,
        ctx: &ValidationContext<'_>,
        out: &mut Vec<Diag>,
    ) -> Option<Pipeline> {
        let base = format!("/imports/{}", escape(name));
        let before = out.len();
        let expr = |field: &str, src: &str, out: &mut Vec<Diag>| {
            let compiled = Expr::compile(src).map_err(|e| {
                let message = format!("invalid CEL expression `{}`: {}", excerpt(src), e.message);
                (message, e.offset)
            });
            checked(
                d,
                &format!("{base}/{field}"),
                compiled,
                Expr::variables,
                IMPORT_VARIABLES,
                "fix the expression; the source's row is `row`, e.g. `row.NAME` or `row['Company name']`",
                out,
            )
        };
        let type_id = ctx.types.get(&self.type_name).copied();
        if type_id.is_none() {
            let names: Vec<&str> = ctx.types.keys().map(String::as_str).collect();
            let help = did_you_mean(&closest(&self.type_name, names.iter().copied()))
                .unwrap_or_else(|| "define the type in a file under schemas/".to_owned());
            out.push(
                Diag::error(
                    Code::Config,
                    format!(
                        "import `{name}` makes entries of type `{}`, which is not defined",
                        self.type_name
                    ),
                    d.loc(&format!("{base}/type"), false),
                )
                .with_help(help),
            );
        }
        let filter = self.filter.as_ref().map(|w| expr("where", w, out));
        let id = expr("id", &self.id, out);
        let name_expr = self.name.as_ref().map(|w| expr("name", w, out));
        let description = self
            .description
            .as_ref()
            .map(|w| expr("description", w, out));
        let aliases: Vec<Option<Expr>> = self
            .aliases
            .iter()
            .enumerate()
            .map(|(i, a)| expr(&format!("aliases/{i}"), a, out))
            .collect();
        let mut fields = Vec::new();
        for (group, map) in [("fields", &self.fields), ("relations", &self.relations)] {
            for (field, src) in map {
                if crate::schema::ENVELOPE.contains(&field.as_str()) {
                    out.push(
                        Diag::error(
                            Code::Config,
                            format!("import `{name}` sets `{field}` under `{group}`; it is a key of its own"),
                            d.loc(&format!("{base}/{group}/{}", escape(field)), true),
                        )
                        .with_help(format!("move it to `{field}:` beside `id:`")),
                    );
                    continue;
                }
                if let Some(e) = expr(&format!("{group}/{}", escape(field)), src, out) {
                    fields.push((field.clone(), e));
                }
            }
        }
        let from = match self.from {
            FromRaw::Exec(argv) if argv.is_empty() => {
                out.push(
                    Diag::error(Code::Config, format!("import `{name}` has an empty `exec`"), d.loc(&format!("{base}/from/exec"), false))
                        .with_help("write the program and its arguments, e.g. `exec: [bq, query, --format=json, \"SELECT …\"]`"),
                );
                return None;
            }
            from => from,
        };
        let codeowners = self
            .codeowners
            .map(|c| (expr("codeowners/path", &c.path, out), c.file));
        if out.len() > before {
            return None;
        }
        type_id?;
        let codeowners = match codeowners {
            Some((path, file)) => Some((file, path?)),
            None => None,
        };
        Some(Pipeline {
            name: name.to_owned(),
            from,
            type_name: self.type_name,
            into: self.into,
            filter: filter.flatten(),
            id: id?,
            name_expr: name_expr.flatten(),
            description: description.flatten(),
            aliases: aliases.into_iter().collect::<Option<Vec<_>>>()?,
            fields,
            prune: self.prune,
            extend: self.extend,
            codeowners,
        })
    }
}

/// Whether a problem is in lore.yaml (any problem there makes the configuration invalid).
pub(crate) fn is_in_config(sources: &SourceMap, d: &Diag) -> bool {
    d.loc
        .file()
        .is_some_and(|f| sources.path(f) == Path::new(CONFIG_FILE))
}

pub(crate) fn at_doc(doc: Option<&SpannedDoc<'_>>, pointer: &str, key: bool) -> Loc {
    doc.map_or(Loc::None, |d| d.loc(pointer, key))
}

/// Longest JSONPath accepted: real paths are a few dozen characters.
const MAX_PATH_LEN: usize = 1024;
/// Deepest nesting of brackets and parentheses accepted. Real paths nest two or three;
/// the parser recurses on each level (about 10 KiB of stack in a debug build) and its
/// time doubles with each nested filter (`[?@[?…]]`: 12 levels take a second).
const MAX_PATH_DEPTH: usize = 8;

/// How deeply `[` and `(` nest in a JSONPath, outside its string literals.
fn nesting(path: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in path.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' => quote = Some(c),
                '[' | '(' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                ']' | ')' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
    }
    deepest
}

/// Compile one JSONPath, or report it at the place in lore.yaml where it goes wrong.
pub(crate) fn compile_path(
    doc: Option<&SpannedDoc<'_>>,
    pointer: &str,
    path: &str,
    out: &mut Vec<Diag>,
) -> Option<JsonPath> {
    let failure = if path.len() > MAX_PATH_LEN {
        Err((
            format!(
                "this JSONPath is {} bytes long; lore accepts up to {MAX_PATH_LEN}",
                path.len()
            ),
            None,
        ))
    } else if nesting(path) > MAX_PATH_DEPTH {
        Err((
            format!("this JSONPath nests brackets and parentheses more than {MAX_PATH_DEPTH} deep; lore accepts up to {MAX_PATH_DEPTH}"),
            None,
        ))
    } else if !path.trim_start().starts_with('$') {
        Err((
            format!("`{path}` is not a JSONPath: it must start with `$`, the payload's root"),
            Some(0),
        ))
    } else {
        JsonPath::parse(path).map_err(|e| {
            (
                format!(
                    "`{path}` is not a JSONPath (RFC 9535): {}",
                    e.message().trim()
                ),
                Some(e.position()),
            )
        })
    };
    match failure {
        Ok(p) => Some(p),
        Err((message, offset)) => {
            let loc = doc.map_or(Loc::None, |d| d.loc_in_string(pointer, offset));
            out.push(
                Diag::error(Code::Config, message, loc).with_help(
                    "write a JSONPath from the payload's root, like `$.labels.service` or `$.labels['app.kubernetes.io/name']`",
                ),
            );
            None
        }
    }
}

/// Refuse paths and globs that leave the repository (absolute, or climbing with `..`):
/// each is reported where it is written and dropped (`schemas:` falls back to its
/// default), so nothing outside the repository is ever read.
fn paths_inside(d: &SpannedDoc<'_>, mut config: ConfigRaw, out: &mut Vec<Diag>) -> ConfigRaw {
    let mut inside = |pointer: String, value: &str| {
        let Some(why) = crate::source::escapes(Path::new(value)) else {
            return true;
        };
        let key = pointer
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("");
        out.push(
            Diag::error(
                Code::Config,
                format!("`{key}` names `{value}`, which {why}: lore reads only files inside the repository"),
                d.loc(&pointer, false),
            )
            .with_help("write a path relative to the catalog root (where lore.yaml is), without `..`"),
        );
        false
    };
    let mut i = 0;
    config.catalog.retain(|p| {
        i += 1;
        inside(format!("/catalog/{}", i - 1), p)
    });
    let mut i = 0;
    config.exclude.retain(|p| {
        i += 1;
        inside(format!("/exclude/{}", i - 1), p)
    });
    if !inside("/schemas".to_owned(), &config.schemas) {
        config.schemas = ConfigRaw::default().schemas;
    }
    config.imports.retain(|name, p| {
        let base = format!("/imports/{}", escape(name));
        let from = match &p.from {
            FromRaw::Csv(f) => Some(("csv", f)),
            FromRaw::Json(f) => Some(("json", f)),
            FromRaw::Codeowners(f) => Some(("codeowners", f)),
            FromRaw::Backstage(f) => Some(("backstage", f)),
            FromRaw::Exec(_) => None,
        };
        let mut ok = inside(format!("{base}/into"), &p.into);
        if let Some((key, f)) = from {
            ok &= inside(format!("{base}/from/{key}"), f);
        }
        if let Some(e) = &p.extend {
            ok &= inside(format!("{base}/extend"), e);
        }
        if let Some(c) = &p.codeowners {
            ok &= inside(format!("{base}/codeowners/file"), &c.file);
        }
        ok
    });
    config
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Severity;
    use crate::span::FileId;
    use crate::yaml::{self, Limits};

    /// Parse and validate `text` as lore.yaml with the types `types`: the config and
    /// `(line, code, message)` of each problem.
    fn config(text: &str, types: &[&str]) -> (Config, Vec<(usize, Code, String)>) {
        let docs = yaml::parse(text, Limits::default(), true).documents;
        let d = SpannedDoc {
            file: FileId(0),
            doc: &docs[0],
            text,
        };
        let types: HashMap<String, TypeId> = types
            .iter()
            .enumerate()
            .map(|(i, t)| ((*t).to_owned(), TypeId::new(i)))
            .collect();
        let mut out = Vec::new();
        let raw = parse(Some(&d), &mut out);
        let ctx = ValidationContext {
            doc: Some(&d),
            types: &types,
            totals: &[],
        };
        let c = raw.validate(&ctx, &mut out);
        let problems = out
            .iter()
            .map(|p| {
                assert_eq!(p.severity, Severity::Error);
                let line = match &p.loc {
                    Loc::Span(_, s) => crate::span::Lines::new(text).line(s.start),
                    other => panic!("not placed: {other:?}"),
                };
                (line, p.code, p.message.clone())
            })
            .collect();
        (c, problems)
    }

    #[test]
    fn sources_and_notes_compile_once() {
        let (c, problems) = config(
            "alerts:\n  sources:\n    synthetics:\n      detect: $.check_id\n      title: $.name\n      match:\n        Service: [$.target.service, $.svc]\n  notes:\n    - when: totals.Customer.arr > 1\n      say: \"{{ alert.title }}\"\n",
            &["Service"],
        );
        assert_eq!(problems, []);
        let s = &c.alerts.sources[0];
        assert_eq!(s.name, "synthetics");
        assert_eq!(s.typed.len(), 1);
        assert_eq!(s.typed[0].1.len(), 2);
        assert!(s.each.is_none() && !s.title.is_empty());
        assert_eq!(c.alerts.notes.len(), 1);
        assert!(c.alerts.broken.is_empty());
    }

    #[test]
    fn every_bad_path_type_and_note_is_reported_where_it_is_written() {
        let (c, problems) = config(
            "alerts:\n  sources:\n    a:\n      detect: $.x\n      each: \"$.alerts[*\"\n      title: labels.name\n      match:\n        Servce: [$.s]\n        Team: [\"$..[\"]\n  notes:\n    - when: \"totals >\"\n      say: ok\n    - say: \"{{ nope }}\"\n",
            &["Service", "Team"],
        );
        let got: Vec<(usize, Code)> = problems.iter().map(|(l, c, _)| (*l, *c)).collect();
        assert_eq!(
            got,
            [
                (5, Code::Config),
                (6, Code::Config),
                (8, Code::Config),
                (9, Code::Config),
                (11, Code::InvalidExpr),
                (13, Code::InvalidExpr),
            ],
            "{problems:?}"
        );
        assert!(problems[2].2.contains("`Servce`"), "{problems:?}");
        assert!(c.alerts.sources.is_empty());
        assert_eq!(c.alerts.broken, ["a"]);
        assert!(c.alerts.notes.is_empty());
    }

    #[test]
    fn an_unknown_type_suggests_the_closest() {
        let mut out = Vec::new();
        let text =
            "alerts:\n  sources:\n    a:\n      detect: $.x\n      match:\n        Servce: [$.s]\n";
        let docs = yaml::parse(text, Limits::default(), true).documents;
        let d = SpannedDoc {
            file: FileId(0),
            doc: &docs[0],
            text,
        };
        let types = HashMap::from([("Service".to_owned(), TypeId::new(0))]);
        parse(Some(&d), &mut out).validate(
            &ValidationContext {
                doc: Some(&d),
                types: &types,
                totals: &[],
            },
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].help.as_deref(), Some("did you mean `Service`?"));
        // The key is labelled, not its list.
        let Loc::Span(_, span) = &out[0].loc else {
            panic!("{:?}", out[0].loc)
        };
        assert_eq!(&text[span.clone()], "Servce");
    }

    #[test]
    fn a_path_error_points_inside_the_string() {
        let text = "alerts:\n  sources:\n    a:\n      detect: \"$.ok[?@.x ==]\"\n";
        let docs = yaml::parse(text, Limits::default(), true).documents;
        let d = SpannedDoc {
            file: FileId(0),
            doc: &docs[0],
            text,
        };
        let mut out = Vec::new();
        compile_path(
            Some(&d),
            "/alerts/sources/a/detect",
            "$.ok[?@.x ==]",
            &mut out,
        );
        let Loc::Span(_, span) = &out[0].loc else {
            panic!("{:?}", out[0].loc)
        };
        let at = span.start - text.find("\"$.ok").unwrap() - 1;
        assert!((4..=13).contains(&at), "{at}: {}", out[0].message);
    }

    #[test]
    fn hostile_paths_are_refused_without_parsing() {
        let deep = format!("$[?{}@.a{}]", "(".repeat(100_000), ")".repeat(100_000));
        let mut out = Vec::new();
        assert!(compile_path(None, "", &deep, &mut out).is_none());
        assert!(
            out[0].message.contains("lore accepts up to"),
            "{}",
            out[0].message
        );
        // At the limit, parsing is quick and stays well within a test thread's stack.
        for nested in [
            format!("$[?{}@.a{}]", "(".repeat(7), ")".repeat(7)),
            format!("$[?{}@.a{}]", "@[?".repeat(7), "]".repeat(7)),
        ] {
            assert_eq!(nesting(&nested), MAX_PATH_DEPTH);
            out.clear();
            compile_path(None, "", &nested, &mut out);
            assert!(
                out.iter().all(|d| !d.message.contains("lore accepts")),
                "{out:?}"
            );
        }
        let deeper = format!("$[?{}@.a{}]", "(".repeat(5000), ")".repeat(5000));
        let deeper = &deeper[..MAX_PATH_LEN];
        out.clear();
        assert!(compile_path(None, "", deeper, &mut out).is_none());
        assert!(out[0].message.contains("more than 8 deep"), "{out:?}");
        // Brackets inside string literals do not count.
        assert_eq!(nesting("$.labels['a[[[(']"), 1);
    }

    #[test]
    fn an_unknown_key_leaves_the_rest_in_force() {
        let (c, problems) = config("catalog: [entries]\nschema: types\n", &[]);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].0, 2);
        assert_eq!(c.catalog, ["entries"]);
        // A wrong type is dropped too, with the rest kept.
        let (c, problems) = config("catalog: [entries]\nschemas: 5\n", &[]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(
            (c.catalog.as_slice(), c.schemas.as_str()),
            (&["entries".to_owned()][..], "schemas")
        );
    }

    #[test]
    fn the_schema_is_as_strict_as_the_file_format() {
        let s = schema();
        assert!(schema::meta_errors(&s).is_empty(), "{s}");
        assert_eq!(s["title"], "lore.yaml");
        assert_eq!(s["additionalProperties"], false);
        assert_eq!(s["$defs"]["source"]["additionalProperties"], false);
        assert_eq!(
            s["$defs"]["source"]["required"],
            serde_json::json!(["detect"])
        );
        assert_eq!(s["$defs"]["note"]["required"], serde_json::json!(["say"]));
        assert_eq!(s["$defs"]["note"]["additionalProperties"], false);
        assert_eq!(s["properties"]["catalog"]["items"]["minLength"], 1);
        assert_eq!(s["properties"]["schemas"]["minLength"], 1);
        let freshness = &s["$defs"]["freshness"];
        assert_eq!(freshness["additionalProperties"], false);
        assert_eq!(
            freshness["properties"]["max_age"]["pattern"],
            "^[0-9]+[dwmy]$"
        );
        assert_eq!(s["$defs"]["source"]["properties"]["each"]["type"], "string");
    }
}

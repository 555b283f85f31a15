//! Loading a catalog repository: discover files, parse them, check every entry, resolve
//! references into a typed graph, and collect every problem on the way.
//!
//! Input: a root folder. Output: a [`Catalog`]: the types, the entries, the edges between
//! them (both directions), and the problems, each located at a byte span. Files are
//! parsed and checked in parallel; the first pass keeps no node spans (the fast path)
//! and only files with problems are parsed again with spans to place them exactly.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::Value;

use crate::cache::{self, Cache};
use crate::diag::{closest, did_you_mean, Code, Diag, Loc, Severity};
use crate::expr::Scope;
use crate::files::{FileSource, WorkTree};
use crate::model::{self, Config, RuleSeverity, SpannedDoc, TypeDef, TypeId};
use crate::schema::{self, escape, RelationField, TypeFileRetriever};
use crate::source::{FileId, SourceMap};
use crate::workspace::CONFIG_FILE;
use crate::yaml::{self, Limits, YamlErrorKind};

/// Index of an entry in [`Catalog::entries`].
pub type EntryId = usize;

/// One catalog entry.
#[derive(Debug)]
pub struct Entry {
    pub type_id: TypeId,
    pub id: String,
    pub value: Value,
    pub file: FileId,
    /// Index of the YAML document in its file.
    pub doc: usize,
    /// Byte span of the document.
    pub span: Range<usize>,
}

impl Entry {
    /// Display name: `name`, else the id.
    pub fn name(&self) -> &str {
        self.value
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(&self.id)
    }

    pub fn aliases(&self) -> impl Iterator<Item = &str> {
        self.value
            .get("aliases")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
    }
}

/// A resolved reference: `from`'s relation number `relation` names `to`.
#[derive(Debug, Clone, Copy)]
pub struct Edge {
    pub from: EntryId,
    pub to: EntryId,
    pub relation: usize,
    /// Position in the list, for `many` relations.
    pub item: Option<u32>,
}

/// A loaded catalog.
pub struct Catalog {
    pub root: PathBuf,
    pub config: Config,
    pub sources: SourceMap,
    pub types: Vec<TypeDef>,
    pub entries: Vec<Entry>,
    pub edges: Vec<Edge>,
    /// Edge indexes by source entry, and by target entry.
    pub outgoing: Vec<Vec<usize>>,
    pub incoming: Vec<Vec<usize>>,
    /// Number of entry files read.
    pub files: usize,
    /// How many of them came from the cache.
    pub cache_hits: usize,
    pub problems: Vec<Diag>,
    /// Per type: id or alias -> entry.
    index: Vec<HashMap<String, EntryId>>,
    type_by_name: HashMap<String, TypeId>,
}

/// Failures that stop loading altogether (exit 2).
#[derive(Debug)]
pub struct Fatal(pub String);

impl Catalog {
    pub fn type_id(&self, name: &str) -> Option<TypeId> {
        self.type_by_name.get(name).copied()
    }

    /// The entry of `type_id` whose id or alias is `key`.
    pub fn lookup(&self, type_id: TypeId, key: &str) -> Option<EntryId> {
        self.index[type_id].get(key).copied()
    }

    /// `Type:id` of an entry.
    pub fn key(&self, e: EntryId) -> String {
        let entry = &self.entries[e];
        format!("{}:{}", self.types[entry.type_id].name, entry.id)
    }

    /// 1-based line of the entry's first line.
    pub fn line(&self, e: EntryId) -> usize {
        let entry = &self.entries[e];
        self.sources.line_col(entry.file, entry.span.start).0
    }

    pub fn errors(&self) -> usize {
        self.problems
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    pub fn warnings(&self) -> usize {
        self.problems.len() - self.errors()
    }
}

/// Load and check the catalog under `root`, from the files on disk.
pub fn load(root: &Path) -> Result<Catalog, Fatal> {
    load_with(root, &WorkTree::new(root), None)
}

/// Load and check the catalog whose files `files` gives (the working tree, or a git
/// revision); `root` is where it lives on disk, for showing paths.
pub fn load_from(root: &Path, files: &dyn FileSource) -> Result<Catalog, Fatal> {
    load_with(root, files, None)
}

/// Load from the working tree with a cache of per-file results (see [`crate::cache`]).
pub fn load_with_cache(root: &Path, cache: Option<Cache>) -> Result<Catalog, Fatal> {
    load_with(root, &WorkTree::new(root), cache)
}

/// Load from `files`, with `cache` if any: its key is combined with what the catalog's
/// results depend on, so a stale cache is only ever a miss.
pub fn load_with(
    root: &Path,
    files: &dyn FileSource,
    cache: Option<Cache>,
) -> Result<Catalog, Fatal> {
    let limits = Limits::default();
    let mut problems = Vec::new();
    let mut sources = SourceMap::default();

    // lore.yaml
    let config = if files.is_file(Path::new(CONFIG_FILE)) {
        let text = read_text(files, Path::new(CONFIG_FILE), &mut sources, &mut problems);
        match text {
            Some((file, text)) => {
                let parsed = parse_reporting(file, &text, limits, true, &mut problems);
                let first = parsed.first();
                let spanned = first.map(|doc| SpannedDoc {
                    file,
                    doc,
                    text: &text,
                });
                model::load_config(spanned.as_ref(), &mut problems)
            }
            None => Config::default(),
        }
    } else {
        Config::default()
    };

    // schemas/
    if !files.is_dir(Path::new(&config.schemas)) {
        return Err(Fatal(format!(
            "the schemas folder `{}` does not exist; create it with one type definition per file, or set `schemas:` in lore.yaml",
            config.schemas
        )));
    }
    let type_paths = discover(
        files,
        std::slice::from_ref(&config.schemas),
        &globset::GlobSet::empty(),
        &mut problems,
    )?;
    let mut type_texts = Vec::new();
    for rel in &type_paths {
        if let Some((file, text)) = read_text(files, rel, &mut sources, &mut problems) {
            let docs = parse_reporting(file, &text, limits, true, &mut problems);
            if docs.len() > 1 {
                problems.push(Diag::error(Code::Typedef, "a type definition file holds one type; this one has several YAML documents", Loc::Span(file, docs[1].span.clone())).with_help("move each type into its own file under schemas/"));
            }
            type_texts.push((file, text, docs));
        }
    }
    let spanned: Vec<SpannedDoc<'_>> = type_texts
        .iter()
        .filter_map(|(file, text, docs)| {
            docs.first().map(|doc| SpannedDoc {
                file: *file,
                doc,
                text,
            })
        })
        .collect();
    let types = model::load_types(&spanned, &mut problems);
    let schema_docs: HashMap<String, Value> = type_paths
        .iter()
        .zip(&type_texts)
        .filter_map(|(rel, (_, _, docs))| {
            let uri = schema_uri(rel, &config.schemas);
            docs.first()
                .and_then(|d| d.value.get("schema"))
                .map(|s| (uri, s.clone()))
        })
        .collect();
    let retriever = TypeFileRetriever {
        documents: Arc::new(schema_docs),
    };
    let type_uri: HashMap<FileId, String> = type_paths
        .iter()
        .zip(&type_texts)
        .map(|(rel, (file, _, _))| (*file, schema_uri(rel, &config.schemas)))
        .collect();
    drop(spanned);

    // Compile each type's entry schema once.
    let validators: Vec<Option<jsonschema::Validator>> = types
        .iter()
        .map(|t| {
            if !t.usable {
                return None;
            }
            let fields: Vec<RelationField<'_>> = t
                .relations
                .iter()
                .map(|r| RelationField { name: &r.name, many: r.many, required: r.required })
                .collect();
            let composed = schema::compose(t.schema.as_ref(), &fields, t.additional_fields, &type_uri[&t.file]);
            match schema::build(&composed, retriever.clone()) {
                Ok(v) => Some(v),
                Err(e) => {
                    problems.push(
                        Diag::error(Code::InvalidSchema, format!("the schema of `{}` does not compile: {e}", t.name), Loc::File(t.file))
                            .with_help("fix the type's `schema`; `$ref` reaches `#/$defs/...` and other type files only"),
                    );
                    None
                }
            }
        })
        .collect();
    let type_by_name: HashMap<String, TypeId> = types
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.clone(), i))
        .collect();

    // catalog/
    let excludes = build_globs(&config.exclude);
    let entry_paths = discover(files, &config.catalog, &excludes, &mut problems)?;
    let first_id = sources.len();
    let ctx = CheckContext {
        types: &types,
        validators: &validators,
        type_by_name: &type_by_name,
    };
    let key = cache_key(&sources);
    let cache = cache.map(|c| Cache::open(c.path, c.key ^ key));
    let loaded: Vec<(FileResult, u128, Option<String>)> = entry_paths
        .par_iter()
        .enumerate()
        .map(|(i, rel)| {
            let file = FileId(u32::try_from(first_id + i).expect("fewer than 4G files"));
            load_file(files, rel, file, limits, &ctx, cache.as_ref())
        })
        .collect();
    let files = loaded.len();
    let mut cache_hits = 0;
    if let Some(cache) = &cache {
        cache_hits = loaded.iter().filter(|(_, _, r)| r.is_none()).count();
        if cache_hits < files || cache.len() != files {
            let records: Vec<(u128, String)> = loaded
                .iter()
                .filter_map(|(_, hash, record)| {
                    let record = record
                        .clone()
                        .or_else(|| cache.get(*hash).map(str::to_owned))?;
                    Some((*hash, record))
                })
                .collect();
            cache.save(&records);
        }
    }
    let mut entries = Vec::new();
    for (rel, (r, _, _)) in entry_paths.into_iter().zip(loaded) {
        let id = sources.add(rel, r.text);
        debug_assert_eq!(id, r.file);
        problems.extend(r.problems);
        entries.extend(r.entries);
    }

    let mut catalog = Catalog {
        root: root.to_path_buf(),
        config,
        sources,
        types,
        entries,
        edges: Vec::new(),
        outgoing: Vec::new(),
        incoming: Vec::new(),
        files,
        cache_hits,
        problems,
        index: Vec::new(),
        type_by_name,
    };
    build_index(&mut catalog);
    resolve(&mut catalog);
    find_cycles(&mut catalog);
    place(&mut catalog, limits);
    let sources = &catalog.sources;
    catalog.problems.sort_by_cached_key(|d| order(sources, d));
    Ok(catalog)
}

/// What every cached result depends on besides its own file: lore's version and every
/// file read before the entries (lore.yaml and the type definitions), paths included.
fn cache_key(config_and_types: &SourceMap) -> u128 {
    let mut all = format!("lore {}\0", env!("CARGO_PKG_VERSION"));
    for i in 0..config_and_types.len() {
        let f = config_and_types.get(FileId(i as u32));
        all.push_str(&f.path.to_string_lossy());
        all.push('\0');
        all.push_str(&f.text);
        all.push('\0');
    }
    cache::content_hash(all.as_bytes())
}

fn schema_uri(rel: &Path, schemas: &str) -> String {
    let inner = rel.strip_prefix(schemas).unwrap_or(rel);
    format!(
        "{}{}",
        schema::BASE_URI,
        inner.to_string_lossy().replace('\\', "/")
    )
}

fn order(sources: &SourceMap, d: &Diag) -> (String, usize, Code, String) {
    let (path, start) = match &d.loc {
        Loc::Span(f, s) => (sources.display_path(*f), s.start),
        Loc::File(f) | Loc::Pointer { file: f, .. } => (sources.display_path(*f), 0),
        Loc::None => (String::new(), 0),
    };
    (path, start, d.code, d.message.clone())
}

fn read_text(
    files: &dyn FileSource,
    rel: &Path,
    sources: &mut SourceMap,
    problems: &mut Vec<Diag>,
) -> Option<(FileId, Arc<str>)> {
    match files.read(rel) {
        Ok(bytes) => {
            let (text, bad) = decode(bytes);
            let file = sources.add(rel.to_path_buf(), text.clone());
            if let Some(at) = bad {
                problems.push(encoding_diag(file, at));
                return None;
            }
            Some((file, text))
        }
        Err(e) => {
            problems.push(Diag::error(
                Code::Io,
                format!("cannot read `{}`: {e}", rel.display()),
                Loc::None,
            ));
            None
        }
    }
}

fn decode(bytes: Vec<u8>) -> (Arc<str>, Option<usize>) {
    match String::from_utf8(bytes) {
        Ok(s) => (Arc::from(s), None),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            (
                Arc::from(String::from_utf8_lossy(e.as_bytes()).into_owned()),
                Some(at),
            )
        }
    }
}

fn encoding_diag(file: FileId, at: usize) -> Diag {
    Diag::error(
        Code::Encoding,
        "this file is not valid UTF-8",
        Loc::Span(file, at..at + 1),
    )
    .with_label("invalid byte")
    .with_help("save the file as UTF-8")
}

/// Parse and turn YAML errors into problems.
fn parse_reporting(
    file: FileId,
    text: &str,
    limits: Limits,
    with_spans: bool,
    out: &mut Vec<Diag>,
) -> Vec<yaml::Document> {
    let parsed = yaml::parse(text, limits, with_spans);
    for e in parsed.errors {
        out.push(yaml_diag(file, e));
    }
    parsed.documents
}

fn yaml_diag(file: FileId, e: yaml::YamlError) -> Diag {
    let loc = Loc::Span(file, e.span);
    match e.kind {
        YamlErrorKind::Syntax => {
            Diag::error(Code::Yaml, e.message, loc).with_help("fix the YAML syntax at this place")
        }
        YamlErrorKind::DuplicateKey => {
            let d = Diag::error(Code::DuplicateKey, e.message, loc).with_label("second occurrence");
            match e.related {
                Some(first) => d.with_related(Loc::Span(file, first), "first occurrence"),
                None => d,
            }
        }
        YamlErrorKind::AliasLimit | YamlErrorKind::DepthLimit => {
            Diag::error(Code::YamlLimit, e.message, loc)
        }
        YamlErrorKind::UnsupportedKey => {
            Diag::error(Code::Yaml, e.message, loc).with_help("keys must be plain strings")
        }
        YamlErrorKind::EmptyDocument => Diag::warning(Code::EmptyDocument, e.message, loc)
            .with_help("remove the empty document (often a stray `---`)"),
    }
}

/// Catalog entry files under the configured folders or globs, sorted, relative to the root.
fn discover(
    files: &dyn FileSource,
    patterns: &[String],
    excludes: &globset::GlobSet,
    problems: &mut Vec<Diag>,
) -> Result<Vec<PathBuf>, Fatal> {
    let mut out = Vec::new();
    let mut globs = Vec::new();
    for p in patterns {
        if p.contains(['*', '?', '[', '{']) {
            globs.push(p.as_str());
            continue;
        }
        let dir = Path::new(p);
        if files.is_file(dir) {
            out.push(PathBuf::from(p));
            continue;
        }
        if !files.is_dir(dir) {
            return Err(Fatal(format!(
                "the catalog folder `{p}` does not exist; create it or fix `catalog:` in lore.yaml"
            )));
        }
        walk(files, dir, excludes, &mut out, problems);
    }
    if !globs.is_empty() {
        let set = build_globs(&globs.iter().map(|g| g.to_string()).collect::<Vec<_>>());
        let mut all = Vec::new();
        walk(files, Path::new(""), excludes, &mut all, problems);
        out.extend(all.into_iter().filter(|p| set.is_match(p)));
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(
    files: &dyn FileSource,
    dir: &Path,
    excludes: &globset::GlobSet,
    out: &mut Vec<PathBuf>,
    problems: &mut Vec<Diag>,
) {
    for item in files.walk(dir) {
        match item {
            Ok(rel) => {
                let name = rel
                    .file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default();
                if !(name.ends_with(".yaml") || name.ends_with(".yml")) {
                    continue;
                }
                if !excludes.is_match(&rel) {
                    out.push(rel);
                }
            }
            Err(message) => problems.push(Diag::error(Code::Io, message, Loc::None)),
        }
    }
}

fn build_globs(patterns: &[String]) -> globset::GlobSet {
    let mut b = globset::GlobSetBuilder::new();
    for p in patterns {
        if let Ok(g) = globset::GlobBuilder::new(p).literal_separator(true).build() {
            b.add(g);
        }
    }
    b.build().unwrap_or_else(|_| globset::GlobSet::empty())
}

struct CheckContext<'a> {
    types: &'a [TypeDef],
    validators: &'a [Option<jsonschema::Validator>],
    type_by_name: &'a HashMap<String, TypeId>,
}

struct FileResult {
    file: FileId,
    text: Arc<str>,
    entries: Vec<Entry>,
    problems: Vec<Diag>,
}

/// Read one entry file, then check it or take its result from the cache.
/// Returns the result, the content hash, and the encoded record when it was checked anew.
fn load_file(
    files: &dyn FileSource,
    rel: &Path,
    file: FileId,
    limits: Limits,
    ctx: &CheckContext<'_>,
    cache: Option<&Cache>,
) -> (FileResult, u128, Option<String>) {
    let bytes = match files.read(rel) {
        Ok(b) => b,
        Err(e) => {
            let problem = Diag::error(
                Code::Io,
                format!("cannot read `{}`: {e}", rel.display()),
                Loc::File(file),
            );
            let result = FileResult {
                file,
                text: Arc::from(""),
                entries: Vec::new(),
                problems: vec![problem],
            };
            return (result, 0, None);
        }
    };
    let hash = cache::content_hash(&bytes);
    let (text, bad) = decode(bytes);
    if let Some((entries, problems)) = cache
        .and_then(|c| c.get(hash))
        .and_then(|record| cache::decode(record, file, ctx.type_by_name))
    {
        let result = FileResult {
            file,
            text,
            entries,
            problems,
        };
        return (result, hash, None);
    }
    let result = check_text(file, text, bad, limits, ctx);
    let record = cache.map(|_| cache::encode(ctx.types, &result.entries, &result.problems));
    (result, hash, record)
}

/// Parse and check the entries of one file's text (`bad`: where it stops being UTF-8).
fn check_text(
    file: FileId,
    text: Arc<str>,
    bad: Option<usize>,
    limits: Limits,
    ctx: &CheckContext<'_>,
) -> FileResult {
    let mut problems = Vec::new();
    if let Some(at) = bad {
        problems.push(encoding_diag(file, at));
        return FileResult {
            file,
            text,
            entries: Vec::new(),
            problems,
        };
    }
    let docs = parse_reporting(file, &text, limits, false, &mut problems);
    let mut entries = Vec::new();
    for (doc_index, doc) in docs.into_iter().enumerate() {
        if doc.value.is_null() {
            continue; // reported as an empty document
        }
        if let Some(entry) = check_entry(file, doc_index, doc, ctx, &mut problems) {
            entries.push(entry);
        }
    }
    FileResult {
        file,
        text,
        entries,
        problems,
    }
}

fn at(file: FileId, doc: usize, pointer: &str, key: bool) -> Loc {
    Loc::Pointer {
        file,
        doc,
        pointer: pointer.to_owned(),
        key,
    }
}

fn check_entry(
    file: FileId,
    doc: usize,
    d: yaml::Document,
    ctx: &CheckContext<'_>,
    out: &mut Vec<Diag>,
) -> Option<Entry> {
    let value = d.value;
    let Some(map) = value.as_object() else {
        out.push(
            Diag::error(
                Code::NotAMapping,
                format!(
                    "an entry must be a mapping, but this document is {}",
                    kind_of(&value)
                ),
                Loc::Span(file, d.span.clone()),
            )
            .with_help("write the entry as `type: ...`, `id: ...` and its fields"),
        );
        return None;
    };
    let type_name = match map.get("type") {
        Some(Value::String(t)) => t,
        Some(_) => {
            out.push(Diag::error(
                Code::MissingType,
                "`type` must be the name of a type, as a string",
                at(file, doc, "/type", false),
            ));
            return None;
        }
        None => {
            let names: Vec<&str> = ctx.types.iter().map(|t| t.name.as_str()).collect();
            out.push(
                Diag::error(
                    Code::MissingType,
                    "this entry has no `type`",
                    Loc::Span(file, d.span.start..d.span.start),
                )
                .with_help(format!("add `type:` with one of: {}", names.join(", "))),
            );
            return None;
        }
    };
    let Some(&type_id) = ctx.type_by_name.get(type_name) else {
        let names: Vec<&str> = ctx.types.iter().map(|t| t.name.as_str()).collect();
        out.push(
            Diag::error(
                Code::UnknownType,
                format!("unknown type `{type_name}`"),
                at(file, doc, "/type", false),
            )
            .with_help(
                did_you_mean(&closest(type_name, names.iter().copied())).unwrap_or_else(|| {
                    format!(
                        "define it in a file under schemas/, or use one of: {}",
                        names.join(", ")
                    )
                }),
            ),
        );
        return None;
    };
    let t = &ctx.types[type_id];
    let id = match map.get("id") {
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        Some(_) => {
            out.push(
                Diag::error(
                    Code::MissingId,
                    "`id` must be a non-empty string",
                    at(file, doc, "/id", false),
                )
                .with_help("quote the id if it looks like a number: `id: \"123\"`"),
            );
            return None;
        }
        None => {
            out.push(
                Diag::error(
                    Code::MissingId,
                    format!("this {type_name} has no `id`"),
                    at(file, doc, "/type", true),
                )
                .with_help("add `id:` with a name unique among the entries of this type"),
            );
            return None;
        }
    };
    let key = format!("{type_name}:{id}");
    let pattern_ok = match &t.id_pattern {
        Some(re) => re.is_match(&id),
        None => default_id_pattern(&id),
    };
    if !pattern_ok {
        let pattern = t
            .id_pattern
            .as_ref()
            .map_or("^[A-Za-z0-9][A-Za-z0-9._-]*$", |r| r.as_str());
        out.push(
            Diag::error(
                Code::IdPattern,
                format!("id `{id}` does not match the pattern `{pattern}` of {type_name}"),
                at(file, doc, "/id", false),
            )
            .with_entry(key.clone())
            .with_help("rename the entry; keep the old name in `aliases` so alerts still find it"),
        );
    }
    if let Some(Some(validator)) = ctx.validators.get(type_id) {
        if !validator.is_valid(&value) {
            let fields = t.fields();
            for v in schema::violations(validator, &value, &fields, false) {
                let code = if v.unknown_field {
                    Code::UnknownField
                } else {
                    Code::Schema
                };
                let message = if v.unknown_field {
                    format!("{} for {type_name}", v.message)
                } else {
                    v.message
                };
                let mut diag = Diag::error(code, message, at(file, doc, &v.pointer, v.key))
                    .with_entry(key.clone());
                if let Some(help) = v.help {
                    diag = diag.with_help(help);
                }
                out.push(diag);
            }
        }
    }
    if !t.rules.is_empty() {
        check_rules(t, &id, &value, at(file, doc, "/id", false), &key, out);
    }
    Some(Entry {
        type_id,
        id,
        value,
        file,
        doc,
        span: d.span,
    })
}

fn default_id_pattern(id: &str) -> bool {
    let b = id.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "empty",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// `self` as expressions see it: the entry with `name` defaulted to the id.
pub fn self_value<'a>(id: &str, value: &'a Value) -> std::borrow::Cow<'a, Value> {
    if value.get("name").is_some() {
        return std::borrow::Cow::Borrowed(value);
    }
    let mut v = value.clone();
    if let Value::Object(m) = &mut v {
        m.insert("name".into(), Value::String(id.to_owned()));
    }
    std::borrow::Cow::Owned(v)
}

fn check_rules(t: &TypeDef, id: &str, value: &Value, loc: Loc, key: &str, out: &mut Vec<Diag>) {
    let this = self_value(id, value);
    let scope = Scope::new(&[("self", &*this)]);
    for rule in &t.rules {
        let severity = match rule.severity {
            RuleSeverity::Error => Severity::Error,
            RuleSeverity::Warning => Severity::Warning,
        };
        let applies = match &rule.when {
            None => Ok(true),
            Some(when) => when.eval_bool_in(&scope),
        };
        let outcome = applies.and_then(|yes| {
            if yes {
                rule.check.eval_bool_in(&scope)
            } else {
                Ok(true)
            }
        });
        match outcome {
            Ok(true) => {}
            Ok(false) => {
                let text = match &rule.message {
                    Some(m) => m
                        .render_in(&scope)
                        .unwrap_or_else(|e| format!("(message failed: {})", e.message)),
                    None => format!("`{}` does not hold", rule.check.source()),
                };
                let mut d = Diag::error(
                    Code::Rule,
                    format!("rule `{}`: {text}", rule.name),
                    loc.clone(),
                )
                .with_entry(key);
                d.severity = severity;
                d.help = Some(format!(
                    "the type {} requires `{}`",
                    t.name,
                    rule.check.source()
                ));
                out.push(d);
            }
            Err(e) => {
                let mut d = Diag::error(
                    Code::RuleError,
                    format!("rule `{}` could not be evaluated: {}", rule.name, e.message),
                    loc.clone(),
                )
                .with_entry(key)
                .with_help(
                    "guard optional fields with `has(self.field)` in the rule's `when` or `check`",
                );
                d.severity = severity;
                out.push(d);
            }
        }
    }
}

/// Index ids and aliases per type; report clashes naming both places.
fn build_index(c: &mut Catalog) {
    let mut counts = vec![0usize; c.types.len()];
    for e in &c.entries {
        counts[e.type_id] += 1 + e.aliases().count();
    }
    let mut index: Vec<HashMap<String, EntryId>> =
        counts.iter().map(|&n| HashMap::with_capacity(n)).collect();
    let mut problems = Vec::new();
    // Ids first, so an alias that equals another entry's id is the alias's problem.
    let mut drop = HashSet::new();
    for (e, entry) in c.entries.iter().enumerate() {
        let idx = &mut index[entry.type_id];
        if let Some(&first) = idx.get(&entry.id) {
            let f = &c.entries[first];
            let tname = &c.types[entry.type_id].name;
            problems.push(
                Diag::error(
                    Code::DuplicateId,
                    format!("duplicate id: {tname} `{}` is already defined", entry.id),
                    at(entry.file, entry.doc, "/id", false),
                )
                .with_related(at(f.file, f.doc, "/id", false), "first defined here")
                .with_entry(format!("{tname}:{}", entry.id))
                .with_help(
                    "ids are unique within a type: rename one of the entries, or merge them",
                ),
            );
            drop.insert(e);
        } else {
            idx.insert(entry.id.clone(), e);
        }
    }
    for (e, entry) in c.entries.iter().enumerate() {
        if drop.contains(&e) {
            continue;
        }
        for (k, alias) in entry.aliases().enumerate() {
            let idx = &mut index[entry.type_id];
            match idx.get(alias) {
                Some(&other) if other == e => {}
                Some(&other) => {
                    let o = &c.entries[other];
                    let tname = &c.types[entry.type_id].name;
                    let (what, related) = if o.id == alias {
                        ("the id", at(o.file, o.doc, "/id", false))
                    } else {
                        let pos = o.aliases().position(|a| a == alias).unwrap_or(0);
                        (
                            "an alias",
                            at(o.file, o.doc, &format!("/aliases/{pos}"), false),
                        )
                    };
                    problems.push(
                        Diag::error(
                            Code::DuplicateId,
                            format!(
                                "duplicate alias: `{alias}` is already {what} of {tname} `{}`",
                                o.id
                            ),
                            at(entry.file, entry.doc, &format!("/aliases/{k}"), false),
                        )
                        .with_related(related, "already used here")
                        .with_entry(format!("{tname}:{}", entry.id))
                        .with_help(
                            "an alias names one entry of its type only; remove it from one of them",
                        ),
                    );
                }
                None => {
                    idx.insert(alias.to_owned(), e);
                }
            }
        }
    }
    c.index = index;
    c.problems.extend(problems);
}

/// Resolve every relation value into an edge; report the ones that do not resolve.
fn resolve(c: &mut Catalog) {
    let suggestions = Suggestions::default();
    let results: Vec<(Vec<Edge>, Vec<Diag>)> = (0..c.entries.len())
        .into_par_iter()
        .map(|e| resolve_entry(c, &suggestions, e))
        .collect();
    let mut edges = Vec::new();
    for (mut es, ds) in results {
        edges.append(&mut es);
        c.problems.extend(ds);
    }
    let mut outgoing = vec![Vec::new(); c.entries.len()];
    let mut incoming = vec![Vec::new(); c.entries.len()];
    for (i, edge) in edges.iter().enumerate() {
        outgoing[edge.from].push(i);
        incoming[edge.to].push(i);
    }
    c.edges = edges;
    c.outgoing = outgoing;
    c.incoming = incoming;
}

fn resolve_entry(c: &Catalog, s: &Suggestions, e: EntryId) -> (Vec<Edge>, Vec<Diag>) {
    let entry = &c.entries[e];
    let t = &c.types[entry.type_id];
    let mut edges = Vec::new();
    let mut diags = Vec::new();
    for (r, rel) in t.relations.iter().enumerate() {
        let Some(value) = entry.value.get(&rel.name) else {
            continue;
        };
        let items: Vec<(Option<u32>, &str)> = match value {
            Value::String(s) => vec![(None, s.as_str())],
            Value::Array(a) => a
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.as_str().map(|s| (Some(i as u32), s)))
                .collect(),
            _ => continue, // the schema reported it
        };
        let mut seen = HashSet::new();
        for (item, reference) in items {
            let pointer = match item {
                Some(i) => format!("/{}/{i}", escape(&rel.name)),
                None => format!("/{}", escape(&rel.name)),
            };
            match resolve_ref(c, s, rel, reference) {
                Ok(to) => {
                    if seen.insert(to) {
                        edges.push(Edge {
                            from: e,
                            to,
                            relation: r,
                            item,
                        });
                    }
                }
                Err(d) => diags.push(Diag {
                    loc: at(entry.file, entry.doc, &pointer, false),
                    entry: Some(c.key(e)),
                    ..d
                }),
            }
        }
    }
    (edges, diags)
}

/// "Team", "Service or Database", "Service, Database or Cluster".
fn type_list(c: &Catalog, ids: &[TypeId]) -> String {
    let names: Vec<&str> = ids.iter().map(|&t| c.types[t].name.as_str()).collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// Resolve one reference (`id`, alias, or `Type:id`) of relation `rel`.
// The error is the rare path; boxing it would only add an allocation per problem.
#[allow(clippy::result_large_err)]
fn resolve_ref(
    c: &Catalog,
    s: &Suggestions,
    rel: &model::Relation,
    reference: &str,
) -> Result<EntryId, Diag> {
    if let Some((prefix, rest)) = reference.split_once(':') {
        if let Some(&t) = c.type_by_name.get(prefix) {
            if !rel.to.contains(&t) {
                let why = format!(
                    "`{}` takes {}, not {prefix}",
                    rel.name,
                    type_list(c, &rel.to)
                );
                return Err(wrong_type(c, rel, why));
            }
            return c
                .lookup(t, rest)
                .ok_or_else(|| dangling(c, s, &[t], rest, &rel.name));
        }
    }
    let found: Vec<EntryId> = rel
        .to
        .iter()
        .filter_map(|&t| c.lookup(t, reference))
        .collect();
    match found.len() {
        1 => Ok(found[0]),
        0 => {
            // Exists, but in a type the relation does not allow?
            let elsewhere: Vec<String> = (0..c.types.len())
                .filter(|t| !rel.to.contains(t))
                .filter_map(|t| c.lookup(t, reference).map(|x| c.key(x)))
                .collect();
            if let Some(other) = elsewhere.first() {
                let why = format!(
                    "`{reference}` is {other}, but `{}` takes {}",
                    rel.name,
                    type_list(c, &rel.to)
                );
                return Err(wrong_type(c, rel, why));
            }
            Err(dangling(c, s, &rel.to, reference, &rel.name))
        }
        _ => {
            let candidates: Vec<String> =
                found.iter().map(|&x| format!("`{}`", c.key(x))).collect();
            Err(Diag::error(
                Code::AmbiguousRef,
                format!(
                    "`{reference}` matches several entries: {}",
                    candidates.join(", ")
                ),
                Loc::None,
            )
            .with_help(format!("write the type too, e.g. {}", candidates[0])))
        }
    }
}

fn wrong_type(c: &Catalog, rel: &model::Relation, why: String) -> Diag {
    Diag::error(Code::WrongTypeRef, why, Loc::None).with_help(format!(
        "point `{}` at an entry of type {}",
        rel.name,
        type_list(c, &rel.to)
    ))
}

/// "Did you mean" for dangling references, computed once per missing value and at most
/// for [`Suggestions::BUDGET`] values: each costs a scan of every id of the target types,
/// and a catalog with thousands of dangling references must still load in seconds.
#[derive(Default)]
struct Suggestions {
    memo: std::sync::Mutex<HashMap<SuggestionKey, Vec<String>>>,
}

/// The target types and the missing value.
type SuggestionKey = (Vec<TypeId>, String);

impl Suggestions {
    const BUDGET: usize = 200;

    fn get(&self, c: &Catalog, types: &[TypeId], reference: &str) -> Vec<String> {
        let key = (types.to_vec(), reference.to_owned());
        if let Some(found) = self.memo.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return found;
        }
        if self.memo.lock().map_or(true, |m| m.len() >= Self::BUDGET) {
            return Vec::new();
        }
        let mut candidates: Vec<&str> = Vec::new();
        for &t in types {
            candidates.extend(closest(reference, c.index[t].keys().map(String::as_str)));
        }
        candidates.sort();
        candidates.dedup();
        let best: Vec<String> = closest(reference, candidates.iter().copied())
            .into_iter()
            .map(str::to_owned)
            .collect();
        if let Ok(mut m) = self.memo.lock() {
            m.insert(key, best.clone());
        }
        best
    }
}

fn dangling(
    c: &Catalog,
    s: &Suggestions,
    types: &[TypeId],
    reference: &str,
    relation: &str,
) -> Diag {
    let best = s.get(c, types, reference);
    let best: Vec<&str> = best.iter().map(String::as_str).collect();
    let help = did_you_mean(&best).unwrap_or_else(|| {
        format!(
            "add an entry of type {} with id `{reference}`, or fix the reference",
            type_list(c, types)
        )
    });
    Diag::error(
        Code::DanglingRef,
        format!(
            "`{relation}` refers to `{reference}`, but no {} has that id or alias",
            type_list(c, types)
        ),
        Loc::None,
    )
    .with_label("not found")
    .with_help(help)
}

/// Cycles through `owner` and `parent` links (dependencies may loop; ownership may not).
fn find_cycles(c: &mut Catalog) {
    let n = c.entries.len();
    let follows = |edge: &Edge| {
        let rel = &c.types[c.entries[edge.from].type_id].relations[edge.relation];
        rel.owner || rel.parent
    };
    // 0 = new, 1 = on the stack, 2 = done
    let mut state = vec![0u8; n];
    let mut reported: HashSet<Vec<EntryId>> = HashSet::new();
    let mut problems = Vec::new();
    for start in 0..n {
        if state[start] != 0 {
            continue;
        }
        // Iterative DFS: (entry, next outgoing edge position); path holds the edges taken.
        let mut stack: Vec<(EntryId, usize)> = vec![(start, 0)];
        let mut path: Vec<usize> = Vec::new();
        state[start] = 1;
        while let Some(&mut (node, ref mut pos)) = stack.last_mut() {
            if let Some(&edge_index) = c.outgoing[node].get(*pos) {
                *pos += 1;
                let edge = c.edges[edge_index];
                if !follows(&edge) {
                    continue;
                }
                match state[edge.to] {
                    0 => {
                        state[edge.to] = 1;
                        stack.push((edge.to, 0));
                        path.push(edge_index);
                    }
                    1 => {
                        // The cycle: the edges of `path` from the one leaving edge.to, plus this edge.
                        let from = path
                            .iter()
                            .position(|&p| c.edges[p].from == edge.to)
                            .unwrap_or(path.len());
                        let mut cycle: Vec<usize> = path[from..].to_vec();
                        cycle.push(edge_index);
                        let mut members: Vec<EntryId> =
                            cycle.iter().map(|&p| c.edges[p].from).collect();
                        members.sort_unstable();
                        if reported.insert(members) {
                            problems.push(cycle_diag(c, &cycle));
                        }
                    }
                    _ => {}
                }
            } else {
                state[node] = 2;
                stack.pop();
                path.pop();
            }
        }
    }
    c.problems.extend(problems);
}

fn cycle_diag(c: &Catalog, cycle: &[usize]) -> Diag {
    // Report at the edge leaving the first entry in key order, so the place is stable.
    let start = (0..cycle.len())
        .min_by_key(|&i| c.key(c.edges[cycle[i]].from))
        .unwrap_or(0);
    let mut chain = Vec::new();
    for k in 0..cycle.len() {
        let edge = c.edges[cycle[(start + k) % cycle.len()]];
        let rel = &c.types[c.entries[edge.from].type_id].relations[edge.relation];
        chain.push(format!("{} → {}", c.key(edge.from), rel.name));
    }
    let first = c.edges[cycle[start]];
    chain.push(c.key(first.from));
    let rel = &c.types[c.entries[first.from].type_id].relations[first.relation];
    let pointer = match first.item {
        Some(i) => format!("/{}/{i}", escape(&rel.name)),
        None => format!("/{}", escape(&rel.name)),
    };
    let entry = &c.entries[first.from];
    Diag::error(Code::Cycle, format!("`{}` links form a cycle: {}", rel.name, chain.join(" ")), at(entry.file, entry.doc, &pointer, false))
        .with_entry(c.key(first.from))
        .with_help("ownership and containment must form a tree: break the cycle by pointing one of these links elsewhere")
}

/// Turn every pointer location into a byte span, parsing with spans only the files that need it.
fn place(c: &mut Catalog, limits: Limits) {
    let mut wanted: BTreeMap<FileId, ()> = BTreeMap::new();
    for d in &c.problems {
        for loc in std::iter::once(&d.loc).chain(d.related.iter().map(|r| &r.loc)) {
            if let Loc::Pointer { file, .. } = loc {
                wanted.insert(*file, ());
            }
        }
    }
    let files: Vec<FileId> = wanted.into_keys().collect();
    let parsed: HashMap<FileId, Vec<yaml::Document>> = files
        .par_iter()
        .map(|&f| {
            (
                f,
                yaml::parse(&c.sources.get(f).text, limits, true).documents,
            )
        })
        .collect();
    let resolve = |loc: &mut Loc| {
        if let Loc::Pointer {
            file,
            doc,
            pointer,
            key,
        } = loc
        {
            let span = parsed
                .get(file)
                .and_then(|docs| docs.get(*doc))
                .and_then(|d| d.spans.as_ref())
                .and_then(|s| {
                    if *key {
                        s.key(pointer).or_else(|| s.nearest(pointer))
                    } else {
                        s.nearest(pointer)
                    }
                });
            *loc = match span {
                Some(span) => Loc::Span(*file, span),
                None => Loc::File(*file),
            };
        }
    };
    for d in &mut c.problems {
        resolve(&mut d.loc);
        for r in &mut d.related {
            resolve(&mut r.loc);
        }
    }
}

/// A valid catalog made of `(path, content)` files in a temporary folder, for unit tests.
#[cfg(test)]
pub(crate) fn test_catalog(files: &[(&str, &str)]) -> (tempfile::TempDir, Catalog) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for (path, content) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("a parent folder")).expect("created");
        std::fs::write(p, content).expect("written");
    }
    let c = load(dir.path()).expect("the catalog loads");
    assert_eq!(c.problems.len(), 0, "{:?}", c.problems);
    (dir, c)
}

//! The pipeline: discover files, read lore.yaml and the type definitions, check every
//! entry file (in parallel, through the cache), link the graph, place every problem.
//!
//! Input: a root folder and a [`FileSource`]. Output: a [`Catalog`], or an [`Error`]
//! error when there is nothing to load. Files are parsed and checked in parallel; the
//! first pass keeps no node spans (the fast path) and only files with problems are
//! parsed again with spans to place them exactly.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::Value;

use crate::cache::{self, Cache};
use crate::check::{check_text, decode, encoding_diag, parse_reporting, CheckContext, FileResult};
use crate::config;
use crate::diag::{Code, Diag, Loc};
use crate::graph::{self, Catalog};
use crate::model::entry::graph_form;
use crate::model::{self, SpannedDoc, TypeId};
use crate::schema::{self, RelationField, TypeFileRetriever};
use crate::source::{FileSource, SkipReason, SkippedLink, Walked, WorkTree};
use crate::span::{FileId, SourceMap};
use crate::workspace::CONFIG_FILE;
use crate::yaml::{self, Limits};

/// Failures that stop loading altogether (exit 2).
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error("cannot read lore.yaml: {0}; fix its permissions, or remove it to use the defaults")]
    ConfigUnreadable(std::io::Error),
    #[error("the schemas folder `{folder}` does not exist; create it with one type definition per file, or set `schemas:` in lore.yaml")]
    NoSchemasFolder { folder: String },
    #[error(
        "the catalog folder `{folder}` does not exist; create it or fix `catalog:` in lore.yaml"
    )]
    NoCatalogFolder { folder: String },
    /// A file of a git revision could not be read (the message says which, and what to do).
    #[error("{0}")]
    Git(String),
    /// lore.yaml's first error, which may be why `then` happened: a refused or
    /// malformed setting falls back to its default.
    #[error("{at}: {message}; then {then}")]
    AfterConfig {
        at: String,
        message: String,
        then: Box<Error>,
    },
}

/// Load and check the catalog under `root`, from the files on disk.
pub(crate) fn load(root: &Path) -> Result<Catalog, Error> {
    load_with(root, &WorkTree::new(root), None)
}

/// Load and check the catalog whose files `files` gives (the working tree, or a git
/// revision); `root` is where it lives on disk, for showing paths.
pub(crate) fn load_from(root: &Path, files: &dyn FileSource) -> Result<Catalog, Error> {
    load_with(root, files, None)
}

/// Load from the working tree with a cache of per-file results (see [`crate::cache`]).
pub(crate) fn load_with_cache(root: &Path, cache: Option<Cache>) -> Result<Catalog, Error> {
    load_with(root, &WorkTree::new(root), cache)
}

/// Load from `files`, with `cache` if any: its key is combined with what the catalog's
/// results depend on, so a stale cache is only ever a miss.
pub(crate) fn load_with(
    root: &Path,
    files: &dyn FileSource,
    cache: Option<Cache>,
) -> Result<Catalog, Error> {
    let p = prelude(files)?;
    finish(root, files, p, cache)
}

/// As [`load_with`], keeping of each entry only what linking reads (its id, name,
/// aliases and relations): for `validate`, which reports problems and asks nothing of
/// the entries after. Every problem is the same as a full load's.
pub(crate) fn load_graph_only(
    root: &Path,
    files: &dyn FileSource,
    cache: Option<Cache>,
) -> Result<Catalog, Error> {
    let mut p = prelude(files)?;
    p.graph_only = true;
    finish(root, files, p, cache)
}

/// What a load reads before the entry files: lore.yaml, the type definitions (each
/// entry schema compiled), and which entry files there are.
pub(crate) struct Prelude {
    pub(crate) problems: Vec<Diag>,
    /// lore.yaml and the type definitions, so far.
    pub(crate) sources: SourceMap,
    pub(crate) config: config::Config,
    pub(crate) types: Vec<model::TypeDef>,
    pub(crate) type_by_name: HashMap<String, TypeId>,
    validators: Vec<Option<jsonschema::Validator>>,
    /// The entry files, sorted, relative to the root.
    pub(crate) entry_paths: Vec<PathBuf>,
    /// The folders read to find them, sorted.
    pub(crate) folders: Vec<PathBuf>,
    /// What every entry's result depends on besides its own file (see [`cache_key`]).
    pub(crate) key: u128,
    /// Keep of each entry only what linking reads (see [`load_graph_only`]).
    graph_only: bool,
}

/// Read lore.yaml and the type definitions, and find the entry files.
pub(crate) fn prelude(files: &dyn FileSource) -> Result<Prelude, Error> {
    let mut p = configure(files)?;
    discover_entries(files, &mut p)?;
    Ok(p)
}

/// Read lore.yaml and the type definitions; no entry files yet (see
/// [`discover_entries`]).
pub(crate) fn configure(files: &dyn FileSource) -> Result<Prelude, Error> {
    let limits = Limits::default();
    let mut problems = Vec::new();
    let mut sources = SourceMap::default();

    // lore.yaml: what it says about folders now, the rest once the types are known.
    let config_file = if files.is_file(Path::new(CONFIG_FILE)) {
        let rel = Path::new(CONFIG_FILE);
        let bytes = files.read(rel).map_err(Error::ConfigUnreadable)?;
        let (text, bad) = decode(bytes);
        let file = sources.add(rel.to_path_buf(), text.clone());
        if let Some(at) = bad {
            problems.push(encoding_diag(file, at));
            None
        } else {
            let before = problems.len();
            let docs = parse_reporting(file, &text, limits, true, &mut problems);
            // lore.yaml is optional and may be empty: every key has a default.
            if docs.iter().all(|d| d.value.is_null()) {
                let mut i = 0;
                problems.retain(|d| {
                    i += 1;
                    i <= before || d.code != Code::EmptyDocument
                });
            }
            if let Some(second) = docs.get(1) {
                problems.push(
                    Diag::error(
                        Code::Config,
                        "lore.yaml holds one YAML document; this one has several",
                        Loc::Span(file, second.span.clone()),
                    )
                    .with_help("merge them into one mapping, or remove the `---` line"),
                );
            }
            Some((file, text, docs))
        }
    } else {
        None
    };
    let config_doc = config_file.as_ref().and_then(|(file, text, docs)| {
        docs.first().map(|doc| SpannedDoc {
            file: *file,
            doc,
            text,
        })
    });
    let raw_config = config::parse(config_doc.as_ref(), &mut problems);
    let config = &raw_config;

    // schemas/
    if !files.is_dir(Path::new(&config.schemas)) {
        return Err(config_cause(
            Error::NoSchemasFolder {
                folder: config.schemas.clone(),
            },
            &sources,
            &problems,
        ));
    }
    let type_paths = discover(
        files,
        std::slice::from_ref(&config.schemas),
        &globset::GlobSet::empty(),
        &mut problems,
    )?
    .files;
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
        .map(|(i, t)| (t.name.clone(), TypeId::new(i)))
        .collect();
    let totals: Vec<(String, String)> = types
        .iter()
        .flat_map(|t| t.totals.iter().map(|a| (t.name.clone(), a.clone())))
        .collect();
    let config = raw_config.validate(
        &config::ValidationContext {
            doc: config_doc.as_ref(),
            types: &type_by_name,
            totals: &totals,
        },
        &mut problems,
    );

    let key = cache_key(&sources);
    Ok(Prelude {
        problems,
        sources,
        config,
        types,
        type_by_name,
        validators,
        entry_paths: Vec::new(),
        folders: Vec::new(),
        key,
        graph_only: false,
    })
}

/// Find the entry files under the configured folders or globs (the walk of
/// [`prelude`], for a [`configure`]d one).
pub(crate) fn discover_entries(files: &dyn FileSource, p: &mut Prelude) -> Result<(), Error> {
    let excludes = build_globs(&p.config.exclude);
    let found = discover(files, &p.config.catalog, &excludes, &mut p.problems)
        .map_err(|f| config_cause(f, &p.sources, &p.problems))?;
    p.entry_paths = found.files;
    p.folders = found.folders;
    Ok(())
}

/// Read and check the entry files `p` found (through `cache`, if any) and link the graph.
pub(crate) fn finish(
    root: &Path,
    files: &dyn FileSource,
    p: Prelude,
    cache: Option<Cache>,
) -> Result<Catalog, Error> {
    let limits = Limits::default();
    let Prelude {
        mut problems,
        mut sources,
        config,
        types,
        type_by_name,
        validators,
        entry_paths,
        key,
        graph_only,
        ..
    } = p;
    let first_id = sources.len();
    let ctx = CheckContext {
        types: &types,
        validators: &validators,
        type_by_name: &type_by_name,
    };
    let read: Vec<Read> = entry_paths
        .par_iter()
        .enumerate()
        .map(|(i, rel)| {
            let file = FileId(u32::try_from(first_id + i).expect("fewer than 4G files"));
            read_file(files, rel, file)
        })
        .collect();
    // The cache may be a few times the catalog's YAML (records hold entries as JSON and
    // problems), never less than the floor; a larger file is not read.
    let yaml_bytes: u64 = read
        .iter()
        .map(|r| match r {
            Read::Text { text, .. } => text.len() as u64,
            Read::Failed(_) => 0,
        })
        .sum();
    let cache = cache.map(|c| Cache::open(c.path, c.key ^ key, cache::limit(yaml_bytes)));
    // Each file's entries are cut down as soon as they are checked (and cached in full),
    // so that what the graph does not read is freed while the other files are parsed;
    // so is its text when it has no problem to show and can be read again if linking
    // finds one (a dangling reference) to show in it.
    let reread = if graph_only { files.reread() } else { None };
    // One file per task: files are sorted by path, so a folder of large files (80,000
    // customers in 81 files) would otherwise fall in one thread's share while the other
    // finishes the small files and has nothing left to take.
    let loaded: Vec<(FileResult, u128, Option<String>, bool)> = read
        .into_par_iter()
        .with_max_len(1)
        .map(|r| {
            let (mut result, hash, record) = check_file(r, limits, &ctx, cache.as_ref());
            if graph_only {
                for e in &mut result.entries {
                    let value = std::mem::take(&mut e.value);
                    e.value = graph_form(&types[e.type_id.index()].relations, value);
                }
            }
            let freed = reread.is_some() && result.problems.is_empty();
            if freed {
                result.text = Arc::from("");
            }
            (result, hash, record, freed)
        })
        .collect();
    if let Some(broken) = files.broken() {
        return Err(Error::Git(broken));
    }
    let files = loaded.len();
    let cache_hits = loaded.iter().filter(|(_, _, r, _)| r.is_none()).count();
    if let Some(cache) = &cache {
        if cache_hits < files || cache.len() != files {
            let records: Vec<(u128, String)> = loaded
                .iter()
                .filter_map(|(_, hash, record, _)| {
                    let record = record
                        .clone()
                        .or_else(|| cache.get(*hash).map(str::to_owned))?;
                    Some((*hash, record))
                })
                .collect();
            cache.save(&records);
        }
    }
    let mut entries = Vec::with_capacity(loaded.iter().map(|(r, ..)| r.entries.len()).sum());
    for (rel, (r, _, _, freed)) in entry_paths.into_iter().zip(loaded) {
        let id = match &reread {
            Some((root, inside)) if freed => sources.add_unread(rel, root.clone(), inside.clone()),
            _ => sources.add(rel, r.text),
        };
        debug_assert_eq!(id, r.file);
        problems.extend(r.problems);
        entries.extend(r.entries);
    }

    let mut catalog = graph::link(graph::Unlinked {
        root: root.to_path_buf(),
        config,
        sources,
        types,
        type_by_name,
        entries,
        files,
        #[cfg(test)]
        cache_hits,
        problems,
    });
    place(&mut catalog, limits);
    let sources = &catalog.sources;
    catalog.problems.sort_by_cached_key(|d| order(sources, d));
    Ok(catalog)
}

/// `fatal`, preceded by lore.yaml's first error when it has one: a refused or
/// malformed setting falls back to its default, which may be what is missing.
fn config_cause(fatal: Error, sources: &SourceMap, problems: &[Diag]) -> Error {
    let Some(d) = problems.iter().find(|d| d.code == Code::Config) else {
        return fatal;
    };
    let at = match &d.loc {
        Loc::Span(f, span) => {
            let (line, col) = sources.line_col(*f, span.start);
            format!("{}:{line}:{col}", sources.display_path(*f))
        }
        _ => CONFIG_FILE.to_owned(),
    };
    Error::AfterConfig {
        at,
        message: d.message.clone(),
        then: Box::new(fatal),
    }
}

/// What every cached result depends on besides its own file: lore's version and every
/// file read before the entries (lore.yaml and the type definitions), paths included,
/// and the day, when they may use `now`.
fn cache_key(config_and_types: &SourceMap) -> u128 {
    let mut all = format!("lore {}\0", env!("CARGO_PKG_VERSION"));
    for i in 0..config_and_types.len() {
        let f = config_and_types.get(FileId(i as u32));
        all.push_str(&f.path.to_string_lossy());
        all.push('\0');
        all.push_str(f.text());
        all.push('\0');
    }
    // Rules may compare with `now`: their results hold for a day (a wider net than the
    // rules that use it, which only costs a miss a day).
    if (0..config_and_types.len()).any(|i| {
        config_and_types
            .get(FileId(i as u32))
            .text()
            .contains("now")
    }) {
        all.push_str(&crate::expr::now_day());
    }
    cache::content_hash(all.as_bytes())
}

fn schema_uri(rel: &Path, schemas: &str) -> String {
    let inner = rel.strip_prefix(schemas).unwrap_or(rel);
    format!("{}{}", schema::BASE_URI, crate::fsutil::slashed(inner))
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

/// Catalog entry files under the configured folders or globs, sorted, relative to the root.
fn discover(
    files: &dyn FileSource,
    patterns: &[String],
    excludes: &globset::GlobSet,
    problems: &mut Vec<Diag>,
) -> Result<Found, Error> {
    let mut out = Found::default();
    let mut globs = Vec::new();
    for p in patterns {
        if p.contains(['*', '?', '[', '{']) {
            globs.push(p.as_str());
            continue;
        }
        let dir = Path::new(p);
        if files.is_file(dir) {
            out.files.push(PathBuf::from(p));
            continue;
        }
        if !files.is_dir(dir) && files.exists(dir) {
            problems.push(Diag::error(
                Code::Io,
                format!("`{p}` in `catalog:` is neither a folder nor a regular file (a FIFO, a device, or a link to nothing); lore reads only regular files"),
                Loc::None,
            ).with_help("name a folder of entry files, or a regular file, in lore.yaml's `catalog:`"));
            continue;
        }
        if !files.is_dir(dir) {
            return Err(Error::NoCatalogFolder { folder: p.clone() });
        }
        walk(files, dir, excludes, &mut out, problems);
    }
    if !globs.is_empty() {
        let set = build_globs(
            &globs
                .iter()
                .map(std::string::ToString::to_string)
                .collect::<Vec<_>>(),
        );
        let mut all = Found::default();
        walk(files, Path::new(""), excludes, &mut all, problems);
        out.files
            .extend(all.files.into_iter().filter(|p| set.is_match(p)));
        out.folders.extend(all.folders);
    }
    out.files.sort();
    out.files.dedup();
    out.folders.sort();
    out.folders.dedup();
    Ok(out)
}

fn walk(
    files: &dyn FileSource,
    dir: &Path,
    excludes: &globset::GlobSet,
    found: &mut Found,
    problems: &mut Vec<Diag>,
) {
    let out = &mut found.files;
    for item in files.walk(dir) {
        match item {
            Walked::File(rel) => {
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
            Walked::Unreadable(message) => problems.push(Diag::error(Code::Io, message, Loc::None)),
            Walked::Skipped(link) => problems.push(skipped_link(&link)),
            Walked::Folder(rel) => found.folders.push(rel),
        }
    }
}

/// What [`discover`] found: files, and the folders it read to find them.
#[derive(Default)]
struct Found {
    files: Vec<PathBuf>,
    folders: Vec<PathBuf>,
}

/// The warning for a symbolic link the walk did not follow.
fn skipped_link(s: &SkippedLink) -> Diag {
    let (link, target) = (s.link.display(), s.target.display());
    let (what, help) = match &s.reason {
        SkipReason::Outside => (
            "outside the repository".to_owned(),
            "lore reads only files inside the repository: point the link inside it, or copy the files in",
        ),
        SkipReason::Missing => (
            "which does not exist".to_owned(),
            "fix the link's target, or remove the link",
        ),
        SkipReason::Loop => (
            "a folder that contains it (a loop)".to_owned(),
            "remove the link, or point it to a folder beside it",
        ),
        SkipReason::Again(first) => (
            format!("a folder already read through `{}`", first.display()),
            "keep one link to each folder",
        ),
    };
    Diag::warning(
        Code::Symlink,
        format!("the symbolic link `{link}` points to `{target}`, {what}; lore skips it"),
        Loc::None,
    )
    .with_help(help)
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

/// Read one entry file, then check it or take its result from the cache.
/// Returns the result, the content hash, and the encoded record when it was checked anew.
/// An entry file as read, before it is checked.
enum Read {
    Text {
        file: FileId,
        text: Arc<str>,
        /// Where it stops being UTF-8.
        bad: Option<usize>,
        hash: u128,
    },
    Failed(FileResult),
}

fn read_file(files: &dyn FileSource, rel: &Path, file: FileId) -> Read {
    match files.read(rel) {
        Ok(bytes) => {
            let hash = cache::content_hash(&bytes);
            let (text, bad) = decode(bytes);
            Read::Text {
                file,
                text,
                bad,
                hash,
            }
        }
        Err(e) => Read::Failed(FileResult {
            file,
            text: Arc::from(""),
            entries: Vec::new(),
            problems: vec![Diag::error(
                Code::Io,
                format!("cannot read `{}`: {e}", rel.display()),
                Loc::File(file),
            )],
        }),
    }
}

/// A file's result from the cache, or checked (with the record to cache).
fn check_file(
    read: Read,
    limits: Limits,
    ctx: &CheckContext<'_>,
    cache: Option<&Cache>,
) -> (FileResult, u128, Option<String>) {
    let (file, text, bad, hash) = match read {
        Read::Text {
            file,
            text,
            bad,
            hash,
        } => (file, text, bad, hash),
        Read::Failed(result) => return (result, 0, None),
    };
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

/// Turn every pointer location into a byte span, parsing with spans only the files that need it.
fn place(c: &mut Catalog, limits: Limits) {
    let mut wanted: BTreeSet<FileId> = BTreeSet::new();
    for d in &c.problems {
        for loc in std::iter::once(&d.loc).chain(d.related.iter().map(|r| &r.loc)) {
            if let Loc::Pointer { file, .. } = loc {
                wanted.insert(*file);
            }
        }
    }
    let files: Vec<FileId> = wanted.into_iter().collect();
    let parsed: HashMap<FileId, Vec<yaml::Document>> = files
        .par_iter()
        .map(|&f| {
            (
                f,
                yaml::parse(c.sources.get(f).text(), limits, true).documents,
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

/// `(path, content)` files in a temporary folder, for unit tests.
#[cfg(test)]
pub(crate) fn test_files(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for (path, content) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("a parent folder")).expect("created");
        std::fs::write(p, content).expect("written");
    }
    dir
}

/// A valid catalog made of `(path, content)` files in a temporary folder, for unit tests.
#[cfg(test)]
pub(crate) fn test_catalog(files: &[(&str, &str)]) -> (tempfile::TempDir, Catalog) {
    let dir = test_files(files);
    let c = load(dir.path()).expect("the catalog loads");
    assert_eq!(c.problems.len(), 0, "{:?}", c.problems);
    (dir, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A work tree whose files are read again (for the problems linking finds in them)
    /// from another folder: as if they changed between the two reads.
    struct Changed {
        tree: WorkTree,
        later: Arc<Path>,
    }

    impl FileSource for Changed {
        fn is_file(&self, rel: &Path) -> bool {
            self.tree.is_file(rel)
        }
        fn is_dir(&self, rel: &Path) -> bool {
            self.tree.is_dir(rel)
        }
        fn walk(&self, dir: &Path) -> Vec<Walked> {
            self.tree.walk(dir)
        }
        fn read(&self, rel: &Path) -> std::io::Result<Vec<u8>> {
            self.tree.read(rel)
        }
        fn reread(&self) -> Option<(Arc<Path>, Arc<Path>)> {
            Some((self.later.clone(), self.later.clone()))
        }
    }

    /// `validate` frees the text of a file it found no problem in, and reads it again
    /// if linking finds one. Changed or gone in between, the problem is still reported,
    /// at a place inside the text read then (or at the whole file).
    #[test]
    fn a_file_changed_before_it_is_read_again_keeps_its_problems_in_bounds() {
        let dir = tempfile::tempdir().unwrap();
        let (root, later) = (dir.path().join("repo"), dir.path().join("later"));
        let service = "type: Service\nrelations:\n  depends_on: {to: Service, many: true}\n";
        let entry = "type: Service\nid: s\ndepends_on: [nope]\n";
        for (path, text) in [("schemas/service.yaml", service), ("catalog/s.yaml", entry)] {
            std::fs::create_dir_all(root.join(path).parent().unwrap()).unwrap();
            std::fs::write(root.join(path), text).unwrap();
        }
        std::fs::create_dir_all(later.join("catalog")).unwrap();
        for text in [
            None,
            Some(""),
            Some("depends_on: ["),
            Some("type: Service\nid: s\n"),
            Some("a: b\n---\ntype: Service\nid: s\ndepends_on: [x, y, z]\n"),
            Some(entry),
        ] {
            let at = later.join("catalog/s.yaml");
            match text {
                Some(t) => std::fs::write(&at, t).unwrap(),
                None => drop(std::fs::remove_file(&at)),
            }
            let files = Changed {
                tree: WorkTree::new(&root),
                later: Arc::from(later.as_path()),
            };
            let c = load_graph_only(&root, &files, None).unwrap();
            let read_again = c.sources.get(FileId(c.first_entry_file())).text();
            assert_eq!(
                &**read_again,
                text.unwrap_or(""),
                "the text was freed and read again"
            );
            let dangling: Vec<&Diag> = c
                .problems
                .iter()
                .filter(|d| d.code == Code::DanglingRef)
                .collect();
            assert_eq!(dangling.len(), 1, "{text:?}: {:?}", c.problems);
            for d in &c.problems {
                for loc in std::iter::once(&d.loc).chain(d.related.iter().map(|r| &r.loc)) {
                    if let Loc::Span(f, span) = loc {
                        let len = c.sources.get(*f).text().len();
                        assert!(
                            span.start <= span.end && span.end <= len,
                            "{text:?}: {loc:?}"
                        );
                    }
                }
            }
            if text == Some(entry) {
                assert!(
                    matches!(dangling[0].loc, Loc::Span(..)),
                    "{:?}",
                    dangling[0].loc
                );
            }
        }
    }

    /// `validate` loads entries cut down to what linking reads: every problem is the one
    /// a full load reports, on the example catalog and every fixture catalog.
    #[test]
    fn a_graph_only_load_reports_what_a_full_load_does() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut roots = vec![repo.to_path_buf()];
        for dir in ["tests/fixtures", "tests/cmd"] {
            for item in std::fs::read_dir(repo.join(dir)).unwrap() {
                let path = item.unwrap().path();
                if path.join("lore.yaml").is_file() {
                    roots.push(path);
                }
            }
        }
        // And one with a problem of each graph kind: duplicate ids, alias clashes,
        // dangling references (with suggestions), ownership cycles, schema errors.
        let broken = tempfile::tempdir().unwrap();
        for (path, text) in [
            ("schemas/team.yaml", "type: Team\nrelations:\n  parent: {to: Team, parent: true}\n"),
            // A relation named as an envelope field (an error), read both ways.
            ("schemas/odd.yaml", "type: Odd\nrelations:\n  name: {to: Team}\n  aliases: {to: Team, many: true}\n"),
            (
                "schemas/service.yaml",
                "type: Service\nschema: {properties: {tier: {type: integer}}}\nrelations:\n  owner: {to: Team, owner: true, required: true}\n  depends_on: {to: Service, many: true}\n",
            ),
            (
                "catalog/all.yaml",
                "type: Team\nid: a\nparent: b\n---\ntype: Team\nid: b\nparent: a\n---\ntype: Team\nid: a\n---\ntype: Service\nid: s\naliases: [a, t]\nowner: aa\ntier: high\ndepends_on: [s2, nope]\n---\ntype: Service\nid: s2\naliases: [t]\n---\ntype: Odd\nid: o\nname: b\naliases: [a, zz]\n---\ntype: Odd\nid: p\nname: zz\n",
            ),
        ] {
            let p = broken.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        roots.push(broken.path().to_path_buf());
        let mut with_problems = 0;
        for root in &roots {
            let tree = WorkTree::new(root);
            let (Ok(full), Ok(cut)) = (
                load_with(root, &tree, None),
                load_graph_only(root, &tree, None),
            ) else {
                continue;
            };
            assert_eq!(
                format!("{:?}", cut.problems),
                format!("{:?}", full.problems),
                "{}",
                root.display()
            );
            assert_eq!(cut.len(), full.len());
            assert_eq!(cut.edge_count(), full.edge_count());
            with_problems += usize::from(!full.problems.is_empty());
            if root == broken.path() {
                let codes: BTreeSet<Code> = full.problems.iter().map(|d| d.code).collect();
                assert!(codes.len() >= 4, "{codes:?}");
            }
        }
        assert!(
            roots.len() > 4 && with_problems > 1,
            "{} catalogs, {with_problems} with problems",
            roots.len()
        );
    }
}

//! The resolved catalog on disk: an SQLite file of entries, edges (both ways) and names,
//! and a [`Stored`] catalog that reads from it only what a command asks for.
//!
//! [`save`] writes a linked [`Catalog`] with the same entry and edge numbering it has in
//! memory; [`Stored`] answers [`Catalog`]'s accessors from that file, fetching an entry,
//! its edges out or its edges in the first time they are asked for and keeping them.
//! A command that goes through much of the catalog spends its read budget; then the
//! skeleton (every entry's type, id, key rank and totals, and every edge: see
//! [`skeleton`]) is read in one pass and answers all but entries' values, which are still
//! read a row at a time under a second budget; past it, the whole index is read in one
//! pass, every row checked, and answers every later question.
//! A file that cannot answer (truncated, damaged, a row out of range) is never trusted
//! further: the catalog is loaded in full instead (the loader's `reload`), under the
//! same numbering, and every later answer comes from it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use elsa::sync::FrozenMap;
use rayon::prelude::*;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::skeleton::{self, Skeleton};
use super::{Catalog, Edge, EdgeId, Graph};
use crate::model::entry::{Entry, EntryId};
use crate::model::TypeId;
use crate::span::FileId;

/// The layout of the file; an index of another layout is a miss.
const FORMAT: i64 = 3;

/// What the loader knows about the index besides the graph: its key (of everything the
/// graph depends on) and how to tell whether the entry files changed since.
pub(crate) struct Meta {
    pub(crate) key: u128,
    /// Digest of every entry file's path and metadata when the catalog was read.
    pub(crate) files_digest: u128,
    /// Files changed too close to when they were read for their metadata to tell a
    /// later change: their paths and content hashes, checked by content.
    pub(crate) racy: Vec<(String, u128)>,
    /// Error-level problems of the catalog the index holds.
    pub(crate) errors: usize,
    /// The entry files, and the folders read to find them, in the loader's order.
    pub(crate) files: Vec<PathBuf>,
    pub(crate) folders: Vec<PathBuf>,
    /// Whether a folder changed too close to when it was read for its metadata to tell
    /// that it holds the same files: then the folders are read again to check.
    pub(crate) rewalk: bool,
}

/// Paths, each followed by a NUL (which no path holds).
fn join_paths(paths: &[PathBuf]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in paths {
        out.extend_from_slice(p.as_os_str().as_encoded_bytes());
        out.push(0);
    }
    out
}

fn split_paths(bytes: &[u8]) -> Option<Vec<PathBuf>> {
    let Some(body) = bytes.strip_suffix(b"\0") else {
        return bytes.is_empty().then(Vec::new);
    };
    body.split(|&b| b == 0).map(path_of).collect()
}

#[cfg(unix)]
#[allow(clippy::unnecessary_wraps)] // as the other platforms' one
fn path_of(bytes: &[u8]) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    Some(PathBuf::from(std::ffi::OsStr::from_bytes(bytes)))
}

#[cfg(not(unix))]
fn path_of(bytes: &[u8]) -> Option<PathBuf> {
    std::str::from_utf8(bytes).ok().map(PathBuf::from)
}

/// The tables of the index, as [`crate::sqlite::write`] fills them.
const TABLES: [crate::sqlite::Table; 5] = [
    ("meta", 11),
    ("entries", 8),
    ("edges", 5),
    ("names", 3),
    ("columns", 3),
];

/// The skeleton's columns are written in parts of at most this many bytes (SQLite's
/// longest value is a billion bytes).
const PART: usize = 8 << 20;

/// Write `c` to a new SQLite file at `path` (which must not exist: the caller writes a
/// temporary file and renames it into place).
pub(crate) fn save(path: &Path, c: &Catalog, meta: &Meta) -> rusqlite::Result<()> {
    use rusqlite::types::Value as Sql;
    let int = |n: usize| Sql::Integer(n as i64);
    let first_file = c.first_entry_file();
    crate::sqlite::write(
        path,
        "PRAGMA page_size = 16384;
         CREATE TABLE meta (format INTEGER NOT NULL, key TEXT NOT NULL, digest TEXT NOT NULL,
           racy TEXT NOT NULL, errors INTEGER NOT NULL, entries INTEGER NOT NULL,
           edges INTEGER NOT NULL, out_start BLOB NOT NULL, files BLOB NOT NULL,
           folders BLOB NOT NULL, rewalk INTEGER NOT NULL);
         CREATE TABLE entries (id INTEGER PRIMARY KEY, type INTEGER NOT NULL, key TEXT NOT NULL,
           file INTEGER NOT NULL, doc INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
           value TEXT NOT NULL);
         CREATE TABLE edges (id INTEGER PRIMARY KEY, src INTEGER NOT NULL, dst INTEGER NOT NULL,
           relation INTEGER NOT NULL, item INTEGER);
         CREATE TABLE names (type INTEGER NOT NULL, name TEXT NOT NULL, entry INTEGER NOT NULL,
           PRIMARY KEY (type, name)) WITHOUT ROWID;
         CREATE TABLE columns (name TEXT NOT NULL, part INTEGER NOT NULL, data BLOB NOT NULL);",
        &TABLES,
        "CREATE INDEX edges_in ON edges (dst, id);",
        |rows| {
            let racy: Vec<(&String, String)> =
                meta.racy.iter().map(|(p, h)| (p, format!("{h:032x}"))).collect();
            let mut open = rows.push(
                0,
                [
                    Sql::Integer(FORMAT),
                    Sql::Text(format!("{:032x}", meta.key)),
                    Sql::Text(format!("{:032x}", meta.files_digest)),
                    Sql::Text(serde_json::to_string(&racy).unwrap_or_default()),
                    int(meta.errors),
                    int(c.graph.entries.len()),
                    int(c.graph.edges.len()),
                    Sql::Blob(c.graph.out_start.iter().flat_map(|n| n.to_le_bytes()).collect()),
                    Sql::Blob(join_paths(&meta.files)),
                    Sql::Blob(join_paths(&meta.folders)),
                    Sql::Integer(i64::from(meta.rewalk)),
                ],
            );
            // Values are made into JSON in parallel, a chunk at a time, and queued in order.
            for (n, chunk) in c.graph.entries.chunks(4096).enumerate() {
                let values: Vec<String> = chunk
                    .par_iter()
                    .map(|e| serde_json::to_string(&e.value).unwrap_or_default())
                    .collect();
                for (i, (e, value)) in chunk.iter().zip(values).enumerate() {
                    open &= rows.push(
                        1,
                        [
                            int(n * 4096 + i),
                            int(e.type_id.index()),
                            Sql::Text(e.id.clone()),
                            Sql::Integer(i64::from(e.file.0.saturating_sub(first_file))),
                            int(e.doc),
                            int(e.span.start),
                            int(e.span.end),
                            Sql::Text(value),
                        ],
                    );
                }
                if !open {
                    return; // the writer failed: its error is the answer
                }
            }
            for (i, edge) in c.graph.edges.iter().enumerate() {
                open &= rows.push(
                    2,
                    [
                        int(i),
                        int(edge.from.index()),
                        int(edge.to.index()),
                        Sql::Integer(i64::from(edge.relation)),
                        edge.item.map_or(Sql::Null, |n| Sql::Integer(i64::from(n))),
                    ],
                );
            }
            let mut names: Vec<(usize, &str, EntryId)> = c
                .graph
                .index
                .iter()
                .enumerate()
                .flat_map(|(t, m)| m.iter().map(move |(k, &e)| (t, k.as_str(), e)))
                .collect();
            names.par_sort_unstable();
            for (t, name, e) in names {
                if !open {
                    return;
                }
                open &= rows.push(3, [int(t), Sql::Text(name.to_owned()), int(e.index())]);
            }
            // Each column in order, in parts numbered from 0; an empty column is one
            // empty part.
            let columns = skeleton::encode(&c.graph.entries, &c.graph.edges, &c.types);
            for (name, column) in skeleton::COLUMNS.iter().zip(columns) {
                let parts = column.chunks(PART).map(<[u8]>::to_vec);
                let parts = parts.chain(column.is_empty().then(Vec::new));
                for (part, data) in parts.enumerate() {
                    if !open {
                        return;
                    }
                    open &= rows.push(
                        4,
                        [Sql::Text((*name).to_owned()), int(part), Sql::Blob(data)],
                    );
                }
            }
        },
    )
}

/// What an index file says about itself, read before anything else is trusted.
pub(crate) struct Header {
    pub(crate) meta: Meta,
    entries: usize,
    edges: usize,
    out_start: Vec<u32>,
}

impl Header {
    /// How many entries the index holds.
    pub(crate) fn entries(&self) -> usize {
        self.entries
    }
}

/// Open the index at `path` read-only and read its header; `None` when it is not an
/// index of this layout (absent, truncated, damaged, another format).
pub(crate) fn open(path: &Path) -> Option<(Connection, Header)> {
    // `immutable`: the file is only ever replaced (renamed over), never written in
    // place, so no locks are needed; this process keeps the file it opened.
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'.')
        .remove(b'-')
        .remove(b'_');
    let uri = format!(
        "file:{}?immutable=1",
        percent_encoding::utf8_percent_encode(path.to_str()?, KEEP)
    );
    let db = Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .ok()?;
    let row = db
        .query_row(
            "SELECT format, key, digest, racy, errors, entries, edges, out_start, files, folders,
               rewalk FROM meta",
            [],
            |r| {
                Ok((
                    (
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, i64>(5)?,
                        r.get::<_, i64>(6)?,
                        r.get::<_, Vec<u8>>(7)?,
                    ),
                    (
                        r.get::<_, Vec<u8>>(8)?,
                        r.get::<_, Vec<u8>>(9)?,
                        r.get::<_, bool>(10)?,
                    ),
                ))
            },
        )
        .ok()?;
    let ((format, key, digest, racy, errors, entries, edges, out_start), (files, folders, rewalk)) =
        row;
    if format != FORMAT {
        return None;
    }
    let entries = usize::try_from(entries).ok()?;
    let edges = usize::try_from(edges).ok()?;
    let racy: Vec<(String, String)> = serde_json::from_str(&racy).ok()?;
    let racy = racy
        .into_iter()
        .map(|(p, h)| Some((p, u128::from_str_radix(&h, 16).ok()?)))
        .collect::<Option<Vec<_>>>()?;
    if out_start.len() != (entries + 1) * 4 {
        return None;
    }
    let out_start: Vec<u32> = out_start
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    // Edge ranges in order and within the edge count, so every range read is sound.
    let ordered = out_start.first() == Some(&0)
        && out_start.windows(2).all(|w| w[0] <= w[1])
        && out_start.last().is_some_and(|&n| n as usize == edges);
    if !ordered {
        return None;
    }
    let header = Header {
        meta: Meta {
            key: u128::from_str_radix(&key, 16).ok()?,
            files_digest: u128::from_str_radix(&digest, 16).ok()?,
            racy,
            errors: usize::try_from(errors).ok()?,
            files: split_paths(&files)?,
            folders: split_paths(&folders)?,
            rewalk,
        },
        entries,
        edges,
        out_start,
    };
    Some((db, header))
}

/// A command may make one read (an entry, its edges out or its edges in) per
/// `SKELETON_SHARE` entries before the skeleton (every entry's type, id, key rank and
/// totals, and every edge; see [`skeleton`]) is read instead; then one read of an entry
/// per `BUDGET_SHARE` entries before the whole index is read. A read costs about 5 µs,
/// the skeleton well under 0.1 µs per entry, the whole index 2–4 µs per entry (measured
/// at 1M entries), so a command that walks most of the catalog (routing an alert that
/// impacts 85% of it) reads the skeleton soon and the values of only the entries it
/// shows, and one that reads a few thousand entries (an impact of 3,000) stays on the
/// rows at 1M entries.
const SKELETON_SHARE: usize = 64;
const BUDGET_SHARE: usize = 8;
const MIN_BUDGET: usize = 2048;

/// The full catalog, loaded when the index cannot answer (numbered as the index is: the
/// loader checked that the index holds the files as they are).
pub(crate) type Reload = Box<dyn Fn() -> Catalog + Send + Sync>;

/// A row of the entries table whose numbers are in range, its value not yet parsed.
struct Row {
    type_id: TypeId,
    id: String,
    file: FileId,
    doc: usize,
    span: std::ops::Range<usize>,
    value: String,
}

impl Row {
    fn parse(self) -> Option<Entry> {
        Some(Entry {
            value: serde_json::from_str(&self.value).ok()?,
            type_id: self.type_id,
            id: self.id,
            file: self.file,
            doc: self.doc,
            span: self.span,
        })
    }
}

/// A catalog read from the index as it is asked about.
pub(crate) struct Stored {
    db: Mutex<Connection>,
    len: usize,
    edges: usize,
    out_start: Vec<u32>,
    /// The [`FileId`] of the first entry file, and how many there are.
    first_file: u32,
    files: u32,
    /// Per type: how many relations it declares (an edge's relation must be one).
    relations: Vec<usize>,
    /// Per type: how many totals it declares.
    totals: Vec<usize>,
    entries: FrozenMap<u32, Box<Entry>>,
    out: FrozenMap<u32, Box<[Edge]>>,
    into: FrozenMap<u32, Box<[EdgeId]>>,
    /// Edges read by [`Stored::into`], by id.
    edge: FrozenMap<u32, Box<Edge>>,
    /// The types of those edges' sources, read with them (a walk asks each source's
    /// type to tell its relation; reading the whole entry for it would parse its value).
    source_types: Mutex<HashMap<u32, TypeId>>,
    /// Error-level problems of the catalog the index holds.
    pub(super) errors: usize,
    /// Reads left before reading the skeleton, then the whole index, is cheaper than
    /// reading on (see [`Stored::read`]).
    budget: AtomicUsize,
    /// The budget the skeleton brings for reading entries.
    second_budget: AtomicUsize,
    reload: Reload,
    /// Read once the first budget is spent; `None` if it could not be read.
    skeleton: OnceLock<Option<Skeleton>>,
    full: OnceLock<Graph>,
}

impl Stored {
    pub(crate) fn new(
        db: Connection,
        header: Header,
        first_file: FileId,
        files: usize,
        relations: Vec<usize>,
        totals: Vec<usize>,
        reload: Reload,
    ) -> Stored {
        let share = |n: usize| AtomicUsize::new((header.entries / n).max(MIN_BUDGET));
        Stored {
            db: Mutex::new(db),
            len: header.entries,
            edges: header.edges,
            out_start: header.out_start,
            first_file: first_file.0,
            files: u32::try_from(files).unwrap_or(u32::MAX),
            relations,
            totals,
            entries: FrozenMap::new(),
            out: FrozenMap::new(),
            into: FrozenMap::new(),
            edge: FrozenMap::new(),
            source_types: Mutex::new(HashMap::new()),
            errors: header.meta.errors,
            budget: share(SKELETON_SHARE),
            second_budget: share(BUDGET_SHARE),
            reload,
            skeleton: OnceLock::new(),
            full: OnceLock::new(),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The whole graph: what answers once the budget is spent or the index could not
    /// answer. Read from the index in one pass when it reads whole, else loaded in full.
    fn full(&self) -> &Graph {
        self.full
            .get_or_init(|| self.read_all().unwrap_or_else(|| (self.reload)().graph))
    }

    /// Set the reads left before the skeleton is read, and the reads of entries it
    /// brings (tests: to stay on the rows, or to leave them midway).
    #[cfg(test)]
    pub(crate) fn set_budget(&self, first: usize, second: usize) {
        self.budget.store(first, Ordering::Relaxed);
        self.second_budget.store(second, Ordering::Relaxed);
    }

    /// Whether one more read of a row is within the budget.
    fn read(&self) -> bool {
        let left = self
            .budget
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
        left.is_ok()
    }

    /// Whether one more read of an entry's row (or a name's) is within the budget: the
    /// first, or the second the skeleton brings when the first is spent. Once both are
    /// spent, the whole graph is read ([`Stored::full`]) and answers every later question.
    fn read_row(&self) -> bool {
        self.read()
            || (self.skeleton.get().is_none() && self.skeleton_now().is_some() && self.read())
    }

    /// Whether the skeleton was read (and passed every check).
    #[cfg(test)]
    pub(crate) fn has_skeleton(&self) -> bool {
        self.skeleton().is_some()
    }

    /// Whether the whole graph was read.
    #[cfg(test)]
    pub(crate) fn has_full(&self) -> bool {
        self.full.get().is_some()
    }

    /// The skeleton, if it was read.
    pub(super) fn skeleton(&self) -> Option<&Skeleton> {
        self.skeleton.get()?.as_ref()
    }

    /// The skeleton, read now if it was not yet (its second budget then starts); `None`
    /// if it cannot be read.
    fn skeleton_now(&self) -> Option<&Skeleton> {
        self.skeleton
            .get_or_init(|| {
                let read = self.read_skeleton();
                if read.is_some() {
                    let second = self.second_budget.load(Ordering::Relaxed);
                    self.budget.store(second, Ordering::Relaxed);
                }
                read
            })
            .as_ref()
    }

    /// Whether every edge is in memory: the skeleton or the whole graph is read.
    pub(super) fn edges_in_memory(&self) -> bool {
        self.edges_read().is_some()
    }

    /// The edges both ways, once the skeleton or the whole graph is read.
    fn edges_read(&self) -> Option<&Graph> {
        match self.full.get() {
            Some(full) => Some(full),
            None => self.skeleton().map(|s| &s.graph),
        }
    }

    /// The edges once the first budget is spent: the skeleton's, else the whole graph's.
    fn edges_now(&self) -> &Graph {
        match self.skeleton_now() {
            Some(s) => &s.graph,
            None => self.full(),
        }
    }

    /// The skeleton from the columns table, every number checked (see [`skeleton`]). The
    /// edges, the largest part, are checked and linked on another thread while the other
    /// columns are read.
    fn read_skeleton(&self) -> Option<Skeleton> {
        let db = self.db();
        let mut q = db
            .prepare("SELECT part, data FROM columns WHERE name = ?1 ORDER BY rowid")
            .ok()?;
        // A column's parts, numbered from 0, joined.
        let mut column = |name: &str| -> Option<Vec<u8>> {
            let mut rows = q.query([name]).ok()?;
            let mut out = Vec::new();
            let mut parts = 0i64;
            while let Some(r) = rows.next().ok()? {
                if r.get::<_, i64>(0).ok()? != parts {
                    return None;
                }
                out.extend_from_slice(r.get_ref(1).ok()?.as_blob().ok()?);
                parts += 1;
            }
            (parts > 0).then_some(out)
        };
        let shape = skeleton::Shape {
            entries: self.len,
            out_start: &self.out_start,
            relations: &self.relations,
            totals: &self.totals,
        };
        let types = skeleton::decode_types(&column("types")?, &shape)?;
        let edges = column("edges")?;
        let (graph, rest) = std::thread::scope(|scope| {
            let linked = scope.spawn(|| skeleton::decode_edges(&edges, &types, &shape));
            let rest = ["id_ends", "ids", "ranks", "totals"].map(&mut column);
            (linked.join().ok().flatten(), rest)
        });
        let [Some(id_ends), Some(ids), Some(ranks), Some(totals)] = rest else {
            return None;
        };
        skeleton::decode_rest(types, graph?, [id_ends, ids, ranks, totals], &shape)
    }

    /// The type of `e`.
    pub(super) fn type_id(&self, e: EntryId) -> TypeId {
        if let Some(s) = self.skeleton() {
            return s.type_id(e);
        }
        if self.full.get().is_none() {
            let known = self
                .source_types
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(&(e.index() as u32))
                .copied();
            if let Some(t) = known {
                return t;
            }
        }
        self.entry(e).type_id
    }

    /// The type and id of `e`.
    pub(super) fn key_parts(&self, e: EntryId) -> (TypeId, &str) {
        if let Some(s) = self.skeleton() {
            return (s.type_id(e), s.id(e));
        }
        let entry = self.entry(e);
        (entry.type_id, &entry.id)
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) fn entry(&self, e: EntryId) -> &Entry {
        if let Some(full) = self.full.get() {
            return full.entry(e);
        }
        if let Some(found) = self.entries.get(&(e.index() as u32)) {
            return found;
        }
        if !self.read_row() {
            return self.full().entry(e);
        }
        let db = self.db();
        let row = db
            .prepare_cached(
                "SELECT type, key, file, doc, start, end, value FROM entries WHERE id = ?1",
            )
            .and_then(|mut q| q.query_row([e.index() as i64], |r| self.entry_from(r)))
            .ok()
            .flatten();
        drop(db);
        match row {
            Some(entry) => self.entries.insert(e.index() as u32, Box::new(entry)),
            None => self.full().entry(e),
        }
    }

    /// An entry from its row (type, key, file, doc, start, end, value), if every number
    /// in it is in range and its value parses.
    fn entry_from(&self, r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<Entry>> {
        Ok(self.row_from(r)?.and_then(Row::parse))
    }

    /// A row of the entries table (type, key, file, doc, start, end, value), if every
    /// number in it is in range; its value is parsed later.
    fn row_from(&self, r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<Row>> {
        let number = |i: usize| -> rusqlite::Result<Option<usize>> {
            Ok(usize::try_from(r.get::<_, i64>(i)?).ok())
        };
        let (Some(t), Some(file), Some(doc), Some(start), Some(end)) =
            (number(0)?, number(2)?, number(3)?, number(4)?, number(5)?)
        else {
            return Ok(None);
        };
        if t >= self.relations.len() || file >= self.files as usize || start > end {
            return Ok(None);
        }
        Ok(Some(Row {
            type_id: TypeId::new(t),
            id: r.get(1)?,
            file: FileId(self.first_file + file as u32),
            doc,
            span: start..end,
            value: r.get(6)?,
        }))
    }

    /// The whole graph from the index in one pass, or `None` if any row is missing or
    /// out of range. The entries are read on one thread while their values are parsed
    /// in parallel, a chunk at a time.
    pub(super) fn read_all(&self) -> Option<Graph> {
        const CHUNK: usize = 8192;
        // The counts are the file's word until every row is read: lists are sized by
        // them only up to this, and grow past it.
        const PRESIZE: usize = 1 << 24;
        let (send, chunks) = std::sync::mpsc::sync_channel::<Vec<Row>>(2);
        let (entries, complete) = std::thread::scope(|scope| {
            let reader = scope.spawn(move || -> Option<()> {
                let db = self.db();
                let mut q = db
                    .prepare(
                        "SELECT type, key, file, doc, start, end, value, id FROM entries ORDER BY id",
                    )
                    .ok()?;
                let mut rows = q.query([]).ok()?;
                let mut chunk = Vec::with_capacity(CHUNK);
                let mut n = 0usize;
                while let Some(r) = rows.next().ok()? {
                    if n >= self.len || r.get::<_, i64>(7).ok()? != n as i64 {
                        return None;
                    }
                    chunk.push(self.row_from(r).ok()??);
                    n += 1;
                    if chunk.len() == CHUNK {
                        send.send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)))
                            .ok()?;
                    }
                }
                send.send(chunk).ok()?;
                (n == self.len).then_some(())
            });
            let mut entries: Vec<Entry> = Vec::with_capacity(self.len.min(PRESIZE));
            let mut parsed = true;
            // Every chunk is taken, even after a bad one, so that the reader never waits.
            for chunk in chunks {
                if parsed {
                    match chunk
                        .into_par_iter()
                        .map(Row::parse)
                        .collect::<Option<Vec<_>>>()
                    {
                        Some(mut part) => entries.append(&mut part),
                        None => parsed = false,
                    }
                }
            }
            let read = reader.join().ok().flatten();
            (entries, parsed && read.is_some())
        });
        if !complete {
            return None;
        }
        let db = self.db();
        let mut edges: Vec<Edge> = Vec::with_capacity(self.edges.min(PRESIZE));
        let mut q = db
            .prepare("SELECT id, src, dst, relation, item FROM edges ORDER BY id")
            .ok()?;
        let mut rows = q.query([]).ok()?;
        while let Some(r) = rows.next().ok()? {
            let (id, src): (i64, i64) = (r.get(0).ok()?, r.get(1).ok()?);
            let from = usize::try_from(src).ok().filter(|&i| i < self.len)?;
            let relations = self.relations[entries[from].type_id.index()];
            let edge = self.make_edge(
                src,
                r.get(2).ok()?,
                r.get(3).ok()?,
                r.get(4).ok()?,
                relations,
            )?;
            // Edge ids are sorted by source: this one must lie in its source's range.
            if id != edges.len() as i64 || !self.out_range(edge.from).contains(&edges.len()) {
                return None;
            }
            edges.push(edge);
        }
        if edges.len() != self.edges {
            return None;
        }
        let mut index: Vec<HashMap<String, EntryId>> = vec![HashMap::new(); self.relations.len()];
        let mut q = db.prepare("SELECT type, name, entry FROM names").ok()?;
        let mut rows = q.query([]).ok()?;
        while let Some(r) = rows.next().ok()? {
            let t = usize::try_from(r.get::<_, i64>(0).ok()?).ok()?;
            let e = usize::try_from(r.get::<_, i64>(2).ok()?)
                .ok()
                .filter(|&e| e < self.len)?;
            index.get_mut(t)?.insert(r.get(1).ok()?, EntryId::new(e));
        }
        let mut graph = Graph {
            entries,
            edges,
            out_start: self.out_start.clone(),
            index,
            ..Graph::default()
        };
        graph.link_incoming();
        Some(graph)
    }

    /// Ready for a command that goes through every entry: that is reading the whole graph.
    pub(super) fn fill(&self) {
        if self.entries.len() < self.len {
            self.full();
        }
    }

    /// Edge ids out of `e`.
    pub(super) fn out_range(&self, e: EntryId) -> std::ops::Range<usize> {
        self.out_start[e.index()] as usize..self.out_start[e.index() + 1] as usize
    }

    pub(super) fn out(&self, e: EntryId) -> &[Edge] {
        if let Some(read) = self.edges_read() {
            return read.out(e);
        }
        if let Some(found) = self.out.get(&(e.index() as u32)) {
            return found;
        }
        if !self.read() {
            return self.edges_now().out(e);
        }
        let range = self.out_range(e);
        let relations = self.relations[self.type_id(e).index()];
        let read = (|| -> rusqlite::Result<Option<Vec<Edge>>> {
            let db = self.db();
            let mut q = db.prepare_cached(
                "SELECT id, dst, relation, item FROM edges WHERE id >= ?1 AND id < ?2 ORDER BY id",
            )?;
            let mut rows = q.query([range.start as i64, range.end as i64])?;
            let mut out = Vec::with_capacity(range.len());
            while let Some(r) = rows.next()? {
                let id: i64 = r.get(0)?;
                let edge =
                    self.make_edge(e.index() as i64, r.get(1)?, r.get(2)?, r.get(3)?, relations);
                match edge {
                    Some(edge) if id == (range.start + out.len()) as i64 => out.push(edge),
                    _ => return Ok(None),
                }
            }
            Ok((out.len() == range.len()).then_some(out))
        })();
        match read {
            Ok(Some(edges)) => self.out.insert(e.index() as u32, edges.into_boxed_slice()),
            _ => self.edges_now().out(e),
        }
    }

    fn make_edge(
        &self,
        from: i64,
        to: i64,
        relation: i64,
        item: Option<i64>,
        relations: usize,
    ) -> Option<Edge> {
        let from = usize::try_from(from).ok().filter(|&i| i < self.len)?;
        let to = usize::try_from(to).ok().filter(|&i| i < self.len)?;
        let relation = u32::try_from(relation)
            .ok()
            .filter(|&r| (r as usize) < relations)?;
        let item = match item {
            Some(i) => Some(u32::try_from(i).ok()?),
            None => None,
        };
        Some(Edge {
            from: EntryId::new(from),
            to: EntryId::new(to),
            relation,
            item,
        })
    }

    pub(super) fn edge(&self, id: EdgeId) -> &Edge {
        if let Some(read) = self.edges_read() {
            return read.edge(id);
        }
        if let Some(found) = self.edge.get(&(id.index() as u32)) {
            return found;
        }
        // The entry whose out-edges hold it: the last whose range starts at or before it.
        let from = self
            .out_start
            .partition_point(|&s| s as usize <= id.index())
            - 1;
        let e = EntryId::new(from.min(self.len.saturating_sub(1)));
        let range = self.out_range(e);
        match self.out(e).get(id.index().wrapping_sub(range.start)) {
            Some(edge) => edge,
            None => self.edges_now().edge(id),
        }
    }

    /// Ids of the edges into `e`, in edge order.
    pub(super) fn in_ids(&self, e: EntryId) -> &[EdgeId] {
        if let Some(read) = self.edges_read() {
            return read.in_ids(e);
        }
        if let Some(found) = self.into.get(&(e.index() as u32)) {
            return found;
        }
        if !self.read() {
            return self.edges_now().in_ids(e);
        }
        let read = (|| -> rusqlite::Result<Option<Vec<EdgeId>>> {
            let db = self.db();
            // Each source's type from the same file, to check the relation against it.
            let mut q = db.prepare_cached(
                "SELECT edges.id, edges.src, edges.relation, edges.item, entries.type FROM edges
                 JOIN entries ON entries.id = edges.src WHERE edges.dst = ?1 ORDER BY edges.id",
            )?;
            let mut rows = q.query([e.index() as i64])?;
            let mut ids = Vec::new();
            let mut types = Vec::new();
            while let Some(r) = rows.next()? {
                let id: i64 = r.get(0)?;
                let t: i64 = r.get(4)?;
                let Some(relations) = usize::try_from(t).ok().and_then(|t| self.relations.get(t))
                else {
                    return Ok(None);
                };
                let edge = self.make_edge(
                    r.get(1)?,
                    e.index() as i64,
                    r.get(2)?,
                    r.get(3)?,
                    *relations,
                );
                let Some((id, edge)) = u32::try_from(id)
                    .ok()
                    .filter(|&i| (i as usize) < self.edges)
                    .zip(edge)
                else {
                    return Ok(None);
                };
                // Edge ids are sorted by source: this one must lie in its source's range.
                if !self.out_range(edge.from).contains(&(id as usize)) {
                    return Ok(None);
                }
                self.edge.insert(id, Box::new(edge));
                ids.push(EdgeId(id));
                types.push((edge.from.index() as u32, TypeId::new(t as usize)));
            }
            self.source_types
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend(types);
            Ok(Some(ids))
        })();
        match read {
            Ok(Some(ids)) => self.into.insert(e.index() as u32, ids.into_boxed_slice()),
            _ => self.edges_now().in_ids(e),
        }
    }

    /// The entry of type `t` whose id or alias is `name`.
    pub(super) fn lookup(&self, t: TypeId, name: &str) -> Option<EntryId> {
        if let Some(full) = self.full.get() {
            return full.lookup(t, name);
        }
        if !self.read_row() {
            return self.full().lookup(t, name);
        }
        let found = self
            .db()
            .prepare_cached("SELECT entry FROM names WHERE type = ?1 AND name = ?2")
            .and_then(|mut q| {
                q.query_row(params![t.index() as i64, name], |r| r.get::<_, i64>(0))
                    .optional()
            });
        match found {
            Ok(None) => None,
            Ok(Some(e)) if usize::try_from(e).is_ok_and(|e| e < self.len) => {
                Some(EntryId::new(e as usize))
            }
            _ => self.full().lookup(t, name),
        }
    }
}

//! The on-disk index of the resolved catalog, for the commands that answer about a few
//! entries (`owners`, `show`, `impact`, `route`): open it, check that it holds the
//! catalog as it is, and read only what the answer needs.
//!
//! The index lives beside the cache (see [`crate::cache::location`]) and is keyed like
//! it: lore's version, lore.yaml and the type definitions (the cache key), and every
//! entry file's path and metadata (size, modification and change times, inode), taken
//! before the files are read. A file changed within two seconds of that reading could
//! change again without its metadata showing it (timestamps are coarse on some file
//! systems), so such files are compared by content too, as git's index does. Anything
//! else (another key, a file added, removed or touched, an index that does not open) is
//! a miss: the catalog is loaded in full, through the cache, and a new index is written
//! to a temporary file and renamed into place, so a concurrent command sees the old
//! index or the new one, never half of one.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rayon::prelude::*;

use crate::cache;
use crate::graph::stored::{self, Meta, Stored};
use crate::graph::{Catalog, Unlinked};
use crate::load::{self, Error, Prelude};
use crate::source::WorkTree;

/// A file modified this close to when its metadata was read is checked by content.
const RACY: Duration = Duration::from_secs(2);

/// Load the catalog at `root` from the working tree: from the index when it holds the
/// catalog as it is, else in full, with the new index to write ([`write_later`]).
/// Without a cache folder (`LORE_NO_CACHE`), always in full.
pub(crate) fn load(root: &Path) -> Result<(Catalog, Option<Pending>), Error> {
    match location(root) {
        Some(index) => load_deferred(root, &index, true),
        None => Ok((load::load_with_cache(root, None)?, None)),
    }
}

/// An index to write for a catalog loaded in full.
pub(crate) struct Pending {
    path: PathBuf,
    meta: Meta,
}

impl Pending {
    /// Write it; an index that cannot be written is only a miss next time.
    fn write(self, c: &Catalog) {
        let _ = save(&self.path, c, &self.meta);
    }
}

/// Index writes under way, joined by [`wait_for_writes`].
static WRITING: std::sync::Mutex<Vec<std::thread::JoinHandle<()>>> =
    std::sync::Mutex::new(Vec::new());

/// Write `pending` for `c` on another thread, while the command answers: the first
/// query after a change shows its answer before the index (seconds at a million
/// entries) is written. The process waits for it before it exits ([`wait_for_writes`]).
pub(crate) fn write_later(c: &'static Catalog, pending: Pending) {
    let handle = std::thread::spawn(move || pending.write(c));
    WRITING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(handle);
}

/// Wait for every index write [`write_later`] started.
pub(crate) fn wait_for_writes() {
    let handles = std::mem::take(
        &mut *WRITING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    for handle in handles {
        let _ = handle.join();
    }
}

/// [`load`] with the index at `path`, and the user's cache when `cached`, the new index
/// written before it returns.
#[cfg(test)]
fn load_using(root: &Path, path: &Path, cached: bool) -> Result<Catalog, Error> {
    let (c, pending) = load_deferred(root, path, cached)?;
    if let Some(p) = pending {
        p.write(&c);
    }
    Ok(c)
}

/// [`load`] with the index at `path`, and the user's cache when `cached`.
fn load_deferred(
    root: &Path,
    path: &Path,
    cached: bool,
) -> Result<(Catalog, Option<Pending>), Error> {
    let tree = WorkTree::new(root);
    let p = load::configure(&tree)?;
    let p = match open(root, path, p, cached) {
        Ok(c) => return Ok((c, None)),
        Err(p) => *p,
    };
    let mut p = p;
    // Times are read before the folders are: anything changed since is racy.
    let read_at = SystemTime::now();
    load::discover_entries(&tree, &mut p)?;
    let (files, folders) = (p.entry_paths.clone(), p.folders.clone());
    let file_stats = stat_all(root, &files);
    let folder_stats = stat_all(root, &folders);
    let digest = digest(&files, &file_stats, &folders, &folder_stats);
    let key = p.key;
    let cache = cached.then(|| cache::user_cache(root)).flatten();
    let c = load::finish(root, &tree, p, cache)?;
    let first = c.first_entry_file();
    let racy = |s: &Option<Stat>| s.as_ref().is_none_or(|s| s.modified + RACY >= read_at);
    let racy_files = files
        .iter()
        .zip(&file_stats)
        .enumerate()
        .filter(|(_, (_, s))| racy(s))
        .map(|(i, (rel, _))| {
            let text = c.sources.get(crate::span::FileId(first + i as u32)).text();
            (
                crate::fsutil::slashed(rel),
                cache::content_hash(text.as_bytes()),
            )
        })
        .collect();
    let meta = Meta {
        key,
        files_digest: digest,
        racy: racy_files,
        errors: c.errors(),
        rewalk: folder_stats.iter().any(racy),
        files,
        folders,
    };
    let pending = Pending {
        path: path.to_path_buf(),
        meta,
    };
    Ok((c, Some(pending)))
}

/// Where the index of the catalog at `root` lives, if caching is on.
fn location(root: &Path) -> Option<PathBuf> {
    cache::location(root).map(|p| p.with_extension("index.sqlite"))
}

/// What the index compares of an entry file.
struct Stat {
    len: u64,
    modified: SystemTime,
    /// Change time and inode where the platform has them: a rewrite that keeps the size
    /// and modification time still changes them.
    changed: (i64, i64),
    inode: u64,
}

/// The metadata of each of `paths` (relative to `root`, links followed), in parallel.
fn stat_all(root: &Path, paths: &[PathBuf]) -> Vec<Option<Stat>> {
    let chunk = (paths.len() / 64).max(256);
    paths
        .par_chunks(chunk)
        .flat_map_iter(|part| {
            let mut at = Folder::default();
            part.iter()
                .map(move |rel| at.stat(root, rel))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The folder of the last file looked at, open, so that the next one in it is looked up
/// by its name alone (paths are sorted: a folder's files come together).
#[derive(Default)]
struct Folder {
    #[cfg(unix)]
    open: Option<(PathBuf, Option<rustix::fd::OwnedFd>)>,
}

impl Folder {
    #[cfg(unix)]
    // The field types of `stat` differ between platforms; the conversions are for the others.
    #[allow(clippy::useless_conversion)]
    fn stat(&mut self, root: &Path, rel: &Path) -> Option<Stat> {
        use rustix::fs::{AtFlags, Mode, OFlags};
        let (Some(parent), Some(name)) = (rel.parent(), rel.file_name()) else {
            return stat_path(&root.join(rel));
        };
        if self.open.as_ref().is_none_or(|(p, _)| p != parent) {
            let fd = rustix::fs::open(
                root.join(parent),
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .ok();
            self.open = Some((parent.to_path_buf(), fd));
        }
        let fd = self.open.as_ref()?.1.as_ref()?;
        let m = rustix::fs::statat(fd, name, AtFlags::empty()).ok()?;
        let modified = u64::try_from(m.st_mtime)
            .ok()
            .map_or(SystemTime::UNIX_EPOCH, |s| {
                SystemTime::UNIX_EPOCH
                    + Duration::new(s, u32::try_from(m.st_mtime_nsec).unwrap_or(0))
            });
        Some(Stat {
            len: u64::try_from(m.st_size).unwrap_or(0),
            modified,
            changed: (
                i64::try_from(m.st_ctime).unwrap_or(0),
                i64::try_from(m.st_ctime_nsec).unwrap_or(0),
            ),
            inode: u64::try_from(m.st_ino).unwrap_or(0),
        })
    }

    #[cfg(not(unix))]
    fn stat(&mut self, root: &Path, rel: &Path) -> Option<Stat> {
        stat_path(&root.join(rel))
    }
}

fn stat_path(path: &Path) -> Option<Stat> {
    let m = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let (changed, inode) = {
        use std::os::unix::fs::MetadataExt;
        ((m.ctime(), m.ctime_nsec()), m.ino())
    };
    #[cfg(not(unix))]
    let (changed, inode) = ((0, 0), 0);
    Some(Stat {
        len: m.len(),
        modified: m.modified().ok()?,
        changed,
        inode,
    })
}

/// One hash of every entry file's and folder's path and metadata, in order.
fn digest(
    files: &[PathBuf],
    file_stats: &[Option<Stat>],
    folders: &[PathBuf],
    folder_stats: &[Option<Stat>],
) -> u128 {
    // Pieces of 4,096 paths are hashed in parallel, then the list of their hashes (and
    // how many paths are files: a path cannot move from one list to the other unseen).
    let pairs: Vec<(&PathBuf, &Option<Stat>)> = files
        .iter()
        .zip(file_stats)
        .chain(folders.iter().zip(folder_stats))
        .collect();
    let pieces: Vec<u128> = pairs.par_chunks(4096).map(digest_piece).collect();
    let mut all = (files.len() as u64).to_le_bytes().to_vec();
    for h in pieces {
        all.extend_from_slice(&h.to_le_bytes());
    }
    cache::content_hash(&all)
}

fn digest_piece(piece: &[(&PathBuf, &Option<Stat>)]) -> u128 {
    let mut all = Vec::with_capacity(piece.len() * 128);
    for (rel, stat) in piece {
        all.extend_from_slice(rel.as_os_str().as_encoded_bytes());
        all.push(0);
        match stat {
            Some(s) => {
                let modified = s
                    .modified
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos());
                for n in [
                    u128::from(s.len),
                    modified,
                    s.changed.0 as u128,
                    s.changed.1 as u128,
                    u128::from(s.inode),
                ] {
                    all.extend_from_slice(&n.to_le_bytes());
                }
            }
            None => all.push(1),
        }
    }
    cache::content_hash(&all)
}

/// The catalog answered from the index at `path`, if it holds the catalog as it is;
/// else `p` back, for a full load.
fn open(root: &Path, path: &Path, mut p: Prelude, cached: bool) -> Result<Catalog, Box<Prelude>> {
    let Some((db, header)) = stored::open(path) else {
        return Err(Box::new(p));
    };
    let meta = &header.meta;
    // Paths from the index stay inside the root, as the walk's did.
    let inside = |rel: &Path| crate::source::escapes(rel).is_none();
    let paths_inside = meta
        .files
        .par_iter()
        .chain(&meta.folders)
        .all(|p| inside(p))
        && meta.racy.iter().all(|(p, _)| inside(Path::new(p)));
    if meta.key != p.key || !paths_inside {
        return Err(Box::new(p));
    }
    let file_stats = stat_all(root, &meta.files);
    let folder_stats = stat_all(root, &meta.folders);
    let tree = WorkTree::new(root);
    let fresh = meta.files_digest == digest(&meta.files, &file_stats, &meta.folders, &folder_stats)
        && meta.racy.par_iter().all(|(rel, hash)| {
            use crate::source::FileSource;
            tree.read(Path::new(rel))
                .is_ok_and(|bytes| cache::content_hash(&bytes) == *hash)
        });
    if !fresh {
        return Err(Box::new(p));
    }
    if meta.rewalk {
        // A folder changed just before it was read: read the folders again and compare.
        let problems = p.problems.len();
        let same = load::discover_entries(&tree, &mut p).is_ok()
            && p.entry_paths == meta.files
            && p.folders == meta.folders;
        p.problems.truncate(problems);
        if !same {
            return Err(Box::new(p));
        }
    }
    let Prelude {
        problems,
        mut sources,
        config,
        types,
        type_by_name,
        ..
    } = p;
    let (at, inside) = tree.read_again();
    let first = crate::span::FileId(sources.len() as u32);
    let mut header = header;
    let listed = std::mem::take(&mut header.meta.files);
    let files = listed.len();
    for rel in listed {
        sources.add_unread(rel, at.clone(), inside.clone());
    }
    let relations = types.iter().map(|t| t.relations.len()).collect();
    let totals = types.iter().map(|t| t.totals.len()).collect();
    let entries = header.entries();
    let owned_root = root.to_path_buf();
    let reload: stored::Reload = Box::new(move || reload(&owned_root, entries, cached));
    let stored = Stored::new(db, header, first, files, relations, totals, reload);
    Ok(Catalog::from_stored(
        Unlinked {
            root: root.to_path_buf(),
            config,
            sources,
            types,
            type_by_name,
            entries: Vec::new(),
            files,
            #[cfg(test)]
            cache_hits: 0,
            problems,
        },
        stored,
    ))
}

/// The catalog in full, when the index turned out unable to answer after it was opened
/// (damaged in place). The index vouched for the files as they are, so the full load
/// numbers entries as the index did; if it does not (the files changed in the
/// meantime), the answer cannot be finished, and the process stops with exit 2.
#[allow(clippy::print_stderr)]
fn reload(root: &Path, entries: usize, cached: bool) -> Catalog {
    let fail = |why: String| -> ! {
        eprintln!("error: {why}");
        std::process::exit(2)
    };
    let cache = cached.then(|| cache::user_cache(root)).flatten();
    match load::load_with_cache(root, cache) {
        Ok(c) if c.len() == entries => c,
        Ok(_) => fail("the catalog changed while lore read it; run the command again".into()),
        Err(e) => fail(e.to_string()),
    }
}

/// Write the index of `c` to a temporary file beside `path`, then rename it into place.
fn save(path: &Path, c: &Catalog, meta: &Meta) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = tempfile::Builder::new()
        .prefix(".index-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    let tmp_path = tmp.path().to_path_buf();
    // SQLite writes the file by path; the handle only keeps the name reserved and
    // removes it if anything fails before the rename.
    std::fs::remove_file(&tmp_path)?;
    let written = stored::save(&tmp_path, c, meta).map_err(std::io::Error::other);
    let renamed = written.and_then(|()| {
        std::fs::File::open(&tmp_path)?.sync_all()?;
        std::fs::rename(&tmp_path, path)
    });
    if renamed.is_err() {
        let _ = std::fs::remove_file(&tmp_path);
    }
    drop(tmp);
    renamed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::EntryId;
    use crate::query::{self, browse};

    /// Everything a query reads of one entry, as text.
    fn about(c: &Catalog, e: EntryId) -> String {
        let entry = c.entry(e);
        let edges = |edges: Vec<&crate::graph::Edge>| -> Vec<String> {
            edges
                .into_iter()
                .map(|x| {
                    format!(
                        "{} {} {} {:?}",
                        c.key(x.from),
                        c.relation(x).name,
                        c.key(x.to),
                        x.item
                    )
                })
                .collect()
        };
        format!(
            "{} {} {} line {} doc {} {:?}\nout {:?} {:?}\ninto {:?}\nowners {:?}\nshow {:?}\nimpact {:?}",
            c.key(e),
            entry.value,
            c.sources.display_path(entry.file),
            c.line(e),
            entry.doc,
            entry.span,
            edges(c.out(e).collect()),
            c.out_ids(e).map(|i| c.key(c.edge(i).to)).collect::<Vec<_>>(),
            edges(c.into(e).collect()),
            query::owners(c, e),
            browse::show(c, e),
            {
                let set = query::impact(c, &[e], None);
                (set.impacted, set.totals)
            },
        )
    }

    fn example() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn the_index_answers_as_the_catalog_does() {
        let dir = tempfile::tempdir().unwrap();
        let index = dir.path().join("index.sqlite");
        let full = load::load(example()).unwrap();
        let first = load_using(example(), &index, false).unwrap();
        assert!(!first.is_stored(), "no index yet: a full load");
        let c = load_using(example(), &index, false).unwrap();
        assert!(c.is_stored(), "the second load answers from the index");
        assert!(full.len() > 50);
        assert_eq!(c.len(), full.len());
        assert_eq!(c.errors(), full.errors());
        // Entries one at a time, in an order that is not the index's; all from the
        // index, then with a budget that runs out midway (the rest from a full load).
        c.set_budget(usize::MAX, 0);
        for e in full.entry_ids().rev() {
            assert_eq!(about(&c, e), about(&full, e));
        }
        assert!(!c.read_skeleton());
        let c = load_using(example(), &index, false).unwrap();
        c.set_budget(100, 0);
        for e in full.entry_ids() {
            assert_eq!(about(&c, e), about(&full, e));
        }
        // The skeleton at once, with entries read one at a time for as long as the
        // second budget lasts (all of them, then only 40).
        for second in [usize::MAX, 40] {
            let c = load_using(example(), &index, false).unwrap();
            c.set_budget(0, second);
            for e in full.entry_ids().rev() {
                assert_eq!(about(&c, e), about(&full, e));
            }
            assert!(c.read_skeleton());
            assert_eq!(c.read_graph(), second == 40);
        }
        for (e, entry) in full.entries() {
            for name in std::iter::once(entry.id.as_str()).chain(entry.aliases()) {
                assert_eq!(c.find(name, &[]), full.find(name, &[]), "{name}");
                assert_eq!(
                    c.lookup(entry.type_id, name),
                    full.lookup(entry.type_id, name)
                );
            }
            assert_eq!(c.key(e), full.key(e));
        }
        assert_eq!(c.find("no-such-entry", &[]), crate::graph::Found::None);
    }

    /// The example catalog loaded in full, and the index of it the load wrote, at the
    /// returned path and as bytes (to damage copies of).
    fn indexed_example() -> (tempfile::TempDir, PathBuf, Vec<u8>, Catalog) {
        let dir = tempfile::tempdir().unwrap();
        let index = dir.path().join("index.sqlite");
        let full = load::load(example()).unwrap();
        assert!(!load_using(example(), &index, false).unwrap().is_stored());
        let good = std::fs::read(&index).unwrap();
        (dir, index, good, full)
    }

    #[test]
    fn an_index_read_whole_checks_every_row() {
        let (_dir, index, good, full) = indexed_example();
        assert!(load_using(example(), &index, false).unwrap().reads_whole());
        // Each a file SQLite reads without complaint, with one row lore must not trust:
        // the answers then come from a full load.
        for damage in [
            "UPDATE edges SET dst = 1000000 WHERE id = 3",
            "UPDATE edges SET src = src + 1 WHERE id = 0",
            "UPDATE edges SET relation = 99 WHERE id = 1",
            "DELETE FROM edges WHERE id = (SELECT max(id) FROM edges)",
            "UPDATE entries SET value = '{' WHERE id = 7",
            "UPDATE entries SET type = 99 WHERE id = 2",
            "UPDATE entries SET start = end + 1 WHERE id = 4",
            "DELETE FROM entries WHERE id = 5",
            "UPDATE names SET entry = -1 WHERE name = (SELECT min(name) FROM names)",
            "UPDATE names SET type = 99 WHERE name = (SELECT max(name) FROM names)",
        ] {
            std::fs::write(&index, &good).unwrap();
            rusqlite::Connection::open(&index)
                .unwrap()
                .execute_batch(damage)
                .unwrap();
            let c = load_using(example(), &index, false).unwrap();
            assert!(c.is_stored(), "{damage}");
            assert!(!c.reads_whole(), "{damage}");
            c.set_budget(0, 0);
            for e in full.entry_ids() {
                assert_eq!(about(&c, e), about(&full, e), "{damage}");
            }
        }
    }

    #[test]
    fn a_skeleton_column_out_of_range_is_a_miss() {
        let (_dir, index, good, full) = indexed_example();
        let first = |column: &str, bytes: &str| {
            // (`||` makes text of blobs: cast back.)
            format!("UPDATE columns SET data = CAST(X'{bytes}' || substr(data, {}) AS BLOB) WHERE name = '{column}' AND part = 0", bytes.len() / 2 + 1)
        };
        // Each a file SQLite reads without complaint, with a column lore must not
        // trust: then the answers come from the rows and a full load.
        for damage in [
            first("types", "63000000"),
            first("id_ends", "ffffff00"),
            first("ids", "ff"),
            first("ranks", "ffffff00"),
            first("edges", "ffffff00"),
            format!(
                "{}; {}",
                first("edges", "00000000"),
                first("edges", "0000000063000000")
            ),
            first("totals", "09"),
            "UPDATE columns SET data = substr(data, 2) WHERE name = 'types'".to_owned(),
            "UPDATE columns SET data = CAST(data || X'00' AS BLOB) WHERE name = 'totals'"
                .to_owned(),
            "UPDATE columns SET data = CAST(data AS TEXT) WHERE name = 'ranks'".to_owned(),
            "UPDATE columns SET part = 1 WHERE name = 'ranks'".to_owned(),
            "DELETE FROM columns WHERE name = 'totals'".to_owned(),
            "UPDATE columns SET name = 'edges' WHERE name = 'ranks'".to_owned(),
            "INSERT INTO columns VALUES ('types', 0, X'')".to_owned(),
        ] {
            std::fs::write(&index, &good).unwrap();
            rusqlite::Connection::open(&index)
                .unwrap()
                .execute_batch(&damage)
                .unwrap();
            let c = load_using(example(), &index, false).unwrap();
            assert!(c.is_stored(), "{damage}");
            c.set_budget(0, usize::MAX);
            for e in full.entry_ids() {
                assert_eq!(about(&c, e), about(&full, e), "{damage}");
            }
            assert!(!c.read_skeleton(), "{damage}");
        }
        // The undamaged file reads its skeleton.
        std::fs::write(&index, &good).unwrap();
        let c = load_using(example(), &index, false).unwrap();
        c.set_budget(0, usize::MAX);
        assert_eq!(about(&c, EntryId::new(0)), about(&full, EntryId::new(0)));
        assert!(c.read_skeleton());
    }

    /// Every way `route` draws the example alerts, as text.
    fn routed(c: &Catalog) -> Vec<String> {
        let mut out = Vec::new();
        for item in std::fs::read_dir(example().join("examples/alerts")).unwrap() {
            let path = item.unwrap().path();
            let Ok(payload) = crate::alert::load_payload_file(&path) else {
                continue;
            };
            let Ok(r) = crate::alert::route::route(c, &payload, None) else {
                continue;
            };
            let mut text = Vec::new();
            let style = crate::term::Style {
                color: false,
                width: 100,
            };
            crate::render::route::human(c, &r, &mut text, style).unwrap();
            crate::render::route::markdown(c, &r, &mut text).unwrap();
            let json = serde_json::to_string(&crate::render::route::json(c, &r)).unwrap();
            out.push(format!(
                "{}\n{}\n{json}\n{:?}",
                path.display(),
                String::from_utf8(text).unwrap(),
                r.warnings
            ));
        }
        out.sort();
        out
    }

    #[test]
    fn route_on_the_skeleton_draws_what_a_full_load_does_and_never_reads_whole() {
        let dir = tempfile::tempdir().unwrap();
        let index = dir.path().join("index.sqlite");
        let full = load::load(example()).unwrap();
        let want = routed(&full);
        assert!(want.len() > 20, "{}", want.len());
        assert!(!load_using(example(), &index, false).unwrap().is_stored());
        let c = load_using(example(), &index, false).unwrap();
        c.set_budget(0, usize::MAX);
        assert_eq!(routed(&c), want);
        assert!(c.read_skeleton());
        assert!(!c.read_graph(), "route read the whole index");
    }

    fn write(root: &Path, files: &[(&str, &str)]) {
        for (path, content) in files {
            let p = root.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, content).unwrap();
        }
    }

    const SMALL: &[(&str, &str)] = &[
        ("schemas/team.yaml", "type: Team\n"),
        (
            "schemas/service.yaml",
            "type: Service\nrelations:\n  owner: {to: Team, owner: true}\n",
        ),
        (
            "catalog/teams.yaml",
            "type: Team\nid: red\n---\ntype: Team\nid: tan\n",
        ),
        ("catalog/api.yaml", "type: Service\nid: api\nowner: red\n"),
    ];

    fn owner_of_api(c: &Catalog) -> String {
        let api = c.lookup(c.type_id("Service").unwrap(), "api").unwrap();
        c.key(query::owners(c, api)[0].owner)
    }

    /// Every file's and folder's modification time an hour back, so none is within the
    /// racy window: the index then trusts metadata alone.
    fn age(root: &Path) {
        let past = SystemTime::now() - Duration::from_secs(3600);
        for item in walkdir::WalkDir::new(root).contents_first(true) {
            let item = item.unwrap();
            let f = if item.file_type().is_file() {
                std::fs::File::options()
                    .write(true)
                    .open(item.path())
                    .unwrap()
            } else {
                std::fs::File::open(item.path()).unwrap()
            };
            f.set_modified(past).unwrap();
        }
    }

    #[test]
    fn a_changed_added_or_removed_file_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let (root, index) = (dir.path().join("repo"), dir.path().join("index.sqlite"));
        write(&root, SMALL);
        for aged in [false, true] {
            if aged {
                age(&root);
            }
            let _ = std::fs::remove_file(&index);
            assert!(!load_using(&root, &index, false).unwrap().is_stored());
            let (_, header) = stored::open(&index).unwrap();
            assert_eq!(
                header.meta.rewalk, !aged,
                "folders just written are read again"
            );
            assert_eq!(
                header.meta.racy.is_empty(),
                aged,
                "files just written are compared"
            );
            assert!(load_using(&root, &index, false).unwrap().is_stored());
            // Same size, same modification time: only the content (and ctime) differ.
            let api = root.join("catalog/api.yaml");
            let before = std::fs::metadata(&api).unwrap().modified().unwrap();
            std::fs::write(&api, "type: Service\nid: api\nowner: tan\n").unwrap();
            std::fs::File::options()
                .write(true)
                .open(&api)
                .unwrap()
                .set_modified(before)
                .unwrap();
            let c = load_using(&root, &index, false).unwrap();
            assert!(!c.is_stored(), "aged {aged}: the change is seen");
            assert_eq!(owner_of_api(&c), "Team:tan");
            let c = load_using(&root, &index, false).unwrap();
            assert!(c.is_stored());
            assert_eq!(owner_of_api(&c), "Team:tan");
            write(&root, &[("catalog/more.yaml", "type: Team\nid: sky\n")]);
            let c = load_using(&root, &index, false).unwrap();
            assert!(!c.is_stored(), "a new file is seen");
            assert_eq!(c.len(), 4);
            std::fs::remove_file(root.join("catalog/more.yaml")).unwrap();
            let c = load_using(&root, &index, false).unwrap();
            assert!(!c.is_stored(), "a removed file is seen");
            assert_eq!(c.len(), 3);
            std::fs::write(&api, "type: Service\nid: api\nowner: red\n").unwrap();
            write(
                &root,
                &[("schemas/team.yaml", "type: Team\ndescription: x\n")],
            );
            let c = load_using(&root, &index, false).unwrap();
            assert!(!c.is_stored(), "a changed type is seen");
            write(&root, &[("schemas/team.yaml", "type: Team\n")]);
        }
    }

    #[test]
    fn a_damaged_index_is_a_miss_before_or_after_it_is_opened() {
        let dir = tempfile::tempdir().unwrap();
        let (root, index) = (dir.path().join("repo"), dir.path().join("index.sqlite"));
        write(&root, SMALL);
        let full = load::load(&root).unwrap();
        assert!(!load_using(&root, &index, false).unwrap().is_stored());
        let good = std::fs::read(&index).unwrap();
        for damage in [
            good[..good.len() / 2].to_vec(),
            good[..100].to_vec(),
            Vec::new(),
            b"not a database".repeat(1000),
            good.iter()
                .enumerate()
                .map(|(i, b)| if i > 4096 { b ^ 0x5a } else { *b })
                .collect(),
        ] {
            std::fs::write(&index, &damage).unwrap();
            let c = load_using(&root, &index, false).unwrap();
            for e in full.entry_ids() {
                assert_eq!(about(&c, e), about(&full, e));
            }
        }
        // A well-formed index naming a file outside the root, with the digest of that
        // file's metadata, is a miss: the file is not taken for part of the catalog.
        std::fs::write(dir.path().join("outside.yaml"), "type: Team\nid: out\n").unwrap();
        let (_, header) = stored::open(&index).unwrap();
        let folders = header.meta.folders;
        for outside in [
            PathBuf::from("../outside.yaml"),
            dir.path().join("outside.yaml"),
        ] {
            std::fs::write(&index, &good).unwrap();
            let files = vec![outside];
            let digest = digest(
                &files,
                &stat_all(&root, &files),
                &folders,
                &stat_all(&root, &folders),
            );
            let db = rusqlite::Connection::open(&index).unwrap();
            let mut list = files[0].clone().into_os_string().into_encoded_bytes();
            list.push(0);
            db.execute(
                "UPDATE meta SET files = ?1, digest = ?2, rewalk = 0",
                rusqlite::params![list, format!("{digest:032x}")],
            )
            .unwrap();
            drop(db);
            let c = load_using(&root, &index, false).unwrap();
            assert!(!c.is_stored(), "{}", files[0].display());
            assert_eq!(c.len(), full.len());
        }
        // Opened while whole, then cut short in place: the answers come from a full load.
        std::fs::write(&index, &good).unwrap();
        let c = load_using(&root, &index, false).unwrap();
        assert!(c.is_stored());
        std::fs::File::create(&index).unwrap();
        for e in full.entry_ids() {
            assert_eq!(about(&c, e), about(&full, e));
        }
    }

    #[test]
    fn concurrent_loads_see_a_whole_index() {
        let dir = tempfile::tempdir().unwrap();
        let (root, index) = (dir.path().join("repo"), dir.path().join("index.sqlite"));
        write(&root, SMALL);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..10 {
                        let c = load_using(&root, &index, false).unwrap();
                        assert_eq!(owner_of_api(&c), "Team:red");
                        assert_eq!(c.len(), 3);
                    }
                });
            }
        });
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|i| i.unwrap().file_name())
            .filter(|n| n.to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}

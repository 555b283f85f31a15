//! All of lore's git access, through gix: open the repository around a catalog, resolve
//! revisions and merge bases, read a catalog from any commit without a checkout
//! ([`GitTree`]), tell which files changed since a commit, and attribute every line of
//! the catalog to the commit that last touched it ([`Repo::blame`]).
//!
//! Paths given to and returned from this module are relative to the catalog root, which
//! may be a subfolder of the repository. Blame follows first parents (a change merged from
//! a branch counts from the merge), does not follow renames, and treats lines that differ
//! from `HEAD` in the working tree (staged or not, or untracked) as uncommitted. One walk
//! over history attributes every file at once, so `stale` costs one pass, not one per file.

use std::collections::{HashMap, HashSet};
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use gix::ObjectId;
use imara_diff::{Algorithm, Diff, InternedInput};

use crate::source::{FileSource, Walked};

/// A git failure, with a message that says what to do (exit 2). Causes from gix are
/// kept as text: they are many types, and shown, never matched on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Error {
    #[error("`{}` is not inside a git repository; this needs the catalog's git history (run `git init` and commit the catalog, or run lore inside a clone)", root.display())]
    NotARepository { root: PathBuf },
    #[error("the git repository is bare; run lore in a clone with a working tree")]
    Bare,
    #[error("the catalog `{}` is outside the git working tree `{}`", root.display(), workdir.display())]
    OutsideWorkTree { root: PathBuf, workdir: PathBuf },
    #[error("`{rev}` names no commit in this repository ({cause}); give a branch, tag or commit id (`git log --oneline` lists them)")]
    UnknownRevision { rev: String, cause: String },
    #[error("no common ancestor of {a} and {b} ({cause}); on a shallow clone fetch more history (`git fetch --unshallow`)")]
    NoMergeBase { a: String, b: String, cause: String },
    /// Something git could not read; `what` says what and, where it helps, what to do.
    #[error("{what}: {cause}")]
    Read { what: String, cause: String },
    /// An object that should be there and cannot be read.
    #[error("cannot read {what} from git: {cause}; the repository is damaged: run `git fsck`, or clone it again")]
    Damaged { what: String, cause: String },
}

fn err(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Read {
        what: what.to_owned(),
        cause: e.to_string(),
    }
}

/// A tree, by id and the catalog folder it holds.
fn tree_name(id: ObjectId, dir: &Path) -> String {
    if dir.as_os_str().is_empty() {
        format!("the catalog's root tree {id}")
    } else {
        format!("the tree {id} of `{}`", dir.display())
    }
}

/// An object that should be there and cannot be read.
fn damaged(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Damaged {
        what: what.to_owned(),
        cause: e.to_string(),
    }
}

/// The git repository that holds a catalog.
pub(crate) struct Repo {
    shared: gix::ThreadSafeRepository,
    repo: gix::Repository,
    /// The catalog root relative to the work tree, `/`-separated, empty at the top.
    prefix: String,
}

/// Open the repository around the catalog at `root`.
pub(crate) fn open(root: &Path) -> Result<Repo, Error> {
    let repo = gix::discover(root).map_err(|_| Error::NotARepository {
        root: root.to_path_buf(),
    })?;
    let workdir = repo.workdir().ok_or(Error::Bare)?;
    let workdir = workdir
        .canonicalize()
        .map_err(|e| err("cannot read the git working tree", e))?;
    let root = root
        .canonicalize()
        .map_err(|e| err(&format!("cannot read `{}`", root.display()), e))?;
    let prefix = root
        .strip_prefix(&workdir)
        .map_err(|_| Error::OutsideWorkTree {
            root: root.clone(),
            workdir: workdir.clone(),
        })?
        .to_path_buf();
    let prefix = crate::fsutil::slashed(&prefix);
    let mut repo = repo;
    // Trees of big folders are read again by consecutive commits of a walk.
    repo.object_cache_size_if_unset(64 << 20);
    Ok(Repo {
        shared: repo.clone().into_sync(),
        repo,
        prefix,
    })
}

/// One commit, as people see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    /// Full hex id.
    pub(crate) commit: String,
    pub(crate) author: String,
    pub(crate) email: String,
    /// Author time, seconds since the Unix epoch.
    pub(crate) time: i64,
    /// First line of the message.
    pub(crate) summary: String,
}

impl Change {
    /// The author date as `YYYY-MM-DD` (UTC).
    pub(crate) fn date(&self) -> String {
        crate::date::day(self.time)
    }
}

/// Where a line of the catalog comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineAge {
    /// Not committed: new or changed in the working tree.
    Uncommitted,
    /// Last changed by [`Blame::commits`]`[i]`.
    Commit(u32),
    /// Older than the history this clone has (shallow clone).
    Unknown,
}

/// Every line of some files attributed to a commit.
#[derive(Debug, Default)]
pub(crate) struct Blame {
    pub(crate) commits: Vec<Change>,
    /// Per file given, per line (0-based).
    pub(crate) lines: Vec<Vec<LineAge>>,
    /// The walk reached the boundary of a shallow clone with lines left to attribute.
    pub(crate) truncated: bool,
}

impl Blame {
    /// The newest change among `lines` (0-based) of file `file`.
    pub(crate) fn newest(&self, file: usize, lines: Range<usize>) -> Newest<'_> {
        let mut best: Option<&Change> = None;
        for age in self.lines[file].get(lines).unwrap_or(&[]) {
            match age {
                LineAge::Uncommitted => return Newest::Uncommitted,
                LineAge::Commit(i) => {
                    let c = &self.commits[*i as usize];
                    if best.is_none_or(|b| c.time > b.time) {
                        best = Some(c);
                    }
                }
                LineAge::Unknown => {}
            }
        }
        best.map_or(Newest::Unknown, Newest::Commit)
    }
}

/// The newest change among some lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Newest<'a> {
    /// A line is not committed: the text is as fresh as it gets.
    Uncommitted,
    /// The newest commit that touched a line.
    Commit(&'a Change),
    /// Every line is older than a shallow clone's history (or no line was asked for).
    Unknown,
}

/// A file to blame: its catalog-relative path, its current bytes, and optionally the
/// only lines (0-based) to attribute.
pub(crate) struct BlameFile<'a> {
    pub(crate) path: &'a Path,
    pub(crate) text: &'a [u8],
    pub(crate) only: Option<Range<usize>>,
}

impl Repo {
    /// The commit a revision names (`main`, `HEAD~3`, a tag, an id).
    pub(crate) fn resolve(&self, rev: &str) -> Result<ObjectId, Error> {
        let id = self
            .repo
            .rev_parse_single(rev)
            .map_err(|e| Error::UnknownRevision {
                rev: rev.to_owned(),
                cause: e.to_string(),
            })?;
        let commit = id
            .object()
            .map(gix::Object::peel_to_commit)
            .map_err(|e| err(&format!("cannot read `{rev}`"), e))?
            .map_err(|e| err(&format!("`{rev}` is not a commit"), e))?;
        Ok(commit.id)
    }

    /// The commit `HEAD` names; `None` before the first commit.
    pub(crate) fn head(&self) -> Result<Option<ObjectId>, Error> {
        let head = self
            .repo
            .head()
            .map_err(|e| err("cannot read HEAD; run `git status` to see what is wrong", e))?;
        if head.is_unborn() {
            return Ok(None);
        }
        let id = head.into_peeled_id().map_err(|e| {
            err(
                "cannot read the commit HEAD names; run `git fsck`, or clone the repository again",
                e,
            )
        })?;
        Ok(Some(id.detach()))
    }

    /// The best common ancestor of `a` and `b`.
    pub(crate) fn merge_base(&self, a: ObjectId, b: ObjectId) -> Result<ObjectId, Error> {
        self.repo
            .merge_base(a, b)
            .map(gix::Id::detach)
            .map_err(|e| Error::NoMergeBase {
                a: short(a),
                b: short(b),
                cause: e.to_string(),
            })
    }

    /// The catalog's files as they are in `commit`.
    pub(crate) fn tree(&self, commit: ObjectId) -> Result<GitTree, Error> {
        let files = self.flatten(commit)?;
        let mut dirs = HashSet::new();
        dirs.insert(PathBuf::new());
        for path in files.keys() {
            let mut p = path.parent();
            while let Some(d) = p {
                if !dirs.insert(d.to_path_buf()) {
                    break;
                }
                p = d.parent();
            }
        }
        Ok(GitTree {
            hash: self.repo.object_hash(),
            shared: self.shared.clone(),
            pool: Mutex::new(Vec::new()),
            files,
            dirs,
            broken: Mutex::new(None),
        })
    }

    /// Every blob below the catalog root in `commit`, by catalog-relative path.
    fn flatten(&self, commit: ObjectId) -> Result<HashMap<PathBuf, ObjectId>, Error> {
        let mut out = HashMap::new();
        let Some(tree) = self.root_tree(commit)? else {
            return Ok(out);
        };
        let mut stack = vec![(tree, PathBuf::new())];
        while let Some((oid, dir)) = stack.pop() {
            let tree = self
                .repo
                .find_tree(oid)
                .map_err(|e| damaged(&tree_name(oid, &dir), e))?;
            let decoded = tree
                .decode()
                .map_err(|e| damaged(&tree_name(oid, &dir), e))?;
            for entry in &decoded.entries {
                let path = dir.join(String::from_utf8_lossy(entry.filename).as_ref());
                if entry.mode.is_tree() {
                    stack.push((entry.oid.to_owned(), path));
                } else if entry.mode.is_blob() {
                    out.insert(path, entry.oid.to_owned());
                }
            }
        }
        Ok(out)
    }

    /// The tree of the catalog root in `commit`, if it exists there.
    fn root_tree(&self, commit: ObjectId) -> Result<Option<ObjectId>, Error> {
        let id = commit;
        let commit = self
            .repo
            .find_commit(id)
            .map_err(|e| damaged(&format!("commit {id}"), e))?;
        let tree = commit
            .tree_id()
            .map_err(|e| damaged(&format!("commit {id}"), e))?
            .detach();
        self.subtree(tree, &self.prefix)
    }

    fn subtree(&self, mut tree: ObjectId, prefix: &str) -> Result<Option<ObjectId>, Error> {
        for part in prefix.split('/').filter(|p| !p.is_empty()) {
            let t = self
                .repo
                .find_tree(tree)
                .map_err(|e| damaged(&format!("the tree {tree} above the catalog"), e))?;
            let decoded = t
                .decode()
                .map_err(|e| damaged(&format!("the tree {tree} above the catalog"), e))?;
            match decoded
                .entries
                .iter()
                .find(|e| e.filename == part.as_bytes() && e.mode.is_tree())
            {
                Some(e) => tree = e.oid.to_owned(),
                None => return Ok(None),
            }
        }
        Ok(Some(tree))
    }

    /// The id git gives a file with these bytes.
    pub(crate) fn blob_id(&self, bytes: &[u8]) -> Option<ObjectId> {
        gix::objs::compute_hash(self.repo.object_hash(), gix::objs::Kind::Blob, bytes).ok()
    }

    fn change(&self, id: ObjectId) -> Result<Change, Error> {
        let commit = self
            .repo
            .find_commit(id)
            .map_err(|e| damaged(&format!("commit {id}"), e))?;
        let author = commit
            .author()
            .map_err(|e| damaged(&format!("the author of commit {id}"), e))?;
        let time = author
            .time()
            .map_err(|e| damaged(&format!("the author date of commit {id}"), e))?
            .seconds;
        let summary = commit
            .message()
            .map_err(|e| damaged(&format!("the message of commit {id}"), e))?
            .summary()
            .to_string();
        Ok(Change {
            commit: id.to_string(),
            author: author.name.to_string().trim().to_owned(),
            email: author.email.to_string().trim().to_owned(),
            time,
            summary,
        })
    }

    /// Attribute every line of `files` (catalog-relative path, current bytes in the
    /// working tree) to the commit that last changed it, walking first parents from `HEAD`.
    /// `only` restricts a file to some 0-based lines (the rest stay [`LineAge::Unknown`]).
    pub(crate) fn blame(&self, files: &[BlameFile<'_>]) -> Result<Blame, Error> {
        let mut blame = Blame {
            lines: files
                .iter()
                .map(|f| vec![LineAge::Uncommitted; line_count(f.text)])
                .collect(),
            ..Blame::default()
        };
        let Some(head) = self.head()? else {
            return Ok(blame);
        };
        let head_files = self.flatten(head)?;
        let mut tracked: HashMap<PathBuf, Track> = HashMap::new();
        for (i, f) in files.iter().enumerate() {
            let (path, text, only) = (f.path, f.text, &f.only);
            let Some(&blob) = head_files.get(path) else {
                continue;
            };
            let n = blame.lines[i].len();
            let wanted = only.clone().unwrap_or(0..n);
            let wanted = wanted.start.min(n)..wanted.end.min(n);
            for l in 0..n {
                if !wanted.contains(&l) {
                    blame.lines[i][l] = LineAge::Unknown;
                }
            }
            let mut pending: Vec<(u32, u32)> = wanted.map(|l| (l as u32, l as u32)).collect();
            if self.blob_id(text) != Some(blob) {
                let old = self.read_blob(blob, path)?;
                pending = map_back(&old, text, pending, |cur| {
                    blame.lines[i][cur as usize] = LineAge::Uncommitted;
                });
            }
            if !pending.is_empty() {
                tracked.insert(
                    path.to_path_buf(),
                    Track {
                        file: i,
                        blob,
                        pending,
                    },
                );
            }
        }
        let shallow: HashSet<ObjectId> = self
            .repo
            .shallow_commits()
            .map_err(|e| err("cannot read the list of shallow commits (.git/shallow)", e))?
            .map(|c| c.iter().copied().collect())
            .unwrap_or_default();

        let mut commit = head;
        let mut tree = self.root_tree(head)?;
        while !tracked.is_empty() {
            let parent = if shallow.contains(&commit) {
                Err(())
            } else {
                let c = self
                    .repo
                    .find_commit(commit)
                    .map_err(|e| err(&format!("cannot read commit {commit}"), e))?;
                let first = c.parent_ids().next().map(gix::Id::detach);
                match first {
                    None => Ok(None),
                    Some(p) => match self.repo.find_commit(p) {
                        Ok(_) => Ok(Some(p)),
                        // Not a shallow boundary: the object is damaged or missing.
                        Err(e) => return Err(damaged(&format!("commit {p}"), e)),
                    },
                }
            };
            let Ok(parent) = parent else {
                // The history stops here: what is left is older than we can see.
                for t in tracked.values() {
                    for &(cur, _) in &t.pending {
                        blame.lines[t.file][cur as usize] = LineAge::Unknown;
                    }
                }
                blame.truncated = true;
                break;
            };
            let Some(parent) = parent else {
                // The first commit: everything left was written here.
                let index = blame.push(self.change(commit)?);
                for t in tracked.values() {
                    for &(cur, _) in &t.pending {
                        blame.lines[t.file][cur as usize] = LineAge::Commit(index);
                    }
                }
                break;
            };
            let parent_tree = self.root_tree(parent)?;
            let mut changed = Vec::new();
            if tree != parent_tree {
                self.diff_trees(tree, parent_tree, &PathBuf::new(), &tracked, &mut changed)?;
            }
            let mut index = None;
            for (path, old) in changed {
                let Some(t) = tracked.get_mut(&path) else {
                    continue;
                };
                let i = match index {
                    Some(i) => i,
                    None => *index.insert(blame.push(self.change(commit)?)),
                };
                match old {
                    None => {
                        for &(cur, _) in &t.pending {
                            blame.lines[t.file][cur as usize] = LineAge::Commit(i);
                        }
                        t.pending.clear();
                    }
                    Some(old) => {
                        let before = self.read_blob(old, &path)?;
                        let after = self.read_blob(t.blob, &path)?;
                        let file = t.file;
                        let pending = std::mem::take(&mut t.pending);
                        t.pending = map_back(&before, &after, pending, |cur| {
                            blame.lines[file][cur as usize] = LineAge::Commit(i);
                        });
                        t.blob = old;
                    }
                }
                if t.pending.is_empty() {
                    tracked.remove(&path);
                }
            }
            commit = parent;
            tree = parent_tree;
        }
        Ok(blame)
    }

    /// Blobs that differ between `new` and `old` (trees of the catalog root), with the
    /// old blob (None when absent in `old`), only for paths below a tracked one's folder.
    fn diff_trees(
        &self,
        new: Option<ObjectId>,
        old: Option<ObjectId>,
        dir: &Path,
        tracked: &HashMap<PathBuf, Track>,
        out: &mut Vec<(PathBuf, Option<ObjectId>)>,
    ) -> Result<(), Error> {
        let Some(new) = new else {
            return Ok(());
        };
        let new_tree = self
            .repo
            .find_tree(new)
            .map_err(|e| damaged(&tree_name(new, dir), e))?;
        let old_tree = match old {
            Some(oid) => Some(
                self.repo
                    .find_tree(oid)
                    .map_err(|e| damaged(&tree_name(oid, dir), e))?,
            ),
            None => None,
        };
        let new_entries = new_tree
            .decode()
            .map_err(|e| damaged(&tree_name(new, dir), e))?
            .entries;
        let old_entries = match (&old_tree, old) {
            (Some(t), Some(oid)) => {
                t.decode()
                    .map_err(|e| damaged(&tree_name(oid, dir), e))?
                    .entries
            }
            _ => Vec::new(),
        };
        // Both lists are in git's order: a merge walk pairs equal names.
        let mut old_iter = old_entries.iter().peekable();
        for entry in &new_entries {
            if !(entry.mode.is_tree() || entry.mode.is_blob()) {
                continue;
            }
            let mut before = None;
            while let Some(o) = old_iter.peek() {
                match git_order(o, entry) {
                    std::cmp::Ordering::Less => {
                        old_iter.next();
                    }
                    std::cmp::Ordering::Equal => {
                        before = old_iter.next();
                        break;
                    }
                    std::cmp::Ordering::Greater => break,
                }
            }
            if before.is_some_and(|b| b.oid == entry.oid) {
                continue;
            }
            let path = dir.join(String::from_utf8_lossy(entry.filename).as_ref());
            if entry.mode.is_tree() {
                let old_sub = before.map(|b| b.oid.to_owned());
                self.diff_trees(Some(entry.oid.to_owned()), old_sub, &path, tracked, out)?;
            } else if tracked.contains_key(&path) {
                out.push((
                    path,
                    before
                        .filter(|b| b.mode.is_blob())
                        .map(|b| b.oid.to_owned()),
                ));
            }
        }
        Ok(())
    }

    fn read_blob(&self, id: ObjectId, path: &Path) -> Result<Vec<u8>, Error> {
        self.repo
            .find_object(id)
            .map(|o| o.detach().data)
            .map_err(|e| damaged(&format!("`{}` (object {id})", path.display()), e))
    }

    /// The last commit that changed any of `lines` (0-based) of the file `path`, whose
    /// current bytes are `text`: `None` when a line is uncommitted or older than a
    /// shallow clone's history.
    pub(crate) fn last_change(
        &self,
        path: &Path,
        text: &[u8],
        lines: Range<usize>,
    ) -> Result<Option<Change>, Error> {
        let blame = self.blame(&[BlameFile {
            path,
            text,
            only: Some(lines.clone()),
        }])?;
        Ok(match blame.newest(0, lines) {
            Newest::Commit(c) => Some(c.clone()),
            Newest::Uncommitted | Newest::Unknown => None,
        })
    }
}

impl Blame {
    fn push(&mut self, change: Change) -> u32 {
        self.commits.push(change);
        (self.commits.len() - 1) as u32
    }
}

/// A file being blamed: the lines still to attribute, as (current line, line in `blob`).
struct Track {
    file: usize,
    blob: ObjectId,
    pending: Vec<(u32, u32)>,
}

fn line_count(text: &[u8]) -> usize {
    let n = text.iter().filter(|&&b| b == b'\n').count();
    if text.last().is_some_and(|&b| b != b'\n') {
        n + 1
    } else {
        n
    }
}

/// Map `pending` lines of `after` (sorted by their line in `after`) back to `before`;
/// lines that `after` added are passed to `added` and dropped.
fn map_back(
    before: &[u8],
    after: &[u8],
    pending: Vec<(u32, u32)>,
    mut added: impl FnMut(u32),
) -> Vec<(u32, u32)> {
    let input = InternedInput::new(before, after);
    let mut diff = Diff::compute(Algorithm::Histogram, &input);
    diff.postprocess_lines(&input);
    let mut hunks = diff.hunks().peekable();
    let mut delta: i64 = 0;
    let mut out = Vec::with_capacity(pending.len());
    for (cur, l) in pending {
        while let Some(h) = hunks.peek() {
            if h.after.end <= l {
                delta += i64::from(h.before.len() as u32) - i64::from(h.after.len() as u32);
                hunks.next();
            } else {
                break;
            }
        }
        if hunks
            .peek()
            .is_some_and(|h| h.after.start <= l && l < h.after.end)
        {
            added(cur);
        } else {
            out.push((cur, (i64::from(l) + delta) as u32));
        }
    }
    out
}

/// Git's order of tree entries: by name, a folder's name followed by `/`. Entries of the
/// same name and kind compare equal.
fn git_order(
    a: &gix::objs::tree::EntryRef<'_>,
    b: &gix::objs::tree::EntryRef<'_>,
) -> std::cmp::Ordering {
    fn key<'a>(e: &'a gix::objs::tree::EntryRef<'_>) -> impl Iterator<Item = &'a u8> {
        let slash: &'static [u8] = if e.mode.is_tree() { b"/" } else { b"" };
        e.filename.iter().chain(slash.iter())
    }
    key(a).cmp(key(b))
}

fn short(id: ObjectId) -> String {
    id.to_hex_with_len(7).to_string()
}

/// The files of the catalog at one commit, read from git without a checkout.
pub(crate) struct GitTree {
    hash: gix::hash::Kind,
    shared: gix::ThreadSafeRepository,
    /// Repositories for reading in parallel: a `gix::Repository` is not `Sync`.
    pool: Mutex<Vec<gix::Repository>>,
    files: HashMap<PathBuf, ObjectId>,
    dirs: HashSet<PathBuf>,
    /// The first read that failed (see [`FileSource::broken`]).
    broken: Mutex<Option<String>>,
}

impl GitTree {
    /// Whether `rel` has exactly these bytes in this commit.
    pub(crate) fn holds(&self, rel: &Path, bytes: &[u8]) -> bool {
        self.files.get(rel).is_some_and(|id| {
            gix::objs::compute_hash(self.hash, gix::objs::Kind::Blob, bytes).ok() == Some(*id)
        })
    }
}

impl FileSource for GitTree {
    fn is_file(&self, rel: &Path) -> bool {
        self.files.contains_key(rel)
    }

    fn is_dir(&self, rel: &Path) -> bool {
        self.dirs.contains(rel)
    }

    fn walk(&self, dir: &Path) -> Vec<Walked> {
        self.files
            .keys()
            .filter(|p| {
                p.strip_prefix(dir).is_ok_and(|below| {
                    !below
                        .components()
                        .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
                })
            })
            .map(|p| Walked::File(p.clone()))
            .collect()
    }

    fn read(&self, rel: &Path) -> io::Result<Vec<u8>> {
        let id = self
            .files
            .get(rel)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "not in this revision"))?;
        let data = self.read_blob(*id);
        if let Err(e) = &data {
            if let Ok(mut broken) = self.broken.lock() {
                broken.get_or_insert_with(|| {
                    format!(
                        "cannot read `{}` from git (object {id}): {e}; the repository is damaged: run `git fsck`, or clone it again",
                        rel.display()
                    )
                });
            }
        }
        data
    }

    fn broken(&self) -> Option<String> {
        self.broken.lock().ok().and_then(|b| b.clone())
    }
}

impl GitTree {
    fn read_blob(&self, id: ObjectId) -> io::Result<Vec<u8>> {
        let repo = self
            .pool
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_else(|| self.shared.to_thread_local());
        let data = repo
            .find_object(id)
            .map(|o| o.detach().data)
            .map_err(io::Error::other);
        if let Ok(mut p) = self.pool.lock() {
            p.push(repo);
        }
        data
    }
}

/// The tests' hermetic git, shared with the whole-binary tests.
#[cfg(test)]
#[path = "../tests/cli/hermetic_git.rs"]
mod hermetic_git;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_back_follows_insertions_and_removals() {
        let before = b"a\nb\nc\nd\n";
        let after = b"a\nX\nc\nd\nY\n";
        let pending: Vec<(u32, u32)> = (0..5).map(|l| (l, l)).collect();
        let mut added = Vec::new();
        let kept = map_back(before, after, pending, |c| added.push(c));
        assert_eq!(added, vec![1, 4]);
        assert_eq!(kept, vec![(0, 0), (2, 2), (3, 3)]);

        let before = b"a\nb\nc\n";
        let after = b"c\n";
        let mut added = Vec::new();
        let kept = map_back(before, after, vec![(7, 0)], |c| added.push(c));
        assert!(added.is_empty());
        assert_eq!(kept, vec![(7, 2)]);
    }

    #[test]
    fn last_change_names_the_newest_commit_of_the_lines_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("cat");
        std::fs::create_dir_all(&root).unwrap();
        let file = root.join("teams.yaml");
        std::fs::write(&file, "id: a\nx: 1\n---\nid: b\nx: 1\n").unwrap();
        hermetic_git::init_and_commit(dir.path(), "Add a and b", 0);
        std::fs::write(&file, "id: a\nx: 1\n---\nid: b\nx: 2\n").unwrap();
        hermetic_git::commit_all(dir.path(), "Change b\n\nbody", 10);

        let repo = open(&root).unwrap();
        let path = Path::new("teams.yaml");
        let text = std::fs::read(&file).unwrap();
        let a = repo.last_change(path, &text, 0..2).unwrap().unwrap();
        assert_eq!(a.summary, "Add a and b");
        assert_eq!(a.author, hermetic_git::AUTHOR);
        assert_eq!(a.email, hermetic_git::EMAIL);
        assert_eq!(a.date(), "2024-01-01");
        assert_eq!(a.commit.len(), 40);
        let b = repo.last_change(path, &text, 3..5).unwrap().unwrap();
        assert_eq!(b.summary, "Change b");
        assert_eq!(b.date(), "2024-01-11");
        assert_ne!(a.commit, b.commit);

        // An uncommitted edit: no commit is the last change of those lines.
        let edited = b"id: a\nx: 3\n---\nid: b\nx: 2\n";
        assert_eq!(repo.last_change(path, edited, 0..2).unwrap(), None);
        assert_eq!(
            repo.last_change(path, edited, 3..5)
                .unwrap()
                .map(|c| c.summary),
            Some("Change b".into())
        );
        // A file git has never seen.
        assert_eq!(
            repo.last_change(Path::new("new.yaml"), b"id: c\n", 0..1)
                .unwrap(),
            None
        );
    }

    #[test]
    fn counts_lines_with_or_without_a_final_newline() {
        assert_eq!(line_count(b""), 0);
        assert_eq!(line_count(b"a\n"), 1);
        assert_eq!(line_count(b"a\nb"), 2);
    }
}

//! Where a catalog's files come from: the working tree, or a git revision
//! ([`crate::history::GitTree`]).
//!
//! Loading sees only paths relative to the catalog root, so one loader reads both the
//! files on disk and the files of any commit, without a checkout. Nothing is read outside
//! the root: a path that is absolute or climbs with `..` is refused ([`escapes`]), a
//! symbolic link is followed only when it resolves inside the root, and only regular
//! files are opened (a FIFO or a device would block or never end).

use std::collections::HashSet;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A tree of files below a catalog root. Paths are relative to that root; the empty path
/// is the root itself.
pub(crate) trait FileSource: Sync {
    /// `rel` is a regular file.
    fn is_file(&self, rel: &Path) -> bool;
    /// `rel` is a folder.
    fn is_dir(&self, rel: &Path) -> bool;
    /// Something is at `rel`, perhaps neither a file nor a folder (a FIFO, a device, a
    /// broken link).
    fn exists(&self, rel: &Path) -> bool {
        self.is_file(rel) || self.is_dir(rel)
    }
    /// Every regular file below the folder `dir`, relative to the root, skipping names that
    /// start with a dot below `dir`; in any order. A folder that cannot be read, or a link
    /// that is not followed, is reported and the walk goes on.
    fn walk(&self, dir: &Path) -> Vec<Walked>;
    /// The bytes of the file `rel`.
    fn read(&self, rel: &Path) -> io::Result<Vec<u8>>;
    /// A read that failed in a way that makes the whole tree suspect (a corrupt git
    /// object), as a message naming what could not be read: loading stops on it.
    fn broken(&self) -> Option<String> {
        None
    }
    /// Where a file's text can be read again later (the root, and the folder it must
    /// resolve inside), for a load that frees the texts it has no problem to show in:
    /// the work tree's; a git tree's texts are kept.
    fn reread(&self) -> Option<(Arc<Path>, Arc<Path>)> {
        None
    }
}

/// One item a walk found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Walked {
    /// A regular file, relative to the root.
    File(PathBuf),
    /// A folder that cannot be read: what went wrong.
    Unreadable(String),
    /// A symbolic link that is not followed.
    Skipped(SkippedLink),
    /// A folder the walk read (relative to the root; the walked folder included), so
    /// that a change to what it holds can be told from its metadata.
    Folder(PathBuf),
}

/// A symbolic link a walk did not follow, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SkippedLink {
    /// The link, relative to the root.
    pub(crate) link: PathBuf,
    /// Where it points, as written in the link.
    pub(crate) target: PathBuf,
    pub(crate) reason: SkipReason,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SkipReason {
    /// It resolves outside the catalog root.
    Outside,
    /// It points to nothing.
    Missing,
    /// It points to a folder that contains it.
    Loop,
    /// It points to a folder already read through this other link.
    Again(PathBuf),
}

/// Why `path` (from lore.yaml, a test file, …) would leave the folder it is relative to:
/// `None` when it stays below it.
pub(crate) fn escapes(path: &Path) -> Option<&'static str> {
    let text = path.to_string_lossy();
    if path.has_root() || text.starts_with(['/', '\\']) {
        return Some("is absolute");
    }
    for c in path.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => return Some("is absolute"),
            Component::ParentDir => return Some("climbs out with `..`"),
            Component::CurDir | Component::Normal(_) => {}
        }
    }
    // `\` separates folders on Windows; on unix it is a name character, but a pattern
    // like `..\x` is meant as a climb wherever the file was written.
    if text.split(['/', '\\']).any(|part| part == "..") {
        return Some("climbs out with `..`");
    }
    None
}

/// The files on disk below `root`.
pub(crate) struct WorkTree {
    root: PathBuf,
    /// `root` with every link resolved: what "inside" means.
    canonical: PathBuf,
    /// Folders (relative) already known to resolve inside the root.
    inside: Mutex<HashSet<PathBuf>>,
}

impl WorkTree {
    pub(crate) fn new(root: &Path) -> WorkTree {
        WorkTree {
            root: root.to_path_buf(),
            canonical: root.canonicalize().unwrap_or_else(|_| root.to_path_buf()),
            inside: Mutex::new(HashSet::new()),
        }
    }

    /// The root and the folder a file read again must resolve inside, for
    /// [`crate::span::SourceMap::add_unread`].
    pub(crate) fn read_again(&self) -> (Arc<Path>, Arc<Path>) {
        (
            Arc::from(self.root.as_path()),
            Arc::from(self.canonical.as_path()),
        )
    }

    /// Where `full` resolves, when that is inside the root.
    fn resolves_inside(&self, full: &Path) -> io::Result<PathBuf> {
        let real = full.canonicalize()?;
        if real.starts_with(&self.canonical) {
            Ok(real)
        } else {
            Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "it resolves to `{}`, outside the repository; lore reads only files inside it",
                    real.display()
                ),
            ))
        }
    }

    /// The folder `rel_dir` resolves inside the root (checked once per folder).
    fn dir_inside(&self, rel_dir: &Path) -> io::Result<()> {
        if self.inside.lock().is_ok_and(|s| s.contains(rel_dir)) {
            return Ok(());
        }
        self.resolves_inside(&self.root.join(rel_dir))?;
        if let Ok(mut s) = self.inside.lock() {
            s.insert(rel_dir.to_path_buf());
        }
        Ok(())
    }
}

fn refused(rel: &Path, why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!(
            "the path `{}` {why}; lore reads only files inside the repository",
            rel.display()
        ),
    )
}

fn not_regular() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "it is not a regular file (a FIFO, a device or a folder); lore reads only regular files",
    )
}

impl FileSource for WorkTree {
    fn reread(&self) -> Option<(Arc<Path>, Arc<Path>)> {
        Some(self.read_again())
    }

    fn is_file(&self, rel: &Path) -> bool {
        escapes(rel).is_none() && self.root.join(rel).is_file()
    }

    fn is_dir(&self, rel: &Path) -> bool {
        escapes(rel).is_none() && self.root.join(rel).is_dir()
    }

    fn exists(&self, rel: &Path) -> bool {
        escapes(rel).is_none() && self.root.join(rel).symlink_metadata().is_ok()
    }

    fn walk(&self, dir: &Path) -> Vec<Walked> {
        if let Some(why) = escapes(dir) {
            return vec![Walked::Unreadable(refused(dir, why).to_string())];
        }
        let top = self.root.join(dir);
        let rel = |p: &Path| p.strip_prefix(&self.root).unwrap_or(p).to_path_buf();
        let mut out = Vec::new();
        let mut skipped = Vec::new();
        // Folders entered through a link, by where they resolve: a second link to one is
        // not followed, so links between folders cannot multiply the walk.
        let mut through: Vec<(PathBuf, PathBuf)> = Vec::new();
        let walker = walkdir::WalkDir::new(&top)
            .follow_links(true)
            // By name, as `sort_by_file_name` sorts: a folder's entries share its path
            // up to their names, so their whole paths compare as their names do, without
            // cutting each name out of its path at every comparison (8% of validating
            // a folder of 80,000 files did that).
            .sort_by(|a, b| a.path().as_os_str().cmp(b.path().as_os_str()))
            .into_iter()
            .filter_entry(|e| {
                if e.depth() > 0 && e.file_name().to_string_lossy().starts_with('.') {
                    return false;
                }
                if !(e.path_is_symlink() || e.depth() == 0) {
                    return true;
                }
                let target = std::fs::read_link(e.path()).unwrap_or_else(|_| e.path().into());
                let skip = |reason| SkippedLink {
                    link: rel(e.path()),
                    target: target.clone(),
                    reason,
                };
                let Ok(real) = self.resolves_inside(e.path()) else {
                    skipped.push(skip(SkipReason::Outside));
                    return false;
                };
                if e.depth() > 0 && e.file_type().is_dir() {
                    let contains_link = e
                        .path()
                        .parent()
                        .and_then(|p| p.canonicalize().ok())
                        .is_some_and(|p| p.starts_with(&real));
                    if contains_link {
                        skipped.push(skip(SkipReason::Loop));
                        return false;
                    }
                    if let Some((_, first)) = through.iter().find(|(r, _)| *r == real) {
                        skipped.push(skip(SkipReason::Again(first.clone())));
                        return false;
                    }
                    through.push((real, rel(e.path())));
                }
                true
            });
        for item in walker {
            match item {
                Ok(e) if e.file_type().is_file() => out.push(Walked::File(rel(e.path()))),
                Ok(e) if e.file_type().is_dir() => out.push(Walked::Folder(rel(e.path()))),
                Ok(_) => {}
                Err(e) => {
                    let link = e.path().filter(|p| p.is_symlink());
                    match (link, e.loop_ancestor()) {
                        (Some(link), ancestor) => out.push(Walked::Skipped(SkippedLink {
                            link: rel(link),
                            target: std::fs::read_link(link).unwrap_or_default(),
                            reason: if ancestor.is_some() {
                                SkipReason::Loop
                            } else {
                                SkipReason::Missing
                            },
                        })),
                        (None, _) => {
                            out.push(Walked::Unreadable(format!("cannot read the folder: {e}")));
                        }
                    }
                }
            }
        }
        out.extend(skipped.into_iter().map(Walked::Skipped));
        out
    }

    fn read(&self, rel: &Path) -> io::Result<Vec<u8>> {
        if let Some(why) = escapes(rel) {
            return Err(refused(rel, why));
        }
        let full = self.root.join(rel);
        // One open and one fstat per file on the common path (100,000 files): the open
        // refuses to follow a link and never blocks on a FIFO; a link is checked and
        // then followed.
        let file = match open_no_follow(&full) {
            Ok(file) => file,
            Err(e) if is_link_refused(&e) => {
                if !self.resolves_inside(&full)?.is_file() {
                    return Err(not_regular());
                }
                open_following(&full)?
            }
            Err(e) => return Err(e),
        };
        self.dir_inside(rel.parent().unwrap_or(Path::new("")))?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(not_regular());
        }
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        let mut file = file;
        file.read_to_end(&mut bytes)?;
        Ok(bytes)
    }
}

/// Open `path` for reading without following a final symbolic link and without
/// blocking (a FIFO opens at once and is then refused as not a regular file).
#[cfg(unix)]
fn open_no_follow(path: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
}

/// Elsewhere: refuse a link or anything but a regular file before opening.
#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> io::Result<std::fs::File> {
    let meta = std::fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return Err(io::Error::other(LINK_REFUSED));
    }
    if !meta.is_file() {
        return Err(not_regular());
    }
    std::fs::File::open(path)
}

#[cfg(not(unix))]
const LINK_REFUSED: &str = "a symbolic link";

/// The error `open_no_follow` gives for a symbolic link.
fn is_link_refused(e: &io::Error) -> bool {
    #[cfg(unix)]
    {
        e.raw_os_error() == Some(libc::ELOOP)
    }
    #[cfg(not(unix))]
    {
        e.to_string() == LINK_REFUSED
    }
}

/// Open a checked link's target, still without blocking on a FIFO.
fn open_following(path: &Path) -> io::Result<std::fs::File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
    }
    #[cfg(not(unix))]
    {
        std::fs::File::open(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_leave_the_root_are_named() {
        for p in [
            "/etc/passwd",
            "../elsewhere",
            "a/../../b",
            "../**",
            "a/..",
            "\\x",
        ] {
            assert!(escapes(Path::new(p)).is_some(), "{p}");
        }
        for p in ["catalog", "catalog/**/*.yaml", "./catalog", "a..b/c", ""] {
            assert_eq!(escapes(Path::new(p)), None, "{p}");
        }
    }

    /// Each folder's entries by name, folders among files, at every depth: names that are
    /// prefixes of others, and characters that sort before and after `/` and `.`.
    #[test]
    fn walk_gives_files_in_name_order_folder_by_folder() {
        let dir = crate::load::test_files(&[
            ("c/ab.yaml", ""),
            ("c/ab-x", ""),
            ("c/ab/z", ""),
            ("c/ab/a", ""),
            ("c/a", ""),
            ("c/abc", ""),
            ("c/B", ""),
            ("c/ab0/q", ""),
        ]);
        let files: Vec<String> = WorkTree::new(dir.path())
            .walk(Path::new("c"))
            .into_iter()
            .filter_map(|w| match w {
                Walked::File(p) => Some(p.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect();
        assert_eq!(
            files,
            [
                "c/B",
                "c/a",
                "c/ab/a",
                "c/ab/z",
                "c/ab-x",
                "c/ab.yaml",
                "c/ab0/q",
                "c/abc"
            ]
        );
    }

    #[test]
    fn read_refuses_paths_outside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("root")).unwrap();
        std::fs::write(dir.path().join("secret"), "s").unwrap();
        let tree = WorkTree::new(&dir.path().join("root"));
        let e = tree.read(Path::new("../secret")).unwrap_err();
        assert!(e.to_string().contains("`..`"), "{e}");
        let e = tree.read(&dir.path().join("secret")).unwrap_err();
        assert!(e.to_string().contains("absolute"), "{e}");
        assert!(!tree.is_file(Path::new("../secret")));
    }

    #[cfg(unix)]
    #[test]
    fn read_follows_links_only_inside_the_root_and_opens_only_regular_files() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(dir.path().join("secret"), "s").unwrap();
        std::fs::write(root.join("sub/in.yaml"), "in").unwrap();
        symlink(dir.path().join("secret"), root.join("out.yaml")).unwrap();
        symlink("sub/in.yaml", root.join("in.yaml")).unwrap();
        symlink(dir.path(), root.join("up")).unwrap();
        symlink("/dev/null", root.join("null.yaml")).unwrap();
        let tree = WorkTree::new(&root);
        assert_eq!(tree.read(Path::new("in.yaml")).unwrap(), b"in");
        let e = tree.read(Path::new("out.yaml")).unwrap_err();
        assert!(e.to_string().contains("outside the repository"), "{e}");
        let e = tree.read(Path::new("up/secret")).unwrap_err();
        assert!(e.to_string().contains("outside the repository"), "{e}");
        let e = tree.read(Path::new("null.yaml")).unwrap_err();
        assert!(e.to_string().contains("outside the repository"), "{e}");
        let fifo = root.join("pipe.yaml");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            symlink("pipe.yaml", root.join("to-pipe.yaml")).unwrap();
            for name in ["pipe.yaml", "to-pipe.yaml"] {
                let e = tree.read(Path::new(name)).unwrap_err();
                assert!(e.to_string().contains("not a regular file"), "{e}");
            }
            assert!(!tree
                .walk(Path::new(""))
                .contains(&Walked::File("pipe.yaml".into())));
        }
    }

    #[cfg(unix)]
    #[test]
    fn walk_reports_links_it_does_not_follow_and_ends_on_loops() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        let cat = root.join("catalog");
        std::fs::create_dir_all(cat.join("a")).unwrap();
        std::fs::create_dir_all(dir.path().join("outside")).unwrap();
        std::fs::write(dir.path().join("outside/x.yaml"), "x").unwrap();
        std::fs::write(cat.join("a/e.yaml"), "e").unwrap();
        symlink(dir.path().join("outside"), cat.join("out")).unwrap();
        symlink("..", cat.join("a/loop")).unwrap();
        symlink("nowhere.yaml", cat.join("gone.yaml")).unwrap();
        symlink("a", cat.join("l1")).unwrap();
        symlink("a", cat.join("l2")).unwrap();
        let tree = WorkTree::new(&root);
        let mut found = tree.walk(Path::new("catalog"));
        found.sort_by_key(|w| format!("{w:?}"));
        let files: Vec<&Walked> = found
            .iter()
            .filter(|w| matches!(w, Walked::File(_)))
            .collect();
        assert_eq!(
            files,
            [
                &Walked::File("catalog/a/e.yaml".into()),
                &Walked::File("catalog/l1/e.yaml".into())
            ]
        );
        let reasons: Vec<(String, &SkipReason)> = found
            .iter()
            .filter_map(|w| match w {
                Walked::Skipped(s) => Some((s.link.display().to_string(), &s.reason)),
                _ => None,
            })
            .collect();
        assert!(
            reasons.contains(&("catalog/out".into(), &SkipReason::Outside)),
            "{reasons:?}"
        );
        assert!(
            reasons.contains(&("catalog/gone.yaml".into(), &SkipReason::Missing)),
            "{reasons:?}"
        );
        assert!(
            reasons.contains(&("catalog/a/loop".into(), &SkipReason::Loop)),
            "{reasons:?}"
        );
        assert!(
            reasons.contains(&("catalog/l2".into(), &SkipReason::Again("catalog/l1".into()))),
            "{reasons:?}"
        );
    }
}

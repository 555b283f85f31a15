//! Where a catalog's files come from: the working tree, or a git revision
//! ([`crate::history::GitTree`]).
//!
//! Loading sees only paths relative to the catalog root, so one loader reads both the
//! files on disk and the files of any commit, without a checkout.

use std::io;
use std::path::{Path, PathBuf};

/// A tree of files below a catalog root. Paths are relative to that root; the empty path
/// is the root itself.
pub trait FileSource: Sync {
    /// `rel` is a regular file.
    fn is_file(&self, rel: &Path) -> bool;
    /// `rel` is a folder.
    fn is_dir(&self, rel: &Path) -> bool;
    /// Every regular file below the folder `dir`, relative to the root, skipping names that
    /// start with a dot below `dir`; in any order. A folder that cannot be read gives an
    /// error message and the walk goes on.
    fn walk(&self, dir: &Path) -> Vec<Result<PathBuf, String>>;
    /// The bytes of the file `rel`.
    fn read(&self, rel: &Path) -> io::Result<Vec<u8>>;
}

/// The files on disk below `root`.
pub struct WorkTree {
    root: PathBuf,
}

impl WorkTree {
    pub fn new(root: &Path) -> WorkTree {
        WorkTree {
            root: root.to_path_buf(),
        }
    }
}

impl FileSource for WorkTree {
    fn is_file(&self, rel: &Path) -> bool {
        self.root.join(rel).is_file()
    }

    fn is_dir(&self, rel: &Path) -> bool {
        self.root.join(rel).is_dir()
    }

    fn walk(&self, dir: &Path) -> Vec<Result<PathBuf, String>> {
        let walker = walkdir::WalkDir::new(self.root.join(dir))
            .follow_links(false)
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        let mut out = Vec::new();
        for item in walker {
            match item {
                Ok(e) if e.file_type().is_file() => out.push(Ok(e
                    .path()
                    .strip_prefix(&self.root)
                    .unwrap_or(e.path())
                    .to_path_buf())),
                Ok(_) => {}
                Err(e) => out.push(Err(format!("cannot read the folder: {e}"))),
            }
        }
        out
    }

    fn read(&self, rel: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(self.root.join(rel))
    }
}

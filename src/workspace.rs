//! Finding the catalog repository's root, the way git and cargo find theirs.

use std::path::{Path, PathBuf};

/// The file that marks a catalog root.
pub(crate) const CONFIG_FILE: &str = "lore.yaml";

/// Why no catalog root was found (exit 2).
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error("cannot read `{}`: {source}", start.display())]
    Unreadable {
        start: PathBuf,
        source: std::io::Error,
    },
    #[error("no catalog repository here: neither `{}` nor any folder above it has `{CONFIG_FILE}` or both `schemas/` and `catalog/`; run lore inside a catalog repository, or pass `--root DIR`", start.display())]
    NotFound { start: PathBuf },
}

/// Walk up from `start` to the first folder with `lore.yaml`; failing that, the first with
/// both `schemas/` and `catalog/`.
pub(crate) fn find_root(start: &Path) -> Result<PathBuf, Error> {
    let start = start.canonicalize().map_err(|source| Error::Unreadable {
        start: start.to_path_buf(),
        source,
    })?;
    if let Some(found) = start.ancestors().find(|d| d.join(CONFIG_FILE).is_file()) {
        return Ok(found.to_path_buf());
    }
    if let Some(found) = start
        .ancestors()
        .find(|d| d.join("schemas").is_dir() && d.join("catalog").is_dir())
    {
        return Ok(found.to_path_buf());
    }
    Err(Error::NotFound { start })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_nearest_config_above() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir_all(root.join("catalog/deep/er")).unwrap();
        std::fs::write(root.join(CONFIG_FILE), "").unwrap();
        let found = find_root(&root.join("catalog/deep/er")).unwrap();
        assert_eq!(found, root.canonicalize().unwrap());
    }

    #[test]
    fn falls_back_to_schemas_and_catalog() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("schemas")).unwrap();
        std::fs::create_dir_all(dir.path().join("catalog/x")).unwrap();
        let found = find_root(&dir.path().join("catalog/x")).unwrap();
        assert_eq!(found, dir.path().canonicalize().unwrap());
    }

    #[test]
    fn says_what_to_do_when_nothing_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let err = find_root(dir.path()).unwrap_err();
        assert!(matches!(err, Error::NotFound { .. }), "{err}");
        assert!(err.to_string().contains("lore.yaml"), "{err}");
    }
}

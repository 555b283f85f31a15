//! Writing files so that a reader never sees half of one: the bytes go to a temporary
//! file in the target's own folder (same filesystem), which is then renamed over the
//! target. An interrupted run leaves either the old file or the new one, never a mix.
//!
//! Two flavours: [`write_atomic`] replaces the target (for files lore owns, like
//! generated schemas), [`create_atomic`] refuses when the target exists (for files that
//! become the user's, like the ones `lore init` writes), without a check-then-write race.

use std::io::{self, Write};
use std::path::Path;

/// Write `bytes` to `path`, replacing it if it exists. Creates missing parent folders.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = staged(path, bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Write `bytes` to a new file at `path`; fails with [`io::ErrorKind::AlreadyExists`]
/// when something is already there. Creates missing parent folders.
pub fn create_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = staged(path, bytes)?;
    tmp.persist_noclobber(path).map_err(|e| e.error)?;
    Ok(())
}

/// The bytes in a temporary file beside `path`, flushed to disk.
fn staged(path: &Path, bytes: &[u8]) -> io::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".lore-tmp-");
    // Temporary files are private (0600) by default; these become ordinary files, so
    // they get the mode any new file gets (0666 less the umask).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    Ok(tmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".lore-tmp-"))
            .collect()
    }

    #[test]
    fn write_replaces_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b/x.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert!(leftovers(p.parent().unwrap()).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn files_are_not_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        create_atomic(&p, b"x").unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode();
        // Readable by the group and others unless the umask forbids it.
        let umask_allows_read = {
            let probe = dir.path().join("probe");
            std::fs::write(&probe, "").unwrap();
            std::fs::metadata(&probe).unwrap().permissions().mode() & 0o044
        };
        assert_eq!(mode & 0o044, umask_allows_read, "{mode:o}");
        assert_eq!(mode & 0o600, 0o600);
    }

    #[test]
    fn create_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.yaml");
        std::fs::write(&p, "mine").unwrap();
        let err = create_atomic(&p, b"theirs").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&p).unwrap(), b"mine");
        assert!(leftovers(dir.path()).is_empty());
        create_atomic(&dir.path().join("new.yaml"), b"new").unwrap();
        assert_eq!(std::fs::read(dir.path().join("new.yaml")).unwrap(), b"new");
    }
}

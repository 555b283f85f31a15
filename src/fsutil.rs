//! Files and paths: writing files so that a reader never sees half of one, and showing
//! paths with one separator.
//!
//! The bytes go to a temporary file in the target's own folder (same filesystem), which
//! is then renamed over the target. An interrupted run leaves either the old file or the
//! new one, never a mix, plus at worst a temporary file named `.lore-tmp-PID-…` (the
//! process that wrote it), which [`remove_stale_temp_files`] clears later.
//!
//! Two flavours: [`write_atomic`] replaces the target (for files lore owns, like
//! generated schemas), [`create_atomic`] refuses when the target exists (for files that
//! become the user's, like the ones `lore init` writes), without a check-then-write race.

use std::io::{self, Write};
use std::path::Path;
use std::time::{Duration, SystemTime};

/// The start of every temporary file lore writes.
pub(crate) const TEMP_PREFIX: &str = ".lore-tmp-";

/// `path` with `/` between folders, as lore shows and compares paths everywhere. Only
/// Windows separates folders with `\`; on unix it is a character of a file name and
/// stays as it is.
pub(crate) fn slashed(path: &Path) -> String {
    let text = path.to_string_lossy();
    if cfg!(windows) {
        text.replace('\\', "/")
    } else {
        text.into_owned()
    }
}

/// Write `bytes` to `path`, replacing it if it exists. Creates missing parent folders.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = staged(path, bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Write `bytes` to a new file at `path`; fails with [`io::ErrorKind::AlreadyExists`]
/// when something is already there. Creates missing parent folders.
pub(crate) fn create_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = staged(path, bytes)?;
    tmp.persist_noclobber(path).map_err(|e| e.error)?;
    Ok(())
}

/// [`write_atomic`] for content made in pieces, which `fill` writes into the temporary
/// file (buffered), so it is never all in memory at once: a 300 MB cache.
pub(crate) fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let mut tmp = temp_beside(path)?;
    {
        let mut w = io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        fill(&mut w)?;
        w.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The bytes in a temporary file beside `path`, flushed to disk.
fn staged(path: &Path, bytes: &[u8]) -> io::Result<tempfile::NamedTempFile> {
    let mut tmp = temp_beside(path)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    Ok(tmp)
}

/// A new, empty temporary file beside `path` (its folder created when missing).
fn temp_beside(path: &Path) -> io::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mut builder = tempfile::Builder::new();
    let prefix = format!("{TEMP_PREFIX}{}-", std::process::id());
    builder.prefix(&prefix);
    // Temporary files are private (0600) by default; these become ordinary files, so
    // they get the mode any new file gets (0666 less the umask).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

/// lore's temporary files in `dir` that no running lore is writing: left by a run that
/// was killed mid-write. Sorted names.
pub(crate) fn stale_temp_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_owned();
            let rest = name.strip_prefix(TEMP_PREFIX)?;
            let age = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| SystemTime::now().duration_since(t).ok());
            is_stale(rest, age).then_some(name)
        })
        .collect();
    out.sort();
    out
}

/// `rest` is a temporary file's name after [`TEMP_PREFIX`]: `PID-random`, or only
/// `random` from a lore that did not name the writer yet. A file is stale when its writer is
/// gone: not this process, and (where that can be told) no process of that id runs, or
/// the file is older than any write takes.
fn is_stale(rest: &str, age: Option<Duration>) -> bool {
    if rest.is_empty() || !rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return false; // not a name lore makes
    }
    let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
    let Some(pid) = pid else {
        return true;
    };
    if pid == std::process::id() {
        return false;
    }
    let gone = cfg!(target_os = "linux")
        && Path::new("/proc/self").exists()
        && !Path::new(&format!("/proc/{pid}")).exists();
    gone || age.is_some_and(|a| a > Duration::from_secs(60))
}

/// Remove [`stale_temp_files`] from `dir`; returns the names removed.
pub(crate) fn remove_stale_temp_files(dir: &Path) -> io::Result<Vec<String>> {
    let stale = stale_temp_files(dir);
    for name in &stale {
        match std::fs::remove_file(dir.join(name)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(stale)
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
    fn temporary_files_name_their_writer_and_stale_ones_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let own = staged(&dir.path().join("x.json"), b"x").unwrap();
        let own_name = own
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(
            own_name.starts_with(&format!("{TEMP_PREFIX}{}-", std::process::id())),
            "{own_name}"
        );
        // Killed writers: one from an older lore (no id), one with an id long gone.
        std::fs::write(dir.path().join(".lore-tmp-AbC123"), "half").unwrap();
        std::fs::write(dir.path().join(".lore-tmp-4294967295-AbC123"), "half").unwrap();
        std::fs::write(dir.path().join("kept.json"), "{}").unwrap();
        let removed = remove_stale_temp_files(dir.path()).unwrap();
        assert_eq!(
            removed.len(),
            if cfg!(target_os = "linux") { 2 } else { 1 },
            "{removed:?}"
        );
        let mut left = leftovers(dir.path());
        left.sort();
        assert!(
            left.contains(&own_name),
            "a running write is not stale: {left:?}"
        );
        assert!(dir.path().join("kept.json").exists());
        assert!(is_stale("123-x", Some(Duration::from_secs(3600))));
        assert!(!is_stale("notes\u{1b}[2J", None), "not a name lore makes");
        assert!(!is_stale(
            &format!("{}-x", std::process::id()),
            Some(Duration::from_secs(3600))
        ));
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

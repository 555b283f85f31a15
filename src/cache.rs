//! A cache of per-file check results, so queries at 3 a.m. do not re-parse 100,000
//! entries of YAML.
//!
//! Checking a file (parse, schema, rules) is a pure function of its text, the type
//! definitions and lore.yaml; everything that spans files (ids, references, cycles) is
//! recomputed on every load. So a file's result is cached under a hash of its content,
//! in a cache whose key hashes lore's version, lore.yaml and every type file: any change
//! there discards the whole cache. A wrong or unreadable cache is only ever a miss.
//!
//! One file per catalog root in `$LORE_CACHE_DIR`, else `$XDG_CACHE_HOME/lore`, else
//! `$HOME/.cache/lore`; `LORE_NO_CACHE=1` turns it off. The file is JSON lines (a header,
//! then one record per entry file), read and decoded in parallel, written atomically.
//!
//! The cache is never trusted, since anything can be at its path:
//! - only a regular file is read (not a symlink, FIFO or device; on unix it is opened
//!   with `O_NONBLOCK | O_NOFOLLOW`, so a FIFO swapped in after the check cannot block),
//!   and at most [`limit`] of it (four times the catalog's YAML, at least 256 MiB): a
//!   larger one is ignored, and not written either;
//! - each record carries a checksum keyed by the cache key and the file's content hash,
//!   so an edited record, or one copied from another catalog's cache, is a miss;
//! - whatever is wrong, the result is a miss, and the file is then rewritten.

use std::collections::HashMap;
use std::hash::Hasher;
use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::diag::{Code, Diag, Loc, Related, Severity};
use crate::model::entry::Entry;
use crate::model::TypeId;
use crate::span::FileId;

const FORMAT: u32 = 2;

/// The largest cache read or written for a small catalog, in bytes; see [`limit`].
pub(crate) const MAX_BYTES: u64 = 256 << 20;

/// The largest cache read or written for a catalog of `yaml_bytes` of entry files: four
/// times that (a record holds a file's entries as JSON, and its problems), at least
/// [`MAX_BYTES`]. A million entries (220 MB of YAML, a 300 MB cache) stay cached, and a
/// huge file at the cache's path is still never read.
pub(crate) fn limit(yaml_bytes: u64) -> u64 {
    yaml_bytes.saturating_mul(4).max(MAX_BYTES)
}

/// A content hash: SipHash-1-3 of the bytes, with their length in the high bits (one
/// pass over the text; a collision needs equal lengths and a 64-bit clash).
pub(crate) fn content_hash(bytes: &[u8]) -> u128 {
    #[allow(deprecated)]
    let mut h = std::hash::SipHasher::new_with_keys(0x6c6f7265, 0x6361636865);
    h.write(bytes);
    (u128::from(bytes.len() as u64) << 64) | u128::from(h.finish())
}

/// The checksum of a record: keyed by the cache key and the file's content hash, so it
/// only matches that record, under that key, for that content.
fn seal(key: u128, hash: u128, record: &str) -> u128 {
    #[allow(deprecated)]
    let mut h = std::hash::SipHasher::new_with_keys(key as u64, (key >> 64) as u64);
    h.write_u128(hash);
    h.write(record.as_bytes());
    (u128::from(record.len() as u64) << 64) | u128::from(h.finish())
}

/// Where the cache of the catalog at `root` lives, if caching is on.
pub(crate) fn location(root: &Path) -> Option<PathBuf> {
    if std::env::var_os("LORE_NO_CACHE").is_some_and(|v| !v.is_empty()) {
        return None;
    }
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let dir = env("LORE_CACHE_DIR")
        .or_else(|| env("XDG_CACHE_HOME").map(|d| d.join("lore")))
        .or_else(|| env("HOME").map(|d| d.join(".cache").join("lore")))?;
    let name = format!(
        "{:032x}.jsonl",
        content_hash(root.as_os_str().as_encoded_bytes())
    );
    Some(dir.join(name))
}

/// The user's cache for the catalog at `root` (not read yet: `catalog::load_with_cache`
/// opens it under the catalog's key).
pub(crate) fn user_cache(root: &Path) -> Option<Cache> {
    location(root).map(|path| Cache {
        path,
        key: 0,
        max_bytes: MAX_BYTES,
        text: String::new(),
        records: HashMap::new(),
    })
}

/// A loaded cache: content hash -> its record's checksum and where the encoded record
/// is in `text` (checked and decoded on use).
pub(crate) struct Cache {
    pub(crate) path: PathBuf,
    pub(crate) key: u128,
    /// The largest file read or written.
    max_bytes: u64,
    text: String,
    records: HashMap<u128, (u128, Range<usize>)>,
}

impl Cache {
    /// Open the cache at `path`; an absent, stale, unreadable, oversized or irregular
    /// one is empty.
    pub(crate) fn open(path: PathBuf, key: u128, max_bytes: u64) -> Cache {
        let mut cache = Cache {
            path,
            key,
            max_bytes,
            text: String::new(),
            records: HashMap::new(),
        };
        let Some(text) = read_regular(&cache.path, max_bytes) else {
            return cache;
        };
        let Some((header, body)) = text.split_once('\n') else {
            return cache;
        };
        let fresh = serde_json::from_str::<Value>(header).is_ok_and(|h| {
            h["format"] == FORMAT && h["key"].as_str() == Some(&format!("{key:032x}"))
        });
        if !fresh {
            return cache;
        }
        let base = header.len() + 1;
        let mut records = HashMap::with_capacity(body.bytes().filter(|&b| b == b'\n').count());
        let mut at = base;
        for line in body.split_inclusive('\n') {
            let start = at;
            at += line.len();
            let line = line.trim_end_matches('\n');
            // `<32 hex digits: content hash> <32 hex digits: checksum> <record>`
            let (Some(hash), Some(sum)) = (line.get(..32), line.get(33..65)) else {
                continue;
            };
            if line.get(32..33) != Some(" ") || line.get(65..66) != Some(" ") {
                continue;
            }
            if let (Ok(hash), Ok(sum)) = (
                u128::from_str_radix(hash, 16),
                u128::from_str_radix(sum, 16),
            ) {
                records.insert(hash, (sum, start + 66..start + line.len()));
            }
        }
        cache.records = records;
        cache.text = text;
        cache
    }

    /// The record for content hash `hash`, if there is one and its checksum holds.
    pub(crate) fn get(&self, hash: u128) -> Option<&str> {
        let (sum, range) = self.records.get(&hash)?;
        let record = self.text.get(range.clone())?;
        (seal(self.key, hash, record) == *sum).then_some(record)
    }

    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Write `records` (content hash, encoded record) as the new cache, atomically.
    /// Failure to write a cache is not worth an error: the next run is just slower.
    pub(crate) fn save(&self, records: &[(u128, String)]) {
        let header = json!({"format": FORMAT, "key": format!("{:032x}", self.key), "lore": env!("CARGO_PKG_VERSION")});
        let header = format!("{header}\n");
        // `<hash> <checksum> <record>\n`: 32 + 1 + 32 + 1 bytes before the record.
        let size = records
            .iter()
            .map(|(_, record)| 67 + record.len() as u64)
            .fold(header.len() as u64, u64::saturating_add);
        if size > self.max_bytes {
            return; // it would not be read
        }
        let _ = crate::fsutil::write_atomic_with(&self.path, |w| {
            w.write_all(header.as_bytes())?;
            for (hash, record) in records {
                let sum = seal(self.key, *hash, record);
                writeln!(w, "{hash:032x} {sum:032x} {record}")?;
            }
            Ok(())
        });
    }
}

/// The text of the regular file at `path`, if it is one of at most `max` bytes of UTF-8.
fn read_regular(path: &Path, max: u64) -> Option<String> {
    let regular = |m: &std::fs::Metadata| m.is_file() && m.len() <= max;
    if !regular(&std::fs::symlink_metadata(path).ok()?) {
        return None;
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW);
    }
    let file = options.open(path).ok()?;
    // What was opened, which may not be what was checked.
    if !regular(&file.metadata().ok()?) {
        return None;
    }
    let mut text = String::new();
    file.take(max.saturating_add(1))
        .read_to_string(&mut text)
        .ok()?;
    (text.len() as u64 <= max).then_some(text)
}

/// Encode one file's check result. Every location in it is in that file.
pub(crate) fn encode(
    types: &[crate::model::TypeDef],
    entries: &[Entry],
    problems: &[Diag],
) -> String {
    // Borrowed tuples: serializing the values in place, without copying them.
    let entries: Vec<(&str, &str, usize, usize, usize, &Value)> = entries
        .iter()
        .map(|e| {
            let t = types[e.type_id.index()].name.as_str();
            (t, e.id.as_str(), e.doc, e.span.start, e.span.end, &e.value)
        })
        .collect();
    let problems: Vec<Value> = problems.iter().map(encode_diag).collect();
    #[derive(serde::Serialize)]
    struct Record<'a> {
        e: Vec<(&'a str, &'a str, usize, usize, usize, &'a Value)>,
        p: Vec<Value>,
    }
    serde_json::to_string(&Record {
        e: entries,
        p: problems,
    })
    .unwrap_or_default()
}

fn encode_loc(loc: &Loc) -> Value {
    match loc {
        Loc::None => json!(null),
        Loc::File(_) => json!({"f": true}),
        Loc::Span(_, s) => json!({"s": [s.start, s.end]}),
        Loc::Pointer {
            doc, pointer, key, ..
        } => json!({"d": doc, "p": pointer, "k": key}),
    }
}

fn encode_diag(d: &Diag) -> Value {
    json!({
        "c": d.code.name(),
        "w": d.severity == Severity::Warning,
        "m": d.message,
        "l": encode_loc(&d.loc),
        "b": d.label,
        "h": d.help,
        "n": d.entry,
        "r": d.related.iter().map(|r| json!([encode_loc(&r.loc), r.label])).collect::<Vec<_>>(),
    })
}

/// Decode a record for `file`; None if it does not fit this catalog (then it is a miss).
pub(crate) fn decode(
    record: &str,
    file: FileId,
    type_by_name: &HashMap<String, TypeId>,
) -> Option<(Vec<Entry>, Vec<Diag>)> {
    let mut v: Value = serde_json::from_str(record).ok()?;
    let mut entries = Vec::new();
    for e in v.get_mut("e")?.as_array_mut()? {
        let [t, id, doc, start, end, value] = e.as_array_mut()?.as_mut_slice() else {
            return None;
        };
        entries.push(Entry {
            type_id: *type_by_name.get(t.as_str()?)?,
            id: id.as_str()?.to_owned(),
            value: value.take(),
            file,
            doc: usize::try_from(doc.as_u64()?).ok()?,
            span: usize::try_from(start.as_u64()?).ok()?..usize::try_from(end.as_u64()?).ok()?,
        });
    }
    let mut problems = Vec::new();
    for p in v.get("p")?.as_array()? {
        problems.push(decode_diag(p, file)?);
    }
    Some((entries, problems))
}

fn decode_loc(v: &Value, file: FileId) -> Option<Loc> {
    if v.is_null() {
        return Some(Loc::None);
    }
    if v.get("f").is_some() {
        return Some(Loc::File(file));
    }
    if let Some(s) = v.get("s") {
        let start = usize::try_from(s.get(0)?.as_u64()?).ok()?;
        let end = usize::try_from(s.get(1)?.as_u64()?).ok()?;
        return Some(Loc::Span(file, start..end));
    }
    Some(Loc::Pointer {
        file,
        doc: usize::try_from(v.get("d")?.as_u64()?).ok()?,
        pointer: v.get("p")?.as_str()?.to_owned(),
        key: v.get("k")?.as_bool()?,
    })
}

fn decode_diag(v: &Value, file: FileId) -> Option<Diag> {
    let name = v.get("c")?.as_str()?;
    let code = *Code::ALL.iter().find(|c| c.name() == name)?;
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let mut related = Vec::new();
    for r in v.get("r")?.as_array()? {
        related.push(Related {
            loc: decode_loc(r.get(0)?, file)?,
            label: r.get(1)?.as_str()?.to_owned(),
        });
    }
    Some(Diag {
        code,
        severity: if v.get("w")?.as_bool()? {
            Severity::Warning
        } else {
            Severity::Error
        },
        message: text("m")?,
        loc: decode_loc(v.get("l")?, file)?,
        label: text("b"),
        help: text("h"),
        entry: text("n"),
        related,
    })
}

#[cfg(test)]
mod tests {
    use crate::graph;

    fn write(dir: &std::path::Path, files: &[(&str, &str)]) {
        for (path, content) in files {
            let p = dir.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, content).unwrap();
        }
    }

    fn summary(c: &graph::Catalog) -> Vec<String> {
        let mut out: Vec<String> = c
            .entries()
            .map(|(_, e)| format!("{:?} {} {}", e.span, e.id, e.value))
            .collect();
        out.extend(
            c.problems
                .iter()
                .map(|d| format!("{} {:?} {} {:?}", d.code, d.loc, d.message, d.help)),
        );
        out
    }

    #[test]
    fn a_second_load_comes_from_the_cache_and_is_identical() {
        let repo = tempfile::tempdir().unwrap();
        let cache_dir = tempfile::tempdir().unwrap();
        write(
            repo.path(),
            &[
                (
                    "schemas/team.yaml",
                    "type: Team\nschema:\n  properties:\n    size: {type: integer}\n",
                ),
                (
                    "catalog/a.yaml",
                    "type: Team\nid: a\nsize: x\n---\ntype: Team\nid: b\n",
                ),
                ("catalog/b.yaml", "type: Team\nid: c\nbogus: 1\n"),
            ],
        );
        let path = repo.path().canonicalize().unwrap();
        let open = || {
            let location = cache_dir.path().join("c.jsonl");
            super::Cache::open(location, 7, super::MAX_BYTES)
        };
        let first = crate::load::load_with_cache(&path, Some(open())).unwrap();
        assert_eq!(first.cache_hits, 0);
        assert_eq!(first.problems.len(), 2);
        let second = crate::load::load_with_cache(&path, Some(open())).unwrap();
        assert_eq!(second.cache_hits, 2);
        assert_eq!(summary(&first), summary(&second));

        // A changed file is checked again; the other still comes from the cache.
        write(repo.path(), &[("catalog/b.yaml", "type: Team\nid: c\n")]);
        let third = crate::load::load_with_cache(&path, Some(open())).unwrap();
        assert_eq!(third.cache_hits, 1);
        assert_eq!(third.problems.len(), 1);

        // A changed type definition discards every record.
        write(
            repo.path(),
            &[("schemas/team.yaml", "type: Team\nadditional_fields: true\n")],
        );
        let fourth = crate::load::load_with_cache(&path, Some(open())).unwrap();
        assert_eq!(fourth.cache_hits, 0);
        assert_eq!(fourth.problems.len(), 0);
    }

    #[test]
    fn a_corrupt_cache_is_a_miss_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        std::fs::write(
            &path,
            "{\"format\":2,\"key\":\"00000000000000000000000000000007\"}\nzz not a record\n",
        )
        .unwrap();
        let cache = super::Cache::open(path, 7, super::MAX_BYTES);
        assert!(cache.is_empty());
        let types = std::collections::HashMap::new();
        assert!(super::decode("{\"e\": 5}", crate::span::FileId(0), &types).is_none());
    }

    /// A catalog with one invalid entry, its cache folder, and where its cache is.
    fn invalid_catalog() -> (tempfile::TempDir, tempfile::TempDir, std::path::PathBuf) {
        let repo = tempfile::tempdir().unwrap();
        write(
            repo.path(),
            &[
                (
                    "schemas/team.yaml",
                    "type: Team\nschema:\n  properties:\n    size: {type: integer}\n",
                ),
                ("catalog/a.yaml", "type: Team\nid: a\nsize: x\n"),
            ],
        );
        let cache_dir = tempfile::tempdir().unwrap();
        let location = cache_dir.path().join("c.jsonl");
        (repo, cache_dir, location)
    }

    fn load(repo: &std::path::Path, location: &std::path::Path) -> graph::Catalog {
        let path = repo.canonicalize().unwrap();
        let cache = super::Cache::open(location.to_path_buf(), 7, super::MAX_BYTES);
        crate::load::load_with_cache(&path, Some(cache)).unwrap()
    }

    #[test]
    fn an_edited_record_is_a_miss() {
        let (repo, _dir, location) = invalid_catalog();
        assert_eq!(load(repo.path(), &location).problems.len(), 1);
        let good = std::fs::read_to_string(&location).unwrap();
        assert_eq!(load(repo.path(), &location).cache_hits, 1);

        // Well-formed, its content changed to say the entry is fine: the checksum fails.
        let (header, line) = good.split_once('\n').unwrap();
        let start = line.find("\"p\":[").unwrap();
        let forged = format!("{header}\n{}\"p\":[]}}\n", &line[..start]);
        std::fs::write(&location, &forged).unwrap();
        let c = load(repo.path(), &location);
        assert_eq!(c.cache_hits, 0);
        assert_eq!(c.problems.len(), 1, "the entry is still invalid");
        // ... and the cache was rewritten.
        assert_eq!(std::fs::read_to_string(&location).unwrap(), good);

        // The checksum itself edited.
        let broken = good.replacen(&line[33..65], &"0".repeat(32), 1);
        assert_ne!(broken, good);
        std::fs::write(&location, broken).unwrap();
        let c = load(repo.path(), &location);
        assert_eq!((c.cache_hits, c.problems.len()), (0, 1));

        // A record sealed under another key.
        let other = super::Cache::open(location.clone(), 8, super::MAX_BYTES);
        let hash = u128::from_str_radix(&line[..32], 16).unwrap();
        let record = &line[66..];
        other.save(&[(hash, record.to_owned())]);
        let reopened = super::Cache::open(location.clone(), 7, super::MAX_BYTES);
        assert!(reopened.get(hash).is_none());
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_device_or_symlink_at_the_cache_path_is_a_miss_and_never_blocks() {
        let (repo, dir, location) = invalid_catalog();
        let status = std::process::Command::new("mkfifo")
            .arg(&location)
            .status()
            .unwrap();
        assert!(status.success());
        let (done, finished) = std::sync::mpsc::channel();
        let repo_path = repo.path().to_path_buf();
        let at = location.clone();
        std::thread::spawn(move || {
            let c = load(&repo_path, &at);
            done.send((c.cache_hits, c.problems.len())).unwrap();
        });
        let got = finished
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("a FIFO at the cache path must not block");
        assert_eq!(got, (0, 1));
        // The FIFO was replaced by a real cache.
        assert!(std::fs::symlink_metadata(&location).unwrap().is_file());
        assert_eq!(load(repo.path(), &location).cache_hits, 1);

        for target in ["/dev/zero", "/dev/null"] {
            let link = dir.path().join("link.jsonl");
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(target, &link).unwrap();
            assert!(super::Cache::open(link.clone(), 7, super::MAX_BYTES).is_empty());
            assert!(super::read_regular(&link, super::MAX_BYTES).is_none());
        }
    }

    #[test]
    fn an_oversized_cache_is_a_miss_without_being_read() {
        let (repo, _dir, location) = invalid_catalog();
        load(repo.path(), &location);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&location)
            .unwrap();
        // Sparse: no disk used, but larger than anything lore would read.
        file.set_len(super::MAX_BYTES + 1).unwrap();
        drop(file);
        assert!(super::read_regular(&location, super::MAX_BYTES).is_none());
        let c = load(repo.path(), &location);
        assert_eq!((c.cache_hits, c.problems.len()), (0, 1));
        assert!(std::fs::metadata(&location).unwrap().len() < 1 << 20);
    }

    #[test]
    fn a_cache_is_written_only_when_it_fits_its_limit_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let records = vec![(1u128, "one".to_owned()), (2u128, "second".to_owned())];
        let path = dir.path().join("c.jsonl");
        super::Cache::open(path.clone(), 7, super::MAX_BYTES).save(&records);
        let size = std::fs::metadata(&path).unwrap().len();
        let reopened = super::Cache::open(path.clone(), 7, super::MAX_BYTES);
        assert_eq!(
            (reopened.get(1), reopened.get(2)),
            (Some("one"), Some("second"))
        );
        // Exactly its size fits; a byte less and nothing is written.
        let exact = dir.path().join("exact.jsonl");
        super::Cache::open(exact.clone(), 7, size).save(&records);
        assert_eq!(std::fs::metadata(&exact).unwrap().len(), size);
        let short = dir.path().join("short.jsonl");
        super::Cache::open(short.clone(), 7, size - 1).save(&records);
        assert!(!short.exists());
    }

    #[test]
    fn the_limit_grows_with_the_catalog_from_its_floor() {
        assert_eq!(super::limit(0), super::MAX_BYTES);
        assert_eq!(super::limit(10 << 20), super::MAX_BYTES);
        assert_eq!(super::limit(220 << 20), 880 << 20);
        assert_eq!(super::limit(u64::MAX), u64::MAX);
        // A file over the limit given is not read; under it, it is.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        std::fs::write(&path, "x".repeat(100)).unwrap();
        assert!(super::read_regular(&path, 99).is_none());
        assert_eq!(super::read_regular(&path, 100).map(|t| t.len()), Some(100));
    }
}

//! The source map: every file lore read, by [`FileId`], with its text.
//!
//! Spans everywhere are byte ranges into these texts. Positions are converted here and
//! nowhere else: [`Lines`] finds where each line of a text starts (once per text) and
//! turns a byte offset into a 1-based line and column, or saphyr's character index into a
//! byte offset; every renderer and the YAML builder use it.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct FileId(pub u32);

/// One file: its path relative to the catalog root (for display) and its text.
#[derive(Debug)]
pub(crate) struct SourceFile {
    pub(crate) path: PathBuf,
    /// The text, or where to read it the first time it is asked for (a catalog answered
    /// from the index reads only the files whose positions a command shows).
    text: OnceLock<Arc<str>>,
    /// The folder `path` is relative to, and the folder (links resolved) the file must
    /// resolve inside.
    read_from: Option<(Arc<Path>, Arc<Path>)>,
    /// Computed the first time a position in this file is asked for.
    lines: OnceLock<Lines>,
}

impl SourceFile {
    /// The file's text. A file added with [`SourceMap::add_unread`] is read now; one that
    /// cannot be read (removed since the index vouched for it, or now a link out of the
    /// catalog) reads as empty, so its positions clamp to the first line.
    pub(crate) fn text(&self) -> &Arc<str> {
        self.text.get_or_init(|| {
            let bytes = self
                .read_from
                .as_ref()
                .map(|(root, inside)| (root.join(&self.path), inside))
                .filter(|(p, inside)| p.canonicalize().is_ok_and(|real| real.starts_with(inside)))
                .and_then(|(p, _)| std::fs::read(p).ok())
                .unwrap_or_default();
            Arc::from(String::from_utf8_lossy(&bytes))
        })
    }

    /// The line starts of this file's text.
    pub(crate) fn lines(&self) -> &Lines {
        self.lines.get_or_init(|| Lines::new(self.text()))
    }

    /// 1-based line and column (in characters) of a byte offset; see [`Lines::line_col`].
    pub(crate) fn line_col(&self, byte: usize) -> (usize, usize) {
        self.lines().line_col(self.text(), byte)
    }
}

#[derive(Debug, Default)]
pub(crate) struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub(crate) fn add(&mut self, path: PathBuf, text: Arc<str>) -> FileId {
        self.push(path, OnceLock::from(text), None)
    }

    /// A file whose text is read from `root`/`path` when first asked for, if it (links
    /// resolved) is still inside `inside`.
    pub(crate) fn add_unread(
        &mut self,
        path: PathBuf,
        root: Arc<Path>,
        inside: Arc<Path>,
    ) -> FileId {
        self.push(path, OnceLock::new(), Some((root, inside)))
    }

    fn push(
        &mut self,
        path: PathBuf,
        text: OnceLock<Arc<str>>,
        read_from: Option<(Arc<Path>, Arc<Path>)>,
    ) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).expect("fewer than 4G files"));
        self.files.push(SourceFile {
            path,
            text,
            read_from,
            lines: OnceLock::new(),
        });
        id
    }

    pub(crate) fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub(crate) fn path(&self, id: FileId) -> &Path {
        &self.get(id).path
    }

    /// The path as shown to users: relative, with `/` separators.
    pub(crate) fn display_path(&self, id: FileId) -> String {
        crate::fsutil::slashed(self.path(id))
    }

    pub(crate) fn len(&self) -> usize {
        self.files.len()
    }

    /// 1-based line and column (in characters) of a byte offset; offsets past the end or
    /// inside a character are clamped.
    pub(crate) fn line_col(&self, id: FileId, byte: usize) -> (usize, usize) {
        self.get(id).line_col(byte)
    }

    /// 1-based line of a byte offset.
    pub(crate) fn line(&self, id: FileId, byte: usize) -> usize {
        self.get(id).lines().line(byte)
    }
}

/// Characters between two checkpoints of [`Lines`]'s character index.
const CHECKPOINT: usize = 64;

/// Where the lines of one text start, and (for non-ASCII text) the byte offset of every
/// 64th character: built once in one pass, then every conversion is a binary search plus
/// at most 64 characters of counting, however long the text or its lines.
#[derive(Clone, Debug)]
pub(crate) struct Lines {
    /// Byte offset of the start of every line; `starts[0] == 0`.
    starts: Vec<usize>,
    /// Byte offset of every `CHECKPOINT`-th character; None when the text is ASCII
    /// (bytes and characters are then the same).
    checkpoints: Option<Vec<usize>>,
    len: usize,
}

impl Lines {
    pub(crate) fn new(text: &str) -> Lines {
        let starts = std::iter::once(0)
            .chain(
                text.bytes()
                    .enumerate()
                    .filter(|&(_, b)| b == b'\n')
                    .map(|(i, _)| i + 1),
            )
            .collect();
        let checkpoints = (!text.is_ascii()).then(|| {
            text.char_indices()
                .step_by(CHECKPOINT)
                .map(|(byte, _)| byte)
                .collect()
        });
        Lines {
            starts,
            checkpoints,
            len: text.len(),
        }
    }

    /// 1-based line of a byte offset (offsets past the end are on the last line).
    pub(crate) fn line(&self, byte: usize) -> usize {
        self.starts.partition_point(|&s| s <= byte)
    }

    /// Byte range of 1-based line `line`, without its line break; empty past the end.
    pub(crate) fn line_range(&self, text: &str, line: usize) -> Range<usize> {
        let Some(&start) = self.starts.get(line.wrapping_sub(1)) else {
            return text.len()..text.len();
        };
        let end = self.starts.get(line).map_or(text.len(), |&next| next - 1);
        start..end.max(start)
    }

    /// Number of lines (a text ending in a line break has an empty last line).
    #[cfg(test)]
    pub(crate) fn count(&self) -> usize {
        self.starts.len()
    }

    /// 1-based line and column (in characters) of a byte offset; offsets past the end or
    /// inside a character are clamped.
    pub(crate) fn line_col(&self, text: &str, byte: usize) -> (usize, usize) {
        debug_assert_eq!(text.len(), self.len, "Lines used with another text");
        let byte = floor_char_boundary(text, byte);
        let line = self.line(byte);
        let start = self.starts[line - 1];
        (
            line,
            self.chars_before(text, byte) - self.chars_before(text, start) + 1,
        )
    }

    /// Characters before byte offset `byte` (a character boundary).
    fn chars_before(&self, text: &str, byte: usize) -> usize {
        let Some(checkpoints) = &self.checkpoints else {
            return byte;
        };
        let k = checkpoints
            .partition_point(|&b| b <= byte)
            .saturating_sub(1);
        let base = checkpoints.get(k).copied().unwrap_or(0);
        k * CHECKPOINT + text[base..byte].chars().count()
    }

    /// Byte offset of character `index` (saphyr's markers count characters), clamped to
    /// the end of the text.
    pub(crate) fn byte_of_char(&self, text: &str, index: usize) -> usize {
        debug_assert_eq!(text.len(), self.len, "Lines used with another text");
        let Some(checkpoints) = &self.checkpoints else {
            return index.min(text.len());
        };
        let Some(&base) = checkpoints.get(index / CHECKPOINT) else {
            return text.len();
        };
        text[base..]
            .char_indices()
            .nth(index % CHECKPOINT)
            .map_or(text.len(), |(offset, _)| base + offset)
    }
}

/// `byte` clamped to `text` and moved back to a character boundary.
pub(crate) fn floor_char_boundary(text: &str, byte: usize) -> usize {
    let mut byte = byte.min(text.len());
    while !text.is_char_boundary(byte) {
        byte -= 1;
    }
    byte
}

/// `byte` clamped to `text` and moved forward to a character boundary.
pub(crate) fn ceil_char_boundary(text: &str, byte: usize) -> usize {
    let mut byte = byte.min(text.len());
    while !text.is_char_boundary(byte) {
        byte += 1;
    }
    byte
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The obvious definition, to check the indexed one against.
    fn scan(text: &str, byte: usize) -> (usize, usize) {
        let byte = floor_char_boundary(text, byte);
        let before = &text[..byte];
        let line = before.matches('\n').count() + 1;
        let start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[start..].chars().count() + 1)
    }

    #[test]
    fn line_col_counts_characters() {
        let text = "a: 1\nname: Zürich x\n";
        let lines = Lines::new(text);
        assert_eq!(lines.line_col(text, 0), (1, 1));
        assert_eq!(lines.line_col(text, 5), (2, 1));
        let x = text.find(" x").unwrap() + 1;
        assert_eq!(lines.line_col(text, x), (2, 14));
        assert_eq!(lines.line_col(text, 10_000), (3, 1));
        let u = text.find('ü').unwrap();
        assert_eq!(lines.line_col(text, u + 1), lines.line_col(text, u));
    }

    #[test]
    fn indexed_positions_agree_with_a_scan() {
        let mut text = String::new();
        for i in 0..300 {
            text.push_str(&"ü日x".repeat(i % 50));
            text.push(if i % 7 == 0 { '\r' } else { 'a' });
            text.push('\n');
        }
        for text in [text.as_str(), "plain\nascii\n\nx", "", "\n", "ü"] {
            let lines = Lines::new(text);
            for byte in 0..=text.len() + 2 {
                assert_eq!(lines.line_col(text, byte), scan(text, byte), "{byte}");
                assert_eq!(lines.line(byte), scan(text, byte).0, "{byte}");
            }
            for (index, (byte, _)) in text.char_indices().enumerate() {
                assert_eq!(lines.byte_of_char(text, index), byte);
            }
            let chars = text.chars().count();
            assert_eq!(lines.byte_of_char(text, chars), text.len());
            assert_eq!(lines.byte_of_char(text, chars + 100), text.len());
        }
    }

    #[test]
    fn line_ranges_exclude_the_break() {
        let text = "ab\n\ncd";
        let lines = Lines::new(text);
        assert_eq!(lines.count(), 3);
        assert_eq!(lines.line_range(text, 1), 0..2);
        assert_eq!(lines.line_range(text, 2), 3..3);
        assert_eq!(lines.line_range(text, 3), 4..6);
        assert_eq!(lines.line_range(text, 4), 6..6);
        assert_eq!(lines.line_range(text, 0), 6..6);
    }

    #[test]
    fn source_map_positions_use_the_file_index() {
        let mut map = SourceMap::default();
        let f = map.add(PathBuf::from("x.yaml"), Arc::from("a: 1\nb: ü2\n"));
        assert_eq!(map.line_col(f, 9), (2, 4));
        assert_eq!(map.line(f, 9), 2);
        assert_eq!(map.line_col(f, 999), (3, 1));
    }

    #[test]
    fn every_line_of_a_large_file_is_found_fast() {
        // 100,000 empty documents, each with a problem: a scan from the start per lookup
        // reads 20 GB.
        let text = "---\n".repeat(100_000);
        let mut map = SourceMap::default();
        let f = map.add(PathBuf::from("x.yaml"), Arc::from(text.as_str()));
        let started = std::time::Instant::now();
        for i in 0..100_000 {
            assert_eq!(map.line_col(f, i * 4 + 1), (i + 1, 2));
        }
        assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    }

    #[test]
    fn many_positions_in_a_long_line_are_fast() {
        // One 4 MB non-ASCII line asked about 100,000 times: linear-per-lookup counting
        // would take minutes.
        let text = "ü".repeat(2_000_000);
        let lines = Lines::new(&text);
        for i in 0..100_000 {
            let byte = (i * 40) % text.len();
            assert_eq!(lines.line_col(&text, byte), (1, byte / 2 + 1));
        }
    }
}

//! The source map: every file lore read, by [`FileId`], with its text.
//!
//! Spans everywhere are byte ranges into these texts; line and column are computed here,
//! in one place, for every renderer.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// One file: its path relative to the catalog root (for display) and its text.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: Arc<str>,
}

#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, path: PathBuf, text: Arc<str>) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).expect("fewer than 4G files"));
        self.files.push(SourceFile { path, text });
        id
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn path(&self, id: FileId) -> &Path {
        &self.get(id).path
    }

    /// The path as shown to users: relative, with `/` separators.
    pub fn display_path(&self, id: FileId) -> String {
        crate::fsutil::slashed(self.path(id))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// 1-based line and column (in characters) of a byte offset; offsets past the end or
    /// inside a character are clamped.
    pub fn line_col(&self, id: FileId, byte: usize) -> (usize, usize) {
        line_col(&self.get(id).text, byte)
    }
}

/// 1-based lines of byte offsets in many files, each file indexed once: for callers that
/// ask about thousands of entries of a large multi-document file ([`line_col`] scans from
/// the start every time).
#[derive(Debug, Default)]
pub struct LineIndex {
    starts: std::collections::HashMap<FileId, Vec<usize>>,
}

impl LineIndex {
    /// 1-based line of byte `byte` of file `id`.
    pub fn line(&mut self, sources: &SourceMap, id: FileId, byte: usize) -> usize {
        let starts = self.starts.entry(id).or_insert_with(|| {
            let text = sources.get(id).text.as_bytes();
            std::iter::once(0)
                .chain(memchr_all(text).map(|i| i + 1))
                .collect()
        });
        starts.partition_point(|&s| s <= byte)
    }
}

fn memchr_all(text: &[u8]) -> impl Iterator<Item = usize> + '_ {
    text.iter()
        .enumerate()
        .filter(|(_, &b)| b == b'\n')
        .map(|(i, _)| i)
}

/// 1-based line and column (in characters) of a byte offset in `text`.
pub fn line_col(text: &str, byte: usize) -> (usize, usize) {
    let mut byte = byte.min(text.len());
    while !text.is_char_boundary(byte) {
        byte -= 1;
    }
    let before = &text[..byte];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_agrees_with_line_col() {
        let mut map = SourceMap::default();
        let text = "a: 1\nb: 2\n\nc: 3";
        let f = map.add(PathBuf::from("x.yaml"), Arc::from(text));
        let mut index = LineIndex::default();
        for byte in 0..=text.len() + 3 {
            assert_eq!(index.line(&map, f, byte), line_col(text, byte).0, "{byte}");
        }
    }

    #[test]
    fn line_col_counts_characters() {
        let text = "a: 1\nname: Zürich x\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 5), (2, 1));
        let x = text.find(" x").unwrap() + 1;
        assert_eq!(line_col(text, x), (2, 14));
        assert_eq!(line_col(text, 10_000), (3, 1));
    }
}

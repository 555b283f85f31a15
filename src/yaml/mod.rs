//! YAML text → JSON values, with a JSON-pointer → span index on demand.
//!
//! Input: the text of one YAML file. Output: its documents as `serde_json::Value`s, each with
//! its byte span and (optionally) a [`SpanIndex`] from JSON pointer to the key and value spans
//! of every node, plus every problem found. Everything downstream (schemas, references, rules)
//! works on JSON values and reports problems by pointer; the index maps them back to the YAML.
//!
//! Why a builder of our own on top of `saphyr-parser` events: `serde_yaml` keeps the last of
//! duplicate keys silently and gives no value spans. The builder owns the policies lore needs:
//! YAML 1.2 core schema (`no`, `on` stay strings), duplicate keys are errors (the first value
//! is kept), an alias budget and a depth cap so hostile files finish fast with bounded memory,
//! and empty documents are reported.
//!
//! Invariants:
//! - No recursion proportional to the input: the builder is an explicit stack, and no value
//!   deeper than [`Limits::max_depth`] is ever built (dropping a `Value` recurses).
//! - Both modes (`with_spans` or not) run the same code; only span recording differs, so they
//!   produce the same documents and errors.
//! - saphyr markers count characters; they become byte offsets only through [`Lines`].
//!
//! Decisions:
//! - Integers that do not fit `i64`/`u64` become floats (as `serde_json` does with JSON input).
//! - `.inf`, `-.inf`, `.nan` (and floats that overflow, like `1e999`) stay strings: JSON has no
//!   infinities or NaN.
//! - Merge keys (`<<: *base`, `<<: [*a, *b]`) are supported when `<<` is plain and untagged;
//!   explicit keys win, then earlier merged mappings. A quoted `"<<"` is an ordinary key.
//! - Keys are the scalar's text as written (`1` → `"1"`, `null` → `"null"`, `~` → `"~"`,
//!   an empty key → `""`); an alias used as a key takes the anchored scalar's text.
//! - An alias value's descendants have no entries in the span index: [`SpanIndex::nearest`]
//!   points at the alias. Merged members point at the `<<` key and its value.
//! - After an `AliasLimit` or `DepthLimit` error the rest of that document is skipped and its
//!   value is `Null`. saphyr itself refuses flow nesting past 255 levels (its scanner reads
//!   ahead, so that error can come before our cap sees the events); it is reported as the same
//!   `DepthLimit` error.
//! - Tags: `!!str`, `!!int`, `!!float`, `!!bool`, `!!null` (and their verbatim forms) force the
//!   type, content that does not fit is a `Syntax` error and stays a string; the non-specific
//!   `!` forces a string; other tags are ignored.
//! - An alias to an anchor inside a skipped node (a duplicate key's value, a collection key)
//!   yields `Null`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use serde_json::{Map, Number, Value};

use crate::span::Lines;
use crate::term::clip;

/// Limits that keep hostile input from exhausting memory or stack.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Deepest nesting of mappings and sequences; the root collection is depth 1. No value
    /// deeper than this is built, and dropping a `Value` recurses: keep it in the hundreds.
    pub(crate) max_depth: usize,
    /// Most nodes that alias expansion may copy in one file (all its documents together).
    pub(crate) max_alias_nodes: usize,
    /// Most bytes of scalars and keys that alias expansion may copy in one file: an alias
    /// costs the size of what it copies, so one long anchored string aliased many times
    /// is as expensive as many nodes.
    pub(crate) max_alias_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_alias_nodes: 100_000,
            max_alias_bytes: 4 << 20,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum YamlErrorKind {
    /// Invalid YAML, or a scalar whose content does not fit its `!!` tag.
    Syntax,
    DuplicateKey,
    AliasLimit,
    DepthLimit,
    /// A mapping or sequence used as a mapping key.
    UnsupportedKey,
    /// A document with no content (the caller decides whether it is a warning).
    EmptyDocument,
}

#[derive(Clone, Debug)]
pub(crate) struct YamlError {
    pub(crate) kind: YamlErrorKind,
    /// What is wrong and what to do.
    pub(crate) message: String,
    /// Byte range in the source.
    pub(crate) span: Range<usize>,
    /// Another place involved, e.g. the first occurrence of a duplicate key.
    pub(crate) related: Option<Range<usize>>,
}

#[derive(Clone, Debug)]
pub(crate) struct Document {
    /// `Null` for an empty document.
    pub(crate) value: serde_json::Value,
    /// Byte range of the document's content.
    pub(crate) span: Range<usize>,
    /// Some only when parsed with spans.
    pub(crate) spans: Option<SpanIndex>,
}

#[derive(Clone, Debug)]
struct NodeSpans {
    key: Option<Range<usize>>,
    value: Range<usize>,
}

/// JSON pointer (RFC 6901, `""` is the root) → spans of the node in the source.
#[derive(Default, Debug, Clone)]
pub(crate) struct SpanIndex {
    nodes: HashMap<String, NodeSpans>,
}

impl SpanIndex {
    /// Span of the node's value.
    pub(crate) fn value(&self, pointer: &str) -> Option<Range<usize>> {
        self.nodes.get(pointer).map(|n| n.value.clone())
    }

    /// Span of the mapping key naming this node, if it is a mapping member.
    pub(crate) fn key(&self, pointer: &str) -> Option<Range<usize>> {
        self.nodes.get(pointer).and_then(|n| n.key.clone())
    }

    /// Best span for a pointer: the exact node, else the closest ancestor that exists.
    /// Never None if the root exists.
    pub(crate) fn nearest(&self, pointer: &str) -> Option<Range<usize>> {
        let mut pointer = pointer;
        loop {
            if let Some(node) = self.nodes.get(pointer) {
                return Some(node.value.clone());
            }
            if pointer.is_empty() {
                return None;
            }
            pointer = pointer.rfind('/').map_or("", |i| &pointer[..i]);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    fn record(&mut self, pointer: &str, key: Option<Range<usize>>, value: Range<usize>) {
        self.nodes
            .insert(pointer.to_owned(), NodeSpans { key, value });
    }
}

/// Appends `/segment` to a JSON pointer, escaping `~` and `/` (RFC 6901).
pub(crate) fn push_pointer_segment(pointer: &mut String, segment: &str) {
    pointer.push('/');
    if !segment.contains(['~', '/']) {
        pointer.push_str(segment);
        return;
    }
    for c in segment.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Parsed {
    pub(crate) documents: Vec<Document>,
    pub(crate) errors: Vec<YamlError>,
}

/// Parse all documents of `src`. With `with_spans`, every node's span is recorded in
/// `Document::spans`; without, only `Document::span` is filled (the fast path). Both modes
/// produce the same documents, values and errors.
pub(crate) fn parse(src: &str, limits: Limits, with_spans: bool) -> Parsed {
    if !with_spans && src.len() >= 2 * CHUNK {
        if let Some(parsed) = parse_chunks(src, limits, CHUNK) {
            return parsed;
        }
    }
    parse_whole(src, limits, with_spans).0
}

/// Least bytes of one file that [`parse_chunks`] gives one thread.
const CHUNK: usize = 1 << 20;

/// The documents of a large multi-document file (an import's output: 100,000 entries in
/// one file), parsed in parallel: the text is cut before `---` lines into pieces of at
/// least `min` bytes, each parsed on its own. A `---` at the start of a line always
/// starts a document (YAML 1.2 §9.1.4, no scalar may hold one), so the documents are
/// those of one parse. Anything else (an error, a directive before a `---`, aliases over
/// the file's limits, which count all documents together) is left to the serial parse,
/// which then reports it exactly as it always has: `None`.
fn parse_chunks(src: &str, limits: Limits, min: usize) -> Option<Parsed> {
    use rayon::prelude::*;
    let bytes = src.as_bytes();
    let mut cuts = vec![0];
    let mut from = min;
    while from < bytes.len() {
        let Some(at) = memchr_doc_start(bytes, from) else {
            break;
        };
        cuts.push(at);
        from = at + min;
    }
    if cuts.len() < 2 {
        return None;
    }
    cuts.push(bytes.len());
    let parts: Vec<(Parsed, usize, usize)> = cuts
        .par_windows(2)
        .map(|w| {
            let (mut parsed, nodes, aliased) = parse_whole(&src[w[0]..w[1]], limits, false);
            for d in &mut parsed.documents {
                d.span = d.span.start + w[0]..d.span.end + w[0];
            }
            (parsed, nodes, aliased)
        })
        .collect();
    let nodes: usize = parts.iter().map(|p| p.1).fold(0, usize::saturating_add);
    let aliased: usize = parts.iter().map(|p| p.2).fold(0, usize::saturating_add);
    if nodes > limits.max_alias_nodes
        || aliased > limits.max_alias_bytes
        || parts.iter().any(|p| !p.0.errors.is_empty())
    {
        return None;
    }
    let mut documents = Vec::new();
    for (parsed, _, _) in parts {
        documents.extend(parsed.documents);
    }
    Some(Parsed {
        documents,
        errors: Vec::new(),
    })
}

/// Where the first line at or after `from` that is a `---` document marker starts.
fn memchr_doc_start(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i < bytes.len() {
        let nl = i + bytes[i..].iter().position(|&b| b == b'\n')?;
        let line = nl + 1;
        let rest = &bytes[line..];
        if rest.starts_with(b"---")
            && matches!(rest.get(3), None | Some(b'\n' | b'\r' | b' ' | b'\t'))
        {
            return Some(line);
        }
        i = line;
    }
    None
}

/// One serial parse, with the alias totals [`parse_chunks`] adds up.
fn parse_whole(src: &str, limits: Limits, with_spans: bool) -> (Parsed, usize, usize) {
    let mut builder = Builder::new(src, limits, with_spans);
    let mut parser = Parser::new_from_str(src);
    while let Some(next) = parser.next_event() {
        match next {
            Ok((event, span)) => builder.on_event(event, span),
            Err(e) => {
                let span = builder.point(builder.pos.byte_of_char(src, e.marker().index()));
                // saphyr caps flow nesting (`[[[…`) at 255 levels, before our own cap. Should
                // its wording change, this is reported as a Syntax error, still correct.
                if e.info() == "recursion limit exceeded" {
                    if !builder.poisoned {
                        builder.depth_limit(span);
                    }
                } else {
                    builder.error(
                        YamlErrorKind::Syntax,
                        format!("invalid YAML: {}; fix the syntax here", e.info()),
                        span,
                    );
                }
                break;
            }
        }
    }
    if builder.documents.is_empty() && builder.errors.is_empty() {
        builder.errors.push(YamlError {
            kind: YamlErrorKind::EmptyDocument,
            message: "this file has no YAML document; add an entry or remove the file".into(),
            span: 0..0,
            related: None,
        });
    }
    (
        Parsed {
            documents: builder.documents,
            errors: builder.errors,
        },
        builder.alias_nodes,
        builder.alias_bytes,
    )
}

/// Most characters of a value (a key, an alias, a scalar) quoted in a message.
const QUOTE: usize = 60;

/// What a finished node weighs, for its parent and for the aliases that copy it.
#[derive(Clone, Copy)]
struct Size {
    /// Levels of collections in it (0 for a scalar).
    height: usize,
    /// Nodes in it, itself included.
    count: usize,
    /// Bytes of the scalars and keys in it.
    bytes: usize,
}

impl Size {
    fn scalar(bytes: usize) -> Size {
        Size {
            height: 0,
            count: 1,
            bytes,
        }
    }
}

/// A value kept for the aliases that refer to it.
struct Anchored {
    value: Value,
    /// The scalar's text, for an alias used as a mapping key; None for collections.
    key_text: Option<String>,
    size: Size,
}

struct Member {
    key: String,
    value: Value,
    key_span: Range<usize>,
}

/// Up to this many members, duplicate keys are found by a linear scan.
const LINEAR_MEMBERS: usize = 12;

#[derive(Default)]
enum MapState {
    #[default]
    Key,
    Value {
        key: String,
        key_span: Range<usize>,
    },
    /// The value of a merge key `<<`.
    Merge,
    /// The value of a duplicate or unsupported key: read and dropped.
    SkipValue,
}

#[derive(Default)]
struct MapFrame {
    members: Vec<Member>,
    /// Key hash → index of the first member with that hash, once the map is large.
    index: HashMap<u64, usize>,
    state: MapState,
    merge_key: Option<Range<usize>>,
    merges: Vec<(Map<String, Value>, Range<usize>)>,
}

impl MapFrame {
    fn find(&self, key: &str) -> Option<usize> {
        if self.members.len() <= LINEAR_MEMBERS {
            return self.members.iter().position(|m| m.key == key);
        }
        match self.index.get(&key_hash(key)) {
            Some(&i) if self.members[i].key == key => Some(i),
            // A hash collision between different keys: rare enough to scan.
            Some(_) => self.members.iter().position(|m| m.key == key),
            None => None,
        }
    }

    fn push(&mut self, member: Member) {
        self.members.push(member);
        let n = self.members.len();
        if n == LINEAR_MEMBERS + 1 {
            for (i, m) in self.members.iter().enumerate() {
                self.index.entry(key_hash(&m.key)).or_insert(i);
            }
        } else if n > LINEAR_MEMBERS + 1 {
            self.index
                .entry(key_hash(&self.members[n - 1].key))
                .or_insert(n - 1);
        }
    }
}

/// FNV-1a: short keys, no need for DoS resistance (a collision only costs a scan).
fn key_hash(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

enum FrameKind {
    Seq(Vec<Value>),
    Map(MapFrame),
    /// A subtree read and dropped; `nesting` counts collections opened inside it.
    Skip {
        nesting: usize,
        unsupported_key: bool,
    },
}

struct Frame {
    kind: FrameKind,
    start: usize,
    /// Started by `[` or `{`: the end event's span is the closing bracket.
    flow: bool,
    anchor: usize,
    /// End of the furthest child seen.
    last_end: usize,
    /// Height of the tallest child.
    height: usize,
    /// Nodes in this subtree, itself included.
    count: usize,
    /// Bytes of the scalars and keys in this subtree.
    bytes: usize,
    /// Length of the pointer before this frame's segment was pushed.
    pointer_len: usize,
    /// Whether spans are recorded for this subtree.
    record: bool,
}

/// Where the next node goes, from the top of the stack.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    Root,
    Item,
    Key,
    Value,
    Merge,
    SkipValue,
    InSkip,
}

struct Builder<'s> {
    src: &'s str,
    /// Line starts and character checkpoints of `src`: the one place where saphyr's
    /// character indices become byte offsets.
    pos: Lines,
    limits: Limits,
    with_spans: bool,
    documents: Vec<Document>,
    errors: Vec<YamlError>,

    // The document being built.
    frames: Vec<Frame>,
    anchors: HashMap<usize, Anchored>,
    /// What aliases copied so far in this file (the budget is per file, not per document:
    /// a file of many documents must not multiply it).
    alias_nodes: usize,
    alias_bytes: usize,
    /// An alias or depth limit was hit: the rest of the document is ignored.
    poisoned: bool,
    explicit_start: Option<Range<usize>>,
    root: Option<(Value, Range<usize>)>,
    root_empty: bool,
    doc_start: Option<usize>,
    doc_end: usize,
    pointer: String,
    spans: SpanIndex,
}

impl<'s> Builder<'s> {
    fn new(src: &'s str, limits: Limits, with_spans: bool) -> Self {
        Builder {
            src,
            pos: Lines::new(src),
            limits,
            with_spans,
            documents: Vec::new(),
            errors: Vec::new(),
            frames: Vec::new(),
            anchors: HashMap::new(),
            alias_nodes: 0,
            alias_bytes: 0,
            poisoned: false,
            explicit_start: None,
            root: None,
            root_empty: false,
            doc_start: None,
            doc_end: 0,
            pointer: String::new(),
            spans: SpanIndex::default(),
        }
    }

    fn range(&self, span: &Span) -> Range<usize> {
        let start = self.pos.byte_of_char(self.src, span.start.index());
        let end = self.pos.byte_of_char(self.src, span.end.index()).max(start);
        start..end
    }

    /// A one-character range at `byte` (empty at the end of the source).
    fn point(&self, byte: usize) -> Range<usize> {
        let byte = byte.min(self.src.len());
        let len = self.src[byte..].chars().next().map_or(0, char::len_utf8);
        byte..byte + len
    }

    fn error(&mut self, kind: YamlErrorKind, message: String, span: Range<usize>) {
        self.errors.push(YamlError {
            kind,
            message,
            span,
            related: None,
        });
    }

    fn on_event(&mut self, event: Event<'_>, span: Span) {
        match event {
            Event::Nothing | Event::StreamStart | Event::StreamEnd => {}
            Event::DocumentStart(explicit) => {
                let range = self.range(&span);
                self.start_document(explicit.then_some(range));
            }
            Event::DocumentEnd => self.end_document(),
            event => {
                if self.poisoned {
                    return;
                }
                let range = self.range(&span);
                if self.doc_start.is_none() {
                    self.doc_start = Some(range.start);
                }
                self.doc_end = self.doc_end.max(range.end);
                match event {
                    Event::Scalar(text, style, anchor, tag) => {
                        self.scalar(text, style, anchor, tag.as_deref(), range);
                    }
                    Event::Alias(id) => self.alias(id, range),
                    Event::SequenceStart(anchor, _) => self.start_collection(false, anchor, range),
                    Event::MappingStart(anchor, _) => self.start_collection(true, anchor, range),
                    Event::SequenceEnd | Event::MappingEnd => self.end_collection(range),
                    _ => {}
                }
            }
        }
    }

    fn start_document(&mut self, explicit_start: Option<Range<usize>>) {
        self.frames.clear();
        self.anchors.clear();
        self.poisoned = false;
        self.explicit_start = explicit_start;
        self.root = None;
        self.root_empty = false;
        self.doc_start = None;
        self.doc_end = 0;
        self.pointer.clear();
        self.spans = SpanIndex::default();
    }

    fn end_document(&mut self) {
        let spans = std::mem::take(&mut self.spans);
        let (value, span) = match self.root.take() {
            Some(root) if !self.poisoned => root,
            _ => {
                let start = self.doc_start.unwrap_or(0);
                (Value::Null, start..self.doc_end.max(start))
            }
        };
        let span = if self.root_empty {
            let at = self.explicit_start.as_ref().map_or(span.start, |s| s.end);
            let error_span = self
                .explicit_start
                .clone()
                .unwrap_or_else(|| self.point(at));
            self.error(
                YamlErrorKind::EmptyDocument,
                "this YAML document is empty; remove the extra `---` or add content".into(),
                error_span,
            );
            at..at
        } else {
            span
        };
        let spans = self.with_spans.then(|| {
            let mut spans = spans;
            if spans.is_empty() {
                spans.record("", None, span.clone());
            }
            spans
        });
        self.frames.clear();
        self.anchors.clear();
        self.documents.push(Document { value, span, spans });
    }

    fn slot(&self) -> Slot {
        match self.frames.last() {
            None => Slot::Root,
            Some(frame) => match &frame.kind {
                FrameKind::Seq(_) => Slot::Item,
                FrameKind::Map(map) => match map.state {
                    MapState::Key => Slot::Key,
                    MapState::Value { .. } => Slot::Value,
                    MapState::Merge => Slot::Merge,
                    MapState::SkipValue => Slot::SkipValue,
                },
                FrameKind::Skip { .. } => Slot::InSkip,
            },
        }
    }

    fn top_map(&mut self) -> Option<&mut MapFrame> {
        match self.frames.last_mut().map(|f| &mut f.kind) {
            Some(FrameKind::Map(map)) => Some(map),
            _ => None,
        }
    }

    /// A node in a skipped position was read: note its extent, and end a skipped value.
    fn skipped(&mut self, slot: Slot, range: &Range<usize>) {
        if let Some(frame) = self.frames.last_mut() {
            frame.last_end = frame.last_end.max(range.end);
        }
        if slot == Slot::SkipValue {
            if let Some(map) = self.top_map() {
                map.state = MapState::Key;
            }
        }
    }

    fn scalar(
        &mut self,
        text: Cow<'_, str>,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<&Tag>,
        range: Range<usize>,
    ) {
        let range = if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
            self.trim_block_scalar(range)
        } else {
            range
        };
        let slot = self.slot();
        match slot {
            Slot::InSkip | Slot::SkipValue => self.skipped(slot, &range),
            Slot::Key => {
                if tag.is_some() || anchor != 0 {
                    let value = self.resolve(text.clone(), style, tag, &range);
                    if anchor != 0 {
                        self.anchors.insert(
                            anchor,
                            Anchored {
                                value,
                                key_text: Some(text.to_string()),
                                size: Size::scalar(text.len()),
                            },
                        );
                    }
                }
                let merge = style == ScalarStyle::Plain && tag.is_none() && text == "<<";
                self.key(String::from(&*text), range, merge);
            }
            _ => {
                self.root_empty = slot == Slot::Root
                    && style == ScalarStyle::Plain
                    && text.is_empty()
                    && anchor == 0
                    && tag.is_none();
                let key_text = (anchor != 0).then(|| text.to_string());
                let bytes = text.len();
                let value = self.resolve(text, style, tag, &range);
                if let Some(key_text) = key_text {
                    self.anchors.insert(
                        anchor,
                        Anchored {
                            value: value.clone(),
                            key_text: Some(key_text),
                            size: Size::scalar(bytes),
                        },
                    );
                }
                self.attach(value, range, Size::scalar(bytes), None);
            }
        }
    }

    /// Block scalars' spans end after their trailing line breaks; point at the text instead.
    fn trim_block_scalar(&self, range: Range<usize>) -> Range<usize> {
        let trimmed = self.src[range.clone()].trim_end_matches([' ', '\t', '\r', '\n']);
        range.start..range.start + trimmed.len()
    }

    fn key(&mut self, key: String, range: Range<usize>, merge: bool) {
        let Some(frame) = self.frames.last_mut() else {
            return;
        };
        frame.last_end = frame.last_end.max(range.end);
        frame.bytes = frame.bytes.saturating_add(key.len());
        let FrameKind::Map(map) = &mut frame.kind else {
            return;
        };
        let first = if merge {
            map.merge_key.clone()
        } else {
            map.find(&key).map(|i| map.members[i].key_span.clone())
        };
        match first {
            None if merge => {
                map.merge_key = Some(range);
                map.state = MapState::Merge;
            }
            None => {
                map.state = MapState::Value {
                    key,
                    key_span: range,
                };
            }
            Some(first) => {
                map.state = MapState::SkipValue;
                let line = self.pos.line(first.start);
                self.errors.push(YamlError {
                    kind: YamlErrorKind::DuplicateKey,
                    message: format!(
                        "duplicate key `{}` in this mapping; the first one is at line {line}; \
                         remove one of them",
                        clip(&key, QUOTE)
                    ),
                    span: range,
                    related: Some(first),
                });
            }
        }
    }

    fn alias(&mut self, id: usize, range: Range<usize>) {
        let slot = self.slot();
        if matches!(slot, Slot::InSkip | Slot::SkipValue) {
            self.skipped(slot, &range);
            return;
        }
        let name = clip(&self.src[range.clone()], QUOTE).into_owned();
        if self.frames.iter().any(|f| f.anchor == id) {
            self.error(
                YamlErrorKind::Syntax,
                format!(
                    "alias `{name}` refers to a node that contains it; JSON cannot hold a \
                     recursive structure, so remove the alias"
                ),
                range.clone(),
            );
            self.unknown_alias(slot, range);
            return;
        }
        let Some(anchored) = self.anchors.get(&id) else {
            self.unknown_alias(slot, range);
            return;
        };
        let size = anchored.size;
        self.alias_nodes = self.alias_nodes.saturating_add(size.count);
        self.alias_bytes = self.alias_bytes.saturating_add(size.bytes);
        let over = if self.alias_nodes > self.limits.max_alias_nodes {
            Some(format!("{} nodes", self.limits.max_alias_nodes))
        } else if self.alias_bytes > self.limits.max_alias_bytes {
            Some(format!("{} bytes", self.limits.max_alias_bytes))
        } else {
            None
        };
        if let Some(over) = over {
            self.poison(
                YamlErrorKind::AliasLimit,
                format!(
                    "aliases in this file expand to more than {over} (at `{name}`); this \
                     document is ignored; write the values out, or use fewer or smaller aliases"
                ),
                range,
            );
            return;
        }
        if slot == Slot::Key {
            match anchored.key_text.clone() {
                Some(key) => self.key(key, range, false),
                None => self.unsupported_key(range, "an alias to a mapping or sequence"),
            }
            return;
        }
        if self.frames.len() + size.height > self.limits.max_depth {
            self.depth_limit(range);
            return;
        }
        let value = anchored.value.clone();
        self.attach(value, range, size, None);
    }

    /// An alias whose anchor we did not keep: `Null` as a value, no member as a key.
    fn unknown_alias(&mut self, slot: Slot, range: Range<usize>) {
        if slot == Slot::Key {
            if let Some(frame) = self.frames.last_mut() {
                frame.last_end = frame.last_end.max(range.end);
            }
            if let Some(map) = self.top_map() {
                map.state = MapState::SkipValue;
            }
        } else {
            self.attach(Value::Null, range, Size::scalar(0), None);
        }
    }

    fn unsupported_key(&mut self, span: Range<usize>, what: &str) {
        if let Some(frame) = self.frames.last_mut() {
            frame.last_end = frame.last_end.max(span.end);
        }
        if let Some(map) = self.top_map() {
            map.state = MapState::SkipValue;
        }
        self.error(
            YamlErrorKind::UnsupportedKey,
            format!(
                "this key is {what}; keys must be plain text, so this member is ignored; \
                 write the key as a string"
            ),
            span,
        );
    }

    fn depth_limit(&mut self, range: Range<usize>) {
        let max = self.limits.max_depth;
        let span = if range.is_empty() {
            self.point(range.start)
        } else {
            range
        };
        self.poison(
            YamlErrorKind::DepthLimit,
            format!(
                "this YAML nests deeper than {max} levels; this document is ignored; \
                 flatten the structure"
            ),
            span,
        );
    }

    fn poison(&mut self, kind: YamlErrorKind, message: String, span: Range<usize>) {
        self.error(kind, message, span);
        self.poisoned = true;
        self.frames.clear();
        self.anchors.clear();
        self.pointer.clear();
        self.spans = SpanIndex::default();
    }

    fn start_collection(&mut self, is_map: bool, anchor: usize, range: Range<usize>) {
        let slot = self.slot();
        match slot {
            Slot::InSkip => {
                if let Some(Frame {
                    kind: FrameKind::Skip { nesting, .. },
                    ..
                }) = self.frames.last_mut()
                {
                    *nesting += 1;
                }
                return;
            }
            Slot::Key | Slot::SkipValue => {
                self.frames.push(Frame {
                    kind: FrameKind::Skip {
                        nesting: 0,
                        unsupported_key: slot == Slot::Key,
                    },
                    start: range.start,
                    flow: false,
                    anchor,
                    last_end: range.end,
                    height: 0,
                    count: 0,
                    bytes: 0,
                    pointer_len: self.pointer.len(),
                    record: false,
                });
                return;
            }
            Slot::Root | Slot::Item | Slot::Value | Slot::Merge => {}
        }
        if self.frames.len() + 1 > self.limits.max_depth {
            self.depth_limit(range);
            return;
        }
        let pointer_len = self.pointer.len();
        let record =
            self.with_spans && slot != Slot::Merge && self.frames.last().is_none_or(|f| f.record);
        if record {
            self.push_child_segment();
        }
        let flow = !range.is_empty() && matches!(self.src.as_bytes()[range.end - 1], b'[' | b'{');
        self.frames.push(Frame {
            kind: if is_map {
                FrameKind::Map(MapFrame::default())
            } else {
                FrameKind::Seq(Vec::new())
            },
            start: range.start,
            flow,
            anchor,
            last_end: range.end,
            height: 0,
            count: 1,
            bytes: 0,
            pointer_len,
            record,
        });
    }

    /// Pushes the pointer segment of the next child of the top frame.
    fn push_child_segment(&mut self) {
        match self.frames.last().map(|f| &f.kind) {
            Some(FrameKind::Seq(items)) => {
                use std::fmt::Write as _;
                let _ = write!(self.pointer, "/{}", items.len());
            }
            Some(FrameKind::Map(MapFrame {
                state: MapState::Value { key, .. },
                ..
            })) => push_pointer_segment(&mut self.pointer, key),
            _ => {}
        }
    }

    fn end_collection(&mut self, range: Range<usize>) {
        let Some(frame) = self.frames.last_mut() else {
            return;
        };
        if let FrameKind::Skip {
            nesting,
            unsupported_key,
        } = &mut frame.kind
        {
            if !range.is_empty() {
                frame.last_end = frame.last_end.max(range.end);
            }
            if *nesting > 0 {
                *nesting -= 1;
                return;
            }
            let unsupported_key = *unsupported_key;
            let span = frame.start..frame.last_end;
            self.frames.pop();
            if unsupported_key {
                self.unsupported_key(span, "a mapping or sequence");
            } else {
                self.skipped(Slot::SkipValue, &span);
            }
            return;
        }
        let Some(frame) = self.frames.pop() else {
            return;
        };
        let end = if frame.flow {
            range.end
        } else {
            frame.last_end
        };
        let span = frame.start..end.max(frame.start);
        let value = match frame.kind {
            FrameKind::Seq(items) => Value::Array(items),
            FrameKind::Map(map) => Value::Object(self.finish_map(map, frame.record)),
            FrameKind::Skip { .. } => Value::Null,
        };
        let size = Size {
            height: frame.height + 1,
            count: frame.count,
            bytes: frame.bytes,
        };
        if frame.anchor != 0 {
            self.anchors.insert(
                frame.anchor,
                Anchored {
                    value: value.clone(),
                    key_text: None,
                    size,
                },
            );
        }
        let pointer_len = frame.record.then_some(frame.pointer_len);
        self.attach(value, span, size, pointer_len);
    }

    /// Members in source order, then merged members whose key is not already present.
    fn finish_map(&mut self, map: MapFrame, record: bool) -> Map<String, Value> {
        let mut out = Map::new();
        for member in map.members {
            out.insert(member.key, member.value);
        }
        for (merged, value_span) in map.merges {
            for (key, value) in merged {
                if out.contains_key(&key) {
                    continue;
                }
                if record {
                    let len = self.pointer.len();
                    push_pointer_segment(&mut self.pointer, &key);
                    self.spans
                        .record(&self.pointer, map.merge_key.clone(), value_span.clone());
                    self.pointer.truncate(len);
                }
                out.insert(key, value);
            }
        }
        out
    }

    /// Puts a finished node into its parent. `pointer_len` is Some when the node's pointer
    /// segment was pushed when it started (recorded collections).
    fn attach(&mut self, value: Value, span: Range<usize>, size: Size, pointer_len: Option<usize>) {
        let record = match pointer_len {
            Some(_) => true,
            None => {
                self.with_spans
                    && self.frames.last().is_none_or(|f| f.record)
                    && self.slot() != Slot::Merge
            }
        };
        let len = pointer_len.unwrap_or(self.pointer.len());
        if record && pointer_len.is_none() {
            self.push_child_segment();
        }
        let Some(frame) = self.frames.last_mut() else {
            if record {
                self.spans.record("", None, span.clone());
            }
            self.root = Some((value, span));
            return;
        };
        frame.last_end = frame.last_end.max(span.end);
        frame.height = frame.height.max(size.height);
        frame.count = frame.count.saturating_add(size.count);
        frame.bytes = frame.bytes.saturating_add(size.bytes);
        match &mut frame.kind {
            FrameKind::Seq(items) => {
                items.push(value);
                if record {
                    self.spans.record(&self.pointer, None, span);
                }
            }
            FrameKind::Map(map) => match std::mem::take(&mut map.state) {
                MapState::Value { key, key_span } => {
                    if record {
                        self.spans
                            .record(&self.pointer, Some(key_span.clone()), span);
                    }
                    map.push(Member {
                        key,
                        value,
                        key_span,
                    });
                }
                MapState::Merge => match value {
                    Value::Object(merged) => map.merges.push((merged, span)),
                    Value::Array(items) if items.iter().all(Value::is_object) => {
                        for item in items {
                            if let Value::Object(merged) = item {
                                map.merges.push((merged, span.clone()));
                            }
                        }
                    }
                    _ => self.error(
                        YamlErrorKind::Syntax,
                        "the merge key `<<` takes a mapping or a list of mappings, like \
                         `<<: *defaults`; fix the value or quote the key"
                            .into(),
                        span,
                    ),
                },
                MapState::Key | MapState::SkipValue => {}
            },
            FrameKind::Skip { .. } => {}
        }
        self.pointer.truncate(len);
    }

    /// A scalar's value: by its tag when it has a core one, else by the core schema.
    fn resolve(
        &mut self,
        text: Cow<'_, str>,
        style: ScalarStyle,
        tag: Option<&Tag>,
        range: &Range<usize>,
    ) -> Value {
        let core = tag.map(|tag| {
            if tag.is_yaml_core_schema() {
                Some(tag.suffix.as_str())
            } else if tag.handle.is_empty() && tag.suffix == "!" {
                // `!` (non-specific) forces a string.
                Some("str")
            } else if tag.handle.is_empty() {
                tag.suffix.strip_prefix("tag:yaml.org,2002:")
            } else {
                None
            }
        });
        let resolved = match core.flatten() {
            Some("str") => return Value::String(String::from(&*text)),
            Some("int") => parse_int(&text),
            Some("float") => parse_int(&text)
                .and_then(|v| v.as_f64())
                .and_then(finite_float)
                .or_else(|| parse_float(&text))
                .or_else(|| is_inf_or_nan(&text).then(|| Value::String(text.to_string()))),
            Some("bool") => parse_bool(&text).map(Value::Bool),
            Some("null") => is_null(&text).then_some(Value::Null),
            _ if style == ScalarStyle::Plain => return resolve_plain(text),
            _ => return Value::String(String::from(&*text)),
        };
        resolved.unwrap_or_else(|| {
            let tag = tag.map(tag_name).unwrap_or_default();
            self.error(
                YamlErrorKind::Syntax,
                format!(
                    "`{}` is not a valid {}; fix the value or remove the tag",
                    clip(&text, QUOTE),
                    clip(&tag, QUOTE)
                ),
                range.clone(),
            );
            Value::String(text.to_string())
        })
    }
}

fn tag_name(tag: &Tag) -> String {
    match tag.suffix.strip_prefix("tag:yaml.org,2002:") {
        Some(suffix) if tag.handle.is_empty() => format!("!!{suffix}"),
        _ if tag.is_yaml_core_schema() => format!("!!{}", tag.suffix),
        _ => tag.to_string(),
    }
}

/// YAML 1.2 core schema resolution of an untagged plain scalar.
fn resolve_plain(text: Cow<'_, str>) -> Value {
    let resolved = match text.as_bytes().first() {
        None => Some(Value::Null),
        Some(b'~' | b'n' | b'N') => is_null(&text).then_some(Value::Null),
        Some(b't' | b'T' | b'f' | b'F') => parse_bool(&text).map(Value::Bool),
        Some(b'0'..=b'9' | b'-' | b'+' | b'.') => parse_int(&text).or_else(|| parse_float(&text)),
        Some(_) => None,
    };
    resolved.unwrap_or_else(|| Value::String(String::from(&*text)))
}

fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`; too large for 64 bits → float.
fn parse_int(text: &str) -> Option<Value> {
    let (radix, digits) = if let Some(octal) = text.strip_prefix("0o") {
        (8, octal)
    } else if let Some(hex) = text.strip_prefix("0x") {
        (16, hex)
    } else {
        (10, text.strip_prefix(['-', '+']).unwrap_or(text))
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    if radix == 10 {
        if let Ok(i) = text.parse::<i64>() {
            return Some(Value::from(i));
        }
        if let Ok(u) = digits.parse::<u64>() {
            if !text.starts_with('-') {
                return Some(Value::from(u));
            }
        }
        return text.parse::<f64>().ok().and_then(finite_float);
    }
    if let Ok(u) = u64::from_str_radix(digits, radix) {
        Some(Value::from(u))
    } else {
        let approx = digits.chars().fold(0.0_f64, |acc, c| {
            acc * f64::from(radix) + f64::from(c.to_digit(radix).unwrap_or(0))
        });
        finite_float(approx)
    }
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`; infinite results stay strings.
fn parse_float(text: &str) -> Option<Value> {
    let bytes = text.as_bytes();
    let mut i = usize::from(matches!(bytes.first(), Some(b'-' | b'+')));
    let digits = |i: &mut usize| {
        let start = *i;
        while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let whole = digits(&mut i);
    let mut fraction = 0;
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        fraction = digits(&mut i);
    }
    if whole == 0 && fraction == 0 {
        return None;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return None;
        }
    }
    if i != bytes.len() {
        return None;
    }
    text.parse::<f64>().ok().and_then(finite_float)
}

fn finite_float(f: f64) -> Option<Value> {
    Number::from_f64(f).map(Value::Number)
}

fn is_inf_or_nan(text: &str) -> bool {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    matches!(unsigned, ".inf" | ".Inf" | ".INF") || matches!(text, ".nan" | ".NaN" | ".NAN")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::fmt::Write as _;

    fn values(src: &str) -> Vec<Value> {
        let parsed = parse(src, Limits::default(), false);
        assert!(
            parsed.errors.is_empty(),
            "unexpected errors: {:?}",
            parsed.errors
        );
        parsed.documents.into_iter().map(|d| d.value).collect()
    }

    fn one(src: &str) -> Value {
        let mut docs = values(src);
        assert_eq!(docs.len(), 1);
        docs.remove(0)
    }

    fn kinds(parsed: &Parsed) -> Vec<YamlErrorKind> {
        parsed.errors.iter().map(|e| e.kind).collect()
    }

    fn text<'a>(src: &'a str, span: &Range<usize>) -> &'a str {
        &src[span.clone()]
    }

    fn line_col(src: &str, byte: usize) -> (usize, usize) {
        Lines::new(src).line_col(src, byte)
    }

    #[test]
    fn core_schema_scalars() {
        let v = one(concat!(
            "n1: null\nn2: Null\nn3: NULL\nn4: ~\nn5:\n",
            "b1: true\nb2: True\nb3: FALSE\n",
            "s1: no\ns2: yes\ns3: on\ns4: off\ns5: NO\ns6: y\ns7: nULL\ns8: tRUE\n",
            "i1: 42\ni2: -7\ni3: +3\ni4: 0o17\ni5: 0x1F\ni6: 010\n",
            "f1: 1e3\nf2: -2.5\nf3: .5\nf4: 1.\nf5: 6.02E+23\nf6: 1.e5\nf7: 1e999\n",
            "inf1: .inf\ninf2: -.Inf\nnan: .NaN\n",
            "q1: \"1\"\nq2: 'true'\nq3: \"\"\n",
            "big: 123456789012345678901234567890\nu: 18446744073709551615\n",
            "notnum: 1_000\nver: 1.2.3\nneg: -x\n"
        ));
        assert_eq!(
            v,
            json!({
                "n1": null, "n2": null, "n3": null, "n4": null, "n5": null,
                "b1": true, "b2": true, "b3": false,
                "s1": "no", "s2": "yes", "s3": "on", "s4": "off", "s5": "NO", "s6": "y",
                "s7": "nULL", "s8": "tRUE",
                "i1": 42, "i2": -7, "i3": 3, "i4": 15, "i5": 31, "i6": 10,
                "f1": 1000.0, "f2": -2.5, "f3": 0.5, "f4": 1.0, "f5": 6.02e23,
                "f6": 100000.0, "f7": "1e999",
                "inf1": ".inf", "inf2": "-.Inf", "nan": ".NaN",
                "q1": "1", "q2": "true", "q3": "",
                "big": 1.2345678901234568e29, "u": 18446744073709551615u64,
                "notnum": "1_000", "ver": "1.2.3", "neg": "-x"
            })
        );
        assert!(v["i5"].is_u64() || v["i5"].is_i64());
        assert!(v["f1"].is_f64());
        assert!(v["big"].is_f64());
    }

    #[test]
    fn block_scalars_are_strings() {
        let v = one("a: |\n  123\nb: >\n  true\n  more\n");
        assert_eq!(v, json!({"a": "123\n", "b": "true more\n"}));
    }

    #[test]
    fn nested_structures() {
        let v = one("a:\n  b: [1, {c: d}]\n  e:\n    - x\n    - - y\nf: {}\ng: []\n");
        assert_eq!(
            v,
            json!({"a": {"b": [1, {"c": "d"}], "e": ["x", ["y"]]}, "f": {}, "g": []})
        );
    }

    #[test]
    fn keys_are_text_as_written() {
        let v = one("1: a\nnull: b\n~: c\ntrue: d\n\"q\": e\n0x1F: f\n");
        assert_eq!(
            v,
            json!({"1": "a", "null": "b", "~": "c", "true": "d", "q": "e", "0x1F": "f"})
        );
    }

    #[test]
    fn pointers_and_spans() {
        let src = "id: pay\nowner:\n  team: web\nlinks:\n  - {url: x}\n  - y\n\"a/b~c\": 1\n";
        let parsed = parse(src, Limits::default(), true);
        assert!(parsed.errors.is_empty());
        let idx = parsed.documents[0].spans.as_ref().unwrap();
        assert_eq!(idx.value("/id"), Some(4..7));
        assert_eq!(idx.key("/id"), Some(0..2));
        assert_eq!(idx.key("/owner/team"), Some(17..21));
        assert_eq!(text(src, &idx.value("/owner/team").unwrap()), "web");
        assert_eq!(line_col(src, 17), (3, 3));
        // A block mapping starts at its first key and ends at its last value.
        assert_eq!(text(src, &idx.value("/owner").unwrap()), "team: web");
        assert_eq!(text(src, &idx.value("/links/0").unwrap()), "{url: x}");
        assert_eq!(text(src, &idx.value("/links/0/url").unwrap()), "x");
        assert_eq!(idx.key("/links/0"), None);
        assert_eq!(text(src, &idx.value("/links/1").unwrap()), "y");
        assert_eq!(
            text(src, &idx.value("/links").unwrap()),
            "- {url: x}\n  - y"
        );
        assert_eq!(text(src, &idx.key("/a~1b~0c").unwrap()), "\"a/b~c\"");
        assert_eq!(text(src, &idx.value("/a~1b~0c").unwrap()), "1");
        assert_eq!(idx.value(""), Some(0..src.len() - 1));
        assert_eq!(idx.nearest("/owner/team/x/y"), idx.value("/owner/team"));
        assert_eq!(idx.nearest("/nope"), idx.value(""));
        assert_eq!(idx.value("/nope"), None);
        assert_eq!(parsed.documents[0].span, 0..src.len() - 1);
    }

    #[test]
    fn block_scalar_span_is_its_text() {
        let src = "a: |\n  one\n  two\n\nb: 1\n";
        let parsed = parse(src, Limits::default(), true);
        let idx = parsed.documents[0].spans.as_ref().unwrap();
        assert_eq!(text(src, &idx.value("/a").unwrap()), "one\n  two");
    }

    #[test]
    fn non_ascii_spans_are_bytes() {
        let src = "name: Zürich Café 日本\nowner: [x, \"ü\"]\nbad: [\n";
        let parsed = parse(src, Limits::default(), true);
        assert_eq!(kinds(&parsed), vec![YamlErrorKind::Syntax]);
        let err = &parsed.errors[0];
        assert!(err.span.end <= src.len() && err.span.start <= err.span.end);
        assert_eq!(line_col(src, err.span.start), (4, 1));

        let ok = &src[..src.find("bad").unwrap()];
        let parsed = parse(ok, Limits::default(), true);
        let idx = parsed.documents[0].spans.as_ref().unwrap();
        assert_eq!(text(ok, &idx.value("/name").unwrap()), "Zürich Café 日本");
        assert_eq!(text(ok, &idx.key("/owner").unwrap()), "owner");
        assert_eq!(text(ok, &idx.value("/owner/1").unwrap()), "\"ü\"");
        let at = idx.value("/owner/1").unwrap().start;
        assert_eq!(line_col(ok, at), (2, 12));
    }

    #[test]
    fn non_ascii_beyond_checkpoints() {
        // Many multi-byte characters so that lookups cross several checkpoints.
        let mut src = String::new();
        for i in 0..200 {
            let _ = writeln!(src, "k{i}: ü日本{i}");
        }
        let parsed = parse(&src, Limits::default(), true);
        let idx = parsed.documents[0].spans.as_ref().unwrap();
        for i in [0, 63, 64, 150, 199] {
            let value = idx.value(&format!("/k{i}")).unwrap();
            assert_eq!(text(&src, &value), format!("ü日本{i}"));
        }
    }

    #[test]
    fn bom_and_crlf() {
        let src = "\u{feff}a: 1\r\nb: ü\r\nc: x\r\n";
        let parsed = parse(src, Limits::default(), true);
        assert!(parsed.errors.is_empty());
        assert_eq!(
            parsed.documents[0].value,
            json!({"a": 1, "b": "ü", "c": "x"})
        );
        let idx = parsed.documents[0].spans.as_ref().unwrap();
        assert_eq!(text(src, &idx.value("/c").unwrap()), "x");
        assert_eq!(text(src, &idx.key("/a").unwrap()), "a");
    }

    #[test]
    fn duplicate_keys_keep_first() {
        let src = "id: a\nowner: x\nname: n\nowner:\n  deep: [1]\n";
        for with_spans in [false, true] {
            let parsed = parse(src, Limits::default(), with_spans);
            assert_eq!(kinds(&parsed), vec![YamlErrorKind::DuplicateKey]);
            let err = &parsed.errors[0];
            assert_eq!(err.span, 23..28);
            assert_eq!(err.related, Some(6..11));
            assert_eq!(line_col(src, err.span.start), (4, 1));
            assert!(err.message.contains("`owner`"), "{}", err.message);
            assert!(err.message.contains("line 2"), "{}", err.message);
            assert_eq!(
                parsed.documents[0].value,
                json!({"id": "a", "owner": "x", "name": "n"})
            );
            if with_spans {
                let idx = parsed.documents[0].spans.as_ref().unwrap();
                assert_eq!(idx.value("/owner"), Some(13..14));
                assert_eq!(idx.value("/owner/deep"), None);
            }
        }
    }

    #[test]
    fn duplicate_keys_in_large_mapping() {
        let mut src = String::new();
        for i in 0..100 {
            let _ = writeln!(src, "k{i}: {i}");
        }
        src.push_str("k57: again\n");
        let parsed = parse(&src, Limits::default(), false);
        assert_eq!(kinds(&parsed), vec![YamlErrorKind::DuplicateKey]);
        assert_eq!(
            text(&src, parsed.errors[0].related.as_ref().unwrap()),
            "k57"
        );
        assert_eq!(parsed.documents[0].value["k57"], json!(57));
        assert_eq!(parsed.documents[0].value.as_object().unwrap().len(), 100);
    }

    #[test]
    fn unsupported_keys_are_skipped() {
        let src = "? [a, b]\n: v\n{x: 1}: w\nok: 1\n";
        let parsed = parse(src, Limits::default(), true);
        assert_eq!(
            kinds(&parsed),
            vec![YamlErrorKind::UnsupportedKey, YamlErrorKind::UnsupportedKey]
        );
        assert_eq!(text(src, &parsed.errors[0].span), "[a, b]");
        assert_eq!(text(src, &parsed.errors[1].span), "{x: 1}");
        assert_eq!(parsed.documents[0].value, json!({"ok": 1}));
    }

    #[test]
    fn multiple_documents() {
        let src = "a: 1\n---\nb: 2\n--- x\n";
        let parsed = parse(src, Limits::default(), true);
        assert!(parsed.errors.is_empty());
        let docs = &parsed.documents;
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[0].value, json!({"a": 1}));
        assert_eq!(docs[1].value, json!({"b": 2}));
        assert_eq!(docs[2].value, json!("x"));
        assert_eq!(text(src, &docs[0].span), "a: 1");
        assert_eq!(text(src, &docs[1].span), "b: 2");
        assert_eq!(text(src, &docs[2].span), "x");
        let idx = docs[1].spans.as_ref().unwrap();
        assert_eq!(text(src, &idx.value("/b").unwrap()), "2");
    }

    #[test]
    fn empty_files_and_documents() {
        for src in ["", "   \n", "# only a comment\n"] {
            let parsed = parse(src, Limits::default(), false);
            assert!(parsed.documents.is_empty(), "{src:?}");
            assert_eq!(kinds(&parsed), vec![YamlErrorKind::EmptyDocument]);
            assert_eq!(parsed.errors[0].span, 0..0);
        }
        let parsed = parse("---\n# nothing\n", Limits::default(), true);
        assert_eq!(parsed.documents.len(), 1);
        assert_eq!(parsed.documents[0].value, Value::Null);
        assert_eq!(kinds(&parsed), vec![YamlErrorKind::EmptyDocument]);
        assert_eq!(parsed.errors[0].span, 0..3);
        // An explicit null is content, not an empty document.
        assert_eq!(values("--- null\n"), vec![Value::Null]);
        assert_eq!(values("--- ''\n"), vec![json!("")]);
    }

    #[test]
    fn trailing_document_marker() {
        let src = "a: 1\n---\nb: 2\n---\n";
        let parsed = parse(src, Limits::default(), false);
        assert_eq!(parsed.documents.len(), 3);
        assert_eq!(parsed.documents[2].value, Value::Null);
        assert_eq!(kinds(&parsed), vec![YamlErrorKind::EmptyDocument]);
        assert_eq!(parsed.errors[0].span, 14..17);
        assert_eq!(line_col(src, parsed.errors[0].span.start), (4, 1));
    }

    #[test]
    fn syntax_error_keeps_earlier_documents() {
        let src = "a: 1\n---\nb: [1, 2\nc: 3\n";
        let parsed = parse(src, Limits::default(), false);
        assert_eq!(parsed.documents.len(), 1);
        assert_eq!(parsed.documents[0].value, json!({"a": 1}));
        assert_eq!(kinds(&parsed), vec![YamlErrorKind::Syntax]);
        let err = &parsed.errors[0];
        assert!(err.message.contains("':'"), "{}", err.message);
        assert_eq!(err.span, 19..20);
        assert_eq!(line_col(src, err.span.start), (4, 2));
    }

    #[test]
    fn syntax_error_at_end_of_input() {
        let src = "a: \"unterminated";
        let parsed = parse(src, Limits::default(), true);
        assert_eq!(kinds(&parsed), vec![YamlErrorKind::Syntax]);
        assert!(parsed.errors[0].span.end <= src.len());
        assert!(parsed.documents.is_empty());
    }

    fn billion_laughs() -> String {
        let mut src = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for pair in names.windows(2) {
            let (prev, name) = (pair[0], pair[1]);
            let items = vec![format!("*{prev}"); 9].join(", ");
            let _ = writeln!(src, "{name}: &{name} [{items}]");
        }
        src
    }

    #[test]
    fn billion_laughs_is_cut_short() {
        let src = billion_laughs();
        let started = std::time::Instant::now();
        for with_spans in [false, true] {
            let parsed = parse(&src, Limits::default(), with_spans);
            assert_eq!(kinds(&parsed), vec![YamlErrorKind::AliasLimit]);
            assert!(text(&src, &parsed.errors[0].span).starts_with('*'));
            assert_eq!(parsed.documents.len(), 1);
            assert_eq!(parsed.documents[0].value, Value::Null);
        }
        assert!(started.elapsed().as_secs() < 2, "{:?}", started.elapsed());
    }

    #[test]
    fn aliases_within_budget() {
        let v = one("base: &b {x: 1, y: [2]}\ncopy: *b\nname: &n hi\nagain: *n\n*n : k\n");
        assert_eq!(
            v,
            json!({"base": {"x": 1, "y": [2]}, "copy": {"x": 1, "y": [2]},
                   "name": "hi", "again": "hi", "hi": "k"})
        );
        let limits = Limits {
            max_depth: 64,
            max_alias_nodes: 3,
            ..Limits::default()
        };
        let parsed = parse("a: &a [1, 2]\nb: *a\nc: *a\n", limits, false);
        assert_eq!(kinds(&parsed), vec![YamlErrorKind::AliasLimit]);
        assert_eq!(parsed.errors[0].span, 22..24);
    }

    #[test]
    fn aliases_are_charged_the_bytes_they_copy() {
        // One 100 KB string aliased 60,000 times: few nodes, 6 GB of copies.
        let big = "x".repeat(100_000);
        let mut src = format!("a: &big {big}\nb: [");
        src.push_str(&vec!["*big"; 60_000].join(", "));
        src.push_str("]\n");
        let started = std::time::Instant::now();
        let parsed = parse(&src, Limits::default(), false);
        assert_eq!(kinds(&parsed), vec![YamlErrorKind::AliasLimit]);
        let err = &parsed.errors[0];
        assert_eq!(text(&src, &err.span), "*big");
        // The 42nd alias is the first past 4 MiB.
        let first = src.find("*big").unwrap();
        assert_eq!(err.span.start, first + 41 * "*big, ".len());
        assert!(err.message.contains("bytes"), "{}", err.message);
        assert!(
            err.message.contains("write the values out"),
            "{}",
            err.message
        );
        assert_eq!(parsed.documents[0].value, Value::Null);
        assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    }

    #[test]
    fn alias_budget_is_per_file() {
        // Each document copies 60,000 nodes, under the limit alone; the second is over.
        let mut doc = String::from("a: &a [");
        doc.push_str(&vec!["1"; 999].join(", "));
        doc.push_str("]\nb: [");
        doc.push_str(&vec!["*a"; 60].join(", "));
        doc.push_str("]\n");
        let src = vec![doc; 200].join("---\n");
        let parsed = parse(&src, Limits::default(), false);
        assert_eq!(parsed.documents.len(), 200);
        assert!(parsed.documents[0].value.is_object());
        assert_eq!(parsed.documents[1].value, Value::Null);
        assert_eq!(parsed.errors.len(), 199);
        assert!(kinds(&parsed)
            .iter()
            .all(|k| *k == YamlErrorKind::AliasLimit));
        assert!(parsed.errors[0].message.contains("100000 nodes"));
    }

    #[test]
    fn messages_quote_at_most_a_short_part_of_a_value() {
        let long = "k".repeat(100_000);
        // Past 1,024 characters a key must be explicit (`? key`).
        let src = format!("? {long}\n: 1\n? {long}\n: 2\nn: !!int {long}\n");
        let parsed = parse(&src, Limits::default(), false);
        assert_eq!(
            kinds(&parsed),
            vec![YamlErrorKind::DuplicateKey, YamlErrorKind::Syntax]
        );
        for e in &parsed.errors {
            assert!(e.message.len() < 250, "{}", e.message);
            assert!(e.message.contains("kkk…"), "{}", e.message);
        }
        let src = format!("a: &{long} [1]\nb: *{long}\n");
        let limits = Limits {
            max_alias_nodes: 0,
            ..Limits::default()
        };
        let parsed = parse(&src, limits, false);
        assert_eq!(kinds(&parsed), vec![YamlErrorKind::AliasLimit]);
        assert!(parsed.errors[0].message.len() < 250);
    }

    #[test]
    fn alias_spans_point_at_the_alias() {
        let src = "base: &b {x: 1}\ncopy: *b\n";
        let parsed = parse(src, Limits::default(), true);
        let idx = parsed.documents[0].spans.as_ref().unwrap();
        assert_eq!(text(src, &idx.value("/copy").unwrap()), "*b");
        assert_eq!(text(src, &idx.nearest("/copy/x").unwrap()), "*b");
        assert_eq!(text(src, &idx.value("/base").unwrap()), "&b {x: 1}");
    }

    #[test]
    fn collection_alias_as_key_is_unsupported() {
        let parsed = parse("a: &a [1]\n*a : b\nc: d\n", Limits::default(), false);
        assert_eq!(kinds(&parsed), vec![YamlErrorKind::UnsupportedKey]);
        assert_eq!(parsed.documents[0].value, json!({"a": [1], "c": "d"}));
    }

    #[test]
    fn deep_flow_nesting_does_not_overflow() {
        // saphyr stops flow nesting at 255 levels before it emits the events; that is
        // reported as the same one DepthLimit error.
        let src = "[".repeat(100_000);
        for with_spans in [false, true] {
            let parsed = parse(&src, Limits::default(), with_spans);
            assert_eq!(kinds(&parsed), vec![YamlErrorKind::DepthLimit]);
            assert!(parsed.documents.is_empty());
        }
        let src = "{a: ".repeat(100_000);
        let parsed = parse(&src, Limits::default(), false);
        assert_eq!(kinds(&parsed), vec![YamlErrorKind::DepthLimit]);
        // Below saphyr's cap, ours applies, at the first bracket too deep.
        let src = format!("{}{}", "[".repeat(100), "]".repeat(100));
        let parsed = parse(&src, Limits::default(), false);
        assert_eq!(kinds(&parsed), vec![YamlErrorKind::DepthLimit]);
        assert_eq!(parsed.errors[0].span, 64..65);
    }

    #[test]
    fn deep_block_nesting_does_not_overflow() {
        let mut src = "- ".repeat(100_000);
        src.push_str("x\nok: 1\n");
        let parsed = parse(&src, Limits::default(), true);
        assert_eq!(parsed.errors[0].kind, YamlErrorKind::DepthLimit);

        // Indentation makes this input quadratic in size: 3,000 levels is 4.5 MB.
        let mut src = String::new();
        for i in 0..3_000 {
            src.push_str(&" ".repeat(i));
            src.push_str("a:\n");
        }
        let parsed = parse(&src, Limits::default(), false);
        assert_eq!(kinds(&parsed), vec![YamlErrorKind::DepthLimit]);
        assert_eq!(parsed.documents[0].value, Value::Null);
    }

    #[test]
    fn depth_limit_is_exact() {
        let limits = Limits {
            max_depth: 3,
            max_alias_nodes: 100,
            ..Limits::default()
        };
        assert!(parse("[[[1]]]", limits, false).errors.is_empty());
        let parsed = parse("[[[[1]]]]", limits, false);
        assert_eq!(kinds(&parsed), vec![YamlErrorKind::DepthLimit]);
        assert_eq!(parsed.errors[0].span, 3..4);
        // Aliases count with the depth of what they copy.
        let parsed = parse("a: &a [[1]]\nb: [*a]\n", limits, false);
        assert_eq!(kinds(&parsed), vec![YamlErrorKind::DepthLimit]);
        assert_eq!(parsed.errors[0].span, 16..18);
    }

    #[test]
    fn merge_keys() {
        let src = concat!(
            "base: &base {owner: web, tier: 2, x: 0}\n",
            "extra: &extra {tier: 3, y: 1, x: 9}\n",
            "one:\n  <<: *base\n  tier: 1\n",
            "two:\n  tier: 1\n  <<: [*extra, *base]\n",
            "inline:\n  <<: {a: 1}\n  b: 2\n",
            "quoted:\n  \"<<\": 1\n"
        );
        let parsed = parse(src, Limits::default(), true);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let v = &parsed.documents[0].value;
        assert_eq!(v["one"], json!({"owner": "web", "tier": 1, "x": 0}));
        assert_eq!(v["two"], json!({"owner": "web", "tier": 1, "x": 9, "y": 1}));
        assert_eq!(v["inline"], json!({"a": 1, "b": 2}));
        assert_eq!(v["quoted"], json!({"<<": 1}));
        let idx = parsed.documents[0].spans.as_ref().unwrap();
        assert_eq!(text(src, &idx.value("/one/owner").unwrap()), "*base");
        assert_eq!(text(src, &idx.key("/one/owner").unwrap()), "<<");
        assert_eq!(text(src, &idx.value("/one/tier").unwrap()), "1");
        assert_eq!(text(src, &idx.value("/inline/a").unwrap()), "{a: 1}");
        assert_eq!(idx.value("/inline/0"), None);

        let parsed = parse("a:\n  <<: 3\n  b: 1\n", Limits::default(), false);
        assert_eq!(kinds(&parsed), vec![YamlErrorKind::Syntax]);
        assert!(parsed.errors[0].message.contains("<<"));
        assert_eq!(parsed.documents[0].value, json!({"a": {"b": 1}}));
    }

    #[test]
    fn tags() {
        let src = concat!(
            "a: !!str 123\nb: !!int \"42\"\nc: !!float 1\nd: !!bool 'true'\n",
            "e: !!null ''\nf: !custom 7\ng: ! 8\nh: !<tag:yaml.org,2002:str> 9\n",
            "i: !!float .inf\nj: !!map {k: 1}\n"
        );
        let v = one(src);
        assert_eq!(
            v,
            json!({"a": "123", "b": 42, "c": 1.0, "d": true, "e": null, "f": 7, "g": "8",
                   "h": "9", "i": ".inf", "j": {"k": 1}})
        );
        assert!(v["c"].is_f64());

        let src = "a: !!int abc\nb: !!bool yes\nc: ok\n";
        let parsed = parse(src, Limits::default(), false);
        assert_eq!(
            kinds(&parsed),
            vec![YamlErrorKind::Syntax, YamlErrorKind::Syntax]
        );
        assert!(
            parsed.errors[0].message.contains("!!int"),
            "{}",
            parsed.errors[0].message
        );
        assert_eq!(text(src, &parsed.errors[0].span), "!!int abc");
        assert_eq!(
            parsed.documents[0].value,
            json!({"a": "abc", "b": "yes", "c": "ok"})
        );
    }

    #[test]
    fn recursive_alias_is_an_error() {
        let parsed = parse("a: &a [1, *a]\n", Limits::default(), false);
        assert_eq!(kinds(&parsed), vec![YamlErrorKind::Syntax]);
        assert_eq!(parsed.documents[0].value, json!({"a": [1, null]}));
    }

    #[test]
    fn both_modes_agree() {
        let inputs = [
            billion_laughs(),
            "a: 1\nb: [x, {c: d}]\n---\n- 1\n- &x two\n- *x\n---\n".to_owned(),
            "id: a\nid: b\n? [k]\n: v\nm:\n  <<: *nope\n".to_owned(),
            "k: Zürich\nl: [1, 2\n".to_owned(),
            "[".repeat(300),
        ];
        for src in &inputs {
            let fast = parse(src, Limits::default(), false);
            let slow = parse(src, Limits::default(), true);
            let docs = |p: &Parsed| {
                p.documents
                    .iter()
                    .map(|d| (d.value.clone(), d.span.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(docs(&fast), docs(&slow), "{src}");
            let errors = |p: &Parsed| {
                p.errors
                    .iter()
                    .map(|e| (e.kind, e.message.clone(), e.span.clone(), e.related.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(errors(&fast), errors(&slow), "{src}");
            assert!(fast.documents.iter().all(|d| d.spans.is_none()));
            assert!(slow.documents.iter().all(|d| d.spans.is_some()));
        }
    }

    #[test]
    fn spans_are_in_bounds_for_odd_inputs() {
        let inputs = [
            "a:\n  b:\n",
            "- \n-\n",
            "? \n: \n",
            "[a: b, c]",
            "&x\n",
            "!!str\n",
            "a: &x\n  - 1\n",
            "a: |\n\n",
            "\u{feff}",
            "a: 'ü\n",
            "{ü: [ü, ü]}",
            "\t",
            "%YAML 1.2\n---\na\n...\n",
        ];
        for src in inputs {
            let parsed = parse(src, Limits::default(), true);
            let check = |r: &Range<usize>| {
                assert!(r.start <= r.end && r.end <= src.len(), "{src:?}: {r:?}");
                assert!(src.is_char_boundary(r.start) && src.is_char_boundary(r.end));
            };
            for e in &parsed.errors {
                check(&e.span);
            }
            for d in &parsed.documents {
                check(&d.span);
                for n in d.spans.as_ref().unwrap().nodes.values() {
                    check(&n.value);
                    if let Some(k) = &n.key {
                        check(k);
                    }
                }
            }
        }
    }

    #[test]
    fn pointer_segments_escape() {
        let mut p = String::new();
        push_pointer_segment(&mut p, "a/b~c");
        push_pointer_segment(&mut p, "d");
        assert_eq!(p, "/a~1b~0c/d");
    }
}

/// Random and adversarial YAML: the builder returns quickly, never panics, agrees with
/// itself in both modes, and every span lies inside the text on character boundaries.
#[cfg(test)]
mod properties {
    use std::fmt::Write as _;
    use std::ops::Range;
    use std::time::{Duration, Instant};

    use proptest::prelude::*;

    use super::{parse, parse_chunks, Limits, Parsed};

    /// Pieces YAML is made of, hostile ones included.
    const PIECES: &[&str] = &[
        "a: ",
        "b: ",
        "- ",
        "? ",
        ": ",
        "[",
        "]",
        "{",
        "}",
        ", ",
        "\n",
        "  ",
        "\t",
        "---\n",
        "...\n",
        "&a ",
        "&b ",
        "*a",
        "*b",
        "<<: ",
        "<<: [*a, *b]",
        "!!int ",
        "!!str ",
        "! ",
        "!<tag:yaml.org,2002:bool> ",
        "'q'",
        "\"d\\e\\u001b\"",
        "|\n  x\n",
        ">-\n  y\n",
        "#c\n",
        "%YAML 1.2\n",
        "\u{1b}[2J",
        "\u{7}",
        "\r\n",
        "\u{feff}",
        "ü",
        "日本",
        "\u{202e}",
        "~",
        "null",
        "1e999",
        "0x1F",
        ".inf",
        "true",
    ];

    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            8 => proptest::sample::select(PIECES).prop_map(str::to_owned),
            1 => (1usize..3_000).prop_map(|n| "k".repeat(n)),
            1 => (1usize..300).prop_map(|n| "[".repeat(n)),
            1 => (1usize..300).prop_map(|n| "- ".repeat(n)),
            1 => "\\PC{0,20}",
        ]
    }

    fn random_yaml() -> impl Strategy<Value = String> {
        prop::collection::vec(piece(), 0..120).prop_map(|pieces| pieces.concat())
    }

    /// Aliases of aliases (`billion laughs`), of a long string, over many documents.
    fn alias_bomb() -> impl Strategy<Value = String> {
        (1usize..12, 1usize..12, 0usize..2_000, 1usize..50).prop_map(
            |(levels, width, long, documents)| {
                let mut doc = format!("l0: &l0 {}\n", "x".repeat(long + 1));
                for level in 1..=levels {
                    let items = vec![format!("*l{}", level - 1); width].join(", ");
                    let _ = writeln!(doc, "l{level}: &l{level} [{items}]");
                }
                vec![doc; documents].join("---\n")
            },
        )
    }

    /// Deep nesting, flow and block, and long lines, in one document or many.
    fn deep() -> impl Strategy<Value = String> {
        (1usize..2_000, 0usize..3, 1usize..40).prop_map(|(depth, style, documents)| {
            let doc = match style {
                0 => format!("{}{}", "[".repeat(depth), "]".repeat(depth)),
                1 => "{a: ".repeat(depth),
                _ => format!("{}x\n", "- ".repeat(depth)),
            };
            vec![doc; documents].join("\n---\n")
        })
    }

    fn check_spans(src: &str, parsed: &Parsed) {
        let check = |r: &Range<usize>| {
            assert!(
                r.start <= r.end && r.end <= src.len(),
                "{r:?} of {}",
                src.len()
            );
            assert!(
                src.is_char_boundary(r.start) && src.is_char_boundary(r.end),
                "{r:?}"
            );
        };
        for e in &parsed.errors {
            check(&e.span);
            if let Some(related) = &e.related {
                check(related);
            }
            assert!(e.message.chars().count() < 400, "{}", e.message);
        }
        for d in &parsed.documents {
            check(&d.span);
            for n in d.spans.iter().flat_map(|s| s.nodes.values()) {
                check(&n.value);
                if let Some(k) = &n.key {
                    check(k);
                }
            }
        }
    }

    fn holds(src: &str) {
        let small = Limits {
            max_depth: 8,
            max_alias_nodes: 50,
            max_alias_bytes: 200,
        };
        for limits in [Limits::default(), small] {
            let started = Instant::now();
            let fast = parse(src, limits, false);
            let slow = parse(src, limits, true);
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{:?}",
                started.elapsed()
            );
            check_spans(src, &fast);
            check_spans(src, &slow);
            let summary = |p: &Parsed| {
                let docs: Vec<_> = p
                    .documents
                    .iter()
                    .map(|d| (d.value.clone(), d.span.clone()))
                    .collect();
                let errors: Vec<_> = p.errors.iter().map(|e| (e.kind, e.span.clone())).collect();
                (docs, errors)
            };
            assert_eq!(summary(&fast), summary(&slow));
            // Cut before every `---` line, the documents are those of one parse.
            if let Some(chunked) = parse_chunks(src, limits, 1) {
                assert_eq!(summary(&chunked), summary(&fast));
            }
        }
    }

    #[test]
    fn pieces_are_cut_before_markers_and_alias_totals_span_them() {
        let src = "a: 1\n---\nb: 2\n--- \nc: 3\n";
        let p = parse_chunks(src, Limits::default(), 1).expect("cut into pieces");
        assert_eq!(p.documents.len(), 3);
        assert_eq!(&src[p.documents[2].span.clone()], "c: 3");
        // Each document copies 8 nodes; ten together pass the limit of 20.
        let src = "x: &a [1, 2, 3]\ny: [*a, *a]\n---\n".repeat(10);
        let limits = Limits {
            max_alias_nodes: 20,
            ..Limits::default()
        };
        assert!(parse_chunks(&src, limits, 1).is_none());
        let whole = parse(&src, limits, false);
        assert_eq!(whole.errors[0].kind, super::YamlErrorKind::AliasLimit);
    }

    /// Valid multi-document files, whose documents hold what a `---` line might hide in:
    /// block scalars (one at the root, unindented), quoted strings, comments, flow.
    fn documents() -> impl Strategy<Value = String> {
        let body = proptest::sample::select(
            &[
                "a: 1\nb: [x, y]\n",
                "type: Customer\nid: c-1\nname: 'x: y'\n",
                "|\nfoo\n--- not a marker?\n",
                "--- |\n  text\n",
                "note: |\n  ---\n  x\n",
                "s: \"a\n  --- b\"\n",
                "# ---\nk: v\n",
                "&x {a: 1}\n",
                "[*x]\n",
                "",
                "k: &y v\nl: *y\n",
                "---x: 1\n",
            ][..],
        );
        let sep = proptest::sample::select(
            &["---\n", "--- \n", "---\r\n", "...\n---\n", "\n---\n", "---"][..],
        );
        prop::collection::vec((sep, body), 0..30).prop_map(|parts| {
            let mut src = String::new();
            for (s, b) in parts {
                src.push_str(s);
                src.push_str(b);
            }
            src
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn random_yaml_is_handled(src in random_yaml()) {
            holds(&src);
        }

        #[test]
        fn multi_document_files_parse_the_same_in_pieces(src in documents()) {
            holds(&src);
        }

        #[test]
        fn alias_bombs_are_cut_short(src in alias_bomb()) {
            holds(&src);
        }

        #[test]
        fn deep_and_long_input_is_handled(src in deep()) {
            holds(&src);
        }
    }
}

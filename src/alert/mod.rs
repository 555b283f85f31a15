//! Alert payloads, from untrusted bytes to matched catalog entries (matching rules in README, "Routing an alert").
//!
//! Input: the bytes of a JSON alert (a webhook body). [`parse_payload`] enforces a size
//! limit and a nesting limit *before* `serde_json` sees the bytes, so a hostile payload
//! costs neither a stack overflow (building or dropping a deep `Value` recurses) nor
//! unbounded memory. [`sources`] knows the built-in formats and the configured ones;
//! [`extract`] recognizes the payload's source, pulls out identifiers (payload path,
//! key, value) with RFC 9535 paths, and matches each to an entry by id or alias.
//! [`route`] adds owners, impact and notes on top.

pub(crate) mod cases;
pub(crate) mod route;
pub(crate) mod sources;

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use serde_json::Value;
use serde_json_path::{JsonPath, NormalizedPath, PathElement};

use crate::config::sources::{is_secret, normalize_key};
pub(crate) use crate::graph::Via;
use crate::graph::{Catalog, EntryId, Found};
use crate::model::TypeId;
pub(crate) use sources::{Read, Shape, Source, Split};

/// Payloads larger than this are refused (an alert is a few KiB; a batch or a log is not).
pub(crate) const MAX_PAYLOAD_BYTES: usize = 1024 * 1024;
/// Deepest nesting of arrays and objects accepted (real alerts stay under 10).
pub(crate) const MAX_DEPTH: usize = 64;

/// Why a payload was refused (exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PayloadError {
    /// More than [`MAX_PAYLOAD_BYTES`]; `size` is how much was read (at least the limit + 1).
    #[error("the alert payload is larger than the {} limit ({} read): pass one alert webhook body, not a batch or a log", human_size(MAX_PAYLOAD_BYTES), human_size(*.size))]
    TooLarge { size: usize },
    /// Nesting deeper than [`MAX_DEPTH`] at byte `offset`.
    #[error("the alert payload nests arrays and objects more than {MAX_DEPTH} levels deep (at byte {offset}); no alert format does that: check what is sending it")]
    TooDeep { offset: usize },
    /// Not JSON; `serde_json`'s message with its line and column.
    #[error("the alert payload is not valid JSON: {0}; pass the webhook body as it was sent")]
    Invalid(String),
    /// Valid JSON but not an object or array.
    #[error("the alert payload is JSON but not an object: pass the webhook body as it was sent")]
    NotAnObject,
    /// Nothing but whitespace.
    #[error(
        "the alert payload is empty: pass the webhook body as a file, or pipe it into `lore route`"
    )]
    Empty,
}

/// Why a payload could not be read, or was refused (exit 2).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    /// `from` says where: a path, or "from standard input".
    #[error("cannot read the alert payload {from}: {source}")]
    Unreadable {
        from: String,
        source: std::io::Error,
    },
    #[error("{}: {error}", path.display())]
    Refused {
        path: std::path::PathBuf,
        error: PayloadError,
    },
    #[error(transparent)]
    RefusedOnInput(PayloadError),
}

fn human_size(bytes: usize) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    } else if bytes >= 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} bytes")
    }
}

/// Read a payload, stopping one byte past the limit.
pub(crate) fn read_payload(reader: impl std::io::Read) -> Result<Vec<u8>, std::io::Error> {
    use std::io::Read;
    let mut bytes = Vec::new();
    reader
        .take(MAX_PAYLOAD_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Read and parse the payload file at `path`.
pub(crate) fn load_payload_file(path: &std::path::Path) -> Result<Value, ReadError> {
    let unreadable = |source| ReadError::Unreadable {
        from: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let bytes = read_payload(file).map_err(unreadable)?;
    parse_payload(&bytes).map_err(|error| ReadError::Refused {
        path: path.to_path_buf(),
        error,
    })
}

/// Read and parse a payload piped into lore.
pub(crate) fn load_payload_input(input: impl std::io::Read) -> Result<Value, ReadError> {
    let bytes = read_payload(input).map_err(|source| ReadError::Unreadable {
        from: "from standard input".into(),
        source,
    })?;
    parse_payload(&bytes).map_err(ReadError::RefusedOnInput)
}

/// Parse an alert payload within the limits. The depth check runs over the raw bytes
/// first, so no deep structure is ever built.
pub(crate) fn parse_payload(bytes: &[u8]) -> Result<Value, PayloadError> {
    if bytes.len() > MAX_PAYLOAD_BYTES {
        return Err(PayloadError::TooLarge { size: bytes.len() });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(PayloadError::Empty);
    }
    check_depth(bytes)?;
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| PayloadError::Invalid(e.to_string()))?;
    if value.is_object() || value.is_array() {
        Ok(value)
    } else {
        Err(PayloadError::NotAnObject)
    }
}

/// Nesting depth of JSON text, counting `[`/`{` outside strings. Invalid JSON is left for
/// `serde_json` to report; this only refuses depth.
fn check_depth(bytes: &[u8]) -> Result<(), PayloadError> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (offset, &b) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(PayloadError::TooDeep { offset });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// A payload value that named an entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Match {
    pub(crate) entry: EntryId,
    pub(crate) value: String,
    /// Where in the payload (RFC 9535 normalized path).
    pub(crate) path: String,
    /// The label, tag or field name the value came with, if any.
    pub(crate) key: Option<String>,
    pub(crate) via: Via,
    /// The key named the entry's type (`service=…`), the strongest kind of match.
    pub(crate) typed: bool,
    /// How the value was taken out of a longer one (`within`), when it was.
    pub(crate) step: Option<Step>,
    /// The payload's whole value, when `value` was taken out of it.
    pub(crate) within: Option<String>,
    /// The key named types, none of which has the value; it matched another type.
    pub(crate) any_type: bool,
}

/// A labelled step that takes an identifier out of a longer value: tried only when the
/// whole value names nothing, and shown with the match. Never a substring: each step
/// cuts at a separator (`:`, `/`, `.`, a space).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// The host of `host:port`.
    Host,
    /// The last segment of a path, URL, ARN or resource name.
    Segment,
    /// The first label of a domain name (`db-1` of `db-1.prod.example.com`).
    FirstLabel,
    /// The group of a source's `capture` pattern.
    Capture,
    /// The cluster of a GKE node name (a source's `split: gke`).
    Gke,
    /// A word of free text (scan only).
    Word,
}

impl Step {
    /// The name in JSON output.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Step::Host => "host",
            Step::Segment => "segment",
            Step::FirstLabel => "first-label",
            Step::Capture => "capture",
            Step::Gke => "gke-cluster",
            Step::Word => "word",
        }
    }

    /// What the step did, for people.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Step::Host => "host of host:port",
            Step::Segment => "last segment of a path",
            Step::FirstLabel => "first label of a domain name",
            Step::Capture => "captured by the source's pattern",
            Step::Gke => "cluster of a GKE node name",
            Step::Word => "a word of",
        }
    }
}

/// The host of `host:port` (a port of digits; not a URL, not IPv6).
fn host_of(v: &str) -> Option<&str> {
    let (h, port) = v.rsplit_once(':')?;
    (!h.is_empty()
        && !port.is_empty()
        && port.bytes().all(|b| b.is_ascii_digit())
        && !h.contains(['/', ':', ' ']))
    .then_some(h)
}

/// The last segment of a path, URL, ARN or resource name.
fn last_segment(v: &str) -> Option<&str> {
    if !(v.contains('/') || v.starts_with("arn:")) {
        return None;
    }
    let seg = v.trim_end_matches('/').rsplit(['/', ':']).next()?;
    (!seg.is_empty() && seg != v).then_some(seg)
}

/// Longest value read as a GKE node name: a Kubernetes node name is a DNS subdomain, at
/// most 253 bytes. Longer values are not node names, so the prefixes tried stay short.
const MAX_NODE_NAME: usize = 253;

/// The `<cluster>-<pool>` text of a GKE node name `gke-<cluster>-<pool>-<8 hex>-<4 alnum>`
/// (lower case letters, digits and `-`), or None when the value has not that shape.
fn gke_cluster_pool(v: &str) -> Option<&str> {
    if v.len() > MAX_NODE_NAME {
        return None;
    }
    let (rest, instance) = v.strip_prefix("gke-")?.rsplit_once('-')?;
    let (middle, group) = rest.rsplit_once('-')?;
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
    (instance.len() == 4
        && instance.bytes().all(alnum)
        && group.len() == 8
        && group.bytes().all(hex)
        && middle.bytes().all(|b| alnum(b) || b == b'-')
        && middle.contains('-')
        && !middle.starts_with('-')
        && !middle.ends_with('-'))
    .then_some(middle)
}

/// The clusters a GKE node name may name, longest first: each prefix of its
/// `<cluster>-<pool>` that ends before a dash (so the pool is never empty). One per dash,
/// each a slice of the value: linear in the value, which is at most [`MAX_NODE_NAME`].
fn gke_clusters(v: &str) -> impl Iterator<Item = &str> {
    let middle = gke_cluster_pool(v).unwrap_or_default();
    middle
        .rmatch_indices('-')
        .map(move |(i, _)| &middle[..i])
        .filter(|c| !c.ends_with('-'))
}

/// The cluster of a GKE node name: the longest candidate of [`gke_clusters`] that
/// `exists` (`prod-us-2` of `gke-prod-us-2-default-pool-1a2b3c4d-xz9q` over `prod-us`).
fn gke_cluster(v: &str, mut exists: impl FnMut(&str) -> bool) -> Option<&str> {
    gke_clusters(v).find(|c| exists(c))
}

/// The first label of a domain name: labels of letters, digits and `-`, the last with a
/// letter (so versions and IP addresses are not domain names).
fn first_label(v: &str) -> Option<&str> {
    let mut labels = v.split('.');
    let first = labels.next()?;
    let rest: Vec<&str> = labels.collect();
    let label_ok = |l: &str| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-');
    let tld = rest.last()?;
    (label_ok(first)
        && rest.iter().all(|l| label_ok(l))
        && tld.chars().any(char::is_alphabetic)
        && !tld.chars().any(|c| c.is_ascii_digit()))
    .then_some(first)
}

/// The identifiers a value may hold when it names nothing whole, in the order tried: the
/// host of `host:port` (then its first label), the last segment of a path or ARN, the
/// first label of a domain name. At most two, so matching stays linear.
fn derived(v: &str) -> Vec<(Step, &str)> {
    let mut out = Vec::new();
    if let Some(h) = host_of(v) {
        out.push((Step::Host, h));
        if let Some(l) = first_label(h) {
            out.push((Step::FirstLabel, l));
        }
    } else if let Some(s) = last_segment(v) {
        out.push((Step::Segment, s));
    } else if let Some(l) = first_label(v) {
        out.push((Step::FirstLabel, l));
    }
    out
}

/// A value that names entries of several types equally well.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ambiguous {
    pub(crate) value: String,
    pub(crate) path: String,
    pub(crate) key: Option<String>,
    pub(crate) candidates: Vec<EntryId>,
}

/// A value that was tried and names nothing.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Unmatched {
    pub(crate) value: String,
    pub(crate) path: String,
    pub(crate) key: Option<String>,
    /// Set when the key names a type: the value was looked up there only. A typed value
    /// that names nothing usually means the catalog is missing an entry or an alias.
    pub(crate) types: Vec<TypeId>,
}

/// One alert of the payload (Alertmanager and Grafana group several).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct AlertInfo {
    pub(crate) title: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) severity: Option<String>,
}

/// What [`extract`] found.
#[derive(Debug, Clone, Default)]
pub(crate) struct Extracted {
    /// The recognized source; `None` when the payload was scanned.
    pub(crate) source: Option<String>,
    pub(crate) scanned: bool,
    pub(crate) alerts: Vec<AlertInfo>,
    /// In payload order; each entry once (at its first path).
    pub(crate) matches: Vec<Match>,
    pub(crate) ambiguous: Vec<Ambiguous>,
    /// Each value once.
    pub(crate) unmatched: Vec<Unmatched>,
}

/// Why extraction could not start (exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SourceError {
    #[error("the alert source `{name}` in lore.yaml has problems and was left out; run `lore validate` to see them")]
    LeftOut { name: String },
    #[error("there is no alert source `{name}`; {}known sources: {}", .closest.as_ref().map(|c| format!("did you mean `{c}`? ")).unwrap_or_default(), .known.join(", "))]
    Unknown {
        name: String,
        closest: Option<String>,
        known: Vec<String>,
    },
    /// `--source NAME` on a payload of another shape; `hint` says where that source's
    /// alerts are.
    #[error("the payload is not a `{name}` alert: {hint}; leave out --source to detect it")]
    NotThisSource { name: String, hint: String },
}

/// Recognize the payload's source (or use `forced`), extract its identifiers and match
/// them. With no source recognized, every string value is scanned.
pub(crate) fn extract(
    c: &Catalog,
    all: &[Source],
    payload: &Value,
    forced: Option<&str>,
) -> Result<Extracted, SourceError> {
    let source = match forced {
        Some(name) => {
            let Some(s) = all.iter().find(|s| s.name == name) else {
                if c.config.alerts.broken.iter().any(|b| b == name) {
                    return Err(SourceError::LeftOut { name: name.into() });
                }
                let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
                let close = crate::diag::closest(name, names.iter().copied());
                return Err(SourceError::Unknown {
                    name: name.into(),
                    closest: close.first().map(std::string::ToString::to_string),
                    known: names.iter().map(std::string::ToString::to_string).collect(),
                });
            };
            match s.forced(payload) {
                Some(doc) => Some((s, doc)),
                None => {
                    return Err(SourceError::NotThisSource {
                        name: name.into(),
                        hint: s.unwrap_hint(),
                    })
                }
            }
        }
        None => all
            .iter()
            .find_map(|s| s.detect(payload).map(|doc| (s, doc))),
    };
    let mut out = Extracted::default();
    let mut m = Matcher::new(c, source.as_ref().map_or(&[][..], |(s, _)| &s.redact));
    if let Some((s, (doc, prefix))) = source {
        out.source = Some(s.name.clone());
        m.ignore.clone_from(&s.ignore);
        for (element, at) in s.elements(&doc) {
            let base = join(&prefix, &at);
            out.alerts.push(s.info(element));
            for (t, paths) in &s.typed {
                for path in paths {
                    if m.typed_path(*t, path, element, &base) {
                        break;
                    }
                }
            }
            for read in s.reads.iter().filter(|r| !r.root) {
                m.read_at(read, element, &base);
            }
        }
        for read in s.reads.iter().filter(|r| r.root) {
            m.read_at(read, &doc, &join(&prefix, "$"));
        }
    } else {
        out.scanned = true;
        out.alerts.push(m.scan(payload));
    }
    // A value tried in vain at one place may have matched at another (or as part of a
    // longer value): it is not missing from the catalog.
    let unmatched: Vec<Unmatched> = m
        .unmatched
        .iter()
        .filter(|u| !m.named.contains(&u.value))
        .cloned()
        .collect();
    // Most decisive first: values whose key names their type, then the rest.
    m.matches.sort_by_key(|x| !x.typed);
    out.matches = m.matches;
    out.ambiguous = m.ambiguous;
    out.unmatched = unmatched;
    Ok(out)
}

/// `prefix` (a normalized path, maybe with a JSON-string hop) joined with a path `$…`.
fn join(prefix: &str, path: &str) -> String {
    if prefix.is_empty() {
        path.to_owned()
    } else {
        format!("{prefix}{}", path.strip_prefix('$').unwrap_or(path))
    }
}

/// A normalized path, with names escaped as RFC 9535 says (`serde_json_path` writes them raw).
pub(crate) fn path_string(loc: &NormalizedPath<'_>) -> String {
    let mut s = String::from("$");
    for el in loc.iter() {
        match el {
            PathElement::Name(n) => push_name(&mut s, n),
            PathElement::Index(i) => {
                let _ = write!(s, "[{i}]");
            }
        }
    }
    s
}

fn push_name(s: &mut String, name: &str) {
    s.push_str("['");
    for ch in name.chars() {
        match ch {
            '\'' => s.push_str("\\'"),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(s, "\\u{:04x}", c as u32);
            }
            c => s.push(c),
        }
    }
    s.push_str("']");
}

/// The text of a scalar identifier; `None` for anything else or an empty string.
fn scalar(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

/// The scalars at a node, each with its path: the node itself, or a list's items.
fn scalars(node: &Value, here: &str) -> Vec<(String, String)> {
    match node {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| scalar(v).map(|s| (s, format!("{here}[{i}]"))))
            .collect(),
        v => scalar(v)
            .map(|s| (s, here.to_owned()))
            .into_iter()
            .collect(),
    }
}

/// Keys whose values scan mode reads as an alert's title, severity and status, in order
/// of preference (the shallowest key wins, then the earlier in each list).
const SCAN_TITLE: &[&str] = &["title", "alertname", "summary", "message"];
const SCAN_SEVERITY: &[&str] = &["severity", "priority"];
const SCAN_STATUS: &[&str] = &["status", "state"];

/// Collects matches, ambiguities and misses; each entry and each missed value once.
struct Matcher<'c> {
    c: &'c Catalog,
    key_types: HashMap<String, Vec<TypeId>>,
    /// The source's `redact`, normalized (lore's own list always applies).
    redact: &'c [String],
    /// The source's `ignore`, normalized.
    ignore: Vec<String>,
    matches: Vec<Match>,
    matched: HashSet<EntryId>,
    ambiguous: Vec<Ambiguous>,
    unmatched: Vec<Unmatched>,
    tried: HashSet<String>,
    /// Every payload value that named something (whole), also when its entry had
    /// matched before: such a value is not missing from the catalog.
    named: HashSet<String>,
}

impl<'c> Matcher<'c> {
    fn new(c: &'c Catalog, redact: &'c [String]) -> Matcher<'c> {
        let mut key_types: HashMap<String, Vec<TypeId>> = HashMap::new();
        for (t, def) in c.types() {
            for k in &def.alert_keys {
                let types = key_types.entry(normalize_key(k)).or_default();
                if !types.contains(&t) {
                    types.push(t);
                }
            }
        }
        Matcher {
            c,
            key_types,
            redact,
            ignore: Vec::new(),
            matches: Vec::new(),
            matched: HashSet::new(),
            ambiguous: Vec::new(),
            unmatched: Vec::new(),
            tried: HashSet::new(),
            named: HashSet::new(),
        }
    }

    fn secret(&self, key: &str) -> bool {
        is_secret(key, self.redact)
    }

    /// Values under this key are never read: a secret, or the vendor's own field.
    fn skipped(&self, key: &str) -> bool {
        self.secret(key) || self.ignore.contains(&normalize_key(key))
    }

    /// The types a key names (empty: any type).
    fn types_of(&self, key: Option<&str>) -> Vec<TypeId> {
        key.and_then(|k| self.key_types.get(&normalize_key(k)))
            .cloned()
            .unwrap_or_default()
    }

    /// Try one identifier: whole, then (if `derive`) the labelled steps that take an
    /// identifier out of it; each within the key's types, then any type. True when it
    /// named something. A miss is recorded when `record_miss` is set.
    #[allow(clippy::too_many_arguments)]
    fn try_value(
        &mut self,
        key: Option<&str>,
        value: &str,
        path: &str,
        types: &[TypeId],
        step: Option<Step>,
        within: Option<&str>,
        derive: bool,
        record_miss: bool,
    ) -> bool {
        let mut candidates: Vec<(Option<Step>, &str)> = vec![(step, value)];
        if derive {
            candidates.extend(derived(value).into_iter().map(|(s, v)| (Some(s), v)));
        }
        for (st, cand) in candidates {
            let within = match (st, within) {
                (_, Some(w)) => Some(w),
                (Some(_), None) => Some(value),
                (None, None) => None,
            };
            for any_type in [false, true] {
                if any_type && types.is_empty() {
                    continue;
                }
                let tys = if any_type { &[][..] } else { types };
                let found = self.c.find(cand, tys);
                if !matches!(found, Found::None) {
                    self.named.insert(within.unwrap_or(value).to_owned());
                    self.named.insert(cand.to_owned());
                }
                match found {
                    Found::One(e, via) => {
                        if self.matched.insert(e) {
                            self.matches.push(Match {
                                entry: e,
                                value: cand.to_owned(),
                                path: path.to_owned(),
                                key: key.map(str::to_owned),
                                via,
                                typed: !types.is_empty() && !any_type,
                                step: st,
                                within: within.filter(|w| *w != cand).map(str::to_owned),
                                any_type,
                            });
                        }
                        return true;
                    }
                    Found::Several(candidates) => {
                        if !self.ambiguous.iter().any(|a| a.value == cand) {
                            self.ambiguous.push(Ambiguous {
                                value: cand.to_owned(),
                                path: path.to_owned(),
                                key: key.map(str::to_owned),
                                candidates,
                            });
                        }
                        return true;
                    }
                    Found::None => {}
                }
            }
        }
        let original = within.unwrap_or(value);
        if record_miss && self.tried.insert(original.to_owned()) {
            self.unmatched.push(Unmatched {
                value: original.to_owned(),
                path: path.to_owned(),
                key: key.map(str::to_owned),
                types: types.to_vec(),
            });
        }
        false
    }

    /// A keyed identifier from a source: skipped under a secret or ignored key.
    fn keyed(&mut self, key: Option<&str>, value: &str, path: &str) -> bool {
        if key.is_some_and(|k| self.skipped(k)) {
            return false;
        }
        let types = self.types_of(key);
        self.try_value(key, value, path, &types, None, None, true, true)
    }

    /// A configured `match` path for type `t`: true when one of its values named an entry.
    fn typed_path(&mut self, t: TypeId, path: &JsonPath, element: &Value, base: &str) -> bool {
        let mut any = false;
        for node in path.query_located(element).iter() {
            let here = join(base, &path_string(node.location()));
            let key = node.location().last().and_then(PathElement::as_name);
            if key.is_some_and(|k| self.secret(k)) {
                continue;
            }
            for (value, at) in scalars(node.node(), &here) {
                any |= self.try_value(key, &value, &at, &[t], None, None, true, true);
            }
        }
        any
    }

    /// One `read` of a source over `from` (an alert, or the document for `root` reads).
    fn read_at(&mut self, read: &Read, from: &Value, base: &str) {
        for node in read.path.query_located(from).iter() {
            if node
                .location()
                .last()
                .and_then(PathElement::as_name)
                .is_some_and(|k| self.secret(k))
            {
                continue;
            }
            let here = join(base, &path_string(node.location()));
            self.read(read, node.node(), &here);
        }
    }

    /// One `read` of a source at one node.
    fn read(&mut self, read: &Read, node: &Value, here: &str) {
        if read.capture.is_none() && read.split.is_none() {
            return self.shape(read.key.as_deref(), node, here, read.shape);
        }
        // A capture or a split applies to each scalar value read.
        let values = scalars(node, here);
        let key = read.key.as_deref();
        if key.is_some_and(|k| self.skipped(k)) {
            return;
        }
        let types = self.types_of(key);
        for (value, at) in values {
            let mut v = value.clone();
            let mut step = None;
            if let Some(re) = &read.capture {
                let Some(g) = re
                    .captures(&value)
                    .and_then(|c| c.iter().skip(1).flatten().next())
                else {
                    continue;
                };
                g.as_str().clone_into(&mut v);
                step = Some(Step::Capture);
            }
            match read.split {
                Some(Split::Host) => {
                    if let Some(h) = host_of(&v) {
                        v = h.to_owned();
                        step = Some(Step::Host);
                    }
                }
                Some(Split::Last) => {
                    // Asked for: any `/` or `:` separates (`project:instance`, an ARN).
                    if let Some(s) = v
                        .trim_end_matches('/')
                        .rsplit(['/', ':'])
                        .next()
                        .filter(|s| !s.is_empty() && *s != v)
                    {
                        v = s.to_owned();
                        step = Some(Step::Segment);
                    }
                }
                Some(Split::Gke) => {
                    let found = |c: &str| !matches!(self.c.find(c, &types), Found::None);
                    // Not a GKE node name, or none of its clusters in the catalog: no key.
                    let Some(cluster) = gke_cluster(&v, found) else {
                        continue;
                    };
                    v = cluster.to_owned();
                    step = Some(Step::Gke);
                }
                None => {}
            }
            if v.is_empty() {
                continue;
            }
            let within = (v != value).then_some(value.as_str());
            self.try_value(key, &v, &at, &types, step, within, true, true);
        }
    }

    /// Identifiers at a node of a known shape.
    fn shape(&mut self, key: Option<&str>, node: &Value, here: &str, shape: Shape) {
        match shape {
            Shape::Value => match node {
                Value::Array(items) => {
                    for (i, v) in items.iter().enumerate() {
                        if let Some(s) = scalar(v) {
                            self.keyed(key, &s, &format!("{here}[{i}]"));
                        }
                    }
                }
                v => {
                    if let Some(s) = scalar(v) {
                        self.keyed(key, &s, here);
                    }
                }
            },
            Shape::Map => self.map(node, here),
            Shape::Tags => match node {
                Value::Array(items) => {
                    for (i, v) in items.iter().enumerate() {
                        if let Value::String(tag) = v {
                            self.tag(tag, &format!("{here}[{i}]"));
                        }
                    }
                }
                Value::String(list) => {
                    for tag in list.split(',') {
                        self.tag(tag, here);
                    }
                }
                _ => {}
            },
            Shape::Pairs => match node {
                Value::Array(items) => self.pairs(items, here),
                // A JSON list inside a string (Zabbix `{EVENT.TAGSJSON}`), within the
                // payload limits.
                Value::String(text) => {
                    if let Ok(Value::Array(items)) = parse_payload(text.as_bytes()) {
                        self.pairs(&items, &format!("{here}(json)$"));
                    }
                }
                _ => {}
            },
        }
    }

    /// `[[key, value], …]` or `[{key|name|tag, value}, …]`.
    fn pairs(&mut self, items: &[Value], here: &str) {
        for (i, item) in items.iter().enumerate() {
            let at = format!("{here}[{i}]");
            let (k, v) = match item {
                Value::Array(kv) if kv.len() == 2 => (kv[0].as_str(), &kv[1]),
                Value::Object(o) => (
                    ["key", "name", "Name", "Key", "tag"]
                        .iter()
                        .find_map(|k| o.get(*k))
                        .and_then(Value::as_str),
                    ["value", "Value"]
                        .iter()
                        .find_map(|k| o.get(*k))
                        .unwrap_or(&Value::Null),
                ),
                _ => continue,
            };
            if let Some(s) = scalar(v) {
                self.keyed(k, &s, &at);
            }
        }
    }

    /// A mapping of labels or details: each scalar under its key; lists item by item;
    /// nested mappings under their own keys. Secret and ignored keys are skipped whole.
    fn map(&mut self, node: &Value, here: &str) {
        let Value::Object(o) = node else { return };
        for (k, v) in o {
            if self.skipped(k) {
                continue;
            }
            let mut at = here.to_owned();
            push_name(&mut at, k);
            match v {
                Value::Object(_) => self.map(v, &at),
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        if let Some(s) = scalar(item) {
                            self.keyed(Some(k), &s, &format!("{at}[{i}]"));
                        }
                    }
                }
                v => {
                    if let Some(s) = scalar(v) {
                        self.keyed(Some(k), &s, &at);
                    }
                }
            }
        }
    }

    /// `key:value` (Datadog, Opsgenie), or a bare value.
    fn tag(&mut self, tag: &str, at: &str) {
        let tag = tag.trim();
        if tag.is_empty() {
            return;
        }
        match tag.split_once(':') {
            Some((k, v)) if !k.is_empty() && !v.trim().is_empty() => {
                self.keyed(Some(k.trim()), v.trim(), at);
            }
            _ => {
                self.keyed(None, tag, at);
            }
        }
    }

    /// No source recognized: every string value, whole (and by the labelled steps), then
    /// as a `key:value` tag, then word by word. Values under a key that names a type are
    /// looked up in that type first. Values under secret keys are neither read nor shown.
    /// The alert's title, severity and status come from the usual keys.
    fn scan(&mut self, payload: &Value) -> AlertInfo {
        // Iterative: the depth is bounded by parse_payload, but a stack costs nothing here.
        let mut stack: Vec<(&Value, String, Option<&str>, usize)> =
            vec![(payload, String::from("$"), None, 0)];
        let mut strings: Vec<(&str, String, Option<&str>)> = Vec::new();
        // (depth, rank, value) of the best title, severity and status so far.
        let mut best: [Option<(usize, usize, String)>; 3] = [None, None, None];
        while let Some((v, at, key, depth)) = stack.pop() {
            match v {
                Value::Object(o) => {
                    for (k, child) in o.iter().rev() {
                        if self.secret(k) {
                            continue;
                        }
                        let mut p = at.clone();
                        push_name(&mut p, k);
                        stack.push((child, p, Some(k.as_str()), depth + 1));
                    }
                }
                Value::Array(items) => {
                    for (i, child) in items.iter().enumerate().rev() {
                        stack.push((child, format!("{at}[{i}]"), key, depth + 1));
                    }
                }
                Value::String(_) | Value::Number(_) => {
                    if let Some(k) = key {
                        let k = normalize_key(k);
                        for (slot, keys) in
                            [SCAN_TITLE, SCAN_SEVERITY, SCAN_STATUS].iter().enumerate()
                        {
                            if let (Some(rank), Some(text)) =
                                (keys.iter().position(|x| *x == k), scalar(v))
                            {
                                if best[slot]
                                    .as_ref()
                                    .is_none_or(|(d, r, _)| (depth, rank) < (*d, *r))
                                {
                                    best[slot] = Some((depth, rank, text));
                                }
                            }
                        }
                    }
                    if let Value::String(s) = v {
                        strings.push((s.as_str(), at, key));
                    }
                }
                _ => {}
            }
        }
        for (s, at, key) in strings {
            let whole = s.trim();
            if whole.is_empty() {
                continue;
            }
            let types = self.types_of(key);
            if self.try_value(key, whole, &at, &types, None, None, true, false) {
                continue;
            }
            if let Some((k, v)) = whole.split_once(':') {
                if !k.is_empty() && !v.is_empty() && !whole.contains(char::is_whitespace) {
                    let t = self.types_of(Some(k));
                    if !t.is_empty()
                        && self.try_value(Some(k), v, &at, &t, None, None, false, false)
                    {
                        continue;
                    }
                }
            }
            let mut any = false;
            for word in tokens(whole) {
                if word != whole {
                    any |= self.try_value(
                        key,
                        word,
                        &at,
                        &types,
                        Some(Step::Word),
                        Some(whole),
                        false,
                        false,
                    );
                }
            }
            if !any && self.tried.insert(whole.to_owned()) {
                self.unmatched.push(Unmatched {
                    value: whole.to_owned(),
                    path: at,
                    key: key.map(str::to_owned),
                    types,
                });
            }
        }
        let [title, severity, status] = best.map(|b| b.map(|(_, _, v)| v));
        AlertInfo {
            title,
            status,
            severity,
        }
    }
}

/// Words of free text that could be ids: runs of letters, digits, `.`, `_`, `-`, without
/// a leading or trailing `.`/`-`/`_` (the end of a sentence). `prod-eu-10` is one word, so
/// it never matches `prod-eu-1`.
fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .map(|w| w.trim_matches(|c| matches!(c, '.' | '_' | '-')))
        .filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_is_refused_before_parsing() {
        let deep = "[".repeat(50_000) + &"]".repeat(50_000);
        assert!(matches!(
            parse_payload(deep.as_bytes()),
            Err(PayloadError::TooDeep { offset: 64 })
        ));
        // Brackets inside strings do not count.
        let quoted = format!("{{\"a\": \"{}\"}}", "[".repeat(1000));
        assert!(parse_payload(quoted.as_bytes()).is_ok());
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse_payload(ok.as_bytes()).is_ok());
    }

    #[test]
    fn size_and_syntax_errors_say_what_to_do() {
        let big = vec![b' '; MAX_PAYLOAD_BYTES + 1];
        let e = parse_payload(&big).unwrap_err();
        assert!(e.to_string().contains("1.0 MiB limit"), "{e}");
        let e = parse_payload(b"{\"a\": ").unwrap_err();
        assert!(matches!(e, PayloadError::Invalid(_)));
        assert!(e.to_string().contains("line 1"), "{e}");
        assert_eq!(parse_payload(b"42"), Err(PayloadError::NotAnObject));
    }

    #[test]
    fn an_unknown_source_lists_the_known_ones_with_or_without_a_guess() {
        let e = |closest: Option<&str>| SourceError::Unknown {
            name: "alertmanger".into(),
            closest: closest.map(str::to_owned),
            known: vec!["alertmanager".into(), "grafana".into()],
        };
        assert_eq!(
            e(Some("alertmanager")).to_string(),
            "there is no alert source `alertmanger`; did you mean `alertmanager`? known sources: alertmanager, grafana"
        );
        assert_eq!(
            e(None).to_string(),
            "there is no alert source `alertmanger`; known sources: alertmanager, grafana"
        );
    }

    #[test]
    fn keys_normalize_across_spellings() {
        assert_eq!(normalize_key("ServiceName"), "servicename");
        assert_eq!(normalize_key("service_name"), "servicename");
        assert_eq!(
            normalize_key("app.kubernetes.io/name"),
            "app.kubernetes.io/name"
        );
    }

    #[test]
    fn steps_cut_at_separators_and_never_take_a_substring() {
        assert_eq!(host_of("prod-web-01:9100"), Some("prod-web-01"));
        assert_eq!(host_of("https://x:443/a"), None);
        assert_eq!(host_of("a:b"), None);
        assert_eq!(
            last_segment("arn:aws:ecs:us-east-1:123:cluster/api-stats-prod-003"),
            Some("api-stats-prod-003")
        );
        assert_eq!(
            last_segment("projects/p/instances/catalog-db/"),
            Some("catalog-db")
        );
        assert_eq!(last_segment("plain"), None);
        assert_eq!(first_label("db-1.prod.example.com"), Some("db-1"));
        assert_eq!(first_label("10.0.0.1"), None);
        assert_eq!(first_label("v1.2.3"), None);
        assert_eq!(
            derived("db-1.prod.example.com:5432"),
            [
                (Step::Host, "db-1.prod.example.com"),
                (Step::FirstLabel, "db-1")
            ]
        );
        // `prod-eu-10` is one identifier: no step yields `prod-eu-1`.
        for v in [
            "prod-eu-10",
            "prod-eu-10:9100",
            "cluster/prod-eu-10",
            "prod-eu-10.example.com",
        ] {
            assert!(derived(v).iter().all(|(_, d)| *d != "prod-eu-1"), "{v}");
        }
    }

    const NODE: &str = "gke-prod-us-2-default-pool-1a2b3c4d-xz9q";

    #[test]
    fn a_gke_node_names_its_longest_cluster_in_the_catalog() {
        let both = ["prod-us", "prod-us-2"];
        assert_eq!(gke_cluster(NODE, |c| both.contains(&c)), Some("prod-us-2"));
        assert_eq!(gke_cluster(NODE, |c| c == "prod-us"), Some("prod-us"));
        assert_eq!(gke_cluster(NODE, |_| false), None);
        // Longest first, one candidate per dash of `<cluster>-<pool>`; never the whole.
        let tried: Vec<&str> = gke_clusters(NODE).collect();
        assert_eq!(tried, ["prod-us-2-default", "prod-us-2", "prod-us", "prod"]);
    }

    #[test]
    fn a_value_of_another_shape_is_no_gke_node() {
        for v in [
            "prod-us-2",
            "ip-10-0-0-1.ec2.internal",
            "gke-prod-1a2b3c4d-xz9q",
            "gke-prod-us-2-default-pool-1a2b3c4d",
            "gke-prod-us-2-default-pool-1a2b3c4g-xz9q",
            "gke-prod-us-2-default-pool-1a2b3c4d-xz9",
            "gke-Prod-us-2-default-pool-1a2b3c4d-xz9q",
            "gke--pool-1a2b3c4d-xz9q",
            "gke-prod--1a2b3c4d-xz9q",
            "aks-nodepool1-12345678-vmss000000",
            "gke-",
            "",
        ] {
            assert_eq!(gke_cluster(v, |_| true), None, "{v}");
        }
        let long = format!("gke-{}-pool-1a2b3c4d-xz9q", "a-".repeat(200));
        assert_eq!(gke_clusters(&long).count(), 0);
    }

    /// Clusters of a GKE node, read by the built-in Alertmanager source from a catalog
    /// with these clusters and a Service `prod-us-2-default` (not of the key's type).
    fn gke_matches(clusters: &[&str]) -> Vec<(String, Option<Step>, Option<String>)> {
        let mut entries = String::from("type: Service\nid: prod-us-2-default\n");
        for id in clusters {
            let _ = write!(entries, "---\ntype: Cluster\nid: {id}\n");
        }
        let (_d, c) = crate::load::test_catalog(&[
            (
                "schemas/cluster.yaml",
                "type: Cluster\nalert_keys: [cluster]\n",
            ),
            (
                "schemas/service.yaml",
                "type: Service\nalert_keys: [service]\n",
            ),
            ("catalog/all.yaml", &entries),
        ]);
        let payload = serde_json::json!({
            "version": "4",
            "groupKey": "{}:{alertname=\"KubeNodeNotReady\"}",
            "alerts": [{"labels": {"alertname": "KubeNodeNotReady", "node": NODE}}],
        });
        let x = extract(&c, &sources::all(&c), &payload, None).unwrap();
        assert_eq!(x.source.as_deref(), Some("alertmanager"));
        x.matches
            .iter()
            .map(|m| (c.key(m.entry), m.step, m.within.clone()))
            .collect()
    }

    #[test]
    fn alertmanager_reads_the_cluster_of_a_gke_node_label() {
        let within = Some(NODE.to_owned());
        assert_eq!(
            gke_matches(&["prod-us", "prod-us-2"]),
            [("Cluster:prod-us-2".into(), Some(Step::Gke), within.clone())]
        );
        assert_eq!(
            gke_matches(&["prod-us"]),
            [("Cluster:prod-us".into(), Some(Step::Gke), within)]
        );
        assert_eq!(gke_matches(&["prod-eu"]), []);
    }

    mod gke_properties {
        use proptest::prelude::*;

        use super::super::gke_cluster;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            /// Any string: no panic, at most one lookup per dash, and a cluster only
            /// from between `gke-` and a dash.
            #[test]
            fn any_string_is_a_gke_node_or_not_without_panicking(
                any in "\\PC{0,300}",
                near in "(gke-)?[a-z0-9-]{0,40}(-[0-9a-f]{8}-[a-z0-9]{4})?",
            ) {
                for v in [any.as_str(), near.as_str()] {
                    let mut tried = 0;
                    let none = gke_cluster(v, |_| {
                        tried += 1;
                        false
                    });
                    prop_assert_eq!(none, None);
                    prop_assert!(tried <= v.matches('-').count());
                    if let Some(c) = gke_cluster(v, |_| true) {
                        prop_assert!(v.starts_with(&format!("gke-{c}-")), "{} in {}", c, v);
                    }
                }
            }
        }
    }

    #[test]
    fn words_are_whole_tokens() {
        let w: Vec<&str> = tokens("5xx on payments-api (prod-eu-10).").collect();
        assert_eq!(w, ["5xx", "on", "payments-api", "prod-eu-10"]);
    }
}

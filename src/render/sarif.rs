//! SARIF 2.1.0 as typed data: the subset lore writes, named as the standard names it
//! (<https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html>), so a field
//! cannot be misspelt and the document's shape is reviewed here, not in a `json!`.

use serde::Serialize;

/// The whole document (§3.13 `sarifLog`).
#[derive(Debug, Serialize)]
pub(crate) struct Log<'a> {
    #[serde(rename = "$schema")]
    pub(crate) schema: &'static str,
    pub(crate) version: &'static str,
    pub(crate) runs: Vec<Run<'a>>,
}

/// One run of one tool (§3.14).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Run<'a> {
    pub(crate) tool: Tool<'a>,
    /// `unicodeCodePoints`: lore's columns count characters (§3.14.26).
    pub(crate) column_kind: &'static str,
    pub(crate) results: Vec<ResultItem>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Tool<'a> {
    pub(crate) driver: Driver<'a>,
}

/// The tool component that ran (§3.19).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Driver<'a> {
    pub(crate) name: &'static str,
    pub(crate) version: &'static str,
    pub(crate) information_uri: &'static str,
    pub(crate) semantic_version: &'static str,
    pub(crate) rules: Vec<Rule<'a>>,
}

/// A reporting descriptor: one diagnostic code (§3.49), with everything GitHub code
/// scanning shows for a rule.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Rule<'a> {
    pub(crate) id: &'a str,
    pub(crate) short_description: Message,
    pub(crate) full_description: Message,
    pub(crate) help: Help,
    pub(crate) help_uri: String,
    pub(crate) default_configuration: Configuration,
}

/// A rule's help (§3.49.15): plain text and markdown.
#[derive(Debug, Serialize)]
pub(crate) struct Help {
    pub(crate) text: String,
    pub(crate) markdown: String,
}

/// A rule's default level (§3.50).
#[derive(Debug, Serialize)]
pub(crate) struct Configuration {
    pub(crate) level: &'static str,
}

/// A result: one problem (§3.27).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ResultItem {
    pub(crate) rule_id: &'static str,
    pub(crate) rule_index: usize,
    pub(crate) level: &'static str,
    pub(crate) message: Message,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) locations: Vec<Location>,
    /// Identifies the problem across runs whatever line it moves to (§3.27.17).
    pub(crate) partial_fingerprints: std::collections::BTreeMap<&'static str, String>,
}

/// A message with plain text (§3.11).
#[derive(Debug, Serialize)]
pub(crate) struct Message {
    pub(crate) text: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Location {
    pub(crate) physical_location: PhysicalLocation,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PhysicalLocation {
    pub(crate) artifact_location: ArtifactLocation,
    pub(crate) region: Region,
}

/// A file, by a relative URI reference resolved against the repository root (§3.4).
#[derive(Debug, Serialize)]
pub(crate) struct ArtifactLocation {
    pub(crate) uri: String,
}

/// Bytes a relative URI reference keeps as they are: RFC 3986 unreserved characters and
/// the path separator. Everything else (spaces, `%`, `#`, `?`, non-ASCII) is encoded.
const URI_PATH: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// A slash-separated relative path as a percent-encoded URI reference.
pub(crate) fn uri(path: &str) -> String {
    percent_encoding::utf8_percent_encode(path, URI_PATH).to_string()
}

/// A stable 64-bit FNV-1a hash in hex: the same input gives the same fingerprint in
/// every lore version and on every platform (std's hasher promises neither).
pub(crate) fn fingerprint(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// 1-based lines and columns (§3.30).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Region {
    pub(crate) start_line: usize,
    pub(crate) start_column: usize,
    pub(crate) end_line: usize,
    pub(crate) end_column: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded_but_keep_their_slashes() {
        assert_eq!(uri("catalog/a b/x#1.yaml"), "catalog/a%20b/x%231.yaml");
        assert_eq!(uri("catalog/caf\u{e9}.yaml"), "catalog/caf%C3%A9.yaml");
        assert_eq!(uri("sub/100%.yaml"), "sub/100%25.yaml");
    }

    #[test]
    fn fingerprints_are_stable_and_tell_parts_apart() {
        assert_eq!(fingerprint(&[]), "cbf29ce484222325");
        assert_eq!(fingerprint(&["a"]), fingerprint(&["a"]));
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
    }
}

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
pub(crate) struct Run<'a> {
    pub(crate) tool: Tool<'a>,
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
    pub(crate) rules: Vec<Rule<'a>>,
}

/// A reporting descriptor: one diagnostic code (§3.49).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Rule<'a> {
    pub(crate) id: &'a str,
    pub(crate) short_description: Message,
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

#[derive(Debug, Serialize)]
pub(crate) struct ArtifactLocation {
    pub(crate) uri: String,
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

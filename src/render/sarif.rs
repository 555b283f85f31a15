//! SARIF 2.1.0 as typed data: the subset lore writes, named as the standard names it
//! (<https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html>), so a field
//! cannot be misspelt and the document's shape is reviewed here, not in a `json!`.

use serde::Serialize;

/// The whole document (§3.13 `sarifLog`).
#[derive(Debug, Serialize)]
pub struct Log<'a> {
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    pub version: &'static str,
    pub runs: Vec<Run<'a>>,
}

/// One run of one tool (§3.14).
#[derive(Debug, Serialize)]
pub struct Run<'a> {
    pub tool: Tool<'a>,
    pub results: Vec<ResultItem>,
}

#[derive(Debug, Serialize)]
pub struct Tool<'a> {
    pub driver: Driver<'a>,
}

/// The tool component that ran (§3.19).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver<'a> {
    pub name: &'static str,
    pub version: &'static str,
    pub information_uri: &'static str,
    pub rules: Vec<Rule<'a>>,
}

/// A reporting descriptor: one diagnostic code (§3.49).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule<'a> {
    pub id: &'a str,
    pub short_description: Message,
}

/// A result: one problem (§3.27).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultItem {
    pub rule_id: &'static str,
    pub rule_index: usize,
    pub level: &'static str,
    pub message: Message,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
}

/// A message with plain text (§3.11).
#[derive(Debug, Serialize)]
pub struct Message {
    pub text: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub physical_location: PhysicalLocation,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    pub artifact_location: ArtifactLocation,
    pub region: Region,
}

#[derive(Debug, Serialize)]
pub struct ArtifactLocation {
    pub uri: String,
}

/// 1-based lines and columns (§3.30).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    pub start_line: usize,
    pub start_column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

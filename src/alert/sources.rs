//! Alert sources: the built-in ones, as YAML files in the language of lore.yaml's
//! `alerts.sources` (`src/alert/sources/*.yaml`, shipped inside the binary), and what a
//! compiled [`Source`] does with a payload: recognize it, unwrap it, split it into alerts
//! and read each alert's title, status and severity.
//!
//! Sources configured in lore.yaml come first, and one with a built-in's name replaces it.

use std::borrow::Cow;
use std::sync::LazyLock;

use serde_json::Value;
use serde_json_path::JsonPath;

use super::{parse_payload, path_string, scalar, AlertInfo};
pub(crate) use crate::config::sources::{Cond, Read, Shape, Source, Split};
use crate::graph::Catalog;

/// The built-in sources in detection order (the most specific first): name and file.
pub(crate) const BUILTIN: &[(&str, &str)] = &[
    ("grafana", include_str!("sources/grafana.yaml")),
    (
        "grafana-legacy",
        include_str!("sources/grafana-legacy.yaml"),
    ),
    ("alertmanager", include_str!("sources/alertmanager.yaml")),
    (
        "pagerduty-webhook",
        include_str!("sources/pagerduty-webhook.yaml"),
    ),
    (
        "pagerduty-events",
        include_str!("sources/pagerduty-events.yaml"),
    ),
    (
        "pagerduty-change",
        include_str!("sources/pagerduty-change.yaml"),
    ),
    ("opsgenie", include_str!("sources/opsgenie.yaml")),
    ("sentry", include_str!("sources/sentry.yaml")),
    ("sentry-metric", include_str!("sources/sentry-metric.yaml")),
    ("sentry-legacy", include_str!("sources/sentry-legacy.yaml")),
    ("cloudwatch", include_str!("sources/cloudwatch.yaml")),
    (
        "google-cloud-monitoring",
        include_str!("sources/google-cloud-monitoring.yaml"),
    ),
    ("azure-monitor", include_str!("sources/azure-monitor.yaml")),
    ("newrelic", include_str!("sources/newrelic.yaml")),
    (
        "newrelic-legacy",
        include_str!("sources/newrelic-legacy.yaml"),
    ),
    ("splunk", include_str!("sources/splunk.yaml")),
    ("splunk-oncall", include_str!("sources/splunk-oncall.yaml")),
    ("zabbix", include_str!("sources/zabbix.yaml")),
    ("incident-io", include_str!("sources/incident-io.yaml")),
    ("kibana", include_str!("sources/kibana.yaml")),
    ("uptime-kuma", include_str!("sources/uptime-kuma.yaml")),
    ("pingdom", include_str!("sources/pingdom.yaml")),
    ("uptimerobot", include_str!("sources/uptimerobot.yaml")),
    ("honeycomb", include_str!("sources/honeycomb.yaml")),
    ("checkly", include_str!("sources/checkly.yaml")),
    ("datadog", include_str!("sources/datadog.yaml")),
];

/// The text of a built-in source file, for `lore sources NAME`.
pub(crate) fn builtin_text(name: &str) -> Option<&'static str> {
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// The built-in sources, compiled once. A file with a problem is left out (a unit test
/// keeps every file free of them).
pub(crate) fn builtin() -> &'static [Source] {
    static COMPILED: LazyLock<Vec<Source>> = LazyLock::new(|| {
        BUILTIN
            .iter()
            .filter_map(|(name, text)| crate::config::sources::compile_builtin(name, text).ok())
            .collect()
    });
    &COMPILED
}

fn holds(c: &Cond, v: &Value) -> bool {
    let present = |p: &JsonPath| p.query(v).iter().any(|n| !n.is_null());
    match c {
        Cond::Present(p) => present(p),
        Cond::Equals(p, s) => p.query(v).iter().any(|n| n.as_str() == Some(s.as_str())),
        Cond::Any(ps) => ps.iter().any(present),
    }
}

impl Source {
    /// The document to read when this source recognizes `payload`, with the path prefix
    /// of its values.
    pub(crate) fn detect<'a>(&self, payload: &'a Value) -> Option<(Cow<'a, Value>, String)> {
        let (doc, prefix) = self.document(payload);
        self.detect
            .iter()
            .all(|c| holds(c, &doc))
            .then_some((doc, prefix))
    }

    /// The document this source reads: the first `unwrap` envelope that holds a JSON
    /// document (in a string, parsed within the payload limits, or an object), else the
    /// payload.
    pub(crate) fn document<'a>(&self, payload: &'a Value) -> (Cow<'a, Value>, String) {
        for path in &self.unwrap {
            let found = path.query_located(payload);
            let Some(node) = found.first() else { continue };
            match node.node() {
                Value::String(text) => {
                    if let Ok(inner) = parse_payload(text.as_bytes()) {
                        return (
                            Cow::Owned(inner),
                            format!("{}(json)", path_string(node.location())),
                        );
                    }
                }
                v @ Value::Object(_) => {
                    return (Cow::Borrowed(v), path_string(node.location()));
                }
                _ => {}
            }
        }
        (Cow::Borrowed(payload), String::new())
    }

    /// The document `--source NAME` reads: detection is skipped, except that a source
    /// that unwraps an envelope needs one, or a payload that passes its conditions.
    pub(crate) fn forced<'a>(&self, payload: &'a Value) -> Option<(Cow<'a, Value>, String)> {
        let (doc, prefix) = self.document(payload);
        let unwrapped = self.unwrap.is_empty() || !prefix.is_empty();
        (unwrapped || self.detect.iter().all(|c| holds(c, &doc))).then_some((doc, prefix))
    }

    /// Why `--source` refused a payload, for messages.
    pub(crate) fn unwrap_hint(&self) -> String {
        match self.unwrap.first() {
            Some(_) => {
                "neither the payload nor the envelopes this source unwraps have its fields".into()
            }
            None => "its fields are not where this source keeps them".into(),
        }
    }

    /// The alerts of a document, each with its path.
    pub(crate) fn elements<'a>(&self, doc: &'a Value) -> Vec<(&'a Value, String)> {
        match &self.each {
            None => vec![(doc, "$".to_owned())],
            Some(each) => each
                .query_located(doc)
                .iter()
                .map(|n| (n.node(), path_string(n.location())))
                .collect(),
        }
    }

    pub(crate) fn info(&self, element: &Value) -> AlertInfo {
        let first = |paths: &[JsonPath]| {
            paths
                .iter()
                .find_map(|p| p.query(element).iter().find_map(|v| scalar(v)))
        };
        AlertInfo {
            title: first(&self.title),
            status: first(&self.status),
            severity: first(&self.severity),
        }
    }
}

/// Every source, configured ones first; a source configured in lore.yaml replaces the
/// built-in of the same name (even one left out for its problems, which `lore validate`
/// reports).
pub(crate) fn all(c: &Catalog) -> Vec<Source> {
    let configured = c.config.alerts.sources.iter().cloned();
    let builtin = builtin()
        .iter()
        .filter(|b| !c.config.alerts.configures(&b.name))
        .cloned();
    configured.chain(builtin).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_file_compiles_reads_something_and_links_its_docs() {
        let mut names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), BUILTIN.len(), "names are unique");
        for (name, text) in BUILTIN {
            let s = crate::config::sources::compile_builtin(name, text)
                .unwrap_or_else(|e| panic!("built-in source {name}: {e:?}"));
            assert!(!s.reads.is_empty() && !s.detect.is_empty(), "{name}");
            assert!(s.typed.is_empty(), "{name}: built-ins read keyed values");
            assert!(
                s.docs.as_deref().is_some_and(|d| d.starts_with("https://")),
                "{name} links the vendor's documentation"
            );
            assert!(s.description.is_some(), "{name}");
            assert!(!s.title.is_empty(), "{name} has a title");
        }
        assert_eq!(builtin().len(), BUILTIN.len());
    }
}

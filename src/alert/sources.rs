//! Alert sources: how to recognize a payload format and where it keeps its alerts,
//! titles, severities and identifiers.
//!
//! The built-in table covers Alertmanager, Grafana, PagerDuty (Events v2 and Webhooks v3),
//! Datadog, Sentry, CloudWatch via SNS and Opsgenie, written as RFC 9535 paths compiled
//! once. Sources configured in lore.yaml (`alerts.sources`) come first, and one with a
//! built-in's name replaces it.

use std::borrow::Cow;
use std::sync::LazyLock;

use serde_json::Value;
use serde_json_path::JsonPath;

use super::{parse_payload, path_string, scalar, AlertInfo};
use crate::config::ConfiguredSource;
use crate::graph::Catalog;
use crate::model::TypeId;

/// How the identifiers at a path are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A scalar (or a list of them) under the extractor's key.
    Value,
    /// A mapping of labels or details: each value under its own key.
    Map,
    /// `key:value` strings, as a list or comma-separated (Datadog, Opsgenie).
    Tags,
    /// `[[key, value], …]` or `[{key|name, value}, …]` (Sentry tags, CloudWatch dimensions).
    Pairs,
}

/// A condition on the payload for detection.
#[derive(Debug, Clone)]
enum Cond {
    /// The path selects a non-null value.
    Present(JsonPath),
    /// The path selects this string.
    Equals(JsonPath, &'static str),
    /// One of the paths selects a non-null value.
    Any(Vec<JsonPath>),
}

impl Cond {
    fn holds(&self, v: &Value) -> bool {
        let present = |p: &JsonPath| p.query(v).iter().any(|n| !n.is_null());
        match self {
            Cond::Present(p) => present(p),
            Cond::Equals(p, s) => p.query(v).iter().any(|n| n.as_str() == Some(s)),
            Cond::Any(ps) => ps.iter().any(present),
        }
    }
}

/// One alert source, built in or configured.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub(crate) name: String,
    detect: Vec<Cond>,
    /// A JSON document inside a string (SNS `Message`), parsed before anything else.
    unwrap: Option<JsonPath>,
    /// Conditions on the unwrapped document.
    inner: Vec<Cond>,
    /// One alert per node (default: the whole document).
    each: Option<JsonPath>,
    title: Vec<JsonPath>,
    severity: Vec<JsonPath>,
    status: Vec<JsonPath>,
    /// Configured `match`: per type, paths tried in order until one names an entry.
    pub(crate) typed: Vec<(TypeId, Vec<JsonPath>)>,
    /// Built-in identifier places: (key for `Shape::Value`, path, shape).
    pub(crate) keyed: Vec<(Option<String>, JsonPath, Shape)>,
}

impl Source {
    /// The document to read when this source recognizes `payload`, with the path prefix
    /// of its values.
    pub(crate) fn detect<'a>(&self, payload: &'a Value) -> Option<(Cow<'a, Value>, String)> {
        if !self.detect.iter().all(|c| c.holds(payload)) {
            return None;
        }
        self.document(payload)
    }

    /// The document this source reads (unwrapping an embedded JSON string), without the
    /// outer detection, for `--source`.
    pub(crate) fn document<'a>(&self, payload: &'a Value) -> Option<(Cow<'a, Value>, String)> {
        let (doc, prefix) = match &self.unwrap {
            None => (Cow::Borrowed(payload), String::new()),
            Some(path) => {
                let found = path.query_located(payload);
                let node = found.first()?;
                let text = node.node().as_str()?;
                let inner = parse_payload(text.as_bytes()).ok()?;
                (
                    Cow::Owned(inner),
                    format!("{}(json)", path_string(node.location())),
                )
            }
        };
        self.inner
            .iter()
            .all(|c| c.holds(&doc))
            .then_some((doc, prefix))
    }

    /// Why `document` may fail, for messages.
    pub(crate) fn unwrap_hint(&self) -> String {
        match &self.unwrap {
            Some(p) => format!("{p} is not a JSON string holding the alarm"),
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
/// reports). Configured paths were compiled when the catalog loaded, built-in ones on
/// first use.
pub(crate) fn all(c: &Catalog) -> Vec<Source> {
    static BUILTIN: LazyLock<Vec<Source>> = LazyLock::new(builtin);
    let configured = c.config.alerts.sources.iter().map(configured);
    let builtin = BUILTIN
        .iter()
        .filter(|b| !c.config.alerts.configures(&b.name))
        .cloned();
    configured.chain(builtin).collect()
}

fn configured(cfg: &ConfiguredSource) -> Source {
    Source {
        name: cfg.name.clone(),
        detect: vec![Cond::Present(cfg.detect.clone())],
        unwrap: None,
        inner: Vec::new(),
        each: cfg.each.clone(),
        title: cfg.title.iter().cloned().collect(),
        severity: cfg.severity.iter().cloned().collect(),
        status: cfg.status.iter().cloned().collect(),
        typed: cfg.matches.clone(),
        keyed: Vec::new(),
    }
}

/// A built-in path; the table below is checked by a unit test.
fn p(path: &str) -> JsonPath {
    match JsonPath::parse(path) {
        Ok(p) => p,
        Err(e) => unreachable!("built-in path {path}: {e}"),
    }
}

fn ps(paths: &[&str]) -> Vec<JsonPath> {
    paths.iter().map(|s| p(s)).collect()
}

fn keyed(items: &[(Option<&str>, &str, Shape)]) -> Vec<(Option<String>, JsonPath, Shape)> {
    items
        .iter()
        .map(|(k, path, shape)| (k.map(str::to_owned), p(path), *shape))
        .collect()
}

fn source(name: &str) -> Source {
    Source {
        name: name.to_owned(),
        detect: Vec::new(),
        unwrap: None,
        inner: Vec::new(),
        each: None,
        title: Vec::new(),
        severity: Vec::new(),
        status: Vec::new(),
        typed: Vec::new(),
        keyed: Vec::new(),
    }
}

/// The built-in sources, in detection order (the most specific first).
pub(crate) fn builtin() -> Vec<Source> {
    use Shape::{Map, Pairs, Tags, Value};
    vec![
        // Grafana unified alerting: Alertmanager's shape plus orgId, title, state.
        Source {
            detect: vec![Cond::Present(p("$.alerts")), Cond::Present(p("$.orgId"))],
            each: Some(p("$.alerts[*]")),
            title: ps(&["$.labels.alertname", "$.annotations.summary"]),
            severity: ps(&["$.labels.severity"]),
            status: ps(&["$.status"]),
            keyed: keyed(&[(None, "$.labels", Map)]),
            ..source("grafana")
        },
        // Prometheus Alertmanager webhook v4: several alerts per group.
        Source {
            detect: vec![Cond::Present(p("$.alerts")), Cond::Present(p("$.groupKey"))],
            each: Some(p("$.alerts[*]")),
            title: ps(&["$.labels.alertname", "$.annotations.summary"]),
            severity: ps(&["$.labels.severity"]),
            status: ps(&["$.status"]),
            keyed: keyed(&[(None, "$.labels", Map)]),
            ..source("alertmanager")
        },
        // PagerDuty Webhooks v3: an incident event with its PagerDuty service.
        Source {
            detect: vec![
                Cond::Present(p("$.event.event_type")),
                Cond::Present(p("$.event.data")),
            ],
            title: ps(&["$.event.data.title", "$.event.data.summary"]),
            severity: ps(&["$.event.data.priority.summary", "$.event.data.urgency"]),
            status: ps(&["$.event.data.status", "$.event.event_type"]),
            keyed: keyed(&[
                (Some("service"), "$.event.data.service.summary", Value),
                (Some("service"), "$.event.data.service.id", Value),
                (None, "$.event.data.custom_fields", Map),
            ]),
            ..source("pagerduty-webhook")
        },
        // PagerDuty Events API v2: component, group, source and custom details.
        Source {
            detect: vec![
                Cond::Present(p("$.routing_key")),
                Cond::Present(p("$.event_action")),
            ],
            title: ps(&["$.payload.summary"]),
            severity: ps(&["$.payload.severity"]),
            status: ps(&["$.event_action"]),
            keyed: keyed(&[
                (Some("component"), "$.payload.component", Value),
                (Some("group"), "$.payload.group", Value),
                (Some("source"), "$.payload.source", Value),
                (None, "$.payload.custom_details", Map),
            ]),
            ..source("pagerduty-events")
        },
        // Opsgenie outgoing webhook: tags, details and entity of the alert.
        Source {
            detect: vec![
                Cond::Present(p("$.alert.alertId")),
                Cond::Present(p("$.action")),
            ],
            title: ps(&["$.alert.message"]),
            severity: ps(&["$.alert.priority"]),
            status: ps(&["$.action"]),
            keyed: keyed(&[
                (None, "$.alert.tags", Tags),
                (None, "$.alert.details", Map),
                (Some("entity"), "$.alert.entity", Value),
            ]),
            ..source("opsgenie")
        },
        // Sentry issue alert (integration platform): the event's tags.
        Source {
            detect: vec![
                Cond::Present(p("$.data.event")),
                Cond::Any(ps(&["$.data.triggered_rule", "$.installation", "$.actor"])),
            ],
            title: ps(&["$.data.event.title", "$.data.event.message"]),
            severity: ps(&["$.data.event.level"]),
            status: ps(&["$.action"]),
            keyed: keyed(&[
                (None, "$.data.event.tags", Pairs),
                (Some("project"), "$.data.event.project_slug", Value),
            ]),
            ..source("sentry")
        },
        // CloudWatch alarm delivered by SNS: the alarm is a JSON string in `Message`.
        Source {
            detect: vec![
                Cond::Equals(p("$.Type"), "Notification"),
                Cond::Present(p("$.Message")),
            ],
            unwrap: Some(p("$.Message")),
            inner: vec![Cond::Present(p("$.AlarmName"))],
            title: ps(&["$.AlarmName"]),
            status: ps(&["$.NewStateValue"]),
            keyed: keyed(&[
                (None, "$.Trigger.Dimensions", Pairs),
                (
                    None,
                    "$.Trigger.Metrics[*].MetricStat.Metric.Dimensions",
                    Pairs,
                ),
            ]),
            ..source("cloudwatch")
        },
        // Datadog webhook: tags as `key:value` strings (a list or comma-separated).
        Source {
            detect: vec![
                Cond::Present(p("$.tags")),
                Cond::Any(ps(&[
                    "$.alert_id",
                    "$.alert_transition",
                    "$.alert_type",
                    "$.event_type",
                ])),
            ],
            title: ps(&["$.title", "$.alert_title", "$.event_title"]),
            severity: ps(&["$.priority", "$.alert_priority"]),
            status: ps(&["$.alert_transition", "$.alert_status"]),
            keyed: keyed(&[(None, "$.tags", Tags), (Some("host"), "$.hostname", Value)]),
            ..source("datadog")
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_paths_compile_and_names_are_unique() {
        let all = builtin();
        let mut names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len());
        assert!(all
            .iter()
            .all(|s| !s.keyed.is_empty() && !s.detect.is_empty()));
    }
}

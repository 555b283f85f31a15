//! Alert sources as data: `lore sources` lists and prints them, a printed built-in works
//! the same from lore.yaml, a typo in a configured source is a diagnostic at its line,
//! and secrets in a payload never reach any output format.

use serde_json::Value;

use super::{catalog, lore, places, repo, stderr, stdout, validate_json};

const TEAM: &str = "type: Team\nalert_keys: [team]\n";
const SERVICE: &str =
    "type: Service\nrelations:\n  owner: {to: Team, owner: true}\nalert_keys: [service]\n";
const CLUSTER: &str =
    "type: Cluster\nrelations:\n  owner: {to: Team, owner: true}\nalert_keys: [cluster]\n";
const ENTRIES: &str = "type: Team\nid: payments\n---\ntype: Service\nid: checkout\nowner: payments\n---\ntype: Cluster\nid: docker_nodes\nowner: payments\n---\ntype: Cluster\nid: api-stats-prod-003\nowner: payments\n---\ntype: Service\nid: db-1\nowner: payments\n";

fn repo_with(config: &str) -> tempfile::TempDir {
    catalog(&[
        ("lore.yaml", config),
        ("schemas/team.yaml", TEAM),
        ("schemas/service.yaml", SERVICE),
        ("schemas/cluster.yaml", CLUSTER),
        ("catalog/all.yaml", ENTRIES),
    ])
}

fn route(dir: &std::path::Path, payload: &str, format: &str) -> (i32, String) {
    let out = lore(dir)
        .args(["route", "--format", format])
        .write_stdin(payload)
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), stdout(&out))
}

#[test]
fn sources_lists_every_builtin_with_its_docs() {
    let out = lore(&repo()).arg("sources").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for name in [
        "synthetics",
        "alertmanager",
        "grafana-legacy",
        "pagerduty-change",
        "sentry-metric",
        "google-cloud-monitoring",
        "azure-monitor",
        "splunk-oncall",
        "honeycomb",
    ] {
        assert!(
            text.contains(&format!("  {name} ")),
            "{name} missing:\n{text}"
        );
    }
    assert!(text.contains("https://learn.microsoft.com/"), "{text}");
    let out = lore(&repo())
        .args(["sources", "cloudwach"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean `cloudwatch`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_printed_builtin_pasted_into_lore_yaml_validates_and_routes_the_same() {
    let printed = stdout(
        &lore(&repo())
            .args(["sources", "alertmanager"])
            .output()
            .unwrap(),
    );
    assert!(
        printed.starts_with("# The built-in source `alertmanager`"),
        "{printed}"
    );
    // Renamed, so the configured copy (tried first) is the one that answers.
    let config = printed.replace("    alertmanager:", "    my-alertmanager:");
    let dir = repo_with(&config);
    let (code, report) = validate_json(dir.path(), &["--strict"]);
    assert_eq!(code, 0, "{report}");
    let payload = r#"{"version":"4","groupKey":"g","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"Down","service":"checkout","instance":"db-1.prod.example.com:9100"}}]}"#;
    let (code, out) = route(dir.path(), payload, "json");
    assert_eq!(code, 0, "{out}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["source"], "my-alertmanager");
    let entries: Vec<&str> = r["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["entry"].as_str().unwrap())
        .collect();
    assert_eq!(entries, ["Service:checkout", "Service:db-1"]);
    // db-1 came out of host:port, then out of the domain name: labelled, never a substring.
    assert_eq!(r["matches"][1]["step"], "first-label");
    assert_eq!(r["matches"][1]["within"], "db-1.prod.example.com:9100");
}

#[test]
fn a_typo_in_a_configured_source_is_reported_at_its_line() {
    let dir = repo_with(
        "alerts:\n  sources:\n    hook:\n      detect: [\"$.check\", {path: \"$.kind\", equals: check}]\n      read:\n        - {path: \"$.tags\", shape: tagz}\n        - {path: \"$.url\", capture: \"/projects/[^/]+/\"}\n      titel: \"$.name\"\n",
    );
    let (code, report) = validate_json(dir.path(), &[]);
    assert_eq!(code, 2, "{report}");
    let got = places(&report);
    assert!(got.iter().any(|p| p.starts_with("lore.yaml:6:")), "{got:?}");
    assert!(got.iter().any(|p| p.starts_with("lore.yaml:8:")), "{got:?}");
    // The schema check drops the bad keys; the pattern without a group is reported
    // once the rest compiles.
    let dir = repo_with(
        "alerts:\n  sources:\n    hook:\n      detect: \"$.check\"\n      read:\n        - {path: \"$.url\", capture: \"/projects/[^/]+/\"}\n",
    );
    let (code, report) = validate_json(dir.path(), &[]);
    assert_eq!(code, 2, "{report}");
    assert_eq!(places(&report), ["lore.yaml:6:36 lore::config"], "{report}");
    assert!(report.to_string().contains("has no group"), "{report}");
}

#[test]
fn secrets_in_a_payload_never_reach_any_output_format() {
    let dir = repo_with("{}\n");
    // Scanned (no source knows it), detected (PagerDuty Events v2), and nothing matched.
    let payloads = [
        r#"{"routing_key":"R0UT1NGKEYSECRET","integration_key":"INTKEYSECRET","headers":{"Authorization":"Bearer TOKSECRET"},"password":"PWSECRET","text":"checkout is down"}"#,
        r#"{"routing_key":"R0UT1NGKEYSECRET","event_action":"trigger","payload":{"summary":"down","source":"nowhere","custom_details":{"api_token":"TOKSECRET","service":"checkout"}}}"#,
        r#"{"routing_key":"R0UT1NGKEYSECRET","event_action":"trigger","payload":{"summary":"down","custom_details":{"client_secret":"PWSECRET"}}}"#,
    ];
    for payload in payloads {
        for format in ["human", "json", "markdown"] {
            let (_, out) = route(dir.path(), payload, format);
            for secret in ["R0UT1NGKEYSECRET", "INTKEYSECRET", "TOKSECRET", "PWSECRET"] {
                assert!(!out.contains(secret), "{format} shows {secret}:\n{out}");
            }
        }
    }
}

#[test]
fn a_typed_value_that_names_nothing_of_its_type_is_tried_against_every_type() {
    let dir = repo_with("{}\n");
    let payload = r#"{"version":"4","groupKey":"g","status":"firing","alerts":[{"labels":{"alertname":"NodeDown","service":"docker_nodes","cluster":"arn:aws:ecs:us-east-1:123:cluster/api-stats-prod-003"}}]}"#;
    let (code, out) = route(dir.path(), payload, "json");
    assert_eq!(code, 0, "{out}");
    let r: Value = serde_json::from_str(&out).unwrap();
    let m = r["matches"].as_array().unwrap();
    let docker = m.iter().find(|x| x["value"] == "docker_nodes").unwrap();
    assert_eq!(docker["entry"], "Cluster:docker_nodes");
    assert_eq!(docker["any_type"], true);
    let arn = m
        .iter()
        .find(|x| x["entry"] == "Cluster:api-stats-prod-003")
        .unwrap();
    assert_eq!(arn["step"], "segment");
    assert_eq!(arn["any_type"], false);
    // Neither is listed as missing.
    assert!(
        r["unmatched"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["value"] != "docker_nodes"),
        "{out}"
    );
    let (_, human) = route(dir.path(), payload, "human");
    assert!(human.contains("(last segment of a path)"), "{human}");
    assert!(human.contains("found among every type"), "{human}");
}

#[test]
fn scan_mode_keeps_title_status_and_severity_and_a_matched_team_is_not_its_own_owner() {
    let dir = repo_with("{}\n");
    let payload = r#"{"incident":{"title":"Checkout down","state":"open","priority":"P1","owning":{"team":"payments"}}}"#;
    let (code, out) = route(dir.path(), payload, "json");
    assert_eq!(code, 0, "{out}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["scanned"], true);
    assert_eq!(
        r["alerts"],
        serde_json::json!([{"title": "Checkout down", "status": "open", "severity": "P1"}])
    );
    let (_, human) = route(dir.path(), payload, "human");
    assert!(human.contains("  Checkout down  open  P1"), "{human}");
    assert!(human.contains("named by the alert"), "{human}");
    assert!(!human.contains("owns Team payments"), "{human}");
    let (_, md) = route(dir.path(), payload, "markdown");
    assert!(md.contains("(named by the alert)"), "{md}");
}

#[test]
fn source_skips_detection_but_an_envelope_source_needs_its_envelope() {
    let dir = repo_with("{}\n");
    // No groupKey: not detected as Alertmanager, but --source reads it as one.
    let payload = r#"{"alerts":[{"labels":{"service":"checkout"}}]}"#;
    let out = lore(dir.path())
        .args(["route", "--source", "alertmanager", "--format", "json"])
        .write_stdin(payload)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["matches"][0]["entry"], "Service:checkout");
    let out = lore(dir.path())
        .args(["route", "--source", "cloudwatch"])
        .write_stdin(payload)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a `cloudwatch` alert"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_word_of_a_longer_value_is_shown_as_such_and_a_matched_value_is_never_missing() {
    let dir = repo_with("{}\n");
    // Scanned: `checkout` is a word of `notes`, not the value of a key.
    let payload = r#"{"incident":{"title":"Cart","notes":"checkout is down","service":"cart"}}"#;
    let (code, human) = route(dir.path(), payload, "human");
    assert_eq!(code, 0, "{human}");
    assert!(
        human.contains("Service checkout  checkout (a word of notes) by id"),
        "{human}"
    );
    assert!(!human.contains("notes=checkout"), "{human}");
    // An owner with no contact fields ends its line at its name.
    assert!(human.contains("\n  Team payments (payments)\n"), "{human}");
    assert!(!human.lines().any(|l| l.ends_with(' ')), "{human}");
    let (_, md) = route(dir.path(), payload, "markdown");
    assert!(
        md.contains("- **payments** `Team:payments` (owns `Service:checkout`)"),
        "{md}"
    );
    // `cluster=checkout` names no Cluster but matches the Service elsewhere: it is not
    // listed as missing; `checkout-x` is.
    let payload = r#"{"version":"4","groupKey":"g","status":"firing","alerts":[{"labels":{"alertname":"A","service":"checkout"}},{"labels":{"alertname":"B","service":"checkout-x","cluster":"checkout"}}]}"#;
    let (_, human) = route(dir.path(), payload, "human");
    let missing = human.split("Not in the catalog").nth(1).unwrap_or_default();
    let missing = missing.split("\n\n").next().unwrap_or_default();
    assert!(missing.contains("service=checkout-x"), "{human}");
    assert!(!missing.contains("=checkout "), "{human}");
    assert!(!missing.contains("cluster="), "{human}");
}

#[test]
fn a_payload_with_no_value_says_so_without_an_empty_heading() {
    let dir = repo_with("{}\n");
    for format in ["human", "markdown"] {
        let (code, out) = route(dir.path(), r#"{"a":[]}"#, format);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("The payload holds no value to try."), "{out}");
        assert!(!out.contains("Values tried"), "{format}: {out}");
    }
    let (_, out) = route(
        dir.path(),
        r#"{"version":"4","groupKey":"g","status":"firing","alerts":[{"labels":{"service":"billing-v2"}}]}"#,
        "human",
    );
    assert!(out.contains("Values tried\n  service=billing-v2"), "{out}");
}

//! `lore route` and `lore test`: every built-in source on its sample payload, the output
//! formats, the scan fallback, hostile payloads, and routing regression tests. Human and
//! markdown output, and usage errors, are the `tests/cmd/route-*` cases.

use serde_json::Value;

use crate::{lore, repo, stderr, stdout};

fn route_json(args: &[&str]) -> (i32, Value) {
    let out = lore(&repo())
        .arg("route")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(&out), stderr(&out)));
    (out.status.code().unwrap_or(-1), json)
}

fn keys(report: &Value, field: &str, key: &str) -> Vec<String> {
    let mut v: Vec<String> = report[field]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m[key].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v.dedup();
    v
}

fn route_stdin(payload: impl Into<Vec<u8>>, extra: &[&str]) -> std::process::Output {
    lore(&repo())
        .args(["route", "-"])
        .args(extra)
        .write_stdin(payload)
        .output()
        .unwrap()
}

#[test]
fn every_builtin_source_routes_its_sample_payload() {
    let cases: &[(&str, &str, &[&str], &[&str])] = &[
        (
            "alertmanager",
            "alertmanager",
            &["Service:ledger", "Service:payments-api"],
            &["Team:payments"],
        ),
        ("grafana", "grafana", &["Cluster:prod-us-2"], &["Team:sre"]),
        (
            "pagerduty-events",
            "pagerduty-events",
            &[
                "Customer:fabrikam-retail",
                "Feature:checkout",
                "Service:checkout-api",
            ],
            &["Team:checkout-web"],
        ),
        (
            "pagerduty-webhook",
            "pagerduty-webhook",
            &["Service:playback-api"],
            &["Team:playback"],
        ),
        (
            "datadog",
            "datadog",
            &["Service:search-api", "Team:merchant-tools"],
            &["Team:merchant-tools"],
        ),
        (
            "sentry",
            "sentry",
            &["Device:sony-bravia-2016"],
            &["Team:tv-apps"],
        ),
        (
            "cloudwatch",
            "cloudwatch",
            &["Database:orders-db"],
            &["Team:checkout-web"],
        ),
        (
            "opsgenie",
            "opsgenie",
            &[
                "Customer:contoso-telecom",
                "Feature:live-tv",
                "Integration:akamai",
                "Team:playback",
            ],
            &["Team:playback"],
        ),
        (
            "synthetics",
            "synthetics",
            &["Cluster:prod-eu-1", "Service:storefront-web"],
            &["Team:checkout-web", "Team:sre"],
        ),
    ];
    for (file, source, matches, owners) in cases {
        let path = format!("examples/alerts/{file}.json");
        let (code, r) = route_json(&[&path]);
        assert_eq!(code, 0, "{file}: {r}");
        assert_eq!(r["source"], *source, "{file}");
        assert_eq!(r["scanned"], false, "{file}");
        assert_eq!(keys(&r, "matches", "entry"), *matches, "{file}");
        assert_eq!(keys(&r, "owners", "owner"), *owners, "{file}");
        // --source names the same source explicitly.
        let (code, forced) = route_json(&[&path, "--source", source]);
        assert_eq!(code, 0, "{file}");
        assert_eq!(keys(&forced, "matches", "entry"), *matches, "{file}");
    }
}

#[test]
fn json_output_has_the_documented_fields() {
    let (code, r) = route_json(&["examples/alerts/alertmanager.json"]);
    assert_eq!(code, 0);
    let fields: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
    for f in [
        "version",
        "source",
        "scanned",
        "alerts",
        "matches",
        "unmatched",
        "owners",
        "impacted",
        "totals",
        "notes",
    ] {
        assert!(fields.contains(&f), "missing `{f}` in {fields:?}");
    }
    assert_eq!(r["version"], 1);
    assert_eq!(r["alerts"].as_array().unwrap().len(), 2);
    assert_eq!(r["alerts"][0]["title"], "PaymentsHighErrorRate");
    assert_eq!(r["alerts"][0]["status"], "firing");
    assert_eq!(r["alerts"][0]["severity"], "critical");
    let m = &r["matches"][0];
    assert_eq!(m["entry"], "Service:payments-api");
    assert_eq!(m["value"], "payments-api");
    assert_eq!(m["path"], "$['alerts'][0]['labels']['service']");
    assert_eq!(m["via"], "id");
    assert_eq!(r["matches"][1]["via"], "alias");
    let o = &r["owners"][0];
    assert_eq!(o["of"], "Service:payments-api");
    assert_eq!(o["owner"], "Team:payments");
    assert_eq!(o["name"], "Payments");
    assert_eq!(o["summary"]["oncall"], "PPAY7QZ");
    assert_eq!(
        o["path"],
        serde_json::json!(["Service:payments-api", "Team:payments"])
    );
    let i = &r["impacted"][0];
    for f in ["entry", "name", "distance", "chain"] {
        assert!(i.get(f).is_some(), "impacted lacks {f}: {i}");
    }
    // Tier 1, and the impact reaches Commerce Cloud's customers: over the ARR threshold.
    assert!(r["totals"]["Customer"]["arr"].as_i64().unwrap() >= 1_000_000);
    let notes = r["notes"].as_array().unwrap();
    assert_eq!(notes[0]["entry"], Value::Null);
    assert!(notes[0]["text"]
        .as_str()
        .unwrap()
        .starts_with("ARR at risk"));
    assert!(notes
        .iter()
        .any(|n| n["entry"] == "Service:payments-api"
            && n["text"].as_str().unwrap().contains("tier 1")));
}

#[test]
fn a_device_out_of_sla_says_so() {
    let (_, r) = route_json(&["examples/alerts/sentry.json"]);
    let notes = r["notes"].as_array().unwrap();
    assert!(notes.iter().any(|n| n["entry"] == "Device:sony-bravia-2016"
        && n["text"].as_str().unwrap().contains("out of SLA")));
}

#[test]
fn an_unknown_payload_is_scanned_and_says_so() {
    let (code, r) = route_json(&["examples/alerts/unknown-webhook.json"]);
    assert_eq!(code, 0);
    assert_eq!(r["source"], Value::Null);
    assert_eq!(r["scanned"], true);
    assert_eq!(keys(&r, "matches", "entry"), ["Service:identity-service"]);
    // The human form says so too: tests/cmd/route-unknown-payload-is-scanned.
}

#[test]
fn matches_are_whole_tokens() {
    let payload =
        r#"{"note": "nodes down in prod-eu-10 and prod-eu-1x", "cluster_name": "prod-eu-10"}"#;
    let out = route_stdin(payload, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["matches"], serde_json::json!([]));
}

#[test]
fn nothing_matched_exits_1_with_the_values_tried() {
    let payload = r#"{"version":"4","groupKey":"g","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"DiskFull","service":"billing-v2"}}]}"#;
    // The human form: tests/cmd/route-nothing-matched-lists-the-values-tried.
    let out = route_stdin(payload, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(keys(&r, "unmatched", "value"), ["DiskFull", "billing-v2"]);
}

#[test]
fn hostile_payloads_are_refused_with_exit_2() {
    let out = route_stdin("{\"alerts\": [", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not valid JSON"), "{}", stderr(&out));

    let big = format!("{{\"pad\": \"{}\"}}", "x".repeat(5 * 1024 * 1024));
    let out = route_stdin(big.clone(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("larger than the 1.0 MiB limit"),
        "{}",
        stderr(&out)
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.json");
    std::fs::write(&file, big).unwrap();
    let out = lore(&repo()).arg("route").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("1.0 MiB limit"), "{}", stderr(&out));

    let deep = "[".repeat(50_000) + &"]".repeat(50_000);
    let out = route_stdin(deep, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("more than 64 levels deep"),
        "{}",
        stderr(&out)
    );

    let out = route_stdin(" \n", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("the alert payload is empty"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn control_and_bidi_characters_from_the_payload_are_escaped() {
    let payload = "{\"version\":\"4\",\"groupKey\":\"g\",\"alerts\":[{\"status\":\"firing\\u001b[2J\",\"labels\":{\"alertname\":\"ok \\u202egnp.exe\",\"service\":\"pay-api\",\"team\":\"x\\u0007\"}}]}";
    for format in ["human", "markdown"] {
        let out = route_stdin(payload, &["--format", format]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = stdout(&out);
        assert!(
            !text.contains('\u{202e}') && !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text}"
        );
        assert!(text.contains("\\u{202e}"), "{text}");
        assert!(text.contains("\\u{1b}"), "{text}");
    }
}

#[test]
fn routing_tests_pass_on_the_example_catalog() {
    let out = lore(&repo()).arg("test").output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains(" 0 failed"), "{}", stdout(&out));
}

/// When someone moves a service to another team, the routing test says so.
#[test]
fn a_wrong_owner_fails_with_a_diff() {
    let dir = tempfile::tempdir().unwrap();
    let alerts = repo().join("examples/alerts");
    let text = std::fs::read_to_string(repo().join("routing/examples.yaml"))
        .unwrap()
        .replace("../examples/alerts", &alerts.to_string_lossy())
        .replace("owners: [Team:tv-apps]", "owners: [Team:playback]");
    let file = dir.path().join("moved.yaml");
    std::fs::write(&file, text).unwrap();
    let out = lore(&repo()).arg("test").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("FAIL  Sentry fatal error on an out-of-SLA device"),
        "{text}"
    );
    assert!(
        text.contains("- Team:playback  (expected, not produced)"),
        "{text}"
    );
    assert!(
        text.contains("+ Team:tv-apps  (produced, not expected)"),
        "{text}"
    );
    assert!(text.contains("11 cases: 10 passed, 1 failed"), "{text}");
}

#[test]
fn a_malformed_test_file_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.yaml");
    std::fs::write(&file, "cases:\n  - name: x\n    expect: {matchez: []}\n").unwrap();
    let out = lore(&repo()).arg("test").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("matchez"), "{}", stderr(&out));
}

//! Time in expressions (`now`, `LORE_NOW`, `timestamp()`, `duration()`), what notes see
//! (`alert` in type notes, impacted entries' fields in global notes), and notes that fail
//! reported by `lore validate`.

use serde_json::Value;

use super::{catalog, lore, places, stderr, stdout};

const DEVICE: &str = r#"type: Device
schema:
  properties:
    in_sla: {type: boolean}
    support_ends: {type: string, format: date}
    model: {type: string}
alert_keys: [device]
rules:
  - name: support-not-over
    when: "self.in_sla && has(self.support_ends)"
    check: "timestamp(self.support_ends) >= now"
    message: "in_sla, but support ended on {{ self.support_ends }}"
    severity: warning
notes:
  - when: "self.model.startsWith('X')"
    say: "{{ self.name }} is an X model"
  - when: "alert.severity == 'critical'"
    say: "{{ self.name }} critical: {{ alert.title }}"
"#;

const DEVICES: &str = "type: Device\nid: tv-1\nin_sla: true\nsupport_ends: 2026-03-31\nmodel: X1\n---\ntype: Device\nid: tv-2\nin_sla: false\n";

fn devices() -> tempfile::TempDir {
    catalog(&[
        ("lore.yaml", "{}\n"),
        ("schemas/device.yaml", DEVICE),
        ("catalog/devices.yaml", DEVICES),
    ])
}

#[test]
fn a_rule_compares_a_date_with_now_as_lore_now_fixes_it() {
    let dir = devices();
    let run = |now: &str| {
        let out = lore(dir.path())
            .args(["validate", "--format", "json"])
            .env("LORE_NOW", now)
            .output()
            .unwrap();
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let before = run("2026-03-31");
    let rules = |r: &Value| -> Vec<String> {
        r["problems"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["code"] == "lore::rule")
            .map(|p| p["message"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(rules(&before), Vec::<String>::new(), "{before}");
    let after = run("2026-04-01");
    assert_eq!(
        rules(&after),
        ["rule `support-not-over`: in_sla, but support ended on 2026-03-31"],
        "{after}"
    );
    // An RFC 3339 moment and Unix seconds work too; a bad LORE_NOW is a rule error
    // naming what to write.
    assert_eq!(rules(&run("2026-03-30T23:59:59-01:00")).len(), 1); // 00:59 UTC on the 31st
    assert_eq!(rules(&run("2026-03-30T23:59:59Z")).len(), 0);
    assert_eq!(rules(&run("1775001600")).len(), 1); // 2026-04-01T00:00:00Z
    let bad = run("soon");
    assert!(
        bad.to_string().contains("LORE_NOW=`soon` is not a moment"),
        "{bad}"
    );
}

#[test]
fn the_cache_does_not_keep_a_result_that_depends_on_now_past_its_day() {
    let dir = devices();
    let cache = tempfile::tempdir().unwrap();
    let run = |now: &str| {
        let out = lore(dir.path())
            .args(["validate", "--format", "json"])
            .env("LORE_NOW", now)
            .env("LORE_CACHE_DIR", cache.path())
            .output()
            .unwrap();
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        r["problems"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["code"] == "lore::rule")
            .count()
    };
    assert_eq!(run("2026-03-31"), 0);
    assert!(
        std::fs::read_dir(cache.path()).unwrap().next().is_some(),
        "a cache was written"
    );
    assert_eq!(run("2026-04-01"), 1);
    assert_eq!(run("2026-03-31"), 0);
}

#[test]
fn a_note_that_fails_for_an_entry_is_a_warning_from_validate() {
    let dir = devices();
    let out = lore(dir.path())
        .args(["validate", "--format", "json", "--strict"])
        .env("LORE_NOW", "2026-01-01")
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{report}");
    // tv-2 has no model: the first note fails for it; the second reads `alert` and is
    // left to `lore route`.
    assert_eq!(
        places(&report),
        ["catalog/devices.yaml:8:5 lore::rule-error"],
        "{report}"
    );
    let message = report["problems"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("note 1 of type Device could not be evaluated"),
        "{message}"
    );
}

#[test]
fn type_notes_see_the_alert_and_global_notes_see_impacted_fields() {
    let config = r#"alerts:
  notes:
    - when: "impacted.exists(e, e.type == 'Device' && has(e.fields.model) && e.fields.model == 'X1')"
      say: "an X1 is impacted"
"#;
    let dir = catalog(&[
        ("lore.yaml", config),
        ("schemas/device.yaml", DEVICE),
        (
            "schemas/service.yaml",
            "type: Service\nrelations:\n  devices: {to: Device, many: true, impact: target}\nalert_keys: [service]\n",
        ),
        ("catalog/devices.yaml", DEVICES),
        ("catalog/services.yaml", "type: Service\nid: stream\ndevices: [tv-1]\n"),
    ]);
    let payload = r#"{"version":"4","groupKey":"g","status":"firing","alerts":[{"labels":{"alertname":"StreamDown","severity":"critical","service":"stream"}}]}"#;
    let out = lore(dir.path())
        .args(["route", "--format", "json"])
        .write_stdin(payload)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let notes: Vec<&str> = r["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        notes,
        [
            "an X1 is impacted",
            "tv-1 is an X model",
            "tv-1 critical: StreamDown"
        ],
        "{}",
        stdout(&out)
    );
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn a_global_note_that_fails_when_nothing_is_impacted_is_a_warning_at_its_place() {
    let config = r#"alerts:
  notes:
    - when: "totals.Custmer.arr > 0"
      say: "typo"
    - say: "first impacted: {{ impacted[0].name }}"
    - when: "totals.Device.price > 0 && size(impacted) > 0"
      say: "fine"
    - when: "matches[0].type == 'Device'"
      say: "payload-dependent: left to route"
"#;
    let device =
        "type: Device\nschema:\n  properties:\n    price: {type: number}\ntotals: [price]\n";
    let dir = catalog(&[
        ("lore.yaml", config),
        ("schemas/device.yaml", device),
        ("catalog/devices.yaml", "type: Device\nid: tv-1\nprice: 3\n"),
    ]);
    let out = lore(dir.path())
        .args(["validate", "--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "warnings only: {report}");
    assert_eq!(
        places(&report),
        [
            "lore.yaml:3:7 lore::rule-error",
            "lore.yaml:5:7 lore::rule-error"
        ],
        "{report}"
    );
    assert!(
        report["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Custmer"),
        "{report}"
    );
}

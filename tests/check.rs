//! `kedars check`, run as a user runs it: files, a directory and stdin, both output formats, the
//! exit status, and what it says about bad input.

mod check_support;
#[path = "check_support/examples.rs"]
mod examples;
#[path = "check_support/robustness.rs"]
mod robustness;

use check_support::{fixture, json, kedars};

#[test]
fn a_directory_of_valid_manifests_passes_in_text() {
    let out = kedars(&["check", &fixture("valid")], "");
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("ScaledObject shop/worker (")
            && out.stdout.contains("ScaledObject default/classroom ("),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("trigger 0 (redis): metric s0-redis-jobs, AverageValue target 5")
    );
    assert!(
        out.stdout.contains("kind: HorizontalPodAutoscaler"),
        "HPA as YAML"
    );
    assert!(
        out.stdout.contains("3 objects checked: 3 valid, 0 invalid"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("not-a-real-password"),
        "no secret value in the output"
    );
}

#[test]
fn json_output_is_one_object_with_triggers_and_the_hpa() {
    let out = kedars(
        &["check", "-o", "json", &fixture("valid/10-redis-app.yaml")],
        "",
    );
    assert_eq!(out.code, 0, "{out:?}");
    let report = json(&out.stdout);
    let so = &report["objects"][0];
    assert_eq!(so["kind"], "ScaledObject");
    assert_eq!(so["namespace"], "shop");
    assert_eq!(so["name"], "worker");
    assert_eq!(so["valid"], true);
    assert_eq!(so["errors"], serde_json::json!([]));
    assert_eq!(
        so["triggers"],
        serde_json::json!([{
            "index": 0, "type": "redis", "name": null, "metricName": "s0-redis-jobs",
            "metricType": "AverageValue", "target": "5", "active": null, "value": null
        }])
    );
    let hpa = &so["hpa"];
    assert_eq!(hpa["metadata"]["name"], "keda-hpa-worker");
    assert_eq!(hpa["spec"]["maxReplicas"], 20);
    let metric = &hpa["spec"]["metrics"][0]["external"]["metric"];
    assert_eq!(metric["name"], "s0-redis-jobs");
    assert_eq!(
        metric["selector"]["matchLabels"]["scaledobject.keda.sh/name"],
        "worker"
    );
    assert_eq!(report["objects"][1]["kind"], "TriggerAuthentication");
    assert_eq!(report["objects"][1]["hpa"], serde_json::Value::Null);
}

#[test]
fn stdin_is_read_for_a_dash() {
    let text = std::fs::read_to_string(fixture("valid/20-class-timetable.yaml")).unwrap();
    let out = kedars(&["check", "-"], &text);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .contains("ScaledObject default/classroom (<stdin>:2): valid"),
        "{}",
        out.stdout
    );
}

/// Monday 2025-03-10: the class window is 08:50-12:00 Paris time (07:50-11:00 UTC).
#[test]
fn at_evaluates_a_cron_trigger_inside_and_outside_its_window() {
    let file = fixture("valid/20-class-timetable.yaml");
    let cases = [
        ("2025-03-10T08:49:59+01:00", false, "0"),
        ("2025-03-10T07:50:00Z", true, "8"),
        ("2025-03-10T11:59:59+01:00", true, "8"),
        ("2025-03-10T12:00:00+01:00", false, "0"),
        ("2025-03-09T10:00:00+01:00", false, "0"),
    ];
    for (at, active, value) in cases {
        let out = kedars(&["check", "-o", "json", "--at", at, &file], "");
        assert_eq!(out.code, 0, "{out:?}");
        let trigger = &json(&out.stdout)["objects"][0]["triggers"][0];
        assert_eq!(trigger["active"], active, "at {at}");
        assert_eq!(trigger["value"], value, "at {at}");
    }
    let out = kedars(&["check", "-o", "json", &file], "");
    let trigger = &json(&out.stdout)["objects"][0]["triggers"][0];
    assert!(
        trigger["active"].is_null() && trigger["value"].is_null(),
        "without --at"
    );
}

#[test]
fn a_bad_at_is_a_usage_error() {
    let out = kedars(&["check", "--at", "tomorrow", &fixture("valid")], "");
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("RFC 3339"), "{}", out.stderr);
}

#[test]
fn an_unreadable_input_is_exit_2() {
    let out = kedars(&["check", "/nonexistent/kedars.yaml"], "");
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("cannot read /nonexistent/kedars.yaml"),
        "{}",
        out.stderr
    );
}

/// Each row: fixture, the exact error on the ScaledObject.
#[test]
fn missing_references_name_what_is_missing() {
    let cases = [
        (
            "missing-secret.yaml",
            "trigger 0 (mysql): Secret default/mysql-secrets not found among the given documents",
        ),
        (
            "missing-key.yaml",
            "trigger 0 (mysql): key \"dsn\" not found in Secret default/mysql-secrets",
        ),
        (
            "missing-ta.yaml",
            "trigger 0 (mysql): TriggerAuthentication school/mysql-auth not found among the given \
             documents",
        ),
    ];
    for (file, want) in cases {
        let out = kedars(&["check", "-o", "json", &fixture(file)], "");
        assert_eq!(out.code, 1, "{file}: {out:?}");
        let report = json(&out.stdout);
        let so = &report["objects"][0];
        assert_eq!(so["kind"], "ScaledObject", "{file}");
        assert_eq!(so["valid"], false, "{file}");
        assert_eq!(so["errors"], serde_json::json!([want]), "{file}");
        assert_eq!(so["hpa"], serde_json::Value::Null, "{file}");
        assert!(
            !out.stdout.contains("secret-value-123"),
            "{file}: a secret leaked"
        );
    }
}

#[test]
fn malformed_yaml_names_the_file_and_line() {
    let file = fixture("malformed.yaml");
    let out = kedars(&["check", &file], "");
    assert_eq!(out.code, 1, "{out:?}");
    let want = format!("{file}:10:");
    assert!(
        out.stdout.contains(&want) && out.stdout.contains("malformed YAML"),
        "{}",
        out.stdout
    );
}

#[test]
fn unknown_fields_are_warnings_naming_object_and_path() {
    let out = kedars(
        &["check", "-o", "json", &fixture("unknown-fields.yaml")],
        "",
    );
    assert_eq!(out.code, 0, "warnings do not fail the check: {out:?}");
    let so = &json(&out.stdout)["objects"][0];
    assert_eq!(so["name"], "typos");
    assert_eq!(
        so["warnings"],
        serde_json::json!([
            "unknown field spec.pollingIntervall (line 8): a cluster would prune it, so it has no effect",
            "unknown field spec.triggers[0].metdata (line 11): a cluster would prune it, so it has no effect",
        ])
    );
    let text = kedars(&["check", &fixture("unknown-fields.yaml")], "").stdout;
    assert!(
        text.contains("ScaledObject default/typos (")
            && text.contains("  warning: unknown field spec.triggers[0].metdata (line 11)"),
        "{text}"
    );
}

#[test]
fn one_invalid_object_fails_the_run_but_every_object_is_reported() {
    let out = kedars(
        &[
            "check",
            "-o",
            "json",
            &fixture("valid"),
            &fixture("missing-ta.yaml"),
        ],
        "",
    );
    assert_eq!(out.code, 1);
    let report = json(&out.stdout);
    let valid: Vec<bool> = report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["valid"].as_bool().unwrap())
        .collect();
    assert_eq!(valid, [true, true, false, true], "{report:#}");
}

#[test]
fn scaled_jobs_are_checked_and_told_apart_by_kind() {
    let out = kedars(&["check", "-o", "json", &fixture("scaled-job.yaml")], "");
    assert_eq!(out.code, 0, "{out:?}");
    let sj = &json(&out.stdout)["objects"][0];
    assert_eq!(sj["kind"], "ScaledJob");
    assert_eq!(sj["namespace"], "school");
    assert_eq!(sj["triggers"][0]["name"], "grading");
    assert_eq!(sj["triggers"][0]["metricName"], "s0-redis-to-grade");
    assert_eq!(sj["hpa"], serde_json::Value::Null, "a ScaledJob has no HPA");
}

//! `kedars check --next N` on the examples: each time-based trigger's next openings and closings
//! with the replicas it asks for, in text and in JSON.

// Shared with tests/check.rs; this file needs only some of it.
#[allow(dead_code)]
mod check_support;

use check_support::{json, kedars};

fn example(name: &str) -> String {
    format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn cron_windows_ahead_in_text() {
    let out = kedars(
        &[
            "check",
            &example("class-timetable.yaml"),
            "--at",
            "2026-03-06T13:00:00+08:00",
            "--next",
            "3",
        ],
        "",
    );
    assert_eq!(out.code, 0, "{out:?}");
    // Friday afternoon: the next morning window is Monday's; the seminar is Tuesday's.
    let expected = "  trigger 0 (cron) \"morning-lectures\": metric s0-cron-Asia-Shanghai-457xx1-5-012xx1-5, AverageValue target 1; at --at: inactive, value 0
    next: 2026-03-09T07:45:00+08:00 opens, value 8, 8 replicas
    next: 2026-03-09T12:00:00+08:00 closes, value 0, 0 replicas
    next: 2026-03-10T07:45:00+08:00 opens, value 8, 8 replicas
  trigger 1 (cron) \"evening-seminar\": metric s1-cron-Asia-Shanghai-4518xx2Cm4-021xx2Cm4, AverageValue target 1; at --at: inactive, value 0
    next: 2026-03-10T18:45:00+08:00 opens, value 4, 4 replicas
    next: 2026-03-10T21:00:00+08:00 closes, value 0, 0 replicas
    next: 2026-03-12T18:45:00+08:00 opens, value 4, 4 replicas
";
    assert!(out.stdout.contains(expected), "{}", out.stdout);
}

#[test]
fn timetable_changes_ahead_in_json() {
    let out = kedars(
        &[
            "check",
            &example("lecture-timetable.yaml"),
            "--at",
            "2026-04-02T20:00:00+08:00",
            "--next",
            "5",
            "-o",
            "json",
        ],
        "",
    );
    assert_eq!(out.code, 0, "{out:?}");
    let report = json(&out.stdout);
    let trigger = &report["objects"][0]["triggers"][0];
    // --at covers the timetable too: Thursday's seminar, 40 students, is on.
    assert_eq!(
        (&trigger["active"], &trigger["value"]),
        (&serde_json::json!(true), &serde_json::json!("40"))
    );
    let next = &trigger["next"];
    // Thursday's seminar closes at 21:10 (its lag); Friday 3 April is a holiday, so Monday's
    // calculus (160 students) ramps in three steps from 07:45.
    assert_eq!(
        next,
        &serde_json::json!([
            {"at": "2026-04-02T21:10:00+08:00", "event": "closes", "value": "0", "replicas": 0},
            {"at": "2026-04-06T07:45:00+08:00", "event": "opens", "value": "53333m", "replicas": 2},
            {"at": "2026-04-06T07:50:00+08:00", "event": "changes", "value": "106667m", "replicas": 3},
            {"at": "2026-04-06T07:55:00+08:00", "event": "changes", "value": "160", "replicas": 4},
            {"at": "2026-04-06T09:45:00+08:00", "event": "changes", "value": "40", "replicas": 1},
        ])
    );
    let without = kedars(
        &["check", &example("lecture-timetable.yaml"), "-o", "json"],
        "",
    );
    let report = json(&without.stdout);
    assert!(
        report["objects"][0]["triggers"][0].get("next").is_none(),
        "no --next, no field"
    );
}

//! `kedars simulate` run as a user runs it, on the examples: the replica changes at the local
//! times worked out by hand from the manifests, the chart, and what it says about bad input.

// Shared with tests/check.rs; this file needs only some of it.
#[allow(dead_code)]
mod check_support;

use check_support::{json, kedars};
use serde_json::Value;

fn example(name: &str) -> String {
    format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// (local time, from, to, by) of every change of the first object.
fn changes(report: &Value) -> Vec<(String, i64, i64, String)> {
    report["objects"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["local"].as_str().unwrap().to_string(),
                c["from"].as_i64().unwrap(),
                c["to"].as_i64().unwrap(),
                c["by"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn row(local: &str, from: i64, to: i64, by: &str) -> (String, i64, i64, String) {
    (format!("{local} CST"), from, to, by.to_string())
}

fn simulate_json(file: &str, from: &str, to: &str) -> Value {
    let out = kedars(
        &[
            "simulate",
            &example(file),
            "--from",
            from,
            "--to",
            to,
            "-o",
            "json",
        ],
        "",
    );
    assert_eq!(out.code, 0, "{out:?}");
    json(&out.stdout)
}

#[test]
fn cron_example_scales_before_the_lectures() {
    let report = simulate_json(
        "class-timetable.yaml",
        "2026-03-02T00:00:00+08:00",
        "2026-03-04T00:00:00+08:00",
    );
    assert_eq!(
        changes(&report),
        vec![
            // 07:45: the morning window opens; KEDA activates, the HPA goes to 4 (its limit
            // without a behavior: max(2 × 1, 4)), then to 8 a sync later
            row("Mon 2026-03-02 07:45:00", 0, 1, "keda"),
            row("Mon 2026-03-02 07:45:00", 1, 4, "hpa"),
            row("Mon 2026-03-02 07:45:15", 4, 8, "hpa"),
            // closed at 12:00; last active at the 11:59:30 poll; cooldownPeriod 300 s
            row("Mon 2026-03-02 12:05:00", 8, 0, "keda"),
            row("Tue 2026-03-03 07:45:00", 0, 1, "keda"),
            row("Tue 2026-03-03 07:45:00", 1, 4, "hpa"),
            row("Tue 2026-03-03 07:45:15", 4, 8, "hpa"),
            row("Tue 2026-03-03 12:05:00", 8, 0, "keda"),
            // Tuesday's evening seminar: 4 from 18:45 until 21:00, plus the cooldown
            row("Tue 2026-03-03 18:45:00", 0, 1, "keda"),
            row("Tue 2026-03-03 18:45:00", 1, 4, "hpa"),
            row("Tue 2026-03-03 21:05:00", 4, 0, "keda"),
        ]
    );
    let object = &report["objects"][0];
    assert_eq!(object["zone"], "Asia/Shanghai");
    assert_eq!(object["steps"], 11520, "two days of 15-second steps");
    assert_eq!(object["summary"]["maxReplicas"], 8);
    assert_eq!(
        object["changes"][0]["cause"],
        "KEDA activated the workload: morning-lectures (cron) at 8"
    );
}

#[test]
fn timetable_example_ramps_overlaps_and_skips_the_holiday() {
    let report = simulate_json(
        "lecture-timetable.yaml",
        "2026-03-30T00:00:00+08:00",
        "2026-04-06T00:00:00+08:00",
    );
    let all = changes(&report);
    let on = |day: &str| {
        all.iter()
            .filter(|c| c.0.starts_with(day))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        on("Wed"),
        vec![
            // calculus, 160 students: a third of them from 07:45, two thirds from 07:50, all
            // from 07:55, one replica per 40
            row("Wed 2026-04-01 07:45:00", 0, 1, "keda"),
            row("Wed 2026-04-01 07:45:00", 1, 2, "hpa"),
            row("Wed 2026-04-01 07:50:00", 2, 3, "hpa"),
            row("Wed 2026-04-01 07:55:00", 3, 4, "hpa"),
            // physics (120) ramps from 09:45; the 900 s scale-down window holds 4 until the
            // last recommendation of 4 (09:44:45) leaves it
            row("Wed 2026-04-01 09:59:45", 4, 3, "hpa"),
            // the lab (60) overlaps physics: 120 + 20, + 40, + 60
            row("Wed 2026-04-01 10:15:00", 3, 4, "hpa"),
            row("Wed 2026-04-01 10:25:00", 4, 5, "hpa"),
            // physics over at 11:35, its lag at 11:45: the lab's 60 alone, after the window
            row("Wed 2026-04-01 11:59:45", 5, 2, "hpa"),
            // the lab ends 12:00, its lag 12:10; last active at 12:09:30; cooldown 300 s
            row("Wed 2026-04-01 12:15:00", 2, 0, "keda"),
        ]
    );
    assert_eq!(on("Fri"), vec![], "Friday 3 April is a holiday");
    assert_eq!(on("Sat").len() + on("Sun").len(), 0, "no weekend sessions");
    assert_eq!(
        on("Thu").last(),
        Some(&row("Thu 2026-04-02 21:15:00", 1, 0, "keda")),
        "the evening seminar, 40 students, one replica until 21:10 plus the cooldown"
    );
}

#[test]
fn a_trace_drives_the_other_triggers_and_the_chart_is_drawn() {
    let svg = std::env::temp_dir().join(format!("kedars-simulate-{}.svg", std::process::id()));
    let trace = format!(
        "{}/tests/fixtures/simulate/grading-trace.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = kedars(
        &[
            "simulate",
            &example("grading-queue.yaml"),
            "--from",
            "2026-03-02T09:00:00Z",
            "--to",
            "2026-03-02T09:20:00Z",
            "--step",
            "5s",
            "--trace",
            &trace,
            "--svg",
            svg.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    let expected = [
        // pollingInterval 5 s: activated at once; the HPA's first step is its limit of 4
        "  Mon 2026-03-02 09:02:00 UTC    0 -> 1   KEDA activated the workload: submissions (redis) at 45",
        "  Mon 2026-03-02 09:02:00 UTC    1 -> 4   HPA: submissions (redis) 45 against 10 per replica: above target",
        "  Mon 2026-03-02 09:02:15 UTC    4 -> 5   HPA: submissions (redis) 45 against 10 per replica: above target",
        // empty from 09:06; last active at 09:05:55; cooldownPeriod 60 s
        "  Mon 2026-03-02 09:07:00 UTC    5 -> 0   KEDA scaled it in: no trigger active for cooldownPeriod (60 s)",
    ];
    assert_eq!(lines[1..5], expected, "{}", out.stdout);
    assert!(
        lines[5].starts_with("  4 changes; replicas between 0 and 5;"),
        "{}",
        out.stdout
    );
    assert_eq!(
        lines.last().copied(),
        Some(format!("wrote {}", svg.display()).as_str())
    );
    let text = std::fs::read_to_string(&svg).unwrap();
    std::fs::remove_file(&svg).ok();
    assert!(
        text.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"")
            && text.trim_end().ends_with("</svg>")
    );
    assert_eq!(text.matches("<g ").count(), text.matches("</g>").count());
    for series in [
        "class=\"replicas\"",
        "class=\"value\"",
        "class=\"target\"",
        "submissions (redis): value (line) against its target 10 per replica",
    ] {
        assert!(text.contains(series), "{series} missing");
    }
}

#[test]
fn bad_options_and_inputs_are_usage_errors() {
    let file = example("class-timetable.yaml");
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "--from",
                "2026-03-02T00:00:00Z",
                "--to",
                "2026-03-01T00:00:00Z",
            ],
            "error: --to must come after --from",
        ),
        (
            &[
                "--from",
                "2026-03-02T00:00:00Z",
                "--to",
                "2026-03-03T00:00:00Z",
                "--trace",
                "/nonexistent.csv",
            ],
            "error: /nonexistent.csv: ",
        ),
    ];
    for (args, want) in cases {
        let mut all = vec!["simulate", file.as_str()];
        all.extend_from_slice(args);
        let out = kedars(&all, "");
        assert_eq!(out.code, 2, "{out:?}");
        assert!(out.stderr.starts_with(want), "{}", out.stderr);
    }
    let out = kedars(
        &[
            "simulate",
            &file,
            "--from",
            "2026-03-02T00:00:00Z",
            "--to",
            "2026-03-03T00:00:00Z",
            "--step",
            "15",
        ],
        "",
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("expected a duration of at least 1s, such as 15s or 1m"),
        "{}",
        out.stderr
    );
}

//! `kedars run --once -o json` on the examples against the real Redis, MariaDB and Prometheus
//! the test command starts: the "why isn't it scaling?" view, end to end through the binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn service(var: &str, default: &str) -> String {
    std::env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string())
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}_{}_{nanos}", std::process::id())
}

/// The examples, pointed at this machine's test services and at names no other test uses.
fn examples_copy(list: &str, table: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique("kedars-run-examples"));
    std::fs::create_dir_all(&dir).unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let redis = service("KEDARS_TEST_REDIS", "127.0.0.1:6379");
    let mysql = service("KEDARS_TEST_MYSQL", "127.0.0.1:3306");
    let prometheus = service("KEDARS_TEST_PROMETHEUS", "http://127.0.0.1:19090");
    for entry in std::fs::read_dir(&examples).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("127.0.0.1:6379", &redis)
            .replace("grading-jobs", list)
            .replace("127.0.0.1:3306", &mysql)
            .replace("class_sessions", table)
            .replace("http://127.0.0.1:9090", &prometheus);
        std::fs::write(dir.join(path.file_name().unwrap()), text).unwrap();
    }
    dir
}

fn mysql(statements: &str) {
    let addr = service("KEDARS_TEST_MYSQL", "127.0.0.1:3306");
    let (host, port) = addr.rsplit_once(':').unwrap();
    let status = Command::new("mysql")
        .args(["-h", host, "-P", port, "-uroot", "test", "-e", statements])
        .status()
        .expect("the mysql client runs");
    assert!(status.success(), "mysql: {statements}");
}

fn redis(args: &[&str]) {
    let addr = service("KEDARS_TEST_REDIS", "127.0.0.1:6379");
    let (host, port) = addr.rsplit_once(':').unwrap();
    let status = Command::new("redis-cli")
        .args(["-h", host, "-p", port])
        .args(args)
        .output()
        .unwrap()
        .status;
    assert!(status.success());
}

fn object<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == name)
        .unwrap_or_else(|| panic!("{name} missing: {report:#}"))
}

#[test]
fn once_json_on_the_examples_against_real_sources() {
    let list = unique("grading_jobs");
    let table = unique("class_sessions");
    let schema = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mysql-schema.sql"),
    )
    .unwrap()
    .replace("class_sessions", &table);
    mysql(&schema);
    mysql(&format!(
        "INSERT INTO {table} (course, starts_at, enrolled) VALUES \
         ('algebra', NOW() + INTERVAL 5 MINUTE, 70), ('physics', NOW() + INTERVAL 10 MINUTE, 50), \
         ('history', NOW() + INTERVAL 2 HOUR, 500)"
    ));
    let items: Vec<String> = (0..23).map(|i| i.to_string()).collect();
    let mut push = vec!["rpush", list.as_str()];
    push.extend(items.iter().map(String::as_str));
    redis(&push);
    let dir = examples_copy(&list, &table);

    let out = Command::new(env!("CARGO_BIN_EXE_kedars"))
        .args(["run", "--once", "-o", "json"])
        .arg(&dir)
        .output()
        .unwrap();
    redis(&["del", &list]);
    mysql(&format!("DROP TABLE {table}"));
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["rejected"], serde_json::json!([]), "{report:#}");

    let grader = object(&report, "grader");
    let queue = &grader["triggers"][0];
    assert_eq!(queue["value"], "23", "{grader:#}");
    assert_eq!(queue["target"], "10");
    assert_eq!(queue["active"], true);
    assert_eq!(
        grader["replicas"]["current"], 1,
        "activated from the Deployment's 0 replicas: {grader:#}"
    );
    assert_eq!(
        grader["replicas"]["hpaDesired"], 3,
        "23 jobs at 10 per grader"
    );

    let lessons = object(&report, "live-lessons");
    assert_eq!(
        lessons["triggers"][0]["value"], "120",
        "70 + 50 students within 15 minutes: {lessons:#}"
    );
    assert_eq!(lessons["triggers"][0]["error"], Value::Null);
    assert_eq!(
        lessons["replicas"]["hpaDesired"], 3,
        "120 students at 40 per replica"
    );

    let site = object(&report, "course-site");
    assert_eq!(site["triggers"][0]["error"], Value::Null, "{site:#}");
    assert_eq!(site["triggers"][0]["value"], "0", "no traffic recorded");
    assert_eq!(site["active"], false);

    let lectures = object(&report, "lecture-stream");
    assert_eq!(lectures["triggers"].as_array().unwrap().len(), 2);
    assert!(
        lectures["triggers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["error"].is_null())
    );
}

#[test]
fn once_text_shows_errors_without_stopping_the_others() {
    // The timetable's start and end fire at the same instants, which KEDA's rule makes
    // always active: the test does not depend on the time of day.
    let dir = std::env::temp_dir().join(unique("kedars-run-broken"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("so.yaml"),
        "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: down, namespace: ns}\n\
         spec:\n  scaleTargetRef: {name: w}\n  triggers:\n    - type: redis\n      metadata: {address: \"127.0.0.1:9\", listName: q}\n\
         ---\napiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: timetable, namespace: ns}\n\
         spec:\n  scaleTargetRef: {name: w2}\n  triggers:\n    - type: cron\n      metadata: {timezone: Etc/UTC, start: \"*/1 * * * *\", end: \"* * * * *\", desiredReplicas: \"4\"}\n\
         ---\napiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: invalid, namespace: ns}\n\
         spec:\n  scaleTargetRef: {name: w3}\n  minReplicaCount: 5\n  maxReplicaCount: 2\n  triggers:\n    - type: cron\n      metadata: {timezone: Etc/UTC, start: \"0 0 * * *\", end: \"59 23 * * *\", desiredReplicas: \"4\"}\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kedars"))
        .args(["run", "--once"])
        .arg(&dir)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("ns/down  ERROR"), "{text}");
    assert!(text.contains("redis: connection failed"), "{text}");
    assert!(text.contains("ns/timetable  active"), "{text}");
    assert!(text.contains("ns/invalid  NOT RUNNING"), "{text}");
    assert!(
        text.contains("minReplicaCount must be less than or equal to maxReplicaCount"),
        "{text}"
    );
}

//! Scheduled capacity end to end: a timetable whose sessions open within the test, with a lead
//! time. The double's Deployments report `readyReplicas = spec.replicas` at once, so lateness
//! is the reaction time (a poll, the activation, the simulated HPA's sync). The ScaledObject's
//! `status.scheduledCapacity` and the operator's /metrics must say when capacity was ready.

mod common;

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, SubsecRound, TimeDelta, Utc};
use common::operator::{Env, deployment, namespace, scaled_object};
use serde_json::{Value, json};

const SECS: fn(u64) -> Duration = Duration::from_secs;
const LEAD_SECONDS: i64 = 10;

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn ical_time(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Two sessions in UTC, both until `end`.
fn ical(starts: [DateTime<Utc>; 2], end: DateTime<Utc>) -> String {
    let mut doc = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//kedars//e2e//EN\r\n");
    for (i, start) in starts.iter().enumerate() {
        doc += &format!(
            "BEGIN:VEVENT\r\nUID:class-{i}@school\r\nSUMMARY:Class {i}\r\nDTSTART:{}\r\nDTEND:{}\r\nEND:VEVENT\r\n",
            ical_time(*start),
            ical_time(end)
        );
    }
    doc + "END:VCALENDAR\r\n"
}

/// The value of the one series of `name` whose labels contain every one of `labels`.
fn series(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .find(|l| labels.iter().all(|want| l.contains(want)))
        .and_then(|l| l.rsplit_once(' '))
        .and_then(|(_, v)| v.parse().ok())
}

fn capacity(so: &Value) -> Value {
    so["status"]["scheduledCapacity"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lateness_of_each_opening_reaches_the_status_and_the_histogram() {
    let env = Env::start().await;
    let (ns, name) = ("school", "class");
    env.apply(namespace(ns));
    env.apply(deployment(ns, name, 0));
    let now = Utc::now().trunc_subsecs(0);
    // The first session's capacity is due in 10 s and the session starts 10 s later; the
    // second is due while the first is on, its replicas ready already.
    let due = [now + TimeDelta::seconds(10), now + TimeDelta::seconds(25)];
    let starts = due.map(|d| d + TimeDelta::seconds(LEAD_SECONDS));
    let trigger = json!([{"type": "timetable", "name": "lessons", "metadata": {
        "timezone": "Etc/UTC", "ical": ical(starts, now + TimeDelta::minutes(10)),
        "desiredReplicas": "3", "leadTime": format!("{LEAD_SECONDS}s")}}]);
    env.apply(scaled_object(ns, name, trigger, json!({})));
    env.wait_condition(ns, name, "Active", "False", "ScalerNotActive", SECS(8))
        .await;
    assert_eq!(env.replicas(ns, name), 0);

    // The first opening: scaled from zero after it was due, before the session started.
    let first = env
        .wait(SECS(40), "the first opening served", || {
            let status = capacity(&env.scaled_object(ns, name));
            match status["lastOpening"].as_str() == Some(&rfc3339(due[0]))
                && !status["readyAt"].is_null()
            {
                true => Ok(status),
                false => Err(format!("scheduledCapacity: {status:#}")),
            }
        })
        .await;
    assert_eq!(first["trigger"], "lessons", "{first:#}");
    assert_eq!(first["startsAt"], rfc3339(starts[0]), "{first:#}");
    assert_eq!(first["desiredReplicas"], 3, "{first:#}");
    assert_eq!(first["missed"], Value::Null, "{first:#}");
    let late = first["lateBySeconds"].as_i64().unwrap();
    assert!(
        (1..=LEAD_SECONDS).contains(&late),
        "late by {late} s: from zero, ready within the lead time\n{first:#}"
    );
    let ready_at = DateTime::parse_from_rfc3339(first["readyAt"].as_str().unwrap()).unwrap();
    assert!(
        ready_at <= starts[0],
        "ready at {ready_at}, after the start\n{first:#}"
    );
    eprintln!("first opening: ready {late} s after it was due (lead time {LEAD_SECONDS} s)");

    let labels = [
        r#"namespace="school""#,
        r#"scaledObject="class""#,
        r#"trigger="lessons""#,
    ];
    let text = env.prometheus_text(0).await;
    let lateness = "kedars_scheduled_capacity_lateness_seconds";
    assert_eq!(
        series(&text, &format!("{lateness}_count"), &labels),
        Some(1.0),
        "{text}"
    );
    let sum = series(&text, &format!("{lateness}_sum"), &labels).unwrap();
    assert!(
        sum > 0.0 && sum <= LEAD_SECONDS as f64,
        "lateness {sum} s\n{text}"
    );
    let in_time = [labels.as_slice(), &[r#"outcome="in_time""#]].concat();
    let openings = "kedars_scheduled_capacity_openings_total";
    assert_eq!(series(&text, openings, &in_time), Some(1.0), "{text}");

    // The second opening finds the first session's replicas ready: zero late.
    let second = env
        .wait(SECS(30), "the second opening served", || {
            let status = capacity(&env.scaled_object(ns, name));
            match status["lastOpening"].as_str() == Some(&rfc3339(due[1]))
                && !status["readyAt"].is_null()
            {
                true => Ok(status),
                false => Err(format!("scheduledCapacity: {status:#}")),
            }
        })
        .await;
    assert_eq!(second["readyAt"], rfc3339(due[1]), "{second:#}");
    assert_eq!(second["lateBySeconds"], 0, "{second:#}");
    let text = env.prometheus_text(0).await;
    assert_eq!(
        series(&text, &format!("{lateness}_count"), &labels),
        Some(2.0),
        "{text}"
    );
    let in_time_bucket = [labels.as_slice(), &[r#"le="0""#]].concat();
    assert_eq!(
        series(&text, &format!("{lateness}_bucket"), &in_time_bucket),
        Some(1.0),
        "{text}"
    );
    assert_eq!(series(&text, openings, &in_time), Some(2.0), "{text}");
    assert_eq!(env.replicas(ns, name), 3);
}

//! The class timetable, end to end: cron windows (§5.4) computed from the current UTC minute.
//! Cron has minute granularity, so the test that waits for a real boundary takes up to a minute.

mod common;

use std::time::{Duration, Instant};

use chrono::{DateTime, Timelike, Utc};
use common::operator::{Env, condition, deployment, namespace, scaled_object};
use serde_json::{Value, json};

const SECS: fn(u64) -> Duration = Duration::from_secs;

/// `m h * * *` for `minutes` from the minute of `now` (negative: in the past).
fn daily_at(now: DateTime<Utc>, minutes: i64) -> String {
    let t = now + chrono::Duration::minutes(minutes);
    format!("{} {} * * *", t.minute(), t.hour())
}

fn cron(start: &str, end: &str, desired: u32) -> Value {
    json!([{"type": "cron", "metadata": {
        "timezone": "Etc/UTC", "start": start, "end": end, "desiredReplicas": desired.to_string()}}])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_window_scales_to_desired_replicas_and_a_closed_one_back_to_zero() {
    let env = Env::start().await;
    let (ns, name) = ("timetable", "class");
    env.apply(namespace(ns));
    env.apply(deployment(ns, name, 0));
    let now = Utc::now();
    // Open from the current minute for ten minutes.
    let open = cron(&daily_at(now, 0), &daily_at(now, 10), 4);
    env.apply(scaled_object(ns, name, open, json!({})));
    env.wait_replicas(ns, name, 4, SECS(15)).await;
    let so = env.scaled_object(ns, name);
    assert_eq!(condition(&so, "Active")["reason"], "ScalerActive", "{so:#}");
    let hpa = env.hpa(ns, "keda-hpa-class").unwrap();
    let metric = &hpa["spec"]["metrics"][0]["external"];
    assert!(
        metric["metric"]["name"]
            .as_str()
            .unwrap()
            .starts_with("s0-cron-Etc-UTC-"),
        "{hpa:#}"
    );
    assert_eq!(metric["target"]["averageValue"], "1", "{hpa:#}");

    // The timetable changes: the window is now later today (closed), so after the cooldown
    // the class goes back to zero.
    let later = cron(&daily_at(now, 20), &daily_at(now, 30), 4);
    env.apply(scaled_object(ns, name, later, json!({})));
    env.wait_replicas(ns, name, 0, SECS(15)).await;
    let so = env.scaled_object(ns, name);
    assert_eq!(condition(&so, "Active")["status"], "False", "{so:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_opening_at_the_next_minute_scales_up_when_it_opens() {
    let env = Env::start().await;
    let (ns, name) = ("bell", "class");
    env.apply(namespace(ns));
    env.apply(deployment(ns, name, 0));
    let mut now = Utc::now();
    if now.second() >= 55 {
        // Too close to the boundary to see the closed window first.
        tokio::time::sleep(SECS(6)).await;
        now = Utc::now();
    }
    let opens_at = now
        .with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap()
        + chrono::Duration::minutes(1);
    let window = cron(&daily_at(now, 1), &daily_at(now, 3), 3);
    env.apply(scaled_object(ns, name, window, json!({})));
    env.wait_condition(ns, name, "Active", "False", "ScalerNotActive", SECS(10))
        .await;
    assert_eq!(env.replicas(ns, name), 0);

    let until_open = (opens_at - Utc::now()).to_std().unwrap_or_default();
    let boundary = Instant::now() + until_open;
    env.wait_replicas(ns, name, 3, until_open + SECS(15)).await;
    let history = env.history.of(ns, name);
    let first = history.iter().find(|(_, r)| *r >= 1).unwrap().0;
    let full = history.iter().find(|(_, r)| *r == 3).unwrap().0;
    assert!(
        first + Duration::from_millis(50) >= boundary,
        "scaled before the window opened: {:?} early",
        boundary.saturating_duration_since(first)
    );
    eprintln!(
        "cron window opened: first replica {:?} after the boundary, 3 replicas after {:?}",
        first.saturating_duration_since(boundary),
        full.saturating_duration_since(boundary)
    );
}

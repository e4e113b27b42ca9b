//! The split deployment end to end: `kedars operator` polls and pushes every poll's values over
//! its metrics feed (gRPC, mutual TLS) to separate `kedars metrics-server` processes, and the
//! simulated HPA reads only those (the operator serves no metrics API here).

mod common;

use std::time::{Duration, Instant};

use common::operator::{Env, OperatorOptions, deployment, namespace, push, redis, redis_trigger};
use common::operator::{condition, scaled_object};
use common::unique;
use serde_json::{Value, json};

const SECS: fn(u64) -> Duration = Duration::from_secs;

/// An operator that serves the feed and no metrics API.
fn feeding_operator(feed_port: u16) -> OperatorOptions {
    OperatorOptions {
        serve_metrics_api: false,
        feed_port: Some(feed_port),
        ..OperatorOptions::default()
    }
}

/// The value metrics server `index` serves for the ScaledObject's redis metric.
async fn served_value(env: &Env, index: usize, ns: &str, name: &str, list: &str) -> Option<String> {
    let url = env.metrics_servers[index].url.clone();
    let (status, body) = env
        .external_metric_at(&url, ns, &format!("s0-redis-{list}"), name)
        .await;
    if status != 200 {
        return None;
    }
    let body: Value = serde_json::from_str(&body).ok()?;
    body["items"][0]["value"].as_str().map(String::from)
}

async fn wait_served(env: &Env, index: usize, ns: &str, name: &str, list: &str, want: &str) {
    let deadline = Instant::now() + SECS(10);
    loop {
        let served = served_value(env, index, ns, name, list).await;
        if served.as_deref() == Some(want) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "metrics server {index} serves {served:?}, not {want}\n{}",
            env.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_ready_status(env: &Env, index: usize, want: u16, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let status = env.metrics_servers[index].ready_status().await;
        if status == want {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "metrics server {index}: /readyz {status}, not {want} within {within:?}\n{}",
            env.logs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_list_scales_through_metrics_servers_fed_by_the_operator() {
    let mut env = Env::without_operator().await;
    env.spawn(feeding_operator(0));
    let feed_port = env.operators[0].feed_port.unwrap();
    env.spawn_metrics_server(feed_port, SECS(5));
    let (ns, name, list) = ("split", "worker", unique("e2e-split"));
    env.apply(namespace(ns));
    env.apply(deployment(ns, name, 0));
    env.apply(scaled_object(ns, name, redis_trigger(&list), json!({})));
    env.wait_condition(ns, name, "Ready", "True", "ScaledObjectReady", SECS(15))
        .await;
    wait_ready_status(&env, 0, 200, SECS(10)).await;

    push(&list, 12);
    env.wait_replicas(ns, name, 3, SECS(20)).await;
    wait_served(&env, 0, ns, name, &list, "12").await;
    let so = env.scaled_object(ns, name);
    assert_eq!(condition(&so, "Active")["status"], "True", "{so:#}");

    // A metrics server started now gets the current values at once, not at the next change.
    let late = env.spawn_metrics_server(feed_port, SECS(5));
    wait_ready_status(&env, late, 200, SECS(10)).await;
    assert_eq!(
        served_value(&env, late, ns, name, &list).await.as_deref(),
        Some("12")
    );

    push(&list, 18);
    env.wait_replicas(ns, name, 5, SECS(20)).await;
    for index in 0..2 {
        wait_served(&env, index, ns, name, &list, "30").await;
    }
    redis(&["del", &list]);
    env.wait_replicas(ns, name, 0, SECS(20)).await;
    let so = env.scaled_object(ns, name);
    assert_eq!(condition(&so, "Active")["status"], "False", "{so:#}");
    assert!(
        env.operators[0]
            .log_text()
            .contains("metrics feed on https://"),
        "{}",
        env.logs()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_servers_go_unready_without_the_operator_and_follow_its_successor() {
    const GRACE: Duration = Duration::from_secs(2);
    let mut env = Env::without_operator().await;
    env.spawn(feeding_operator(0));
    let feed_port = env.operators[0].feed_port.unwrap();
    for _ in 0..2 {
        env.spawn_metrics_server(feed_port, GRACE);
    }
    let (ns, name, list) = ("split-restart", "worker", unique("e2e-split-restart"));
    env.apply(namespace(ns));
    env.apply(deployment(ns, name, 0));
    env.apply(scaled_object(ns, name, redis_trigger(&list), json!({})));
    push(&list, 12);
    env.wait_replicas(ns, name, 3, SECS(20)).await;
    for index in 0..2 {
        wait_ready_status(&env, index, 200, SECS(10)).await;
    }

    env.kill(0);
    let killed = Instant::now();
    for index in 0..2 {
        wait_ready_status(&env, index, 503, GRACE + SECS(5)).await;
    }
    let unready_after = killed.elapsed();
    // The last values bridge the grace period; the first 503 can only come after it.
    assert!(
        unready_after >= GRACE - Duration::from_millis(200),
        "unready after {unready_after:?}, before the {GRACE:?} grace period ended"
    );
    assert_eq!(env.replicas(ns, name), 3, "nothing scales without values");

    // A new operator on the same address: the metrics servers reconnect and serve its values.
    env.spawn(feeding_operator(feed_port));
    for index in 0..2 {
        wait_ready_status(&env, index, 200, SECS(15)).await;
    }
    push(&list, 18);
    env.wait_replicas(ns, name, 5, SECS(20)).await;
    for index in 0..2 {
        wait_served(&env, index, ns, name, &list, "30").await;
    }
    redis(&["del", &list]);
    env.wait_replicas(ns, name, 0, SECS(20)).await;
    assert_eq!(env.hpa_count(ns), 1);
}

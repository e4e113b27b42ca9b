//! The redis test's shape for the other real sources (rows in a MariaDB table, a Prometheus
//! series put in through the pushgateway). The reaction times are measured by
//! `benches/reaction.rs`.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::operator::{Env, condition, deployment, namespace, scaled_object};
use common::unique;
use serde_json::{Value, json};

const SECS: fn(u64) -> Duration = Duration::from_secs;

fn service(var: &str, default: &str) -> String {
    std::env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string())
}

/// The 0 → 3 → 5 → 0 walk every source takes: `set(n)` makes the source say `n` (5 per
/// replica), then the replicas, the HPA and the ScaledObject are checked at each step.
async fn walk(env: &Env, ns: &str, name: &str, metric_prefix: &str, set: impl AsyncFn(usize)) {
    set(12).await;
    env.wait_replicas(ns, name, 3, SECS(25)).await;
    let hpa = env.hpa(ns, &format!("keda-hpa-{name}")).unwrap();
    let metric = &hpa["spec"]["metrics"][0]["external"];
    assert!(
        metric["metric"]["name"]
            .as_str()
            .unwrap()
            .starts_with(metric_prefix),
        "{hpa:#}"
    );
    assert_eq!(
        metric["metric"]["selector"]["matchLabels"]["scaledobject.keda.sh/name"],
        name
    );
    assert_eq!(metric["target"]["type"], "AverageValue", "{hpa:#}");
    let so = env.scaled_object(ns, name);
    assert_eq!(condition(&so, "Ready")["status"], "True", "{so:#}");
    assert_eq!(condition(&so, "Active")["reason"], "ScalerActive", "{so:#}");
    env.wait_event(ns, name, "KEDAScaleTargetActivated", SECS(5))
        .await;

    set(30).await;
    env.wait_replicas(ns, name, 5, SECS(25)).await;
    set(0).await;
    env.wait_replicas(ns, name, 0, SECS(25)).await;
    let so = env.scaled_object(ns, name);
    assert_eq!(condition(&so, "Active")["status"], "False", "{so:#}");
    env.wait_event(ns, name, "KEDAScaleTargetDeactivated", SECS(5))
        .await;
}

fn mysql(sql: &str) {
    let address = service("KEDARS_TEST_MYSQL", "127.0.0.1:3306");
    let (host, port) = address.rsplit_once(':').unwrap();
    let out = Command::new("mysql")
        .args([
            "-h",
            host,
            "-P",
            port,
            "-u",
            "root",
            "--protocol=TCP",
            "test",
        ])
        .args(["-e", sql])
        .output()
        .unwrap();
    assert!(out.status.success(), "mysql {sql}: {out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_rows_scale_from_zero_to_max_and_back() {
    let env = Env::start().await;
    let (ns, name) = ("students", "lab");
    let table = unique("e2e_online").replace('-', "_");
    mysql(&format!(
        "CREATE TABLE {table} (id INT AUTO_INCREMENT PRIMARY KEY)"
    ));
    env.apply(namespace(ns));
    env.apply(deployment(ns, name, 0));
    let address = service("KEDARS_TEST_MYSQL", "127.0.0.1:3306");
    let (host, port) = address.rsplit_once(':').unwrap();
    let trigger = json!([{"type": "mysql", "metadata": {
        "host": host, "port": port, "username": "root", "dbName": "test",
        "query": format!("SELECT COUNT(*) FROM {table}"), "queryValue": "5"}}]);
    env.apply(scaled_object(ns, name, trigger, json!({})));
    let set = async |rows: usize| {
        mysql(&format!("DELETE FROM {table}"));
        if rows > 0 {
            let values = vec!["()"; rows].join(",");
            mysql(&format!("INSERT INTO {table} () VALUES {values}"));
        }
    };
    walk(&env, ns, name, "s0-mysql-test", set).await;
    mysql(&format!("DROP TABLE {table}"));
}

/// Sets `metric{job}` in the pushgateway and waits until Prometheus has scraped that value.
async fn gauge(job: &str, metric: &str, value: usize) {
    let http = reqwest::Client::new();
    let gateway = service("KEDARS_TEST_PUSHGATEWAY", "http://127.0.0.1:19091");
    let prometheus = service("KEDARS_TEST_PROMETHEUS", "http://127.0.0.1:19090");
    let response = http
        .put(format!("{gateway}/metrics/job/{job}"))
        .body(format!("# TYPE {metric} gauge\n{metric} {value}\n"))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{response:?}");
    let query = format!("{metric}{{job=\"{job}\"}}");
    let deadline = Instant::now() + SECS(30);
    loop {
        let body: Value = http
            .get(format!("{prometheus}/api/v1/query"))
            .query(&[("query", query.as_str())])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let seen = body
            .pointer("/data/result/0/value/1")
            .and_then(Value::as_str);
        if seen.and_then(|v| v.parse::<f64>().ok()) == Some(value as f64) {
            return;
        }
        assert!(Instant::now() < deadline, "never scraped {query}: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_series_scales_from_zero_to_max_and_back() {
    let env = Env::start().await;
    let (ns, name) = ("requests", "web");
    let job = unique("e2e-prom");
    let metric = "kedars_e2e_requests_in_flight";
    let prometheus = service("KEDARS_TEST_PROMETHEUS", "http://127.0.0.1:19090");
    env.apply(namespace(ns));
    env.apply(deployment(ns, name, 0));
    let trigger = json!([{"type": "prometheus", "metadata": {
        "serverAddress": prometheus,
        "query": format!("sum({metric}{{job=\"{job}\"}})"), "threshold": "5"}}]);
    env.apply(scaled_object(ns, name, trigger, json!({})));
    let set = async |value: usize| gauge(&job, metric, value).await;
    walk(&env, ns, name, "s0-prometheus", set).await;
    let gateway = service("KEDARS_TEST_PUSHGATEWAY", "http://127.0.0.1:19091");
    let _ = reqwest::Client::new()
        .delete(format!("{gateway}/metrics/job/{job}"))
        .send()
        .await;
}

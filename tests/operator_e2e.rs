//! The operator doing its job, end to end: the real `kedars operator` binary as a separate
//! process against the API server test double, a real Redis, and a simulated HPA controller that
//! reads the operator's metrics API over HTTPS with a client certificate.

mod common;

use std::time::Duration;

use common::hpa_sim::hpas;
use common::operator::{Env, condition, deployment, namespace, redis, redis_address};
use common::unique;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_list_scales_from_zero_to_max_and_back_after_the_cooldown() {
    let env = Env::start().await;
    let ns = "classroom";
    let list = unique("e2e-jobs");
    env.apply(namespace(ns));
    env.apply(deployment(ns, "grader", 0));
    env.apply(json!({
        "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
        "metadata": {"name": "grader", "namespace": ns},
        "spec": {
            "scaleTargetRef": {"name": "grader"},
            "minReplicaCount": 0, "maxReplicaCount": 5, "pollingInterval": 1, "cooldownPeriod": 5,
            "triggers": [{"type": "redis", "metadata": {"address": redis_address(), "listName": list, "listLength": "5"}}]
        }
    }));

    let items: Vec<String> = (0..12).map(|i| i.to_string()).collect();
    let mut push = vec!["rpush", list.as_str()];
    push.extend(items.iter().map(String::as_str));
    redis(&push);
    env.wait_replicas(ns, "grader", 3, Duration::from_secs(30))
        .await;

    let hpa = env
        .cluster
        .get_json(&hpas(), ns, "keda-hpa-grader")
        .unwrap();
    let metric = &hpa["spec"]["metrics"][0]["external"];
    assert_eq!(metric["metric"]["name"], format!("s0-redis-{list}"));
    assert_eq!(
        metric["metric"]["selector"]["matchLabels"]["scaledobject.keda.sh/name"],
        "grader"
    );
    assert_eq!(
        metric["target"],
        json!({"type": "AverageValue", "averageValue": "5"})
    );
    assert_eq!(
        (
            hpa["spec"]["minReplicas"].as_i64(),
            hpa["spec"]["maxReplicas"].as_i64()
        ),
        (Some(1), Some(5))
    );
    assert_eq!(
        hpa["metadata"]["ownerReferences"][0]["kind"],
        "ScaledObject"
    );
    let so = env.scaled_object(ns, "grader");
    assert_eq!(condition(&so, "Ready")["status"], "True", "{so:#}");
    assert_eq!(condition(&so, "Active")["reason"], "ScalerActive");
    assert_eq!(so["status"]["hpaName"], "keda-hpa-grader");
    assert_eq!(so["status"]["scaleTargetKind"], "apps/v1.Deployment");
    assert_eq!(so["status"]["originalReplicaCount"], 0);
    assert_eq!(
        so["metadata"]["labels"]["scaledobject.keda.sh/name"],
        "grader"
    );
    assert!(
        so["metadata"]["finalizers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "finalizer.keda.sh")
    );

    let more: Vec<String> = (0..18).map(|i| i.to_string()).collect();
    let mut push = vec!["rpush", list.as_str()];
    push.extend(more.iter().map(String::as_str));
    redis(&push);
    env.wait_replicas(ns, "grader", 5, Duration::from_secs(30))
        .await;
    // KEDA's series, names and labels, so its dashboards work (§6).
    let metric = format!("s0-redis-{list}");
    let scaler_labels = format!(
        r#"metric="{metric}",namespace="{ns}",scaledObject="grader",scaler="redisScaler",triggerIndex="0",type="scaledobject""#
    );
    let text = env.prometheus_text(0).await;
    for (name, labels) in [
        ("keda_build_info", "version=".to_string()),
        ("keda_scaler_metrics_value", scaler_labels.clone()),
        ("keda_scaler_metrics_latency_seconds", scaler_labels.clone()),
        ("keda_scaler_active", scaler_labels.clone()),
        (
            "keda_internal_scale_loop_latency_seconds",
            format!(r#"namespace="{ns}",resource="grader",type="scaledobject""#),
        ),
        (
            "keda_resource_registered_total",
            format!(r#"namespace="{ns}",type="scaled_object""#),
        ),
        (
            "keda_trigger_registered_total",
            r#"type="redis""#.to_string(),
        ),
    ] {
        let found = text
            .lines()
            .any(|l| l.starts_with(&format!("{name}{{")) && l.contains(&labels));
        assert!(found, "no {name} with {labels} in:\n{text}");
    }
    let value_line = text
        .lines()
        .find(|l| l.starts_with("keda_scaler_metrics_value{") && l.contains(&scaler_labels))
        .unwrap();
    assert!(
        value_line.ends_with(" 30"),
        "the list's length, 12 + 18: {value_line}"
    );

    redis(&["del", &list]);
    env.wait_replicas(ns, "grader", 0, Duration::from_secs(30))
        .await;
    let so = env.scaled_object(ns, "grader");
    assert_eq!(condition(&so, "Active")["status"], "False", "{so:#}");
    // The Event of a scale is published once the scale is done: it may trail the replicas.
    for reason in [
        "KEDAScalersStarted",
        "ScaledObjectReady",
        "KEDAScaleTargetActivated",
        "KEDAScaleTargetDeactivated",
    ] {
        env.wait_event(ns, "grader", reason, Duration::from_secs(5))
            .await;
    }
}

//! A simulated HorizontalPodAutoscaler controller for end-to-end tests: every sync period it
//! reads each HPA's External metrics from the metrics API over HTTPS with a client certificate
//! (as the aggregator would), computes the desired replicas with the upstream algorithm
//! (kedars::autoscaling), honours `selectPolicy: Disabled`, writes the target's replicas and
//! keeps the HPA's status (through the status subresource only, never the spec the operator
//! owns). Stabilization windows are not simulated: a change applies at the next sync.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use kedars::autoscaling::replicas::{self, ExternalMetric};
use kedars_testcluster::ops::{self, Sub, WriteOptions};
use kedars_testcluster::{Gvr, PatchType, TestCluster};
use serde_json::{Value, json};

/// Where the metrics API is served; the simulation asks each in turn until one answers (the
/// leader's, when several operators run).
pub type MetricsApis = Arc<RwLock<Vec<String>>>;

pub fn hpas() -> Gvr {
    Gvr::new("autoscaling", "v2", "horizontalpodautoscalers")
}

pub fn deployments() -> Gvr {
    Gvr::new("apps", "v1", "deployments")
}

/// Runs until the task is aborted.
pub async fn run(
    cluster: Arc<TestCluster>,
    metrics_apis: MetricsApis,
    client: reqwest::Client,
    period: Duration,
) {
    let mut tick = tokio::time::interval(period);
    loop {
        tick.tick().await;
        let Ok(list) = cluster.list_json(&hpas(), None) else {
            continue;
        };
        let apis = metrics_apis.read().unwrap().clone();
        for hpa in list {
            sync(&cluster, &apis, &client, &hpa).await;
        }
    }
}

async fn sync(
    cluster: &TestCluster,
    metrics_apis: &[String],
    client: &reqwest::Client,
    hpa: &Value,
) {
    let ns = hpa["metadata"]["namespace"].as_str().unwrap_or("default");
    let spec = &hpa["spec"];
    let target = spec["scaleTargetRef"]["name"].as_str().unwrap_or_default();
    let Ok(deployment) = cluster.get_json(&deployments(), ns, target) else {
        return;
    };
    let current = deployment["spec"]["replicas"].as_i64().unwrap_or(1) as i32;
    let mut metrics = Vec::new();
    let mut failure = None;
    for metric in spec["metrics"].as_array().into_iter().flatten() {
        let Some(external) = metric.get("external") else {
            continue;
        };
        let name = external["metric"]["name"].as_str().unwrap_or_default();
        let selector = external["metric"]["selector"]["matchLabels"]
            .as_object()
            .map(|labels| {
                labels
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join(",")
            });
        let (body, error) = fetch(
            client,
            metrics_apis,
            ns,
            name,
            &selector.unwrap_or_default(),
        )
        .await;
        if let Some(e) = error {
            failure = Some(e);
        }
        let Some(value) = body.and_then(|b| quantity(b["items"][0]["value"].as_str()?)) else {
            continue;
        };
        let (average, target_text) = match external["target"]["type"].as_str() {
            Some("Value") => (false, external["target"]["value"].as_str()),
            _ => (true, external["target"]["averageValue"].as_str()),
        };
        let Some(target_value) = target_text.and_then(quantity) else {
            continue;
        };
        metrics.push(ExternalMetric {
            value,
            target: target_value,
            average,
        });
    }
    let min = spec["minReplicas"].as_i64().unwrap_or(1) as i32;
    let max = spec["maxReplicas"].as_i64().unwrap_or(1) as i32;
    let mut desired = if metrics.is_empty() {
        current
    } else {
        replicas::desired(&metrics, current, current, min, max)
    };
    let disabled = |direction: &str| spec["behavior"][direction]["selectPolicy"] == "Disabled";
    if (desired > current && disabled("scaleUp")) || (desired < current && disabled("scaleDown")) {
        desired = current;
    }
    if desired != current && current > 0 {
        let patch = json!({"spec": {"replicas": desired}});
        let _ = cluster.patch_json(&deployments(), ns, target, PatchType::Merge, &patch);
    }
    let (active, reason, message) = match (&failure, current) {
        (_, 0) => (
            "False",
            "ScalingDisabled",
            "scaling is disabled since the replica count of the target is zero".to_string(),
        ),
        (Some(f), _) => (
            "False",
            "FailedGetExternalMetric",
            format!("the HPA was unable to compute the replica count: {f}"),
        ),
        (None, _) => (
            "True",
            "ValidMetricFound",
            "the HPA was able to successfully calculate a replica count from external metric"
                .to_string(),
        ),
    };
    let status = json!({"status": {
        "currentReplicas": current,
        "desiredReplicas": if current == 0 { 0 } else { desired },
        "conditions": [{"type": "ScalingActive", "status": active, "reason": reason, "message": message}],
    }});
    let name = hpa["metadata"]["name"].as_str().unwrap_or_default();
    let shared = cluster.shared();
    let mut state = shared.lock();
    let Some(rt) = state
        .registry
        .find("autoscaling", "v2", "horizontalpodautoscalers")
        .cloned()
    else {
        return;
    };
    let _ = ops::patch(
        &mut state,
        &rt,
        ns,
        name,
        PatchType::Merge,
        &status,
        Sub::Status,
        &WriteOptions::default(),
    );
}

/// The first answer from the metrics APIs in order: the body of a success, or the last error.
async fn fetch(
    client: &reqwest::Client,
    metrics_apis: &[String],
    ns: &str,
    name: &str,
    selector: &str,
) -> (Option<Value>, Option<String>) {
    let mut failure = None;
    for api in metrics_apis {
        let url = format!("{api}/apis/external.metrics.k8s.io/v1beta1/namespaces/{ns}/{name}");
        let response = client
            .get(url)
            .query(&[("labelSelector", selector)])
            .send()
            .await;
        match response {
            Ok(r) if r.status().is_success() => return (r.json().await.ok(), None),
            Ok(r) => {
                failure = Some(format!(
                    "{}: {}",
                    r.status(),
                    r.text().await.unwrap_or_default()
                ));
            }
            Err(e) => failure = Some(e.to_string()),
        }
    }
    (None, failure.or_else(|| Some("no metrics API".into())))
}

/// A Kubernetes quantity as a number (the forms the metrics API prints).
pub fn quantity(text: &str) -> Option<f64> {
    let (number, scale) = match text.chars().last()? {
        'm' => (&text[..text.len() - 1], 1e-3),
        'k' => (&text[..text.len() - 1], 1e3),
        'M' => (&text[..text.len() - 1], 1e6),
        'G' => (&text[..text.len() - 1], 1e9),
        _ => (text, 1.0),
    };
    number.parse::<f64>().ok().map(|n| n * scale)
}

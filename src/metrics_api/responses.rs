//! The JSON shapes the aggregator and the HPA expect, exactly as Kubernetes writes them.

use serde_json::{Value, json};

use crate::engine::scaled_object::ServedMetric;

pub const GROUP: &str = "external.metrics.k8s.io";
pub const GROUP_VERSION: &str = "external.metrics.k8s.io/v1beta1";

/// `GET /apis/external.metrics.k8s.io`.
pub fn api_group() -> Value {
    let version = json!({"groupVersion": GROUP_VERSION, "version": "v1beta1"});
    json!({
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": GROUP,
        "versions": [version],
        "preferredVersion": version,
    })
}

/// `GET /apis/external.metrics.k8s.io/v1beta1`: one resource, as custom-metrics-apiserver lists
/// it.
pub fn api_resource_list() -> Value {
    json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": GROUP_VERSION,
        "resources": [{
            "name": "externalmetrics",
            "singularName": "",
            "namespaced": true,
            "kind": "ExternalMetricValueList",
            "verbs": ["get"],
        }],
    })
}

/// One value as an `ExternalMetricValueList`. `metricLabels` is `null` (KEDA never sets labels
/// and the Go type has no omitempty); the timestamp has seconds precision, as KEDA's gRPC hop
/// leaves it.
pub fn external_metric_value_list(metric: &ServedMetric) -> Value {
    json!({
        "kind": "ExternalMetricValueList",
        "apiVersion": GROUP_VERSION,
        "metadata": {},
        "items": [{
            "metricName": metric.metric_name,
            "metricLabels": null,
            "timestamp": metric.timestamp.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "value": metric.value.to_string(),
        }],
    })
}

/// A `Status` failure, the only error shape kubectl and the aggregator read.
pub fn status(code: u16, reason: &str, message: &str) -> Value {
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    })
}

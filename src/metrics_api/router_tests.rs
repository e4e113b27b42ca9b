//! The router without a socket: every path, and every error as a Kubernetes Status.

use axum::body::Body;
use axum::http::Request;
use chrono::{TimeZone, Utc};
use kedars_scalers::MilliQuantity;
use tower::ServiceExt;

use super::*;

/// Knows one ScaledObject `ns/web` with metric `s0-redis-jobs` = 1.5, and `s1-broken` failing.
struct Fixed {
    ready: bool,
}

#[async_trait]
impl MetricsSource for Fixed {
    async fn metric(&self, key: &ObjectKey, metric_name: &str) -> Result<ServedMetric, ServeError> {
        if key != &ObjectKey::new("ns", "web") {
            return Err(ServeError::UnknownScaledObject(key.clone()));
        }
        match metric_name {
            "s0-redis-jobs" => Ok(ServedMetric {
                metric_name: metric_name.into(),
                value: MilliQuantity::from_f64(1.5),
                timestamp: Utc.with_ymd_and_hms(2026, 11, 27, 8, 30, 15).unwrap()
                    + chrono::Duration::milliseconds(250),
            }),
            "s1-broken" => Err(ServeError::Metric(MetricError::Source {
                metric: metric_name.into(),
                message: "redis: connection failed: refused".into(),
            })),
            other => Err(ServeError::Metric(MetricError::NoSuchMetric(other.into()))),
        }
    }

    fn is_ready(&self) -> bool {
        self.ready
    }
}

async fn get(path: &str, ready: bool) -> (u16, String) {
    let response = router(Arc::new(Fixed { ready }))
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

const BASE: &str = "/apis/external.metrics.k8s.io/v1beta1/namespaces";

#[tokio::test]
async fn serves_an_external_metric_value_list() {
    let (status, body) = get(
        &format!("{BASE}/ns/s0-redis-jobs?labelSelector=scaledobject.keda.sh%2Fname%3Dweb"),
        true,
    )
    .await;
    assert_eq!(status, 200);
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "kind": "ExternalMetricValueList",
            "apiVersion": "external.metrics.k8s.io/v1beta1",
            "metadata": {},
            "items": [{
                "metricName": "s0-redis-jobs",
                "metricLabels": null,
                "timestamp": "2026-11-27T08:30:15Z",
                "value": "1500m"
            }]
        })
    );
}

#[tokio::test]
async fn errors_are_statuses_with_fitting_codes() {
    let cases = [
        (
            "no selector",
            format!("{BASE}/ns/s0-redis-jobs"),
            400,
            "BadRequest",
            "scaledObject name is not specified",
        ),
        (
            "set-based selector",
            format!(
                "{BASE}/ns/s0-redis-jobs?labelSelector=scaledobject.keda.sh%2Fname%20in%20(web)"
            ),
            400,
            "BadRequest",
            "is not supported",
        ),
        (
            "unknown ScaledObject",
            format!("{BASE}/other/s0-redis-jobs?labelSelector=scaledobject.keda.sh/name=web"),
            404,
            "NotFound",
            "ScaledObject other/web is not known",
        ),
        (
            "unknown metric",
            format!("{BASE}/ns/s7-nope?labelSelector=scaledobject.keda.sh/name=web"),
            404,
            "NotFound",
            "no matching metrics found for s7-nope",
        ),
        (
            "failing source",
            format!("{BASE}/ns/s1-broken?labelSelector=scaledobject.keda.sh/name=web"),
            500,
            "InternalError",
            "metric:s1-broken encountered error: redis: connection failed: refused",
        ),
        (
            "unknown path",
            "/apis/other.group/v1".to_string(),
            404,
            "NotFound",
            "could not find",
        ),
    ];
    for (what, path, code, reason, message) in cases {
        let (status, body) = get(&path, true).await;
        assert_eq!(status, code, "{what}: {body}");
        let json: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["kind"], "Status", "{what}");
        assert_eq!(json["apiVersion"], "v1", "{what}");
        assert_eq!(json["status"], "Failure", "{what}");
        assert_eq!(json["code"], code, "{what}");
        assert_eq!(json["reason"], reason, "{what}");
        assert!(
            json["message"].as_str().unwrap().contains(message),
            "{what}: {body}"
        );
    }
}

#[tokio::test]
async fn discovery() {
    let (status, body) = get("/apis/external.metrics.k8s.io", true).await;
    assert_eq!(status, 200);
    let group: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(group["kind"], "APIGroup");
    assert_eq!(
        group["preferredVersion"]["groupVersion"],
        "external.metrics.k8s.io/v1beta1"
    );
    let (status, body) = get("/apis/external.metrics.k8s.io/v1beta1", true).await;
    assert_eq!(status, 200);
    let list: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(list["kind"], "APIResourceList");
    assert_eq!(list["resources"][0]["name"], "externalmetrics");
    assert_eq!(list["resources"][0]["kind"], "ExternalMetricValueList");
    assert_eq!(list["resources"][0]["namespaced"], true);
    assert_eq!(list["resources"][0]["verbs"], serde_json::json!(["get"]));
}

#[tokio::test]
async fn health_endpoints() {
    assert_eq!(get("/healthz", true).await, (200, "ok".to_string()));
    assert_eq!(get("/livez", false).await, (200, "ok".to_string()));
    assert_eq!(get("/readyz", true).await, (200, "ok".to_string()));
    assert_eq!(get("/readyz", false).await.0, 503);
}

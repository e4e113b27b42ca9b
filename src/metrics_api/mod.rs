//! The `external.metrics.k8s.io/v1beta1` API the HPA reads, answered from fresh cached values
//! (the engine's single-flight rule means a request never starts a second query to a source).
//! The router is independent of sockets and TLS, so it is tested with plain requests.

pub mod responses;
pub mod selector;
pub mod server;
pub mod tls;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;

use crate::engine::registry::{Engine, ServeError};
use crate::engine::scaled_object::{MetricError, ServedMetric};
use crate::engine::state::ObjectKey;

/// Where the values come from: the engine in-process, or the operator's feed in a split setup.
#[async_trait]
pub trait MetricsSource: Send + Sync + 'static {
    async fn metric(&self, key: &ObjectKey, metric_name: &str) -> Result<ServedMetric, ServeError>;
    /// False while values cannot be served (e.g. the feed from the operator is down).
    fn is_ready(&self) -> bool;
}

#[async_trait]
impl MetricsSource for Engine {
    async fn metric(&self, key: &ObjectKey, metric_name: &str) -> Result<ServedMetric, ServeError> {
        self.serve(key, metric_name).await
    }

    fn is_ready(&self) -> bool {
        true
    }
}

pub fn router(source: Arc<dyn MetricsSource>) -> Router {
    Router::new()
        .route(
            "/apis/external.metrics.k8s.io",
            get(|| async { json(StatusCode::OK, responses::api_group()) }),
        )
        .route(
            "/apis/external.metrics.k8s.io/v1beta1",
            get(|| async { json(StatusCode::OK, responses::api_resource_list()) }),
        )
        .route(
            "/apis/external.metrics.k8s.io/v1beta1/namespaces/{namespace}/{metric}",
            get(external_metric),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/livez", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .fallback(|| async {
            failure(
                StatusCode::NOT_FOUND,
                "NotFound",
                "the server could not find the requested resource",
            )
        })
        .with_state(source)
}

fn json(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn failure(status: StatusCode, reason: &str, message: &str) -> Response {
    json(status, responses::status(status.as_u16(), reason, message))
}

async fn readyz(State(source): State<Arc<dyn MetricsSource>>) -> Response {
    if source.is_ready() {
        "ok".into_response()
    } else {
        failure(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "metric values are not available yet",
        )
    }
}

async fn external_metric(
    State(source): State<Arc<dyn MetricsSource>>,
    Path((namespace, metric)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let name = match selector::scaled_object_name(query.get("labelSelector").map(String::as_str)) {
        Ok(name) => name,
        Err(e) => return failure(StatusCode::BAD_REQUEST, "BadRequest", &e.to_string()),
    };
    let key = ObjectKey::new(namespace, name);
    match source.metric(&key, &metric).await {
        Ok(served) => json(
            StatusCode::OK,
            responses::external_metric_value_list(&served),
        ),
        Err(e @ ServeError::UnknownScaledObject(_)) => {
            failure(StatusCode::NOT_FOUND, "NotFound", &e.to_string())
        }
        Err(e @ ServeError::Metric(MetricError::NoSuchMetric(_))) => {
            failure(StatusCode::NOT_FOUND, "NotFound", &e.to_string())
        }
        // KEDA answers a failing source with 500 as well; the message names the metric.
        Err(e) => failure(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            &e.to_string(),
        ),
    }
}

#[cfg(test)]
#[path = "router_tests.rs"]
mod tests;

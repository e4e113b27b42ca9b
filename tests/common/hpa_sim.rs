//! A simulated HorizontalPodAutoscaler controller for end-to-end tests: every sync period it
//! does what upstream's `reconcileAutoscaler` does for each HPA, with the library's algorithm
//! (`kedars::autoscaling::sync`, the one `kedars simulate` uses): it reads the target through
//! its `/scale` subresource (any scalable kind), reads each External metric from the metrics
//! API over HTTPS with a client certificate (as the aggregator would), keeps one `HpaState`
//! per HPA (by uid) so that stabilization windows and behavior policies act across syncs,
//! writes the scale, and writes the HPA's status (currentReplicas, desiredReplicas,
//! currentMetrics, lastScaleTime, the AbleToScale, ScalingActive and ScalingLimited
//! conditions) through the status subresource only, never the spec the operator owns.
//!
//! Time is the wall clock, as for the real controller: windows and policy periods are in real
//! seconds (the default scale-down window is 300 s), only the sync period is shorter. No pods
//! exist in the double, so the target's pods are its scale's `status.replicas`, all ready;
//! Pods, Object and Resource metrics cannot be read (no custom or resource metrics API is
//! served), as on a cluster without those APIs. No Events are recorded.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::Utc;
use k8s_openapi::api::autoscaling::v2::{
    HorizontalPodAutoscalerSpec, HorizontalPodAutoscalerStatus, MetricSpec,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kedars::autoscaling::{
    self, HpaState, Reading, SyncInput, apply_status, get_scale_failed, merge_conditions,
    rescale_failed,
};
use kedars_testcluster::ops::{self, Sub, WriteOptions};
use kedars_testcluster::registry::ResourceType;
use kedars_testcluster::{Gvr, TestCluster};
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

/// Runs until the task is aborted. The controller's memory lives as long as this task, as
/// upstream's lives as long as the controller process.
pub async fn run(
    cluster: Arc<TestCluster>,
    metrics_apis: MetricsApis,
    client: reqwest::Client,
    period: Duration,
) {
    let mut states: HashMap<String, HpaState> = HashMap::new();
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Ok(list) = cluster.list_json(&hpas(), None) else {
            continue;
        };
        // A deleted HPA is forgotten; one created again under the same name starts afresh.
        states.retain(|uid, _| list.iter().any(|hpa| uid_of(hpa) == uid));
        let apis = metrics_apis.read().unwrap().clone();
        let controller = Controller {
            cluster: &cluster,
            metrics_apis: &apis,
            client: &client,
        };
        for hpa in list {
            let state = states.entry(uid_of(&hpa).to_string()).or_default();
            controller.sync(&hpa, state).await;
        }
    }
}

fn uid_of(hpa: &Value) -> &str {
    hpa["metadata"]["uid"].as_str().unwrap_or_default()
}

/// What one sync of one HPA talks to.
struct Controller<'a> {
    cluster: &'a TestCluster,
    metrics_apis: &'a [String],
    client: &'a reqwest::Client,
}

/// The target as its `/scale` subresource shows it.
struct Target {
    rt: ResourceType,
    scale: Value,
}

impl Target {
    /// `spec.replicas`, which the real server omits at zero.
    fn replicas(&self) -> i32 {
        self.scale["spec"]["replicas"].as_i64().unwrap_or(0) as i32
    }

    fn status_replicas(&self) -> i32 {
        self.scale["status"]["replicas"].as_i64().unwrap_or(0) as i32
    }

    /// `status.selector`, empty when the scale has none (upstream then refuses to scale).
    fn selector(&self) -> &str {
        self.scale["status"]["selector"]
            .as_str()
            .unwrap_or_default()
    }
}

impl Controller<'_> {
    async fn sync(&self, hpa: &Value, state: &mut HpaState) {
        let Ok(spec) = serde_json::from_value::<HorizontalPodAutoscalerSpec>(hpa["spec"].clone())
        else {
            return;
        };
        let ns = hpa["metadata"]["namespace"].as_str().unwrap_or("default");
        let mut status: HorizontalPodAutoscalerStatus =
            serde_json::from_value(hpa["status"].clone()).unwrap_or_default();
        let target = match self.read_scale(ns, &spec) {
            Ok(target) => target,
            Err(error) => {
                // No sync without a scale: only AbleToScale changes.
                let conditions = status.conditions.get_or_insert_with(Vec::new);
                merge_conditions(conditions, &[get_scale_failed(&error)], Utc::now());
                self.write_status(hpa, &status);
                return;
            }
        };
        let readings = self
            .readings(ns, spec.metrics.as_deref().unwrap_or_default())
            .await;
        let now = Utc::now();
        let input = SyncInput {
            now,
            namespace: ns,
            spec: &spec,
            current_replicas: target.replicas(),
            status_replicas: target.status_replicas(),
            // The double's workloads have every pod ready at once.
            ready_pods: target.status_replicas(),
            scale_selector: Some(target.selector()),
            readings: &readings,
        };
        let mut outcome = autoscaling::sync(state, &input);
        if let (true, Some(desired)) = (outcome.rescale, outcome.desired_replicas)
            && let Err(error) = self.write_scale(ns, target, desired)
        {
            rescale_failed(state, &mut outcome, &error);
        }
        apply_status(&mut status, &outcome, now);
        self.write_status(hpa, &status);
    }

    /// The target's scale, found as upstream's REST mapper finds it: by group and kind, in
    /// any served version; the error is what upstream puts in the FailedGetScale condition.
    fn read_scale(&self, ns: &str, spec: &HorizontalPodAutoscalerSpec) -> Result<Target, String> {
        let target = &spec.scale_target_ref;
        let api_version = target.api_version.as_deref().unwrap_or_default();
        let group = api_version.split_once('/').map_or("", |(g, _)| g);
        let shared = self.cluster.shared();
        let st = shared.lock();
        let mappings: Vec<&ResourceType> = st
            .registry
            .all()
            .iter()
            .filter(|t| t.group == group && t.kind == target.kind)
            .collect();
        let mut first_error = None;
        for rt in &mappings {
            match ops::get_scale(&st, rt, ns, &target.name) {
                Ok(scale) => {
                    let rt = (*rt).clone();
                    return Ok(Target { rt, scale });
                }
                Err(e) => {
                    first_error.get_or_insert(e.message);
                }
            }
        }
        Err(first_error.unwrap_or_else(|| {
            format!(
                "no matches for kind \"{}\" in group \"{group}\"",
                target.kind
            )
        }))
    }

    /// An Update of the Scale as read: a target changed since (by KEDA, or a person) is a
    /// conflict, and the HPA reports FailedUpdateScale.
    fn write_scale(&self, ns: &str, target: Target, desired: i32) -> Result<(), String> {
        let mut scale = target.scale;
        scale["spec"]["replicas"] = json!(desired);
        let name = scale["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let shared = self.cluster.shared();
        let mut st = shared.lock();
        let opts = WriteOptions::default();
        ops::update(&mut st, &target.rt, ns, &name, scale, Sub::Scale, &opts)
            .map(|_| ())
            .map_err(|e| e.message)
    }

    /// `UpdateStatus` of the HPA as listed: a conflict (the operator changed the HPA since) is
    /// left for the next sync, as upstream requeues it. Writing the same status changes nothing.
    fn write_status(&self, hpa: &Value, status: &HorizontalPodAutoscalerStatus) {
        let mut body = hpa.clone();
        body["status"] = serde_json::to_value(status).unwrap_or_default();
        // `currentMetrics` has no omitempty in autoscaling/v2: none is null.
        if body["status"].get("currentMetrics").is_none() {
            body["status"]["currentMetrics"] = Value::Null;
        }
        let ns = hpa["metadata"]["namespace"].as_str().unwrap_or_default();
        let name = hpa["metadata"]["name"].as_str().unwrap_or_default();
        let shared = self.cluster.shared();
        let mut st = shared.lock();
        let Some(rt) = st
            .registry
            .find("autoscaling", "v2", "horizontalpodautoscalers")
            .cloned()
        else {
            return;
        };
        let opts = WriteOptions::default();
        let _ = ops::update(&mut st, &rt, ns, name, body, Sub::Status, &opts);
    }

    /// One reading per entry of `spec.metrics`, in order.
    async fn readings(&self, ns: &str, metrics: &[MetricSpec]) -> Vec<Reading> {
        let mut readings = Vec::with_capacity(metrics.len());
        for metric in metrics {
            let reading = match (metric.type_.as_str(), &metric.external) {
                ("External", Some(external)) => {
                    let selector = selector_string(external.metric.selector.as_ref());
                    self.external(ns, &external.metric.name, &selector).await
                }
                ("Resource" | "ContainerResource", _) => Reading::Failed(
                    "unable to fetch metrics from resource metrics API: the server could not \
                     find the requested resource (get pods.metrics.k8s.io)"
                        .into(),
                ),
                _ => Reading::Failed(
                    "unable to fetch metrics from custom metrics API: the server could not \
                     find the requested resource"
                        .into(),
                ),
            };
            readings.push(reading);
        }
        readings
    }

    /// An External metric as upstream's metrics client reads it: the sum of the items, or its
    /// error.
    async fn external(&self, ns: &str, name: &str, selector: &str) -> Reading {
        let body = match fetch(self.client, self.metrics_apis, ns, name, selector).await {
            Ok(body) => body,
            Err(e) => {
                return Reading::Failed(format!(
                    "unable to fetch metrics from external metrics API: {e}"
                ));
            }
        };
        let items = body["items"].as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            return Reading::Failed("no metrics returned from external metrics API".into());
        }
        let values: Option<Vec<f64>> = items
            .iter()
            .map(|i| i["value"].as_str().and_then(quantity))
            .collect();
        match values {
            Some(values) => Reading::Value(values.iter().sum()),
            None => Reading::Failed(format!("unreadable external metric values: {body}")),
        }
    }
}

/// A label selector as `metav1.LabelSelectorAsSelector(..).String()` writes it: requirements
/// sorted by key, set values sorted.
fn selector_string(selector: Option<&LabelSelector>) -> String {
    let Some(selector) = selector else {
        return String::new();
    };
    let mut reqs: Vec<(String, String)> = Vec::new();
    for (k, v) in selector.match_labels.iter().flatten() {
        reqs.push((k.clone(), format!("{k}={v}")));
    }
    for e in selector.match_expressions.iter().flatten() {
        let mut values = e.values.clone().unwrap_or_default();
        values.sort();
        let k = &e.key;
        let text = match e.operator.as_str() {
            "In" => format!("{k} in ({})", values.join(",")),
            "NotIn" => format!("{k} notin ({})", values.join(",")),
            "Exists" => k.clone(),
            _ => format!("!{k}"),
        };
        reqs.push((k.clone(), text));
    }
    reqs.sort();
    reqs.into_iter()
        .map(|(_, text)| text)
        .collect::<Vec<_>>()
        .join(",")
}

/// The first answer from the metrics APIs in order: the body of a success, or the last
/// error (a Status's message, as client-go reports it).
async fn fetch(
    client: &reqwest::Client,
    metrics_apis: &[String],
    ns: &str,
    name: &str,
    selector: &str,
) -> Result<Value, String> {
    let mut failure = None;
    for api in metrics_apis {
        let url = format!("{api}/apis/external.metrics.k8s.io/v1beta1/namespaces/{ns}/{name}");
        let mut request = client.get(url);
        if !selector.is_empty() {
            request = request.query(&[("labelSelector", selector)]);
        }
        match request.send().await {
            Ok(r) if r.status().is_success() => match r.json().await {
                Ok(body) => return Ok(body),
                Err(e) => failure = Some(e.to_string()),
            },
            Ok(r) => {
                let text = r.text().await.unwrap_or_default();
                let status: Value = serde_json::from_str(&text).unwrap_or_default();
                failure = Some(status["message"].as_str().unwrap_or(&text).to_string());
            }
            Err(e) => failure = Some(e.to_string()),
        }
    }
    Err(failure.unwrap_or_else(|| "the server is currently unable to handle the request".into()))
}

/// A Kubernetes quantity as a number (`1500m`, `2k`, `3`, `1Gi`, ...).
pub fn quantity(text: &str) -> Option<f64> {
    autoscaling::quantity::approximate_f64(&Quantity(text.into()))
}

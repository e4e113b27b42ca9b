//! Each entry of `spec.metrics` turned into a proposal, and all of them into one (upstream
//! `computeReplicasForMetrics` and `computeReplicasForMetric`); the calculation per source kind
//! is in [`super::sources`].

use k8s_openapi::api::autoscaling::v2::{MetricSpec, MetricStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::calc::{PodSample, Tolerances};
use super::{pod_sources, sources};

/// What was read for one entry of `spec.metrics`.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// An External or Object metric's value. For External metrics, the sum of the items the
    /// metrics API returned (upstream sums them; KEDA returns one).
    Value(f64),
    /// A Pods, Resource or ContainerResource metric: one sample per pod of the target.
    Pods(Vec<PodSample>),
    /// The metric could not be read, and why (upstream's metrics client error).
    Failed(String),
}

/// What every metric's calculation may look at.
pub(crate) struct Context<'a> {
    pub namespace: &'a str,
    /// `spec.replicas` of the target.
    pub current: i32,
    /// `status.replicas` of the target: its pods, ready or not.
    pub status_replicas: i32,
    pub ready_pods: i32,
    pub tolerances: Tolerances,
}

/// A metric that gave a proposal; `name` is how conditions and Events refer to it.
pub(crate) struct Valid {
    pub replicas: i32,
    pub name: String,
    pub status: MetricStatus,
}

/// A metric that did not: the ScalingActive reason and the error upstream reports.
#[derive(Debug, Clone)]
pub(crate) struct Invalid {
    pub reason: &'static str,
    pub error: String,
}

/// All metrics at once (`computeReplicasForMetrics`): the largest proposal (the first metric
/// proposing it names it), every metric's status (empty for the invalid ones), and the first
/// invalid metric with how many there were.
pub(crate) struct Proposals {
    pub replicas: i32,
    pub name: String,
    pub statuses: Vec<MetricStatus>,
    pub invalid: usize,
    pub first_invalid: Option<Invalid>,
}

pub(crate) fn propose_all(specs: &[MetricSpec], readings: &[Reading], cx: &Context) -> Proposals {
    let mut all = Proposals {
        replicas: 0,
        name: String::new(),
        statuses: Vec::with_capacity(specs.len()),
        invalid: 0,
        first_invalid: None,
    };
    for (i, spec) in specs.iter().enumerate() {
        match propose(spec, readings.get(i), cx) {
            Ok(valid) => {
                if all.replicas == 0 || valid.replicas > all.replicas {
                    all.replicas = valid.replicas;
                    all.name = valid.name;
                }
                all.statuses.push(valid.status);
            }
            Err(invalid) => {
                all.invalid += 1;
                all.first_invalid.get_or_insert(invalid);
                all.statuses.push(MetricStatus::default());
            }
        }
    }
    all
}

fn propose(spec: &MetricSpec, reading: Option<&Reading>, cx: &Context) -> Result<Valid, Invalid> {
    // Validation makes the source for the type present; without it upstream would panic.
    let missing = || Invalid {
        reason: "InvalidMetricSourceType",
        error: format!("{:?} metric source without its source field", spec.type_),
    };
    match spec.type_.as_str() {
        "External" => sources::external(spec.external.as_ref().ok_or_else(missing)?, reading, cx),
        "Object" => sources::object(spec.object.as_ref().ok_or_else(missing)?, reading, cx),
        "Pods" => pod_sources::pods(spec.pods.as_ref().ok_or_else(missing)?, reading, cx),
        "Resource" => {
            pod_sources::resource(spec.resource.as_ref().ok_or_else(missing)?, reading, cx)
        }
        "ContainerResource" => {
            let src = spec.container_resource.as_ref().ok_or_else(missing)?;
            pod_sources::container_resource(src, reading, cx)
        }
        other => Err(Invalid {
            reason: "InvalidMetricSourceType",
            error: format!("unknown metric source type {other:?}"),
        }),
    }
}

/// A label selector as Go's `%+v` prints a `*metav1.LabelSelector` (its generated `String()`),
/// which upstream puts in metric names and errors: KEDA users know the HPA's messages by it.
pub(crate) fn go_selector(selector: Option<&LabelSelector>) -> String {
    let Some(selector) = selector else {
        return "nil".into();
    };
    let labels: String = selector
        .match_labels
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}: {v},"))
        .collect();
    let expressions: String = selector
        .match_expressions
        .iter()
        .flatten()
        .map(|e| {
            let values = e.values.as_deref().unwrap_or_default().join(" ");
            let (key, op) = (&e.key, &e.operator);
            format!("LabelSelectorRequirement{{Key:{key},Operator:{op},Values:[{values}],}},")
        })
        .collect();
    format!(
        "&LabelSelector{{MatchLabels:map[string]string{{{labels}}},\
         MatchExpressions:[]LabelSelectorRequirement{{{expressions}}},}}"
    )
}

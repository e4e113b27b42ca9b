//! The calculation behind metric sources with a single value (upstream
//! `computeStatusForExternalMetric`, `computeStatusForObjectMetric`), with the names and error
//! texts upstream uses; per-pod sources are in [`super::pod_sources`]. Helpers both share.

use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference as ObjectReference, ExternalMetricSource, ExternalMetricStatus,
    MetricStatus, MetricValueStatus, ObjectMetricSource, ObjectMetricStatus,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kedars_scalers::MilliQuantity;

use super::calc::{self, PodSample};
use super::metrics::{Context, Invalid, Reading, Valid, go_selector};
use super::quantity::{milli_of, milli_value};

/// What a metric with a single value (External, Object) is held against.
enum Goal {
    /// `AverageValue`: per pod of the target, in milli-units.
    PerPod(i64),
    /// `Value`: for the metric as a whole, in milli-units.
    Total(i64),
}

pub(crate) fn external(
    src: &ExternalMetricSource,
    reading: Option<&Reading>,
    cx: &Context,
) -> Result<Valid, Invalid> {
    let fail = failing("FailedGetExternalMetric");
    let (metric, selector) = (&src.metric, go_selector(src.metric.selector.as_ref()));
    // Upstream looks for an average value first, whatever `target.type` says.
    let goal = match (&src.target.average_value, &src.target.value) {
        (Some(target), _) => Goal::PerPod(target_milli(target).map_err(fail)?),
        (None, Some(target)) => Goal::Total(target_milli(target).map_err(fail)?),
        (None, None) => {
            return Err(fail(
                "invalid external metric source: neither a value target nor an average value \
                 target was set"
                    .into(),
            ));
        }
    };
    let usage = value_of(reading).map_err(|e| {
        let (ns, name) = (cx.namespace, &metric.name);
        fail(format!(
            "unable to get external metric {ns}/{name}/{selector}: {e}"
        ))
    })?;
    let (replicas, current) = single_value(goal, usage, cx).map_err(fail)?;
    let external = ExternalMetricStatus {
        metric: metric.clone(),
        current,
    };
    let status = MetricStatus {
        external: Some(external),
        ..status_of("External")
    };
    let name = format!("external metric {}({selector})", metric.name);
    Ok(Valid {
        replicas,
        name,
        status,
    })
}

pub(crate) fn object(
    src: &ObjectMetricSource,
    reading: Option<&Reading>,
    cx: &Context,
) -> Result<Valid, Invalid> {
    let fail = failing("FailedGetObjectMetric");
    let (metric, object) = (&src.metric, &src.described_object);
    let (goal, name, described) = object_goal(src).map_err(fail)?;
    let usage = value_of(reading).map_err(|e| {
        // Upstream's word order, kept so that messages read the same.
        let (kind, ns, name) = (&object.kind, cx.namespace, &object.name);
        fail(format!(
            "unable to get metric {}: {kind} on {ns} {name}/{e}",
            metric.name
        ))
    })?;
    let (replicas, current) = single_value(goal, usage, cx).map_err(fail)?;
    let metric = metric.clone();
    let object = ObjectMetricStatus {
        described_object: described,
        metric,
        current,
    };
    let status = MetricStatus {
        object: Some(object),
        ..status_of("Object")
    };
    Ok(Valid {
        replicas,
        name,
        status,
    })
}

/// An Object metric's goal, its name in messages, and the object its status names: unlike
/// External, the target's type decides.
fn object_goal(src: &ObjectMetricSource) -> Result<(Goal, String, ObjectReference), String> {
    let (metric, target, object) = (&src.metric, &src.target, &src.described_object);
    match (target.type_.as_str(), &target.value, &target.average_value) {
        ("Value", Some(value), _) => {
            let name = format!("{} metric {}", object.kind, metric.name);
            Ok((Goal::Total(target_milli(value)?), name, object.clone()))
        }
        ("AverageValue", _, Some(average)) => {
            // Upstream names it an external metric and leaves the object out of the status.
            let selector = go_selector(metric.selector.as_ref());
            let name = format!("external metric {}({selector})", metric.name);
            Ok((
                Goal::PerPod(target_milli(average)?),
                name,
                ObjectReference::default(),
            ))
        }
        _ => Err(
            "invalid object metric source: neither a value target nor an average value \
                  target was set"
                .into(),
        ),
    }
}

/// `GetExternalPerPodMetricReplicas` / `GetObjectPerPodMetricReplicas` divide by the target's
/// pods; `GetExternalMetricReplicas` / `GetObjectMetricReplicas` multiply by its ready pods.
fn single_value(goal: Goal, usage: i64, cx: &Context) -> Result<(i32, MetricValueStatus), String> {
    match goal {
        Goal::PerPod(target) => {
            let (replicas, average) =
                calc::per_pod(usage, target, cx.status_replicas, cx.tolerances);
            Ok((
                replicas,
                MetricValueStatus {
                    average_value: Some(quantity(average)),
                    ..Default::default()
                },
            ))
        }
        Goal::Total(target) => {
            let pods = (cx.status_replicas, cx.ready_pods);
            let replicas = calc::on_total(usage, target, cx.current, pods, cx.tolerances)?;
            Ok((
                replicas,
                MetricValueStatus {
                    value: Some(quantity(usage)),
                    ..Default::default()
                },
            ))
        }
    }
}

pub(super) fn failing(reason: &'static str) -> impl Fn(String) -> Invalid + Copy {
    move |error| Invalid { reason, error }
}

pub(super) fn value_of(reading: Option<&Reading>) -> Result<i64, String> {
    match reading {
        Some(Reading::Value(value)) => Ok(milli_of(*value)),
        Some(Reading::Failed(error)) => Err(error.clone()),
        Some(Reading::Pods(_)) => Err("per-pod samples given for a metric with one value".into()),
        None => Err("no value was read for this metric".into()),
    }
}

pub(super) fn samples_of(reading: Option<&Reading>) -> Result<&[PodSample], String> {
    match reading {
        Some(Reading::Pods(samples)) => Ok(samples),
        Some(Reading::Failed(error)) => Err(error.clone()),
        Some(Reading::Value(_)) => Err("one value given for a per-pod metric".into()),
        None => Err("no value was read for this metric".into()),
    }
}

pub(super) fn target_milli(target: &Quantity) -> Result<i64, String> {
    milli_value(target).ok_or_else(|| format!("invalid quantity {:?}", target.0))
}

pub(super) fn quantity(milli: i64) -> Quantity {
    Quantity(MilliQuantity::from_milli(milli.into()).to_string())
}

pub(super) fn status_of(type_: &str) -> MetricStatus {
    MetricStatus {
        type_: type_.into(),
        ..Default::default()
    }
}

//! The calculation behind per-pod metric sources (upstream `computeStatusForPodsMetric` and
//! `computeStatusForResourceMetricGeneric`), with the names and error texts upstream uses.

use k8s_openapi::api::autoscaling::v2::{
    ContainerResourceMetricSource, ContainerResourceMetricStatus, MetricStatus, MetricTarget,
    MetricValueStatus, PodsMetricSource, PodsMetricStatus, ResourceMetricSource,
    ResourceMetricStatus,
};

use super::calc::{self, PodTarget};
use super::metrics::{Context, Invalid, Reading, Valid};
use super::sources::{failing, quantity, samples_of, status_of, target_milli};

pub(crate) fn pods(
    src: &PodsMetricSource,
    reading: Option<&Reading>,
    cx: &Context,
) -> Result<Valid, Invalid> {
    let fail = failing("FailedGetPodsMetric");
    let name = &src.metric.name;
    let target = src.target.average_value.as_ref().ok_or_else(|| {
        fail("invalid pods metric source: no average value target was set".into())
    })?;
    let target = PodTarget::AverageValue(target_milli(target).map_err(fail)?);
    let samples =
        samples_of(reading).map_err(|e| fail(format!("unable to get metric {name}: {e}")))?;
    let proposal =
        calc::per_pod_samples(samples, cx.current, target, cx.tolerances).map_err(fail)?;
    let current = MetricValueStatus {
        average_value: Some(quantity(proposal.average)),
        ..Default::default()
    };
    let pods = PodsMetricStatus {
        metric: src.metric.clone(),
        current,
    };
    let status = MetricStatus {
        pods: Some(pods),
        ..status_of("Pods")
    };
    Ok(Valid {
        replicas: proposal.replicas,
        name: format!("pods metric {name}"),
        status,
    })
}

pub(crate) fn resource(
    src: &ResourceMetricSource,
    reading: Option<&Reading>,
    cx: &Context,
) -> Result<Valid, Invalid> {
    let (replicas, current, name) = resource_generic(&src.name, &src.target, reading, cx, false)
        .map_err(failing("FailedGetResourceMetric"))?;
    let resource = ResourceMetricStatus {
        name: src.name.clone(),
        current,
    };
    let status = MetricStatus {
        resource: Some(resource),
        ..status_of("Resource")
    };
    Ok(Valid {
        replicas,
        name,
        status,
    })
}

pub(crate) fn container_resource(
    src: &ContainerResourceMetricSource,
    reading: Option<&Reading>,
    cx: &Context,
) -> Result<Valid, Invalid> {
    let (replicas, current, name) = resource_generic(&src.name, &src.target, reading, cx, true)
        .map_err(failing("FailedGetContainerResourceMetric"))?;
    let (name_, container) = (src.name.clone(), src.container.clone());
    let container_resource = ContainerResourceMetricStatus {
        name: name_,
        container,
        current,
    };
    let status = MetricStatus {
        container_resource: Some(container_resource),
        ..status_of("ContainerResource")
    };
    Ok(Valid {
        replicas,
        name,
        status,
    })
}

/// Resource and ContainerResource metrics (`computeStatusForResourceMetricGeneric`).
fn resource_generic(
    resource: &str,
    target: &MetricTarget,
    reading: Option<&Reading>,
    cx: &Context,
    container: bool,
) -> Result<(i32, MetricValueStatus, String), String> {
    let (goal, what) = match (&target.average_value, target.average_utilization) {
        (Some(value), _) => (PodTarget::AverageValue(target_milli(value)?), "usage"),
        (None, Some(percent)) => (PodTarget::Utilization(percent), "utilization"),
        (None, None) => {
            return Err(
                "invalid resource metric source: neither an average utilization target \
                        nor an average value (usage) target was set"
                    .into(),
            );
        }
    };
    let wrap = |e: String| format!("failed to get {resource} {what}: {e}");
    let samples = samples_of(reading).map_err(|e| {
        wrap(format!(
            "unable to get metrics for resource {resource}: {e}"
        ))
    })?;
    let proposal = calc::per_pod_samples(samples, cx.current, goal, cx.tolerances).map_err(wrap)?;
    let current = MetricValueStatus {
        average_utilization: proposal.utilization,
        average_value: Some(quantity(proposal.average)),
        value: None,
    };
    let name = match (goal, container) {
        (PodTarget::AverageValue(_), _) => format!("{resource} resource"),
        (_, false) => format!("{resource} resource utilization (percentage of request)"),
        (_, true) => format!("{resource} container resource utilization (percentage of request)"),
    };
    Ok((proposal.replicas, current, name))
}

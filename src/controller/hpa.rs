//! The HorizontalPodAutoscaler a ScaledObject owns (KEDA `controllers/keda/hpa.go`, §2.2), as a
//! pure function of the ScaledObject and its triggers' metrics.

use std::collections::BTreeMap;

use k8s_openapi::api::autoscaling::v2::{
    ContainerResourceMetricSource, CrossVersionObjectReference, ExternalMetricSource,
    HPAScalingRules, HorizontalPodAutoscaler, HorizontalPodAutoscalerBehavior,
    HorizontalPodAutoscalerSpec, MetricIdentifier, MetricSpec, MetricTarget, ResourceMetricSource,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};
use kedars_scalers::{MetricType, MilliQuantity};

use super::resource_metrics::{ResourceMetric, ResourceTarget};
use crate::api::annotations::{self, HPA_EXCLUDED_LABELS, SCALED_OBJECT_NAME_LABEL};
use crate::api::{API_VERSION, ScaledObject};

/// The external metric scalingModifiers produce in place of the triggers' own.
pub const COMPOSITE_METRIC_NAME: &str = "composite-metric";
/// KEDA's value; dashboards and selectors look for it.
pub const MANAGED_BY: &str = "keda-operator";

/// One metric a trigger contributes to the HPA.
#[derive(Debug, Clone, PartialEq)]
pub enum TriggerMetric {
    /// Polled by a scaler, served through the external metrics API.
    External(kedars_scalers::MetricSpec),
    /// A `cpu`/`memory` trigger, read by the HPA from the resource metrics API.
    Resource(ResourceMetric),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HpaError {
    #[error("metricName {metric} defined multiple times in ScaledObject {scaled_object}")]
    DuplicateMetric {
        metric: String,
        scaled_object: String,
    },
    #[error("no metric specs returned from scalers for ScaledObject {namespace}/{name}")]
    NoMetrics { namespace: String, name: String },
    #[error(
        "spec.advanced.scalingModifiers.target value \"{0}\" is invalid: expected a number above 0"
    )]
    ModifierTarget(String),
}

/// Builds the HPA. `version` goes into the `app.kubernetes.io/version` label.
pub fn build_hpa(
    so: &ScaledObject,
    metrics: &[TriggerMetric],
    version: &str,
) -> Result<HorizontalPodAutoscaler, HpaError> {
    let spec = &so.spec;
    let target = &spec.scale_target_ref;
    let annotations = so.metadata.annotations.clone().unwrap_or_default();
    Ok(HorizontalPodAutoscaler {
        metadata: ObjectMeta {
            name: Some(so.hpa_name()),
            namespace: so.metadata.namespace.clone(),
            labels: Some(labels(so, version)),
            annotations: (!annotations.is_empty()).then(|| annotations.clone()),
            owner_references: owner_reference(so).map(|o| vec![o]),
            ..ObjectMeta::default()
        },
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                name: target.name.clone(),
                kind: target.kind.clone().unwrap_or_else(|| "Deployment".into()),
                api_version: Some(
                    target
                        .api_version
                        .clone()
                        .unwrap_or_else(|| "apps/v1".into()),
                ),
            },
            min_replicas: Some(spec.hpa_min_replicas()),
            max_replicas: spec.max_replicas(),
            behavior: behavior(so, &annotations),
            metrics: Some(metric_specs(so, metrics)?),
        }),
        status: None,
    })
}

fn name(so: &ScaledObject) -> String {
    so.metadata.name.clone().unwrap_or_default()
}

/// KEDA's defaults, then every ScaledObject label except the excluded ones, then the name label
/// the operator guarantees on the ScaledObject.
fn labels(so: &ScaledObject, version: &str) -> BTreeMap<String, String> {
    let hpa_name = so.hpa_name();
    let truncated: String = hpa_name.chars().take(63).collect();
    let app_name = truncated.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
    let mut labels = BTreeMap::from([
        ("app.kubernetes.io/name".to_string(), app_name.to_string()),
        ("app.kubernetes.io/version".to_string(), version.to_string()),
        ("app.kubernetes.io/part-of".to_string(), name(so)),
        (
            "app.kubernetes.io/managed-by".to_string(),
            MANAGED_BY.to_string(),
        ),
    ]);
    let excluded: Vec<String> = so
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(HPA_EXCLUDED_LABELS))
        .map(|keys| keys.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    for (k, v) in so.metadata.labels.iter().flatten() {
        if !excluded.contains(k) {
            labels.insert(k.clone(), v.clone());
        }
    }
    labels.insert(SCALED_OBJECT_NAME_LABEL.to_string(), name(so));
    labels
}

/// A controller reference, once the ScaledObject has a uid (it always has in a cluster; a
/// manifest file read by `kedars check` has none).
fn owner_reference(so: &ScaledObject) -> Option<OwnerReference> {
    Some(OwnerReference {
        api_version: API_VERSION.to_string(),
        kind: "ScaledObject".to_string(),
        name: name(so),
        uid: so.metadata.uid.clone()?,
        controller: Some(true),
        block_owner_deletion: Some(true),
    })
}

/// The ScaledObject's behavior, with `selectPolicy: Disabled` where scale-in or scale-out is
/// paused by annotation.
fn behavior(
    so: &ScaledObject,
    annotations: &BTreeMap<String, String>,
) -> Option<HorizontalPodAutoscalerBehavior> {
    let mut behavior = so.spec.hpa_config().and_then(|c| c.behavior.clone());
    let disable = |rules: &mut Option<HPAScalingRules>| {
        rules
            .get_or_insert_with(HPAScalingRules::default)
            .select_policy = Some("Disabled".into());
    };
    if annotations::flag(annotations, annotations::PAUSED_SCALE_IN).unwrap_or(false) {
        disable(&mut behavior.get_or_insert_with(Default::default).scale_down);
    }
    if annotations::flag(annotations, annotations::PAUSED_SCALE_OUT).unwrap_or(false) {
        disable(&mut behavior.get_or_insert_with(Default::default).scale_up);
    }
    behavior
}

fn metric_specs(so: &ScaledObject, metrics: &[TriggerMetric]) -> Result<Vec<MetricSpec>, HpaError> {
    let selector = LabelSelector {
        match_labels: Some(BTreeMap::from([(
            SCALED_OBJECT_NAME_LABEL.to_string(),
            name(so),
        )])),
        ..LabelSelector::default()
    };
    let mut specs = Vec::new();
    let mut seen = Vec::new();
    for metric in metrics {
        match metric {
            TriggerMetric::External(m) => {
                if seen.contains(&m.name) {
                    return Err(HpaError::DuplicateMetric {
                        metric: m.name.clone(),
                        scaled_object: name(so),
                    });
                }
                seen.push(m.name.clone());
                specs.push(external(&m.name, &selector, m.metric_type, m.target));
            }
            TriggerMetric::Resource(r) => specs.push(resource(r)),
        }
    }
    if let Some(modifiers) = so.spec.scaling_modifiers() {
        let text = modifiers.target.clone().unwrap_or_default();
        let target: f64 = text
            .trim()
            .parse()
            .map_err(|_| HpaError::ModifierTarget(text.clone()))?;
        if target > 0.0 {
            let metric_type = match modifiers.metric_type.as_deref() {
                Some("Value") => MetricType::Value,
                _ => MetricType::AverageValue,
            };
            // KEDA truncates the target to milli precision (int64(target*1000)).
            let quantity = MilliQuantity::from_milli((target * 1000.0).trunc() as i128);
            specs.retain(|s| s.type_ == "Resource");
            specs.push(external(
                COMPOSITE_METRIC_NAME,
                &selector,
                metric_type,
                quantity,
            ));
        }
    }
    if specs.is_empty() {
        return Err(HpaError::NoMetrics {
            namespace: so.metadata.namespace.clone().unwrap_or_default(),
            name: name(so),
        });
    }
    // KEDA sorts by type (ContainerResource < External < Resource); the sort is stable.
    specs.sort_by(|a, b| a.type_.cmp(&b.type_));
    Ok(specs)
}

fn external(
    metric: &str,
    selector: &LabelSelector,
    metric_type: MetricType,
    target: MilliQuantity,
) -> MetricSpec {
    let quantity = Some(Quantity(target.to_string()));
    let target = match metric_type {
        MetricType::Value => MetricTarget {
            type_: "Value".into(),
            value: quantity,
            ..MetricTarget::default()
        },
        // Utilization is rejected for external metrics by validation; AverageValue is the default.
        MetricType::AverageValue | MetricType::Utilization => MetricTarget {
            type_: "AverageValue".into(),
            average_value: quantity,
            ..MetricTarget::default()
        },
    };
    MetricSpec {
        type_: "External".into(),
        external: Some(ExternalMetricSource {
            metric: MetricIdentifier {
                name: metric.to_string(),
                selector: Some(selector.clone()),
            },
            target,
        }),
        ..MetricSpec::default()
    }
}

fn resource(metric: &ResourceMetric) -> MetricSpec {
    let target = match &metric.target {
        ResourceTarget::Utilization(percent) => MetricTarget {
            type_: "Utilization".into(),
            average_utilization: Some(*percent),
            ..MetricTarget::default()
        },
        ResourceTarget::AverageValue(q) => MetricTarget {
            type_: "AverageValue".into(),
            average_value: Some(Quantity(q.clone())),
            ..MetricTarget::default()
        },
    };
    match &metric.container {
        Some(container) => MetricSpec {
            type_: "ContainerResource".into(),
            container_resource: Some(ContainerResourceMetricSource {
                container: container.clone(),
                name: metric.resource.clone(),
                target,
            }),
            ..MetricSpec::default()
        },
        None => MetricSpec {
            type_: "Resource".into(),
            resource: Some(ResourceMetricSource {
                name: metric.resource.clone(),
                target,
            }),
            ..MetricSpec::default()
        },
    }
}

#[cfg(test)]
#[path = "hpa_tests.rs"]
mod tests;

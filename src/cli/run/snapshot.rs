//! What `kedars run` shows per ScaledObject: each trigger's value against its target, activity,
//! last error, and the replicas the HPA would want.

use serde::Serialize;

use crate::autoscaling::replicas::{self, ExternalMetric};
use crate::engine::scaled_object::ScaledObjectRuntime;
use crate::engine::target::PollReport;
use kedars_scalers::MetricType;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectSnapshot {
    pub namespace: String,
    pub name: String,
    pub active: bool,
    pub error: bool,
    pub fallback: bool,
    pub replicas: Replicas,
    /// What the executor did on the last poll, in words.
    pub action: Option<String>,
    pub triggers: Vec<TriggerSnapshot>,
    /// The scalingModifiers metric, when the object has a formula.
    pub composite: Option<CompositeSnapshot>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Replicas {
    /// Replicas of the (simulated) workload after the last poll.
    pub current: Option<i32>,
    /// What the HPA would want for the values served now.
    pub hpa_desired: Option<i32>,
    pub min: i32,
    pub max: i32,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerSnapshot {
    pub index: usize,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub trigger_type: String,
    pub metric_name: String,
    pub metric_type: String,
    pub target: String,
    pub value: Option<String>,
    pub active: bool,
    pub fallback: bool,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CompositeSnapshot {
    pub value: Option<String>,
    pub target: String,
    pub error: Option<String>,
}

pub fn snapshot(runtime: &ScaledObjectRuntime, report: &PollReport) -> ObjectSnapshot {
    let spec = &runtime.so.spec;
    let state = &report.state;
    let current = report.current_replicas.as_ref().ok().copied();
    let after = report
        .scaled
        .as_ref()
        .filter(|(_, result)| result.is_ok())
        .map(|(action, _)| action.to)
        .or(current);
    let triggers: Vec<TriggerSnapshot> = state
        .triggers
        .iter()
        .map(|t| TriggerSnapshot {
            index: t.index,
            name: t.name.clone(),
            trigger_type: t.trigger_type.clone(),
            metric_name: t.metric_name.clone(),
            metric_type: t.metric_type.to_string(),
            target: t.target.to_string(),
            value: t.value.map(|v| v.to_string()),
            active: t.active,
            fallback: t.fallback_active,
            error: t.error.clone(),
        })
        .collect();
    let metrics: Vec<ExternalMetric> = match &state.composite {
        Some(c) => c
            .value
            .as_ref()
            .ok()
            .map(|v| ExternalMetric {
                value: v.as_f64(),
                target: c.target.as_f64(),
                average: c.metric_type != MetricType::Value,
            })
            .into_iter()
            .collect(),
        None => state
            .triggers
            .iter()
            .filter_map(|t| {
                Some(ExternalMetric {
                    value: t.value?.as_f64(),
                    target: t.target.as_f64(),
                    average: t.metric_type != MetricType::Value,
                })
            })
            .collect(),
    };
    let hpa_desired = after.map(|replicas| {
        replicas::desired(
            &metrics,
            replicas,
            replicas,
            spec.hpa_min_replicas(),
            spec.max_replicas(),
        )
    });
    ObjectSnapshot {
        namespace: runtime.key.namespace.clone(),
        name: runtime.key.name.clone(),
        active: state.is_active,
        error: state.is_error,
        fallback: state.fallback_active,
        replicas: Replicas {
            current: after,
            hpa_desired,
            min: spec.min_replica_count.unwrap_or(0),
            max: spec.max_replicas(),
        },
        action: report.scaled.as_ref().map(|(action, result)| match result {
            Ok(()) => format!(
                "scaled from {} to {} ({:?})",
                action.from, action.to, action.reason
            ),
            Err(e) => format!("failed to scale from {} to {}: {e}", action.from, action.to),
        }),
        triggers,
        composite: state.composite.as_ref().map(|c| CompositeSnapshot {
            value: c.value.as_ref().ok().map(|v| v.to_string()),
            target: c.target.to_string(),
            error: c.value.as_ref().err().cloned(),
        }),
    }
}

//! ScaledObject (KEDA's `scaledobject_types.go`): every field of §1.1, status included.

use std::collections::BTreeMap;

use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscalerBehavior;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::conditions::Condition;
use super::trigger::ScaleTrigger;

/// KEDA's runtime defaults (`withtriggers_types.go`, `scale_executor.go`, `hpa.go`).
pub const DEFAULT_POLLING_INTERVAL_SECONDS: i32 = 30;
pub const DEFAULT_COOLDOWN_PERIOD_SECONDS: i32 = 300;
pub const DEFAULT_MAX_REPLICA_COUNT: i32 = 100;

#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "keda.sh",
    version = "v1alpha1",
    kind = "ScaledObject",
    plural = "scaledobjects",
    singular = "scaledobject",
    shortname = "so",
    namespaced,
    status = "ScaledObjectStatus",
    derive = "Default",
    derive = "PartialEq",
    printcolumn = r#"{"name":"ScaleTargetKind","type":"string","jsonPath":".status.scaleTargetKind"}"#,
    printcolumn = r#"{"name":"ScaleTargetName","type":"string","jsonPath":".spec.scaleTargetRef.name"}"#,
    printcolumn = r#"{"name":"Min","type":"integer","jsonPath":".spec.minReplicaCount"}"#,
    printcolumn = r#"{"name":"Max","type":"integer","jsonPath":".spec.maxReplicaCount"}"#,
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Active","type":"string","jsonPath":".status.conditions[?(@.type==\"Active\")].status"}"#,
    printcolumn = r#"{"name":"Fallback","type":"string","jsonPath":".status.conditions[?(@.type==\"Fallback\")].status"}"#,
    printcolumn = r#"{"name":"Paused","type":"string","jsonPath":".status.conditions[?(@.type==\"Paused\")].status"}"#,
    printcolumn = r#"{"name":"Triggers","type":"string","jsonPath":".status.triggersTypes"}"#,
    printcolumn = r#"{"name":"Authentications","type":"string","jsonPath":".status.authenticationsTypes"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct ScaledObjectSpec {
    pub scale_target_ref: ScaleTarget,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub polling_interval: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub initial_cooldown_period: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub cooldown_period: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub idle_replica_count: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub min_replica_count: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_replica_count: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced: Option<AdvancedConfig>,
    #[schemars(length(min = 1))]
    pub triggers: Vec<ScaleTrigger>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<Fallback>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScaleTarget {
    #[schemars(length(min = 1))]
    pub name: String,
    /// Default `apps/v1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Default `Deployment`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The container whose environment `<key>FromEnv` reads; default the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env_source_container_name: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdvancedConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horizontal_pod_autoscaler_config: Option<HorizontalPodAutoscalerConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_to_original_replica_count: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaling_modifiers: Option<ScalingModifiers>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HorizontalPodAutoscalerConfig {
    /// Default `keda-hpa-<ScaledObject name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub behavior: Option<HorizontalPodAutoscalerBehavior>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScalingModifiers {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formula: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["AverageValue", "Value"]))]
    pub metric_type: Option<String>,
}

impl ScalingModifiers {
    /// KEDA's `IsUsingModifiers`: any field set.
    pub fn is_used(&self) -> bool {
        self != &ScalingModifiers::default()
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Fallback {
    #[schemars(range(min = 0))]
    pub failure_threshold: i32,
    #[schemars(range(min = 0))]
    pub replicas: i32,
    /// `static` (default), `currentReplicas`, `currentReplicasIfHigher`,
    /// `currentReplicasIfLower` or `scalingModifiers`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["static", "currentReplicas", "currentReplicasIfHigher", "currentReplicasIfLower", "scalingModifiers"], "default" = "static"))]
    pub behavior: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScaledObjectStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_target_kind: Option<String>,
    #[serde(
        default,
        rename = "scaleTargetGVKR",
        skip_serializing_if = "Option::is_none"
    )]
    pub scale_target_gvkr: Option<GroupVersionKindResource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_replica_count: Option<i32>,
    /// RFC3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_active_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_metric_names: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_metric_names: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub composite_scaler_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<Condition>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<BTreeMap<String, HealthStatus>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triggers_activity: Option<BTreeMap<String, TriggerActivityStatus>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_replica_count: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hpa_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triggers_types: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentications_types: Option<String>,
    /// kedars' own: how the latest scheduled opening of a time-based trigger was served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_capacity: Option<ScheduledCapacityStatus>,
}

/// The latest opening of a time-based trigger (`timetable`, `cron`) and when the target had the
/// replicas it asks for ready (its `status.readyReplicas`). Not in KEDA.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledCapacityStatus {
    /// The trigger's name, or its metric name when it has none.
    pub trigger: String,
    /// RFC3339: when capacity was due — the lead time before the session's start (a cron
    /// window's start).
    pub last_opening: String,
    /// RFC3339: the session's start.
    pub starts_at: String,
    /// The replicas the trigger asks for at the start.
    pub desired_replicas: i32,
    /// RFC3339: the first poll that found that many replicas ready (`lastOpening` itself when
    /// they were ready already); absent while waiting and when missed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_at: Option<String>,
    /// `readyAt − lastOpening`, in whole seconds (rounded up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_by_seconds: Option<i64>,
    /// The window closed before the replicas were ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missed: Option<bool>,
}

/// KEDA serialises this as `scaleTargetGVKR` with `{group, version, kind, resource}`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct GroupVersionKindResource {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub resource: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_failures: Option<i32>,
    /// `Happy` or `Failing`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TriggerActivityStatus {
    pub is_active: bool,
}

impl ScaledObjectSpec {
    pub fn polling_interval_seconds(&self) -> i32 {
        self.polling_interval
            .unwrap_or(DEFAULT_POLLING_INTERVAL_SECONDS)
    }

    pub fn cooldown_period_seconds(&self) -> i32 {
        self.cooldown_period
            .unwrap_or(DEFAULT_COOLDOWN_PERIOD_SECONDS)
    }

    pub fn max_replicas(&self) -> i32 {
        self.max_replica_count.unwrap_or(DEFAULT_MAX_REPLICA_COUNT)
    }

    /// KEDA's `GetHPAMinReplicas`: the HPA cannot go below 1.
    pub fn hpa_min_replicas(&self) -> i32 {
        match self.min_replica_count {
            Some(min) if min > 0 => min,
            _ => 1,
        }
    }

    pub fn scaling_modifiers(&self) -> Option<&ScalingModifiers> {
        self.advanced
            .as_ref()
            .and_then(|a| a.scaling_modifiers.as_ref())
            .filter(|m| m.is_used())
    }

    pub fn hpa_config(&self) -> Option<&HorizontalPodAutoscalerConfig> {
        self.advanced
            .as_ref()
            .and_then(|a| a.horizontal_pod_autoscaler_config.as_ref())
    }
}

impl ScaledObject {
    /// The HPA's name: `advanced.horizontalPodAutoscalerConfig.name` or `keda-hpa-<name>`.
    pub fn hpa_name(&self) -> String {
        self.spec
            .hpa_config()
            .and_then(|c| c.name.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("keda-hpa-{}", self.metadata.name.as_deref().unwrap_or("")))
    }
}

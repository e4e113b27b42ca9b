//! `spec.triggers[]`, shared by ScaledObject and ScaledJob.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScaleTrigger {
    /// The scaler: `prometheus`, `redis`, `cron`, ...
    #[serde(rename = "type")]
    #[schemars(length(min = 1))]
    pub type_: String,
    /// Optional; unique among the object's triggers. Used in scalingModifiers formulas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_ref: Option<AuthenticationRef>,
    /// `AverageValue` (default), `Value`, or `Utilization` for cpu/memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_cached_metrics: Option<bool>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationRef {
    pub name: String,
    /// `TriggerAuthentication` (default) or `ClusterTriggerAuthentication`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["TriggerAuthentication", "ClusterTriggerAuthentication"]))]
    pub kind: Option<String>,
}

impl AuthenticationRef {
    pub fn is_cluster(&self) -> bool {
        self.kind.as_deref() == Some("ClusterTriggerAuthentication")
    }
}

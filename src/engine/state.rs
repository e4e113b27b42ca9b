//! What one evaluation of a ScaledObject's triggers found: per trigger, the value served to the
//! HPA, activity, error and fallback; for the object, whether it is active or in error.

use std::fmt;

use chrono::{DateTime, Utc};
use kedars_scalers::{MetricType, MilliQuantity};

use super::fallback::Health;

/// `namespace/name` of a ScaledObject.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        ObjectKey {
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TriggerState {
    pub index: usize,
    pub name: Option<String>,
    pub trigger_type: String,
    pub metric_name: String,
    pub metric_type: MetricType,
    pub target: MilliQuantity,
    /// What the HPA is served: the source's value, or the fallback value.
    pub value: Option<MilliQuantity>,
    /// The source's raw reading, when the last query succeeded.
    pub raw: Option<f64>,
    pub active: bool,
    pub error: Option<String>,
    pub fallback_active: bool,
    pub health: Health,
    pub queried_at: Option<DateTime<Utc>>,
    /// How long the last query took.
    pub latency: Option<std::time::Duration>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObjectState {
    pub triggers: Vec<TriggerState>,
    pub is_active: bool,
    pub is_error: bool,
    pub fallback_active: bool,
    /// The scalingModifiers result, when the ScaledObject has a formula.
    pub composite: Option<CompositeState>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CompositeState {
    pub value: Result<MilliQuantity, String>,
    pub target: MilliQuantity,
    pub metric_type: MetricType,
}

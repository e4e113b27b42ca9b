//! What a scaler is built from: one trigger of a ScaledObject, with its secrets already resolved.

use std::collections::BTreeMap;
use std::fmt;

/// How the HPA compares a metric with its target (`triggers[].metricType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MetricType {
    #[default]
    AverageValue,
    Value,
    Utilization,
}

impl MetricType {
    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::AverageValue => "AverageValue",
            MetricType::Value => "Value",
            MetricType::Utilization => "Utilization",
        }
    }
}

impl fmt::Display for MetricType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One trigger, as a scaler's parse step sees it. `auth_params` and `resolved_env` hold secret
/// material, so `Debug` prints only their keys.
#[derive(Clone, Default, PartialEq)]
pub struct TriggerContext {
    pub trigger_type: String,
    /// 0-based position in `spec.triggers`; the `s<index>-` prefix of metric names.
    pub index: usize,
    pub name: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// Parameters resolved from a (Cluster)TriggerAuthentication.
    pub auth_params: BTreeMap<String, String>,
    /// The scale target's container environment, for `<key>FromEnv` lookups.
    pub resolved_env: BTreeMap<String, String>,
    pub metric_type: MetricType,
}

impl TriggerContext {
    pub fn new(trigger_type: impl Into<String>, index: usize) -> Self {
        TriggerContext {
            trigger_type: trigger_type.into(),
            index,
            ..Default::default()
        }
    }

    pub fn with_metadata<K: Into<String>, V: Into<String>>(
        mut self,
        entries: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.metadata
            .extend(entries.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    pub fn with_auth_params<K: Into<String>, V: Into<String>>(
        mut self,
        entries: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.auth_params
            .extend(entries.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    pub fn with_resolved_env<K: Into<String>, V: Into<String>>(
        mut self,
        entries: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.resolved_env
            .extend(entries.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    pub fn with_metric_type(mut self, metric_type: MetricType) -> Self {
        self.metric_type = metric_type;
        self
    }

    /// Every value that may be secret: whatever came from a TriggerAuthentication or the target's
    /// environment. Error messages are scrubbed of these before anyone sees them.
    pub fn secret_values(&self) -> Vec<String> {
        self.auth_params
            .values()
            .chain(self.resolved_env.values())
            .map(|v| v.trim().to_string())
            .filter(|v| v.len() >= crate::redact::MIN_SECRET_LEN)
            .collect()
    }
}

impl fmt::Debug for TriggerContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TriggerContext")
            .field("trigger_type", &self.trigger_type)
            .field("index", &self.index)
            .field("name", &self.name)
            .field("metadata", &self.metadata)
            .field("auth_params", &self.auth_params.keys().collect::<Vec<_>>())
            .field(
                "resolved_env",
                &self.resolved_env.keys().collect::<Vec<_>>(),
            )
            .field("metric_type", &self.metric_type)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_secret_values() {
        let ctx = TriggerContext::new("redis", 0)
            .with_auth_params([("password", "hunter2-secret")])
            .with_resolved_env([("REDIS_PASSWORD", "env-secret-value")]);
        let printed = format!("{ctx:?}");
        assert!(printed.contains("password"));
        assert!(!printed.contains("hunter2-secret"));
        assert!(!printed.contains("env-secret-value"));
    }
}

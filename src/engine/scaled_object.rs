//! One ScaledObject at run time: its triggers, fallback policy and scalingModifiers, evaluated
//! together (KEDA `getScaledObjectState` for the polling loop, `GetScaledObjectMetrics` for the
//! HPA's requests).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use futures::future::join_all;
use kedars_scalers::{MetricType, MilliQuantity};

use super::clock::Clock;
use super::fallback::{self, Policy};
use super::modifiers::Modifiers;
use super::state::{CompositeState, ObjectKey, ObjectState, TriggerState};
use super::trigger::{Outcome, TriggerRuntime};
use crate::api::ScaledObject;
use crate::controller::hpa::COMPOSITE_METRIC_NAME;

pub struct ScaledObjectRuntime {
    pub key: ObjectKey,
    pub so: ScaledObject,
    pub triggers: Vec<Arc<TriggerRuntime>>,
    /// cpu/memory triggers: never polled, always active.
    pub resource_triggers: usize,
    pub fallback: Option<Policy>,
    pub modifiers: Option<Modifiers>,
    /// Replicas seen by the last poll (-1: not yet known); fallback behaviors use it.
    current_replicas: AtomicI32,
}

/// Why a metric could not be served to the HPA.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricError {
    #[error("no matching metrics found for {0}")]
    NoSuchMetric(String),
    #[error("metric:{metric} encountered error: {message}")]
    Source { metric: String, message: String },
}

/// A value for the HPA.
#[derive(Debug, Clone, PartialEq)]
pub struct ServedMetric {
    pub metric_name: String,
    pub value: MilliQuantity,
    pub timestamp: chrono::DateTime<chrono::Utc>,
}

impl ScaledObjectRuntime {
    pub fn new(
        so: ScaledObject,
        triggers: Vec<Arc<TriggerRuntime>>,
        resource_triggers: usize,
        modifiers: Option<Modifiers>,
    ) -> Self {
        let key = ObjectKey::new(
            so.metadata
                .namespace
                .clone()
                .unwrap_or_else(|| "default".into()),
            so.metadata.name.clone().unwrap_or_default(),
        );
        ScaledObjectRuntime {
            key,
            fallback: fallback::policy(&so.spec),
            so,
            triggers,
            resource_triggers,
            modifiers,
            current_replicas: AtomicI32::new(-1),
        }
    }

    /// pollingInterval (KEDA's default 30 s; at least 1 s).
    pub fn polling_interval(&self) -> Duration {
        let seconds = self.so.spec.polling_interval_seconds().max(1);
        Duration::from_secs(u64::try_from(seconds).unwrap_or(1))
    }

    pub fn set_current_replicas(&self, replicas: i32) {
        self.current_replicas.store(replicas, Ordering::Relaxed);
    }

    fn current_replicas(&self) -> i32 {
        self.current_replicas.load(Ordering::Relaxed).max(0)
    }

    /// Queries every trigger whose outcome is older than `max_age`, concurrently, and evaluates.
    pub async fn evaluate(&self, max_age: Duration, clock: &dyn Clock) -> ObjectState {
        let outcomes = join_all(self.triggers.iter().map(|t| t.outcome(max_age, clock))).await;
        let triggers: Vec<TriggerState> = self
            .triggers
            .iter()
            .zip(&outcomes)
            .map(|(t, o)| self.trigger_state(t, o))
            .collect();
        let is_error = triggers.iter().any(|t| t.error.is_some());
        let fallback_active = triggers.iter().any(|t| t.fallback_active);
        let mut state = ObjectState {
            is_active: triggers.iter().any(|t| t.active),
            is_error,
            fallback_active,
            triggers,
            composite: None,
        };
        if let Some(modifiers) = &self.modifiers {
            let composite = self.composite(modifiers, &state);
            state.is_active = !is_error
                && composite
                    .value
                    .as_ref()
                    .is_ok_and(|v| v.as_f64() > modifiers.activation_target);
            state.composite = Some(composite);
        }
        if self.triggers.is_empty() && self.resource_triggers > 0 {
            // KEDA: only cpu/memory triggers and no error ⇒ always active.
            state.is_active = true;
        }
        state
    }

    fn trigger_state(&self, trigger: &TriggerRuntime, outcome: &Outcome) -> TriggerState {
        let mut state = TriggerState {
            index: trigger.index,
            name: trigger.name.clone(),
            trigger_type: trigger.trigger_type.clone(),
            metric_name: trigger.metric.name.clone(),
            metric_type: trigger.metric.metric_type,
            target: trigger.metric.target,
            value: None,
            raw: None,
            active: false,
            error: None,
            fallback_active: false,
            health: outcome.health,
            queried_at: Some(outcome.wall),
            latency: Some(outcome.latency),
        };
        match &outcome.result {
            Ok(reading) => {
                state.value = Some(reading.value);
                state.raw = Some(reading.raw);
                state.active = reading.active;
            }
            Err(message) => match self.fallback_value(trigger, outcome) {
                Some(value) => {
                    state.value = Some(value);
                    state.active = true;
                    state.fallback_active = true;
                }
                None => state.error = Some(message.clone()),
            },
        }
        state
    }

    fn fallback_value(&self, trigger: &TriggerRuntime, outcome: &Outcome) -> Option<MilliQuantity> {
        let policy = self.fallback.as_ref()?;
        let metric = fallback::MetricTarget {
            target: self
                .modifiers
                .as_ref()
                .map_or(trigger.metric.target.as_f64(), |m| m.target),
            is_value: trigger.metric.metric_type == MetricType::Value,
        };
        let current = self.current_replicas();
        // The ready pods behind a Value target: the replicas the last poll saw.
        let value = fallback::value(policy, outcome.health, current, metric, current)?;
        Some(MilliQuantity::from_f64(value))
    }

    /// §2.8: the formula over the named triggers' values; with a (non-scalingModifiers)
    /// fallback active, the first fallback value instead.
    fn composite(&self, modifiers: &Modifiers, state: &ObjectState) -> CompositeState {
        let value = if let Some(fallback) = state.triggers.iter().find(|t| t.fallback_active) {
            Ok(fallback.value.unwrap_or_default())
        } else {
            let failing = |t: &TriggerState| {
                self.fallback.as_ref().is_some_and(|p| {
                    p.behavior == fallback::Behavior::ScalingModifiers && t.health.exceeds(p)
                })
            };
            let inputs: BTreeMap<String, Option<f64>> = state
                .triggers
                .iter()
                .filter_map(|t| {
                    let value = if failing(t) {
                        None
                    } else {
                        t.value.map(|v| v.as_f64())
                    };
                    Some((t.name.clone()?, value))
                })
                .collect();
            modifiers.evaluate(&inputs, self.fallback.as_ref())
        };
        CompositeState {
            value,
            target: MilliQuantity::from_f64(modifiers.target),
            metric_type: modifiers.metric_type,
        }
    }

    /// The HPA's request for one metric (§2.12). Activation thresholds never change what is
    /// served.
    pub async fn serve(
        &self,
        metric_name: &str,
        max_age: Duration,
        clock: &dyn Clock,
    ) -> Result<ServedMetric, MetricError> {
        let timestamp = clock.now();
        if self.modifiers.is_some() {
            if !metric_name.eq_ignore_ascii_case(COMPOSITE_METRIC_NAME) {
                return Err(MetricError::NoSuchMetric(metric_name.to_string()));
            }
            let state = self.evaluate(max_age, clock).await;
            let composite = state.composite.expect("modifiers produce a composite");
            let value = composite.value.map_err(|message| MetricError::Source {
                metric: metric_name.to_string(),
                message,
            })?;
            return Ok(ServedMetric {
                metric_name: COMPOSITE_METRIC_NAME.to_string(),
                value,
                timestamp,
            });
        }
        let trigger = self
            .triggers
            .iter()
            .find(|t| t.metric.name.eq_ignore_ascii_case(metric_name))
            .ok_or_else(|| MetricError::NoSuchMetric(metric_name.to_string()))?;
        let outcome = trigger.outcome(max_age, clock).await;
        let state = self.trigger_state(trigger, &outcome);
        match (state.value, state.error) {
            (Some(value), _) => Ok(ServedMetric {
                metric_name: trigger.metric.name.clone(),
                value,
                timestamp,
            }),
            (None, message) => Err(MetricError::Source {
                metric: metric_name.to_string(),
                message: message.unwrap_or_default(),
            }),
        }
    }
}

//! Fallback (KEDA `pkg/fallback/fallback.go`, §2.10): after `failureThreshold` consecutive
//! failures of a trigger, serve a value that makes the HPA hold `fallback.replicas` instead of
//! an error.

use crate::api::scaled_object::{Fallback, ScaledObjectSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behavior {
    Static,
    CurrentReplicas,
    CurrentReplicasIfHigher,
    CurrentReplicasIfLower,
    /// Failing triggers enter the formula as nil instead; no fallback value per trigger.
    ScalingModifiers,
}

impl Behavior {
    pub fn parse(text: Option<&str>) -> Option<Behavior> {
        Some(match text.unwrap_or("static") {
            "static" | "" => Behavior::Static,
            "currentReplicas" => Behavior::CurrentReplicas,
            "currentReplicasIfHigher" => Behavior::CurrentReplicasIfHigher,
            "currentReplicasIfLower" => Behavior::CurrentReplicasIfLower,
            "scalingModifiers" => Behavior::ScalingModifiers,
            _ => return None,
        })
    }
}

/// A fallback KEDA would honour (`HasValidFallback`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub failure_threshold: i32,
    pub replicas: i32,
    pub behavior: Behavior,
}

/// The ScaledObject's fallback if it is valid: non-negative numbers, a known behavior, and with
/// scalingModifiers a target that parses as a positive integer (KEDA silently disables the
/// fallback otherwise; validation reports it).
pub fn policy(spec: &ScaledObjectSpec) -> Option<Policy> {
    let Fallback {
        failure_threshold,
        replicas,
        behavior,
    } = spec.fallback.as_ref()?;
    if *failure_threshold < 0 || *replicas < 0 {
        return None;
    }
    if let Some(modifiers) = spec.scaling_modifiers() {
        let target = modifiers.target.as_deref().unwrap_or("").trim();
        if !target.parse::<i64>().is_ok_and(|t| t > 0) {
            return None;
        }
    }
    Some(Policy {
        failure_threshold: *failure_threshold,
        replicas: *replicas,
        behavior: Behavior::parse(behavior.as_deref())?,
    })
}

/// A trigger's health as KEDA records it in `status.health`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Health {
    pub failures: i32,
    pub failing: bool,
}

impl Health {
    pub fn record(self, succeeded: bool) -> Health {
        if succeeded {
            Health::default()
        } else {
            Health {
                failures: self.failures.saturating_add(1),
                failing: true,
            }
        }
    }

    /// Past the threshold: the fallback applies.
    pub fn exceeds(self, policy: &Policy) -> bool {
        self.failing && self.failures > policy.failure_threshold
    }
}

/// What the HPA needs to compute the fallback replicas for one metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricTarget {
    pub target: f64,
    /// `Value` targets are divided among the ready pods by the HPA, so the served value is too.
    pub is_value: bool,
}

/// The value to serve instead of an error, or `None` when the fallback does not apply (below
/// the threshold, scalingModifiers behavior, or a Value target with no ready pod).
pub fn value(
    policy: &Policy,
    health: Health,
    current_replicas: i32,
    metric: MetricTarget,
    ready_pods: i32,
) -> Option<f64> {
    if !health.exceeds(policy) {
        return None;
    }
    let replicas = match policy.behavior {
        Behavior::Static => policy.replicas,
        Behavior::CurrentReplicas => current_replicas,
        Behavior::CurrentReplicasIfHigher => current_replicas.max(policy.replicas),
        Behavior::CurrentReplicasIfLower => current_replicas.min(policy.replicas),
        Behavior::ScalingModifiers => return None,
    };
    let mut replicas = f64::from(replicas);
    if metric.is_value {
        if ready_pods <= 0 {
            return None;
        }
        replicas /= f64::from(ready_pods);
    }
    Some(metric.target * replicas)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy_of(behavior: Behavior) -> Policy {
        Policy {
            failure_threshold: 3,
            replicas: 6,
            behavior,
        }
    }

    fn failing(failures: i32) -> Health {
        Health {
            failures,
            failing: true,
        }
    }

    const AVERAGE: MetricTarget = MetricTarget {
        target: 5.0,
        is_value: false,
    };

    #[test]
    fn values() {
        use Behavior::*;
        // (what, behavior, health, current replicas, metric, ready pods, served value)
        type Row = (
            &'static str,
            Behavior,
            Health,
            i32,
            MetricTarget,
            i32,
            Option<f64>,
        );
        let cases: &[Row] = &[
            (
                "healthy: no fallback",
                Static,
                Health::default(),
                2,
                AVERAGE,
                2,
                None,
            ),
            (
                "at the threshold: not yet",
                Static,
                failing(3),
                2,
                AVERAGE,
                2,
                None,
            ),
            (
                "past the threshold: static replicas × target",
                Static,
                failing(4),
                2,
                AVERAGE,
                2,
                Some(30.0),
            ),
            (
                "current replicas",
                CurrentReplicas,
                failing(4),
                2,
                AVERAGE,
                2,
                Some(10.0),
            ),
            (
                "if higher: current is lower, so fallback",
                CurrentReplicasIfHigher,
                failing(4),
                2,
                AVERAGE,
                2,
                Some(30.0),
            ),
            (
                "if higher: current is higher, keep it",
                CurrentReplicasIfHigher,
                failing(4),
                9,
                AVERAGE,
                9,
                Some(45.0),
            ),
            (
                "if lower: current is higher, fallback",
                CurrentReplicasIfLower,
                failing(4),
                9,
                AVERAGE,
                9,
                Some(30.0),
            ),
            (
                "if lower: current is lower, keep it",
                CurrentReplicasIfLower,
                failing(4),
                2,
                AVERAGE,
                2,
                Some(10.0),
            ),
            (
                "scalingModifiers behavior: nil in the formula instead",
                ScalingModifiers,
                failing(4),
                2,
                AVERAGE,
                2,
                None,
            ),
            (
                "Value target divided among ready pods",
                Static,
                failing(4),
                3,
                MetricTarget {
                    target: 5.0,
                    is_value: true,
                },
                3,
                Some(10.0),
            ),
            (
                "Value target with no ready pod: fails",
                Static,
                failing(4),
                3,
                MetricTarget {
                    target: 5.0,
                    is_value: true,
                },
                0,
                None,
            ),
        ];
        for (what, behavior, health, current, metric, ready, want) in cases {
            assert_eq!(
                value(&policy_of(*behavior), *health, *current, *metric, *ready),
                *want,
                "{what}"
            );
        }
    }

    #[test]
    fn health_counts_consecutive_failures_and_resets() {
        let h = Health::default().record(false).record(false);
        assert_eq!(h, failing(2));
        assert_eq!(h.record(true), Health::default());
    }

    #[test]
    fn policies() {
        let spec = |fallback: &str, modifiers: &str| -> ScaledObjectSpec {
            serde_saphyr::from_str(&format!(
                "scaleTargetRef: {{name: w}}\ntriggers: []\n{fallback}\n{modifiers}"
            ))
            .unwrap()
        };
        let cases: &[(&str, ScaledObjectSpec, bool)] = &[
            (
                "valid static",
                spec("fallback: {failureThreshold: 3, replicas: 6}", ""),
                true,
            ),
            ("no fallback", spec("", ""), false),
            (
                "negative replicas",
                spec("fallback: {failureThreshold: 3, replicas: -1}", ""),
                false,
            ),
            (
                "unknown behavior",
                spec(
                    "fallback: {failureThreshold: 3, replicas: 1, behavior: sometimes}",
                    "",
                ),
                false,
            ),
            (
                "modifiers with an integer target",
                spec(
                    "fallback: {failureThreshold: 3, replicas: 1}",
                    "advanced: {scalingModifiers: {formula: a, target: '2'}}",
                ),
                true,
            ),
            (
                "modifiers with a fractional target: KEDA disables the fallback",
                spec(
                    "fallback: {failureThreshold: 3, replicas: 1}",
                    "advanced: {scalingModifiers: {formula: a, target: '2.5'}}",
                ),
                false,
            ),
        ];
        for (what, spec, valid) in cases {
            assert_eq!(policy(spec).is_some(), *valid, "{what}");
        }
    }
}

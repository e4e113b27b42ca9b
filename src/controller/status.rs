//! The ScaledObject status a poll leads to (KEDA `handleResult`): conditions, lastActiveTime,
//! triggersActivity, health and the Fallback condition, as a merge patch — or nothing when the
//! status would not change.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::api::conditions::{self, Condition};
use crate::api::scaled_object::{HealthStatus, ScaledObjectStatus, TriggerActivityStatus};
use crate::engine::target::PollReport;

/// The status after `report`, starting from `current`.
pub fn after_poll(
    current: &ScaledObjectStatus,
    report: &PollReport,
    fallback_configured: bool,
) -> ScaledObjectStatus {
    let mut status = current.clone();
    let mut conds = status
        .conditions
        .clone()
        .unwrap_or_else(conditions::initial);
    for condition in &report.decision.conditions {
        conditions::set(&mut conds, condition.clone());
    }
    if fallback_configured {
        conditions::set(&mut conds, fallback_condition(report.state.fallback_active));
    }
    status.conditions = Some(conds);
    if let Some(last) = report.last_active_time {
        status.last_active_time = Some(last.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    }
    let activity: BTreeMap<String, TriggerActivityStatus> = report
        .state
        .triggers
        .iter()
        .map(|t| {
            (
                t.metric_name.clone(),
                TriggerActivityStatus {
                    is_active: t.active && report.state.composite.is_none(),
                },
            )
        })
        .collect();
    status.triggers_activity = (!activity.is_empty()).then_some(activity);
    if fallback_configured {
        let health = report
            .state
            .triggers
            .iter()
            .map(|t| {
                let status = if t.health.failing { "Failing" } else { "Happy" };
                (
                    t.metric_name.clone(),
                    HealthStatus {
                        number_of_failures: Some(t.health.failures),
                        status: Some(status.into()),
                    },
                )
            })
            .collect();
        status.health = Some(health);
    }
    status
}

pub fn fallback_condition(active: bool) -> Condition {
    let (status, reason, message) = if active {
        (
            "True",
            "FallbackExists",
            "At least one trigger is falling back on this scaled object",
        )
    } else {
        (
            "False",
            "NoFallbackFound",
            "No fallbacks are active on this scaled object",
        )
    };
    Condition {
        type_: conditions::FALLBACK.into(),
        status: status.into(),
        reason: Some(reason.into()),
        message: Some(message.into()),
    }
}

/// The merge patch turning `before` into `after`, or `None` when they are equal.
pub fn patch(before: &ScaledObjectStatus, after: &ScaledObjectStatus) -> Option<Value> {
    (before != after).then(|| json!({ "status": after }))
}

pub fn condition(type_: &str, status: &str, reason: &str, message: impl Into<String>) -> Condition {
    Condition {
        type_: type_.into(),
        status: status.into(),
        reason: Some(reason.into()),
        message: Some(message.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::executor::Decision;
    use crate::engine::fallback::Health;
    use crate::engine::state::{ObjectKey, ObjectState, TriggerState};
    use chrono::TimeZone;
    use kedars_scalers::{MetricType, MilliQuantity};

    fn report(active: bool, failures: i32, fallback: bool) -> PollReport {
        let trigger = TriggerState {
            index: 0,
            name: None,
            trigger_type: "redis".into(),
            metric_name: "s0-redis-jobs".into(),
            metric_type: MetricType::AverageValue,
            target: MilliQuantity::from_integer(5),
            value: Some(MilliQuantity::from_integer(7)),
            raw: Some(7.0),
            active,
            error: None,
            fallback_active: fallback,
            health: Health {
                failures,
                failing: failures > 0,
            },
            queried_at: None,
            latency: None,
        };
        PollReport {
            key: ObjectKey::new("ns", "so"),
            at: chrono::Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap(),
            state: ObjectState {
                triggers: vec![trigger],
                is_active: active,
                is_error: false,
                fallback_active: fallback,
                composite: None,
            },
            current_replicas: Ok(1),
            decision: Decision {
                conditions: vec![condition(
                    "Ready",
                    "True",
                    "ScaledObjectReady",
                    "ScaledObject is defined correctly and is ready for scaling",
                )],
                ..Decision::default()
            },
            scaled: None,
            last_active_time: active
                .then(|| chrono::Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap()),
            loop_latency: std::time::Duration::ZERO,
        }
    }

    #[test]
    fn conditions_activity_health_and_last_active_time() {
        let status = after_poll(&ScaledObjectStatus::default(), &report(true, 2, true), true);
        let conds = status.conditions.clone().unwrap();
        let by_type = |t: &str| conds.iter().find(|c| c.type_ == t).unwrap().clone();
        assert_eq!(by_type("Ready").status, "True");
        assert_eq!(
            by_type("Active").status,
            "Unknown",
            "initial conditions are kept"
        );
        assert_eq!(
            by_type("Fallback").reason.as_deref(),
            Some("FallbackExists")
        );
        assert_eq!(by_type("Paused").status, "False");
        assert_eq!(
            status.last_active_time.as_deref(),
            Some("2026-11-27T09:00:00Z")
        );
        assert!(status.triggers_activity.as_ref().unwrap()["s0-redis-jobs"].is_active);
        let health = &status.health.as_ref().unwrap()["s0-redis-jobs"];
        assert_eq!(
            (health.number_of_failures, health.status.as_deref()),
            (Some(2), Some("Failing"))
        );
    }

    #[test]
    fn no_patch_when_nothing_changes() {
        let once = after_poll(
            &ScaledObjectStatus::default(),
            &report(false, 0, false),
            false,
        );
        let twice = after_poll(&once, &report(false, 0, false), false);
        assert_eq!(patch(&once, &twice), None);
        assert!(patch(&ScaledObjectStatus::default(), &once).is_some());
        assert_eq!(once.health, None, "health is tracked only with a fallback");
    }
}

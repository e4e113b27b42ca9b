//! The executor's decisions (KEDA `scale_scaledobjects.go`, §2.5) as a pure function: from what
//! the triggers say, the current replicas and the time, to a replica action and the conditions
//! to report. Between the minimum and the maximum the HPA scales; this decides 0 ↔ min, idle,
//! cooldown and pauses.

use chrono::{DateTime, Duration, Utc};

use crate::api::annotations::Pause;
use crate::api::conditions::{self, Condition};

/// What the executor needs to know about one ScaledObject at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutorInput {
    pub min_replica_count: Option<i32>,
    pub idle_replica_count: Option<i32>,
    pub cooldown_period_seconds: i32,
    pub initial_cooldown_period_seconds: i32,
    /// `fallback.replicas`, when a fallback is configured.
    pub fallback_replicas: Option<i32>,
    pub pause: Pause,
    pub is_active: bool,
    pub is_error: bool,
    pub current_replicas: i32,
    pub last_active_time: Option<DateTime<Utc>>,
    pub creation_time: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScaleReason {
    /// From zero (or idle) to the minimum: `KEDAScaleTargetActivated`.
    Activate,
    /// To zero or idle after cooldown: `KEDAScaleTargetDeactivated`.
    Deactivate,
    /// Up to `minReplicaCount` when below it and no idle count is set.
    RaiseToMinimum,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScaleAction {
    pub from: i32,
    pub to: i32,
    pub reason: ScaleReason,
}

/// What to do and report. Conditions are set (in this order) on the ScaledObject's status.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Decision {
    pub scale: Option<ScaleAction>,
    pub conditions: Vec<Condition>,
    /// Set `status.lastActiveTime` to this (KEDA does so only after a successful scale when
    /// activating).
    pub last_active_time: Option<DateTime<Utc>>,
}

fn condition(type_: &str, status: &str, reason: &str, message: &str) -> Condition {
    Condition {
        type_: type_.into(),
        status: status.into(),
        reason: Some(reason.into()),
        message: Some(message.into()),
    }
}

pub fn decide(input: &ExecutorInput) -> Decision {
    let mut decision = Decision {
        conditions: vec![condition(
            conditions::READY,
            "True",
            "ScaledObjectReady",
            "ScaledObject is defined correctly and is ready for scaling",
        )],
        ..Decision::default()
    };
    if input.pause.paused {
        decision.conditions.push(condition(
            conditions::PAUSED,
            "True",
            "ScaledObjectPaused",
            "ScaledObject is paused",
        ));
        return decision;
    }
    if input.is_active || input.pause.force_activation {
        decide_active(input, &mut decision);
    } else {
        decide_inactive(input, &mut decision);
    }
    decision
}

fn min(input: &ExecutorInput) -> i32 {
    input.min_replica_count.unwrap_or(0)
}

fn decide_active(input: &ExecutorInput, decision: &mut Decision) {
    let message = if input.is_active {
        "Scaling is performed because triggers are active"
    } else {
        "Scaling is performed because activation is being forced by annotation"
    };
    decision.conditions.push(condition(
        conditions::ACTIVE,
        "True",
        "ScalerActive",
        message,
    ));
    let below_min_while_idle =
        input.idle_replica_count.is_some() && input.current_replicas < min(input);
    if below_min_while_idle || input.current_replicas == 0 {
        if !input.pause.scale_out_paused {
            decision.scale = Some(ScaleAction {
                from: input.current_replicas,
                to: min(input).max(1),
                reason: ScaleReason::Activate,
            });
            decision.last_active_time = Some(input.now);
        }
    } else if input.is_error {
        decision.conditions.push(condition(
            conditions::READY,
            "Unknown",
            "PartialTriggerError",
            "Some triggers defined in ScaledObject are not working correctly",
        ));
    } else {
        decision.last_active_time = Some(input.now);
    }
}

fn decide_inactive(input: &ExecutorInput, decision: &mut Decision) {
    decision.conditions.push(condition(
        conditions::ACTIVE,
        "False",
        "ScalerNotActive",
        "Scaling is not performed because triggers are not active",
    ));
    let current = input.current_replicas;
    if input.is_error && input.fallback_replicas.is_some_and(|r| r != 0) {
        // The HPA applies the fallback replicas through the served metric.
        return;
    }
    if input.is_error && input.fallback_replicas.is_none() {
        decision.conditions.push(condition(
            conditions::READY,
            "False",
            "TriggerError",
            "Triggers defined in ScaledObject are not working correctly",
        ));
        return;
    }
    let above_idle = input.idle_replica_count.is_some_and(|idle| current > idle);
    if above_idle || (current > 0 && min(input) == 0) {
        scale_to_zero_or_idle(input, decision);
    } else if input.idle_replica_count.is_none() && current < min(input) {
        decision.scale = Some(ScaleAction {
            from: current,
            to: min(input),
            reason: ScaleReason::RaiseToMinimum,
        });
    }
}

fn scale_to_zero_or_idle(input: &ExecutorInput, decision: &mut Decision) {
    if input.pause.scale_in_paused {
        return;
    }
    let cooled_down = match input.last_active_time {
        None => input.creation_time.is_none_or(|created| {
            created + Duration::seconds(input.initial_cooldown_period_seconds.into()) < input.now
        }),
        Some(last) => last + Duration::seconds(input.cooldown_period_seconds.into()) < input.now,
    };
    if cooled_down {
        decision.scale = Some(ScaleAction {
            from: input.current_replicas,
            to: input.idle_replica_count.unwrap_or(min(input)),
            reason: ScaleReason::Deactivate,
        });
    } else {
        decision.conditions.push(condition(
            conditions::ACTIVE,
            "False",
            "ScalerCooldown",
            "Scaler cooling down because triggers are not active",
        ));
    }
}

#[cfg(test)]
#[path = "executor_tests.rs"]
mod tests;

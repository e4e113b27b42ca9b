//! Writing a sync's outcome into the HPA's status as upstream's `setStatus` and
//! `setConditionInList` do, so that `kubectl get hpa` and KEDA (which mirrors ScalingActive into
//! its HPAActive condition) see what they would see on a real cluster.

use chrono::{DateTime, Utc};
use k8s_openapi::api::autoscaling::v2::{
    HorizontalPodAutoscalerCondition, HorizontalPodAutoscalerStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

use super::hpa::{Condition, SyncOutcome};

/// The status after a sync. Upstream rebuilds it: `observedGeneration` is not kept, and
/// `currentMetrics` is dropped when no metric was computed.
pub fn apply_status(
    status: &mut HorizontalPodAutoscalerStatus,
    outcome: &SyncOutcome,
    now: DateTime<Utc>,
) {
    // currentReplicas is omitempty upstream: zero is not written.
    status.current_replicas = Some(outcome.current_replicas).filter(|r| *r != 0);
    if let Some(desired) = outcome.desired_replicas {
        status.desired_replicas = desired;
    }
    if outcome.rescale {
        status.last_scale_time = Some(time(now));
    }
    status.current_metrics = Some(outcome.current_metrics.clone()).filter(|m| !m.is_empty());
    status.observed_generation = None;
    merge_conditions(
        status.conditions.get_or_insert_with(Vec::new),
        &outcome.conditions,
        now,
    );
}

/// Sets each condition in place, or appends it; `lastTransitionTime` moves only when the status
/// (True/False) changes, so a reason changing under the same status keeps its time.
pub fn merge_conditions(
    existing: &mut Vec<HorizontalPodAutoscalerCondition>,
    set: &[Condition],
    now: DateTime<Utc>,
) {
    for condition in set {
        let index = match existing.iter().position(|c| c.type_ == condition.type_) {
            Some(i) => i,
            None => {
                existing.push(HorizontalPodAutoscalerCondition {
                    type_: condition.type_.into(),
                    ..Default::default()
                });
                existing.len() - 1
            }
        };
        let target = &mut existing[index];
        if target.status != condition.status {
            target.last_transition_time = Some(time(now));
        }
        target.status = condition.status.into();
        target.reason = Some(condition.reason.into());
        target.message = Some(condition.message.clone());
    }
}

fn time(at: DateTime<Utc>) -> Time {
    // Kubernetes serialises these times at whole seconds; so do we, so that equal is equal.
    Time(Timestamp::from_second(at.timestamp()).unwrap_or(Timestamp::UNIX_EPOCH))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::super::hpa::{ABLE_TO_SCALE, FALSE, SCALING_ACTIVE, TRUE};
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap()
    }

    fn condition(type_: &'static str, status: &'static str, reason: &'static str) -> Condition {
        Condition {
            type_,
            status,
            reason,
            message: reason.to_lowercase(),
        }
    }

    #[test]
    fn transition_time_moves_only_with_the_status() {
        let mut list = Vec::new();
        merge_conditions(
            &mut list,
            &[condition(ABLE_TO_SCALE, TRUE, "ReadyForNewScale")],
            at(0),
        );
        // same status, new reason: the time stays
        merge_conditions(
            &mut list,
            &[condition(ABLE_TO_SCALE, TRUE, "SucceededRescale")],
            at(15),
        );
        assert_eq!(list[0].last_transition_time, Some(time(at(0))));
        assert_eq!(list[0].reason.as_deref(), Some("SucceededRescale"));
        // new status: the time moves; a new type is appended
        let set = [
            condition(ABLE_TO_SCALE, FALSE, "FailedUpdateScale"),
            condition(SCALING_ACTIVE, TRUE, "ValidMetricFound"),
        ];
        merge_conditions(&mut list, &set, at(30));
        assert_eq!(list[0].last_transition_time, Some(time(at(30))));
        assert_eq!(list[1].type_, SCALING_ACTIVE);
        assert_eq!(list.len(), 2);
    }

    #[test]
    fn status_keeps_desired_when_the_sync_did_not_decide() {
        let mut status = HorizontalPodAutoscalerStatus {
            desired_replicas: 7,
            observed_generation: Some(3),
            ..Default::default()
        };
        let outcome = SyncOutcome {
            current_replicas: 5,
            desired_replicas: None,
            proposed_replicas: None,
            rescale: false,
            rescale_reason: String::new(),
            conditions: vec![condition(SCALING_ACTIVE, FALSE, "FailedGetExternalMetric")],
            current_metrics: Vec::new(),
            error: Some("boom".into()),
        };
        apply_status(&mut status, &outcome, at(0));
        assert_eq!(
            (status.current_replicas, status.desired_replicas),
            (Some(5), 7)
        );
        assert_eq!(
            (status.last_scale_time, status.current_metrics),
            (None, None)
        );
        assert_eq!(status.observed_generation, None);
        assert_eq!(status.conditions.unwrap().len(), 1);
    }
}

//! From the metrics' proposal to the replicas the HPA sets: stabilization, then rate limits and
//! bounds, with the AbleToScale and ScalingLimited conditions that say which one applied.
//! Upstream has two paths and so do we: without `spec.behavior` (`normalizeDesiredReplicas`:
//! a fixed 300 s scale-down window and at most max(2×, 4) replicas per sync) and with it
//! (`normalizeDesiredReplicasWithBehaviors`: windows both ways and per-period policies).

use chrono::{DateTime, Utc};
use k8s_openapi::api::autoscaling::v2::{HPAScalingRules, HorizontalPodAutoscalerBehavior};

use super::behavior::{DOWNSCALE_STABILIZATION_SECONDS, Rules};
use super::history::HpaState;
use super::hpa::{ABLE_TO_SCALE, FALSE, SCALING_LIMITED, SyncOutcome, TRUE};

/// The metrics' proposal and what bounds it.
pub(crate) struct Proposal {
    pub current: i32,
    pub proposed: i32,
    /// (minReplicas, maxReplicas)
    pub bounds: (i32, i32),
    pub now: DateTime<Utc>,
}

type Limited = (i32, &'static str, &'static str);

const UP_STABILIZED: &str =
    "recent recommendations were lower than current one, applying the lowest recent recommendation";
const DOWN_STABILIZED: &str = "recent recommendations were higher than current one, applying the \
                               highest recent recommendation";
const UP_LIMIT: &str = "the desired replica count is increasing faster than the maximum scale rate";
const DOWN_LIMIT: &str =
    "the desired replica count is decreasing faster than the maximum scale rate";
const TOO_MANY: &str = "the desired replica count is more than the maximum replica count";
const TOO_FEW: &str = "the desired replica count is less than the minimum replica count";
const WITHIN: (&str, &str) = (
    "DesiredWithinRange",
    "the desired count is within the acceptable range",
);

pub(crate) fn without_behavior(state: &mut HpaState, out: &mut SyncOutcome, p: &Proposal) -> i32 {
    let stabilized = state.stabilize_down_only(p.proposed, DOWNSCALE_STABILIZATION_SECONDS, p.now);
    if stabilized != p.proposed {
        out.set(ABLE_TO_SCALE, TRUE, "ScaleDownStabilized", DOWN_STABILIZED);
    } else {
        ready_for_new_scale(out);
    }
    let (min, max) = p.bounds;
    // A guard from the days of bogus CPU readings (kubernetes#32304): it applies per sync.
    let up_limit = (2.0 * f64::from(p.current)).max(4.0) as i32;
    let (allowed_max, reason, message) = if max > up_limit {
        (up_limit, "ScaleUpLimit", UP_LIMIT)
    } else {
        (max, "TooManyReplicas", TOO_MANY)
    };
    let limited = if stabilized < min {
        (min, "TooFewReplicas", TOO_FEW)
    } else if stabilized > allowed_max {
        (allowed_max, reason, message)
    } else {
        (stabilized, WITHIN.0, WITHIN.1)
    };
    set_limited(out, stabilized, limited)
}

pub(crate) fn with_behavior(
    state: &mut HpaState,
    out: &mut SyncOutcome,
    p: &Proposal,
    behavior: &HorizontalPodAutoscalerBehavior,
) -> i32 {
    let rules = |r: &Option<HPAScalingRules>| Rules::from_api(&r.clone().unwrap_or_default());
    let (up, down) = (rules(&behavior.scale_up), rules(&behavior.scale_down));
    let stabilized = state.stabilize((p.proposed, p.current), (&up, &down), p.now);
    if stabilized == p.proposed {
        ready_for_new_scale(out);
    } else if p.proposed >= p.current {
        out.set(ABLE_TO_SCALE, TRUE, "ScaleUpStabilized", UP_STABILIZED);
    } else {
        out.set(ABLE_TO_SCALE, TRUE, "ScaleDownStabilized", DOWN_STABILIZED);
    }
    let limited = rate_limited(state, p, stabilized, (&up, &down));
    set_limited(out, stabilized, limited)
}

/// `convertDesiredReplicasWithBehaviorRate`: the policies' limit or the bound, whichever is
/// tighter, names the reason.
fn rate_limited(
    state: &HpaState,
    p: &Proposal,
    desired: i32,
    (up, down): (&Rules, &Rules),
) -> Limited {
    let (current, (min, max)) = (p.current, p.bounds);
    if desired > current {
        // A limit below the current replicas means "no further up until events age out".
        let limit = state.scale_up_limit(current, up, p.now).max(current);
        let (allowed, reason, message) = if max > limit {
            (limit, "ScaleUpLimit", UP_LIMIT)
        } else {
            (max, "TooManyReplicas", TOO_MANY)
        };
        if desired > allowed {
            return (allowed, reason, message);
        }
    } else if desired < current {
        let limit = state.scale_down_limit(current, down, p.now).min(current);
        let (allowed, reason, message) = if min < limit {
            (limit, "ScaleDownLimit", DOWN_LIMIT)
        } else {
            (min, "TooFewReplicas", TOO_FEW)
        };
        if desired < allowed {
            return (allowed, reason, message);
        }
    }
    (desired, WITHIN.0, WITHIN.1)
}

fn ready_for_new_scale(out: &mut SyncOutcome) {
    out.set(
        ABLE_TO_SCALE,
        TRUE,
        "ReadyForNewScale",
        "recommended size matches current size",
    );
}

/// ScalingLimited is True exactly when a limit or bound changed the stabilized recommendation.
fn set_limited(out: &mut SyncOutcome, stabilized: i32, (desired, reason, message): Limited) -> i32 {
    let status = if desired == stabilized { FALSE } else { TRUE };
    out.set(SCALING_LIMITED, status, reason, message);
    desired
}

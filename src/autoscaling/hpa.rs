//! One sync of one HorizontalPodAutoscaler, as upstream's `reconcileAutoscaler` does it, without
//! the API calls: the caller reads the target's scale and the metrics, calls [`sync`], writes
//! the scale when told to, and stores the status ([`super::status::apply_status`]). Time is an
//! input; what the controller remembers between syncs lives in [`HpaState`].

use chrono::{DateTime, Utc};
use k8s_openapi::api::autoscaling::v2::{HorizontalPodAutoscalerSpec, MetricStatus};

use super::behavior::{self, Rules};
use super::history::HpaState;
use super::metrics::{self, Context, Proposals, Reading};
use super::normalize;

pub const ABLE_TO_SCALE: &str = "AbleToScale";
pub const SCALING_ACTIVE: &str = "ScalingActive";
pub const SCALING_LIMITED: &str = "ScalingLimited";
pub const TRUE: &str = "True";
pub const FALSE: &str = "False";

/// A condition the sync sets on the HPA, with upstream's reason and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub type_: &'static str,
    pub status: &'static str,
    pub reason: &'static str,
    pub message: String,
}

/// Everything one sync looks at.
#[derive(Debug, Clone)]
pub struct SyncInput<'a> {
    pub now: DateTime<Utc>,
    /// The HPA's namespace (it appears in upstream's error messages).
    pub namespace: &'a str,
    /// The HPA's spec as stored: `behavior` as given (defaults are applied here), `None` for
    /// none, which upstream treats differently from an empty one.
    pub spec: &'a HorizontalPodAutoscalerSpec,
    /// The target's `spec.replicas` (its scale subresource).
    pub current_replicas: i32,
    /// The target's `status.replicas`: its pods, ready or not.
    pub status_replicas: i32,
    /// Of those, the pods running and ready.
    pub ready_pods: i32,
    /// The scale's `status.selector`. `Some("")` is a target without one, which upstream
    /// refuses to scale (`InvalidSelector`); `None` skips the check, for callers that model no
    /// pods (`kedars simulate`).
    pub scale_selector: Option<&'a str>,
    /// One reading per entry of `spec.metrics`, in order; a missing one counts as unreadable.
    pub readings: &'a [Reading],
}

/// What one sync decided.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncOutcome {
    /// `status.currentReplicas`.
    pub current_replicas: i32,
    /// `status.desiredReplicas`; `None` when the sync stopped before deciding (metrics could not
    /// be used, or the scale write failed): upstream then leaves the previous value.
    pub desired_replicas: Option<i32>,
    /// The largest metric proposal, before stabilization, policies and bounds.
    pub proposed_replicas: Option<i32>,
    /// Write `desired_replicas` to the target's scale (then `lastScaleTime` is now).
    pub rescale: bool,
    /// Why, as upstream's `SuccessfulRescale` Event says it (`New size: N; reason: R`).
    pub rescale_reason: String,
    /// The conditions this sync set, in upstream's order, one per type.
    pub conditions: Vec<Condition>,
    /// `status.currentMetrics`, one per metric (empty for an unreadable one); empty when no
    /// metric was computed, which upstream stores as no list at all.
    pub current_metrics: Vec<MetricStatus>,
    /// The error upstream's sync would return (and log, or record as an Event), if any.
    pub error: Option<String>,
}

impl SyncOutcome {
    fn empty(current_replicas: i32) -> SyncOutcome {
        SyncOutcome {
            current_replicas,
            desired_replicas: None,
            proposed_replicas: None,
            rescale: false,
            rescale_reason: String::new(),
            conditions: Vec::new(),
            current_metrics: Vec::new(),
            error: None,
        }
    }

    /// Sets a condition as upstream's `setCondition` does: in place if the type is there.
    pub(crate) fn set(
        &mut self,
        type_: &'static str,
        status: &'static str,
        reason: &'static str,
        message: impl Into<String>,
    ) {
        let condition = Condition {
            type_,
            status,
            reason,
            message: message.into(),
        };
        match self.conditions.iter_mut().find(|c| c.type_ == type_) {
            Some(existing) => *existing = condition,
            None => self.conditions.push(condition),
        }
    }
}

/// One sync of one HPA. Assumes the scale write it asks for succeeds; if it does not, call
/// [`rescale_failed`].
pub fn sync(state: &mut HpaState, input: &SyncInput) -> SyncOutcome {
    let current = input.current_replicas;
    let mut out = SyncOutcome::empty(current);
    state.clear_last_event();
    let got_scale = "the HPA controller was able to get the target's current scale";
    out.set(ABLE_TO_SCALE, TRUE, "SucceededGetScale", got_scale);
    state.record_initial(current, input.now);
    let (min, max) = (
        input.spec.min_replicas.unwrap_or(1),
        input.spec.max_replicas,
    );
    let desired = if current == 0 && min != 0 {
        // Scaled to zero by its owner (KEDA, or a person): the HPA stands aside until it is not.
        let message = "scaling is disabled since the replica count of the target is zero";
        out.set(SCALING_ACTIVE, FALSE, "ScalingDisabled", message);
        current
    } else if current > max {
        out.rescale_reason = "Current number of replicas above Spec.MaxReplicas".into();
        max
    } else if current < min {
        out.rescale_reason = "Current number of replicas below Spec.MinReplicas".into();
        min
    } else {
        match from_metrics(state, input, &mut out, (min, max)) {
            Some(desired) => desired,
            None => return out,
        }
    };
    if desired != current {
        out.rescale = true;
        let message =
            format!("the HPA controller was able to update the target scale to {desired}");
        out.set(ABLE_TO_SCALE, TRUE, "SucceededRescale", message);
        store_scale_event(state, input, current, desired);
    }
    out.desired_replicas = Some(desired);
    out
}

/// The metrics' proposal, stabilized and limited; `None` when the metrics cannot be used.
fn from_metrics(
    state: &mut HpaState,
    input: &SyncInput,
    out: &mut SyncOutcome,
    bounds: (i32, i32),
) -> Option<i32> {
    let current = input.current_replicas;
    let behavior = input.spec.behavior.as_ref().map(behavior::with_defaults);
    let cx = Context {
        namespace: input.namespace,
        current,
        status_replicas: input.status_replicas,
        ready_pods: input.ready_pods,
        tolerances: behavior::tolerances(behavior.as_ref()),
    };
    if input.scale_selector == Some("") {
        let message = "the HPA target's scale is missing a selector";
        out.set(SCALING_ACTIVE, FALSE, "InvalidSelector", message);
        out.error = Some("selector is required".into());
        return None;
    }
    let specs = input.spec.metrics.as_deref().unwrap_or_default();
    let mut all = metrics::propose_all(specs, input.readings, &cx);
    out.current_metrics = std::mem::take(&mut all.statuses);
    if !usable(&all, specs.len(), current, out) {
        return None;
    }
    out.proposed_replicas = Some(all.replicas);
    if all.replicas > current {
        out.rescale_reason = format!("{} above target", all.name);
    } else if all.replicas < current {
        out.rescale_reason = "All metrics below target".into();
    }
    let proposal = normalize::Proposal {
        current,
        proposed: all.replicas,
        bounds,
        now: input.now,
    };
    Some(match &behavior {
        None => normalize::without_behavior(state, out, &proposal),
        Some(behavior) => normalize::with_behavior(state, out, &proposal, behavior),
    })
}

/// Whether the proposal may be acted on, with the ScalingActive condition that says so.
/// Unreadable metrics may not cause a scale-down: had they been read, they might have asked
/// for more. They do not stop a scale-up the others ask for.
fn usable(all: &Proposals, count: usize, current: i32, out: &mut SyncOutcome) -> bool {
    let unusable = all.invalid >= count || (all.invalid > 0 && all.replicas < current);
    if unusable || all.invalid > 0 {
        out.error = Some(invalid_error(all, count));
    }
    if !unusable {
        let message = format!(
            "the HPA was able to successfully calculate a replica count from {}",
            all.name
        );
        out.set(SCALING_ACTIVE, TRUE, "ValidMetricFound", message);
    } else if let Some(first) = &all.first_invalid {
        let message = format!(
            "the HPA was unable to compute the replica count: {}",
            first.error
        );
        out.set(SCALING_ACTIVE, FALSE, first.reason, message);
    }
    !unusable
}

fn invalid_error(all: &Proposals, count: usize) -> String {
    let first = all
        .first_invalid
        .as_ref()
        .map_or("<nil>", |i| i.error.as_str());
    format!(
        "invalid metrics ({} invalid out of {count}), first error is: {first}",
        all.invalid
    )
}

/// Scale events feed the policies' periods, so only an HPA with a behavior keeps them.
fn store_scale_event(state: &mut HpaState, input: &SyncInput, from: i32, to: i32) {
    let Some(behavior) = input.spec.behavior.as_ref().map(behavior::with_defaults) else {
        return;
    };
    let rules = if to > from {
        behavior.scale_up
    } else {
        behavior.scale_down
    };
    let rules = Rules::from_api(&rules.unwrap_or_default());
    state.store_scale_event(&rules, from, to, input.now);
}

/// The scale write [`sync`] asked for failed: as upstream, no scale event is remembered,
/// `AbleToScale` turns False, and `status.desiredReplicas` keeps its previous value.
pub fn rescale_failed(state: &mut HpaState, outcome: &mut SyncOutcome, error: &str) {
    state.forget_last_scale_event();
    let message = format!("the HPA controller was unable to update the target scale: {error}");
    outcome.set(ABLE_TO_SCALE, FALSE, "FailedUpdateScale", message);
    outcome.rescale = false;
    outcome.desired_replicas = None;
    outcome.error = Some(format!("failed to rescale: {error}"));
}

/// The condition for a target whose scale could not be read (no sync happens then).
pub fn get_scale_failed(error: &str) -> Condition {
    Condition {
        type_: ABLE_TO_SCALE,
        status: FALSE,
        reason: "FailedGetScale",
        message: format!(
            "the HPA controller was unable to get the target's current scale: {error}"
        ),
    }
}

#[cfg(test)]
#[path = "hpa_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "hpa_conditions_tests.rs"]
mod conditions_tests;

#[cfg(test)]
#[path = "hpa_behavior_tests.rs"]
mod behavior_tests;

//! The conditions a sync sets, with upstream's reasons and messages, and what a failed scale
//! write changes.

use super::tests::{at, hpa, per_pod_metric, sync_once, wants};
use super::*;

type Expected<'a> = &'a [(&'a str, &'a str, &'a str)];

fn assert_conditions(out: &SyncOutcome, want: Expected) {
    let got: Vec<_> = out
        .conditions
        .iter()
        .map(|c| (c.type_, c.status, c.reason))
        .collect();
    assert_eq!(got, want.to_vec(), "{:#?}", out.conditions);
}

const SELECTOR: &str = "&LabelSelector{MatchLabels:map[string]string{scaledobject.keda.sh/name: \
                        web,},MatchExpressions:[]LabelSelectorRequirement{},}";

#[test]
fn conditions_as_upstream_sets_them() {
    let spec = hpa((1, 10), vec![per_pod_metric()], None);
    // on target: nothing to do
    let out = sync_once(&spec, (4, 4, 4), &[wants(4)]);
    assert_conditions(
        &out,
        &[
            ("AbleToScale", "True", "ReadyForNewScale"),
            ("ScalingActive", "True", "ValidMetricFound"),
            ("ScalingLimited", "False", "DesiredWithinRange"),
        ],
    );
    let from = format!(
        "the HPA was able to successfully calculate a replica count from external metric \
         s0-queue({SELECTOR})"
    );
    assert_eq!(out.conditions[1].message, from);
    // a rescale replaces AbleToScale in place
    let out = sync_once(&spec, (4, 4, 4), &[wants(6)]);
    assert_eq!(out.conditions[0].reason, "SucceededRescale");
    assert_eq!(
        out.conditions[0].message,
        "the HPA controller was able to update the target scale to 6"
    );
    assert_eq!(
        out.rescale_reason,
        format!("external metric s0-queue({SELECTOR}) above target")
    );
    // bounded by maxReplicas
    let out = sync_once(&spec, (8, 8, 8), &[wants(12)]);
    assert_eq!(out.conditions[2].reason, "TooManyReplicas");
    assert_eq!(out.conditions[2].status, "True");
    // the legacy guard without behavior: at most max(2 × 2, 4) from 2
    let out = sync_once(
        &hpa((1, 100), vec![per_pod_metric()], None),
        (2, 2, 2),
        &[wants(12)],
    );
    assert_eq!(
        (out.desired_replicas, out.conditions[2].reason),
        (Some(4), "ScaleUpLimit")
    );
}

#[test]
fn conditions_when_the_hpa_cannot_act() {
    let spec = hpa((1, 10), vec![per_pod_metric()], None);
    let out = sync_once(&spec, (0, 0, 0), &[wants(4)]);
    assert_conditions(
        &out,
        &[
            ("AbleToScale", "True", "SucceededGetScale"),
            ("ScalingActive", "False", "ScalingDisabled"),
        ],
    );
    assert_eq!(
        out.conditions[1].message,
        "scaling is disabled since the replica count of the target is zero"
    );

    let out = sync_once(
        &spec,
        (3, 3, 3),
        &[Reading::Failed("connection refused".into())],
    );
    assert_conditions(
        &out,
        &[
            ("AbleToScale", "True", "SucceededGetScale"),
            ("ScalingActive", "False", "FailedGetExternalMetric"),
        ],
    );
    let message = format!(
        "the HPA was unable to compute the replica count: unable to get external metric \
         default/s0-queue/{SELECTOR}: connection refused"
    );
    assert_eq!(out.conditions[1].message, message);
    let error = out.error.unwrap();
    assert!(
        error.starts_with("invalid metrics (1 invalid out of 1), first error is: unable"),
        "{error}"
    );
}

#[test]
fn a_scale_without_selector_is_refused() {
    let spec = hpa((1, 10), vec![per_pod_metric()], None);
    let readings = [wants(8)];
    let input = SyncInput {
        now: at(0),
        namespace: "default",
        spec: &spec,
        current_replicas: 3,
        status_replicas: 3,
        ready_pods: 3,
        scale_selector: Some(""),
        readings: &readings,
    };
    let out = sync(&mut HpaState::default(), &input);
    assert_eq!((out.desired_replicas, out.rescale), (None, false));
    let active = &out.conditions[1];
    assert_eq!((active.status, active.reason), ("False", "InvalidSelector"));
    assert_eq!(
        active.message,
        "the HPA target's scale is missing a selector"
    );
    // without a modelled selector (None) the same sync scales
    let out = sync(
        &mut HpaState::default(),
        &SyncInput {
            scale_selector: None,
            ..input
        },
    );
    assert_eq!(out.desired_replicas, Some(6));
}

#[test]
fn a_failed_scale_write_is_not_remembered() {
    let spec = hpa(
        (1, 20),
        vec![per_pod_metric()],
        Some(crate::autoscaling::default_behavior()),
    );
    let mut state = HpaState::default();
    let readings = [wants(10)];
    let input = |now| SyncInput {
        now,
        namespace: "default",
        spec: &spec,
        current_replicas: 1,
        status_replicas: 1,
        ready_pods: 1,
        scale_selector: Some("app=web"),
        readings: &readings,
    };
    let mut out = sync(&mut state, &input(at(0)));
    assert_eq!(out.desired_replicas, Some(5));
    rescale_failed(&mut state, &mut out, "the server is on fire");
    assert_eq!((out.rescale, out.desired_replicas), (false, None));
    assert_eq!(out.conditions[0].reason, "FailedUpdateScale");
    // still at 1 replica 5 s later: the failed +4 does not count against the 15 s policies
    let out = sync(&mut state, &input(at(5)));
    assert_eq!(out.desired_replicas, Some(5));
    assert_eq!(get_scale_failed("not found").reason, "FailedGetScale");
}

//! The behavior examples of the Kubernetes HPA documentation (tasks/run-application/
//! horizontal-pod-autoscale, "Configurable scaling behavior"), replayed sync by sync on a target
//! whose replicas follow the HPA's scale writes. Time is an input: no sleeping.

use k8s_openapi::api::autoscaling::v2::{
    HPAScalingPolicy, HPAScalingRules, HorizontalPodAutoscalerBehavior,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::tests::{at, hpa, per_pod_metric, wants};
use super::*;
use crate::autoscaling::default_behavior;

type Behavior = Option<HorizontalPodAutoscalerBehavior>;

fn policy(type_: &str, value: i32, period_seconds: i32) -> HPAScalingPolicy {
    HPAScalingPolicy {
        type_: type_.into(),
        value,
        period_seconds,
    }
}

fn rules(
    window: Option<i32>,
    select: Option<&str>,
    policies: Vec<HPAScalingPolicy>,
) -> Option<HPAScalingRules> {
    Some(HPAScalingRules {
        stabilization_window_seconds: window,
        select_policy: select.map(Into::into),
        policies: Some(policies).filter(|p| !p.is_empty()),
        tolerance: None,
    })
}

fn down(window: Option<i32>, select: Option<&str>, policies: Vec<HPAScalingPolicy>) -> Behavior {
    Some(HorizontalPodAutoscalerBehavior {
        scale_down: rules(window, select, policies),
        scale_up: None,
    })
}

fn up(window: Option<i32>, select: Option<&str>, policies: Vec<HPAScalingPolicy>) -> Behavior {
    Some(HorizontalPodAutoscalerBehavior {
        scale_up: rules(window, select, policies),
        scale_down: None,
    })
}

/// A fresh HPA on a target at `start` replicas, synced at each `(t, wanted replicas)`; the
/// replicas after each sync, and the last sync's outcome.
fn replay(
    spec: &HorizontalPodAutoscalerSpec,
    start: i32,
    steps: &[(i64, i32)],
) -> (Vec<i32>, SyncOutcome) {
    let (mut state, mut replicas, mut seen, mut last) =
        (HpaState::default(), start, Vec::new(), None);
    for (t, wanted) in steps {
        let readings = [wants(*wanted)];
        let input = SyncInput {
            now: at(*t),
            namespace: "default",
            spec,
            current_replicas: replicas,
            status_replicas: replicas,
            ready_pods: replicas,
            scale_selector: Some("app=web"),
            readings: &readings,
        };
        let out = sync(&mut state, &input);
        if out.rescale {
            replicas = out.desired_replicas.expect("a rescale has a size");
        }
        seen.push(replicas);
        last = Some(out);
    }
    (seen, last.expect("at least one step"))
}

/// Syncs every `every` seconds from t=0, `count` times, each wanting `wanted`.
fn every(every: i64, count: i64, wanted: i32) -> Vec<(i64, i32)> {
    (0..count).map(|i| (i * every, wanted)).collect()
}

#[test]
fn documented_behaviors() {
    let (pods, percent) = (|v, p| policy("Pods", v, p), |v, p| policy("Percent", v, p));
    let max_4_or_10 = || down(Some(0), None, vec![pods(4, 60), percent(10, 60)]);
    let defaults = || Some(default_behavior());
    let limited = |reason| ("ScalingLimited", reason);
    let rescaled = ("AbleToScale", "SucceededRescale");
    // (what, behavior, (min, max), start, syncs (t, wanted), replicas after each, a condition
    // of the last sync (type, reason))
    type Row = (
        &'static str,
        Behavior,
        (i32, i32),
        i32,
        Vec<(i64, i32)>,
        Vec<i32>,
        (&'static str, &'static str),
    );
    #[rustfmt::skip]
    let rows: Vec<Row> = vec![
        // "Scaling policies": Pods 4/60 s and Percent 10/60 s, the larger change wins: from 80
        // towards 10, 8 go first (10% of 80), then 8 of 72 (7.2 rounded up), then 4 at a time
        // below 40. The window is 0 to isolate the policies (the default 300 s would hold 80
        // for five minutes first, see "fresh HPA" below).
        ("Pods 4 + Percent 10 per minute, Max", max_4_or_10(), (1, 100), 80, every(60, 14, 10),
            vec![72, 64, 57, 51, 45, 40, 36, 32, 28, 24, 20, 16, 12, 10], limited("DesiredWithinRange")),
        // the same synced every 15 s: a policy holds for its whole period
        ("policies hold for their period", max_4_or_10(), (1, 100), 80, every(15, 6, 10),
            vec![72, 72, 72, 72, 64, 64], limited("ScaleDownLimit")),
        // "Example: limit scale down rate": 10% per minute
        ("Percent 10 per minute", down(Some(0), None, vec![percent(10, 60)]), (1, 100), 80, every(60, 10, 10),
            vec![72, 64, 57, 51, 45, 40, 36, 32, 28, 25], limited("ScaleDownLimit")),
        // ... and no more than 5 pods per minute: selectPolicy Min picks the smaller change
        ("Percent 10 + Pods 5 per minute, Min", down(Some(0), Some("Min"), vec![percent(10, 60), pods(5, 60)]),
            (1, 100), 80, every(60, 9, 10), vec![75, 70, 65, 60, 55, 50, 45, 40, 36], limited("ScaleDownLimit")),
        // "Stabilization window": scale down to the highest recommendation of the last 300 s;
        // the 6 wanted at t=120 holds until it leaves the window at t=420
        ("scale-down window keeps the highest", down(Some(300), None, vec![]), (1, 100), 10,
            vec![(0, 10), (60, 4), (120, 6), (180, 4), (240, 4), (300, 4), (360, 4), (420, 4)],
            vec![10, 10, 10, 10, 10, 6, 6, 4], rescaled),
        // a fresh HPA remembers the current replicas as its first recommendation: with the
        // default window it scales down only once that one is 300 s old
        ("fresh HPA holds for the default window", defaults(), (1, 100), 10,
            vec![(0, 2), (150, 2), (299, 2), (300, 2)], vec![10, 10, 10, 2], rescaled),
        // a scale-up window keeps the lowest recommendation: 8 is wanted from t=15 but applied
        // at t=60, when the 2 of t=0 has left the window; the default policies allow +4 then
        // (Pods 4 beats Percent 100 from 2), and the rest 15 s later
        ("scale-up window keeps the lowest", up(Some(60), None, vec![]), (1, 100), 2,
            vec![(0, 2), (15, 8), (30, 8), (45, 8), (60, 8), (75, 8)], vec![2, 2, 2, 2, 6, 8],
            limited("DesiredWithinRange")),
        // "Example: disable scale down", and the same upwards
        ("selectPolicy Disabled: no scale-down", down(Some(0), Some("Disabled"), vec![]), (1, 100), 5,
            every(600, 3, 1), vec![5, 5, 5], limited("ScaleDownLimit")),
        ("selectPolicy Disabled: no scale-up", up(None, Some("Disabled"), vec![]), (1, 100), 2,
            every(600, 3, 8), vec![2, 2, 2], limited("ScaleUpLimit")),
        // "Default Behavior": 4 pods or 100%, whichever is more, every 15 s, up to maxReplicas
        ("default behavior from 1 replica", defaults(), (1, 100), 1, every(15, 6, 100),
            vec![5, 10, 20, 40, 80, 100], limited("DesiredWithinRange")),
        // one step per 15 s, however often the HPA syncs
        ("default behavior: one step per period", defaults(), (1, 100), 1,
            vec![(0, 100), (5, 100), (10, 100), (15, 100)], vec![5, 5, 5, 10], rescaled),
        // without spec.behavior upstream keeps its older rule: max(2×, 4) per sync, no period
        ("no behavior: max(2x, 4) per sync", None, (1, 100), 1, every(5, 6, 100),
            vec![4, 8, 16, 32, 64, 100], limited("DesiredWithinRange")),
        ("maxReplicas caps the default behavior", defaults(), (1, 50), 40, vec![(0, 100)],
            vec![50], limited("TooManyReplicas")),
    ];
    for (what, behavior, bounds, start, steps, want, (type_, reason)) in rows {
        let spec = hpa(bounds, vec![per_pod_metric()], behavior);
        let (seen, last) = replay(&spec, start, &steps);
        assert_eq!(seen, want, "{what}");
        let found = last
            .conditions
            .iter()
            .find(|c| c.type_ == type_)
            .map(|c| c.reason);
        assert_eq!(found, Some(reason), "{what}: {:#?}", last.conditions);
    }
}

#[test]
fn tolerance_per_direction() {
    let tolerant = |up: &str, down: &str| {
        let rules = |t: &str| {
            Some(HPAScalingRules {
                tolerance: Some(Quantity(t.into())),
                ..Default::default()
            })
        };
        Some(HorizontalPodAutoscalerBehavior {
            scale_up: rules(up),
            scale_down: rules(down),
        })
    };
    // (what, behavior, start, wanted, want)
    let rows: Vec<(&str, Behavior, i32, i32, i32)> = vec![
        // the default 10%: 11 wanted on 10 is a ratio of 1.1, close enough
        ("default tolerance", None, 10, 11, 10),
        // behavior.scaleUp.tolerance 5% (Kubernetes 1.33+): it is not
        ("scale-up tolerance 5%", tolerant("0.05", "0.1"), 10, 11, 11),
        // the scale-down tolerance does not loosen scale-ups ...
        (
            "scale-down tolerance 50%, scaling up",
            tolerant("0.1", "0.5"),
            10,
            12,
            12,
        ),
        // ... but holds scale-downs
        (
            "scale-down tolerance 50%, scaling down",
            tolerant("0.1", "0.5"),
            10,
            6,
            10,
        ),
    ];
    for (what, behavior, start, wanted, want) in rows {
        let spec = hpa((1, 100), vec![per_pod_metric()], behavior);
        let (seen, _) = replay(&spec, start, &[(0, wanted)]);
        assert_eq!(seen, vec![want], "{what}");
    }
}

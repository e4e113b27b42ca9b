use std::collections::BTreeMap;

use chrono::TimeZone;
use k8s_openapi::api::autoscaling::v2::{
    ExternalMetricSource, HPAScalingRules, HorizontalPodAutoscalerBehavior, MetricIdentifier,
    MetricSpec, MetricTarget, ResourceMetricSource,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::*;
use crate::autoscaling::calc::PodSample;

pub(super) fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap() + chrono::Duration::seconds(seconds)
}

/// An External metric as KEDA's HPA has it: selected by the ScaledObject's name.
pub(super) fn external(name: &str, target_type: &str, target: &str) -> MetricSpec {
    let labels = BTreeMap::from([("scaledobject.keda.sh/name".into(), "web".into())]);
    let quantity = Some(Quantity(target.into()));
    let average = target_type == "AverageValue";
    MetricSpec {
        type_: "External".into(),
        external: Some(ExternalMetricSource {
            metric: MetricIdentifier {
                name: name.into(),
                selector: Some(LabelSelector {
                    match_labels: Some(labels),
                    ..Default::default()
                }),
            },
            target: MetricTarget {
                type_: target_type.into(),
                average_value: if average { quantity.clone() } else { None },
                value: if average { None } else { quantity },
                ..Default::default()
            },
        }),
        ..Default::default()
    }
}

/// A metric whose reading `wants(n)` proposes exactly n replicas (away from tolerance).
pub(super) fn per_pod_metric() -> MetricSpec {
    external("s0-queue", "AverageValue", "1")
}

pub(super) fn wants(replicas: i32) -> Reading {
    Reading::Value(f64::from(replicas))
}

pub(super) fn hpa(
    (min, max): (i32, i32),
    metrics: Vec<MetricSpec>,
    behavior: Option<HorizontalPodAutoscalerBehavior>,
) -> HorizontalPodAutoscalerSpec {
    HorizontalPodAutoscalerSpec {
        min_replicas: Some(min),
        max_replicas: max,
        metrics: Some(metrics),
        behavior,
        ..Default::default()
    }
}

/// No scale-down stabilization, for rows about one sync: a fresh HPA otherwise holds its
/// current replicas for the 300 s window (tested in the behavior tests).
fn quick() -> Option<HorizontalPodAutoscalerBehavior> {
    Some(HorizontalPodAutoscalerBehavior {
        scale_down: Some(HPAScalingRules {
            stabilization_window_seconds: Some(0),
            ..Default::default()
        }),
        scale_up: None,
    })
}

/// One sync of a fresh HPA at t=0: (current, pods, ready) replicas of the target.
pub(super) fn sync_once(
    spec: &HorizontalPodAutoscalerSpec,
    replicas: (i32, i32, i32),
    readings: &[Reading],
) -> SyncOutcome {
    let input = SyncInput {
        now: at(0),
        namespace: "default",
        spec,
        current_replicas: replicas.0,
        status_replicas: replicas.1,
        ready_pods: replicas.2,
        scale_selector: Some("app=web"),
        readings,
    };
    sync(&mut HpaState::default(), &input)
}

#[test]
fn one_sync() {
    let failed = || Reading::Failed("connection refused".into());
    let val = Reading::Value;
    let v100 = |behavior| {
        hpa(
            (1, 100),
            vec![external("s0-queue", "Value", "100m")],
            behavior,
        )
    };
    let avg = |bounds, behavior| hpa(bounds, vec![per_pod_metric()], behavior);
    let two = |behavior| {
        let metrics = vec![
            external("s0-a", "AverageValue", "1"),
            external("s1-b", "AverageValue", "1"),
        ];
        hpa((1, 100), metrics, behavior)
    };
    let avg100m = hpa((1, 100), vec![external("m", "AverageValue", "100m")], None);
    // (what, spec, (current, pods, ready), readings, (desired, rescale))
    type Row = (
        &'static str,
        HorizontalPodAutoscalerSpec,
        (i32, i32, i32),
        Vec<Reading>,
        (Option<i32>, bool),
    );
    #[rustfmt::skip]
    let rows: Vec<Row> = vec![
        // the documentation's algorithm: 200m against a 100m target doubles the replicas ...
        ("200m vs 100m: double", v100(None), (3, 3, 3), vec![val(0.2)], (Some(6), true)),
        // ... and 50m against 100m halves them
        ("50m vs 100m: half", v100(quick()), (4, 4, 4), vec![val(0.05)], (Some(2), true)),
        // per pod: 600m over 3 pods is 200m each against 100m
        ("AverageValue 200m per pod vs 100m", avg100m, (3, 3, 3), vec![val(0.6)], (Some(6), true)),
        // tolerance 0.1: a ratio of 1.1 is close enough to 1.0 ...
        ("ratio 1.1: within tolerance", v100(None), (3, 3, 3), vec![val(0.11)], (Some(3), false)),
        // ... 1.11 is not: ceil(3 × 1.11) = 4
        ("ratio 1.11: scale up", v100(None), (3, 3, 3), vec![val(0.111)], (Some(4), true)),
        // and the same both ways
        ("ratio 0.9: within tolerance", v100(quick()), (10, 10, 10), vec![val(0.09)], (Some(10), false)),
        ("ratio 0.89: scale down", v100(quick()), (10, 10, 10), vec![val(0.089)], (Some(9), true)),
        // a Value target multiplies by ready pods: 2 of 3 ready, ratio 2 → 4
        ("Value target counts ready pods", v100(None), (3, 3, 2), vec![val(0.2)], (Some(4), true)),
        // several metrics: each proposes, the largest wins
        ("the largest proposal", two(None), (4, 4, 4), vec![wants(3), wants(6)], (Some(6), true)),
        ("above maxReplicas: max", avg((1, 6), None), (4, 4, 4), vec![wants(20)], (Some(6), true)),
        ("below minReplicas: min", avg((3, 10), quick()), (4, 4, 4), vec![wants(1)], (Some(3), true)),
        // a target already outside the bounds is brought back without reading metrics
        ("current above max: max", avg((1, 10), None), (12, 12, 12), vec![failed()], (Some(10), true)),
        ("current below min: min", avg((2, 10), None), (1, 1, 1), vec![failed()], (Some(2), true)),
        // scaled to zero by its owner (KEDA deactivating): the HPA does nothing
        ("scaled to zero by its owner", avg((1, 10), None), (0, 0, 0), vec![wants(5)], (Some(0), false)),
        // an unreadable metric does not stop a scale-up the others ask for ...
        ("one unreadable, other up", two(None), (4, 4, 4), vec![failed(), wants(8)], (Some(8), true)),
        // ... but stops a scale-down: had it been read, it might have asked for more
        ("one unreadable, other down", two(quick()), (4, 4, 4), vec![failed(), wants(1)], (None, false)),
        // ... and lets a level proposal through (nothing changes, but the sync completes)
        ("one unreadable, other level", two(None), (4, 4, 4), vec![failed(), wants(4)], (Some(4), false)),
        ("all unreadable: nothing", two(None), (4, 4, 4), vec![failed(), failed()], (None, false)),
        // a metric without a reading counts as unreadable
        ("a reading missing", two(quick()), (4, 4, 4), vec![wants(1)], (None, false)),
        // a Value target outside tolerance needs ready pods to multiply by
        ("no pods behind a Value target", v100(None), (3, 0, 0), vec![val(0.2)], (None, false)),
        // the API server defaults metrics; without any there is nothing to go by
        ("no metrics at all", hpa((1, 100), vec![], None), (3, 3, 3), vec![], (None, false)),
    ];
    for (what, spec, replicas, readings, (desired, rescale)) in rows {
        let out = sync_once(&spec, replicas, &readings);
        assert_eq!(
            (out.desired_replicas, out.rescale),
            (desired, rescale),
            "{what}: {out:#?}"
        );
    }
}

#[test]
fn status_reports_current_metric_values() {
    // 600m over 3 pods: 200m per pod, as `kubectl get hpa` shows it
    let spec = hpa((1, 10), vec![external("m", "AverageValue", "100m")], None);
    let out = sync_once(&spec, (3, 3, 3), &[Reading::Value(0.6)]);
    let current = &out.current_metrics[0].external.as_ref().unwrap().current;
    assert_eq!(current.average_value, Some(Quantity("200m".into())));
    // an unreadable metric keeps its slot, empty
    let two = vec![per_pod_metric(), per_pod_metric()];
    let out = sync_once(
        &hpa((1, 10), two, None),
        (3, 3, 3),
        &[Reading::Failed("x".into()), wants(5)],
    );
    assert_eq!(out.current_metrics[0], MetricStatus::default());
    assert_eq!(out.current_metrics[1].type_, "External");
}

#[test]
fn resource_utilization_through_a_sync() {
    let cpu = MetricSpec {
        type_: "Resource".into(),
        resource: Some(ResourceMetricSource {
            name: "cpu".into(),
            target: MetricTarget {
                type_: "Utilization".into(),
                average_utilization: Some(50),
                ..Default::default()
            },
        }),
        ..Default::default()
    };
    let pod = |usage| PodSample {
        usage: Some(usage),
        request: 0.5,
        ready: true,
    };
    let out = sync_once(
        &hpa((1, 10), vec![cpu], None),
        (2, 2, 2),
        &[Reading::Pods(vec![pod(0.5), pod(0.5)])],
    );
    assert_eq!(out.desired_replicas, Some(4));
    let message = "the HPA was able to successfully calculate a replica count from cpu resource \
                   utilization (percentage of request)";
    assert_eq!(out.conditions[1].message, message);
    let current = &out.current_metrics[0].resource.as_ref().unwrap().current;
    assert_eq!(
        (current.average_utilization, current.average_value.clone()),
        (Some(100), Some(Quantity("500m".into())))
    );
}

//! Desired replicas from external metrics (upstream `replica_calculator.go`,
//! `GetExternalMetricReplicas` and `GetExternalPerPodMetricReplicas`): the ratio of value to
//! target, a 10% tolerance, the largest proposal over all metrics, then min/max. A snapshot
//! without memory: no stabilization windows or policies (those need [`super::hpa::sync`]).

use super::calc::{self, Tolerances};
use super::quantity::milli_of;

/// The HPA's default tolerance (`--horizontal-pod-autoscaler-tolerance`).
pub const TOLERANCE: f64 = 0.1;

/// One external metric as the HPA sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExternalMetric {
    pub value: f64,
    pub target: f64,
    /// `AverageValue` targets are per pod; `Value` targets are for the whole metric.
    pub average: bool,
}

/// What one metric proposes, from `current` replicas (of which `ready` are ready), with the
/// same calculation as the full sync ([`super::calc`]).
pub fn proposal(metric: ExternalMetric, current: i32, ready: i32) -> i32 {
    if metric.target <= 0.0 {
        return current;
    }
    let (value, target) = (milli_of(metric.value), milli_of(metric.target));
    if metric.average {
        return calc::per_pod(value, target, current, Tolerances::DEFAULT).0;
    }
    calc::on_total(
        value,
        target,
        current,
        (current, ready),
        Tolerances::DEFAULT,
    )
    .unwrap_or(current)
}

/// The replicas the HPA wants: the largest proposal, within `[min, max]` (`min` at least 1, as
/// the HPA's minimum is). A workload its owner scaled to zero stays at zero: the HPA does not
/// act on it (KEDA activates it).
pub fn desired(metrics: &[ExternalMetric], current: i32, ready: i32, min: i32, max: i32) -> i32 {
    if current == 0 {
        return 0;
    }
    let wanted = metrics
        .iter()
        .map(|m| proposal(*m, current, ready))
        .max()
        .unwrap_or(current);
    wanted.clamp(min.max(1), max.max(min.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn avg(value: f64, target: f64) -> ExternalMetric {
        ExternalMetric {
            value,
            target,
            average: true,
        }
    }

    const fn total(value: f64, target: f64) -> ExternalMetric {
        ExternalMetric {
            value,
            target,
            average: false,
        }
    }

    #[test]
    fn desired_replicas() {
        // (what, metrics, current, ready, min, max, want)
        type Row<'a> = (&'a str, &'a [ExternalMetric], i32, i32, i32, i32, i32);
        let cases: &[Row<'_>] = &[
            (
                "12 items, 5 per pod: 3 pods",
                &[avg(12.0, 5.0)],
                1,
                1,
                1,
                10,
                3,
            ),
            ("exactly on target", &[avg(10.0, 5.0)], 2, 2, 1, 10, 2),
            (
                "within tolerance: no change",
                &[avg(10.9, 5.0)],
                2,
                2,
                1,
                10,
                2,
            ),
            (
                "just outside tolerance: scale",
                &[avg(11.1, 5.0)],
                2,
                2,
                1,
                10,
                3,
            ),
            ("scale down", &[avg(4.0, 5.0)], 4, 4, 1, 10, 1),
            ("never below min", &[avg(0.0, 5.0)], 4, 4, 2, 10, 2),
            ("never above max", &[avg(1000.0, 5.0)], 4, 4, 1, 10, 10),
            (
                "largest proposal wins",
                &[avg(4.0, 5.0), avg(30.0, 5.0)],
                2,
                2,
                1,
                10,
                6,
            ),
            (
                "Value target: ratio times ready pods",
                &[total(20.0, 10.0)],
                3,
                3,
                1,
                10,
                6,
            ),
            (
                "Value target within tolerance",
                &[total(10.5, 10.0)],
                3,
                3,
                1,
                10,
                3,
            ),
            (
                "scaled to zero by its owner: untouched",
                &[avg(50.0, 5.0)],
                0,
                0,
                1,
                10,
                0,
            ),
            ("no metrics: keep", &[], 3, 3, 1, 10, 3),
        ];
        for (what, metrics, current, ready, min, max, want) in cases {
            assert_eq!(
                desired(metrics, *current, *ready, *min, *max),
                *want,
                "{what}"
            );
        }
    }
}

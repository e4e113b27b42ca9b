//! One metric's replica proposal (upstream `replica_calculator.go`), on milli-unit integers as
//! upstream computes them, so that rounding lands where the real controller's does.

/// The band around a usage ratio of 1.0 inside which the HPA does not scale (upstream
/// `Tolerances`): 10% both ways unless `behavior.scaleUp/scaleDown.tolerance` says otherwise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerances {
    pub down: f64,
    pub up: f64,
}

impl Tolerances {
    /// `--horizontal-pod-autoscaler-tolerance`'s default, both ways.
    pub const DEFAULT: Tolerances = Tolerances {
        down: super::replicas::TOLERANCE,
        up: super::replicas::TOLERANCE,
    };

    /// NaN (no pods to divide by) is never within: upstream's comparisons are false for it too.
    pub fn within(self, ratio: f64) -> bool {
        1.0 - self.down <= ratio && ratio <= 1.0 + self.up
    }
}

/// A per-pod target on one value (External or Object `AverageValue`): the replicas that bring
/// the average down to the target, and the average the status reports. Divides by the pods the
/// target has (`status.replicas`), ready or not (`GetExternalPerPodMetricReplicas`).
pub fn per_pod(usage: i64, target: i64, status_replicas: i32, tol: Tolerances) -> (i32, i64) {
    let ratio = usage as f64 / (target as f64 * f64::from(status_replicas));
    let replicas = if tol.within(ratio) {
        status_replicas
    } else {
        ceil_replicas(usage as f64 / target as f64)
    };
    // Upstream divides by zero here; with no pods the total is the only honest average.
    let average = if status_replicas > 0 {
        (usage as f64 / f64::from(status_replicas)).ceil() as i64
    } else {
        usage
    };
    (replicas, average)
}

/// A target on the whole value (External or Object `Value`): the ratio times the ready pods
/// (`getUsageRatioReplicaCount`). Unready pods count for nothing, so the proposal can fall
/// below the current replicas while pods start.
pub fn on_total(
    usage: i64,
    target: i64,
    current: i32,
    (pods, ready): (i32, i32),
    tol: Tolerances,
) -> Result<i32, String> {
    let ratio = usage as f64 / target as f64;
    if current == 0 {
        // Only reachable with minReplicas 0 (HPAScaleToZero): no tolerance, no pods to count.
        return Ok(ceil_replicas(ratio));
    }
    if tol.within(ratio) {
        return Ok(current);
    }
    if pods <= 0 {
        return Err(
            "unable to calculate ready pods: no pods returned by selector while \
                    calculating replica count"
                .into(),
        );
    }
    Ok(ceil_replicas(ratio * f64::from(ready)))
}

/// One pod of the target, for per-pod metrics (Pods, Resource, ContainerResource).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PodSample {
    /// The pod's usage; `None` when the metrics API had nothing for it.
    pub usage: Option<f64>,
    /// The pod's request of the resource (for `Utilization` targets).
    pub request: f64,
    /// False for pods upstream sets aside as not yet ready (Pending pods; for CPU also pods
    /// still initialising). Deleted and failed pods should not be listed at all.
    pub ready: bool,
}

/// What a per-pod target asks for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PodTarget {
    /// Average usage per pod, in milli-units.
    AverageValue(i64),
    /// Average usage as a percentage of the pods' requests.
    Utilization(i32),
}

/// A per-pod metric's proposal, with what the status reports (from the pods that had metrics).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PodProposal {
    pub replicas: i32,
    pub average: i64,
    pub utilization: Option<i32>,
}

/// `calcPlainMetricReplicas` / `GetResourceReplicas`: the ratio over ready pods with metrics,
/// reported as such, and the replicas it asks for.
pub fn per_pod_samples(
    samples: &[PodSample],
    current: i32,
    target: PodTarget,
    tol: Tolerances,
) -> Result<PodProposal, String> {
    if samples.is_empty() {
        return Err("no pods returned by selector while calculating replica count".into());
    }
    let measured: Vec<(i64, i64)> = samples
        .iter()
        .filter(|p| p.ready)
        .filter_map(|p| Some((super::quantity::milli_of(p.usage?), request(p))))
        .collect();
    if measured.is_empty() {
        return Err("did not receive metrics for targeted pods (pods might be unready)".into());
    }
    let (ratio, average, utilization) = usage_ratio(&measured, target)?;
    let replicas = samples_replicas(samples, measured, ratio, (current, target), tol)?;
    Ok(PodProposal {
        replicas,
        average,
        utilization,
    })
}

/// With every pod measured, the ratio decides. If pods lacked metrics, or a scale-up had
/// unready pods, the ratio is taken again with those pods assumed at the target (scale-down)
/// or idle (scale-up), and nothing changes if that reverses the direction or lands within
/// tolerance: unknown pods damp a change, never cause one.
fn samples_replicas(
    samples: &[PodSample],
    measured: Vec<(i64, i64)>,
    ratio: f64,
    (current, target): (i32, PodTarget),
    tol: Tolerances,
) -> Result<i32, String> {
    let unready = samples.iter().filter(|p| !p.ready);
    let missing = samples.iter().filter(|p| p.ready && p.usage.is_none());
    let scale_up_with_unready = unready.clone().next().is_some() && ratio > 1.0;
    if !scale_up_with_unready && missing.clone().next().is_none() {
        if tol.within(ratio) {
            return Ok(current);
        }
        return Ok(ceil_replicas(ratio * measured.len() as f64));
    }
    let mut assumed = measured;
    if ratio != 1.0 {
        assumed.extend(missing.map(|p| (assumed_usage(p, target, ratio), request(p))));
    }
    if scale_up_with_unready {
        assumed.extend(unready.map(|p| (0, request(p))));
    }
    let (new_ratio, _, _) = usage_ratio(&assumed, target)?;
    let reverses = (ratio < 1.0 && new_ratio > 1.0) || (ratio > 1.0 && new_ratio < 1.0);
    if tol.within(new_ratio) || reverses {
        return Ok(current);
    }
    let replicas = ceil_replicas(new_ratio * assumed.len() as f64);
    let backwards =
        (new_ratio < 1.0 && replicas > current) || (new_ratio > 1.0 && replicas < current);
    Ok(if backwards { current } else { replicas })
}

/// A pod without metrics: on a scale-down it is assumed at the target (for utilization, at its
/// full request or the target if higher); on a scale-up, idle.
fn assumed_usage(pod: &PodSample, target: PodTarget, ratio: f64) -> i64 {
    if ratio > 1.0 {
        return 0;
    }
    match target {
        PodTarget::AverageValue(value) => value,
        PodTarget::Utilization(percent) => request(pod) * i64::from(percent.max(100)) / 100,
    }
}

fn request(pod: &PodSample) -> i64 {
    super::quantity::milli_of(pod.request)
}

/// (usage ratio, average usage, utilization percent) over `(usage, request)` pairs, with
/// upstream's integer divisions (`GetMetricUsageRatio`, `GetResourceUtilizationRatio`).
fn usage_ratio(pods: &[(i64, i64)], target: PodTarget) -> Result<(f64, i64, Option<i32>), String> {
    let total: i128 = pods.iter().map(|(usage, _)| i128::from(*usage)).sum();
    let average = saturate(total / pods.len() as i128);
    match target {
        PodTarget::AverageValue(value) => Ok((average as f64 / value as f64, average, None)),
        PodTarget::Utilization(percent) => {
            let requests: i128 = pods.iter().map(|(_, request)| i128::from(*request)).sum();
            if requests == 0 {
                return Err("no metrics returned matched known pods".into());
            }
            let utilization = i32::try_from(total * 100 / requests).unwrap_or(i32::MAX);
            let ratio = f64::from(utilization) / f64::from(percent);
            Ok((ratio, average, Some(utilization)))
        }
    }
}

fn saturate(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
}

/// `int32(math.Ceil(x))`, capped at `MaxInt32` as upstream caps it; NaN is no replicas.
pub fn ceil_replicas(value: f64) -> i32 {
    if value.is_nan() {
        return 0;
    }
    value.ceil().clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
}

#[cfg(test)]
#[path = "calc_tests.rs"]
mod tests;

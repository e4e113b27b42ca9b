//! Replica counts and timings: the CRD's minimums and CEL rule, KEDA's
//! `CheckReplicaCountBoundsAreValid`, and the webhook's "not relevant" warnings.

use super::Validation;
use crate::api::ScaledObject;

const POLLING_INTERVAL_IRRELEVANT: &str = "PollingInterval is configured but is not relevant. \
     PollingInterval is only relevant when minReplicaCount = 0 or idleReplicaCount = 0 or \
     useCachedMetrics is enabled";
const COOLDOWN_PERIOD_IRRELEVANT: &str = "CooldownPeriod is configured but is not relevant. \
     CooldownPeriod is only relevant when minReplicaCount = 0 or idleReplicaCount = 0";

/// The CRD schema's `minimum`s and `minLength`s, worded as the API server words them.
pub(super) fn crd_minimums(so: &ScaledObject, v: &mut Validation) {
    let s = &so.spec;
    if s.scale_target_ref.name.is_empty() {
        v.error(
            "spec.scaleTargetRef.name: Invalid value: \"\": spec.scaleTargetRef.name in body \
             should be at least 1 chars long",
        );
    }
    let fields = [
        ("pollingInterval", s.polling_interval, 1),
        ("initialCooldownPeriod", s.initial_cooldown_period, 0),
        ("cooldownPeriod", s.cooldown_period, 0),
        ("idleReplicaCount", s.idle_replica_count, 0),
        ("minReplicaCount", s.min_replica_count, 0),
        ("maxReplicaCount", s.max_replica_count, 1),
    ];
    for (field, value, minimum) in fields {
        if let Some(value) = value.filter(|v| *v < minimum) {
            v.error(format!(
                "spec.{field}: Invalid value: {value}: spec.{field} in body should be greater \
                 than or equal to {minimum}"
            ));
        }
    }
}

/// The CRD's CEL rule, then KEDA's own bounds (in which an explicit `minReplicaCount: 0` counts
/// as 1 and an unset one as 0), then the idle count against that minimum.
pub(super) fn bounds(so: &ScaledObject, v: &mut Validation) {
    let s = &so.spec;
    let max = s.max_replicas();
    let max_note = if s.max_replica_count.is_none() {
        " (default)"
    } else {
        ""
    };
    // KEDA's `minReplicas := 0; if set { GetHPAMinReplicas() }`.
    let keda_min = s.min_replica_count.map_or(0, |_| s.hpa_min_replicas());
    match s.min_replica_count {
        // The API server evaluates CEL before any webhook, so this is what a KEDA user sees.
        Some(min) if min > max => v.error(format!(
            "spec: minReplicaCount must be less than or equal to maxReplicaCount \
             (minReplicaCount={min}, maxReplicaCount={max}{max_note})"
        )),
        _ if keda_min > max => v.error(format!(
            "spec.minReplicaCount: MinReplicaCount={keda_min} must be less than \
             MaxReplicaCount={max}"
        )),
        _ => {}
    }
    if let Some(idle) = s.idle_replica_count.filter(|idle| *idle >= keda_min) {
        let why = match s.min_replica_count {
            None => " (minReplicaCount is not set, which counts as 0 here)",
            Some(0) => " (an explicit minReplicaCount: 0 counts as 1 here)",
            Some(_) => "",
        };
        v.error(format!(
            "spec.idleReplicaCount: IdleReplicaCount={idle} must be less than \
             MinReplicaCount={keda_min}{why}"
        ));
    }
}

/// Above a non-zero minimum without idle mode, KEDA's own loop only matters for cached metrics,
/// and its cooldown never applies: the HPA does all the scaling.
pub(super) fn irrelevant_settings(so: &ScaledObject, v: &mut Validation) {
    let s = &so.spec;
    let hpa_only = s.min_replica_count.unwrap_or(0) > 0 && s.idle_replica_count.is_none();
    let cached = s
        .triggers
        .iter()
        .any(|t| t.use_cached_metrics == Some(true));
    if hpa_only && s.polling_interval.is_some() && !cached {
        v.warn(format!(
            "spec.pollingInterval: {POLLING_INTERVAL_IRRELEVANT}"
        ));
    }
    if hpa_only && s.cooldown_period.is_some() {
        v.warn(format!("spec.cooldownPeriod: {COOLDOWN_PERIOD_IRRELEVANT}"));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn crd_minimums_table() {
        #[rustfmt::skip]
        let rows: &[Row] = &[
            ("nothing set", |_| {}, &[]),
            ("every minimum exactly", |so| {
                let s = &mut so.spec;
                (s.polling_interval, s.initial_cooldown_period, s.cooldown_period) = (Some(1), Some(0), Some(0));
                (s.min_replica_count, s.max_replica_count) = (Some(0), Some(1));
            }, &[]),
            ("no target name", |so| so.spec.scale_target_ref.name.clear(),
                &["spec.scaleTargetRef.name: Invalid value: \"\""]),
            ("polling every 0 s", |so| so.spec.polling_interval = Some(0),
                &["spec.pollingInterval: Invalid value: 0: spec.pollingInterval in body should be greater than or equal to 1"]),
            ("negative initial cooldown", |so| so.spec.initial_cooldown_period = Some(-1),
                &["spec.initialCooldownPeriod: Invalid value: -1"]),
            ("negative cooldown", |so| so.spec.cooldown_period = Some(-5), &["spec.cooldownPeriod: Invalid value: -5"]),
            ("negative idle", |so| so.spec.idle_replica_count = Some(-1), &["spec.idleReplicaCount: Invalid value: -1"]),
            ("negative min", |so| so.spec.min_replica_count = Some(-1), &["spec.minReplicaCount: Invalid value: -1"]),
            ("max of zero", |so| so.spec.max_replica_count = Some(0),
                &["spec.maxReplicaCount: Invalid value: 0: spec.maxReplicaCount in body should be greater than or equal to 1"]),
        ];
        run_rows(|so| errors_of(crd_minimums, so), rows);
    }

    #[test]
    fn bounds_table() {
        #[rustfmt::skip]
        let rows: &[Row] = &[
            ("nothing set", |_| {}, &[]),
            ("min equals max", |so| (so.spec.min_replica_count, so.spec.max_replica_count) = (Some(3), Some(3)), &[]),
            ("min above max: the CRD's CEL rule answers first", |so| {
                (so.spec.min_replica_count, so.spec.max_replica_count) = (Some(5), Some(3));
            }, &["spec: minReplicaCount must be less than or equal to maxReplicaCount (minReplicaCount=5, maxReplicaCount=3)"]),
            ("min above the default max", |so| so.spec.min_replica_count = Some(101),
                &["maxReplicaCount=100 (default)"]),
            // CEL passes (0 <= 0) but KEDA counts an explicit 0 as 1
            ("explicit min 0 against max 0", |so| {
                (so.spec.min_replica_count, so.spec.max_replica_count) = (Some(0), Some(0));
            }, &["spec.minReplicaCount: MinReplicaCount=1 must be less than MaxReplicaCount=0"]),
            ("idle below min", |so| (so.spec.idle_replica_count, so.spec.min_replica_count) = (Some(0), Some(2)), &[]),
            ("idle equal to min", |so| (so.spec.idle_replica_count, so.spec.min_replica_count) = (Some(2), Some(2)),
                &["spec.idleReplicaCount: IdleReplicaCount=2 must be less than MinReplicaCount=2"]),
            // §9.3: idle needs an explicit min; unset counts as 0
            ("idle 0 without min", |so| so.spec.idle_replica_count = Some(0),
                &["IdleReplicaCount=0 must be less than MinReplicaCount=0 (minReplicaCount is not set"]),
            // §9.3: ...but an explicit 0 counts as 1, so idle 0 is accepted
            ("idle 0 with explicit min 0", |so| (so.spec.idle_replica_count, so.spec.min_replica_count) = (Some(0), Some(0)), &[]),
            ("idle 1 with explicit min 0", |so| (so.spec.idle_replica_count, so.spec.min_replica_count) = (Some(1), Some(0)),
                &["IdleReplicaCount=1 must be less than MinReplicaCount=1 (an explicit minReplicaCount: 0 counts as 1"]),
        ];
        run_rows(|so| errors_of(bounds, so), rows);
    }

    #[test]
    fn irrelevant_settings_warnings() {
        #[rustfmt::skip]
        let rows: &[Row] = &[
            ("both set, min unset: KEDA scales to zero, both matter", |so| {
                (so.spec.polling_interval, so.spec.cooldown_period) = (Some(15), Some(60));
            }, &[]),
            ("both set with min 1: the HPA does everything", |so| {
                (so.spec.polling_interval, so.spec.cooldown_period) = (Some(15), Some(60));
                so.spec.min_replica_count = Some(1);
            }, &[
                "spec.pollingInterval: PollingInterval is configured but is not relevant. PollingInterval is only relevant when minReplicaCount = 0 or idleReplicaCount = 0 or useCachedMetrics is enabled",
                "spec.cooldownPeriod: CooldownPeriod is configured but is not relevant. CooldownPeriod is only relevant when minReplicaCount = 0 or idleReplicaCount = 0",
            ]),
            ("idle mode makes both relevant", |so| {
                (so.spec.polling_interval, so.spec.cooldown_period) = (Some(15), Some(60));
                (so.spec.min_replica_count, so.spec.idle_replica_count) = (Some(2), Some(1));
            }, &[]),
            ("cached metrics make polling relevant, not cooldown", |so| {
                (so.spec.polling_interval, so.spec.cooldown_period) = (Some(15), Some(60));
                so.spec.min_replica_count = Some(1);
                so.spec.triggers[0].use_cached_metrics = Some(true);
            }, &["spec.cooldownPeriod: CooldownPeriod is configured"]),
            ("min 1 with neither set", |so| so.spec.min_replica_count = Some(1), &[]),
        ];
        run_rows(|so| warnings_of(irrelevant_settings, so), rows);
    }
}

//! `verifyTriggers` (KEDA's `ValidateTriggers`, shared by ScaledObject and ScaledJob), the CRD's
//! non-empty `type`, and each trigger's `metricType`.

use std::collections::BTreeSet;

use super::{Validation, is_resource_trigger};
use crate::api::{ScaleTrigger, ScaledObject};

/// Triggers whose value KEDA never caches: cpu and memory are read by the HPA itself, and cron
/// is computed from the clock.
const UNCACHEABLE: [&str; 3] = ["cpu", "memory", "cron"];

pub(super) fn check(triggers: &[ScaleTrigger], v: &mut Validation) {
    if triggers.is_empty() {
        v.error("spec.triggers: no triggers defined in the ScaledObject/ScaledJob");
    }
    let mut names = BTreeSet::new();
    for (i, t) in triggers.iter().enumerate() {
        if t.type_.is_empty() {
            v.error(format!(
                "spec.triggers[{i}].type: Invalid value: \"\": spec.triggers[{i}].type in body \
                 should be at least 1 chars long"
            ));
        }
        if t.use_cached_metrics == Some(true) && UNCACHEABLE.contains(&t.type_.as_str()) {
            v.error(format!(
                "spec.triggers[{i}].useCachedMetrics: property \"useCachedMetrics\" is not \
                 supported for {:?} scaler",
                t.type_
            ));
        }
        match t.name.as_deref() {
            Some(name) if !name.is_empty() && !names.insert(name) => v.error(format!(
                "spec.triggers[{i}].name: triggerName {name:?} is defined multiple times in the \
                 ScaledObject/ScaledJob, but it must be unique"
            )),
            _ => {}
        }
    }
}

/// External scalers take `AverageValue` (the default) or `Value`; cpu and memory take
/// `Utilization` or `AverageValue` and have no default. KEDA passes any other string on to the
/// HPA, whose creation then fails on every reconcile; we reject it here.
pub(super) fn metric_types(so: &ScaledObject, v: &mut Validation) {
    for (i, t) in so.spec.triggers.iter().enumerate() {
        let path = format!("spec.triggers[{i}].metricType");
        let metric_type = t.metric_type.as_deref().unwrap_or("");
        if is_resource_trigger(&t.type_) {
            match metric_type {
                "Utilization" | "AverageValue" => {}
                "" => v.error(format!(
                    "{path}: required for a {} trigger: allowed values are 'Utilization' or \
                     'AverageValue'",
                    t.type_
                )),
                other => v.error(format!(
                    "{path}: unsupported metric type {other:?} for a {} trigger, allowed values \
                     are 'Utilization' or 'AverageValue'",
                    t.type_
                )),
            }
            continue;
        }
        match metric_type {
            "" | "AverageValue" | "Value" => {}
            "Utilization" => v.error(format!(
                "{path}: 'Utilization' metric type is unsupported for external metrics, allowed \
                 values are 'Value' or 'AverageValue'"
            )),
            other => v.error(format!(
                "{path}: Unsupported value: {other:?}: supported values: \"AverageValue\", \
                 \"Value\""
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn verify_triggers() {
        #[rustfmt::skip]
        let rows: &[Row] = &[
            ("one named trigger", |_| {}, &[]),
            ("no triggers", |so| so.spec.triggers.clear(),
                &["spec.triggers: no triggers defined in the ScaledObject/ScaledJob"]),
            ("empty type", |so| so.spec.triggers[0].type_.clear(),
                &["spec.triggers[0].type: Invalid value: \"\""]),
            ("unnamed triggers may repeat", |so| so.spec.triggers = vec![trigger("redis", ""), trigger("redis", "")], &[]),
            ("empty names do not collide", |so| {
                so.spec.triggers = vec![trigger("redis", ""), trigger("redis", "")];
                so.spec.triggers[0].name = Some(String::new());
                so.spec.triggers[1].name = Some(String::new());
            }, &[]),
            // every duplicate after the first is reported, not only the first one
            ("duplicate names", |so| {
                so.spec.triggers = vec![trigger("redis", "q"), trigger("mysql", "q"), trigger("cron", "q")];
            }, &[
                "spec.triggers[1].name: triggerName \"q\" is defined multiple times in the ScaledObject/ScaledJob, but it must be unique",
                "spec.triggers[2].name: triggerName \"q\"",
            ]),
            ("cached metrics on prometheus", |so| so.spec.triggers[0].use_cached_metrics = Some(true), &[]),
            ("cached metrics on cron", |so| {
                so.spec.triggers[0] = trigger("cron", "");
                so.spec.triggers[0].use_cached_metrics = Some(true);
            }, &["spec.triggers[0].useCachedMetrics: property \"useCachedMetrics\" is not supported for \"cron\" scaler"]),
            ("cached metrics on cpu", |so| {
                so.spec.triggers.push(resource_trigger("cpu"));
                so.spec.triggers[1].use_cached_metrics = Some(true);
            }, &["spec.triggers[1].useCachedMetrics: property \"useCachedMetrics\" is not supported for \"cpu\" scaler"]),
            ("useCachedMetrics: false is fine anywhere", |so| {
                so.spec.triggers.push(resource_trigger("memory"));
                so.spec.triggers[1].use_cached_metrics = Some(false);
            }, &[]),
        ];
        run_rows(
            |so| {
                let mut v = Validation::default();
                check(&so.spec.triggers, &mut v);
                v.errors
            },
            rows,
        );
    }

    fn set(so: &mut ScaledObject, index: usize, metric_type: &str) {
        so.spec.triggers[index].metric_type = Some(metric_type.into());
    }

    #[test]
    fn metric_type_per_trigger() {
        #[rustfmt::skip]
        let rows: &[Row] = &[
            ("unset on an external scaler means AverageValue", |_| {}, &[]),
            ("AverageValue", |so| set(so, 0, "AverageValue"), &[]),
            ("Value", |so| set(so, 0, "Value"), &[]),
            ("empty string", |so| set(so, 0, ""), &[]),
            ("Utilization on an external scaler", |so| set(so, 0, "Utilization"),
                &["spec.triggers[0].metricType: 'Utilization' metric type is unsupported for external metrics, allowed values are 'Value' or 'AverageValue'"]),
            // KEDA would hand this to the HPA, which the API server then refuses
            ("lower case", |so| set(so, 0, "value"),
                &["spec.triggers[0].metricType: Unsupported value: \"value\": supported values: \"AverageValue\", \"Value\""]),
            ("cpu with Utilization", |so| so.spec.triggers.push(resource_trigger("cpu")), &[]),
            ("memory with AverageValue", |so| {
                so.spec.triggers.push(resource_trigger("memory"));
                set(so, 1, "AverageValue");
            }, &[]),
            // cpu/memory have no default metric type in KEDA
            ("cpu without metricType", |so| {
                so.spec.triggers.push(resource_trigger("cpu"));
                so.spec.triggers[1].metric_type = None;
            }, &["spec.triggers[1].metricType: required for a cpu trigger"]),
            ("memory with Value", |so| {
                so.spec.triggers.push(resource_trigger("memory"));
                set(so, 1, "Value");
            }, &["spec.triggers[1].metricType: unsupported metric type \"Value\" for a memory trigger"]),
        ];
        run_rows(|so| errors_of(metric_types, so), rows);
    }
}

//! cpu and memory triggers (§5.5): what KEDA's scaler parse and `verifyCPUMemoryScalers` reject
//! that can be judged from the ScaledObject alone. The container-requests half of
//! `verifyCPUMemoryScalers` needs the workload and is not here.

use super::{Validation, is_resource_trigger};
use crate::api::{ScaleTrigger, ScaledObject};

pub(super) fn check(so: &ScaledObject, v: &mut Validation) {
    let triggers = &so.spec.triggers;
    for (i, t) in triggers.iter().enumerate() {
        if is_resource_trigger(&t.type_) {
            metadata(i, t, v);
        }
    }
    // KEDA checks this only for Deployment and StatefulSet targets, and not on dry runs; a
    // cpu/memory-only object never scales to zero whatever it targets.
    let only_resources =
        !triggers.is_empty() && triggers.iter().all(|t| is_resource_trigger(&t.type_));
    if only_resources && so.spec.min_replica_count.unwrap_or(0) == 0 {
        v.error(
            "spec.minReplicaCount: scaledobject has only cpu/memory triggers AND minReplica is 0 \
             (scale to zero doesn't work in this case)",
        );
    }
}

fn metadata(i: usize, t: &ScaleTrigger, v: &mut Validation) {
    let path = format!("spec.triggers[{i}].metadata");
    if t.metadata.contains_key("type") {
        v.error(format!(
            "{path}.type: The 'type' setting is DEPRECATED and is removed in v2.18 - Use \
             'metricType' instead"
        ));
    }
    let value = t.metadata.get("value").map(String::as_str).unwrap_or("");
    if value.is_empty() {
        v.error(format!("{path}.value: required for a {} trigger", t.type_));
        return;
    }
    // An unknown metricType is reported by the metricType rule; its value cannot be judged.
    match t.metric_type.as_deref() {
        Some("Utilization") if value.parse::<i32>().is_err() => v.error(format!(
            "{path}.value: {value:?} is not a whole percentage such as \"80\" (metricType \
             Utilization)"
        )),
        // KEDA's `resource.MustParse` panics on this; we say why instead.
        Some("AverageValue") if !is_quantity(value) => v.error(format!(
            "{path}.value: {value:?} is not a Kubernetes quantity such as \"500m\" or \"1Gi\" \
             (metricType AverageValue)"
        )),
        _ => {}
    }
}

/// Kubernetes' quantity grammar: a signed decimal number, then a binary suffix (Ki..Ei), a
/// decimal suffix (n, u, m, k, M, G, T, P, E) or a decimal exponent (e3, E-2).
fn is_quantity(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let number_end = unsigned
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(unsigned.len());
    let (number, suffix) = unsigned.split_at(number_end);
    let digits = number.chars().filter(char::is_ascii_digit).count();
    if digits == 0 || number.matches('.').count() > 1 {
        return false;
    }
    const SUFFIXES: [&str; 16] = [
        "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E",
    ];
    if SUFFIXES.contains(&suffix) {
        return true;
    }
    let Some(exponent) = suffix.strip_prefix(['e', 'E']) else {
        return false;
    };
    let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    !exponent.is_empty() && exponent.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    fn cpu(so: &mut ScaledObject) -> &mut ScaleTrigger {
        so.spec.triggers.push(resource_trigger("cpu"));
        so.spec.triggers.last_mut().expect("just pushed")
    }

    #[test]
    fn cpu_and_memory_triggers() {
        #[rustfmt::skip]
        let rows: &[Row] = &[
            ("no cpu/memory trigger", |_| {}, &[]),
            ("cpu beside prometheus", |so| { cpu(so); }, &[]),
            ("cpu without value", |so| { cpu(so).metadata.clear(); },
                &["spec.triggers[1].metadata.value: required for a cpu trigger"]),
            ("empty value", |so| { cpu(so).metadata.insert("value".into(), String::new()); },
                &["spec.triggers[1].metadata.value: required"]),
            // removed in KEDA 2.18: its mere presence is an error
            ("deprecated type", |so| { cpu(so).metadata.insert("type".into(), "Utilization".into()); },
                &["spec.triggers[1].metadata.type: The 'type' setting is DEPRECATED"]),
            ("utilization must be an integer", |so| { cpu(so).metadata.insert("value".into(), "80.5".into()); },
                &["spec.triggers[1].metadata.value: \"80.5\" is not a whole percentage"]),
            ("average value quantity", |so| {
                let t = cpu(so);
                t.metric_type = Some("AverageValue".into());
                t.metadata.insert("value".into(), "500m".into());
            }, &[]),
            ("average value with exponent", |so| {
                let t = cpu(so);
                t.metric_type = Some("AverageValue".into());
                t.metadata.insert("value".into(), "1.5e3".into());
            }, &[]),
            ("average value not a quantity", |so| {
                let t = cpu(so);
                t.metric_type = Some("AverageValue".into());
                t.metadata.insert("value".into(), "500 MB".into());
            }, &["spec.triggers[1].metadata.value: \"500 MB\" is not a Kubernetes quantity"]),
            // the metricType rule reports this; the value is not judged twice
            ("unknown metric type leaves value alone", |so| {
                let t = cpu(so);
                t.metric_type = Some("Value".into());
                t.metadata.insert("value".into(), "lots".into());
            }, &[]),
            ("only cpu and min unset", |so| so.spec.triggers = vec![resource_trigger("cpu")],
                &["spec.minReplicaCount: scaledobject has only cpu/memory triggers AND minReplica is 0 (scale to zero doesn't work in this case)"]),
            ("only cpu and memory, min 0", |so| {
                so.spec.triggers = vec![resource_trigger("cpu"), resource_trigger("memory")];
                so.spec.min_replica_count = Some(0);
            }, &["only cpu/memory triggers AND minReplica is 0"]),
            ("only cpu with min 1", |so| {
                so.spec.triggers = vec![resource_trigger("cpu")];
                so.spec.min_replica_count = Some(1);
            }, &[]),
            // KEDA skips this check for other kinds; it is as true for them
            ("only cpu, StatefulSet-like custom kind", |so| {
                so.spec.triggers = vec![resource_trigger("cpu")];
                so.spec.scale_target_ref.kind = Some("Rollout".into());
                so.spec.scale_target_ref.api_version = Some("argoproj.io/v1alpha1".into());
            }, &["only cpu/memory triggers"]),
        ];
        run_rows(|so| errors_of(check, so), rows);
    }

    #[test]
    fn quantities() {
        for good in [
            "1", "500m", "1Gi", "0.5", "+2", "-1", "1.5e3", "2E-2", "10Ki", ".5", "5.",
        ] {
            assert!(is_quantity(good), "{good}");
        }
        for bad in ["", "m", "1.2.3", "1gi", "1 Gi", "1e", "e3", "1KiB", "abc"] {
            assert!(!is_quantity(bad), "{bad}");
        }
    }
}

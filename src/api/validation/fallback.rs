//! `spec.fallback`: KEDA's `CheckFallbackValid`, the CRD's behavior enum, the webhook's
//! "scalingModifiers behavior needs a formula", and a warning for §9.4.

use super::{Validation, is_resource_trigger};
use crate::api::ScaledObject;

const BEHAVIORS: [&str; 5] = [
    "static",
    "currentReplicas",
    "currentReplicasIfHigher",
    "currentReplicasIfLower",
    "scalingModifiers",
];

pub(super) fn check(so: &ScaledObject, v: &mut Validation) {
    let Some(fallback) = &so.spec.fallback else {
        return;
    };
    if fallback.failure_threshold < 0 || fallback.replicas < 0 {
        v.error(format!(
            "spec.fallback: FailureThreshold={} & Replicas={} must both be greater than or equal \
             to 0",
            fallback.failure_threshold, fallback.replicas
        ));
    }
    let behavior = fallback.behavior.as_deref().unwrap_or("static");
    if !BEHAVIORS.contains(&behavior) {
        let supported = BEHAVIORS.map(|b| format!("{b:?}")).join(", ");
        v.error(format!(
            "spec.fallback.behavior: Unsupported value: {behavior:?}: supported values: {supported}"
        ));
    }
    let modifiers = so.spec.scaling_modifiers();
    let triggers = &so.spec.triggers;
    // With no triggers at all the trigger rule has already said so.
    if modifiers.is_none()
        && !triggers.is_empty()
        && triggers.iter().all(|t| is_resource_trigger(&t.type_))
    {
        v.error(
            "spec.fallback: at least one trigger (that is not cpu or memory) has to have the \
             `AverageValue` type for the fallback to be enabled",
        );
    }
    let formula = modifiers.and_then(|m| m.formula.as_deref()).unwrap_or("");
    if behavior == "scalingModifiers" && formula.is_empty() {
        v.error(
            "spec.fallback.behavior: \"scalingModifiers\" requires \
             spec.advanced.scalingModifiers.formula",
        );
    }
    integer_target(so, v);
}

/// §9.4: KEDA's `HasValidFallback` wants a scalingModifiers target that parses as a whole number
/// and otherwise silently never applies the fallback. The object stays valid (KEDA accepts it),
/// but the user is told. A target that is no positive number at all is the modifiers rule's.
fn integer_target(so: &ScaledObject, v: &mut Validation) {
    let Some(target) = so
        .spec
        .scaling_modifiers()
        .and_then(|m| m.target.as_deref())
    else {
        return;
    };
    let positive_number = target.parse::<f64>().is_ok_and(|t| t > 0.0);
    let positive_integer = target.parse::<i64>().is_ok_and(|t| t > 0);
    if positive_number && !positive_integer {
        v.warn(format!(
            "spec.fallback: never applied, because spec.advanced.scalingModifiers.target \
             {target:?} is not a whole number; KEDA only applies a fallback with scalingModifiers \
             when the target is an integer such as \"2\""
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::api::scaled_object::{AdvancedConfig, Fallback, ScalingModifiers};

    fn fallback(so: &mut ScaledObject, threshold: i32, replicas: i32, behavior: Option<&str>) {
        so.spec.fallback = Some(Fallback {
            failure_threshold: threshold,
            replicas,
            behavior: behavior.map(str::to_string),
        });
    }

    fn modifiers(so: &mut ScaledObject, formula: &str, target: &str) {
        so.spec.advanced = Some(AdvancedConfig {
            scaling_modifiers: Some(ScalingModifiers {
                formula: (!formula.is_empty()).then(|| formula.into()),
                target: Some(target.into()),
                ..ScalingModifiers::default()
            }),
            ..AdvancedConfig::default()
        });
    }

    #[test]
    fn fallback_errors() {
        #[rustfmt::skip]
        let rows: &[Row] = &[
            ("no fallback", |_| {}, &[]),
            ("the documented section", |so| fallback(so, 3, 6, Some("static")), &[]),
            ("zeros are allowed", |so| fallback(so, 0, 0, None), &[]),
            ("negative threshold", |so| fallback(so, -1, 6, None),
                &["spec.fallback: FailureThreshold=-1 & Replicas=6 must both be greater than or equal to 0"]),
            ("negative replicas", |so| fallback(so, 3, -2, None), &["FailureThreshold=3 & Replicas=-2"]),
            ("currentReplicasIfHigher", |so| fallback(so, 3, 6, Some("currentReplicasIfHigher")), &[]),
            ("behavior outside the enum", |so| fallback(so, 3, 6, Some("dynamic")),
                &["spec.fallback.behavior: Unsupported value: \"dynamic\": supported values: \"static\", \"currentReplicas\""]),
            ("Value triggers may fall back (KEDA 2.20 divides by ready pods)", |so| {
                so.spec.triggers[0].metric_type = Some("Value".into());
                fallback(so, 3, 6, None);
            }, &[]),
            ("only cpu and memory", |so| {
                so.spec.triggers = vec![resource_trigger("cpu"), resource_trigger("memory")];
                fallback(so, 3, 6, None);
            }, &["spec.fallback: at least one trigger (that is not cpu or memory) has to have the `AverageValue` type"]),
            ("scalingModifiers lift the non-cpu requirement", |so| {
                so.spec.triggers = vec![resource_trigger("cpu")];
                modifiers(so, "1", "2");
                fallback(so, 3, 6, None);
            }, &[]),
            ("scalingModifiers behavior with a formula", |so| {
                modifiers(so, "queue ?? 8", "2");
                fallback(so, 3, 10, Some("scalingModifiers"));
            }, &[]),
            ("scalingModifiers behavior without modifiers", |so| fallback(so, 3, 10, Some("scalingModifiers")),
                &["spec.fallback.behavior: \"scalingModifiers\" requires spec.advanced.scalingModifiers.formula"]),
            ("scalingModifiers behavior with a target but no formula", |so| {
                modifiers(so, "", "2");
                fallback(so, 3, 10, Some("scalingModifiers"));
            }, &["requires spec.advanced.scalingModifiers.formula"]),
        ];
        run_rows(|so| errors_of(check, so), rows);
    }

    #[test]
    fn every_behavior_but_scaling_modifiers_stands_alone() {
        for behavior in BEHAVIORS.into_iter().filter(|b| *b != "scalingModifiers") {
            let mut so = base();
            fallback(&mut so, 3, 6, Some(behavior));
            assert_eq!(errors_of(check, &so), Vec::<String>::new(), "{behavior}");
        }
    }

    #[test]
    fn fallback_warnings() {
        #[rustfmt::skip]
        let rows: &[Row] = &[
            ("integer target", |so| { modifiers(so, "queue", "2"); fallback(so, 3, 6, None); }, &[]),
            ("Go's ParseInt takes a plus sign and leading zeros", |so| {
                modifiers(so, "queue", "+02");
                fallback(so, 3, 6, None);
            }, &[]),
            // §9.4: KEDA accepts this and silently never falls back
            ("fractional target", |so| { modifiers(so, "queue", "2.5"); fallback(so, 3, 6, None); },
                &["spec.fallback: never applied, because spec.advanced.scalingModifiers.target \"2.5\" is not a whole number"]),
            ("\"2.0\" is not an integer to ParseInt either", |so| {
                modifiers(so, "queue", "2.0");
                fallback(so, 3, 6, None);
            }, &["target \"2.0\" is not a whole number"]),
            ("no fallback, no warning", |so| modifiers(so, "queue", "2.5"), &[]),
            ("an invalid target is the modifiers rule's error", |so| {
                modifiers(so, "queue", "abc");
                fallback(so, 3, 6, None);
            }, &[]),
        ];
        run_rows(|so| warnings_of(check, so), rows);
    }
}

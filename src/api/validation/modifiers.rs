//! `spec.advanced.scalingModifiers` (§2.8): KEDA's `ValidateAndCompileScalingModifiers`, the
//! CRD's metricType enum, and a parseable activationTarget.

use super::Validation;
use super::formula::{self, trigger_variables};
use crate::api::ScaledObject;
use crate::api::scaled_object::ScalingModifiers;

const PATH: &str = "spec.advanced.scalingModifiers";

/// Runs only when the section is in use (any field set), as KEDA's `IsUsingModifiers`.
pub(super) fn check(so: &ScaledObject, v: &mut Validation) {
    let Some(modifiers) = so.spec.scaling_modifiers() else {
        return;
    };
    let formula = modifiers.formula.as_deref().unwrap_or("");
    let target = modifiers.target.as_deref().unwrap_or("");
    if formula.is_empty() {
        v.error(format!(
            "{PATH}.formula: error ScalingModifiers.Formula is mandatory"
        ));
    } else if target.is_empty() {
        v.error(format!(
            "{PATH}.target: formula is given but target is empty"
        ));
    }
    if !target.is_empty() {
        check_target(target, v);
    }
    check_activation_target(modifiers, v);
    check_metric_type(modifiers, v);
    if !formula.is_empty() {
        let names = trigger_variables(&so.spec.triggers);
        if let Err(why) = formula::compile(formula, &names) {
            v.error(format!(
                "{PATH}.formula: error validating formula in ScalingModifiers: {why}"
            ));
        }
    }
}

/// Go's `strconv.ParseFloat` then `> 0`; we also refuse NaN and infinities, which KEDA lets
/// through to a meaningless composite target.
fn check_target(target: &str, v: &mut Validation) {
    let why = match target.parse::<f64>() {
        Err(_) => "is not a number",
        Ok(t) if !t.is_finite() => "is not a finite number",
        Ok(t) if t <= 0.0 => "is not greater than 0",
        Ok(_) => return,
    };
    v.error(format!(
        "{PATH}.target: error converting target for scalingModifiers (string->float) to valid \
         target: {target:?} {why}"
    ));
}

/// KEDA only parses this while scaling; a bad value is caught here instead.
fn check_activation_target(modifiers: &ScalingModifiers, v: &mut Validation) {
    let Some(activation) = modifiers.activation_target.as_deref() else {
        return;
    };
    if !activation.is_empty() && !activation.parse::<f64>().is_ok_and(f64::is_finite) {
        v.error(format!(
            "{PATH}.activationTarget: {activation:?} is not a number such as \"2\" or \"0.5\""
        ));
    }
}

fn check_metric_type(modifiers: &ScalingModifiers, v: &mut Validation) {
    match modifiers.metric_type.as_deref().unwrap_or("") {
        "" | "AverageValue" | "Value" => {}
        "Utilization" => v.error(format!(
            "{PATH}.metricType: error trigger type is Utilization, but it needs to be \
             AverageValue or Value for external metrics"
        )),
        other => v.error(format!(
            "{PATH}.metricType: Unsupported value: {other:?}: supported values: \
             \"AverageValue\", \"Value\""
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::api::ScaleTrigger;
    use crate::api::scaled_object::AdvancedConfig;

    /// The documented two-trigger setup (scaling-modifiers/01) with these modifier fields.
    fn with(so: &mut ScaledObject, formula: &str, target: &str) {
        so.spec.triggers = vec![
            trigger("kubernetes-workload", "trig_one"),
            trigger("metrics-api", "trig_two"),
        ];
        let set = |s: &str| (!s.is_empty()).then(|| s.to_string());
        so.spec.advanced = Some(AdvancedConfig {
            scaling_modifiers: Some(ScalingModifiers {
                formula: set(formula),
                target: set(target),
                ..ScalingModifiers::default()
            }),
            ..AdvancedConfig::default()
        });
    }

    fn modifiers(so: &mut ScaledObject) -> &mut ScalingModifiers {
        so.spec
            .advanced
            .as_mut()
            .and_then(|a| a.scaling_modifiers.as_mut())
            .expect("set by with()")
    }

    #[test]
    fn scaling_modifiers() {
        #[rustfmt::skip]
        let rows: &[Row] = &[
            ("not in use", |_| {}, &[]),
            ("an all-empty section is not in use", |so| with(so, "", ""), &[]),
            ("the documented average", |so| {
                with(so, "(trig_one + trig_two)/2", "2");
                modifiers(so).activation_target = Some("2".into());
                modifiers(so).metric_type = Some("AverageValue".into());
            }, &[]),
            ("the documented ternary", |so| with(so, "trig_one > 2 ? trig_one + trig_two : 1", "2"), &[]),
            ("the documented ??", |so| with(so, "trig_one ?? trig_two ?? 8", "2"), &[]),
            ("fractional target", |so| with(so, "trig_one", "0.5"), &[]),
            ("target without formula", |so| with(so, "", "2"),
                &["spec.advanced.scalingModifiers.formula: error ScalingModifiers.Formula is mandatory"]),
            // scaling-modifiers/02 alone: activationTarget set, nothing else
            ("only an activation target", |so| {
                with(so, "", "");
                modifiers(so).activation_target = Some("2".into());
            }, &["error ScalingModifiers.Formula is mandatory"]),
            ("formula without target", |so| with(so, "trig_one", ""),
                &["spec.advanced.scalingModifiers.target: formula is given but target is empty"]),
            ("target not a number", |so| with(so, "trig_one", "two"),
                &["spec.advanced.scalingModifiers.target: error converting target for scalingModifiers (string->float) to valid target: \"two\" is not a number"]),
            ("zero target", |so| with(so, "trig_one", "0"), &["\"0\" is not greater than 0"]),
            ("NaN target", |so| with(so, "trig_one", "NaN"), &["\"NaN\" is not a finite number"]),
            ("activation target not a number", |so| {
                with(so, "trig_one", "2");
                modifiers(so).activation_target = Some("high".into());
            }, &["spec.advanced.scalingModifiers.activationTarget: \"high\" is not a number"]),
            ("Utilization", |so| {
                with(so, "trig_one", "2");
                modifiers(so).metric_type = Some("Utilization".into());
            }, &["spec.advanced.scalingModifiers.metricType: error trigger type is Utilization, but it needs to be AverageValue or Value for external metrics"]),
            ("metricType outside the enum", |so| {
                with(so, "trig_one", "2");
                modifiers(so).metric_type = Some("Average".into());
            }, &["spec.advanced.scalingModifiers.metricType: Unsupported value: \"Average\""]),
            ("syntax error", |so| with(so, "trig_one +", "2"),
                &["spec.advanced.scalingModifiers.formula: error validating formula in ScalingModifiers: syntax error at 1:11"]),
            ("unknown trigger name", |so| with(so, "trig_one + trig_three", "2"),
                &["unknown name \"trig_three\"; known names: \"trig_one\", \"trig_two\""]),
            // KEDA leaves cpu and memory out of the formula's environment
            ("a cpu trigger cannot be referenced", |so| {
                with(so, "trig_one + load", "2");
                so.spec.triggers.push(ScaleTrigger { name: Some("load".into()), ..resource_trigger("cpu") });
            }, &["unknown name \"load\""]),
            ("formula returning a bool", |so| with(so, "trig_one > 2", "2"), &["invalid operation: float(false)"]),
            // every problem at once, in a fixed order
            ("everything wrong", |so| {
                with(so, "trig_one +", "-1");
                modifiers(so).metric_type = Some("Utilization".into());
            }, &["target: error converting target", "metricType: error trigger type is Utilization", "formula: error validating formula"]),
        ];
        run_rows(|so| errors_of(check, so), rows);
    }
}

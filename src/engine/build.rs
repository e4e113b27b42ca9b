//! From a ScaledObject and its resolved triggers to a runtime the engine can poll. Building is
//! pure: scalers open their (shared) connections on first query.

use std::sync::Arc;

use kedars_scalers::{Connections, MetricType, TriggerContext};

use super::modifiers::Modifiers;
use super::scaled_object::ScaledObjectRuntime;
use super::trigger::TriggerRuntime;
use crate::api::ScaledObject;
use crate::api::validation::formula;
use crate::controller::resource_metrics;

/// Builds the runtime. `contexts[i]` is the resolved context of `spec.triggers[i]` (unused for
/// cpu/memory triggers). Every problem is returned, each naming its trigger.
pub fn runtime(
    so: ScaledObject,
    contexts: &[Option<TriggerContext>],
    connections: &Arc<Connections>,
) -> Result<ScaledObjectRuntime, Vec<String>> {
    let mut problems = Vec::new();
    let mut triggers = Vec::new();
    let mut resource_triggers = 0;
    for (index, trigger) in so.spec.triggers.iter().enumerate() {
        if resource_metrics::is_resource_trigger(&trigger.type_) {
            resource_triggers += 1;
            continue;
        }
        let Some(ctx) = contexts.get(index).and_then(Option::as_ref) else {
            problems.push(format!(
                "spec.triggers[{index}] ({}): not resolved",
                trigger.type_
            ));
            continue;
        };
        match kedars_scalers::build(ctx, connections) {
            Ok(scaler) => triggers.push(Arc::new(TriggerRuntime::new(
                index,
                trigger.name.clone().filter(|n| !n.is_empty()),
                Arc::from(scaler),
            ))),
            Err(e) => problems.push(format!("spec.triggers[{index}]: {e}")),
        }
    }
    let modifiers = match modifiers(&so) {
        Ok(m) => m,
        Err(e) => {
            problems.push(e);
            None
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(ScaledObjectRuntime::new(
        so,
        triggers,
        resource_triggers,
        modifiers,
    ))
}

fn modifiers(so: &ScaledObject) -> Result<Option<Modifiers>, String> {
    let Some(spec) = so.spec.scaling_modifiers() else {
        return Ok(None);
    };
    let number = |field: &str, text: Option<&String>, default: Option<f64>| match text
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
    {
        None => {
            default.ok_or_else(|| format!("spec.advanced.scalingModifiers.{field} is required"))
        }
        Some(t) => t.parse::<f64>().map_err(|_| {
            format!("spec.advanced.scalingModifiers.{field} value \"{t}\" is not a number")
        }),
    };
    let target = number("target", spec.target.as_ref(), None)?;
    let activation_target = number(
        "activationTarget",
        spec.activation_target.as_ref(),
        Some(0.0),
    )?;
    let text = spec.formula.clone().unwrap_or_default();
    let compiled = formula::compile(&text, &formula::trigger_variables(&so.spec.triggers))
        .map_err(|e| format!("spec.advanced.scalingModifiers.formula: {e}"))?;
    Ok(Some(Modifiers {
        formula: Box::new(move |inputs| compiled.evaluate_partial(inputs)),
        target,
        activation_target,
        metric_type: match spec.metric_type.as_deref() {
            Some("Value") => MetricType::Value,
            _ => MetricType::AverageValue,
        },
    }))
}

#[cfg(test)]
pub(super) mod tests_support {
    use super::*;

    pub fn modifiers(so: &ScaledObject) -> Modifiers {
        super::modifiers(so).unwrap().unwrap()
    }
}

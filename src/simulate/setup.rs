//! From a ScaledObject and its resolved triggers to what a simulation runs: the engine's runtime
//! with each trigger's scaler chosen (its own when time-based, its trace otherwise) and the HPA
//! the ScaledObject would own.

use std::sync::Arc;

use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscalerSpec;
use kedars_scalers::{Connections, MetricSpec, Scaler, TriggerContext};

use super::trace::{Trace, TraceScaler};
use crate::api::ScaledObject;
use crate::controller::hpa::{self, TriggerMetric};
use crate::controller::resource_metrics;
use crate::engine::build;
use crate::engine::scaled_object::ScaledObjectRuntime;
use crate::engine::trigger::TriggerRuntime;

/// One trigger as the simulation sees it.
#[derive(Clone)]
pub struct SimTrigger {
    pub index: usize,
    pub name: Option<String>,
    pub trigger_type: String,
    pub metric: MetricSpec,
    /// The scaler the engine queries; time-based ones also draw their windows.
    pub scaler: Arc<dyn Scaler>,
}

impl SimTrigger {
    pub fn is_time_based(&self) -> bool {
        self.scaler.time_based().is_some()
    }

    /// How changes and charts name it: its name, else `trigger <index>`, with its type.
    pub fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("{name} ({})", self.trigger_type),
            None => format!("trigger {} ({})", self.index, self.trigger_type),
        }
    }
}

pub struct Simulation {
    pub runtime: ScaledObjectRuntime,
    pub hpa: HorizontalPodAutoscalerSpec,
    pub triggers: Vec<SimTrigger>,
    /// Triggers that will fail throughout, and the like: worth saying, not fatal.
    pub warnings: Vec<String>,
}

/// Prepares one ScaledObject. `contexts[i]` is the resolved context of `spec.triggers[i]`.
pub fn prepare(
    so: ScaledObject,
    contexts: &[Option<TriggerContext>],
    trace: &Trace,
) -> Result<Simulation, Vec<String>> {
    let resource: Vec<String> = so
        .spec
        .triggers
        .iter()
        .enumerate()
        .filter(|(_, t)| resource_metrics::is_resource_trigger(&t.type_))
        .map(|(i, t)| {
            format!(
                "spec.triggers[{i}] ({}): the HPA reads cpu and memory from pods, which a \
                 simulation has none of",
                t.type_
            )
        })
        .collect();
    if !resource.is_empty() {
        return Err(resource);
    }
    let connections = Connections::new(kedars_scalers::scaler::DEFAULT_TIMEOUT);
    let mut runtime = build::runtime(so.clone(), contexts, &connections)?;
    let mut triggers = Vec::new();
    let mut warnings = Vec::new();
    for slot in runtime.triggers.iter_mut() {
        let ctx = contexts[slot.index]
            .as_ref()
            .ok_or_else(|| vec![format!("spec.triggers[{}]: not resolved", slot.index)])?;
        let scaler = scaler_for(ctx, slot, trace, &connections, &mut warnings)?;
        *slot = Arc::new(TriggerRuntime::new(
            slot.index,
            slot.name.clone(),
            scaler.clone(),
        ));
        triggers.push(SimTrigger {
            index: slot.index,
            name: slot.name.clone(),
            trigger_type: ctx.trigger_type.clone(),
            metric: slot.metric.clone(),
            scaler,
        });
    }
    let metrics: Vec<TriggerMetric> = triggers
        .iter()
        .map(|t| TriggerMetric::External(t.metric.clone()))
        .collect();
    let hpa = hpa::build_hpa(&so, &metrics, env!("CARGO_PKG_VERSION"))
        .map_err(|e| vec![e.to_string()])?
        .spec
        .unwrap_or_default();
    Ok(Simulation {
        runtime,
        hpa,
        triggers,
        warnings,
    })
}

/// The trigger's own scaler when its reading is a function of the time; else its trace.
fn scaler_for(
    ctx: &TriggerContext,
    slot: &TriggerRuntime,
    trace: &Trace,
    connections: &Arc<Connections>,
    warnings: &mut Vec<String>,
) -> Result<Arc<dyn Scaler>, Vec<String>> {
    let own: Arc<dyn Scaler> = kedars_scalers::build(ctx, connections)
        .map_err(|e| vec![format!("spec.triggers[{}]: {e}", slot.index)])?
        .into();
    if own.time_based().is_some() {
        return Ok(own);
    }
    let rows = trace.of(slot.index, slot.name.as_deref());
    if rows.is_empty() {
        warnings.push(format!(
            "trigger {} ({}): the trace has no rows for it (by name or index), so its source \
             fails throughout",
            slot.index, ctx.trigger_type
        ));
    }
    Ok(Arc::new(TraceScaler::new(ctx, slot.metric.clone(), rows)))
}

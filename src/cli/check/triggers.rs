//! Each trigger's parse step, offline: what metric it feeds the HPA, and, for time-based
//! triggers at a given instant, its value and activity.

use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use chrono::{DateTime, Utc};
use kedars_scalers::{Connections, Scaler, TriggerContext};
use serde::Serialize;

use super::report::{CheckOptions, ObjectReport};
use crate::api::ScaleTrigger;
use crate::controller::hpa::TriggerMetric;
use crate::controller::resource_metrics::{self, ResourceTarget};
use crate::resolve::{Problem, ResolveError, Resolved};

/// One metric of one trigger, as `kedars check` reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerReport {
    pub index: usize,
    #[serde(rename = "type")]
    pub trigger_type: String,
    pub name: Option<String>,
    pub metric_name: Option<String>,
    pub metric_type: Option<String>,
    pub target: Option<String>,
    pub active: Option<bool>,
    pub value: Option<String>,
    /// With `--next`: the trigger's next changes, when it is time-based.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<Vec<super::next::NextChange>>,
}

impl TriggerReport {
    pub fn unbuilt(index: usize, trigger: &ScaleTrigger) -> Self {
        TriggerReport {
            index,
            trigger_type: trigger.type_.clone(),
            name: trigger.name.clone(),
            metric_name: None,
            metric_type: None,
            target: None,
            active: None,
            value: None,
            next: None,
        }
    }
}

/// What one trigger became: its report rows and HPA metrics, or the reason it failed.
pub struct Built {
    pub reports: Vec<TriggerReport>,
    pub metrics: Vec<TriggerMetric>,
    pub errors: Vec<String>,
}

/// Runs a resolved trigger's parse step. `cpu`/`memory` become resource metrics; every other
/// type goes through the scaler registry, which does no I/O.
pub fn build(
    ctx: &TriggerContext,
    trigger: &ScaleTrigger,
    connections: &Arc<Connections>,
    options: &CheckOptions,
    resources_allowed: bool,
) -> Built {
    let mut built = Built {
        reports: Vec::new(),
        metrics: Vec::new(),
        errors: Vec::new(),
    };
    let prefix = format!("trigger {} ({})", ctx.index, ctx.trigger_type);
    if resource_metrics::is_resource_trigger(&ctx.trigger_type) {
        if !resources_allowed {
            built.errors.push(format!(
                "{prefix}: cpu and memory triggers are not supported in a ScaledJob"
            ));
        } else {
            build_resource(ctx.index, trigger, &prefix, &mut built);
        }
        return built;
    }
    match kedars_scalers::build(ctx, connections) {
        Ok(scaler) => {
            for spec in scaler.metric_specs() {
                let mut report = TriggerReport::unbuilt(ctx.index, trigger);
                report.metric_name = Some(spec.name.clone());
                report.metric_type = Some(spec.metric_type.to_string());
                report.target = Some(spec.target.to_string());
                // Time-based readings are pure functions of the time: no network is touched.
                let time_based = scaler.time_based().is_some();
                if let Some(at) = options.at.filter(|_| time_based) {
                    evaluate(
                        scaler.as_ref(),
                        &spec.name,
                        at,
                        &prefix,
                        &mut report,
                        &mut built.errors,
                    );
                }
                if let Some((after, n)) = options.next {
                    report.next = super::next::changes(scaler.as_ref(), spec, after, n);
                }
                built.reports.push(report);
                built.metrics.push(TriggerMetric::External(spec.clone()));
            }
        }
        Err(err) => built.errors.push(format!("{prefix}: {err}")),
    }
    built
}

fn build_resource(index: usize, trigger: &ScaleTrigger, prefix: &str, built: &mut Built) {
    match resource_metrics::parse(trigger) {
        Ok(metric) => {
            let mut report = TriggerReport::unbuilt(index, trigger);
            report.metric_name = Some(metric.resource.clone());
            let (metric_type, target) = match &metric.target {
                ResourceTarget::Utilization(percent) => ("Utilization", percent.to_string()),
                ResourceTarget::AverageValue(quantity) => ("AverageValue", quantity.clone()),
            };
            report.metric_type = Some(metric_type.to_string());
            report.target = Some(target);
            // Never polled: the HPA reads it from the resource metrics API.
            built.reports.push(report);
            built.metrics.push(TriggerMetric::Resource(metric));
        }
        Err(err) => built.errors.push(format!("{prefix}: {err}")),
    }
}

/// A time-based scaler's reading at `at`. Its query does no I/O, so one poll completes it.
fn evaluate(
    scaler: &dyn Scaler,
    metric: &str,
    at: DateTime<Utc>,
    prefix: &str,
    report: &mut TriggerReport,
    errors: &mut Vec<String>,
) {
    let mut future = pin!(scaler.metrics_and_activity(metric, at));
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(Ok(reading)) => {
            report.active = Some(reading.active);
            report.value = Some(reading.value.to_string());
        }
        Poll::Ready(Err(err)) => errors.push(format!("{prefix}: at {at}: {err}")),
        Poll::Pending => errors.push(format!(
            "{prefix}: cannot be evaluated offline (its reading waits on I/O)"
        )),
    }
}

/// Builds every resolved trigger into `report`; the HPA metrics when all of them built.
pub fn run_all(
    report: &mut ObjectReport,
    resolved: &Resolved,
    triggers: &[ScaleTrigger],
    connections: &Arc<Connections>,
    options: &CheckOptions,
    resources_allowed: bool,
) -> Option<Vec<TriggerMetric>> {
    report
        .errors
        .extend(resolved.errors.iter().map(|e| e.in_object()));
    let mut metrics = Some(Vec::new());
    for (index, (trigger, ctx)) in triggers.iter().zip(&resolved.triggers).enumerate() {
        let ctx = match ctx {
            Ok(ctx) => ctx,
            Err(errors) => {
                let errors = errors
                    .iter()
                    .filter(|e| !already_reported(report, index, e));
                report
                    .errors
                    .extend(errors.map(|e| e.in_object()).collect::<Vec<_>>());
                report.triggers.push(TriggerReport::unbuilt(index, trigger));
                metrics = None;
                continue;
            }
        };
        let built = build(ctx, trigger, connections, options, resources_allowed);
        if built.reports.is_empty() {
            report.triggers.push(TriggerReport::unbuilt(index, trigger));
        }
        report.triggers.extend(built.reports);
        if !built.errors.is_empty() {
            metrics = None;
        }
        report.errors.extend(built.errors);
        if let Some(all) = metrics.as_mut() {
            all.extend(built.metrics);
        }
    }
    metrics
}

/// A bad `metricType` is also a validation error of the ScaledObject; say it once.
fn already_reported(report: &ObjectReport, index: usize, error: &ResolveError) -> bool {
    let field = format!("spec.triggers[{index}].metricType");
    matches!(error.problem, Problem::InvalidMetricType { .. })
        && report.errors.iter().any(|e| e.starts_with(&field))
}

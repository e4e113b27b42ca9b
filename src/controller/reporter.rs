//! What the polling loops found, written back to the cluster: each PollReport becomes a status
//! merge patch (only when something changed) and the Events KEDA emits for activation,
//! deactivation and fallback. Loops hand reports over a channel and never wait on the API server.

use std::sync::Arc;

use kube::api::{Patch, PatchParams};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Api, ResourceExt};
use tokio::sync::mpsc;

use super::context::Context;
use super::metrics::OperatorMetrics;
use super::status;
use crate::api::ScaledObject;
use crate::engine::executor::ScaleReason;
use crate::engine::state::ObjectKey;
use crate::engine::target::{PollReport, Reporter};
use crate::feed::hub::FeedHub;

/// The loops' side: records metrics, pushes values to the metrics feed and hands the report
/// on; never blocks.
pub struct ChannelReporter {
    pub reports: mpsc::UnboundedSender<PollReport>,
    pub metrics: Arc<OperatorMetrics>,
    pub feed: Arc<FeedHub>,
}

impl Reporter for ChannelReporter {
    fn report(&self, report: &PollReport) {
        self.metrics.record_poll(report);
        self.feed.publish(report);
        let _ = self.reports.send(report.clone());
    }

    fn removed(&self, key: &ObjectKey) {
        self.feed.remove(key);
    }
}

/// The cluster's side: patches status and publishes events until the channel closes.
pub async fn write_back(
    mut reports: mpsc::UnboundedReceiver<PollReport>,
    store: Store<ScaledObject>,
    ctx: Arc<Context>,
) {
    let mut capacity = super::scheduled_capacity::CapacityWatch::default();
    while let Some(report) = reports.recv().await {
        // A loop stopped since (paused, deleted, broken) has no say any more: its last reports
        // would overwrite what stopped it.
        if ctx.engine.get(&report.key).is_none() {
            continue;
        }
        let key = ObjectRef::new(&report.key.name).within(&report.key.namespace);
        let Some(so) = store.get(&key) else { continue };
        if let Err(e) = write_one(&so, &report, &ctx).await {
            tracing::warn!(scaled_object = %report.key, error = %e, "cannot write poll results");
        }
        capacity.observe(&so, &report, &ctx).await;
    }
}

async fn write_one(
    so: &ScaledObject,
    report: &PollReport,
    ctx: &Context,
) -> Result<(), kube::Error> {
    let before = so.status.clone().unwrap_or_default();
    let fallback_configured = crate::engine::fallback::policy(&so.spec).is_some();
    // A failed status write must not swallow the Events of what was done: the next poll
    // writes the status again, but a scale action is reported only once.
    let api: Api<ScaledObject> = Api::namespaced(ctx.client.clone(), &report.key.namespace);
    let written = write_status(&api, so, report, fallback_configured).await;
    if let Some((action, result)) = &report.scaled {
        let kind = so
            .spec
            .scale_target_ref
            .kind
            .clone()
            .unwrap_or_else(|| "Deployment".into());
        let target = format!(
            "{kind} {}/{}",
            report.key.namespace, so.spec.scale_target_ref.name
        );
        let (reason, note, warning) = match (action.reason, result) {
            (ScaleReason::Activate, Ok(())) => (
                "KEDAScaleTargetActivated",
                format!(
                    "Scaled {target} from {} to {}, triggered by {}",
                    action.from,
                    action.to,
                    active_metrics(report)
                ),
                false,
            ),
            (ScaleReason::Activate, Err(e)) => (
                "KEDAScaleTargetActivationFailed",
                format!(
                    "Failed to scaled {target} from {} to {}: {e}",
                    action.from, action.to
                ),
                true,
            ),
            (_, Ok(())) => (
                "KEDAScaleTargetDeactivated",
                format!("Deactivated {target} from {} to {}", action.from, action.to),
                false,
            ),
            (_, Err(e)) => (
                "KEDAScaleTargetDeactivationFailed",
                format!(
                    "Failed to deactivated {target} from {} to {}: {e}",
                    action.from, action.to
                ),
                true,
            ),
        };
        ctx.event(so, warning, reason, note).await;
    }
    let was = before
        .conditions
        .as_ref()
        .and_then(|c| c.iter().find(|c| c.type_ == "Fallback"))
        .map(|c| c.status == "True");
    let is = report.state.fallback_active;
    if fallback_configured && was != Some(is) && (is || was == Some(true)) {
        let (reason, note) = if is {
            (
                "ScaledObjectFallbackActivated",
                "Fallback activated: at least one trigger failed past its failureThreshold",
            )
        } else {
            (
                "ScaledObjectFallbackDeactivated",
                "Fallback deactivated: every trigger answers again",
            )
        };
        ctx.event(so, is, reason, note).await;
    }
    written
}

/// The status `report` leads to, written with the resourceVersion it was computed from (the
/// conditions are one list: a stale copy would undo a reconcile's write). On a conflict it is
/// recomputed from a fresh read, as KEDA's `handleResult` retries on conflict.
async fn write_status(
    api: &Api<ScaledObject>,
    so: &ScaledObject,
    report: &PollReport,
    fallback_configured: bool,
) -> Result<(), kube::Error> {
    let mut current = so.clone();
    for attempt in 0..3 {
        let before = current.status.clone().unwrap_or_default();
        let after = status::after_poll(&before, report, fallback_configured);
        let Some(mut patch) = status::patch(&before, &after) else {
            return Ok(());
        };
        patch["metadata"] = serde_json::json!({ "resourceVersion": current.resource_version() });
        let name = so.name_any();
        match api
            .patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
        {
            Ok(_) => return Ok(()),
            Err(kube::Error::Api(s)) if s.code == 409 && attempt < 2 => {
                current = api.get(&name).await?;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn active_metrics(report: &PollReport) -> String {
    let names: Vec<&str> = report
        .state
        .triggers
        .iter()
        .filter(|t| t.active)
        .map(|t| t.metric_name.as_str())
        .collect();
    names.join(";")
}

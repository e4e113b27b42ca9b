//! Deleting a ScaledObject (KEDA `scaledobject_finalizer.go`, §2.9): stop its loop, restore the
//! original replicas when asked, drop the finalizer. The HPA goes with its owner reference.

use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};

use super::context::{Context, FINALIZER, key_of};
use crate::api::ScaledObject;
use crate::engine::target::ScaleTarget;

pub async fn finalize(
    so: &ScaledObject,
    api: &Api<ScaledObject>,
    ctx: &Context,
) -> Result<(), kube::Error> {
    if !so.finalizers().iter().any(|f| f == FINALIZER) {
        return Ok(());
    }
    let key = key_of(so);
    ctx.engine.remove(&key);
    ctx.started
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&key);
    let restore = so
        .spec
        .advanced
        .as_ref()
        .and_then(|a| a.restore_to_original_replica_count)
        .unwrap_or(false);
    let status = so.status.as_ref();
    let original = status
        .filter(|s| s.scale_target_gvkr.is_some())
        .and_then(|s| s.original_replica_count);
    if let (true, Some(replicas)) = (restore, original) {
        // KEDA only logs a failure here: the ScaledObject must still go away.
        if let Err(e) = ctx.scale.scale(so, replicas).await {
            tracing::warn!(scaled_object = %key, error = %e, "cannot restore the original replica count");
        }
    }
    let finalizers: Vec<String> = so
        .finalizers()
        .iter()
        .filter(|f| *f != FINALIZER)
        .cloned()
        .collect();
    let patch = serde_json::json!({
        "metadata": { "finalizers": finalizers, "resourceVersion": so.resource_version() }
    });
    api.patch(
        &so.name_any(),
        &PatchParams::default(),
        &Patch::Merge(&patch),
    )
    .await?;
    ctx.event(so, true, "ScaledObjectDeleted", "ScaledObject was deleted")
        .await;
    Ok(())
}

//! Pausing by annotation (§2.7): `paused` or `paused-replicas` stop the loop, delete the HPA and
//! (for paused-replicas) hold the workload at that count; removing them resumes.

use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use kube::{Api, ResourceExt};

use super::context::{Context, delete_if_present, key_of};
use super::reconcile::patch_status;
use super::status::condition;
use crate::api::ScaledObject;
use crate::api::conditions;
use crate::engine::target::ScaleTarget;

fn is_paused(so: &ScaledObject) -> bool {
    let conds = so.status.as_ref().and_then(|s| s.conditions.as_ref());
    conds.is_some_and(|c| {
        c.iter()
            .any(|c| c.type_ == conditions::PAUSED && c.status == "True")
    })
}

pub async fn pause(
    so: &ScaledObject,
    api: &Api<ScaledObject>,
    ctx: &Context,
    replicas: Option<i32>,
) -> Result<(), kube::Error> {
    let key = key_of(so);
    ctx.metrics.set_paused(&key.namespace, &key.name, true);
    ctx.engine.remove(&key);
    ctx.started
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&key);
    let hpas: Api<HorizontalPodAutoscaler> = Api::namespaced(ctx.client.clone(), &key.namespace);
    delete_if_present(&hpas, &so.hpa_name()).await?;
    if let Some(replicas) = replicas
        && let Err(e) = ctx.scale.scale(so, replicas).await
    {
        tracing::warn!(scaled_object = %key, error = %e, "cannot scale to the paused replicas");
    }
    let mut status = so.status.clone().unwrap_or_default();
    let mut conds = status.conditions.take().unwrap_or_else(conditions::initial);
    conditions::set(
        &mut conds,
        condition(
            conditions::PAUSED,
            "True",
            "ScaledObjectPaused",
            "ScaledObject is paused",
        ),
    );
    conditions::set(
        &mut conds,
        condition(
            conditions::READY,
            "True",
            "ScaledObjectReady",
            "ScaledObject is paused",
        ),
    );
    status.conditions = Some(conds);
    status.paused_replica_count = replicas;
    let newly = !is_paused(so);
    patch_status(api, so, &status).await?;
    if newly {
        ctx.event(so, false, "ScaledObjectPaused", "ScaledObject is paused")
            .await;
    }
    Ok(())
}

pub async fn unpause_if_paused(
    so: &ScaledObject,
    api: &Api<ScaledObject>,
    ctx: &Context,
) -> Result<(), kube::Error> {
    if !is_paused(so) {
        return Ok(());
    }
    let key = key_of(so);
    ctx.metrics.set_paused(&key.namespace, &key.name, false);
    let mut status = so.status.clone().unwrap_or_default();
    let mut conds = status.conditions.take().unwrap_or_else(conditions::initial);
    conditions::set(
        &mut conds,
        condition(
            conditions::PAUSED,
            "False",
            "ScaledObjectUnpaused",
            "pause annotation removed for ScaledObject",
        ),
    );
    status.conditions = Some(conds);
    status.paused_replica_count = None;
    // A merge patch leaves absent fields alone: remove pausedReplicaCount explicitly.
    let mut patch = serde_json::json!({ "status": status });
    patch["status"]["pausedReplicaCount"] = serde_json::Value::Null;
    api.patch_status(
        &so.name_any(),
        &kube::api::PatchParams::default(),
        &kube::api::Patch::Merge(&patch),
    )
    .await?;
    ctx.event(
        so,
        false,
        "ScaledObjectUnpaused",
        "pause annotation removed for ScaledObject",
    )
    .await;
    Ok(())
}

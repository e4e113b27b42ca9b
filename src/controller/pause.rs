//! Pausing by annotation (§2.7): `paused` or `paused-replicas` stop the loop, delete the HPA and
//! (for paused-replicas) hold the workload at that count; `paused-scale-in`/`-out` only set the
//! Paused condition (the HPA builder and the executor honour them); removing them resumes.

use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use kube::{Api, ResourceExt};

use super::context::{Context, delete_if_present, key_of};
use super::reconcile::patch_status;
use super::status::condition;
use crate::api::annotations::Pause;
use crate::api::conditions;
use crate::api::{ScaledObject, ScaledObjectStatus};
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

/// The ScaledObject is not fully paused: Paused True (`ScaledObjectPaused`) while
/// paused-scale-in or paused-scale-out is set, as KEDA does (loop and HPA keep running), and
/// Paused False (`ScaledObjectUnpaused`) once every pause annotation is gone. Returns the
/// ScaledObject as written, which the rest of the reconcile must build on: a stale copy would
/// write the old Paused condition back.
pub async fn settle(
    so: &ScaledObject,
    api: &Api<ScaledObject>,
    ctx: &Context,
    pause: &Pause,
) -> Result<ScaledObject, kube::Error> {
    let partial = pause.scale_in_paused || pause.scale_out_paused;
    let was_paused = is_paused(so);
    let current = so.status.clone().unwrap_or_default();
    let Some(status) = settled_status(&current, partial) else {
        return Ok(so.clone());
    };
    let key = key_of(so);
    // keda_scaled_object_paused is about the full pause, which is over.
    ctx.metrics.set_paused(&key.namespace, &key.name, false);
    // A merge patch leaves absent fields alone: remove pausedReplicaCount explicitly.
    let mut patch = serde_json::json!({
        "metadata": { "resourceVersion": so.resource_version() },
        "status": status,
    });
    patch["status"]["pausedReplicaCount"] = serde_json::Value::Null;
    let updated = api
        .patch_status(
            &so.name_any(),
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(&patch),
        )
        .await?;
    match (was_paused, partial) {
        (false, true) => {
            ctx.event(so, false, "ScaledObjectPaused", "ScaledObject is paused")
                .await
        }
        (true, false) => {
            ctx.event(
                so,
                false,
                "ScaledObjectUnpaused",
                "pause annotation removed for ScaledObject",
            )
            .await
        }
        _ => {}
    }
    Ok(updated)
}

/// The status with the Paused condition `partial` calls for and no pausedReplicaCount; `None`
/// when that is the status already (nothing to write).
fn settled_status(current: &ScaledObjectStatus, partial: bool) -> Option<ScaledObjectStatus> {
    let paused = current
        .conditions
        .as_ref()
        .and_then(|c| c.iter().find(|c| c.type_ == conditions::PAUSED))
        .is_some_and(|c| c.status == "True");
    if paused == partial && current.paused_replica_count.is_none() {
        return None;
    }
    if !paused && !partial {
        return None;
    }
    let mut status = current.clone();
    let mut conds = status.conditions.take().unwrap_or_else(conditions::initial);
    let condition = if partial {
        condition(
            conditions::PAUSED,
            "True",
            "ScaledObjectPaused",
            "ScaledObject is paused",
        )
    } else {
        condition(
            conditions::PAUSED,
            "False",
            "ScaledObjectUnpaused",
            "pause annotation removed for ScaledObject",
        )
    };
    conditions::set(&mut conds, condition);
    status.conditions = Some(conds);
    status.paused_replica_count = None;
    Some(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_paused(status: &str, replicas: Option<i32>) -> ScaledObjectStatus {
        let mut conds = conditions::initial();
        conditions::set(
            &mut conds,
            condition(conditions::PAUSED, status, "ScaledObjectPaused", "x"),
        );
        ScaledObjectStatus {
            conditions: Some(conds),
            paused_replica_count: replicas,
            ..ScaledObjectStatus::default()
        }
    }

    fn paused_of(status: &ScaledObjectStatus) -> (String, Option<String>) {
        let c = status
            .conditions
            .as_ref()
            .unwrap()
            .iter()
            .find(|c| c.type_ == conditions::PAUSED)
            .unwrap();
        (c.status.clone(), c.reason.clone())
    }

    #[test]
    fn scale_in_or_out_pauses_and_removal_unpauses() {
        // (what, current status, scale-in/out paused, expected Paused status and reason)
        type Row = (
            &'static str,
            ScaledObjectStatus,
            bool,
            Option<(&'static str, &'static str)>,
        );
        let rows: Vec<Row> = vec![
            (
                "never paused, nothing set",
                ScaledObjectStatus::default(),
                false,
                None,
            ),
            (
                "initial conditions, nothing set",
                with_paused("False", None),
                false,
                None,
            ),
            (
                "scale-in set",
                with_paused("False", None),
                true,
                Some(("True", "ScaledObjectPaused")),
            ),
            ("scale-in still set", with_paused("True", None), true, None),
            (
                "full pause to scale-in: the paused replicas go",
                with_paused("True", Some(2)),
                true,
                Some(("True", "ScaledObjectPaused")),
            ),
            (
                "every annotation removed",
                with_paused("True", Some(2)),
                false,
                Some(("False", "ScaledObjectUnpaused")),
            ),
        ];
        for (what, current, partial, want) in rows {
            let got = settled_status(&current, partial);
            match (got, want) {
                (None, None) => {}
                (Some(status), Some((s, reason))) => {
                    assert_eq!(
                        paused_of(&status),
                        (s.to_string(), Some(reason.into())),
                        "{what}"
                    );
                    assert_eq!(status.paused_replica_count, None, "{what}");
                }
                (got, want) => panic!("{what}: got {got:?}, want {want:?}"),
            }
        }
    }
}

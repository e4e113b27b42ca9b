//! Reconciling one ScaledObject (KEDA `scaledobject_controller.go`, §2.1): finalizer and name
//! label, pause, validation, the scale target, auth, the scalers, the HPA, the polling loop, and
//! the status that says how it went.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use kube::api::{Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::{Api, ResourceExt};

use super::context::{Context, FIELD_MANAGER, FINALIZER, delete_if_present, key_of};
use super::hpa::{self, TriggerMetric};
use super::resource_metrics;
use super::scale::ReadError;
use super::status::condition;
use super::{finalize, objects, pause};
use crate::api::annotations::SCALED_OBJECT_NAME_LABEL;
use crate::api::conditions::{self, Condition};
use crate::api::validation::{self, Neighbours};
use crate::api::{ScaledObject, ScaledObjectStatus};
use crate::engine::build;
use crate::resolve::{self, ResolveOptions};

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("{0}")]
    Check(String),
    #[error("kubernetes API: {0}")]
    Kube(#[from] kube::Error),
}

pub async fn reconcile(so: Arc<ScaledObject>, ctx: Arc<Context>) -> Result<Action, ReconcileError> {
    let namespace = so.namespace().unwrap_or_else(|| "default".into());
    if !ctx.watches(&namespace) {
        return Ok(Action::await_change());
    }
    let api: Api<ScaledObject> = Api::namespaced(ctx.client.clone(), &namespace);
    if so.metadata.deletion_timestamp.is_some() {
        finalize::finalize(&so, &api, &ctx).await?;
        return Ok(Action::await_change());
    }
    let so = ensure_finalizer_and_label(so, &api).await?;
    match reconcile_live(&so, &api, &ctx).await {
        Ok(action) => {
            ctx.failures
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&key_of(&so));
            Ok(action)
        }
        Err(ReconcileError::Check(message)) => {
            stop_loop(&so, &ctx);
            check_failed(&so, &api, &ctx, &message).await?;
            Err(ReconcileError::Check(message))
        }
        Err(e) => Err(e),
    }
}

/// A ScaledObject that cannot run as written is not polled by an older version of itself: that
/// loop would scale by a spec that is gone and declare it Ready at every poll, against the
/// check that just failed. (KEDA's loop stops acting too: its scalers cannot be rebuilt for the
/// new generation.) The HPA stays; the fixed spec starts a new loop.
fn stop_loop(so: &ScaledObject, ctx: &Context) {
    let key = key_of(so);
    if ctx.engine.remove(&key) {
        ctx.started
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key);
    }
}

/// Returns the ScaledObject as written: later writes carry its resourceVersion.
async fn ensure_finalizer_and_label(
    so: Arc<ScaledObject>,
    api: &Api<ScaledObject>,
) -> Result<Arc<ScaledObject>, kube::Error> {
    let has_finalizer = so.finalizers().iter().any(|f| f == FINALIZER);
    let labelled = so.labels().get(SCALED_OBJECT_NAME_LABEL) == Some(&so.name_any());
    if has_finalizer && labelled {
        return Ok(so);
    }
    let mut finalizers = so.finalizers().to_vec();
    if !has_finalizer {
        finalizers.push(FINALIZER.to_string());
    }
    let patch = serde_json::json!({
        "metadata": {
            "finalizers": finalizers,
            "labels": { SCALED_OBJECT_NAME_LABEL: so.name_any() },
            "resourceVersion": so.resource_version(),
        }
    });
    let patched = api
        .patch(
            &so.name_any(),
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await?;
    Ok(Arc::new(patched))
}

async fn reconcile_live(
    so: &ScaledObject,
    api: &Api<ScaledObject>,
    ctx: &Context,
) -> Result<Action, ReconcileError> {
    let pause = crate::api::annotations::pause(&so.annotations().clone())
        .map_err(|e| ReconcileError::Check(e.to_string()))?;
    if pause.paused {
        pause::pause(so, api, ctx, pause.paused_replicas).await?;
        return Ok(Action::await_change());
    }
    let so = &pause::settle(so, api, ctx, &pause).await?;
    let validation = validation::validate_scaled_object(so, &Neighbours::default());
    if !validation.errors.is_empty() {
        return Err(ReconcileError::Check(validation.errors.join("; ")));
    }
    let gvkr = ctx.scale.resolve(so).await.map_err(ReconcileError::Check)?;
    let replicas = ctx.scale.read_replicas(so).await.map_err(|e| match e {
        ReadError::Target(message) => ReconcileError::Check(message),
        ReadError::Api(e) => ReconcileError::Kube(e),
    })?;
    let recorded = record_target(api, so, &gvkr, replicas).await?;
    let so = &recorded;
    let objects = objects::fetch(&ctx.client, so, &ctx.config.cluster_object_namespace).await?;
    let options = ResolveOptions {
        cluster_object_namespace: ctx.config.cluster_object_namespace.clone(),
    };
    let resolved = resolve::resolve_scaled_object(&objects, so, &options);
    let mut problems: Vec<String> = resolved.errors.iter().map(|e| e.to_string()).collect();
    let contexts: Vec<_> = resolved
        .triggers
        .into_iter()
        .map(|t| {
            t.map_err(|errors| problems.extend(errors.iter().map(|e| e.to_string())))
                .ok()
        })
        .collect();
    if !problems.is_empty() {
        return Err(ReconcileError::Check(problems.join("; ")));
    }
    let runtime = build::runtime(so.clone(), &contexts, &ctx.connections)
        .map_err(|p| ReconcileError::Check(p.join("; ")))?;
    let metrics = trigger_metrics(so, &runtime);
    let built = hpa::build_hpa(so, &metrics, &ctx.config.version)
        .map_err(|e| ReconcileError::Check(e.to_string()))?;
    apply_hpa(so, &built, ctx).await?;
    start_loop(so, objects.versions(), runtime, ctx).await;
    let status = ready_status(so, &gvkr, replicas, &metrics, &built);
    patch_status(api, so, &status).await?;
    if !is_ready(so.status.as_ref()) && is_ready(Some(&status)) {
        ctx.event(
            so,
            false,
            "ScaledObjectReady",
            "ScaledObject is ready for scaling",
        )
        .await;
    }
    Ok(Action::requeue(Duration::from_secs(300)))
}

fn trigger_metrics(
    so: &ScaledObject,
    runtime: &crate::engine::scaled_object::ScaledObjectRuntime,
) -> Vec<TriggerMetric> {
    let mut polled = runtime.triggers.iter();
    so.spec
        .triggers
        .iter()
        .filter_map(|t| {
            if resource_metrics::is_resource_trigger(&t.type_) {
                resource_metrics::parse(t).ok().map(TriggerMetric::Resource)
            } else {
                polled
                    .next()
                    .map(|r| TriggerMetric::External(r.metric.clone()))
            }
        })
        .collect()
}

/// Creates or updates the HPA by server-side apply; removes the previous one after a rename.
async fn apply_hpa(
    so: &ScaledObject,
    built: &HorizontalPodAutoscaler,
    ctx: &Context,
) -> Result<(), kube::Error> {
    let namespace = so.namespace().unwrap_or_else(|| "default".into());
    let api: Api<HorizontalPodAutoscaler> = Api::namespaced(ctx.client.clone(), &namespace);
    let name = built.name_any();
    let mut body = serde_json::to_value(built).expect("an HPA serialises");
    body["apiVersion"] = "autoscaling/v2".into();
    body["kind"] = "HorizontalPodAutoscaler".into();
    api.patch(
        &name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(&body),
    )
    .await?;
    let previous = so.status.as_ref().and_then(|s| s.hpa_name.clone());
    if let Some(previous) = previous.filter(|p| p != &name) {
        delete_if_present(&api, &previous).await?;
    }
    Ok(())
}

/// (Re)starts the polling loop when the ScaledObject's generation or annotations changed.
/// What a polling loop is built from: the ScaledObject's generation and annotations, and the
/// versions of the objects it refers to (TriggerAuthentications, Secrets, ConfigMaps, the
/// workload's environment). A change of any of them restarts the loop with the new values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopInputs {
    generation: Option<i64>,
    annotations: String,
    referenced: String,
}

async fn start_loop(
    so: &ScaledObject,
    referenced: String,
    runtime: crate::engine::scaled_object::ScaledObjectRuntime,
    ctx: &Context,
) {
    let key = key_of(so);
    let fingerprint = LoopInputs {
        generation: so.metadata.generation,
        annotations: format!("{:?}", so.metadata.annotations),
        referenced,
    };
    let first_start = {
        let mut started = ctx.started.lock().unwrap_or_else(|e| e.into_inner());
        if started.get(&key) == Some(&fingerprint) && ctx.engine.get(&key).is_some() {
            return;
        }
        started.insert(key.clone(), fingerprint).is_none()
    };
    ctx.engine.upsert(runtime);
    if first_start {
        ctx.event(so, false, "KEDAScalersStarted", "Started scalers watch")
            .await;
    }
}

/// The scale target in the status, and the replicas it had before the first reconcile.
fn target_status(
    mut status: ScaledObjectStatus,
    gvkr: &crate::api::scaled_object::GroupVersionKindResource,
    replicas: i32,
) -> ScaledObjectStatus {
    let group_version = if gvkr.group.is_empty() {
        gvkr.version.clone()
    } else {
        format!("{}/{}", gvkr.group, gvkr.version)
    };
    status.scale_target_kind = Some(format!("{group_version}.{}", gvkr.kind));
    status.scale_target_gvkr = Some(gvkr.clone());
    status.original_replica_count.get_or_insert(replicas);
    status
}

/// Records the target (and `originalReplicaCount`) before any loop may scale it, as KEDA does:
/// were this written together with the rest, a poll scaling to zero in between would make a
/// retried reconcile record zero as the original count. Returns the ScaledObject as written.
async fn record_target(
    api: &Api<ScaledObject>,
    so: &ScaledObject,
    gvkr: &crate::api::scaled_object::GroupVersionKindResource,
    replicas: i32,
) -> Result<ScaledObject, kube::Error> {
    let current = so.status.clone().unwrap_or_default();
    let status = target_status(current.clone(), gvkr, replicas);
    if status == current {
        return Ok(so.clone());
    }
    let patch = serde_json::json!({
        "metadata": { "resourceVersion": so.resource_version() },
        "status": {
            "scaleTargetKind": status.scale_target_kind,
            "scaleTargetGVKR": status.scale_target_gvkr,
            "originalReplicaCount": status.original_replica_count,
        },
    });
    api.patch_status(
        &so.name_any(),
        &PatchParams::default(),
        &Patch::Merge(&patch),
    )
    .await
}

fn ready_status(
    so: &ScaledObject,
    gvkr: &crate::api::scaled_object::GroupVersionKindResource,
    replicas: i32,
    metrics: &[TriggerMetric],
    built: &HorizontalPodAutoscaler,
) -> ScaledObjectStatus {
    let mut status = target_status(so.status.clone().unwrap_or_default(), gvkr, replicas);
    status.external_metric_names = Some(
        metrics
            .iter()
            .filter_map(|m| match m {
                TriggerMetric::External(s) => Some(s.name.clone()),
                _ => None,
            })
            .collect(),
    );
    let resources: Vec<String> = metrics
        .iter()
        .filter_map(|m| match m {
            TriggerMetric::Resource(r) if r.container.is_none() => Some(r.resource.clone()),
            _ => None,
        })
        .collect();
    status.resource_metric_names = (!resources.is_empty()).then_some(resources);
    status.composite_scaler_name = so
        .spec
        .scaling_modifiers()
        .map(|_| hpa::COMPOSITE_METRIC_NAME.to_string());
    status.hpa_name = Some(built.name_any());
    status.triggers_types = Some(unique_joined(
        so.spec.triggers.iter().map(|t| t.type_.clone()),
    ));
    let auths = unique_joined(
        so.spec
            .triggers
            .iter()
            .filter_map(|t| t.authentication_ref.as_ref().map(|a| a.name.clone())),
    );
    status.authentications_types = (!auths.is_empty()).then_some(auths);
    let mut conds = status.conditions.take().unwrap_or_else(conditions::initial);
    set_ready(&mut conds);
    if crate::engine::fallback::policy(&so.spec).is_none() {
        conditions::set(&mut conds, super::status::fallback_condition(false));
    }
    status.conditions = Some(conds);
    status
}

/// Ready True after a successful reconcile, except over a trigger error: those are the polling
/// loop's to report and to clear (a poll without error sets Ready True again). A reconcile,
/// which here follows every change of the status or the HPA, must not paper over them between
/// two polls.
fn set_ready(conds: &mut Vec<Condition>) {
    let trigger_error = conds.iter().any(|c| {
        c.type_ == conditions::READY
            && matches!(
                c.reason.as_deref(),
                Some("TriggerError" | "PartialTriggerError")
            )
    });
    if !trigger_error {
        conditions::set(
            conds,
            condition(
                conditions::READY,
                "True",
                "ScaledObjectReady",
                "ScaledObject is defined correctly and is ready for scaling",
            ),
        );
    }
}

fn is_ready(status: Option<&ScaledObjectStatus>) -> bool {
    status.and_then(|s| s.conditions.as_ref()).is_some_and(|c| {
        c.iter()
            .any(|c| c.type_ == conditions::READY && c.status == "True")
    })
}

fn unique_joined(items: impl Iterator<Item = String>) -> String {
    let mut seen: Vec<String> = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen.join(",")
}

/// Writes `status` unless `so` has it already. The patch carries `so`'s resourceVersion: the
/// conditions are one list, so a status computed from a stale copy would undo what a poll
/// wrote meanwhile; a conflict instead waits for the newer version (and its reconcile).
pub async fn patch_status(
    api: &Api<ScaledObject>,
    so: &ScaledObject,
    status: &ScaledObjectStatus,
) -> Result<(), kube::Error> {
    if so.status.as_ref() == Some(status) {
        return Ok(());
    }
    let patch = serde_json::json!({
        "metadata": { "resourceVersion": so.resource_version() },
        "status": status,
    });
    api.patch_status(
        &so.name_any(),
        &PatchParams::default(),
        &Patch::Merge(&patch),
    )
    .await?;
    Ok(())
}

/// Ready False `ScaledObjectCheckFailed`, Active Unknown, and a Warning event.
async fn check_failed(
    so: &ScaledObject,
    api: &Api<ScaledObject>,
    ctx: &Context,
    message: &str,
) -> Result<(), kube::Error> {
    let mut status = so.status.clone().unwrap_or_default();
    let mut conds: Vec<Condition> = status.conditions.take().unwrap_or_else(conditions::initial);
    conditions::set(
        &mut conds,
        condition(
            conditions::READY,
            "False",
            "ScaledObjectCheckFailed",
            message,
        ),
    );
    conditions::set(
        &mut conds,
        condition(
            conditions::ACTIVE,
            "Unknown",
            "UnknownState",
            "ScaledObject check failed",
        ),
    );
    status.conditions = Some(conds);
    let changed = so.status.as_ref() != Some(&status);
    patch_status(api, so, &status).await?;
    if changed {
        ctx.event(so, true, "ScaledObjectCheckFailed", message)
            .await;
    }
    Ok(())
}

/// Retries a failed reconcile with a backoff doubling per consecutive failure up to 5 minutes:
/// from 5 s when the ScaledObject itself is wrong (only an edit, which reconciles at once, can
/// fix it), from 10 ms when the API server failed (a 409, 500 or 503 is transient; KEDA's
/// controller-runtime retries those within milliseconds).
pub fn error_policy(so: Arc<ScaledObject>, error: &ReconcileError, ctx: Arc<Context>) -> Action {
    let key = key_of(&so);
    let Some(first) = first_retry(error) else {
        tracing::debug!(scaled_object = %key, "conflict: waiting for the newer version");
        return Action::requeue(CONFLICT_RETRY);
    };
    let failures = {
        let mut failures = ctx.failures.lock().unwrap_or_else(|e| e.into_inner());
        let entry = failures.entry(key.clone()).or_insert((first, 0));
        // A failure of the other kind starts its own ladder.
        if entry.0 != first {
            *entry = (first, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        entry.1
    };
    tracing::warn!(scaled_object = %key, failures, error = %error, "reconcile failed");
    Action::requeue(retry_delay(first, failures))
}

/// The first delay of the backoff `error` climbs; `None` for a conflict: our copy is stale and
/// the watch brings the newer version, and with it a reconcile. That is not a failure to back
/// off from (while a watch is down, conflicts would otherwise stack the delay up).
fn first_retry(error: &ReconcileError) -> Option<Duration> {
    match error {
        ReconcileError::Check(_) => Some(CHECK_RETRY),
        ReconcileError::Kube(kube::Error::Api(status)) if status.code == 409 => None,
        ReconcileError::Kube(_) => Some(API_RETRY),
    }
}

const CHECK_RETRY: Duration = Duration::from_secs(5);
const API_RETRY: Duration = Duration::from_millis(10);
const CONFLICT_RETRY: Duration = Duration::from_secs(1);

pub fn retry_delay(first: Duration, failures: u32) -> Duration {
    let factor = 1u32 << failures.saturating_sub(1).min(15);
    first.saturating_mul(factor).min(Duration::from_secs(300))
}

#[cfg(test)]
mod tests {
    use super::{
        API_RETRY, CHECK_RETRY, ReconcileError, condition, conditions, first_retry, retry_delay,
        set_ready,
    };

    #[test]
    fn conflicts_wait_for_the_watch_other_api_errors_retry_soon() {
        let api = |code| {
            ReconcileError::Kube(kube::Error::Api(
                kube::core::Status::failure("m", "r")
                    .with_code(code)
                    .boxed(),
            ))
        };
        assert_eq!(
            first_retry(&ReconcileError::Check("bad".into())),
            Some(CHECK_RETRY)
        );
        assert_eq!(first_retry(&api(500)), Some(API_RETRY));
        assert_eq!(first_retry(&api(409)), None);
    }

    #[test]
    fn a_reconcile_leaves_trigger_errors_to_the_loop() {
        // (Ready before: status, reason) → (Ready after: status, reason)
        let rows = [
            (("Unknown", "Initial"), ("True", "ScaledObjectReady")),
            (
                ("False", "ScaledObjectCheckFailed"),
                ("True", "ScaledObjectReady"),
            ),
            (("False", "TriggerError"), ("False", "TriggerError")),
            (
                ("Unknown", "PartialTriggerError"),
                ("Unknown", "PartialTriggerError"),
            ),
        ];
        for ((status, reason), (want_status, want_reason)) in rows {
            let mut conds = conditions::initial();
            conditions::set(
                &mut conds,
                condition(conditions::READY, status, reason, "m"),
            );
            set_ready(&mut conds);
            let ready = conds.iter().find(|c| c.type_ == conditions::READY).unwrap();
            assert_eq!(
                (ready.status.as_str(), ready.reason.as_deref()),
                (want_status, Some(want_reason)),
                "from {reason}"
            );
        }
    }

    #[test]
    fn retry_backoff_doubles_up_to_five_minutes() {
        let delays: Vec<u128> = (1..=9)
            .map(|n| retry_delay(CHECK_RETRY, n).as_millis())
            .collect();
        assert_eq!(
            delays,
            [5, 10, 20, 40, 80, 160, 300, 300, 300].map(|s| s * 1000)
        );
    }

    #[test]
    fn api_errors_are_retried_sooner() {
        let delays: Vec<u128> = [1, 2, 3, 4, 11, 12, 13, 40]
            .map(|n| retry_delay(API_RETRY, n).as_millis())
            .to_vec();
        assert_eq!(delays, [10, 20, 40, 80, 10_240, 20_480, 40_960, 300_000]);
    }
}

//! What every reconcile and every poll report shares.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kedars_scalers::Connections;
use kube::runtime::events::{Event, EventType, Recorder};
use kube::{Resource, ResourceExt};

use super::scale::ScaleSubresource;
use crate::api::ScaledObject;
use crate::engine::registry::Engine;
use crate::engine::state::ObjectKey;

pub const FINALIZER: &str = "finalizer.keda.sh";
/// KEDA's reporting controller name; dashboards and alerts filter events on it.
pub const REPORTING_CONTROLLER: &str = "keda-operator";
pub const FIELD_MANAGER: &str = "kedars-operator";

#[derive(Debug, Clone)]
pub struct OperatorConfig {
    /// Where ClusterTriggerAuthentications read Secrets (KEDA_CLUSTER_OBJECT_NAMESPACE).
    pub cluster_object_namespace: String,
    /// The `app.kubernetes.io/version` label on HPAs.
    pub version: String,
    /// Namespaces to watch; empty = all.
    pub watch_namespaces: Vec<String>,
}

pub struct Context {
    pub client: kube::Client,
    pub engine: Arc<Engine>,
    pub connections: Arc<Connections>,
    pub scale: Arc<ScaleSubresource>,
    pub recorder: Recorder,
    pub config: OperatorConfig,
    pub metrics: Arc<super::metrics::OperatorMetrics>,
    /// Consecutive failed reconciles per object, for the retry backoff: the first delay of
    /// the kind of failure and how many in a row.
    pub failures: Mutex<HashMap<ObjectKey, (std::time::Duration, u32)>>,
    /// What each running loop was started from: a later reconcile with the same inputs
    /// leaves it running (see `reconcile::LoopInputs`).
    pub started: Mutex<HashMap<ObjectKey, crate::controller::reconcile::LoopInputs>>,
}

impl Context {
    pub async fn event(
        &self,
        so: &ScaledObject,
        warning: bool,
        reason: &str,
        note: impl Into<String>,
    ) {
        let note = note.into();
        // Every Event is also a log line: Events expire after an hour, logs are kept. Notes
        // never hold secret values (they are built from redacted errors).
        let key = key_of(so);
        if warning {
            tracing::warn!(scaled_object = %key, reason, "{note}");
        } else {
            tracing::info!(scaled_object = %key, reason, "{note}");
        }
        let event = Event {
            type_: if warning {
                EventType::Warning
            } else {
                EventType::Normal
            },
            reason: reason.to_string(),
            note: Some(note),
            action: reason.to_string(),
            secondary: None,
        };
        if let Err(e) = self.recorder.publish(&event, &so.object_ref(&())).await {
            tracing::warn!(scaled_object = %so.name_any(), reason, error = %e, "cannot publish event");
        }
    }

    pub fn watches(&self, namespace: &str) -> bool {
        self.config.watch_namespaces.is_empty()
            || self.config.watch_namespaces.iter().any(|n| n == namespace)
    }
}

pub fn key_of(so: &ScaledObject) -> ObjectKey {
    ObjectKey::new(
        so.namespace().unwrap_or_else(|| "default".into()),
        so.name_any(),
    )
}

/// Deletes `name`; an object already gone is not an error.
pub async fn delete_if_present<K>(api: &kube::Api<K>, name: &str) -> Result<(), kube::Error>
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    match api
        .delete(name, &kube::api::DeleteParams::background())
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(e) => Err(e),
    }
}

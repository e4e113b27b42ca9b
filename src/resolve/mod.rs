//! KEDA's resolver (§1.5): for each trigger of a ScaledObject or ScaledJob, the scale target's
//! container environment and the parameters of its (Cluster)TriggerAuthentication, ready for a
//! scaler's parse step.
//!
//! Where objects come from is a small trait, [`ObjectSource`]: loaded manifests for
//! `kedars check`, informer caches in a cluster. Unlike KEDA, which logs a missing
//! TriggerAuthentication, Secret, ConfigMap or key and carries on with empty values, every such
//! reference is an error naming what is missing.

mod auth;
mod env;
mod error;
#[cfg(test)]
mod error_tests;
#[cfg(test)]
mod tests;
mod trigger;

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{ConfigMap, PodSpec, Secret};

use crate::api::{ClusterTriggerAuthentication, TriggerAuthentication};

pub use auth::unsupported_features;
pub use env::{Env, Workload, container_env, expand};
pub use error::{ObjectName, Problem, ResolveError};
pub use trigger::{Resolved, resolve_scaled_job, resolve_scaled_object};

/// Where the resolver reads objects from.
pub trait ObjectSource {
    fn secret(&self, namespace: &str, name: &str) -> Option<Arc<Secret>>;
    fn config_map(&self, namespace: &str, name: &str) -> Option<Arc<ConfigMap>>;
    fn trigger_authentication(
        &self,
        namespace: &str,
        name: &str,
    ) -> Option<Arc<TriggerAuthentication>>;
    fn cluster_trigger_authentication(
        &self,
        name: &str,
    ) -> Option<Arc<ClusterTriggerAuthentication>>;
    /// The pod spec of a scale target (`apiVersion`, `kind`, as in `scaleTargetRef`).
    fn pod_spec(
        &self,
        namespace: &str,
        api_version: &str,
        kind: &str,
        name: &str,
    ) -> Option<PodSpec>;

    /// Where objects were looked for, for messages ("not found among the given documents").
    fn origin(&self) -> &str {
        "in the cluster"
    }

    /// Namespaces that hold a `kind` named `name`: a hint when a lookup misses because the
    /// object sits in another namespace.
    fn namespaces_of(&self, _kind: &str, _name: &str) -> Vec<String> {
        Vec::new()
    }

    /// Whether a document meant to define this object exists but could not be read, so a
    /// "not found" can say why.
    fn unreadable(&self, _kind: &str, _namespace: Option<&str>, _name: &str) -> bool {
        false
    }
}

/// Settings of the resolver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveOptions {
    /// Where a ClusterTriggerAuthentication's Secrets and ConfigMaps live (KEDA's
    /// `KEDA_CLUSTER_OBJECT_NAMESPACE`, by default the operator's namespace).
    pub cluster_object_namespace: String,
}

impl Default for ResolveOptions {
    fn default() -> Self {
        ResolveOptions {
            cluster_object_namespace: "keda".to_string(),
        }
    }
}

/// A Secret's value for `key`, as text. `stringData` wins over `data`, as the API server merges
/// them.
pub fn secret_value(secret: &Secret, key: &str) -> Option<String> {
    if let Some(v) = secret.string_data.as_ref().and_then(|d| d.get(key)) {
        return Some(v.clone());
    }
    let bytes = secret.data.as_ref().and_then(|d| d.get(key))?;
    Some(String::from_utf8_lossy(&bytes.0).into_owned())
}

/// Every key of a Secret with its text value.
pub fn secret_entries(secret: &Secret) -> Vec<(String, String)> {
    let mut entries: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in secret.data.iter().flatten() {
        entries.insert(k.clone(), String::from_utf8_lossy(&v.0).into_owned());
    }
    for (k, v) in secret.string_data.iter().flatten() {
        entries.insert(k.clone(), v.clone());
    }
    entries.into_iter().collect()
}

/// A ConfigMap's `data` value for `key` (KEDA reads `data` only, not `binaryData`).
pub fn config_map_value(map: &ConfigMap, key: &str) -> Option<String> {
    map.data.as_ref().and_then(|d| d.get(key)).cloned()
}

/// The error for a namespaced object that is not there, with a hint when it is elsewhere.
fn not_found(source: &dyn ObjectSource, kind: &str, namespace: &str, name: &str) -> Problem {
    let elsewhere = source
        .namespaces_of(kind, name)
        .into_iter()
        .filter(|ns| ns != namespace)
        .collect();
    Problem::NotFound {
        object: Box::new(ObjectName::namespaced(kind, namespace, name)),
        origin: source.origin().to_string(),
        elsewhere,
        unreadable: source.unreadable(kind, Some(namespace), name),
    }
}

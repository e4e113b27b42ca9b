//! Loaded manifests as the resolver's object source. When the same object appears twice, the
//! later document wins, as a later `kubectl apply` would.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{ConfigMap, PodSpec, Secret};
use kube::Resource;

use super::{Loaded, ManifestSet};
use crate::api::{ClusterTriggerAuthentication, TriggerAuthentication};
use crate::resolve::ObjectSource;

fn find<T: Resource>(objects: &[Loaded<T>], namespace: Option<&str>, name: &str) -> Option<Arc<T>> {
    objects
        .iter()
        .rev()
        .find(|o| {
            let meta = o.object.meta();
            meta.name.as_deref() == Some(name)
                && namespace.is_none_or(|ns| meta.namespace.as_deref() == Some(ns))
        })
        .map(|o| o.object.clone())
}

fn namespaces<T: Resource>(objects: &[Loaded<T>], name: &str) -> Vec<String> {
    let mut found: Vec<String> = objects
        .iter()
        .map(|o| o.object.meta())
        .filter(|m| m.name.as_deref() == Some(name))
        .filter_map(|m| m.namespace.clone())
        .collect();
    found.sort();
    found.dedup();
    found
}

impl ObjectSource for ManifestSet {
    fn secret(&self, namespace: &str, name: &str) -> Option<Arc<Secret>> {
        find(&self.secrets, Some(namespace), name)
    }

    fn config_map(&self, namespace: &str, name: &str) -> Option<Arc<ConfigMap>> {
        find(&self.config_maps, Some(namespace), name)
    }

    fn trigger_authentication(
        &self,
        namespace: &str,
        name: &str,
    ) -> Option<Arc<TriggerAuthentication>> {
        find(&self.trigger_authentications, Some(namespace), name)
    }

    fn cluster_trigger_authentication(
        &self,
        name: &str,
    ) -> Option<Arc<ClusterTriggerAuthentication>> {
        find(&self.cluster_trigger_authentications, None, name)
    }

    /// Deployments and StatefulSets of `apps/v1`, the kinds whose pod template KEDA reads
    /// without asking the API for the object's shape.
    fn pod_spec(
        &self,
        namespace: &str,
        api_version: &str,
        kind: &str,
        name: &str,
    ) -> Option<PodSpec> {
        let template = match (api_version, kind) {
            ("apps/v1", "Deployment") => find(&self.deployments, Some(namespace), name)?
                .spec
                .as_ref()?
                .template
                .clone(),
            ("apps/v1", "StatefulSet") => find(&self.stateful_sets, Some(namespace), name)?
                .spec
                .as_ref()?
                .template
                .clone(),
            _ => return None,
        };
        template.spec
    }

    fn origin(&self) -> &str {
        "among the given documents"
    }

    fn unreadable(&self, kind: &str, namespace: Option<&str>, name: &str) -> bool {
        self.errors.iter().any(|e| {
            let id = e.identity();
            id.kind.as_deref() == Some(kind)
                && id.name.as_deref() == Some(name)
                && (namespace.is_none() || id.namespace.as_deref() == namespace)
        })
    }

    fn namespaces_of(&self, kind: &str, name: &str) -> Vec<String> {
        match kind {
            "Secret" => namespaces(&self.secrets, name),
            "ConfigMap" => namespaces(&self.config_maps, name),
            "TriggerAuthentication" => namespaces(&self.trigger_authentications, name),
            "Deployment" => namespaces(&self.deployments, name),
            "StatefulSet" => namespaces(&self.stateful_sets, name),
            _ => Vec::new(),
        }
    }
}

//! The workload behind a ScaledObject, through the `/scale` subresource: Deployments and
//! StatefulSets by their well-known resource names (as KEDA hard-codes them), any other kind
//! through API discovery.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use k8s_openapi::api::autoscaling::v1::Scale;
use kube::Api;
use kube::api::{DynamicObject, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};

use crate::api::ScaledObject;
use crate::api::scaled_object::GroupVersionKindResource;
use crate::engine::target::ScaleTarget;

/// Reads and writes replicas of scale targets; caches what discovery said about each kind.
pub struct ScaleSubresource {
    client: kube::Client,
    resources: Mutex<HashMap<GroupVersionKind, ApiResource>>,
}

impl ScaleSubresource {
    pub fn new(client: kube::Client) -> Self {
        ScaleSubresource {
            client,
            resources: Mutex::new(HashMap::new()),
        }
    }

    /// The target's group, version, kind and resource (the ScaledObject's `scaleTargetGVKR`).
    pub async fn resolve(&self, so: &ScaledObject) -> Result<GroupVersionKindResource, String> {
        let target = &so.spec.scale_target_ref;
        let api_version = target.api_version.as_deref().unwrap_or("apps/v1");
        let kind = target.kind.as_deref().unwrap_or("Deployment");
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        let resource = self
            .resource(&GroupVersionKind::gvk(group, version, kind))
            .await?;
        Ok(GroupVersionKindResource {
            group: group.to_string(),
            version: version.to_string(),
            kind: kind.to_string(),
            resource: resource.plural,
        })
    }

    async fn resource(&self, gvk: &GroupVersionKind) -> Result<ApiResource, String> {
        let known = self
            .resources
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(gvk)
            .cloned();
        if let Some(resource) = known {
            return Ok(resource);
        }
        let resource = match (gvk.group.as_str(), gvk.kind.as_str()) {
            // KEDA maps these without discovery, whatever the group.
            (_, "Deployment") | (_, "StatefulSet") => {
                let mut r = ApiResource::from_gvk(gvk);
                r.plural = format!("{}s", gvk.kind.to_lowercase());
                r
            }
            _ => {
                kube::discovery::pinned_kind(&self.client, gvk)
                    .await
                    .map_err(|e| {
                        format!(
                            "cannot find the resource of {}/{} {}: {e}",
                            gvk.group, gvk.version, gvk.kind
                        )
                    })?
                    .0
            }
        };
        self.resources
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(gvk.clone(), resource.clone());
        Ok(resource)
    }

    async fn api(&self, so: &ScaledObject) -> Result<Api<DynamicObject>, String> {
        let gvkr = self.resolve(so).await?;
        let gvk = GroupVersionKind::gvk(&gvkr.group, &gvkr.version, &gvkr.kind);
        let resource = self.resource(&gvk).await?;
        let namespace = so.metadata.namespace.as_deref().unwrap_or("default");
        Ok(Api::namespaced_with(
            self.client.clone(),
            namespace,
            &resource,
        ))
    }
}

/// Why the replicas could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The target is wrong (missing, no `/scale`, unknown kind): the ScaledObject must change.
    Target(String),
    /// The API server failed (5xx, 409, 429, transport): worth a quick retry.
    Api(kube::Error),
}

impl ScaleSubresource {
    /// The target's replicas, telling a wrong target from a failing API server.
    pub async fn read_replicas(&self, so: &ScaledObject) -> Result<i32, ReadError> {
        let api = self.api(so).await.map_err(ReadError::Target)?;
        let name = &so.spec.scale_target_ref.name;
        match api.get_scale(name).await {
            Ok(scale) => Ok(spec_replicas(&scale)),
            Err(kube::Error::Api(status)) if is_transient(status.code) => {
                Err(ReadError::Api(kube::Error::Api(status)))
            }
            Err(e @ kube::Error::Api(_)) => Err(ReadError::Target(scale_error(name, e))),
            Err(e) => Err(ReadError::Api(e)),
        }
    }
}

/// `Scale.spec.replicas` is an `int32` with `omitempty` in the API server: a target at zero
/// replicas comes back without the field, which therefore means 0 (not the Deployment's
/// "unset means 1").
fn spec_replicas(scale: &Scale) -> i32 {
    scale.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0)
}

fn is_transient(code: u16) -> bool {
    code >= 500 || code == 409 || code == 429
}

#[async_trait]
impl ScaleTarget for ScaleSubresource {
    async fn replicas(&self, so: &ScaledObject) -> Result<i32, String> {
        self.read_replicas(so).await.map_err(|e| match e {
            ReadError::Target(message) => message,
            ReadError::Api(e) => scale_error(&so.spec.scale_target_ref.name, e),
        })
    }

    async fn scale(&self, so: &ScaledObject, replicas: i32) -> Result<(), String> {
        let api = self.api(so).await?;
        let name = &so.spec.scale_target_ref.name;
        let patch = serde_json::json!({"spec": {"replicas": replicas}});
        api.patch_scale(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map(|_| ())
            .map_err(|e| scale_error(name, e))
    }
}

fn scale_error(name: &str, error: kube::Error) -> String {
    match error {
        kube::Error::Api(status) if status.code == 404 => {
            format!("Target resource {name} doesn't exist or doesn't expose /scale subresource")
        }
        other => format!("/scale of {name}: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scale_without_replicas_is_at_zero() {
        // What a real API server returns for a Deployment scaled to zero: `"spec": {}`.
        let at_zero: Scale = serde_json::from_value(serde_json::json!({
            "apiVersion": "autoscaling/v1", "kind": "Scale",
            "metadata": {"name": "web"}, "spec": {}, "status": {"replicas": 0}
        }))
        .unwrap();
        assert_eq!(spec_replicas(&at_zero), 0);
        let at_three: Scale = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web"}, "spec": {"replicas": 3}
        }))
        .unwrap();
        assert_eq!(spec_replicas(&at_three), 3);
    }
}

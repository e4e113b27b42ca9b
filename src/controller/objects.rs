//! The objects a ScaledObject refers to, fetched from the API server on demand: its
//! (Cluster)TriggerAuthentications, the Secrets and ConfigMaps they and the workload's
//! environment name, and the workload. No cluster-wide Secret cache: only what is referenced is
//! read, then the resolver works on this snapshot.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{ConfigMap, PodSpec, Secret};
use kube::Api;
use kube::api::DynamicObject;
use kube::core::{ApiResource, GroupVersionKind};

use crate::api::{ClusterTriggerAuthentication, ScaledObject, TriggerAuthentication};
use crate::resolve::ObjectSource;

#[derive(Default)]
pub struct ClusterObjects {
    secrets: HashMap<(String, String), Arc<Secret>>,
    config_maps: HashMap<(String, String), Arc<ConfigMap>>,
    trigger_auths: HashMap<(String, String), Arc<TriggerAuthentication>>,
    cluster_trigger_auths: HashMap<String, Arc<ClusterTriggerAuthentication>>,
    pod_spec: Option<PodSpec>,
    target: (String, String, String, String),
}

impl ClusterObjects {
    /// Identifies this snapshot's contents without holding them: each referenced object's
    /// kind, namespace, name and resourceVersion, and a digest of the workload's pod template
    /// (it has no version of its own). Equal for two snapshots exactly when every referenced
    /// object is unchanged.
    pub fn versions(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut versions: Vec<String> = Vec::new();
        let mut add = |kind: &str, key: &str, version: Option<&String>| {
            versions.push(format!("{kind} {key}@{}", version.map_or("", |v| v)));
        };
        for ((ns, name), o) in &self.secrets {
            add(
                "Secret",
                &format!("{ns}/{name}"),
                o.metadata.resource_version.as_ref(),
            );
        }
        for ((ns, name), o) in &self.config_maps {
            add(
                "ConfigMap",
                &format!("{ns}/{name}"),
                o.metadata.resource_version.as_ref(),
            );
        }
        for ((ns, name), o) in &self.trigger_auths {
            add(
                "TriggerAuthentication",
                &format!("{ns}/{name}"),
                o.metadata.resource_version.as_ref(),
            );
        }
        for (name, o) in &self.cluster_trigger_auths {
            add(
                "ClusterTriggerAuthentication",
                name,
                o.metadata.resource_version.as_ref(),
            );
        }
        versions.sort();
        let mut digest = std::collections::hash_map::DefaultHasher::new();
        serde_json::to_string(&self.pod_spec)
            .unwrap_or_default()
            .hash(&mut digest);
        versions.push(format!("pod template {:016x}", digest.finish()));
        versions.join(", ")
    }
}

/// Everything in `so` that names another object.
pub async fn fetch(
    client: &kube::Client,
    so: &ScaledObject,
    cluster_namespace: &str,
) -> Result<ClusterObjects, kube::Error> {
    let namespace = so
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".into());
    let mut objects = ClusterObjects::default();
    let target = &so.spec.scale_target_ref;
    let api_version = target
        .api_version
        .clone()
        .unwrap_or_else(|| "apps/v1".into());
    let kind = target.kind.clone().unwrap_or_else(|| "Deployment".into());
    objects.pod_spec = pod_spec(client, &namespace, &api_version, &kind, &target.name).await?;
    objects.target = (namespace.clone(), api_version, kind, target.name.clone());
    let mut secrets = BTreeSet::new();
    let mut config_maps = BTreeSet::new();
    for trigger in &so.spec.triggers {
        let Some(auth) = &trigger.authentication_ref else {
            continue;
        };
        let (spec, ns) = if auth.is_cluster() {
            let api: Api<ClusterTriggerAuthentication> = Api::all(client.clone());
            let Some(cta) = api.get_opt(&auth.name).await? else {
                continue;
            };
            let spec = cta.spec.spec.clone();
            objects
                .cluster_trigger_auths
                .insert(auth.name.clone(), Arc::new(cta));
            (spec, cluster_namespace.to_string())
        } else {
            let api: Api<TriggerAuthentication> = Api::namespaced(client.clone(), &namespace);
            let Some(ta) = api.get_opt(&auth.name).await? else {
                continue;
            };
            let spec = ta.spec.clone();
            objects
                .trigger_auths
                .insert((namespace.clone(), auth.name.clone()), Arc::new(ta));
            (spec, namespace.clone())
        };
        secrets.extend(
            spec.secret_target_ref
                .iter()
                .map(|r| (ns.clone(), r.name.clone())),
        );
        config_maps.extend(
            spec.config_map_target_ref
                .iter()
                .map(|r| (ns.clone(), r.name.clone())),
        );
    }
    if let Some(pod) = &objects.pod_spec {
        referenced_by_env(pod, &namespace, &mut secrets, &mut config_maps);
    }
    for (ns, name) in secrets {
        if let Some(secret) = Api::<Secret>::namespaced(client.clone(), &ns)
            .get_opt(&name)
            .await?
        {
            objects.secrets.insert((ns, name), Arc::new(secret));
        }
    }
    for (ns, name) in config_maps {
        if let Some(map) = Api::<ConfigMap>::namespaced(client.clone(), &ns)
            .get_opt(&name)
            .await?
        {
            objects.config_maps.insert((ns, name), Arc::new(map));
        }
    }
    Ok(objects)
}

/// The workload's pod template: typed for Deployments and StatefulSets, `spec.template.spec`
/// of any other kind.
async fn pod_spec(
    client: &kube::Client,
    namespace: &str,
    api_version: &str,
    kind: &str,
    name: &str,
) -> Result<Option<PodSpec>, kube::Error> {
    let template = match (api_version, kind) {
        ("apps/v1", "Deployment") => Api::<Deployment>::namespaced(client.clone(), namespace)
            .get_opt(name)
            .await?
            .and_then(|d| d.spec)
            .map(|s| s.template),
        ("apps/v1", "StatefulSet") => Api::<StatefulSet>::namespaced(client.clone(), namespace)
            .get_opt(name)
            .await?
            .and_then(|s| s.spec)
            .map(|s| s.template),
        _ => {
            let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
            let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind));
            let api: Api<DynamicObject> =
                Api::namespaced_with(client.clone(), namespace, &resource);
            let Ok(Some(object)) = api.get_opt(name).await else {
                return Ok(None);
            };
            let template = object
                .data
                .get("spec")
                .and_then(|s| s.get("template"))
                .cloned();
            template.and_then(|t| serde_json::from_value(t).ok())
        }
    };
    Ok(template.and_then(|t| t.spec))
}

fn referenced_by_env(
    pod: &PodSpec,
    namespace: &str,
    secrets: &mut BTreeSet<(String, String)>,
    config_maps: &mut BTreeSet<(String, String)>,
) {
    for container in &pod.containers {
        for from in container.env_from.iter().flatten() {
            if let Some(s) = &from.secret_ref {
                secrets.insert((namespace.to_string(), s.name.clone()));
            }
            if let Some(c) = &from.config_map_ref {
                config_maps.insert((namespace.to_string(), c.name.clone()));
            }
        }
        for var in container.env.iter().flatten() {
            let Some(from) = &var.value_from else {
                continue;
            };
            if let Some(s) = &from.secret_key_ref {
                secrets.insert((namespace.to_string(), s.name.clone()));
            }
            if let Some(c) = &from.config_map_key_ref {
                config_maps.insert((namespace.to_string(), c.name.clone()));
            }
        }
    }
}

fn key(namespace: &str, name: &str) -> (String, String) {
    (namespace.to_string(), name.to_string())
}

impl ObjectSource for ClusterObjects {
    fn secret(&self, namespace: &str, name: &str) -> Option<Arc<Secret>> {
        self.secrets.get(&key(namespace, name)).cloned()
    }

    fn config_map(&self, namespace: &str, name: &str) -> Option<Arc<ConfigMap>> {
        self.config_maps.get(&key(namespace, name)).cloned()
    }

    fn trigger_authentication(
        &self,
        namespace: &str,
        name: &str,
    ) -> Option<Arc<TriggerAuthentication>> {
        self.trigger_auths.get(&key(namespace, name)).cloned()
    }

    fn cluster_trigger_authentication(
        &self,
        name: &str,
    ) -> Option<Arc<ClusterTriggerAuthentication>> {
        self.cluster_trigger_auths.get(name).cloned()
    }

    fn pod_spec(
        &self,
        namespace: &str,
        api_version: &str,
        kind: &str,
        name: &str,
    ) -> Option<PodSpec> {
        let (ns, v, k, n) = &self.target;
        (ns == namespace && v == api_version && k == kind && n == name)
            .then(|| self.pod_spec.clone())
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use k8s_openapi::api::core::v1::Secret;

    use super::ClusterObjects;
    use crate::api::TriggerAuthentication;

    fn snapshot(secret_version: &str, auth_version: &str, image: &str) -> ClusterObjects {
        let mut objects = ClusterObjects::default();
        let mut secret = Secret::default();
        secret.metadata.resource_version = Some(secret_version.into());
        objects
            .secrets
            .insert(("ns".into(), "creds".into()), Arc::new(secret));
        let auth: TriggerAuthentication = serde_json::from_value(serde_json::json!({
            "apiVersion": "keda.sh/v1alpha1", "kind": "TriggerAuthentication",
            "metadata": {"name": "creds", "namespace": "ns", "resourceVersion": auth_version},
            "spec": {}
        }))
        .unwrap();
        objects
            .trigger_auths
            .insert(("ns".into(), "creds".into()), Arc::new(auth));
        objects.pod_spec = Some(
            serde_json::from_value(
                serde_json::json!({"containers": [{"name": "app", "image": image}]}),
            )
            .unwrap(),
        );
        objects
    }

    #[test]
    fn versions_change_exactly_when_a_referenced_object_does() {
        let base = snapshot("10", "20", "app:1").versions();
        assert_eq!(snapshot("10", "20", "app:1").versions(), base);
        for (changed, what) in [
            (snapshot("11", "20", "app:1"), "the Secret"),
            (snapshot("10", "21", "app:1"), "the TriggerAuthentication"),
            (snapshot("10", "20", "app:2"), "the pod template"),
        ] {
            assert_ne!(changed.versions(), base, "{what} changed");
        }
        assert!(!base.contains("app:1"), "versions, not contents: {base}");
    }
}

//! Reconciles the ScaledObjects a TriggerAuthentication or ClusterTriggerAuthentication change
//! concerns, at once: an edited credential reference is picked up without waiting for the
//! periodic resync, and a ScaledObject applied before its TriggerAuthentication (as
//! `kubectl apply -f dir/` does in file-name order) starts as soon as the latter exists instead
//! of after its error backoff. Secrets themselves are not watched: the operator reads only the
//! ones a ScaledObject refers to, when it reconciles.

use futures::Stream;
use kube::api::{Api, PartialObjectMeta};
use kube::runtime::WatchStreamExt;
use kube::runtime::controller::{ReconcileRequest, trigger_with};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher::{self, watcher};
use kube::{Client, ResourceExt};

use crate::api::{ClusterTriggerAuthentication, ScaledObject, TriggerAuthentication};

/// Which authentication object changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthRef {
    /// A namespaced TriggerAuthentication: (namespace, name).
    Namespaced(String, String),
    /// A ClusterTriggerAuthentication: name.
    Cluster(String),
}

/// Whether one of `so`'s triggers names `auth` in its `authenticationRef`.
pub fn refers_to(so: &ScaledObject, auth: &AuthRef) -> bool {
    so.spec.triggers.iter().any(|trigger| {
        let Some(reference) = &trigger.authentication_ref else {
            return false;
        };
        match auth {
            AuthRef::Cluster(name) => reference.is_cluster() && &reference.name == name,
            AuthRef::Namespaced(namespace, name) => {
                !reference.is_cluster()
                    && &reference.name == name
                    && so.namespace().as_deref() == Some(namespace.as_str())
            }
        }
    })
}

/// The ScaledObjects in `store` that refer to `auth`.
pub fn users(store: &Store<ScaledObject>, auth: &AuthRef) -> Vec<ObjectRef<ScaledObject>> {
    store
        .state()
        .iter()
        .filter(|so| refers_to(so, auth))
        .map(|so| ObjectRef::from_obj(so.as_ref()))
        .collect()
}

/// Reconcile requests for the users of every TriggerAuthentication (in `namespaces`; empty:
/// all) and ClusterTriggerAuthentication that is created, changed or deleted. Only metadata is
/// watched: the reconcile reads the object itself.
pub fn changes(
    client: &Client,
    namespaces: &[String],
    store: Store<ScaledObject>,
) -> impl Stream<Item = Result<ReconcileRequest<ScaledObject>, watcher::Error>> + Send + 'static {
    let namespaced: Api<PartialObjectMeta<TriggerAuthentication>> = match namespaces {
        [one] => Api::namespaced(client.clone(), one),
        _ => Api::all(client.clone()),
    };
    let cluster: Api<PartialObjectMeta<ClusterTriggerAuthentication>> = Api::all(client.clone());
    let namespaced = watcher(namespaced, watcher::Config::default())
        .default_backoff()
        .touched_objects();
    let cluster = watcher(cluster, watcher::Config::default())
        .default_backoff()
        .touched_objects();
    let for_namespaced = store.clone();
    let namespaced = trigger_with(namespaced, move |ta: PartialObjectMeta<_>| {
        let auth = AuthRef::Namespaced(ta.namespace().unwrap_or_default(), ta.name_any());
        users(&for_namespaced, &auth)
    });
    let cluster = trigger_with(cluster, move |cta: PartialObjectMeta<_>| {
        users(&store, &AuthRef::Cluster(cta.name_any()))
    });
    futures::stream::select(namespaced, cluster)
}

#[cfg(test)]
mod tests {
    use super::{AuthRef, refers_to};
    use crate::api::ScaledObject;

    fn scaled_object(namespace: &str, auth: Option<(&str, Option<&str>)>) -> ScaledObject {
        let reference = auth.map(|(name, kind)| {
            let mut r = serde_json::json!({ "name": name });
            if let Some(kind) = kind {
                r["kind"] = kind.into();
            }
            r
        });
        serde_json::from_value(serde_json::json!({
            "apiVersion": "keda.sh/v1alpha1",
            "kind": "ScaledObject",
            "metadata": { "name": "worker", "namespace": namespace },
            "spec": {
                "scaleTargetRef": { "name": "worker" },
                "triggers": [
                    { "type": "cron", "metadata": {} },
                    { "type": "redis", "metadata": {}, "authenticationRef": reference },
                ],
            },
        }))
        .unwrap()
    }

    #[test]
    fn a_scaled_object_refers_to_the_auth_its_triggers_name() {
        let ta = |ns: &str, name: &str| AuthRef::Namespaced(ns.into(), name.into());
        let cta = |name: &str| AuthRef::Cluster(name.into());
        let cases = [
            (
                scaled_object("a", Some(("creds", None))),
                ta("a", "creds"),
                true,
            ),
            (
                scaled_object("a", Some(("creds", Some("TriggerAuthentication")))),
                ta("a", "creds"),
                true,
            ),
            (
                scaled_object("a", Some(("creds", None))),
                ta("b", "creds"),
                false,
            ),
            (
                scaled_object("a", Some(("creds", None))),
                ta("a", "other"),
                false,
            ),
            (
                scaled_object("a", Some(("creds", None))),
                cta("creds"),
                false,
            ),
            (
                scaled_object("a", Some(("creds", Some("ClusterTriggerAuthentication")))),
                cta("creds"),
                true,
            ),
            (
                scaled_object("a", Some(("creds", Some("ClusterTriggerAuthentication")))),
                ta("a", "creds"),
                false,
            ),
            (scaled_object("a", None), ta("a", "creds"), false),
        ];
        for (so, auth, expected) in cases {
            let reference = &so.spec.triggers[1].authentication_ref;
            assert_eq!(refers_to(&so, &auth), expected, "{reference:?} vs {auth:?}");
        }
    }
}

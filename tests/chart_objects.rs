//! Every object charts/kedars renders (every variant under tests/chart/values/, CRDs included)
//! parsed strictly into its Kubernetes type: an unknown field, a wrong type or a value that does
//! not survive the round trip back to JSON fails, with the template and the field's path. Kinds
//! k8s-openapi does not know (cert-manager, Prometheus Operator) are read into the strict
//! structs below, written from those projects' v1 CRDs for the fields the chart uses.

#[path = "chart/support.rs"]
mod support;

use std::any::TypeId;
use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1::APIService;
use k8s_openapi::{NamespaceResourceScope, Resource};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use support::{Doc, RenderOptions, render};

/// Reads `value` as `T`: no unknown field, and writing `T` back gives `value` again.
fn strict<T: DeserializeOwned + Serialize>(value: &Value) -> Result<T, String> {
    let mut unknown = Vec::new();
    let mut record = |path: serde_ignored::Path| unknown.push(path.to_string());
    let deserializer = serde_ignored::Deserializer::new(value, &mut record);
    let typed: T = serde_path_to_error::deserialize(deserializer)
        .map_err(|e| format!("at {}: {}", e.path(), e.inner()))?;
    if !unknown.is_empty() {
        return Err(format!("unknown fields: {}", unknown.join(", ")));
    }
    let back = serde_json::to_value(&typed).map_err(|e| e.to_string())?;
    if &back != value {
        return Err(format!(
            "does not survive the round trip:\n  rendered: {value}\n  typed:    {back}"
        ));
    }
    Ok(typed)
}

/// A k8s-openapi kind: strict, and namespaced exactly when the kind is.
fn k8s<T>(doc: &Doc) -> Result<(), String>
where
    T: Resource + DeserializeOwned + Serialize,
    T::Scope: 'static,
{
    strict::<T>(&doc.object)?;
    scoped(
        doc,
        TypeId::of::<T::Scope>() == TypeId::of::<NamespaceResourceScope>(),
    )
}

fn scoped(doc: &Doc, namespaced: bool) -> Result<(), String> {
    match (namespaced, doc.namespace()) {
        (true, None) => Err("namespaced kind without metadata.namespace".into()),
        (false, Some(ns)) => Err(format!("cluster-scoped kind with namespace {ns}")),
        _ => Ok(()),
    }
}

fn check(doc: &Doc) -> Result<(), String> {
    let api_version = doc.object["apiVersion"].as_str().unwrap_or_default();
    match (api_version, doc.kind()) {
        ("v1", "ServiceAccount") => k8s::<ServiceAccount>(doc),
        ("v1", "Secret") => k8s::<Secret>(doc),
        ("v1", "ConfigMap") => k8s::<ConfigMap>(doc),
        ("v1", "Service") => k8s::<Service>(doc),
        ("apps/v1", "Deployment") => k8s::<Deployment>(doc),
        ("policy/v1", "PodDisruptionBudget") => k8s::<PodDisruptionBudget>(doc),
        ("networking.k8s.io/v1", "NetworkPolicy") => k8s::<NetworkPolicy>(doc),
        ("rbac.authorization.k8s.io/v1", "ClusterRole") => k8s::<ClusterRole>(doc),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => k8s::<ClusterRoleBinding>(doc),
        ("rbac.authorization.k8s.io/v1", "Role") => k8s::<Role>(doc),
        ("rbac.authorization.k8s.io/v1", "RoleBinding") => k8s::<RoleBinding>(doc),
        ("apiregistration.k8s.io/v1", "APIService") => k8s::<APIService>(doc),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition") => {
            k8s::<CustomResourceDefinition>(doc)
        }
        ("cert-manager.io/v1", "Certificate") => {
            strict::<cert_manager::Certificate>(&doc.object)?;
            scoped(doc, true)
        }
        ("cert-manager.io/v1", "Issuer") => {
            strict::<cert_manager::Issuer>(&doc.object)?;
            scoped(doc, true)
        }
        ("monitoring.coreos.com/v1", "ServiceMonitor") => {
            strict::<ServiceMonitor>(&doc.object)?;
            scoped(doc, true)
        }
        (api_version, kind) => Err(format!(
            "{api_version} {kind}: no type to check it against (add one to tests/chart_objects.rs)"
        )),
    }
}

#[test]
fn every_rendered_object_parses_strictly_into_its_type() {
    let mut failures = Vec::new();
    let mut counted = BTreeMap::<String, usize>::new();
    for rendered in render(&RenderOptions::default()) {
        for doc in &rendered.docs {
            *counted.entry(doc.kind().to_string()).or_default() += 1;
            if let Err(e) = check(doc) {
                failures.push(format!(
                    "{}: {} {} ({}): {e}",
                    rendered.variant,
                    doc.kind(),
                    doc.name(),
                    doc.source
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    // Every kind the chart can render was seen in some variant.
    for kind in [
        "CustomResourceDefinition",
        "Deployment",
        "Service",
        "ServiceAccount",
        "Secret",
        "ConfigMap",
        "APIService",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "Certificate",
        "Issuer",
        "ServiceMonitor",
    ] {
        assert!(
            counted.contains_key(kind),
            "no variant renders a {kind}: {counted:?}"
        );
    }
}

#[test]
fn a_misspelt_field_is_caught() {
    let deployment = serde_json::json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "x", "namespace": "keda"},
        "spec": {"selector": {}, "template": {"spec": {"containers": [
            {"name": "c", "image": "i", "securityContext": {"readOnlyRootFileSystem": true}}
        ]}}}
    });
    let err = strict::<Deployment>(&deployment).unwrap_err();
    assert!(err.contains("readOnlyRootFileSystem"), "{err}");
}

/// cert-manager.io/v1, the fields the chart sets (cert-manager's CRDs for the full schema).
mod cert_manager {
    use super::*;

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    pub struct Certificate {
        pub api_version: String,
        pub kind: String,
        pub metadata: ObjectMeta,
        pub spec: CertificateSpec,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    pub struct CertificateSpec {
        pub secret_name: String,
        pub issuer_ref: IssuerRef,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub common_name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub dns_names: Option<Vec<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub duration: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub renew_before: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none", rename = "isCA")]
        pub is_ca: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub private_key: Option<PrivateKey>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub usages: Option<Vec<KeyUsage>>,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct IssuerRef {
        pub name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub kind: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub group: Option<String>,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct PrivateKey {
        pub algorithm: KeyAlgorithm,
        pub size: u32,
    }

    #[derive(Serialize, Deserialize)]
    pub enum KeyAlgorithm {
        #[serde(rename = "RSA")]
        Rsa,
        #[serde(rename = "ECDSA")]
        Ecdsa,
        Ed25519,
    }

    /// cert-manager's KeyUsage enumeration (the ones a TLS certificate may carry).
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum KeyUsage {
        #[serde(rename = "digital signature")]
        DigitalSignature,
        #[serde(rename = "key encipherment")]
        KeyEncipherment,
        #[serde(rename = "server auth")]
        ServerAuth,
        #[serde(rename = "client auth")]
        ClientAuth,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    pub struct Issuer {
        pub api_version: String,
        pub kind: String,
        pub metadata: ObjectMeta,
        pub spec: IssuerSpec,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    pub struct IssuerSpec {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub self_signed: Option<Empty>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub ca: Option<CaIssuer>,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Empty {}

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    pub struct CaIssuer {
        pub secret_name: String,
    }
}

/// monitoring.coreos.com/v1 ServiceMonitor, the fields the chart sets.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ServiceMonitor {
    api_version: String,
    kind: String,
    metadata: ObjectMeta,
    spec: ServiceMonitorSpec,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ServiceMonitorSpec {
    selector: LabelSelector,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    namespace_selector: Option<NamespaceSelector>,
    endpoints: Vec<Endpoint>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NamespaceSelector {
    match_names: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Endpoint {
    port: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scheme: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    interval: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scrape_timeout: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    relabelings: Option<Vec<Relabeling>>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Relabeling {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source_labels: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    separator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    regex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    replacement: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    modulus: Option<u64>,
}

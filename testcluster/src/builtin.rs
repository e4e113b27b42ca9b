//! The built-in kinds the double serves, with what their real registry strategies do.

use crate::registry::{ALL_VERBS, GenerationRule, ResourceType, ScalePaths};

struct Kind {
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
    status: bool,
    scale: bool,
    generation: GenerationRule,
    all_category: bool,
    read_only: bool,
}

const fn kind(group: &'static str, plural: &'static str, kind: &'static str) -> Kind {
    Kind {
        group,
        version: "v1",
        plural,
        kind,
        namespaced: true,
        short: &[],
        status: false,
        scale: false,
        generation: GenerationRule::None,
        all_category: false,
        read_only: false,
    }
}

fn kinds() -> Vec<Kind> {
    use GenerationRule::*;
    vec![
        Kind {
            namespaced: false,
            short: &["ns"],
            status: true,
            ..kind("", "namespaces", "Namespace")
        },
        Kind {
            short: &["cm"],
            ..kind("", "configmaps", "ConfigMap")
        },
        kind("", "secrets", "Secret"),
        Kind {
            short: &["ev"],
            ..kind("", "events", "Event")
        },
        // No kubelet runs here: pods can be read (lists are empty) but not created.
        Kind {
            short: &["po"],
            status: true,
            all_category: true,
            read_only: true,
            ..kind("", "pods", "Pod")
        },
        Kind {
            short: &["svc"],
            status: true,
            all_category: true,
            ..kind("", "services", "Service")
        },
        Kind {
            short: &["deploy"],
            status: true,
            scale: true,
            generation: SpecAndAnnotations,
            all_category: true,
            ..kind("apps", "deployments", "Deployment")
        },
        Kind {
            short: &["sts"],
            status: true,
            scale: true,
            generation: Spec,
            all_category: true,
            ..kind("apps", "statefulsets", "StatefulSet")
        },
        Kind {
            version: "v2",
            short: &["hpa"],
            status: true,
            all_category: true,
            ..kind(
                "autoscaling",
                "horizontalpodautoscalers",
                "HorizontalPodAutoscaler",
            )
        },
        Kind {
            short: &["ev"],
            ..kind("events.k8s.io", "events", "Event")
        },
        kind("coordination.k8s.io", "leases", "Lease"),
        // What the Helm chart installs besides the workloads: identities, RBAC, the
        // APIService. No authorization happens and no request is aggregated (README).
        Kind {
            short: &["sa"],
            ..kind("", "serviceaccounts", "ServiceAccount")
        },
        kind("rbac.authorization.k8s.io", "roles", "Role"),
        kind("rbac.authorization.k8s.io", "rolebindings", "RoleBinding"),
        Kind {
            namespaced: false,
            ..kind("rbac.authorization.k8s.io", "clusterroles", "ClusterRole")
        },
        Kind {
            namespaced: false,
            ..kind(
                "rbac.authorization.k8s.io",
                "clusterrolebindings",
                "ClusterRoleBinding",
            )
        },
        Kind {
            namespaced: false,
            status: true,
            ..kind("apiregistration.k8s.io", "apiservices", "APIService")
        },
        Kind {
            namespaced: false,
            short: &["crd", "crds"],
            status: true,
            generation: Spec,
            ..kind(
                "apiextensions.k8s.io",
                "customresourcedefinitions",
                "CustomResourceDefinition",
            )
        },
    ]
}

fn to_type(k: Kind) -> ResourceType {
    let verbs = if k.read_only {
        vec!["get", "list", "watch"]
    } else {
        ALL_VERBS.to_vec()
    };
    let scale = k.scale.then(|| ScalePaths {
        spec_replicas: ".spec.replicas".into(),
        status_replicas: ".status.replicas".into(),
        label_selector: None,
    });
    ResourceType {
        group: k.group.into(),
        version: k.version.into(),
        plural: k.plural.into(),
        singular: k.kind.to_lowercase(),
        kind: k.kind.into(),
        list_kind: format!("{}List", k.kind),
        namespaced: k.namespaced,
        short_names: k.short.iter().map(|s| s.to_string()).collect(),
        categories: if k.all_category {
            vec!["all".into()]
        } else {
            vec![]
        },
        status: k.status,
        scale,
        generation: k.generation,
        builtin: true,
        verbs,
        columns: None,
        schema: None,
        crd: None,
    }
}

pub fn builtin_types() -> Vec<ResourceType> {
    kinds().into_iter().map(to_type).collect()
}

/// Namespaces every fresh cluster has.
pub const INITIAL_NAMESPACES: [&str; 4] =
    ["default", "kube-system", "kube-public", "kube-node-lease"];

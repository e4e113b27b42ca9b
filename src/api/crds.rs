//! The CustomResourceDefinitions, generated from the types: `kedars crds` prints them and
//! charts/kedars/crds/ holds the committed copy (a test fails when it is stale).

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;

use super::{ClusterTriggerAuthentication, ScaledJob, ScaledObject, TriggerAuthentication};

/// Every CRD with the file name it is committed under.
pub fn all() -> Vec<(&'static str, CustomResourceDefinition)> {
    vec![
        ("keda.sh_scaledobjects.yaml", ScaledObject::crd()),
        ("keda.sh_scaledjobs.yaml", ScaledJob::crd()),
        (
            "keda.sh_triggerauthentications.yaml",
            TriggerAuthentication::crd(),
        ),
        (
            "keda.sh_clustertriggerauthentications.yaml",
            ClusterTriggerAuthentication::crd(),
        ),
    ]
}

/// One CRD as YAML.
pub fn to_yaml(crd: &CustomResourceDefinition) -> String {
    serde_saphyr::to_string(crd).expect("a CRD always serialises")
}

/// Every CRD as one multi-document YAML stream, in [`all`]'s order.
pub fn all_yaml() -> String {
    all()
        .iter()
        .map(|(_, crd)| format!("---\n{}", to_yaml(crd)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_crds_are_current() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("charts/kedars/crds");
        for (file, crd) in all() {
            let committed = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
            assert!(
                committed == to_yaml(&crd),
                "charts/kedars/crds/{file} is stale: run `cargo run -- crds --dir charts/kedars/crds`"
            );
        }
    }

    #[test]
    fn names_and_short_names_match_keda() {
        let names: Vec<_> = all()
            .into_iter()
            .map(|(_, crd)| {
                let n = crd.spec.names;
                (
                    crd.spec.scope,
                    n.kind,
                    n.plural,
                    n.short_names.unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                (
                    "Namespaced".to_string(),
                    "ScaledObject".to_string(),
                    "scaledobjects".to_string(),
                    vec!["so".to_string()]
                ),
                (
                    "Namespaced".into(),
                    "ScaledJob".into(),
                    "scaledjobs".into(),
                    vec!["sj".into()]
                ),
                (
                    "Namespaced".into(),
                    "TriggerAuthentication".into(),
                    "triggerauthentications".into(),
                    vec!["ta".into(), "triggerauth".into()]
                ),
                (
                    "Cluster".into(),
                    "ClusterTriggerAuthentication".into(),
                    "clustertriggerauthentications".into(),
                    vec!["cta".into(), "clustertriggerauth".into()]
                ),
            ]
        );
    }

    #[test]
    fn every_crd_has_the_status_subresource() {
        for (file, crd) in all() {
            let version = &crd.spec.versions[0];
            assert_eq!(version.name, "v1alpha1", "{file}");
            assert!(
                version
                    .subresources
                    .as_ref()
                    .and_then(|s| s.status.as_ref())
                    .is_some(),
                "{file}"
            );
        }
    }
}

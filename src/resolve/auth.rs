//! A trigger's `authenticationRef`, resolved in KEDA's order (later keys overwrite earlier):
//! `env[]`, then `configMapTargetRef`, then `secretTargetRef`.

use std::collections::BTreeMap;

use crate::api::AuthenticationRef;
use crate::api::trigger_auth::TriggerAuthenticationSpec;

use super::error::{ObjectName, Problem};
use super::trigger::Target;
use super::{ObjectSource, ResolveOptions, config_map_value, not_found, secret_value};

/// A TriggerAuthentication or ClusterTriggerAuthentication, found.
pub(super) struct FoundAuth {
    pub name: ObjectName,
    pub spec: TriggerAuthenticationSpec,
    /// Where its Secrets and ConfigMaps are read from.
    pub objects_namespace: String,
    pub cluster: bool,
}

/// Looks up the object an `authenticationRef` names.
pub(super) fn find(
    source: &dyn ObjectSource,
    reference: &AuthenticationRef,
    namespace: &str,
    options: &ResolveOptions,
) -> Result<FoundAuth, Problem> {
    match reference.kind.as_deref().unwrap_or_default() {
        "" | "TriggerAuthentication" => source
            .trigger_authentication(namespace, &reference.name)
            .map(|ta| FoundAuth {
                name: ObjectName::namespaced("TriggerAuthentication", namespace, &reference.name),
                spec: ta.spec.clone(),
                objects_namespace: namespace.to_string(),
                cluster: false,
            })
            .ok_or_else(|| not_found(source, "TriggerAuthentication", namespace, &reference.name)),
        "ClusterTriggerAuthentication" => source
            .cluster_trigger_authentication(&reference.name)
            .map(|cta| FoundAuth {
                name: ObjectName::cluster("ClusterTriggerAuthentication", &reference.name),
                spec: cta.spec.spec.clone(),
                objects_namespace: options.cluster_object_namespace.clone(),
                cluster: true,
            })
            .ok_or_else(|| Problem::NotFound {
                object: Box::new(ObjectName::cluster(
                    "ClusterTriggerAuthentication",
                    &reference.name,
                )),
                origin: source.origin().to_string(),
                elsewhere: Vec::new(),
                unreadable: source.unreadable(
                    "ClusterTriggerAuthentication",
                    None,
                    &reference.name,
                ),
            }),
        other => Err(Problem::UnknownAuthKind {
            kind: other.to_string(),
        }),
    }
}

/// What a (Cluster)TriggerAuthentication asks for that kedars cannot honour yet.
pub fn unsupported_features(
    object: &ObjectName,
    spec: &TriggerAuthenticationSpec,
    cluster: bool,
) -> Vec<Problem> {
    let mut fields = Vec::new();
    if let Some(identity) = &spec.pod_identity
        && !matches!(identity.provider.as_str(), "" | "none")
    {
        fields.push(format!("spec.podIdentity (provider {})", identity.provider));
    }
    let mut problems = Vec::new();
    if spec.file_path.is_some() {
        if cluster {
            fields.push("spec.filePath".to_string());
        } else {
            problems.push(Problem::FilePathOnNamespaced {
                object: object.clone(),
            });
        }
    }
    let present = [
        ("spec.hashiCorpVault", spec.hashi_corp_vault.is_some()),
        ("spec.azureKeyVault", spec.azure_key_vault.is_some()),
        ("spec.gcpSecretManager", spec.gcp_secret_manager.is_some()),
        ("spec.awsSecretManager", spec.aws_secret_manager.is_some()),
        (
            "spec.boundServiceAccountToken",
            !spec.bound_service_account_token.is_empty(),
        ),
        ("spec.oauth2", spec.oauth2.is_some()),
    ];
    fields.extend(
        present
            .iter()
            .filter(|(_, p)| *p)
            .map(|(f, _)| f.to_string()),
    );
    problems.extend(fields.into_iter().map(|field| Problem::NotSupported {
        object: object.clone(),
        field,
    }));
    problems
}

/// The auth parameters of a found TriggerAuthentication. Every problem is reported, not only the
/// first, so one run of `kedars check` shows everything to fix.
pub(super) fn params(
    source: &dyn ObjectSource,
    auth: &FoundAuth,
    target: &mut Target<'_>,
) -> Result<BTreeMap<String, String>, Vec<Problem>> {
    let mut problems = unsupported_features(&auth.name, &auth.spec, auth.cluster);
    let mut params = BTreeMap::new();
    for (i, entry) in auth.spec.env.iter().enumerate() {
        let what = format!("{} env[{i}] (parameter {})", auth.name, entry.parameter);
        match target.variable(source, entry.container_name.as_deref(), &entry.name, &what) {
            Ok(value) => drop(params.insert(entry.parameter.clone(), value)),
            Err(problem) => problems.push(problem),
        }
    }
    let ns = &auth.objects_namespace;
    for entry in &auth.spec.config_map_target_ref {
        let value = source
            .config_map(ns, &entry.name)
            .map(|m| config_map_value(&m, &entry.key));
        match keyed(source, "ConfigMap", ns, &entry.name, &entry.key, value) {
            Ok(value) => drop(params.insert(entry.parameter.clone(), value)),
            Err(problem) => problems.push(problem),
        }
    }
    for entry in &auth.spec.secret_target_ref {
        let value = source
            .secret(ns, &entry.name)
            .map(|s| secret_value(&s, &entry.key));
        match keyed(source, "Secret", ns, &entry.name, &entry.key, value) {
            Ok(value) => drop(params.insert(entry.parameter.clone(), value)),
            Err(problem) => problems.push(problem),
        }
    }
    if problems.is_empty() {
        Ok(params)
    } else {
        Err(problems)
    }
}

/// `value` is `None` when the object is missing, `Some(None)` when its key is.
fn keyed(
    source: &dyn ObjectSource,
    kind: &str,
    namespace: &str,
    name: &str,
    key: &str,
    value: Option<Option<String>>,
) -> Result<String, Problem> {
    match value {
        Some(Some(value)) => Ok(value),
        Some(None) => Err(Problem::MissingKey {
            object: ObjectName::namespaced(kind, namespace, name),
            key: key.to_string(),
        }),
        None => Err(not_found(source, kind, namespace, name)),
    }
}

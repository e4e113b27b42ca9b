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
    let name = &reference.name;
    match reference.kind.as_deref().unwrap_or_default() {
        "" | "TriggerAuthentication" => source
            .trigger_authentication(namespace, name)
            .map(|ta| FoundAuth {
                name: ObjectName::namespaced("TriggerAuthentication", namespace, name),
                spec: ta.spec.clone(),
                objects_namespace: namespace.to_string(),
                cluster: false,
            })
            .ok_or_else(|| not_found(source, "TriggerAuthentication", namespace, name)),
        "ClusterTriggerAuthentication" => source
            .cluster_trigger_authentication(name)
            .map(|cta| FoundAuth {
                name: ObjectName::cluster("ClusterTriggerAuthentication", name),
                spec: cta.spec.spec.clone(),
                objects_namespace: options.cluster_object_namespace.clone(),
                cluster: true,
            })
            .ok_or_else(|| cluster_auth_not_found(source, name)),
        other => Err(Problem::UnknownAuthKind {
            kind: other.to_string(),
        }),
    }
}

fn cluster_auth_not_found(source: &dyn ObjectSource, name: &str) -> Problem {
    const KIND: &str = "ClusterTriggerAuthentication";
    Problem::NotFound {
        object: Box::new(ObjectName::cluster(KIND, name)),
        origin: source.origin().to_string(),
        elsewhere: Vec::new(),
        unreadable: source.unreadable(KIND, None, name),
    }
}

/// What a (Cluster)TriggerAuthentication asks for that kedars cannot honour yet.
pub fn unsupported_features(
    object: &ObjectName,
    spec: &TriggerAuthenticationSpec,
    cluster: bool,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    if spec.file_path.is_some() && !cluster {
        let object = object.clone();
        problems.push(Problem::FilePathOnNamespaced { object });
    }
    problems.extend(unsupported_fields(spec, cluster).into_iter().map(|field| {
        Problem::NotSupported {
            object: object.clone(),
            field,
        }
    }));
    problems
}

/// The fields of `spec` that need a feature kedars does not have yet.
fn unsupported_fields(spec: &TriggerAuthenticationSpec, cluster: bool) -> Vec<String> {
    let identity = spec.pod_identity.as_ref().map(|p| p.provider.as_str());
    let mut fields: Vec<String> = identity
        .filter(|provider| !matches!(*provider, "" | "none"))
        .map(|provider| format!("spec.podIdentity (provider {provider})"))
        .into_iter()
        .collect();
    let present = [
        ("spec.filePath", cluster && spec.file_path.is_some()),
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
    fields
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

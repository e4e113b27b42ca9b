//! Reports on the documents around the ScaledObjects: (Cluster)TriggerAuthentications,
//! documents that did not load, and the objects read for resolution only.

use super::report::{ObjectReport, meta_name, object_name, start, unknown_field};
use crate::api::TriggerAuthenticationSpec;
use crate::api::validation;
use crate::manifest::{LoadError, Loaded, ManifestSet};
use crate::resolve::{self, ObjectName};

pub fn trigger_auths(set: &ManifestSet) -> Vec<ObjectReport> {
    let namespaced = set.trigger_authentications.iter().map(|ta| {
        let name = object_name("TriggerAuthentication", &ta.object.metadata);
        trigger_auth(&name, &ta.object.spec, false, ta)
    });
    let cluster = set.cluster_trigger_authentications.iter().map(|cta| {
        let meta = &cta.object.metadata;
        let name = ObjectName::cluster("ClusterTriggerAuthentication", &meta_name(meta));
        trigger_auth(&name, &cta.object.spec.spec, true, cta)
    });
    namespaced.chain(cluster).collect()
}

pub fn skipped(set: &ManifestSet) -> Vec<String> {
    set.skipped
        .iter()
        .map(|s| {
            format!(
                "{} {} ({}:{})",
                s.api_version, s.kind, s.source.file, s.source.line
            )
        })
        .collect()
}

fn trigger_auth<T>(
    name: &ObjectName,
    spec: &TriggerAuthenticationSpec,
    cluster: bool,
    loaded: &Loaded<T>,
) -> ObjectReport {
    let mut report = start(name.clone(), loaded);
    report.add(validation::validate_trigger_authentication(spec));
    let unsupported = resolve::unsupported_features(name, spec, cluster);
    // The problem names the object already; the report is grouped under it.
    let prefix = format!("{name}: ");
    report.errors.extend(unsupported.iter().map(|p| {
        let text = p.to_string();
        text.strip_prefix(&prefix)
            .map(str::to_string)
            .unwrap_or(text)
    }));
    report.finish()
}

pub fn load_error(err: &LoadError) -> ObjectReport {
    let identity = err.identity();
    ObjectReport {
        kind: identity.kind,
        namespace: identity.namespace,
        name: identity.name,
        source: err.location(),
        valid: false,
        errors: vec![err.to_string()],
        warnings: Vec::new(),
        triggers: Vec::new(),
        hpa: None,
    }
}

/// Unknown fields of the objects read only to resolve references.
pub fn resolution_only_warnings(set: &ManifestSet) -> Vec<String> {
    fn warn<T: kube::Resource>(kind: &str, objects: &[Loaded<T>], out: &mut Vec<String>) {
        for loaded in objects {
            let name = object_name(kind, loaded.object.meta());
            for field in &loaded.unknown_fields {
                out.push(format!(
                    "{name} ({}): {}",
                    loaded.source.file,
                    unknown_field(field)
                ));
            }
        }
    }
    let mut out = Vec::new();
    warn("Deployment", &set.deployments, &mut out);
    warn("StatefulSet", &set.stateful_sets, &mut out);
    warn("Secret", &set.secrets, &mut out);
    warn("ConfigMap", &set.config_maps, &mut out);
    warn("HorizontalPodAutoscaler", &set.hpas, &mut out);
    out
}

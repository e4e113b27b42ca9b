//! What `kedars check` found, per object, in the shape `--output json` prints.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use kedars_scalers::Connections;
use serde::Serialize;

use super::triggers::{self, TriggerReport};
use crate::api::annotations;
use crate::api::validation::{self, Neighbours, Validation};
use crate::api::{ScaleTrigger, ScaledJob, ScaledObject};
use crate::controller::hpa;
use crate::manifest::{Loaded, ManifestSet, UnknownField};
use crate::resolve::{self, ObjectName, ResolveOptions, Resolved};

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub objects: Vec<ObjectReport>,
    /// Warnings about documents read for resolution only (Deployments, Secrets, ...).
    pub warnings: Vec<String>,
    /// Documents of kinds `check` does not read, as `apiVersion kind (file:line)`.
    pub skipped: Vec<String>,
}

impl Report {
    pub fn all_valid(&self) -> bool {
        self.objects.iter().all(|o| o.valid)
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectReport {
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    /// `file:line` of the document.
    pub source: String,
    pub valid: bool,
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    pub triggers: Vec<TriggerReport>,
    pub hpa: Option<serde_json::Value>,
}

impl ObjectReport {
    fn new(name: &ObjectName, source: String) -> Self {
        ObjectReport {
            kind: Some(name.kind.clone()),
            namespace: name.namespace.clone(),
            name: Some(name.name.clone()),
            source,
            valid: true,
            errors: Vec::new(),
            warnings: Vec::new(),
            triggers: Vec::new(),
            hpa: None,
        }
    }

    fn add(&mut self, validation: Validation) {
        self.errors.extend(validation.errors);
        self.warnings.extend(validation.warnings);
    }

    /// Drops repeated messages (two rules can see the same mistake) and settles `valid`.
    fn finish(mut self) -> Self {
        dedup(&mut self.errors);
        dedup(&mut self.warnings);
        self.valid = self.errors.is_empty();
        self
    }
}

fn dedup(messages: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    messages.retain(|m| seen.insert(m.clone()));
}

/// Settings of one `check` run.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    pub resolve: ResolveOptions,
    /// Evaluate time-based triggers at this instant.
    pub at: Option<DateTime<Utc>>,
}

pub fn check(set: &ManifestSet, options: &CheckOptions) -> Report {
    let connections = Connections::new(kedars_scalers::scaler::DEFAULT_TIMEOUT);
    let scaled_objects: Vec<ScaledObject> = set
        .scaled_objects
        .iter()
        .map(|l| (*l.object).clone())
        .collect();
    let hpas: Vec<_> = set.hpas.iter().map(|l| (*l.object).clone()).collect();
    let neighbours = Neighbours {
        scaled_objects: &scaled_objects,
        hpas: &hpas,
    };
    let mut objects = Vec::new();
    for so in &set.scaled_objects {
        objects.push(scaled_object(set, so, &neighbours, &connections, options));
    }
    for sj in &set.scaled_jobs {
        objects.push(scaled_job(set, sj, &connections, options));
    }
    for ta in &set.trigger_authentications {
        let name = object_name("TriggerAuthentication", &ta.object.metadata);
        objects.push(trigger_auth(&name, &ta.object.spec, false, ta));
    }
    for cta in &set.cluster_trigger_authentications {
        let name = ObjectName::cluster(
            "ClusterTriggerAuthentication",
            &meta_name(&cta.object.metadata),
        );
        objects.push(trigger_auth(&name, &cta.object.spec.spec, true, cta));
    }
    objects.extend(set.errors.iter().map(load_error));
    Report {
        objects,
        warnings: resolution_only_warnings(set),
        skipped: set
            .skipped
            .iter()
            .map(|s| {
                format!(
                    "{} {} ({}:{})",
                    s.api_version, s.kind, s.source.file, s.source.line
                )
            })
            .collect(),
    }
}

fn scaled_object(
    set: &ManifestSet,
    loaded: &Loaded<ScaledObject>,
    neighbours: &Neighbours<'_>,
    connections: &Arc<Connections>,
    options: &CheckOptions,
) -> ObjectReport {
    let so = &loaded.object;
    let mut report = start(object_name("ScaledObject", &so.metadata), loaded);
    report.add(validation::validate_scaled_object(so, neighbours));
    let resolved = resolve::resolve_scaled_object(set, so, &options.resolve);
    let metrics = run_triggers(
        &mut report,
        &resolved,
        &so.spec.triggers,
        connections,
        options,
        true,
    );
    let paused = paused(so);
    if let Some(key) = paused {
        report.warnings.push(format!(
            "paused by annotation {key}: KEDA deletes the HPA while paused, so none is shown"
        ));
    }
    if let Some(metrics) = metrics.filter(|_| report.errors.is_empty() && paused.is_none()) {
        match hpa::build_hpa(so, &metrics, env!("CARGO_PKG_VERSION")) {
            Ok(hpa) => report.hpa = serde_json::to_value(hpa).ok(),
            Err(err) => report.errors.push(err.to_string()),
        }
    }
    report.finish()
}

/// The annotation that fully pauses `so` (§2.7), if any; a pause of scale-in or scale-out
/// alone keeps the HPA.
fn paused(so: &ScaledObject) -> Option<&'static str> {
    let annotations = so.metadata.annotations.clone().unwrap_or_default();
    match annotations::pause(&annotations) {
        Ok(pause) if pause.paused_replicas.is_some() => Some(annotations::PAUSED_REPLICAS),
        Ok(pause) if pause.paused => Some(annotations::PAUSED),
        // An unreadable paused-replicas is a validation error, reported there.
        _ => None,
    }
}

fn scaled_job(
    set: &ManifestSet,
    loaded: &Loaded<ScaledJob>,
    connections: &Arc<Connections>,
    options: &CheckOptions,
) -> ObjectReport {
    let sj = &loaded.object;
    let mut report = start(object_name("ScaledJob", &sj.metadata), loaded);
    report.add(validation::validate_scaled_job(sj));
    let resolved = resolve::resolve_scaled_job(set, sj, &options.resolve);
    run_triggers(
        &mut report,
        &resolved,
        &sj.spec.triggers,
        connections,
        options,
        false,
    );
    report.finish()
}

/// Builds every resolved trigger into `report`; the HPA metrics when all of them built.
fn run_triggers(
    report: &mut ObjectReport,
    resolved: &Resolved,
    triggers: &[ScaleTrigger],
    connections: &Arc<Connections>,
    options: &CheckOptions,
    resources_allowed: bool,
) -> Option<Vec<hpa::TriggerMetric>> {
    report
        .errors
        .extend(resolved.errors.iter().map(|e| e.in_object()));
    let mut metrics = Some(Vec::new());
    for (index, (trigger, ctx)) in triggers.iter().zip(&resolved.triggers).enumerate() {
        let ctx = match ctx {
            Ok(ctx) => ctx,
            Err(errors) => {
                report.errors.extend(errors.iter().map(|e| e.in_object()));
                report.triggers.push(TriggerReport::unbuilt(index, trigger));
                metrics = None;
                continue;
            }
        };
        let built = triggers::build(ctx, trigger, connections, options.at, resources_allowed);
        if built.reports.is_empty() {
            report.triggers.push(TriggerReport::unbuilt(index, trigger));
        }
        report.triggers.extend(built.reports);
        if !built.errors.is_empty() {
            metrics = None;
        }
        report.errors.extend(built.errors);
        if let Some(all) = metrics.as_mut() {
            all.extend(built.metrics);
        }
    }
    metrics
}

fn trigger_auth<T>(
    name: &ObjectName,
    spec: &crate::api::TriggerAuthenticationSpec,
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

fn start<T>(name: ObjectName, loaded: &Loaded<T>) -> ObjectReport {
    let source = format!("{}:{}", loaded.source.file, loaded.source.line);
    let mut report = ObjectReport::new(&name, source);
    report
        .warnings
        .extend(loaded.unknown_fields.iter().map(unknown_field));
    report
}

fn unknown_field(field: &UnknownField) -> String {
    format!(
        "unknown field {} (line {}): a cluster would prune it, so it has no effect",
        field.path, field.line
    )
}

fn load_error(err: &crate::manifest::LoadError) -> ObjectReport {
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
fn resolution_only_warnings(set: &ManifestSet) -> Vec<String> {
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

fn meta_name(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> String {
    meta.name.clone().unwrap_or_default()
}

fn object_name(
    kind: &str,
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
) -> ObjectName {
    let namespace = meta.namespace.as_deref().unwrap_or("default");
    ObjectName::namespaced(kind, namespace, &meta_name(meta))
}

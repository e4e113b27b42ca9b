//! What `kedars check` found, per object, in the shape `--output json` prints.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kedars_scalers::Connections;
use serde::Serialize;

use super::documents;
use super::triggers::{self, TriggerReport};
use crate::api::annotations;
use crate::api::validation::{self, Neighbours, Validation};
use crate::api::{ScaledJob, ScaledObject};
use crate::controller::hpa;
use crate::manifest::{Loaded, ManifestSet, UnknownField};
use crate::resolve::{self, ObjectName, ResolveOptions};

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
    pub(super) fn new(name: &ObjectName, source: String) -> Self {
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

    pub(super) fn add(&mut self, validation: Validation) {
        self.errors.extend(validation.errors);
        self.warnings.extend(validation.warnings);
    }

    /// Drops repeated messages (two rules can see the same mistake) and settles `valid`.
    pub(super) fn finish(mut self) -> Self {
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
    /// List this many changes of each time-based trigger after this instant.
    pub next: Option<(DateTime<Utc>, usize)>,
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
    objects.extend(documents::trigger_auths(set));
    objects.extend(set.errors.iter().map(documents::load_error));
    Report {
        objects,
        warnings: documents::resolution_only_warnings(set),
        skipped: documents::skipped(set),
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
    let metrics = triggers::run_all(
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
    triggers::run_all(
        &mut report,
        &resolved,
        &sj.spec.triggers,
        connections,
        options,
        false,
    );
    report.finish()
}

pub(super) fn start<T>(name: ObjectName, loaded: &Loaded<T>) -> ObjectReport {
    let source = format!("{}:{}", loaded.source.file, loaded.source.line);
    let mut report = ObjectReport::new(&name, source);
    report
        .warnings
        .extend(loaded.unknown_fields.iter().map(unknown_field));
    report
}

pub(super) fn unknown_field(field: &UnknownField) -> String {
    format!(
        "unknown field {} (line {}): a cluster would prune it, so it has no effect",
        field.path, field.line
    )
}

pub(super) fn meta_name(meta: &ObjectMeta) -> String {
    meta.name.clone().unwrap_or_default()
}

pub(super) fn object_name(kind: &str, meta: &ObjectMeta) -> ObjectName {
    let namespace = meta.namespace.as_deref().unwrap_or("default");
    ObjectName::namespaced(kind, namespace, &meta_name(meta))
}

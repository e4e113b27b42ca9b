//! Manifests from files, directories and stdin: multi-document YAML read into the keda.sh types,
//! plus the Deployments, StatefulSets, Secrets, ConfigMaps and HPAs they refer to.
//!
//! Loading never stops at the first bad document: a file that is not YAML, or a document that is
//! not a valid object of its kind, becomes a [`LoadError`] naming the file, line, object and field,
//! and the other documents still load. Fields the types do not know are kept as warnings: a
//! cluster would prune them, so the user should know they have no effect.

mod load;
pub mod node;
mod set;
#[cfg(test)]
mod tests;
mod typed;

use std::fmt;
use std::sync::Arc;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};

use crate::api::{ClusterTriggerAuthentication, ScaledJob, ScaledObject, TriggerAuthentication};

pub use load::{Input, LoadOptions, ReadError, load_inputs, load_str};

/// Where a document came from: `file:line`, and which document of the file (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub file: String,
    pub document: usize,
    pub line: u64,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{} (document {})",
            self.file, self.line, self.document
        )
    }
}

/// What a document says it is, as far as it could be read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Identity {
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.as_deref().unwrap_or("object"))?;
        match (&self.namespace, &self.name) {
            (Some(ns), Some(name)) => write!(f, " {ns}/{name}"),
            (None, Some(name)) => write!(f, " {name}"),
            _ => f.write_str(" (unnamed)"),
        }
    }
}

/// A field the types do not know; a cluster would prune it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownField {
    /// `spec.triggers[0].metdata`.
    pub path: String,
    pub line: u64,
}

/// One object read from a document.
#[derive(Debug, Clone)]
pub struct Loaded<T> {
    pub object: Arc<T>,
    pub source: Source,
    pub unknown_fields: Vec<UnknownField>,
}

/// Why a file or a document could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LoadError {
    #[error("{file}:{line}:{column}: malformed YAML: {message}")]
    Malformed {
        file: String,
        line: u64,
        column: u64,
        message: String,
    },
    #[error("{at}: not a Kubernetes object: {reason}")]
    NotAnObject { at: Source, reason: String },
    #[error("{at}: {identity}: field {path} (line {line}): {message}")]
    Invalid {
        at: Source,
        identity: Box<Identity>,
        path: String,
        line: u64,
        message: String,
    },
}

impl LoadError {
    /// What the failed document said it was, when it got that far.
    pub fn identity(&self) -> Identity {
        match self {
            LoadError::Invalid { identity, .. } => (**identity).clone(),
            _ => Identity::default(),
        }
    }

    /// `file:line` of the problem.
    pub fn location(&self) -> String {
        match self {
            LoadError::Malformed { file, line, .. } => format!("{file}:{line}"),
            LoadError::NotAnObject { at, .. } => format!("{}:{}", at.file, at.line),
            LoadError::Invalid { at, line, .. } => format!("{}:{line}", at.file),
        }
    }
}

/// A document of a kind kedars does not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub source: Source,
    pub api_version: String,
    pub kind: String,
}

/// Everything read from the inputs.
#[derive(Debug, Clone, Default)]
pub struct ManifestSet {
    pub scaled_objects: Vec<Loaded<ScaledObject>>,
    pub scaled_jobs: Vec<Loaded<ScaledJob>>,
    pub trigger_authentications: Vec<Loaded<TriggerAuthentication>>,
    pub cluster_trigger_authentications: Vec<Loaded<ClusterTriggerAuthentication>>,
    pub deployments: Vec<Loaded<Deployment>>,
    pub stateful_sets: Vec<Loaded<StatefulSet>>,
    pub secrets: Vec<Loaded<Secret>>,
    pub config_maps: Vec<Loaded<ConfigMap>>,
    pub hpas: Vec<Loaded<HorizontalPodAutoscaler>>,
    pub errors: Vec<LoadError>,
    pub skipped: Vec<Skipped>,
}

impl ManifestSet {
    /// Adds everything from `other`, keeping input order.
    pub fn extend(&mut self, other: ManifestSet) {
        self.scaled_objects.extend(other.scaled_objects);
        self.scaled_jobs.extend(other.scaled_jobs);
        self.trigger_authentications
            .extend(other.trigger_authentications);
        self.cluster_trigger_authentications
            .extend(other.cluster_trigger_authentications);
        self.deployments.extend(other.deployments);
        self.stateful_sets.extend(other.stateful_sets);
        self.secrets.extend(other.secrets);
        self.config_maps.extend(other.config_maps);
        self.hpas.extend(other.hpas);
        self.errors.extend(other.errors);
        self.skipped.extend(other.skipped);
    }

    /// `spec.replicas` of the Deployment (else StatefulSet) named `name` in `namespace`, when
    /// these manifests give one: where `kedars run` and `simulate` start the workload.
    pub fn workload_replicas(&self, namespace: &str, name: &str) -> Option<i32> {
        let matches = |meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta| {
            meta.name.as_deref() == Some(name)
                && meta.namespace.as_deref().unwrap_or("default") == namespace
        };
        let deployment = self
            .deployments
            .iter()
            .find(|d| matches(&d.object.metadata));
        let stateful_set = self
            .stateful_sets
            .iter()
            .find(|s| matches(&s.object.metadata));
        deployment
            .and_then(|d| d.object.spec.as_ref()?.replicas)
            .or_else(|| stateful_set.and_then(|s| s.object.spec.as_ref()?.replicas))
    }
}

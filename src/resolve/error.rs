//! What can go wrong while resolving a trigger's secrets and environment. Messages name objects,
//! keys and variables, never a value.

use std::fmt;

/// A Kubernetes object by kind and name, for messages: `Secret default/creds`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectName {
    pub kind: String,
    /// `None` for cluster-scoped kinds.
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectName {
    pub fn namespaced(kind: &str, namespace: &str, name: &str) -> Self {
        ObjectName {
            kind: kind.to_string(),
            namespace: Some(namespace.to_string()),
            name: name.to_string(),
        }
    }

    pub fn cluster(kind: &str, name: &str) -> Self {
        ObjectName {
            kind: kind.to_string(),
            namespace: None,
            name: name.to_string(),
        }
    }
}

impl fmt::Display for ObjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {ns}/{}", self.kind, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// One thing that could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("{object} not found {origin}{}", hint(.elsewhere, *.unreadable))]
    NotFound {
        // Boxed, like the other large fields, to keep `Result<_, Problem>` small.
        object: Box<ObjectName>,
        /// `among the given documents`, `in the cluster`.
        origin: String,
        /// Namespaces where an object of that kind and name does exist.
        elsewhere: Vec<String>,
        /// A document meant to define it could not be read.
        unreadable: bool,
    },
    #[error("key \"{key}\" not found in {object}")]
    MissingKey { object: ObjectName, key: String },
    #[error("{object}: {field} is not supported yet")]
    NotSupported { object: ObjectName, field: String },
    #[error(
        "{object}: spec.filePath is only honoured on a ClusterTriggerAuthentication (KEDA rejects \
         it on a TriggerAuthentication)"
    )]
    FilePathOnNamespaced { object: ObjectName },
    #[error(
        "authenticationRef.kind \"{kind}\" is invalid: expected TriggerAuthentication or \
         ClusterTriggerAuthentication"
    )]
    UnknownAuthKind { kind: String },
    #[error("container \"{container}\" not found in {workload}")]
    NoSuchContainer {
        workload: ObjectName,
        container: String,
    },
    #[error("{workload} has no containers")]
    NoContainers { workload: ObjectName },
    #[error("{what} reads environment variable {variable}, but {why}")]
    EnvUnavailable {
        /// `metadata.passwordFromEnv`, `TriggerAuthentication default/x env[0]`.
        what: String,
        variable: String,
        why: String,
    },
    #[error(
        "{what} reads environment variable {variable}, which container \"{container}\" of {workload} does not set"
    )]
    EnvVarMissing {
        what: String,
        variable: String,
        container: String,
        workload: Box<ObjectName>,
    },
    #[error("env of container \"{container}\" of {workload}: {problem}")]
    ContainerEnv {
        workload: ObjectName,
        container: String,
        problem: Box<Problem>,
    },
    #[error(
        "metricType \"{value}\" is invalid: expected AverageValue, Value or Utilization (or none)"
    )]
    InvalidMetricType { value: String },
}

fn hint(elsewhere: &[String], unreadable: bool) -> String {
    if unreadable {
        return " (a document defining it could not be read: see that document's error)".into();
    }
    match elsewhere {
        [] => String::new(),
        [one] => format!(" (one with that name exists in namespace {one})"),
        many => format!(
            " (ones with that name exist in namespaces {})",
            many.join(", ")
        ),
    }
}

/// A problem, and where: the ScaledObject (or ScaledJob) and, when it concerns one, the trigger.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{object}: {}", self.in_object())]
pub struct ResolveError {
    pub object: ObjectName,
    /// Index in `spec.triggers` and type.
    pub trigger: Option<(usize, String)>,
    pub problem: Problem,
}

impl ResolveError {
    /// The message without the object's name, for output already grouped by object.
    pub fn in_object(&self) -> String {
        match &self.trigger {
            Some((index, trigger_type)) => {
                format!("trigger {index} ({trigger_type}): {}", self.problem)
            }
            None => self.problem.to_string(),
        }
    }
}

//! Resolving every trigger of a ScaledObject or ScaledJob into a [`TriggerContext`].

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::PodSpec;
use kedars_scalers::{MetricType, TriggerContext};

use crate::api::{ScaleTrigger, ScaledJob, ScaledObject};

use super::env::{Env, Workload};
use super::error::{ObjectName, Problem, ResolveError};
use super::{ObjectSource, ResolveOptions, auth};

/// The resolution of one ScaledObject or ScaledJob.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// Problems every trigger shares: the scale target's environment could not be resolved
    /// (KEDA then fails every trigger).
    pub errors: Vec<ResolveError>,
    /// One entry per `spec.triggers[]`, in order.
    pub triggers: Vec<Result<TriggerContext, Vec<ResolveError>>>,
}

pub fn resolve_scaled_object(
    source: &dyn ObjectSource,
    so: &ScaledObject,
    options: &ResolveOptions,
) -> Resolved {
    let namespace = so.metadata.namespace.as_deref().unwrap_or("default");
    let subject = ObjectName::namespaced(
        "ScaledObject",
        namespace,
        so.metadata.name.as_deref().unwrap_or_default(),
    );
    let target = &so.spec.scale_target_ref;
    let api_version = target.api_version.as_deref().unwrap_or("apps/v1");
    let kind = target.kind.as_deref().unwrap_or("Deployment");
    let workload_name = ObjectName::namespaced(kind, namespace, &target.name);
    let pod = source.pod_spec(namespace, api_version, kind, &target.name);
    let why = super::not_found(source, kind, namespace, &target.name).to_string();
    let env_source = target.env_source_container_name.as_deref();
    let target = Target::new(&workload_name, pod.as_ref().ok_or(why), env_source);
    resolve_all(source, &subject, target, &so.spec.triggers, options)
}

pub fn resolve_scaled_job(
    source: &dyn ObjectSource,
    sj: &ScaledJob,
    options: &ResolveOptions,
) -> Resolved {
    let namespace = sj.metadata.namespace.as_deref().unwrap_or("default");
    let subject = ObjectName::namespaced(
        "ScaledJob",
        namespace,
        sj.metadata.name.as_deref().unwrap_or_default(),
    );
    let pod = sj.spec.job_target_ref.template.spec.as_ref();
    let why = format!("{subject} has no spec.jobTargetRef.template.spec");
    let env_source = sj.spec.env_source_container_name.as_deref();
    let target = Target::new(&subject, pod.ok_or(why), env_source);
    resolve_all(source, &subject, target, &sj.spec.triggers, options)
}

fn resolve_all(
    source: &dyn ObjectSource,
    subject: &ObjectName,
    mut target: Target<'_>,
    triggers: &[ScaleTrigger],
    options: &ResolveOptions,
) -> Resolved {
    let shared = target.env_of(source, None);
    let errors = match &shared {
        Err(EnvFailure::Problem(problem)) => vec![ResolveError {
            object: subject.clone(),
            trigger: None,
            problem: problem.clone(),
        }],
        _ => Vec::new(),
    };
    let triggers = triggers
        .iter()
        .enumerate()
        .map(|(index, trigger)| {
            let problems = resolve_trigger(source, &mut target, &shared, index, trigger, options);
            problems.map_err(|problems| {
                problems
                    .into_iter()
                    .map(|problem| ResolveError {
                        object: subject.clone(),
                        trigger: Some((index, trigger.type_.clone())),
                        problem,
                    })
                    .collect()
            })
        })
        .collect();
    Resolved { errors, triggers }
}

fn resolve_trigger(
    source: &dyn ObjectSource,
    target: &mut Target<'_>,
    shared: &Result<(Env, String), EnvFailure>,
    index: usize,
    trigger: &ScaleTrigger,
    options: &ResolveOptions,
) -> Result<TriggerContext, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut ctx = TriggerContext::new(trigger.type_.clone(), index);
    ctx.name = trigger.name.clone();
    ctx.metadata = trigger.metadata.clone();
    ctx.metric_type = metric_type(trigger.metric_type.as_deref()).unwrap_or_else(|p| {
        problems.push(p);
        MetricType::default()
    });
    if let Ok((env, _)) = shared {
        ctx.resolved_env = env.clone();
    }
    // A failure of the env source container itself is reported once, for the whole object.
    if !matches!(shared, Err(EnvFailure::Problem(_))) {
        problems.extend(unresolved_env_references(
            source,
            target,
            trigger,
            &ctx.resolved_env,
        ));
    }
    match auth_params(source, target, trigger, options) {
        Ok(params) => ctx.auth_params = params,
        Err(auth_problems) => problems.extend(auth_problems),
    }
    if problems.is_empty() {
        Ok(ctx)
    } else {
        Err(problems)
    }
}

/// The parameters of the trigger's `authenticationRef` (none without one).
fn auth_params(
    source: &dyn ObjectSource,
    target: &mut Target<'_>,
    trigger: &ScaleTrigger,
    options: &ResolveOptions,
) -> Result<BTreeMap<String, String>, Vec<Problem>> {
    let Some(reference) = trigger.authentication_ref.as_ref() else {
        return Ok(BTreeMap::new());
    };
    // KEDA skips a reference without a name (the CRD requires one).
    if reference.name.is_empty() {
        return Ok(BTreeMap::new());
    }
    let namespace = target.name.namespace.clone().unwrap_or_default();
    let found = auth::find(source, reference, &namespace, options).map_err(|p| vec![p])?;
    auth::params(source, &found, target)
}

/// `<key>FromEnv` metadata: the name of a variable of the scale target's container.
fn from_env_keys(trigger: &ScaleTrigger) -> impl Iterator<Item = (&str, &str)> {
    trigger
        .metadata
        .iter()
        .filter(|(k, v)| k.ends_with("FromEnv") && !v.trim().is_empty())
        .map(|(k, v)| (k.as_str(), v.trim()))
}

/// `<key>FromEnv` references `env` cannot answer. KEDA treats such a parameter as absent; the
/// user asked for that variable, so here it is an error naming the variable and the container.
fn unresolved_env_references(
    source: &dyn ObjectSource,
    target: &mut Target<'_>,
    trigger: &ScaleTrigger,
    env: &Env,
) -> Vec<Problem> {
    from_env_keys(trigger)
        .filter(|(_, var)| !env.contains_key(*var))
        .filter_map(|(key, var)| {
            target
                .variable(source, None, var, &format!("metadata.{key}"))
                .err()
        })
        .collect()
}

/// `triggers[].metricType`: empty means AverageValue.
fn metric_type(value: Option<&str>) -> Result<MetricType, Problem> {
    match value.unwrap_or_default() {
        "" | "AverageValue" => Ok(MetricType::AverageValue),
        "Value" => Ok(MetricType::Value),
        "Utilization" => Ok(MetricType::Utilization),
        other => Err(Problem::InvalidMetricType {
            value: other.to_string(),
        }),
    }
}

/// Why a container's environment is not available.
#[derive(Debug, Clone)]
pub(super) enum EnvFailure {
    /// The scale target (or its pod template) is not known.
    NoWorkload(String),
    /// The target is known, but the container or its env references are not.
    Problem(Problem),
}

impl std::fmt::Display for EnvFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EnvFailure::NoWorkload(why) => f.write_str(why),
            EnvFailure::Problem(problem) => write!(f, "{problem}"),
        }
    }
}

/// The scale target's pod, and the environments of its containers as they are asked for.
pub(super) struct Target<'a> {
    pub name: &'a ObjectName,
    workload: Result<Workload<'a>, String>,
    env_source: Option<&'a str>,
    cache: BTreeMap<Option<String>, Result<(Env, String), EnvFailure>>,
}

impl<'a> Target<'a> {
    fn new(
        name: &'a ObjectName,
        pod: Result<&'a PodSpec, String>,
        env_source: Option<&'a str>,
    ) -> Self {
        Target {
            name,
            workload: pod.map(|pod| Workload { name, pod }),
            env_source: env_source.filter(|c| !c.is_empty()),
            cache: BTreeMap::new(),
        }
    }

    /// The environment of `container` (default: the env source container) and its name.
    pub fn env_of(
        &mut self,
        source: &dyn ObjectSource,
        container: Option<&str>,
    ) -> Result<(Env, String), EnvFailure> {
        let container = container.filter(|c| !c.is_empty()).or(self.env_source);
        let key = container.map(str::to_string);
        if let Some(cached) = self.cache.get(&key) {
            return cached.clone();
        }
        let result = match &self.workload {
            Err(why) => Err(EnvFailure::NoWorkload(why.clone())),
            Ok(workload) => workload
                .container(container)
                .and_then(|c| Ok((workload.env(source, c)?, c.name.clone())))
                .map_err(EnvFailure::Problem),
        };
        self.cache.insert(key, result.clone());
        result
    }

    /// One variable of a container's environment; `what` names who asks, for the message.
    pub fn variable(
        &mut self,
        source: &dyn ObjectSource,
        container: Option<&str>,
        variable: &str,
        what: &str,
    ) -> Result<String, Problem> {
        match self.env_of(source, container) {
            Ok((env, container)) => {
                env.get(variable)
                    .cloned()
                    .ok_or_else(|| Problem::EnvVarMissing {
                        what: what.to_string(),
                        variable: variable.to_string(),
                        container,
                        workload: Box::new(self.name.clone()),
                    })
            }
            Err(failure) => Err(Problem::EnvUnavailable {
                what: what.to_string(),
                variable: variable.to_string(),
                why: failure.to_string(),
            }),
        }
    }
}

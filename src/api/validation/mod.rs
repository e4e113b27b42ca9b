//! Admission rules for keda.sh objects: KEDA's validating webhooks (§1.6) plus the CRD
//! constraints an API server would enforce, because `kedars check` has no API server to lean on.
//!
//! KEDA runs its webhook checks from a Go map (random order) and returns the first error. Here
//! every rule runs, always in the same order, and every error is reported: one pass shows all of
//! a manifest's problems, and the output is the same on every run.

mod behavior;
mod cpu_memory;
mod fallback;
pub mod formula;
mod modifiers;
mod names;
mod ownership;
mod pause;
mod replicas;
mod trigger_auth;
mod triggers;

#[cfg(test)]
mod examples;
#[cfg(test)]
mod testing;

use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;

use super::{ScaledJob, ScaledObject, TriggerAuthenticationSpec};

/// What the rules found. Errors reject the object; warnings are shown and accepted, as the
/// webhook's `admission.Warnings` are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validation {
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
}

impl Validation {
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    pub(crate) fn error(&mut self, message: impl Into<String>) {
        self.errors.push(message.into());
    }

    pub(crate) fn warn(&mut self, message: impl Into<String>) {
        self.warnings.push(message.into());
    }
}

/// Everything in the cluster (or the files given to `kedars check`) that cross-object rules look at.
#[derive(Default)]
pub struct Neighbours<'a> {
    pub scaled_objects: &'a [ScaledObject],
    pub hpas: &'a [HorizontalPodAutoscaler],
}

/// One self-contained rule over a ScaledObject.
type Rule = fn(&ScaledObject, &mut Validation);

/// The fixed order: the object's own shape first, then its triggers and advanced settings, then
/// the rules that look at other objects, then the warnings.
const SCALED_OBJECT_RULES: &[Rule] = &[
    names::check,
    replicas::crd_minimums,
    replicas::bounds,
    |so, v| triggers::check(&so.spec.triggers, v),
    triggers::metric_types,
    cpu_memory::check,
    fallback::check,
    modifiers::check,
    behavior::check,
    pause::check,
];

pub fn validate_scaled_object(so: &ScaledObject, neighbours: &Neighbours<'_>) -> Validation {
    let mut validation = Validation::default();
    for rule in SCALED_OBJECT_RULES {
        rule(so, &mut validation);
    }
    ownership::hpas(so, neighbours.hpas, &mut validation);
    ownership::scaled_objects(so, neighbours.scaled_objects, &mut validation);
    replicas::irrelevant_settings(so, &mut validation);
    validation
}

/// KEDA's ScaledJob webhook runs `verifyTriggers` only; so do we.
pub fn validate_scaled_job(sj: &ScaledJob) -> Validation {
    let mut validation = Validation::default();
    triggers::check(&sj.spec.triggers, &mut validation);
    validation
}

/// The TriggerAuthentication / ClusterTriggerAuthentication webhook (`validateSpec`).
pub fn validate_trigger_authentication(spec: &TriggerAuthenticationSpec) -> Validation {
    let mut validation = Validation::default();
    trigger_auth::check(spec, &mut validation);
    validation
}

/// KEDA compares trigger types with the exact strings `cpu` and `memory`.
pub(crate) fn is_resource_trigger(trigger_type: &str) -> bool {
    trigger_type == "cpu" || trigger_type == "memory"
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn base_object_is_valid_and_quiet() {
        assert_eq!(
            validate_scaled_object(&base(), &Neighbours::default()),
            Validation::default()
        );
    }

    #[test]
    fn every_error_is_reported_in_a_fixed_order() {
        // KEDA would stop at one of these, picked at random; we report all three, in rule order.
        let mut so = base();
        so.metadata.name = Some("x".repeat(64));
        so.spec.min_replica_count = Some(5);
        so.spec.max_replica_count = Some(3);
        so.spec.triggers[0].metric_type = Some("Utilization".into());
        let first = validate_scaled_object(&so, &Neighbours::default());
        assert_eq!(first.errors.len(), 4, "{:#?}", first.errors);
        assert!(first.errors[0].starts_with("metadata.name: scaledobject name"));
        assert!(first.errors[1].starts_with("metadata.name: HPA name \"keda-hpa-xxx"));
        assert!(first.errors[2].contains("minReplicaCount must be less than or equal"));
        assert!(first.errors[3].contains("'Utilization' metric type is unsupported"));
        for _ in 0..5 {
            assert_eq!(validate_scaled_object(&so, &Neighbours::default()), first);
        }
    }

    #[test]
    fn scaled_job_runs_only_the_trigger_rules() {
        let mut sj = ScaledJob::new("job", Default::default());
        assert_eq!(
            validate_scaled_job(&sj).errors,
            ["spec.triggers: no triggers defined in the ScaledObject/ScaledJob"]
        );
        sj.spec.triggers = vec![trigger("cron", "a"), trigger("cron", "a")];
        sj.spec.min_replica_count = Some(-1); // not a verifyTriggers concern
        assert_eq!(validate_scaled_job(&sj).errors.len(), 1);
    }
}

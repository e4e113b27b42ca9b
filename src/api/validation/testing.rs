//! Shared test fixtures: a valid ScaledObject and a runner for the table-driven rule tests.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::Validation;
use crate::api::scaled_object::ScaleTarget;
use crate::api::{ScaleTrigger, ScaledObject, ScaledObjectSpec};

/// A row: what it shows, how it changes the valid base object, and the fragments the reported
/// messages must contain, one per message, in order (an empty list means "no messages").
pub(crate) type Row = (&'static str, fn(&mut ScaledObject), &'static [&'static str]);

/// Passes every rule without a warning: namespaced, named, one named prometheus trigger.
pub(crate) fn base() -> ScaledObject {
    ScaledObject {
        metadata: ObjectMeta {
            name: Some("app".into()),
            namespace: Some("default".into()),
            ..ObjectMeta::default()
        },
        spec: ScaledObjectSpec {
            scale_target_ref: ScaleTarget {
                name: "web".into(),
                ..ScaleTarget::default()
            },
            triggers: vec![trigger("prometheus", "queue")],
            ..ScaledObjectSpec::default()
        },
        status: None,
    }
}

/// A trigger of that type; an empty `name` leaves it unnamed.
pub(crate) fn trigger(type_: &str, name: &str) -> ScaleTrigger {
    ScaleTrigger {
        type_: type_.into(),
        name: (!name.is_empty()).then(|| name.into()),
        metadata: BTreeMap::from([("value".to_string(), "50".to_string())]),
        ..ScaleTrigger::default()
    }
}

/// A cpu or memory trigger as KEDA accepts it.
pub(crate) fn resource_trigger(type_: &str) -> ScaleTrigger {
    ScaleTrigger {
        metric_type: Some("Utilization".into()),
        ..trigger(type_, "")
    }
}

pub(crate) fn errors_of(
    rule: fn(&ScaledObject, &mut Validation),
    so: &ScaledObject,
) -> Vec<String> {
    let mut validation = Validation::default();
    rule(so, &mut validation);
    validation.errors
}

pub(crate) fn warnings_of(
    rule: fn(&ScaledObject, &mut Validation),
    so: &ScaledObject,
) -> Vec<String> {
    let mut validation = Validation::default();
    rule(so, &mut validation);
    validation.warnings
}

/// Runs each row through `messages` (a rule's errors or warnings) and checks the result.
pub(crate) fn run_rows(messages: impl Fn(&ScaledObject) -> Vec<String>, rows: &[Row]) {
    for (what, edit, expected) in rows {
        let mut so = base();
        edit(&mut so);
        assert_messages(what, &messages(&so), expected);
    }
}

pub(crate) fn assert_messages(what: &str, got: &[String], expected: &[&str]) {
    assert_eq!(
        got.len(),
        expected.len(),
        "{what}: got {got:#?}, want fragments {expected:#?}"
    );
    for (message, fragment) in got.iter().zip(expected.iter()) {
        assert!(
            message.contains(fragment),
            "{what}: {message:?} does not contain {fragment:?}"
        );
    }
}

//! Per-kind rules of the real registry strategies: what create resets and sets, how status
//! and spec writes are separated, when generation moves, and the validation clients trip on.

use serde_json::{Map, Value, json};

use crate::crd;
use crate::meta;
use crate::ops::Sub;
use crate::registry::{GenerationRule, ResourceType};

fn is(rt: &ResourceType, group: &str, kind: &str) -> bool {
    rt.group == group && rt.kind == kind
}

/// `PrepareForCreate`: server-owned metadata, generation 1, status reset, kind specifics.
pub fn prepare_create(rt: &ResourceType, obj: &mut Value, now: &str) {
    let m = meta::meta_mut(obj);
    for k in [
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "selfLink",
    ] {
        m.remove(k);
    }
    m.insert("uid".into(), json!(meta::new_uid()));
    m.insert("creationTimestamp".into(), json!(now));
    if rt.generation == GenerationRule::None {
        m.remove("generation");
    } else {
        m.insert("generation".into(), json!(1));
    }
    if rt.status
        && let Some(o) = obj.as_object_mut()
    {
        o.remove("status");
    }
    if rt.builtin {
        crate::defaults::apply_defaults(&rt.group, &rt.kind, obj);
    }
    if is(rt, "", "Namespace") {
        let name = meta::name(obj).to_string();
        let labels = meta::meta_mut(obj).entry("labels").or_insert(json!({}));
        labels["kubernetes.io/metadata.name"] = json!(name);
        obj["spec"] = json!({"finalizers": ["kubernetes"]});
        obj["status"] = json!({"phase": "Active"});
    } else if is(rt, "autoscaling", "HorizontalPodAutoscaler") {
        obj["status"] = json!({"currentMetrics": null, "desiredReplicas": 0});
    } else if is(rt, "apiextensions.k8s.io", "CustomResourceDefinition") {
        let fins = meta::meta_mut(obj).entry("finalizers").or_insert(json!([]));
        if let Some(a) = fins.as_array_mut() {
            a.push(json!(crd::CLEANUP_FINALIZER));
        }
        obj["status"] = crd::established_status(obj, now);
    }
    crate::workloads::follow_spec(rt, obj, &Value::Null, now);
}

fn take_status(from: &Value, into: &mut Value) {
    let Some(o) = into.as_object_mut() else {
        return;
    };
    match from.get("status") {
        Some(s) => o.insert("status".into(), s.clone()),
        None => o.remove("status"),
    };
}

/// `PrepareForUpdate` of the main resource and of `/status`: with a status subresource, a
/// main write keeps the old status and a status write keeps everything else.
pub fn merge_for_sub(rt: &ResourceType, old: &Value, new: Value, sub: Sub) -> Value {
    match sub {
        Sub::Status if !rt.builtin => {
            let mut out = old.clone();
            take_status(&new, &mut out);
            out
        }
        Sub::Status => {
            // Built-in status strategies reset spec (and Deployments their labels).
            let mut out = new;
            match old.get("spec") {
                Some(s) => out["spec"] = s.clone(),
                None => {
                    out.as_object_mut().map(|o| o.remove("spec"));
                }
            }
            let labels = meta::meta(old).and_then(|m| m.get("labels")).cloned();
            let m = meta::meta_mut(&mut out);
            match labels {
                Some(l) => m.insert("labels".into(), l),
                None => m.remove("labels"),
            };
            out
        }
        _ if rt.status => {
            let mut out = new;
            take_status(old, &mut out);
            out
        }
        _ => new,
    }
}

/// Metadata a client cannot change with an update.
pub fn keep_server_metadata(old: &Value, new: &mut Value) {
    let om = meta::meta(old).cloned().unwrap_or_default();
    let nm = meta::meta_mut(new);
    for k in [
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "generation",
        "namespace",
        "name",
    ] {
        match om.get(k) {
            Some(v) => nm.insert(k.into(), v.clone()),
            None => nm.remove(k),
        };
    }
    if !nm.contains_key("managedFields")
        && let Some(mf) = om.get("managedFields")
    {
        nm.insert("managedFields".into(), mf.clone());
    }
}

fn without(obj: &Value, keys: &[&str]) -> Map<String, Value> {
    let mut m = obj.as_object().cloned().unwrap_or_default();
    for k in keys {
        m.remove(*k);
    }
    m
}

/// Bumps `metadata.generation` by the kind's rule.
pub fn bump_generation(rt: &ResourceType, old: &Value, new: &mut Value) {
    let changed = match rt.generation {
        GenerationRule::None => return,
        GenerationRule::Spec => old.get("spec") != new.get("spec"),
        GenerationRule::SpecAndAnnotations => {
            let ann = |o: &Value| meta::meta(o).and_then(|m| m.get("annotations")).cloned();
            old.get("spec") != new.get("spec") || ann(old) != ann(new)
        }
        GenerationRule::AllButMetadata => {
            without(old, &["metadata"]) != without(new, &["metadata"])
        }
    };
    let generation = old
        .pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let generation = if changed { generation + 1 } else { generation };
    meta::meta_mut(new).insert("generation".into(), json!(generation));
}

type FieldErrors = Vec<(String, String)>;

fn validate_workload(obj: &Value, old: Option<&Value>, errs: &mut FieldErrors) {
    let sel = obj.pointer("/spec/selector");
    let labels = obj
        .pointer("/spec/template/metadata/labels")
        .cloned()
        .unwrap_or(json!({}));
    match sel
        .and_then(|s| s.get("matchLabels"))
        .and_then(Value::as_object)
    {
        None if sel.is_none() => errs.push(("spec.selector".into(), "Required value".into())),
        Some(ml) if ml.iter().any(|(k, v)| labels.get(k) != Some(v)) => errs.push((
            "spec.template.metadata.labels".into(),
            format!("Invalid value: {labels}: `selector` does not match template `labels`"),
        )),
        _ => {}
    }
    if let Some(r) = obj
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .filter(|r| *r < 0)
    {
        errs.push((
            "spec.replicas".into(),
            format!("Invalid value: {r}: must be greater than or equal to 0"),
        ));
    }
    if obj
        .pointer("/spec/template/spec/containers")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
    {
        errs.push((
            "spec.template.spec.containers".into(),
            "Required value".into(),
        ));
    }
    if let Some(old) = old
        && old.pointer("/spec/selector") != sel
    {
        let s = sel.cloned().unwrap_or(Value::Null);
        errs.push((
            "spec.selector".into(),
            format!("Invalid value: {s}: field is immutable"),
        ));
    }
}

fn validate_hpa(obj: &Value, errs: &mut FieldErrors) {
    let spec = &obj["spec"];
    for f in ["kind", "name"] {
        if spec["scaleTargetRef"][f].as_str().is_none_or(str::is_empty) {
            errs.push((format!("spec.scaleTargetRef.{f}"), "Required value".into()));
        }
    }
    let max = spec["maxReplicas"].as_i64().unwrap_or(0);
    let min = spec["minReplicas"].as_i64().unwrap_or(1);
    if max < 1 {
        errs.push((
            "spec.maxReplicas".into(),
            format!("Invalid value: {max}: must be greater than 0"),
        ));
    } else if max < min {
        errs.push((
            "spec.maxReplicas".into(),
            format!("Invalid value: {max}: must be greater than or equal to `minReplicas`"),
        ));
    }
}

/// The validation the real server does that clients are likely to trip on (not all of it).
pub fn validate(rt: &ResourceType, obj: &Value, old: Option<&Value>) -> FieldErrors {
    let mut errs = Vec::new();
    let ann = meta::meta(obj)
        .and_then(|m| m.get("annotations"))
        .and_then(Value::as_object);
    let size: usize = ann
        .into_iter()
        .flatten()
        .map(|(k, v)| k.len() + v.as_str().map_or(0, str::len))
        .sum();
    if size > 262_144 {
        errs.push((
            "metadata.annotations".into(),
            "Too long: must have at most 262144 bytes".into(),
        ));
    }
    if rt.group == "apps" {
        validate_workload(obj, old, &mut errs);
    } else if is(rt, "autoscaling", "HorizontalPodAutoscaler") {
        validate_hpa(obj, &mut errs);
    } else if is(rt, "apiextensions.k8s.io", "CustomResourceDefinition") {
        errs.extend(crd::validate(obj));
    }
    errs
}

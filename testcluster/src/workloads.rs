//! Deployments and StatefulSets without pods: their status follows `spec.replicas` at once, as
//! if every pod became ready immediately; and the `autoscaling/v1 Scale` view of any scalable
//! object.

use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::meta;
use crate::registry::ResourceType;

/// A short stable hash, the stand-in for a pod-template-hash / controller revision.
fn template_hash(template: &Value) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in template.to_string().bytes() {
        h = (h ^ b as u64).wrapping_mul(0x100000001b3);
    }
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..10)
        .map(|i| ALPHABET[((h >> (i * 6)) % ALPHABET.len() as u64) as usize] as char)
        .collect()
}

fn condition(type_: &str, reason: &str, message: &str, now: &str, old: &Value) -> Value {
    // Keep the transition time while the condition stays the same, like the controller.
    let prev = old
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| c["type"] == type_ && c["reason"] == reason)
        });
    let since = prev
        .and_then(|c| c["lastTransitionTime"].as_str())
        .unwrap_or(now);
    json!({"type": type_, "status": "True", "reason": reason, "message": message,
        "lastUpdateTime": since, "lastTransitionTime": since})
}

fn deployment_status(obj: &Value, old: &Value, now: &str) -> Value {
    let replicas = obj
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let name = meta::name(obj);
    let rs = format!("{name}-{}", template_hash(&obj["spec"]["template"]));
    let mut status = json!({
        "observedGeneration": obj["metadata"]["generation"],
        "conditions": [
            condition("Available", "MinimumReplicasAvailable", "Deployment has minimum availability.", now, old),
            condition("Progressing", "NewReplicaSetAvailable",
                &format!("ReplicaSet \"{rs}\" has successfully progressed."), now, old),
        ],
    });
    // These counters are omitempty in apps/v1: zero replicas means absent fields.
    if replicas > 0 {
        for f in [
            "replicas",
            "updatedReplicas",
            "readyReplicas",
            "availableReplicas",
        ] {
            status[f] = json!(replicas);
        }
    }
    status
}

fn statefulset_status(obj: &Value) -> Value {
    let replicas = obj
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let revision = format!(
        "{}-{}",
        meta::name(obj),
        template_hash(&obj["spec"]["template"])
    );
    let mut status = json!({
        "observedGeneration": obj["metadata"]["generation"],
        "replicas": replicas,
        "availableReplicas": replicas,
        "currentRevision": revision,
        "updateRevision": revision,
        "collisionCount": 0,
    });
    if replicas > 0 {
        for f in ["readyReplicas", "currentReplicas", "updatedReplicas"] {
            status[f] = json!(replicas);
        }
    }
    status
}

/// Sets the status a Deployment or StatefulSet would reach once its pods are ready. Called
/// when the spec generation changes, so a status written through `/status` stays until then.
pub fn follow_spec(rt: &ResourceType, obj: &mut Value, old: &Value, now: &str) {
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("apps", "Deployment") => obj["status"] = deployment_status(obj, old, now),
        ("apps", "StatefulSet") => obj["status"] = statefulset_status(obj),
        _ => {}
    }
}

fn selector_string(rt: &ResourceType, obj: &Value) -> Option<String> {
    let paths = rt.scale.as_ref()?;
    match &paths.label_selector {
        Some(p) => meta::get_path(obj, p)
            .and_then(Value::as_str)
            .map(String::from),
        None if rt.builtin => obj
            .pointer("/spec/selector")
            .map(meta::format_label_selector)
            .map(|s| if s == "<none>" { String::new() } else { s }),
        None => None,
    }
}

/// The `autoscaling/v1 Scale` view of a scalable object.
pub fn to_scale(rt: &ResourceType, obj: &Value) -> Value {
    let paths = rt
        .scale
        .as_ref()
        .expect("caller checked the scale subresource");
    let int_at = |p: &str| meta::get_path(obj, p).and_then(Value::as_i64).unwrap_or(0);
    let md = meta::meta(obj).cloned().unwrap_or_default();
    let keep = [
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
    ];
    let metadata: serde_json::Map<String, Value> = md
        .into_iter()
        .filter(|(k, _)| keep.contains(&k.as_str()))
        .collect();
    // `status.replicas` is always written; `spec.replicas` and `status.selector` are
    // omitempty: a target at zero has a Scale without `spec.replicas`.
    let mut status = json!({"replicas": int_at(&paths.status_replicas)});
    if let Some(sel) = selector_string(rt, obj).filter(|s| !s.is_empty()) {
        status["selector"] = json!(sel);
    }
    let mut spec = json!({});
    let replicas = int_at(&paths.spec_replicas);
    if replicas != 0 {
        spec["replicas"] = json!(replicas);
    }
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": metadata,
        "spec": spec,
        "status": status,
    })
}

/// Writes a Scale's `spec.replicas` back into the object it views.
pub fn apply_scale(rt: &ResourceType, obj: &mut Value, scale: &Value) -> ApiResult<()> {
    let paths = rt
        .scale
        .as_ref()
        .expect("caller checked the scale subresource");
    let replicas = scale.pointer("/spec/replicas").and_then(Value::as_i64);
    match replicas {
        Some(r) if r >= 0 => {
            meta::set_path(obj, &paths.spec_replicas, json!(r));
            Ok(())
        }
        Some(r) => Err(ApiError::invalid(
            "autoscaling",
            "Scale",
            meta::name(obj),
            &[(
                "spec.replicas".into(),
                format!("Invalid value: {r}: must be greater than or equal to 0"),
            )],
        )),
        None => {
            meta::set_path(obj, &paths.spec_replicas, json!(0));
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Registry;

    #[test]
    fn deployment_status_follows_spec_and_scale_view() {
        let reg = Registry::with_builtins();
        let rt = reg.find("apps", "v1", "deployments").unwrap();
        let mut d = json!({"metadata": {"name": "web", "generation": 2},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": {}}});
        follow_spec(rt, &mut d, &json!({}), "2025-01-01T00:00:00Z");
        assert_eq!(d["status"]["readyReplicas"], 3);
        assert_eq!(d["status"]["observedGeneration"], 2);
        let s = to_scale(rt, &d);
        assert_eq!(s["spec"]["replicas"], 3);
        assert_eq!(s["status"]["selector"], "app=web");
        apply_scale(rt, &mut d, &json!({"spec": {"replicas": 0}})).unwrap();
        assert_eq!(d["spec"]["replicas"], 0, "a write of 0 is kept");
        follow_spec(rt, &mut d, &json!({}), "2025-01-01T00:00:00Z");
        assert!(
            d["status"].get("readyReplicas").is_none(),
            "omitempty at zero"
        );
        let s = to_scale(rt, &d);
        assert_eq!(
            s["spec"],
            json!({}),
            "int32 omitempty: no spec.replicas at 0"
        );
        assert_eq!(
            s["status"]["replicas"], 0,
            "status.replicas is always written"
        );
        let e = apply_scale(rt, &mut d, &json!({"spec": {"replicas": -1}})).unwrap_err();
        assert_eq!(e.code, 422);
    }
}

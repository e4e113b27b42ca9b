//! Structural-schema behaviour of custom resources: unknown fields are pruned (or refused with
//! `fieldValidation=Strict`) and `default`s are filled, on every write, as the real server does.
//! An operator that writes a status field its CRD does not declare loses it here too.

use serde_json::{Map, Value};

fn preserves_unknown(s: &Value) -> bool {
    s.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true))
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Prunes and defaults `obj` in place; returns the paths of the pruned (unknown) fields.
pub fn prune_and_default(obj: &mut Value, schema: &Value) -> Vec<String> {
    let mut unknown = Vec::new();
    let Some(m) = obj.as_object_mut() else {
        return unknown;
    };
    let props = schema.get("properties").and_then(Value::as_object);
    let keys: Vec<String> = m.keys().cloned().collect();
    for k in keys {
        if ["apiVersion", "kind", "metadata"].contains(&k.as_str()) {
            continue;
        }
        match props.and_then(|p| p.get(&k)) {
            Some(ps) => walk_field(m, &k, ps, &k, &mut unknown),
            None if preserves_unknown(schema) => {}
            None => {
                m.remove(&k);
                unknown.push(k);
            }
        }
    }
    fill_defaults(m, props);
    unknown
}

fn fill_defaults(m: &mut Map<String, Value>, props: Option<&Map<String, Value>>) {
    for (k, ps) in props.into_iter().flatten() {
        if let Some(d) = ps.get("default")
            && !m.contains_key(k)
        {
            m.insert(k.clone(), d.clone());
        }
    }
}

/// One member of an object: a non-nullable null is defaulted or dropped, then its value is
/// walked.
fn walk_field(
    m: &mut Map<String, Value>,
    key: &str,
    s: &Value,
    path: &str,
    unknown: &mut Vec<String>,
) {
    let nullable = s.get("nullable") == Some(&Value::Bool(true));
    if m.get(key).is_some_and(Value::is_null) && !nullable {
        match s.get("default") {
            Some(d) => {
                m.insert(key.to_string(), d.clone());
            }
            None => {
                m.remove(key);
            }
        }
        return;
    }
    if let Some(v) = m.get_mut(key) {
        walk(v, s, path, unknown);
    }
}

fn walk(v: &mut Value, s: &Value, path: &str, unknown: &mut Vec<String>) {
    match v {
        Value::Object(m) => walk_object(m, s, path, unknown),
        Value::Array(items) => {
            if let Some(is) = s.get("items") {
                for (i, item) in items.iter_mut().enumerate() {
                    walk(item, is, &format!("{path}[{i}]"), unknown);
                }
            }
        }
        _ => {}
    }
}

fn walk_object(m: &mut Map<String, Value>, s: &Value, path: &str, unknown: &mut Vec<String>) {
    let props = s.get("properties").and_then(Value::as_object);
    let additional = s.get("additionalProperties").filter(|a| a.is_object());
    let embedded = s.get("x-kubernetes-embedded-resource") == Some(&Value::Bool(true));
    let keys: Vec<String> = m.keys().cloned().collect();
    for k in keys {
        let p = join(path, &k);
        if let Some(ps) = props.and_then(|p| p.get(&k)) {
            walk_field(m, &k, ps, &p, unknown);
        } else if let Some(a) = additional {
            walk_field(m, &k, a, &p, unknown);
        } else {
            let kept = (embedded && ["apiVersion", "kind", "metadata"].contains(&k.as_str()))
                || s.get("additionalProperties") == Some(&Value::Bool(true))
                || preserves_unknown(s);
            if !kept {
                m.remove(&k);
                unknown.push(p);
            }
        }
    }
    fill_defaults(m, props);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prunes_unknown_fields_and_fills_defaults() {
        let schema = json!({"type": "object", "properties": {
            "spec": {"type": "object", "properties": {
                "a": {"type": "string"},
                "fallback": {"type": "object", "nullable": true, "properties": {
                    "behavior": {"type": "string", "default": "static"}}},
                "meta": {"type": "object", "additionalProperties": {"type": "string"}, "default": {}},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                "list": {"type": "array", "items": {"type": "object", "properties": {"x": {"type": "integer"}}}}}},
            "status": {"type": "object", "properties": {"ok": {"type": "boolean"}}}}});
        let mut o = json!({"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
            "metadata": {"name": "n"},
            "spec": {"a": "x", "bogus": 1, "fallback": {}, "free": {"any": {"thing": 1}},
                "list": [{"x": 1, "y": 2}]},
            "status": {"ok": true, "extra": "dropped"}, "top": 1});
        let mut unknown = prune_and_default(&mut o, &schema);
        unknown.sort();
        assert_eq!(
            unknown,
            vec!["spec.bogus", "spec.list[0].y", "status.extra", "top"]
        );
        assert_eq!(o["spec"]["fallback"]["behavior"], "static");
        assert_eq!(o["spec"]["meta"], json!({}));
        assert_eq!(o["spec"]["free"], json!({"any": {"thing": 1}}));
        assert_eq!(o["status"], json!({"ok": true}));
        assert_eq!(o["metadata"], json!({"name": "n"}));
    }
}

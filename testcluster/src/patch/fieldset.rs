//! Field sets in the `FieldsV1` format of `managedFields` (`{"f:spec":{"f:replicas":{}}}`,
//! `k:{"name":"a"}` for keyed list items, `v:"x"` for set members), and the operations server-side
//! apply needs on them.

use serde_json::{Map, Value, json};

use super::{ListKind, Shape};

/// Metadata fields that identify an object or belong to the server; apply never owns them.
const IDENTITY: [&str; 9] = [
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "managedFields",
    "selfLink",
];

/// The set of fields an applied configuration specifies.
pub fn field_set(obj: &Value, shape: &Shape) -> Value {
    let Some(m) = obj.as_object() else {
        return json!({});
    };
    Value::Object(object_set(m, shape, &mut Vec::new()))
}

fn object_set(
    obj: &Map<String, Value>,
    shape: &Shape,
    path: &mut Vec<String>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in obj {
        let skip = match path.as_slice() {
            [] => k == "apiVersion" || k == "kind",
            [m] if m == "metadata" => IDENTITY.contains(&k.as_str()),
            _ => false,
        };
        if skip {
            continue;
        }
        let set = value_set(v, shape, path, k);
        // `metadata: {name: x}` owns nothing: its only fields identify the object.
        let only_identity = set.as_object().is_some_and(|m| m.is_empty())
            && v.as_object().is_some_and(|m| !m.is_empty());
        if !only_identity {
            out.insert(format!("f:{k}"), set);
        }
    }
    out
}

fn value_set(v: &Value, shape: &Shape, path: &mut Vec<String>, field: &str) -> Value {
    let out = match v {
        Value::Object(m) => {
            path.push(field.to_string());
            let s = object_set(m, shape, path);
            path.pop();
            s
        }
        Value::Array(items) => list_set(items, shape, path, field),
        _ => Map::new(),
    };
    Value::Object(out)
}

fn list_set(
    items: &[Value],
    shape: &Shape,
    path: &mut Vec<String>,
    field: &str,
) -> Map<String, Value> {
    let mut out = Map::new();
    match shape.list_kind(path, field) {
        ListKind::Atomic => {}
        ListKind::Set => {
            for item in items {
                out.insert(format!("v:{item}"), json!({}));
            }
        }
        ListKind::Map(keys) => {
            path.push(field.to_string());
            for item in items.iter().filter_map(Value::as_object) {
                let mut s = object_set(item, shape, path);
                s.insert(".".into(), json!({}));
                out.insert(item_key(item, &keys), Value::Object(s));
            }
            path.pop();
        }
    }
    out
}

/// `k:{"name":"a"}`: the key fields of a list item, as compact JSON with sorted keys.
pub fn item_key(item: &Map<String, Value>, keys: &[String]) -> String {
    let k: Map<String, Value> = keys
        .iter()
        .filter_map(|k| item.get(k).map(|v| (k.clone(), v.clone())))
        .collect();
    format!("k:{}", Value::Object(k))
}

fn item_matches(item: &Value, seg: &str) -> bool {
    if let Some(k) = seg.strip_prefix("k:") {
        let Ok(Value::Object(want)) = serde_json::from_str::<Value>(k) else {
            return false;
        };
        return want.iter().all(|(k, v)| item.get(k) == Some(v));
    }
    if let Some(v) = seg.strip_prefix("v:") {
        return serde_json::from_str::<Value>(v).is_ok_and(|v| &v == item);
    }
    false
}

pub fn child<'a>(obj: &'a Value, seg: &str) -> Option<&'a Value> {
    match seg.strip_prefix("f:") {
        Some(f) => obj.get(f),
        None => obj.as_array()?.iter().find(|i| item_matches(i, seg)),
    }
}

fn child_mut<'a>(obj: &'a mut Value, seg: &str) -> Option<&'a mut Value> {
    match seg.strip_prefix("f:") {
        Some(f) => obj.get_mut(f),
        None => obj
            .as_array_mut()?
            .iter_mut()
            .find(|i| item_matches(i, seg)),
    }
}

fn remove_child(obj: &mut Value, seg: &str) {
    match seg.strip_prefix("f:") {
        Some(f) => {
            if let Some(m) = obj.as_object_mut() {
                m.remove(f);
            }
        }
        None => {
            if let Some(a) = obj.as_array_mut() {
                a.retain(|i| !item_matches(i, seg));
            }
        }
    }
}

pub fn get_at<'a>(obj: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(obj, |o, seg| child(o, seg))
}

/// Removes from `obj` what `prev` owned and `new` no longer does, unless another manager
/// (`others`, their sets at the same position) still owns it.
pub fn remove_dropped(obj: &mut Value, prev: &Value, new: &Value, others: &[&Value]) {
    let Some(prev) = prev.as_object() else { return };
    for (seg, prev_child) in prev.iter().filter(|(s, _)| *s != ".") {
        let others_here: Vec<&Value> = others.iter().filter_map(|o| o.get(seg)).collect();
        match new.get(seg) {
            None if others_here.is_empty() => remove_child(obj, seg),
            None => {}
            Some(new_child) => {
                if let Some(c) = child_mut(obj, seg) {
                    remove_dropped(c, prev_child, new_child, &others_here);
                }
            }
        }
    }
}

fn is_leaf(v: &Value) -> bool {
    v.as_object().is_none_or(|m| m.keys().all(|k| k == "."))
}

/// The leaf paths both sets own.
pub fn common_leaves(a: &Value, b: &Value) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    walk_common(a, b, &mut Vec::new(), &mut out);
    out
}

fn walk_common(a: &Value, b: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let Some(am) = a.as_object() else { return };
    for (seg, ac) in am.iter().filter(|(s, _)| *s != ".") {
        let Some(bc) = b.get(seg) else { continue };
        path.push(seg.clone());
        if is_leaf(ac) || is_leaf(bc) {
            out.push(path.clone());
        } else {
            walk_common(ac, bc, path, out);
        }
        path.pop();
    }
}

/// Drops one path from a set (ownership moves to a forcing applier), and the parents it
/// leaves empty.
pub fn remove_path(set: &mut Value, path: &[String]) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let Some(m) = set.as_object_mut() else { return };
    if rest.is_empty() {
        m.remove(first);
        return;
    }
    if let Some(child) = m.get_mut(first) {
        remove_path(child, rest);
        if child
            .as_object()
            .is_some_and(|c| c.keys().all(|k| k == "."))
        {
            m.remove(first);
        }
    }
}

/// `.spec.template.spec.containers[name="a"].image`, as conflicts are reported.
pub fn render_path(path: &[String]) -> String {
    let mut s = String::new();
    for seg in path {
        if let Some(f) = seg.strip_prefix("f:") {
            s.push('.');
            s.push_str(f);
        } else if let Some(k) = seg.strip_prefix("k:") {
            let m: Map<String, Value> = serde_json::from_str(k).unwrap_or_default();
            let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
            s.push_str(&format!("[{}]", parts.join(",")));
        } else if let Some(v) = seg.strip_prefix("v:") {
            s.push_str(&format!("[={v}]"));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deploy_shape() -> Shape<'static> {
        Shape {
            kind: "Deployment",
            schema: None,
        }
    }

    #[test]
    fn field_sets_look_like_the_real_ones() {
        let obj = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web"}, "finalizers": ["x"]},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}});
        let set = field_set(&obj, &deploy_shape());
        assert_eq!(
            set,
            json!({"f:metadata": {"f:labels": {"f:app": {}}, "f:finalizers": {"v:\"x\"": {}}},
                "f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {
                    "k:{\"name\":\"c\"}": {".": {}, "f:name": {}, "f:image": {}}}}}}})
        );
    }

    #[test]
    fn dropped_fields_are_removed_unless_someone_else_owns_them() {
        let mut obj = json!({"spec": {"a": 1, "b": 2, "c": 3}});
        let prev = json!({"f:spec": {"f:a": {}, "f:b": {}, "f:c": {}}});
        let new = json!({"f:spec": {"f:a": {}}});
        let other = json!({"f:spec": {"f:c": {}}});
        remove_dropped(&mut obj, &prev, &new, &[&other]);
        assert_eq!(obj, json!({"spec": {"a": 1, "c": 3}}));
    }

    #[test]
    fn common_leaves_and_paths() {
        let a = json!({"f:spec": {"f:replicas": {}, "f:x": {"f:y": {}}}});
        let b = json!({"f:spec": {"f:replicas": {}, "f:x": {"f:z": {}}}});
        let leaves = common_leaves(&a, &b);
        assert_eq!(
            leaves,
            vec![vec!["f:spec".to_string(), "f:replicas".to_string()]]
        );
        assert_eq!(render_path(&leaves[0]), ".spec.replicas");
        let k = vec!["f:c".to_string(), "k:{\"name\":\"a\"}".to_string()];
        assert_eq!(render_path(&k), ".c[name=\"a\"]");
        let obj = json!({"c": [{"name": "b"}, {"name": "a", "v": 1}]});
        assert_eq!(get_at(&obj, &k), Some(&json!({"name": "a", "v": 1})));
    }
}

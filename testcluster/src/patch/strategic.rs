//! Strategic merge patch (`application/strategic-merge-patch+json`) for the built-in kinds.
//!
//! The real server reads each list's patch strategy and merge key from Go struct tags. The
//! double knows the lists kubectl and operators patch (containers, env, ports, volumes,
//! conditions, ownerReferences, finalizers, ...) by field name and parent; every other list
//! is replaced, which is also the real default.

use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListStrategy {
    Replace,
    /// Merge elements that share the value of this key.
    Key(&'static str),
    /// A list of scalars merged as a set (`finalizers`).
    Primitive,
}

const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

pub(crate) fn list_strategy(kind: &str, path: &[String], field: &str) -> ListStrategy {
    use ListStrategy::*;
    let parent = path.last().map(String::as_str).unwrap_or("");
    match field {
        "finalizers" if parent == "metadata" => Primitive,
        "ownerReferences" => Key("uid"),
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "imagePullSecrets"
        | "env"
        | "resourceClaims"
        | "schedulingGates" => Key("name"),
        "ports" if kind == "Service" && path == ["spec"] => Key("port"),
        "ports" if CONTAINER_LISTS.contains(&parent) => Key("containerPort"),
        "volumeMounts" => Key("mountPath"),
        "volumeDevices" => Key("devicePath"),
        "conditions" => Key("type"),
        "hostAliases" => Key("ip"),
        "topologySpreadConstraints" => Key("topologyKey"),
        _ => Replace,
    }
}

/// What a map patch asks of its parent.
enum Outcome {
    Keep,
    Delete,
}

/// Applies a strategic merge patch for an object of `kind`.
pub fn strategic_merge(target: &mut Value, patch: &Value, kind: &str) -> ApiResult<()> {
    let p = patch
        .as_object()
        .ok_or_else(|| ApiError::bad_request("strategic merge patch must be a JSON object"))?;
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let mut path = Vec::new();
    if let Outcome::Delete = merge_map(target, p, &mut path, kind)? {
        *target = Value::Object(Map::new());
    }
    Ok(())
}

fn merge_map(
    target: &mut Value,
    patch: &Map<String, Value>,
    path: &mut Vec<String>,
    kind: &str,
) -> ApiResult<Outcome> {
    match patch.get("$patch").and_then(Value::as_str) {
        Some("delete") => return Ok(Outcome::Delete),
        Some("replace") => {
            let mut fresh = Value::Object(Map::new());
            let rest: Map<String, Value> = patch
                .iter()
                .filter(|(k, _)| *k != "$patch")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            merge_map(&mut fresh, &rest, path, kind)?;
            *target = fresh;
            return Ok(Outcome::Keep);
        }
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "unknown patch type: {other} in map: {patch:?}"
            )));
        }
        None => {}
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    for (k, v) in patch {
        if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            delete_from_primitive_list(target, field, v);
        } else if k.starts_with('$') {
            continue;
        } else {
            merge_field(target, k, v, path, kind)?;
        }
    }
    for (k, v) in patch {
        if let Some(field) = k.strip_prefix("$setElementOrder/") {
            set_element_order(target, field, v, kind, path);
        }
    }
    if let Some(keys) = patch.get("$retainKeys").and_then(Value::as_array) {
        let keep: Vec<&str> = keys.iter().filter_map(Value::as_str).collect();
        if let Some(m) = target.as_object_mut() {
            m.retain(|k, _| keep.contains(&k.as_str()));
        }
    }
    Ok(Outcome::Keep)
}

fn merge_field(
    target: &mut Value,
    k: &str,
    v: &Value,
    path: &mut Vec<String>,
    kind: &str,
) -> ApiResult<()> {
    let strategy = list_strategy(kind, path, k);
    let t = target.as_object_mut().expect("merge_map made an object");
    match v {
        Value::Null => {
            t.remove(k);
        }
        Value::Object(pm) => {
            path.push(k.to_string());
            let slot = t.entry(k.to_string()).or_insert(Value::Null);
            let out = merge_map(slot, pm, path, kind);
            path.pop();
            if let Outcome::Delete = out? {
                t.remove(k);
            }
        }
        Value::Array(items) => {
            let slot = t.entry(k.to_string()).or_insert(Value::Array(vec![]));
            path.push(k.to_string());
            let out = merge_list(slot, items, strategy, path, kind);
            path.pop();
            out?;
        }
        scalar => {
            t.insert(k.to_string(), scalar.clone());
        }
    }
    Ok(())
}

fn key_of<'a>(item: &'a Value, key: &str) -> Option<&'a Value> {
    item.as_object()?.get(key)
}

fn merge_list(
    target: &mut Value,
    items: &[Value],
    strategy: ListStrategy,
    path: &mut Vec<String>,
    kind: &str,
) -> ApiResult<()> {
    let is_replace = |i: &Value| i.get("$patch").and_then(Value::as_str) == Some("replace");
    let replace_all = items.iter().any(is_replace);
    if strategy == ListStrategy::Replace || replace_all || !target.is_array() {
        *target = Value::Array(vec![]);
    }
    let list = target.as_array_mut().expect("made an array");
    for item in items.iter().filter(|i| !is_replace(i)) {
        match strategy {
            ListStrategy::Key(key) if item.is_object() => {
                merge_keyed_item(list, item, key, path, kind)?
            }
            ListStrategy::Primitive if list.contains(item) => {}
            _ => list.push(strip_directives(item, path, kind)?),
        }
    }
    Ok(())
}

fn merge_keyed_item(
    list: &mut Vec<Value>,
    item: &Value,
    key: &str,
    path: &mut Vec<String>,
    kind: &str,
) -> ApiResult<()> {
    let want = key_of(item, key).cloned();
    let pos = list.iter().position(|t| key_of(t, key) == want.as_ref());
    let pm = item.as_object().expect("checked by caller");
    if pm.get("$patch").and_then(Value::as_str) == Some("delete") {
        list.retain(|t| key_of(t, key) != want.as_ref());
        return Ok(());
    }
    match pos {
        Some(i) => {
            if let Outcome::Delete = merge_map(&mut list[i], pm, path, kind)? {
                list.remove(i);
            }
        }
        None => list.push(strip_directives(item, path, kind)?),
    }
    Ok(())
}

/// A new element: merged into nothing, so that directives inside it are honoured, not stored.
fn strip_directives(item: &Value, path: &mut Vec<String>, kind: &str) -> ApiResult<Value> {
    let Some(m) = item.as_object() else {
        return Ok(item.clone());
    };
    let mut fresh = Value::Object(Map::new());
    merge_map(&mut fresh, m, path, kind)?;
    Ok(fresh)
}

fn delete_from_primitive_list(target: &mut Value, field: &str, values: &Value) {
    let Some(del) = values.as_array() else { return };
    if let Some(list) = target.get_mut(field).and_then(Value::as_array_mut) {
        list.retain(|v| !del.contains(v));
    }
}

/// `$setElementOrder/<list>`: kubectl apply sends the desired order of a merged list.
fn set_element_order(target: &mut Value, field: &str, order: &Value, kind: &str, path: &[String]) {
    let Some(order) = order.as_array() else {
        return;
    };
    let strategy = list_strategy(kind, path, field);
    let Some(list) = target.get_mut(field).and_then(Value::as_array_mut) else {
        return;
    };
    let rank = |item: &Value| {
        order.iter().position(|o| match strategy {
            ListStrategy::Key(k) => key_of(o, k).is_some() && key_of(o, k) == key_of(item, k),
            _ => o == item,
        })
    };
    // Listed elements first in the given order; the others keep their relative order.
    let mut ranked: Vec<(usize, usize, Value)> = list
        .drain(..)
        .enumerate()
        .map(|(i, v)| (rank(&v).unwrap_or(usize::MAX), i, v))
        .collect();
    ranked.sort_by_key(|(r, i, _)| (*r, *i));
    list.extend(ranked.into_iter().map(|(_, _, v)| v));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deploy(containers: Value) -> Value {
        json!({"spec": {"template": {"spec": {"containers": containers}}}})
    }

    /// (kind, target, patch, result)
    #[test]
    fn strategic_merge_table() {
        let cases = [
            // Containers merge by name; the untouched one stays.
            (
                "Deployment",
                deploy(json!([{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}])),
                deploy(json!([{"name": "b", "image": "b:2"}])),
                deploy(json!([{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:2"}])),
            ),
            // A new container is appended.
            (
                "Deployment",
                deploy(json!([{"name": "a"}])),
                deploy(json!([{"name": "c", "image": "c"}])),
                deploy(json!([{"name": "a"}, {"name": "c", "image": "c"}])),
            ),
            // $patch: delete removes by merge key.
            (
                "Deployment",
                deploy(json!([{"name": "a"}, {"name": "b"}])),
                deploy(json!([{"name": "a", "$patch": "delete"}])),
                deploy(json!([{"name": "b"}])),
            ),
            // env merges by name inside a container, ports by containerPort.
            (
                "Deployment",
                deploy(json!([{"name": "a", "env": [{"name": "X", "value": "1"}],
                    "ports": [{"containerPort": 80, "protocol": "TCP"}]}])),
                deploy(json!([{"name": "a", "env": [{"name": "Y", "value": "2"}],
                    "ports": [{"containerPort": 80, "name": "http"}]}])),
                deploy(
                    json!([{"name": "a", "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}],
                    "ports": [{"containerPort": 80, "protocol": "TCP", "name": "http"}]}]),
                ),
            ),
            // Lists without a strategy are replaced.
            (
                "Deployment",
                deploy(json!([{"name": "a", "args": ["x", "y"]}])),
                deploy(json!([{"name": "a", "args": ["z"]}])),
                deploy(json!([{"name": "a", "args": ["z"]}])),
            ),
            // Conditions merge by type.
            (
                "HorizontalPodAutoscaler",
                json!({"status": {"conditions": [{"type": "A", "status": "True"}, {"type": "B", "status": "True"}]}}),
                json!({"status": {"conditions": [{"type": "B", "status": "False"}]}}),
                json!({"status": {"conditions": [{"type": "A", "status": "True"}, {"type": "B", "status": "False"}]}}),
            ),
            // Finalizers merge as a set; null deletes a map key.
            (
                "ConfigMap",
                json!({"metadata": {"finalizers": ["a"], "labels": {"x": "1", "y": "2"}}}),
                json!({"metadata": {"finalizers": ["b", "a"], "labels": {"x": null}}}),
                json!({"metadata": {"finalizers": ["a", "b"], "labels": {"y": "2"}}}),
            ),
            // $deleteFromPrimitiveList and $setElementOrder, as kubectl apply sends them.
            (
                "ConfigMap",
                json!({"metadata": {"finalizers": ["a", "b", "c"]}}),
                json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"],
                    "$setElementOrder/finalizers": ["c", "a"]}}),
                json!({"metadata": {"finalizers": ["c", "a"]}}),
            ),
            // $patch: replace on a map replaces it whole.
            (
                "ConfigMap",
                json!({"data": {"a": "1", "b": "2"}}),
                json!({"data": {"$patch": "replace", "c": "3"}}),
                json!({"data": {"c": "3"}}),
            ),
            // Service ports merge by port.
            (
                "Service",
                json!({"spec": {"ports": [{"port": 80, "name": "http"}, {"port": 443}]}}),
                json!({"spec": {"ports": [{"port": 80, "targetPort": 8080}]}}),
                json!({"spec": {"ports": [{"port": 80, "name": "http", "targetPort": 8080}, {"port": 443}]}}),
            ),
            // ownerReferences merge by uid.
            (
                "ConfigMap",
                json!({"metadata": {"ownerReferences": [{"uid": "1", "name": "a"}]}}),
                json!({"metadata": {"ownerReferences": [{"uid": "2", "name": "b"}]}}),
                json!({"metadata": {"ownerReferences": [{"uid": "1", "name": "a"}, {"uid": "2", "name": "b"}]}}),
            ),
        ];
        for (i, (kind, mut target, patch, want)) in cases.into_iter().enumerate() {
            strategic_merge(&mut target, &patch, kind).unwrap();
            assert_eq!(target, want, "case {i}");
        }
    }

    #[test]
    fn set_element_order_reorders_keyed_lists() {
        let mut t = deploy(json!([{"name": "a"}, {"name": "b"}]));
        let p = json!({"spec": {"template": {"spec": {
            "$setElementOrder/containers": [{"name": "b"}, {"name": "a"}],
            "containers": [{"name": "a", "image": "x"}]}}}});
        strategic_merge(&mut t, &p, "Deployment").unwrap();
        assert_eq!(
            t,
            deploy(json!([{"name": "b"}, {"name": "a", "image": "x"}]))
        );
    }
}

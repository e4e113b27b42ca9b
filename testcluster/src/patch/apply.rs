//! Server-side apply (`application/apply-patch+yaml`) as far as an operator uses it: the
//! applied fields are merged in, fields this manager applied before and no longer applies are
//! removed, ownership is recorded in `managedFields` (operation `Apply`), and a field another
//! applier owns with a different value is a 409 conflict unless `force=true`.
//!
//! Only `Apply` managers own fields here; updates and other patches are not tracked as
//! `Update` managers, so they never cause conflicts (documented in the README).

use serde_json::{Map, Value, json};

use super::fieldset::{
    common_leaves, field_set, get_at, item_key, remove_dropped, remove_path, render_path,
};
use super::{ListKind, Shape};
use crate::error::{ApiError, ApiResult};

pub struct ApplyRequest<'a> {
    pub manager: &'a str,
    pub force: bool,
    /// `Some("status")` when applying to the status subresource.
    pub subresource: Option<&'a str>,
    pub api_version: &'a str,
    pub now: &'a str,
}

/// Merges `applied` into `current` (an empty object when the apply creates) and returns the
/// result with updated `managedFields`; `conflict` names the object in a conflict error.
pub fn server_side_apply(
    current: Option<&Value>,
    applied: &Value,
    shape: &Shape,
    req: &ApplyRequest,
    conflict: (&str, &str, &str),
) -> ApiResult<Value> {
    let applied = applied_part(applied, req.subresource);
    let new_set = field_set(&applied, shape);
    let mut merged = current.cloned().unwrap_or_else(|| json!({}));
    let mut entries = managed_entries(&merged);
    let mine = entries.iter().position(|e| is_entry_of(e, req));
    let prev_set = mine
        .map(|i| entries[i]["fieldsV1"].clone())
        .unwrap_or_else(|| json!({}));
    check_conflicts(&merged, &applied, &new_set, &mut entries, req, conflict)?;
    merge_applied(&mut merged, &applied, shape, &mut Vec::new());
    let others: Vec<Value> = entries
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != mine)
        .map(|(_, e)| e["fieldsV1"].clone())
        .collect();
    let other_refs: Vec<&Value> = others.iter().collect();
    remove_dropped(&mut merged, &prev_set, &new_set, &other_refs);
    let entry = json!({
        "manager": req.manager,
        "operation": "Apply",
        "apiVersion": req.api_version,
        "time": req.now,
        "fieldsType": "FieldsV1",
        "fieldsV1": new_set,
    });
    let mut entry = entry;
    if let Some(sub) = req.subresource {
        entry["subresource"] = json!(sub);
    }
    match mine {
        Some(i) => entries[i] = entry,
        None => entries.push(entry),
    }
    // A manager that owns nothing any more disappears, as on the real server.
    entries.retain(|e| e["fieldsV1"].as_object().is_some_and(|m| !m.is_empty()));
    crate::meta::meta_mut(&mut merged).insert("managedFields".into(), Value::Array(entries));
    Ok(merged)
}

/// What an apply to a subresource may set: only `.status` for `/status`.
fn applied_part(applied: &Value, subresource: Option<&str>) -> Value {
    match subresource {
        Some("status") => {
            let mut v = json!({});
            for k in ["apiVersion", "kind", "status"] {
                if let Some(x) = applied.get(k) {
                    v[k] = x.clone();
                }
            }
            v
        }
        _ => applied.clone(),
    }
}

fn managed_entries(obj: &Value) -> Vec<Value> {
    crate::meta::meta(obj)
        .and_then(|m| m.get("managedFields"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn subresource_of(e: &Value) -> Option<&str> {
    e.get("subresource")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn is_entry_of(e: &Value, req: &ApplyRequest) -> bool {
    e["manager"] == req.manager && e["operation"] == "Apply" && subresource_of(e) == req.subresource
}

fn check_conflicts(
    current: &Value,
    applied: &Value,
    new_set: &Value,
    entries: &mut [Value],
    req: &ApplyRequest,
    (group, resource, name): (&str, &str, &str),
) -> ApiResult<()> {
    let mut found: Vec<(String, String, Vec<String>)> = Vec::new();
    for e in entries
        .iter_mut()
        .filter(|e| e["operation"] == "Apply" && !is_entry_of(e, req))
    {
        let differing: Vec<Vec<String>> = common_leaves(new_set, &e["fieldsV1"])
            .into_iter()
            .filter(|p| differs(get_at(current, p), get_at(applied, p)))
            .collect();
        if differing.is_empty() {
            continue;
        }
        if req.force {
            for p in &differing {
                remove_path(&mut e["fieldsV1"], p);
            }
            continue;
        }
        let who = e["manager"].as_str().unwrap_or("").to_string();
        let version = e["apiVersion"].as_str().unwrap_or("").to_string();
        found.push((
            who,
            version,
            differing.iter().map(|p| render_path(p)).collect(),
        ));
    }
    if found.is_empty() {
        return Ok(());
    }
    Err(conflict_error(&found, group, resource, name))
}

/// Two maps at a shared leaf (both own an empty struct) are structure, not a conflict.
fn differs(current: Option<&Value>, applied: Option<&Value>) -> bool {
    let both_maps = current.is_some_and(Value::is_object) && applied.is_some_and(Value::is_object);
    current != applied && !both_maps
}

fn conflict_error(
    found: &[(String, String, Vec<String>)],
    group: &str,
    resource: &str,
    name: &str,
) -> ApiError {
    let n: usize = found.iter().map(|(_, _, p)| p.len()).sum();
    let mut parts = Vec::new();
    let mut causes = Vec::new();
    for (who, version, paths) in found {
        if paths.len() == 1 {
            parts.push(format!(
                "conflict with \"{who}\" using {version}: {}",
                paths[0]
            ));
        } else {
            let list: Vec<String> = paths.iter().map(|p| format!("- {p}")).collect();
            parts.push(format!(
                "conflicts with \"{who}\" using {version}:\n{}",
                list.join("\n")
            ));
        }
        for p in paths {
            causes.push(json!({"reason": "FieldManagerConflict",
                "message": format!("conflict with \"{who}\" using {version}"), "field": p}));
        }
    }
    let plural = if n == 1 { "" } else { "s" };
    let why = format!(
        "Apply failed with {n} conflict{plural}: {}",
        parts.join("\n")
    );
    let mut e = ApiError::new(409, "Conflict", why);
    let mut details = json!({"name": name, "kind": resource, "causes": causes});
    if !group.is_empty() {
        details["group"] = json!(group);
    }
    e.details = Some(details);
    e
}

fn merge_applied(target: &mut Value, applied: &Value, shape: &Shape, path: &mut Vec<String>) {
    let Some(am) = applied.as_object() else {
        *target = applied.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    let t = target.as_object_mut().expect("just made an object");
    for (k, v) in am {
        if path.len() == 1 && path[0] == "metadata" && k == "managedFields" {
            continue;
        }
        match v {
            Value::Null => {
                t.remove(k);
            }
            Value::Object(_) => {
                path.push(k.clone());
                merge_applied(t.entry(k.clone()).or_insert(Value::Null), v, shape, path);
                path.pop();
            }
            Value::Array(items) => {
                let kind = shape.list_kind(path, k);
                let slot = t.entry(k.clone()).or_insert(Value::Array(vec![]));
                path.push(k.clone());
                merge_list(slot, items, &kind, shape, path);
                path.pop();
            }
            _ => {
                t.insert(k.clone(), v.clone());
            }
        }
    }
}

fn merge_list(
    slot: &mut Value,
    items: &[Value],
    kind: &ListKind,
    shape: &Shape,
    path: &mut Vec<String>,
) {
    if *kind == ListKind::Atomic || !slot.is_array() {
        *slot = Value::Array(vec![]);
    }
    let list = slot.as_array_mut().expect("made an array");
    match kind {
        ListKind::Atomic => list.extend(items.iter().cloned()),
        ListKind::Set => {
            for i in items {
                if !list.contains(i) {
                    list.push(i.clone());
                }
            }
        }
        ListKind::Map(keys) => {
            for item in items {
                let Some(im) = item.as_object() else { continue };
                let key = item_key(im, keys);
                let empty = Map::new();
                let pos = list
                    .iter()
                    .position(|t| item_key(t.as_object().unwrap_or(&empty), keys) == key);
                match pos {
                    Some(i) => merge_applied(&mut list[i], item, shape, path),
                    None => list.push(item.clone()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHAPE: Shape = Shape {
        kind: "Deployment",
        schema: None,
    };
    const ID: (&str, &str, &str) = ("apps", "deployments", "web");

    fn req(manager: &str, force: bool) -> ApplyRequest<'_> {
        ApplyRequest {
            manager,
            force,
            subresource: None,
            api_version: "apps/v1",
            now: "2025-01-01T00:00:00Z",
        }
    }

    #[test]
    fn apply_creates_merges_and_removes_dropped_fields() {
        let a1 = json!({"metadata": {"name": "web", "labels": {"a": "1", "b": "2"}}, "spec": {"replicas": 1}});
        let o1 = server_side_apply(None, &a1, &SHAPE, &req("op", false), ID).unwrap();
        assert_eq!(o1["metadata"]["managedFields"][0]["manager"], "op");
        assert_eq!(o1["metadata"]["managedFields"][0]["operation"], "Apply");
        // Someone else's field survives; the label op stopped applying goes away.
        let mut o1b = o1.clone();
        o1b["spec"]["paused"] = json!(false);
        let a2 =
            json!({"metadata": {"name": "web", "labels": {"a": "1"}}, "spec": {"replicas": 3}});
        let o2 = server_side_apply(Some(&o1b), &a2, &SHAPE, &req("op", false), ID).unwrap();
        assert_eq!(o2["metadata"]["labels"], json!({"a": "1"}));
        assert_eq!(o2["spec"], json!({"replicas": 3, "paused": false}));
        assert_eq!(o2["metadata"]["managedFields"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn conflicting_appliers_need_force() {
        let a1 = json!({"spec": {"replicas": 1}});
        let o1 = server_side_apply(None, &a1, &SHAPE, &req("one", false), ID).unwrap();
        let a2 = json!({"spec": {"replicas": 2}});
        let e = server_side_apply(Some(&o1), &a2, &SHAPE, &req("two", false), ID).unwrap_err();
        assert_eq!(e.code, 409);
        assert_eq!(
            e.message,
            "Apply failed with 1 conflict: conflict with \"one\" using apps/v1: .spec.replicas"
        );
        // Same value: shared ownership, no conflict.
        assert!(server_side_apply(Some(&o1), &a1, &SHAPE, &req("two", false), ID).is_ok());
        let o2 = server_side_apply(Some(&o1), &a2, &SHAPE, &req("two", true), ID).unwrap();
        assert_eq!(o2["spec"]["replicas"], 2);
        let managers: Vec<&Value> = o2["metadata"]["managedFields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["manager"])
            .collect();
        assert_eq!(
            managers,
            vec!["two"],
            "forcing took the only field \"one\" owned"
        );
    }

    #[test]
    fn keyed_lists_merge_by_key() {
        let cur =
            json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "1"}]}}}});
        let ap =
            json!({"spec": {"template": {"spec": {"containers": [{"name": "b", "image": "2"}]}}}});
        let o = server_side_apply(Some(&cur), &ap, &SHAPE, &req("op", false), ID).unwrap();
        assert_eq!(
            o["spec"]["template"]["spec"]["containers"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
    }
}

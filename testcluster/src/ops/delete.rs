//! delete: finalizers and deletionTimestamp, ownerReference garbage collection (background,
//! foreground and orphan propagation), and the namespace and CRD cleanups that the real
//! controllers do before those objects can go.

use serde_json::{Value, json};

use super::{as_version, key_for, read};
use crate::error::{ApiError, ApiResult};
use crate::meta;
use crate::registry::ResourceType;
use crate::store::{ObjKey, State};

#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    pub propagation_policy: Option<String>,
    pub precondition_uid: Option<String>,
    pub precondition_resource_version: Option<String>,
    pub dry_run: bool,
}

#[derive(Debug, Clone)]
pub enum DeleteOutcome {
    /// The object is gone; its last state.
    Removed(Value),
    /// Finalizers (or contents) keep it: it now has a deletionTimestamp.
    Pending(Value),
}

fn is_namespace(k: &ObjKey) -> bool {
    k.group.is_empty() && k.resource == "namespaces"
}

fn is_crd(k: &ObjKey) -> bool {
    k.group == "apiextensions.k8s.io" && k.resource == "customresourcedefinitions"
}

/// Keys of a CRD's instances, or of a namespace's contents.
fn contents(st: &State, k: &ObjKey) -> Vec<ObjKey> {
    if is_namespace(k) {
        return st
            .objects
            .keys()
            .filter(|o| !o.namespace.is_empty() && o.namespace == k.name)
            .cloned()
            .collect();
    }
    if is_crd(k) {
        let (plural, group) = k.name.split_once('.').unwrap_or((&k.name, ""));
        return st
            .objects
            .keys()
            .filter(|o| o.group == group && o.resource == plural)
            .cloned()
            .collect();
    }
    Vec::new()
}

fn check_preconditions(rt: &ResourceType, obj: &Value, opts: &DeleteOptions) -> ApiResult<()> {
    let name = meta::name(obj);
    if let Some(u) = &opts.precondition_uid
        && u != meta::uid(obj)
    {
        let why = format!(
            "Precondition failed: UID in precondition: {u}, UID in object meta: {}",
            meta::uid(obj)
        );
        return Err(ApiError::conflict_msg(&rt.group, &rt.plural, name, &why));
    }
    let rv = meta::str_of(obj, "resourceVersion").unwrap_or("");
    if let Some(want) = &opts.precondition_resource_version
        && want != rv
    {
        let why = format!(
            "Precondition failed: ResourceVersion in precondition: {want}, ResourceVersion in object meta: {rv}"
        );
        return Err(ApiError::conflict_msg(&rt.group, &rt.plural, name, &why));
    }
    Ok(())
}

pub fn delete(
    st: &mut State,
    rt: &ResourceType,
    ns: &str,
    name: &str,
    opts: &DeleteOptions,
) -> ApiResult<DeleteOutcome> {
    if !rt.verbs.contains(&"delete") {
        return Err(ApiError::method_not_allowed(
            "delete is not supported on this resource",
        ));
    }
    let key = key_for(rt, ns, name);
    let obj = st
        .objects
        .get(&key)
        .cloned()
        .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))?;
    check_preconditions(rt, &obj, opts)?;
    if opts.dry_run {
        let pending = !meta::finalizers(&obj).is_empty();
        let obj = as_version(rt, obj);
        return Ok(if pending {
            DeleteOutcome::Pending(obj)
        } else {
            DeleteOutcome::Removed(obj)
        });
    }
    let uid = meta::uid(&obj).to_string();
    match opts.propagation_policy.as_deref() {
        Some("Orphan") => orphan_dependents(st, &uid),
        Some("Foreground") => {
            for dep in dependents(st, &uid) {
                delete_object(st, &dep);
            }
        }
        _ => {}
    }
    let out = delete_object(st, &key);
    Ok(match out {
        DeleteOutcome::Removed(v) => DeleteOutcome::Removed(as_version(rt, v)),
        DeleteOutcome::Pending(v) => DeleteOutcome::Pending(as_version(rt, v)),
    })
}

/// deletecollection: every object the list query selects, one by one.
pub fn delete_collection(
    st: &mut State,
    rt: &ResourceType,
    ns: Option<&str>,
    q: &read::ListQuery,
    opts: &DeleteOptions,
) -> ApiResult<Vec<Value>> {
    let listed = read::list(st, rt, ns, q)?;
    let mut out = Vec::new();
    for item in listed.items {
        let ns = meta::str_of(&item, "namespace").unwrap_or("").to_string();
        match delete(st, rt, &ns, meta::name(&item), opts)? {
            DeleteOutcome::Removed(v) | DeleteOutcome::Pending(v) => out.push(v),
        }
    }
    Ok(out)
}

fn dependents(st: &State, owner_uid: &str) -> Vec<ObjKey> {
    st.objects
        .iter()
        .filter(|(_, o)| meta::owner_uids(o).iter().any(|u| u == owner_uid))
        .map(|(k, _)| k.clone())
        .collect()
}

fn set_owner_refs(st: &mut State, key: &ObjKey, keep: impl Fn(&str) -> bool) {
    let Some(old) = st.objects.get(key).cloned() else {
        return;
    };
    let mut new = old.clone();
    let refs = meta::meta_mut(&mut new)
        .get_mut("ownerReferences")
        .and_then(Value::as_array_mut);
    if let Some(refs) = refs {
        refs.retain(|r| keep(r["uid"].as_str().unwrap_or("")));
        if refs.is_empty() {
            meta::meta_mut(&mut new).remove("ownerReferences");
        }
    }
    st.commit_put(key.clone(), new, Some(old));
}

fn orphan_dependents(st: &mut State, owner_uid: &str) {
    for dep in dependents(st, owner_uid) {
        set_owner_refs(st, &dep, |u| u != owner_uid);
    }
}

/// Marks the object terminating, or removes it when nothing holds it.
fn delete_object(st: &mut State, key: &ObjKey) -> DeleteOutcome {
    let Some(obj) = st.objects.get(key).cloned() else {
        return DeleteOutcome::Removed(Value::Null);
    };
    let held = !meta::finalizers(&obj).is_empty() || !contents(st, key).is_empty();
    if !held {
        return DeleteOutcome::Removed(finish_deletion(st, key).unwrap_or(obj));
    }
    let obj = if meta::is_terminating(&obj) {
        obj
    } else {
        let mut marked = obj.clone();
        let m = meta::meta_mut(&mut marked);
        m.insert("deletionTimestamp".into(), json!(meta::now_rfc3339()));
        m.insert("deletionGracePeriodSeconds".into(), json!(0));
        if is_namespace(key) {
            marked["status"] = json!({"phase": "Terminating"});
        }
        st.commit_put(key.clone(), marked, Some(obj))
    };
    // The namespace and CRD controllers now delete what the object contains.
    for k in contents(st, key) {
        delete_object(st, &k);
    }
    release_containers(st);
    match st.objects.get(key) {
        Some(o) => DeleteOutcome::Pending(o.clone()),
        None => DeleteOutcome::Removed(obj),
    }
}

/// A terminating object whose last finalizer was just removed goes, unless it still has
/// contents (a namespace or CRD) the controllers have to delete first.
pub fn release_if_free(st: &mut State, key: &ObjKey) {
    if contents(st, key).is_empty() {
        finish_deletion(st, key);
    }
}

/// Removes an object now, then collects its garbage and lets waiting containers go.
fn finish_deletion(st: &mut State, key: &ObjKey) -> Option<Value> {
    let last = st.commit_delete(key)?;
    if is_crd(key) {
        st.registry.remove_crd(&key.name);
    }
    collect_garbage(st, meta::uid(&last));
    release_containers(st);
    Some(last)
}

/// Background propagation: a dependent whose owners are all gone is deleted; one that still
/// has a live owner only loses the dangling references.
fn collect_garbage(st: &mut State, owner_uid: &str) {
    for dep in dependents(st, owner_uid) {
        let Some(obj) = st.objects.get(&dep).cloned() else {
            continue;
        };
        let owners = meta::owner_uids(&obj);
        let live: Vec<String> = owners
            .iter()
            .filter(|u| st.find_uid(u).is_some())
            .cloned()
            .collect();
        if live.is_empty() {
            if !meta::is_terminating(&obj) {
                delete_object(st, &dep);
            }
        } else if live.len() < owners.len() {
            set_owner_refs(st, &dep, |u| live.iter().any(|l| l == u));
        }
    }
}

/// Terminating namespaces and CRDs whose contents are gone drop their own finalizer (what the
/// namespace and apiextensions controllers do) and go.
fn release_containers(st: &mut State) {
    let waiting: Vec<ObjKey> = st
        .objects
        .iter()
        .filter(|(k, o)| (is_namespace(k) || is_crd(k)) && meta::is_terminating(o))
        .map(|(k, _)| k.clone())
        .collect();
    for key in waiting {
        if !contents(st, &key).is_empty() {
            continue;
        }
        let Some(old) = st.objects.get(&key).cloned() else {
            continue;
        };
        let mut new = old.clone();
        if is_namespace(&key) {
            new["spec"] = json!({});
        }
        let fins: Vec<String> = meta::finalizers(&old)
            .into_iter()
            .filter(|f| f != crate::crd::CLEANUP_FINALIZER)
            .collect();
        meta::meta_mut(&mut new).insert("finalizers".into(), json!(fins));
        if fins.is_empty() {
            meta::meta_mut(&mut new).remove("finalizers");
        }
        if new != old {
            st.commit_put(key.clone(), new, Some(old));
        }
        if fins.is_empty() {
            finish_deletion(st, &key);
        }
    }
}

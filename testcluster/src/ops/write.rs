//! create and update, for the main resource and the status and scale subresources, and the
//! write path every update and patch ends in.

use serde_json::Value;

use super::{Sub, WriteOptions, as_version, check_body, delete, key_for};
use crate::error::{ApiError, ApiResult};
use crate::kinds;
use crate::meta;
use crate::registry::ResourceType;
use crate::store::{ObjKey, State};

pub(super) fn require_verb(rt: &ResourceType, verb: &str) -> ApiResult<()> {
    if rt.verbs.contains(&verb) {
        return Ok(());
    }
    Err(ApiError::method_not_allowed(format!(
        "{verb} is not supported on resources of kind \"{}\"",
        crate::error::qualified(&rt.group, &rt.plural)
    )))
}

fn check_namespace(st: &State, rt: &ResourceType, ns: &str) -> ApiResult<()> {
    if !rt.namespaced {
        return Ok(());
    }
    match st.objects.get(&ObjKey::new("", "namespaces", "", ns)) {
        None => Err(ApiError::not_found("", "namespaces", ns)),
        Some(n) if meta::is_terminating(n) => Err(ApiError::forbidden(format!(
            "unable to create new content in namespace {ns} because it is being terminated"
        ))),
        Some(_) => Ok(()),
    }
}

fn name_for_create(rt: &ResourceType, obj: &mut Value) -> ApiResult<String> {
    if meta::name(obj).is_empty()
        && let Some(prefix) = meta::str_of(obj, "generateName").map(String::from)
    {
        meta::set_str(obj, "name", &meta::generate_name(&prefix));
    }
    let name = meta::name(obj).to_string();
    let err = if name.is_empty() {
        Some("Required value: name or generateName is required".to_string())
    } else if rt.kind == "Namespace" {
        meta::dns1123_label_error(&name)
    } else if rt.group.is_empty() && rt.kind == "Event" || rt.kind == "Lease" {
        None
    } else if rt.group == "rbac.authorization.k8s.io" {
        // `ValidateRBACName` is `path.ValidatePathSegmentName`: `system:auth-delegator` is fine.
        meta::path_segment_name_error(&name)
    } else {
        meta::dns1123_subdomain_error(&name)
    };
    match err {
        Some(e) => Err(ApiError::invalid(
            &rt.group,
            &rt.kind,
            &name,
            &[("metadata.name".into(), e)],
        )),
        None => Ok(name),
    }
}

/// Prunes a custom resource against its schema; with `fieldValidation=Strict` an unknown field
/// is refused instead.
fn prune(rt: &ResourceType, obj: &mut Value, opts: &WriteOptions) -> ApiResult<()> {
    let Some(schema) = &rt.schema else {
        return Ok(());
    };
    let unknown = crate::schema::prune_and_default(obj, schema);
    if opts.strict && !unknown.is_empty() {
        let list: Vec<String> = unknown
            .iter()
            .map(|u| format!("unknown field \"{u}\""))
            .collect();
        return Err(ApiError::bad_request(format!(
            "strict decoding error: {}",
            list.join(", ")
        )));
    }
    Ok(())
}

fn validate(rt: &ResourceType, obj: &Value, old: Option<&Value>) -> ApiResult<()> {
    let errs = kinds::validate(rt, obj, old);
    if errs.is_empty() {
        return Ok(());
    }
    Err(ApiError::invalid(
        &rt.group,
        &rt.kind,
        meta::name(obj),
        &errs,
    ))
}

/// Registers (or re-registers) the kinds of a CRD that was written.
fn after_write(st: &mut State, rt: &ResourceType, obj: &Value) {
    if rt.group == "apiextensions.k8s.io"
        && rt.kind == "CustomResourceDefinition"
        && !meta::is_terminating(obj)
    {
        st.registry
            .set_crd_types(meta::name(obj), crate::crd::resource_types(obj));
    }
}

pub fn create(
    st: &mut State,
    rt: &ResourceType,
    ns: &str,
    body: Value,
    opts: &WriteOptions,
) -> ApiResult<Value> {
    require_verb(rt, "create")?;
    let mut obj = check_body(rt, body)?;
    if rt.namespaced {
        match meta::str_of(&obj, "namespace") {
            Some(n) if !n.is_empty() && n != ns => {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            _ => meta::set_str(&mut obj, "namespace", ns),
        }
    } else {
        meta::meta_mut(&mut obj).remove("namespace");
    }
    let name = name_for_create(rt, &mut obj)?;
    check_namespace(st, rt, ns)?;
    let key = key_for(rt, ns, &name);
    if st.objects.contains_key(&key) {
        return Err(ApiError::already_exists(&rt.group, &rt.plural, &name));
    }
    if meta::str_of(&obj, "resourceVersion").is_some_and(|v| !v.is_empty()) {
        return Err(ApiError::internal(
            "resourceVersion should not be set on objects to be created",
        ));
    }
    kinds::prepare_create(rt, &mut obj, &meta::now_rfc3339());
    let mut obj = rt.to_storage(obj);
    prune(rt, &mut obj, opts)?;
    validate(rt, &obj, None)?;
    if opts.dry_run {
        return Ok(as_version(rt, obj));
    }
    let out = st.commit_put(key, obj, None);
    after_write(st, rt, &out);
    Ok(as_version(rt, out))
}

/// Checks the optimistic-concurrency precondition a body carries.
fn check_resource_version(
    rt: &ResourceType,
    old: &Value,
    body: &Value,
    name: &str,
) -> ApiResult<()> {
    match meta::str_of(body, "resourceVersion").filter(|v| !v.is_empty()) {
        None if rt.builtin => Ok(()),
        None => Err(ApiError::invalid(
            &rt.group,
            &rt.kind,
            name,
            &[(
                "metadata.resourceVersion".into(),
                "Invalid value: 0x0: must be specified for an update".into(),
            )],
        )),
        Some(v) if Some(v) == meta::str_of(old, "resourceVersion") => Ok(()),
        Some(_) => Err(ApiError::conflict(&rt.group, &rt.plural, name)),
    }
}

/// Equal but for resourceVersion and managedFields timestamps: such a write changes nothing,
/// so the real server neither bumps the resourceVersion nor sends an event.
fn unchanged(old: &Value, new: &Value) -> bool {
    let norm = |o: &Value| {
        let mut o = o.clone();
        let m = meta::meta_mut(&mut o);
        m.remove("resourceVersion");
        if let Some(mf) = m.get_mut("managedFields").and_then(Value::as_array_mut) {
            mf.iter_mut().for_each(|e| {
                e.as_object_mut().map(|e| e.remove("time"));
            });
        }
        o
    };
    norm(old) == norm(new)
}

fn new_finalizers_while_terminating(old: &Value, new: &Value) -> Option<Vec<String>> {
    if !meta::is_terminating(old) {
        return None;
    }
    let before = meta::finalizers(old);
    let added: Vec<String> = meta::finalizers(new)
        .into_iter()
        .filter(|f| !before.contains(f))
        .collect();
    (!added.is_empty()).then_some(added)
}

/// The common tail of update and patch: strategy rules, validation, no-op detection, commit,
/// and the deletion that removing the last finalizer completes.
#[allow(clippy::too_many_arguments)]
pub(super) fn write_update(
    st: &mut State,
    rt: &ResourceType,
    key: ObjKey,
    old: Value,
    new: Value,
    sub: Sub,
    opts: &WriteOptions,
) -> ApiResult<Value> {
    // `new` is in the version of the request; `old` is stored.
    let mut new = rt.to_storage(new);
    kinds::keep_server_metadata(&old, &mut new);
    if rt.builtin {
        crate::defaults::apply_defaults(&rt.group, &rt.kind, &mut new);
    }
    prune(rt, &mut new, opts)?;
    // Status strategies keep the old generation: only spec-side writes move it.
    if sub != Sub::Status {
        kinds::bump_generation(rt, &old, &mut new);
    }
    if new.pointer("/metadata/generation") != old.pointer("/metadata/generation") {
        crate::workloads::follow_spec(rt, &mut new, &old, &meta::now_rfc3339());
    }
    if let Some(added) = new_finalizers_while_terminating(&old, &new) {
        let msg = format!(
            "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers {added:?}"
        );
        return Err(ApiError::invalid(
            &rt.group,
            &rt.kind,
            &key.name,
            &[("metadata.finalizers".into(), msg)],
        ));
    }
    validate(rt, &new, Some(&old))?;
    if unchanged(&old, &new) {
        return Ok(as_version(rt, old));
    }
    if opts.dry_run {
        return Ok(as_version(rt, new));
    }
    let out = st.commit_put(key.clone(), new, Some(old));
    if meta::is_terminating(&out) && meta::finalizers(&out).is_empty() {
        delete::release_if_free(st, &key);
    } else {
        after_write(st, rt, &out);
    }
    Ok(as_version(rt, out))
}

pub fn update(
    st: &mut State,
    rt: &ResourceType,
    ns: &str,
    name: &str,
    body: Value,
    sub: Sub,
    opts: &WriteOptions,
) -> ApiResult<Value> {
    require_verb(rt, "update")?;
    let key = key_for(rt, ns, name);
    let old = st
        .objects
        .get(&key)
        .cloned()
        .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))?;
    if sub == Sub::Scale {
        return write_scale(st, rt, key, old, &body, opts);
    }
    let body = check_body(rt, body)?;
    if meta::name(&body) != name && !meta::name(&body).is_empty() {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({}) does not match the name on the URL ({name})",
            meta::name(&body)
        )));
    }
    check_resource_version(rt, &old, &body, name)?;
    let new = kinds::merge_for_sub(rt, &old, body, sub);
    write_update(st, rt, key, old, new, sub, opts)
}

pub(super) fn write_scale(
    st: &mut State,
    rt: &ResourceType,
    key: ObjKey,
    old: Value,
    scale: &Value,
    opts: &WriteOptions,
) -> ApiResult<Value> {
    if let Some(v) = meta::str_of(scale, "resourceVersion").filter(|v| !v.is_empty())
        && Some(v) != meta::str_of(&old, "resourceVersion")
    {
        return Err(ApiError::conflict("autoscaling", "scales", &key.name));
    }
    let mut new = old.clone();
    crate::workloads::apply_scale(rt, &mut new, scale)?;
    let out = write_update(st, rt, key, old, new, Sub::Main, opts)?;
    Ok(crate::workloads::to_scale(rt, &out))
}

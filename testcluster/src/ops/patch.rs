//! patch (JSON merge, JSON patch, strategic merge) and server-side apply, for the main
//! resource and the status and scale subresources.

use serde_json::Value;

use super::write::{create, require_verb, write_scale, write_update};
use super::{Sub, WriteOptions, as_version, check_body, key_for};
use crate::error::{ApiError, ApiResult};
use crate::kinds;
use crate::meta;
use crate::patch::apply::{ApplyRequest, server_side_apply};
use crate::patch::{PatchType, Shape, json_patch, merge, strategic};
use crate::registry::ResourceType;
use crate::store::State;

/// The document a patch applies to: the object, or its Scale view.
fn patch_target(rt: &ResourceType, obj: &Value, sub: Sub) -> Value {
    match sub {
        Sub::Scale => crate::workloads::to_scale(rt, obj),
        _ => as_version(rt, obj.clone()),
    }
}

fn apply_patch(
    rt: &ResourceType,
    doc: &mut Value,
    ptype: PatchType,
    patch: &Value,
    sub: Sub,
) -> ApiResult<()> {
    match ptype {
        PatchType::Merge => merge::merge_patch(doc, patch),
        PatchType::Json => json_patch::json_patch(doc, patch)?,
        PatchType::Strategic => {
            let kind = if sub == Sub::Scale {
                "Scale"
            } else {
                rt.kind.as_str()
            };
            strategic::strategic_merge(doc, patch, kind)?
        }
        PatchType::Apply => unreachable!("apply is handled by server_side_apply"),
    }
    if !doc.is_object() {
        return Err(ApiError::bad_request(
            "the patched document is not an object",
        ));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub fn patch(
    st: &mut State,
    rt: &ResourceType,
    ns: &str,
    name: &str,
    ptype: PatchType,
    patch: &Value,
    sub: Sub,
    opts: &WriteOptions,
) -> ApiResult<(Value, bool)> {
    require_verb(rt, "patch")?;
    // Custom resources have no patch strategies; Scale is a built-in type even when it views
    // one. Refused before the object is looked up, as the real handler does.
    if ptype == PatchType::Strategic && !rt.builtin && sub != Sub::Scale {
        return Err(ApiError::unsupported_media_type(
            "the body of the request was in an unknown format - accepted media types include: \
             application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
        ));
    }
    let key = key_for(rt, ns, name);
    let current = st.objects.get(&key).cloned();
    if ptype == PatchType::Apply {
        return apply(st, rt, ns, name, current, patch, sub, opts);
    }
    let old = current.ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))?;
    let mut doc = patch_target(rt, &old, sub);
    apply_patch(rt, &mut doc, ptype, patch, sub)?;
    // A patch that sets metadata.resourceVersion makes it a precondition.
    let rv_before = patch_target(rt, &old, sub)["metadata"]["resourceVersion"].clone();
    if doc["metadata"]["resourceVersion"] != rv_before
        && !doc["metadata"]["resourceVersion"].is_null()
    {
        return Err(ApiError::conflict(&rt.group, &rt.plural, name));
    }
    if sub == Sub::Scale {
        return write_scale(st, rt, key, old, &doc, opts).map(|o| (o, false));
    }
    let doc = check_body(rt, doc)?;
    let new = kinds::merge_for_sub(rt, &old, doc, sub);
    write_update(st, rt, key, old, new, sub, opts).map(|o| (o, false))
}

/// Server-side apply; the flag says whether the object was created.
#[allow(clippy::too_many_arguments)]
fn apply(
    st: &mut State,
    rt: &ResourceType,
    ns: &str,
    name: &str,
    current: Option<Value>,
    applied: &Value,
    sub: Sub,
    opts: &WriteOptions,
) -> ApiResult<(Value, bool)> {
    let manager = opts
        .field_manager
        .as_deref()
        .filter(|m| !m.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request(
                "PATCH, application/apply-patch+yaml: fieldManager is required for apply requests",
            )
        })?;
    if sub == Sub::Scale {
        return Err(ApiError::method_not_allowed(
            "server-side apply to the scale subresource is not supported by the test double",
        ));
    }
    let applied = check_body(rt, applied.clone())?;
    if !meta::name(&applied).is_empty() && meta::name(&applied) != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({}) does not match the name on the URL ({name})",
            meta::name(&applied)
        )));
    }
    let shape = Shape {
        kind: &rt.kind,
        schema: rt.schema.as_deref(),
    };
    let now = meta::now_rfc3339();
    let req = ApplyRequest {
        manager,
        force: opts.force,
        subresource: (sub == Sub::Status).then_some("status"),
        api_version: &rt.api_version(),
        now: &now,
    };
    let ids = (rt.group.as_str(), rt.plural.as_str(), name);
    let Some(old) = current else {
        if sub == Sub::Status {
            return Err(ApiError::not_found(&rt.group, &rt.plural, name));
        }
        let mut obj = server_side_apply(None, &applied, &shape, &req, ids)?;
        meta::set_str(&mut obj, "name", name);
        return create(st, rt, ns, obj, opts).map(|o| (o, true));
    };
    let merged = server_side_apply(
        Some(&as_version(rt, old.clone())),
        &applied,
        &shape,
        &req,
        ids,
    )?;
    let key = key_for(rt, ns, name);
    // managedFields belong to the whole object, whatever subresource the apply addressed.
    let managed = merged.pointer("/metadata/managedFields").cloned();
    let mut new = kinds::merge_for_sub(rt, &old, merged, sub);
    if let Some(mf) = managed {
        meta::meta_mut(&mut new).insert("managedFields".into(), mf);
    }
    write_update(st, rt, key, old, new, sub, opts).map(|o| (o, false))
}

//! The verbs, on the locked state: what the real server's generic registry and its per-kind
//! strategies do, without HTTP (the server module and the library API both call these).

mod delete;
mod patch;
mod read;
mod write;

pub use delete::{DeleteOptions, DeleteOutcome, delete, delete_collection};
pub use patch::patch;
pub use read::{ListQuery, ListResult, get, get_scale, list};
pub use write::{create, update};

use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::registry::ResourceType;
use crate::store::ObjKey;

/// Which part of an object a request addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sub {
    Main,
    Status,
    Scale,
}

impl Sub {
    pub fn parse(s: Option<&str>, rt: &ResourceType) -> ApiResult<Sub> {
        match s {
            None => Ok(Sub::Main),
            Some("status") if rt.status => Ok(Sub::Status),
            Some("scale") if rt.scale.is_some() => Ok(Sub::Scale),
            Some(other) => Err(ApiError::not_found(
                rt.group.as_str(),
                &format!("{}/{other}", rt.plural),
                "",
            )),
        }
    }
}

/// Query parameters of writes.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    pub dry_run: bool,
    pub field_manager: Option<String>,
    pub force: bool,
    /// `fieldValidation=Strict`: unknown fields are an error instead of being dropped.
    pub strict: bool,
}

pub fn key_for(rt: &ResourceType, ns: &str, name: &str) -> ObjKey {
    let ns = if rt.namespaced { ns } else { "" };
    let (group, resource) = rt.storage_id();
    ObjKey::new(group, resource, ns, name)
}

/// Objects are stored in whichever served version wrote them; a read in another version only
/// renames the version (the "None" conversion strategy), except events.k8s.io Events, which
/// are converted from the stored core Events with the real field mapping.
pub fn as_version(rt: &ResourceType, mut obj: Value) -> Value {
    if rt.group == crate::events::GROUP && rt.plural == "events" {
        obj = crate::events::to_events_v1(&obj);
    }
    named(rt, obj)
}

/// `obj` with the apiVersion and kind of `rt`.
fn named(rt: &ResourceType, mut obj: Value) -> Value {
    if let Some(m) = obj.as_object_mut() {
        m.insert("apiVersion".into(), Value::String(rt.api_version()));
        m.insert("kind".into(), Value::String(rt.kind.clone()));
    }
    obj
}

/// A request body must be an object of the URL's kind; apiVersion and kind may be omitted.
pub fn check_body(rt: &ResourceType, body: Value) -> ApiResult<Value> {
    if !body.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request must be a JSON or YAML object",
        ));
    }
    if let Some(v) = body.get("apiVersion").and_then(Value::as_str)
        && v != rt.api_version()
    {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({v}) does not match the expected API version ({})",
            rt.api_version()
        )));
    }
    if let Some(k) = body.get("kind").and_then(Value::as_str)
        && k != rt.kind
    {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({k}) does not match the expected kind ({})",
            rt.kind
        )));
    }
    Ok(named(rt, body))
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_delete;
#[cfg(test)]
mod tests_events;

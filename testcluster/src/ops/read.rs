//! get and list, with the resourceVersion semantics of the real server: lists are consistent
//! snapshots, `Exact` and continue tokens read the past from the event history, and what the
//! history no longer covers is 410 Gone.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{as_version, key_for};
use crate::error::{ApiError, ApiResult};
use crate::registry::ResourceType;
use crate::selector::{FieldSelector, LabelSelector};
use crate::store::{EventType, ObjKey, State};

pub fn get(st: &State, rt: &ResourceType, ns: &str, name: &str) -> ApiResult<Value> {
    st.objects
        .get(&key_for(rt, ns, name))
        .map(|o| as_version(rt, o.clone()))
        .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))
}

/// The `autoscaling/v1 Scale` view of a scalable object (its `/scale` subresource).
pub fn get_scale(st: &State, rt: &ResourceType, ns: &str, name: &str) -> ApiResult<Value> {
    super::Sub::parse(Some("scale"), rt)?;
    let obj = get(st, rt, ns, name)?;
    Ok(crate::workloads::to_scale(rt, &obj))
}

#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub label: LabelSelector,
    pub field: FieldSelector,
    pub limit: Option<usize>,
    pub continue_token: Option<String>,
    pub resource_version: Option<String>,
    pub resource_version_match: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ListResult {
    pub items: Vec<Value>,
    pub resource_version: u64,
    pub continue_token: Option<String>,
    pub remaining: Option<usize>,
}

/// The objects of a group/resource as they were at `at`, rebuilt by undoing later events;
/// None when the history does not reach back that far.
fn snapshot(st: &State, rt: &ResourceType, at: u64) -> Option<BTreeMap<ObjKey, Value>> {
    let (group, resource) = rt.storage_id();
    let mut objs: BTreeMap<ObjKey, Value> = st
        .objects_of(group, resource, None)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if at == st.rv {
        return Some(objs);
    }
    let later = st.events_since(at)?;
    for ev in later.iter().rev() {
        if ev.key.group != group || ev.key.resource != resource {
            continue;
        }
        match (ev.kind, &ev.old) {
            (EventType::Added, _) => {
                objs.remove(&ev.key);
            }
            (_, Some(old)) => {
                objs.insert(ev.key.clone(), old.clone());
            }
            (_, None) => {}
        }
    }
    Some(objs)
}

fn encode_continue(rv: u64, last: &ObjKey) -> String {
    let raw = format!("{rv}/{}/{}", last.namespace, last.name);
    raw.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_continue(token: &str) -> ApiResult<(u64, String, String)> {
    let bad = || ApiError::bad_request(format!("continue key is not valid: {token}"));
    let bytes: Vec<u8> = (0..token.len())
        .step_by(2)
        .map(|i| {
            token
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<_>>()
        .ok_or_else(bad)?;
    let raw = String::from_utf8(bytes).map_err(|_| bad())?;
    let mut parts = raw.splitn(3, '/');
    let rv = parts.next().and_then(|r| r.parse().ok()).ok_or_else(bad)?;
    let ns = parts.next().ok_or_else(bad)?.to_string();
    let name = parts.next().ok_or_else(bad)?.to_string();
    Ok((rv, ns, name))
}

const CONTINUE_TOO_OLD: &str = "The provided continue parameter is too old to display a \
consistent list result. You can start a new list without the continue parameter, or use the \
continue token in this response to retrieve the remainder of the results. Continuing with the \
provided token results in an inconsistent list - objects that were created, modified, or \
deleted between the time the first chunk was returned and now may show up in the list.";

/// Which snapshot a list reads: (resourceVersion, start after this key).
fn list_point(st: &State, q: &ListQuery) -> ApiResult<(u64, Option<(String, String)>)> {
    if let Some(tok) = &q.continue_token {
        let (rv, ns, name) = decode_continue(tok)?;
        if rv < st.compacted_rv {
            return Err(ApiError::gone(CONTINUE_TOO_OLD));
        }
        return Ok((rv, Some((ns, name))));
    }
    let asked = match q.resource_version.as_deref() {
        None | Some("") | Some("0") => return Ok((st.rv, None)),
        Some(v) => v
            .parse::<u64>()
            .map_err(|_| ApiError::bad_request(format!("invalid resource version: {v}")))?,
    };
    if asked > st.rv {
        let msg = format!("Too large resource version: {asked}, current: {}", st.rv);
        return Err(ApiError::new(504, "Timeout", msg));
    }
    match q.resource_version_match.as_deref() {
        Some("Exact") if asked < st.compacted_rv => Err(ApiError::gone(format!(
            "too old resource version: {asked} ({})",
            st.compacted_rv
        ))),
        Some("Exact") => Ok((asked, None)),
        // NotOlderThan (and the legacy unset match): the current state is never too old.
        _ => Ok((st.rv, None)),
    }
}

pub fn list(
    st: &State,
    rt: &ResourceType,
    ns: Option<&str>,
    q: &ListQuery,
) -> ApiResult<ListResult> {
    let (rv, start) = list_point(st, q)?;
    let objs = snapshot(st, rt, rv).ok_or_else(|| ApiError::gone(CONTINUE_TOO_OLD))?;
    let matching: Vec<(&ObjKey, &Value)> = objs
        .iter()
        .filter(|(k, _)| ns.is_none_or(|n| !rt.namespaced || k.namespace == n))
        .filter(|(k, _)| {
            start
                .as_ref()
                .is_none_or(|(sn, sname)| (&k.namespace, &k.name) > (sn, sname))
        })
        .filter(|(_, o)| q.label.matches(&crate::meta::labels(o)) && q.field.matches(o))
        .collect();
    // Like the watch cache, a list at resourceVersion 0 ignores the limit.
    let from_cache = matches!(q.resource_version.as_deref(), Some("0")) && start.is_none();
    let limit = q.limit.filter(|l| *l > 0 && !from_cache);
    let take = limit.unwrap_or(usize::MAX).min(matching.len());
    let items: Vec<Value> = matching[..take]
        .iter()
        .map(|(_, o)| as_version(rt, (*o).clone()))
        .collect();
    let more = take < matching.len();
    let unfiltered = q.label == LabelSelector::default() && q.field == FieldSelector::default();
    Ok(ListResult {
        items,
        resource_version: rv,
        continue_token: more.then(|| encode_continue(rv, matching[take - 1].0)),
        remaining: (more && unfiltered).then(|| matching.len() - take),
    })
}

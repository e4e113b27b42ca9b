//! Resource requests: `/api/v1/...` and `/apis/<group>/<version>/...` to the verbs.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{Method, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::{Request, error_response, json_response, not_found};
use crate::cluster::Shared;
use crate::error::{ApiError, ApiResult};
use crate::ops::{self, DeleteOptions, DeleteOutcome, ListQuery, Sub, WriteOptions};
use crate::patch::PatchType;
use crate::registry::ResourceType;
use crate::selector::{FieldSelector, LabelSelector};
use crate::table::to_table;
use crate::watch::{Watch, WatchItem, WatchRequest};

struct Target {
    rt: ResourceType,
    ns: Option<String>,
    name: Option<String>,
    sub: Option<String>,
}

impl Target {
    fn ns(&self) -> &str {
        self.ns.as_deref().unwrap_or("")
    }
}

/// `[namespaces/<ns>/]<resource>[/<name>[/<subresource>]]`; a namespace's own subresources
/// (`namespaces/<name>/status`) are told apart because no resource is called `status`.
fn parse_target(shared: &Shared, group: &str, version: &str, rest: &[&str]) -> Option<Target> {
    let st = shared.lock();
    let reg = &st.registry;
    let namespaced_form = rest.len() >= 3
        && rest[0] == "namespaces"
        && reg
            .find(group, version, rest[2])
            .is_some_and(|t| t.namespaced);
    let (ns, tail) = if namespaced_form {
        (Some(rest[1].to_string()), &rest[2..])
    } else {
        (None, rest)
    };
    let (res, name, sub) = match tail {
        [r] => (*r, None, None),
        [r, n] => (*r, Some(n.to_string()), None),
        [r, n, s] => (*r, Some(n.to_string()), Some(s.to_string())),
        _ => return None,
    };
    let rt = reg.find(group, version, res)?.clone();
    let bad_scope =
        (rt.namespaced && ns.is_none() && name.is_some()) || (!rt.namespaced && ns.is_some());
    (!bad_scope).then_some(Target { rt, ns, name, sub })
}

pub async fn serve(
    shared: &Arc<Shared>,
    group: &str,
    version: &str,
    rest: &[&str],
    req: Request,
) -> Response {
    let Some(t) = parse_target(shared, group, version, rest) else {
        return not_found();
    };
    match dispatch(shared, t, req).await {
        Ok(r) => r,
        Err(e) => error_response(&e),
    }
}

async fn dispatch(shared: &Arc<Shared>, t: Target, req: Request) -> ApiResult<Response> {
    let sub = Sub::parse(t.sub.as_deref(), &t.rt)?;
    match (&req.method, t.name.as_deref()) {
        (&Method::GET, None) if req.flag("watch") => watch(shared, &t, &req),
        (&Method::GET, None) => list(shared, &t, &req),
        (&Method::GET, Some(name)) => get(shared, &t, name, sub, &req),
        (&Method::POST, None) => {
            let obj = ops::create(
                &mut shared.lock(),
                &t.rt,
                t.ns(),
                body_value(&req)?,
                &write_options(&req),
            )?;
            Ok(json_response(201, &obj))
        }
        (&Method::PUT, Some(name)) => {
            let obj = ops::update(
                &mut shared.lock(),
                &t.rt,
                t.ns(),
                name,
                body_value(&req)?,
                sub,
                &write_options(&req),
            )?;
            Ok(json_response(200, &obj))
        }
        (&Method::PATCH, Some(name)) => patch(shared, &t, name, sub, &req),
        (&Method::DELETE, Some(name)) => delete(shared, &t, name, &req),
        (&Method::DELETE, None) => delete_collection(shared, &t, &req),
        (m, _) => Err(ApiError::method_not_allowed(format!(
            "the server does not allow this method on the requested resource ({m})"
        ))),
    }
}

fn body_value(req: &Request) -> ApiResult<Value> {
    if req.body.is_empty() {
        return Err(ApiError::bad_request("the request body is empty"));
    }
    if req
        .header(header::CONTENT_TYPE)
        .starts_with("application/vnd.kubernetes.protobuf")
    {
        return crate::proto::decode(&req.body);
    }
    if let Ok(v) = serde_json::from_slice(&req.body) {
        return Ok(v);
    }
    let text = std::str::from_utf8(&req.body)
        .map_err(|_| ApiError::bad_request("the request body is not UTF-8"))?;
    serde_saphyr::from_str(text).map_err(|e| {
        ApiError::bad_request(format!("the request body is neither JSON nor YAML: {e}"))
    })
}

fn write_options(req: &Request) -> WriteOptions {
    WriteOptions {
        dry_run: req.q("dryRun").is_some_and(|d| d == "All"),
        field_manager: req.q("fieldManager").map(String::from),
        force: req.flag("force"),
        strict: req.q("fieldValidation") == Some("Strict"),
    }
}

fn selectors(t: &Target, req: &Request) -> ApiResult<(LabelSelector, FieldSelector)> {
    let label = LabelSelector::parse(req.q("labelSelector").unwrap_or(""))?;
    let field = FieldSelector::parse(
        req.q("fieldSelector").unwrap_or(""),
        &t.rt.group,
        &t.rt.plural,
    )?;
    Ok((label, field))
}

fn list_query(t: &Target, req: &Request) -> ApiResult<ListQuery> {
    let (label, field) = selectors(t, req)?;
    Ok(ListQuery {
        label,
        field,
        limit: req.q("limit").and_then(|l| l.parse().ok()),
        continue_token: req
            .q("continue")
            .filter(|c| !c.is_empty())
            .map(String::from),
        resource_version: req.q("resourceVersion").map(String::from),
        resource_version_match: req.q("resourceVersionMatch").map(String::from),
    })
}

fn list(shared: &Arc<Shared>, t: &Target, req: &Request) -> ApiResult<Response> {
    let q = list_query(t, req)?;
    let res = ops::list(&shared.lock(), &t.rt, t.ns.as_deref(), &q)?;
    let mut md = json!({"resourceVersion": res.resource_version.to_string()});
    if let Some(c) = res.continue_token {
        md["continue"] = json!(c);
    }
    if let Some(n) = res.remaining {
        md["remainingItemCount"] = json!(n);
    }
    if req.wants_table() {
        let include = req.q("includeObject").unwrap_or("Metadata");
        return Ok(json_response(
            200,
            &to_table(&t.rt, &res.items, md, include),
        ));
    }
    let list = json!({"kind": t.rt.list_kind, "apiVersion": t.rt.api_version(), "metadata": md, "items": res.items});
    Ok(json_response(200, &list))
}

fn get(
    shared: &Arc<Shared>,
    t: &Target,
    name: &str,
    sub: Sub,
    req: &Request,
) -> ApiResult<Response> {
    if sub == Sub::Scale {
        let scale = ops::get_scale(&shared.lock(), &t.rt, t.ns(), name)?;
        return Ok(json_response(200, &scale));
    }
    let obj = ops::get(&shared.lock(), &t.rt, t.ns(), name)?;
    if req.wants_table() {
        let md = json!({"resourceVersion": obj["metadata"]["resourceVersion"]});
        let include = req.q("includeObject").unwrap_or("Metadata");
        return Ok(json_response(
            200,
            &to_table(&t.rt, std::slice::from_ref(&obj), md, include),
        ));
    }
    Ok(json_response(200, &obj))
}

fn patch(
    shared: &Arc<Shared>,
    t: &Target,
    name: &str,
    sub: Sub,
    req: &Request,
) -> ApiResult<Response> {
    let ptype = PatchType::from_content_type(req.header(header::CONTENT_TYPE))?;
    let body = body_value(req)?;
    let opts = write_options(req);
    let (obj, created) = ops::patch(
        &mut shared.lock(),
        &t.rt,
        t.ns(),
        name,
        ptype,
        &body,
        sub,
        &opts,
    )?;
    Ok(json_response(if created { 201 } else { 200 }, &obj))
}

fn delete_options(req: &Request) -> ApiResult<DeleteOptions> {
    let body: Value = if req.body.is_empty() {
        json!({})
    } else {
        body_value(req)?
    };
    let orphan = body["orphanDependents"]
        .as_bool()
        .map(|o| if o { "Orphan" } else { "Background" });
    let policy = body["propagationPolicy"]
        .as_str()
        .or(req.q("propagationPolicy"))
        .or(orphan);
    let dry_run = body["dryRun"]
        .as_array()
        .is_some_and(|d| d.iter().any(|x| x == "All"))
        || req.q("dryRun") == Some("All");
    Ok(DeleteOptions {
        propagation_policy: policy.map(String::from),
        precondition_uid: body
            .pointer("/preconditions/uid")
            .and_then(Value::as_str)
            .map(String::from),
        precondition_resource_version: body
            .pointer("/preconditions/resourceVersion")
            .and_then(Value::as_str)
            .map(String::from),
        dry_run,
    })
}

fn delete(shared: &Arc<Shared>, t: &Target, name: &str, req: &Request) -> ApiResult<Response> {
    let opts = delete_options(req)?;
    let out = ops::delete(&mut shared.lock(), &t.rt, t.ns(), name, &opts)?;
    Ok(match out {
        // Deleted at once: a success Status naming the object (kind is the resource, as the
        // real server fills it in).
        DeleteOutcome::Removed(obj) => {
            let mut details =
                json!({"name": name, "kind": t.rt.plural, "uid": obj["metadata"]["uid"]});
            if !t.rt.group.is_empty() {
                details["group"] = json!(t.rt.group);
            }
            json_response(
                200,
                &json!({"kind": "Status", "apiVersion": "v1", "metadata": {},
                "status": "Success", "details": details}),
            )
        }
        DeleteOutcome::Pending(obj) => json_response(200, &obj),
    })
}

fn delete_collection(shared: &Arc<Shared>, t: &Target, req: &Request) -> ApiResult<Response> {
    let q = list_query(t, req)?;
    let opts = delete_options(req)?;
    let items = ops::delete_collection(&mut shared.lock(), &t.rt, t.ns.as_deref(), &q, &opts)?;
    let rv = shared.lock().rv.to_string();
    let list = json!({"kind": t.rt.list_kind, "apiVersion": t.rt.api_version(),
        "metadata": {"resourceVersion": rv}, "items": items});
    Ok(json_response(200, &list))
}

fn watch(shared: &Arc<Shared>, t: &Target, req: &Request) -> ApiResult<Response> {
    let (label, field) = selectors(t, req)?;
    let wr = WatchRequest {
        rt: t.rt.clone(),
        namespace: t.ns.clone(),
        label,
        field,
        resource_version: req.q("resourceVersion").map(String::from),
        send_initial_events: req.flag("sendInitialEvents"),
        bookmarks: req.flag("allowWatchBookmarks"),
        timeout: req
            .q("timeoutSeconds")
            .and_then(|s| s.parse().ok())
            .map(Duration::from_secs),
    };
    let w = Watch::start(shared.clone(), wr)?;
    let table = req
        .wants_table()
        .then(|| req.q("includeObject").unwrap_or("Metadata").to_string());
    let rt = t.rt.clone();
    let stream = futures::stream::unfold(w, move |mut w| {
        let (rt, table) = (rt.clone(), table.clone());
        async move {
            let item = w.next().await?;
            let line = watch_line(&rt, item, table.as_deref());
            Some((Ok::<Bytes, std::convert::Infallible>(Bytes::from(line)), w))
        }
    });
    let mut r = Response::new(Body::from_stream(stream));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    Ok(r)
}

fn watch_line(rt: &ResourceType, item: WatchItem, table: Option<&str>) -> String {
    let kind = item.type_name();
    let object = match item {
        WatchItem::Event(_, obj) => match table {
            Some(include) => {
                let md = json!({"resourceVersion": obj["metadata"]["resourceVersion"]});
                to_table(rt, std::slice::from_ref(&obj), md, include)
            }
            None => obj,
        },
        WatchItem::Bookmark(b) => b,
        WatchItem::Error(e) => e.to_status(),
    };
    format!("{}\n", json!({"type": kind, "object": object}))
}

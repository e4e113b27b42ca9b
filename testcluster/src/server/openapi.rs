//! A minimal OpenAPI v3: for each group/version, one PATCH operation per kind that declares the
//! `fieldValidation` query parameter. That is what kubectl looks for to decide the server
//! validates fields itself (it then sends `fieldValidation=Strict` and skips client-side
//! validation, which would need full schemas). There are no component schemas, so
//! `kubectl explain` finds nothing; OpenAPI v2 is not served at all.

use std::sync::Arc;

use axum::response::Response;
use serde_json::{Map, Value, json};

use super::{Request, json_response, not_found};
use crate::cluster::Shared;
use crate::registry::{Registry, ResourceType};

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

fn item_path(t: &ResourceType) -> String {
    let base = format!("/{}", gv_path(&t.group, &t.version));
    if t.namespaced {
        format!("{base}/namespaces/{{namespace}}/{}/{{name}}", t.plural)
    } else {
        format!("{base}/{}/{{name}}", t.plural)
    }
}

fn operation(t: &ResourceType, action: &str) -> Value {
    json!({
        "operationId": format!("{action}{}", t.kind),
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": t.group, "version": t.version, "kind": t.kind},
        "parameters": [
            {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
        ],
        "responses": {"200": {"description": "OK"}},
    })
}

fn document(reg: &Registry, group: &str, version: &str) -> Option<Value> {
    let mut paths = Map::new();
    for t in reg.in_group_version(group, version) {
        let mut item = Map::new();
        for (method, action) in [
            ("get", "get"),
            ("put", "put"),
            ("patch", "patch"),
            ("delete", "delete"),
        ] {
            item.insert(method.into(), operation(t, action));
        }
        paths.insert(item_path(t), Value::Object(item));
    }
    (!paths.is_empty()).then(|| {
        json!({"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.33.0"},
            "paths": paths, "components": {"schemas": {}}})
    })
}

/// A content hash for the `?hash=` of the index: clients cache documents by that URL.
fn hash(v: &Value) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in v.to_string().bytes() {
        h = (h ^ b as u64).wrapping_mul(0x100000001b3);
    }
    format!("{h:016X}")
}

fn index(reg: &Registry) -> Value {
    let mut paths = Map::new();
    for (g, versions) in reg.groups() {
        for v in versions {
            let Some(doc) = document(reg, &g, &v) else {
                continue;
            };
            let p = gv_path(&g, &v);
            let url = format!("/openapi/v3/{p}?hash={}", hash(&doc));
            paths.insert(p, json!({"serverRelativeURL": url}));
        }
    }
    json!({"paths": paths})
}

pub fn serve(shared: &Arc<Shared>, rest: &[&str], _req: &Request) -> Response {
    let st = shared.lock();
    let doc = match rest {
        ["v3"] => Some(index(&st.registry)),
        ["v3", "api", v] => document(&st.registry, "", v),
        ["v3", "apis", g, v] => document(&st.registry, g, v),
        _ => None,
    };
    match doc {
        Some(d) => json_response(200, &d),
        None => not_found(),
    }
}

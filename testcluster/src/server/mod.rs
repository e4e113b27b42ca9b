//! HTTP: one fallback handler parses Kubernetes API paths itself (resource names come from
//! the registry, which CRDs change at run time).

mod discovery;
mod openapi;
mod resource;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::Value;

use crate::cluster::Shared;
use crate::error::ApiError;

/// The real server's request body limit (3 MiB): bigger bodies get 413.
const MAX_BODY: usize = 3 * 1024 * 1024;

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

/// What a handler needs of the request.
pub struct Request {
    pub method: Method,
    pub path: String,
    pub query: HashMap<String, String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Request {
    pub fn q(&self, k: &str) -> Option<&str> {
        self.query.get(k).map(String::as_str)
    }

    pub fn flag(&self, k: &str) -> bool {
        matches!(self.q(k), Some("true") | Some("1"))
    }

    pub fn header(&self, k: header::HeaderName) -> &str {
        self.headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn wants_table(&self) -> bool {
        self.header(header::ACCEPT).contains("as=Table")
    }
}

pub fn json_response(code: u16, v: &Value) -> Response {
    let mut r = Response::new(Body::from(v.to_string()));
    *r.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

pub fn error_response(e: &ApiError) -> Response {
    json_response(e.code, &e.to_status())
}

fn not_found_path() -> Response {
    let mut e = ApiError::new(
        404,
        "NotFound",
        "the server could not find the requested resource",
    );
    e.details = Some(serde_json::json!({}));
    error_response(&e)
}

fn log_request(shared: &Shared, method: &Method, path_and_query: &str) {
    let mut log = shared.requests.lock().expect("request log");
    if log.len() >= shared.config.request_log_limit {
        log.remove(0);
    }
    log.push(format!("{method} {path_and_query}"));
}

/// A client that accepts only protobuf (or CBOR) gets 406, as from a server without it.
fn acceptable(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept.is_empty()
        || accept.contains("json")
        || accept.contains("*/*")
        || accept.contains("yaml")
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let pq = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_string();
    log_request(&shared, &method, &pq);
    let verdict = shared.faults.check(method.as_str(), &pq);
    if let Some(d) = verdict.delay {
        tokio::time::sleep(d).await;
    }
    if let Some(e) = verdict.fail {
        return error_response(&e);
    }
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        let msg = format!("Request entity too large: limit is {MAX_BODY}");
        return error_response(&ApiError::new(413, "RequestEntityTooLarge", msg));
    };
    let query: HashMap<String, String> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let req = Request {
        method,
        path: uri.path().to_string(),
        query,
        headers,
        body,
    };
    route(&shared, req).await
}

async fn route(shared: &Arc<Shared>, req: Request) -> Response {
    let segs: Vec<String> = req
        .path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decoded)
        .collect();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    if s.first() == Some(&"openapi") {
        return openapi::serve(shared, &s[1..], &req);
    }
    if !acceptable(&req.headers) {
        let e = ApiError::new(
            406,
            "NotAcceptable",
            "only the following media types are accepted: application/json, application/yaml",
        );
        return error_response(&e);
    }
    let host = req.header(header::HOST).to_string();
    let reg = || shared.lock();
    match s.as_slice() {
        ["version"] => json_response(200, &discovery::version()),
        ["healthz"] | ["livez"] | ["readyz"] => Response::new(Body::from("ok")),
        ["api"] => json_response(200, &discovery::api_versions(&host)),
        ["apis"] => json_response(200, &discovery::api_group_list(&reg().registry)),
        ["api", v] => opt(discovery::resource_list(&reg().registry, "", v)),
        ["apis", g] => opt(discovery::api_group(&reg().registry, g)),
        ["apis", g, v] => opt(discovery::resource_list(&reg().registry, g, v)),
        ["api", v, rest @ ..] => resource::serve(shared, "", v, rest, req).await,
        ["apis", g, v, rest @ ..] => resource::serve(shared, g, v, rest, req).await,
        _ => not_found_path(),
    }
}

/// A path segment as Go's `net/http` hands it to the real server: `%XX` decoded (a client may
/// escape the `:` of `system:auth-delegator`).
fn percent_decoded(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn opt(v: Option<Value>) -> Response {
    match v {
        Some(v) => json_response(200, &v),
        None => not_found_path(),
    }
}

pub(crate) fn not_found() -> Response {
    not_found_path()
}

#[cfg(test)]
mod tests {
    use super::percent_decoded;

    #[test]
    fn path_segments_are_percent_decoded() {
        // (segment, decoded)
        let cases = [
            ("system:auth-delegator", "system:auth-delegator"),
            ("system%3Aauth-delegator", "system:auth-delegator"),
            ("a%2fb", "a/b"),
            ("100%", "100%"),
            ("%zz", "%zz"),
            ("%+1x", "%+1x"),
        ];
        for (segment, want) in cases {
            assert_eq!(percent_decoded(segment), want, "{segment}");
        }
    }
}

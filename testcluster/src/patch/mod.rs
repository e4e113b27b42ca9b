//! The four patch formats the real server accepts, chosen by the request's Content-Type.

pub mod apply;
pub mod fieldset;
pub mod json_patch;
pub mod merge;
pub mod strategic;

use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use strategic::{ListStrategy, list_strategy};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    Merge,
    Json,
    Strategic,
    Apply,
}

const ACCEPTED: &str = "application/json-patch+json, application/merge-patch+json, \
                        application/apply-patch+yaml, application/strategic-merge-patch+json";

impl PatchType {
    pub fn from_content_type(ct: &str) -> ApiResult<Self> {
        let media = ct.split(';').next().unwrap_or("").trim();
        match media {
            "application/merge-patch+json" => Ok(PatchType::Merge),
            "application/json-patch+json" => Ok(PatchType::Json),
            "application/strategic-merge-patch+json" => Ok(PatchType::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+cbor" => Ok(PatchType::Apply),
            _ => Err(ApiError::unsupported_media_type(format!(
                "the body of the request was in an unknown format - accepted media types \
                 include: {ACCEPTED}"
            ))),
        }
    }
}

/// How server-side apply treats a list (`x-kubernetes-list-type`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListKind {
    Atomic,
    Map(Vec<String>),
    Set,
}

/// What patch logic needs to know about an object's schema: its kind (for the built-in merge
/// keys) and, for custom resources, the CRD's structural schema.
#[derive(Debug, Clone, Copy)]
pub struct Shape<'a> {
    pub kind: &'a str,
    pub schema: Option<&'a Value>,
}

impl Shape<'_> {
    pub fn list_kind(&self, path: &[String], field: &str) -> ListKind {
        let in_metadata = path.first().map(String::as_str) == Some("metadata");
        match self.schema {
            Some(schema) if !in_metadata => schema_list_kind(schema, path, field),
            _ => match list_strategy(self.kind, path, field) {
                ListStrategy::Key(k) => ListKind::Map(vec![k.to_string()]),
                ListStrategy::Primitive => ListKind::Set,
                ListStrategy::Replace => ListKind::Atomic,
            },
        }
    }
}

/// The sub-schema of a field, stepping through array `items` and `additionalProperties`.
pub fn schema_at<'a>(schema: &'a Value, path: &[String], field: &str) -> Option<&'a Value> {
    let mut s = schema;
    for seg in path.iter().map(String::as_str).chain([field]) {
        if s.get("type").and_then(Value::as_str) == Some("array") {
            s = s.get("items")?;
        }
        s = s
            .get("properties")
            .and_then(|p| p.get(seg))
            .or_else(|| s.get("additionalProperties").filter(|a| a.is_object()))?;
    }
    Some(s)
}

fn schema_list_kind(schema: &Value, path: &[String], field: &str) -> ListKind {
    let Some(s) = schema_at(schema, path, field) else {
        return ListKind::Atomic;
    };
    match s.get("x-kubernetes-list-type").and_then(Value::as_str) {
        Some("map") => ListKind::Map(
            s.get("x-kubernetes-list-map-keys")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|k| k.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
        ),
        Some("set") => ListKind::Set,
        _ => ListKind::Atomic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn content_types() {
        let ct = "application/merge-patch+json; charset=utf-8";
        assert_eq!(PatchType::from_content_type(ct), Ok(PatchType::Merge));
        let e = PatchType::from_content_type("application/json").unwrap_err();
        assert_eq!(e.code, 415);
    }

    #[test]
    fn list_kinds_from_schema_and_builtins() {
        let schema = json!({"type": "object", "properties": {"status": {"type": "object",
            "properties": {"conditions": {"type": "array", "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["type"], "items": {"type": "object"}},
                "tags": {"type": "array", "items": {"type": "string"}}}}}});
        let cr = Shape {
            kind: "ScaledObject",
            schema: Some(&schema),
        };
        let st = vec!["status".to_string()];
        assert_eq!(
            cr.list_kind(&st, "conditions"),
            ListKind::Map(vec!["type".into()])
        );
        assert_eq!(cr.list_kind(&st, "tags"), ListKind::Atomic);
        let md = vec!["metadata".to_string()];
        assert_eq!(cr.list_kind(&md, "finalizers"), ListKind::Set);
        let d = Shape {
            kind: "Deployment",
            schema: None,
        };
        let p: Vec<String> = ["spec", "template", "spec"].map(String::from).to_vec();
        assert_eq!(
            d.list_kind(&p, "containers"),
            ListKind::Map(vec!["name".into()])
        );
    }
}

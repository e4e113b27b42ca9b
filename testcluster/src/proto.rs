//! Protobuf request bodies. kubectl's typed commands (`kubectl create namespace|configmap|
//! secret`) send `application/vnd.kubernetes.protobuf` and client-go has no fallback to JSON
//! for it, so the double decodes the envelope (`k8s\0` + runtime.Unknown) for those kinds and
//! refuses other protobuf bodies with 415. Responses are always JSON (kubectl accepts both).

use serde_json::{Map, Value, json};

use crate::error::{ApiError, ApiResult};

#[derive(Clone, Copy)]
enum Ty {
    Str,
    Bool,
    Time,
    Msg(&'static [Field]),
    Map,
    MapBytes,
}

#[derive(Clone, Copy)]
struct Field {
    no: u64,
    name: &'static str,
    ty: Ty,
    repeated: bool,
}

const fn f(no: u64, name: &'static str, ty: Ty) -> Field {
    Field {
        no,
        name,
        ty,
        repeated: false,
    }
}

const fn rep(no: u64, name: &'static str, ty: Ty) -> Field {
    Field {
        no,
        name,
        ty,
        repeated: true,
    }
}

const OWNER_REF: &[Field] = &[
    f(1, "kind", Ty::Str),
    f(3, "name", Ty::Str),
    f(4, "uid", Ty::Str),
    f(5, "apiVersion", Ty::Str),
    f(6, "controller", Ty::Bool),
    f(7, "blockOwnerDeletion", Ty::Bool),
];

const OBJECT_META: &[Field] = &[
    f(1, "name", Ty::Str),
    f(2, "generateName", Ty::Str),
    f(3, "namespace", Ty::Str),
    f(5, "uid", Ty::Str),
    f(6, "resourceVersion", Ty::Str),
    f(8, "creationTimestamp", Ty::Time),
    f(11, "labels", Ty::Map),
    f(12, "annotations", Ty::Map),
    rep(13, "ownerReferences", Ty::Msg(OWNER_REF)),
    rep(14, "finalizers", Ty::Str),
];

const NAMESPACE: &[Field] = &[
    f(1, "metadata", Ty::Msg(OBJECT_META)),
    f(2, "spec", Ty::Msg(&[rep(1, "finalizers", Ty::Str)])),
    f(3, "status", Ty::Msg(&[f(1, "phase", Ty::Str)])),
];

const CONFIG_MAP: &[Field] = &[
    f(1, "metadata", Ty::Msg(OBJECT_META)),
    f(2, "data", Ty::Map),
    f(3, "binaryData", Ty::MapBytes),
    f(4, "immutable", Ty::Bool),
];

const SECRET: &[Field] = &[
    f(1, "metadata", Ty::Msg(OBJECT_META)),
    f(2, "data", Ty::MapBytes),
    f(3, "type", Ty::Str),
    f(4, "stringData", Ty::Map),
    f(5, "immutable", Ty::Bool),
];

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

fn malformed() -> ApiError {
    ApiError::bad_request("malformed protobuf request body")
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> ApiResult<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.buf.get(self.pos).ok_or_else(malformed)?;
            self.pos += 1;
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(malformed())
    }

    fn bytes(&mut self) -> ApiResult<&'a [u8]> {
        let n = self.varint()? as usize;
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.buf.len())
            .ok_or_else(malformed)?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    /// Each field as (number, wire type, varint value or bytes).
    fn fields(mut self) -> ApiResult<Vec<(u64, u64, &'a [u8])>> {
        let mut out = Vec::new();
        while self.pos < self.buf.len() {
            let tag = self.varint()?;
            let (no, wire) = (tag >> 3, tag & 7);
            let start = self.pos;
            let data = match wire {
                0 => {
                    self.varint()?;
                    &self.buf[start..self.pos]
                }
                1 | 5 => {
                    let n = if wire == 1 { 8 } else { 4 };
                    self.pos = (self.pos + n).min(self.buf.len());
                    &self.buf[start..self.pos]
                }
                2 => self.bytes()?,
                _ => return Err(malformed()),
            };
            out.push((no, wire, data));
        }
        Ok(out)
    }
}

fn varint_of(data: &[u8]) -> ApiResult<u64> {
    Reader { buf: data, pos: 0 }.varint()
}

fn text(data: &[u8]) -> ApiResult<String> {
    String::from_utf8(data.to_vec()).map_err(|_| malformed())
}

fn map_entry(data: &[u8], bytes: bool) -> ApiResult<(String, Value)> {
    let (mut k, mut v) = (String::new(), json!(""));
    for (no, _, d) in (Reader { buf: data, pos: 0 }).fields()? {
        match no {
            1 => k = text(d)?,
            2 if bytes => v = json!(crate::defaults::base64(d)),
            2 => v = json!(text(d)?),
            _ => {}
        }
    }
    Ok((k, v))
}

fn time(data: &[u8]) -> ApiResult<Value> {
    let fields = (Reader { buf: data, pos: 0 }).fields()?;
    let secs = fields
        .iter()
        .find(|(n, _, _)| *n == 1)
        .map(|(_, _, d)| varint_of(d))
        .transpose()?;
    Ok(match secs.filter(|s| *s > 0) {
        Some(s) => json!(
            chrono::DateTime::from_timestamp(s as i64, 0)
                .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        ),
        None => Value::Null,
    })
}

fn value(ty: Ty, data: &[u8]) -> ApiResult<Value> {
    Ok(match ty {
        Ty::Str => json!(text(data)?),
        Ty::Bool => json!(varint_of(data)? != 0),
        Ty::Time => time(data)?,
        Ty::Msg(schema) => message(data, schema)?,
        Ty::Map | Ty::MapBytes => unreachable!("maps are decoded entry by entry"),
    })
}

fn empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// Decodes a message; proto2 always encodes plain strings and structs, so empty ones are
/// dropped, as JSON's omitempty would.
fn message(data: &[u8], schema: &[Field]) -> ApiResult<Value> {
    let mut out = Map::new();
    for (no, _, d) in (Reader { buf: data, pos: 0 }).fields()? {
        let Some(field) = schema.iter().find(|f| f.no == no) else {
            continue;
        };
        match field.ty {
            Ty::Map | Ty::MapBytes => {
                let (k, v) = map_entry(d, matches!(field.ty, Ty::MapBytes))?;
                let m = out.entry(field.name).or_insert_with(|| json!({}));
                m[k] = v;
            }
            ty if field.repeated => {
                let list = out.entry(field.name).or_insert_with(|| json!([]));
                list.as_array_mut().expect("list").push(value(ty, d)?);
            }
            ty => {
                out.insert(field.name.into(), value(ty, d)?);
            }
        }
    }
    out.retain(|_, v| !empty(v));
    Ok(Value::Object(out))
}

/// Decodes a `k8s\0`-prefixed protobuf body of a kind the double knows.
pub fn decode(body: &[u8]) -> ApiResult<Value> {
    let unsupported = |what: &str| {
        ApiError::unsupported_media_type(format!(
            "the test double decodes protobuf bodies only for Namespace, ConfigMap and Secret \
             (got {what}); send application/json"
        ))
    };
    let rest = body
        .strip_prefix(b"k8s\0")
        .ok_or_else(|| unsupported("no k8s envelope"))?;
    let fields = (Reader { buf: rest, pos: 0 }).fields()?;
    let type_meta = fields
        .iter()
        .find(|(n, _, _)| *n == 1)
        .map(|(_, _, d)| message(d, &[f(1, "apiVersion", Ty::Str), f(2, "kind", Ty::Str)]));
    let type_meta = type_meta.transpose()?.unwrap_or(json!({}));
    let raw = fields
        .iter()
        .find(|(n, _, _)| *n == 2)
        .map(|(_, _, d)| *d)
        .unwrap_or(&[]);
    let schema = match (type_meta["apiVersion"].as_str(), type_meta["kind"].as_str()) {
        (Some("v1"), Some("Namespace")) => NAMESPACE,
        (Some("v1"), Some("ConfigMap")) => CONFIG_MAP,
        (Some("v1"), Some("Secret")) => SECRET,
        _ => return Err(unsupported(&type_meta.to_string())),
    };
    let mut obj = message(raw, schema)?;
    obj["apiVersion"] = type_meta["apiVersion"].clone();
    obj["kind"] = type_meta["kind"].clone();
    Ok(obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(no: u8, data: &[u8]) -> Vec<u8> {
        let mut v = vec![(no << 3) | 2, data.len() as u8];
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn decodes_a_configmap_envelope() {
        let mut meta = field(1, b"cfg");
        meta.extend(field(2, b""));
        let mut entry = field(1, b"k");
        entry.extend(field(2, b"v"));
        let mut cm = field(1, &meta);
        cm.extend(field(2, &entry));
        let mut tm = field(1, b"v1");
        tm.extend(field(2, b"ConfigMap"));
        let mut body = b"k8s\0".to_vec();
        body.extend(field(1, &tm));
        body.extend(field(2, &cm));
        let obj = decode(&body).unwrap();
        assert_eq!(
            obj,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"k": "v"}})
        );
        assert_eq!(decode(b"k8s\0").unwrap_err().code, 415);
    }
}

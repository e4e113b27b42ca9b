//! JSON patch (RFC 6902), `application/json-patch+json`. A malformed patch is a 400, a patch
//! that does not apply is a 422, as with the real server (evanphx/json-patch underneath).

use serde_json::Value;

use crate::error::{ApiError, ApiResult};

fn pointer(path: &str) -> ApiResult<Vec<String>> {
    if path.is_empty() {
        return Ok(vec![]);
    }
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| ApiError::bad_request(format!("invalid JSON pointer: {path:?}")))?;
    Ok(rest
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn missing(path: &str) -> ApiError {
    ApiError::unprocessable(format!("doc is missing path: \"{path}\": missing value"))
}

fn index(tok: &str, len: usize, allow_end: bool, path: &str) -> ApiResult<usize> {
    if allow_end && tok == "-" {
        return Ok(len);
    }
    let digits = !tok.is_empty()
        && tok.bytes().all(|b| b.is_ascii_digit())
        && (tok == "0" || !tok.starts_with('0'));
    let i: usize = match digits.then(|| tok.parse().ok()).flatten() {
        Some(i) => i,
        None => return Err(missing(path)),
    };
    let in_bounds = if allow_end { i <= len } else { i < len };
    if !in_bounds {
        return Err(ApiError::unprocessable(format!(
            "index out of bounds: {i} in \"{path}\""
        )));
    }
    Ok(i)
}

fn get_mut<'a>(doc: &'a mut Value, toks: &[String], path: &str) -> ApiResult<&'a mut Value> {
    let mut cur = doc;
    for t in toks {
        cur = match cur {
            Value::Object(m) => m.get_mut(t).ok_or_else(|| missing(path))?,
            Value::Array(a) => {
                let i = index(t, a.len(), false, path)?;
                &mut a[i]
            }
            _ => return Err(missing(path)),
        };
    }
    Ok(cur)
}

fn add(doc: &mut Value, path: &str, value: Value) -> ApiResult<()> {
    let toks = pointer(path)?;
    let Some((last, parent)) = toks.split_last() else {
        *doc = value;
        return Ok(());
    };
    match get_mut(doc, parent, path)? {
        Value::Object(m) => {
            m.insert(last.clone(), value);
        }
        Value::Array(a) => {
            let i = index(last, a.len(), true, path)?;
            a.insert(i, value);
        }
        _ => return Err(missing(path)),
    }
    Ok(())
}

fn remove(doc: &mut Value, path: &str) -> ApiResult<Value> {
    let toks = pointer(path)?;
    let (last, parent) = toks.split_last().ok_or_else(|| missing(path))?;
    match get_mut(doc, parent, path)? {
        Value::Object(m) => m.remove(last).ok_or_else(|| missing(path)),
        Value::Array(a) => {
            let i = index(last, a.len(), false, path)?;
            Ok(a.remove(i))
        }
        _ => Err(missing(path)),
    }
}

fn field<'a>(op: &'a Value, name: &str) -> ApiResult<&'a Value> {
    op.get(name)
        .ok_or_else(|| ApiError::bad_request(format!("json patch operation is missing {name:?}")))
}

fn str_field<'a>(op: &'a Value, name: &str) -> ApiResult<&'a str> {
    field(op, name)?
        .as_str()
        .ok_or_else(|| ApiError::bad_request(format!("json patch {name:?} must be a string")))
}

fn apply_op(doc: &mut Value, op: &Value) -> ApiResult<()> {
    let path = str_field(op, "path")?;
    match str_field(op, "op")? {
        "add" => add(doc, path, field(op, "value")?.clone()),
        "remove" => remove(doc, path).map(drop),
        "replace" => {
            let value = field(op, "value")?.clone();
            *get_mut(doc, &pointer(path)?, path)? = value;
            Ok(())
        }
        "move" => {
            let from = str_field(op, "from")?;
            if path.starts_with(&format!("{from}/")) {
                return Err(ApiError::unprocessable(format!(
                    "cannot move \"{from}\" into its own child \"{path}\""
                )));
            }
            let v = remove(doc, from)?;
            add(doc, path, v)
        }
        "copy" => {
            let from = str_field(op, "from")?;
            let v = get_mut(doc, &pointer(from)?, from)?.clone();
            add(doc, path, v)
        }
        "test" => {
            let want = field(op, "value")?;
            let got = get_mut(doc, &pointer(path)?, path)?;
            if got != want {
                return Err(ApiError::unprocessable(format!(
                    "testing value {path} failed: test failed"
                )));
            }
            Ok(())
        }
        other => Err(ApiError::bad_request(format!(
            "Unexpected kind: {other} in json patch"
        ))),
    }
}

/// Applies every operation in order; on any failure the document is left untouched.
pub fn json_patch(doc: &mut Value, patch: &Value) -> ApiResult<()> {
    let ops = patch
        .as_array()
        .ok_or_else(|| ApiError::bad_request("json patch must be an array of operations"))?;
    let mut work = doc.clone();
    for op in ops {
        apply_op(&mut work, op)?;
    }
    *doc = work;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// (document, patch, expected result or the error code)
    #[test]
    fn rfc6902_table() {
        let ok = |d: Value, p: Value, w: Value| (d, p, Ok::<Value, u16>(w));
        let err = |d: Value, p: Value, c: u16| (d, p, Err::<Value, u16>(c));
        let cases = [
            ok(
                json!({"a":1}),
                json!([{"op":"add","path":"/b","value":2}]),
                json!({"a":1,"b":2}),
            ),
            ok(
                json!({"a":[1,2]}),
                json!([{"op":"add","path":"/a/1","value":9}]),
                json!({"a":[1,9,2]}),
            ),
            ok(
                json!({"a":[1]}),
                json!([{"op":"add","path":"/a/-","value":2}]),
                json!({"a":[1,2]}),
            ),
            ok(
                json!({"a":1,"b":2}),
                json!([{"op":"remove","path":"/a"}]),
                json!({"b":2}),
            ),
            ok(
                json!({"a":[1,2,3]}),
                json!([{"op":"remove","path":"/a/1"}]),
                json!({"a":[1,3]}),
            ),
            ok(
                json!({"a":1}),
                json!([{"op":"replace","path":"/a","value":5}]),
                json!({"a":5}),
            ),
            ok(
                json!({"a":{"b":1}}),
                json!([{"op":"move","from":"/a/b","path":"/c"}]),
                json!({"a":{},"c":1}),
            ),
            ok(
                json!({"a":{"b":1}}),
                json!([{"op":"copy","from":"/a","path":"/c"}]),
                json!({"a":{"b":1},"c":{"b":1}}),
            ),
            ok(
                json!({"a":"x"}),
                json!([{"op":"test","path":"/a","value":"x"}]),
                json!({"a":"x"}),
            ),
            ok(
                json!({"a/b":1,"m~n":2}),
                json!([{"op":"replace","path":"/a~1b","value":3},{"op":"remove","path":"/m~0n"}]),
                json!({"a/b":3}),
            ),
            ok(
                json!({"metadata":{"annotations":{}}}),
                json!([{"op":"add","path":"/metadata/annotations/k8s.io~1x","value":"1"}]),
                json!({"metadata":{"annotations":{"k8s.io/x":"1"}}}),
            ),
            err(
                json!({"a":"x"}),
                json!([{"op":"test","path":"/a","value":"y"}]),
                422,
            ),
            err(json!({"a":1}), json!([{"op":"remove","path":"/b"}]), 422),
            err(
                json!({"a":1}),
                json!([{"op":"replace","path":"/b","value":1}]),
                422,
            ),
            err(
                json!({"a":[1]}),
                json!([{"op":"add","path":"/a/5","value":1}]),
                422,
            ),
            err(
                json!({}),
                json!([{"op":"add","path":"/x/y","value":1}]),
                422,
            ),
            err(json!({}), json!([{"op":"frobnicate","path":"/x"}]), 400),
            err(json!({}), json!({"op":"add"}), 400),
            // The whole patch is atomic: the first op must not survive the failing second.
            err(
                json!({"a":1}),
                json!([{"op":"add","path":"/b","value":1},{"op":"remove","path":"/zz"}]),
                422,
            ),
        ];
        for (i, (mut doc, patch, want)) in cases.into_iter().enumerate() {
            let before = doc.clone();
            let got = json_patch(&mut doc, &patch)
                .map(|_| doc.clone())
                .map_err(|e| e.code);
            assert_eq!(got, want, "case {i}");
            if got.is_err() {
                assert_eq!(doc, before, "case {i} left the document changed");
            }
        }
    }
}

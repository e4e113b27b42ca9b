//! Small helpers over `metadata` and dotted paths of JSON objects.

use serde_json::{Map, Value, json};

pub fn meta(obj: &Value) -> Option<&Map<String, Value>> {
    obj.get("metadata")?.as_object()
}

pub fn meta_mut(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj.get("metadata").is_some_and(Value::is_object) {
        obj["metadata"] = json!({});
    }
    obj["metadata"]
        .as_object_mut()
        .expect("metadata is an object")
}

pub fn str_of<'a>(obj: &'a Value, field: &str) -> Option<&'a str> {
    meta(obj)?.get(field)?.as_str()
}

pub fn set_str(obj: &mut Value, field: &str, value: &str) {
    meta_mut(obj).insert(field.into(), Value::String(value.into()));
}

pub fn name(obj: &Value) -> &str {
    str_of(obj, "name").unwrap_or("")
}

pub fn uid(obj: &Value) -> &str {
    str_of(obj, "uid").unwrap_or("")
}

pub fn labels(obj: &Value) -> Map<String, Value> {
    meta(obj)
        .and_then(|m| m.get("labels"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

pub fn finalizers(obj: &Value) -> Vec<String> {
    meta(obj)
        .and_then(|m| m.get("finalizers"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

pub fn is_terminating(obj: &Value) -> bool {
    meta(obj).is_some_and(|m| m.get("deletionTimestamp").is_some_and(|v| !v.is_null()))
}

pub fn owner_uids(obj: &Value) -> Vec<String> {
    meta(obj)
        .and_then(|m| m.get("ownerReferences"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|r| r.get("uid")?.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// The real server's timestamps: RFC 3339, UTC, whole seconds.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn new_uid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `generateName` suffix: five characters from apimachinery's alphabet (no vowels, no
/// look-alike digits).
pub fn generate_name(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let bytes = uuid::Uuid::new_v4().into_bytes();
    let suffix: String = bytes[..5]
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    format!("{prefix}{suffix}")
}

/// RFC 1123 subdomain, the rule for most object names; None when valid, else the message.
pub fn dns1123_subdomain_error(name: &str) -> Option<String> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    let ok_ends = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if name.len() <= 253 && ok_chars && ok_ends(name.chars().next()) && ok_ends(name.chars().last())
    {
        return None;
    }
    Some(format!(
        "Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case \
         alphanumeric characters, '-' or '.', and must start and end with an alphanumeric \
         character (e.g. 'example.com', regex used for validation is \
         '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    ))
}

/// A name that only has to be usable as one URL path segment (RBAC kinds); None when valid.
pub fn path_segment_name_error(name: &str) -> Option<String> {
    let why = match name {
        "." | ".." => format!("may not be '{name}'"),
        _ => ["/", "%"]
            .iter()
            .find(|bad| name.contains(*bad))
            .map(|bad| format!("may not contain '{bad}'"))?,
    };
    Some(format!("Invalid value: \"{name}\": {why}"))
}

/// RFC 1123 label, the rule for namespace names.
pub fn dns1123_label_error(name: &str) -> Option<String> {
    if name.len() <= 63 && !name.contains('.') && dns1123_subdomain_error(name).is_none() {
        return None;
    }
    Some(format!(
        "Invalid value: \"{name}\": a lowercase RFC 1123 label must consist of lower case \
         alphanumeric characters or '-', and must start and end with an alphanumeric character \
         (e.g. 'my-name',  or '123-abc', regex used for validation is \
         '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    ))
}

/// Splits a simple JSONPath such as `.spec.replicas` into its field names.
fn path_fields(path: &str) -> Vec<&str> {
    path.trim_start_matches('.')
        .split('.')
        .filter(|s| !s.is_empty())
        .collect()
}

pub fn get_path<'a>(obj: &'a Value, path: &str) -> Option<&'a Value> {
    path_fields(path).iter().try_fold(obj, |o, f| o.get(f))
}

/// Sets a value at a simple path, creating intermediate objects.
pub fn set_path(obj: &mut Value, path: &str, value: Value) {
    let fields = path_fields(path);
    let mut cur = obj;
    for (i, f) in fields.iter().enumerate() {
        if !cur.is_object() {
            *cur = json!({});
        }
        let map = cur.as_object_mut().expect("just made an object");
        if i + 1 == fields.len() {
            map.insert((*f).into(), value);
            return;
        }
        cur = map.entry(*f).or_insert_with(|| json!({}));
    }
}

/// `metav1.FormatLabelSelector`: the selector as a string, `<none>` when empty.
pub fn format_label_selector(sel: &Value) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(m) = sel.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in m {
            parts.push(format!("{k}={}", v.as_str().unwrap_or("")));
        }
    }
    for e in sel
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = e.get("key").and_then(Value::as_str).unwrap_or("");
        let vals: Vec<&str> = e
            .get("values")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let op = e.get("operator").and_then(Value::as_str).unwrap_or("");
        parts.push(match op {
            "In" => format!("{key} in ({})", vals.join(",")),
            "NotIn" => format!("{key} notin ({})", vals.join(",")),
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            _ => continue,
        });
    }
    if parts.is_empty() {
        "<none>".into()
    } else {
        parts.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths() {
        assert!(dns1123_subdomain_error("web-1.x").is_none());
        assert!(dns1123_subdomain_error("Web").is_some());
        assert!(dns1123_subdomain_error("-a").is_some());
        assert!(dns1123_label_error("a.b").is_some());
        let g = generate_name("web-");
        assert_eq!(g.len(), 9);
        let mut o = json!({});
        set_path(&mut o, ".spec.replicas", json!(3));
        assert_eq!(get_path(&o, ".spec.replicas"), Some(&json!(3)));
        let sel = json!({"matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]});
        assert_eq!(format_label_selector(&sel), "app=web,tier in (a,b)");
    }
}

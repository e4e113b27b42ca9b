//! Label selectors (`labelSelector=`) and field selectors (`fieldSelector=`) in the string
//! syntax of apimachinery's `labels.Parse` and `fields.ParseSelector`.

use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Eq(String),
    NotEq(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    NotExists,
    Gt(i64),
    Lt(i64),
}

#[derive(Debug, Clone, PartialEq)]
struct Requirement {
    key: String,
    op: Op,
}

/// A parsed label selector; the empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector {
    reqs: Vec<Requirement>,
}

/// Splits at commas that are not inside parentheses.
fn split_top_level(s: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn bad(s: &str, why: &str) -> ApiError {
    ApiError::bad_request(format!("unable to parse requirement: {why}: \"{s}\""))
}

fn parse_set(rest: &str, whole: &str) -> ApiResult<Vec<String>> {
    let rest = rest.trim();
    let inner = rest
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| bad(whole, "expected a parenthesised set of values"))?;
    Ok(inner
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect())
}

fn parse_word_op(s: &str) -> Option<(&str, &str, &str)> {
    let mut parts = s.trim().splitn(2, char::is_whitespace);
    let key = parts.next()?;
    let rest = parts.next()?.trim_start();
    for word in ["notin", "in"] {
        if let Some(r) = rest.strip_prefix(word)
            && r.trim_start().starts_with('(')
        {
            return Some((key, word, r));
        }
    }
    None
}

fn parse_requirement(s: &str) -> ApiResult<Requirement> {
    let t = s.trim();
    if let Some((key, word, rest)) = parse_word_op(t) {
        let vals = parse_set(rest, s)?;
        let op = if word == "in" {
            Op::In(vals)
        } else {
            Op::NotIn(vals)
        };
        return Ok(Requirement {
            key: key.into(),
            op,
        });
    }
    for (sym, make) in [
        ("!=", Op::NotEq as fn(String) -> Op),
        ("==", Op::Eq),
        ("=", Op::Eq),
    ] {
        if let Some((k, v)) = t.split_once(sym) {
            return Ok(Requirement {
                key: k.trim().into(),
                op: make(v.trim().into()),
            });
        }
    }
    for (sym, gt) in [(">", true), ("<", false)] {
        if let Some((k, v)) = t.split_once(sym) {
            let n: i64 = v.trim().parse().map_err(|_| bad(s, "not an integer"))?;
            let op = if gt { Op::Gt(n) } else { Op::Lt(n) };
            return Ok(Requirement {
                key: k.trim().into(),
                op,
            });
        }
    }
    if let Some(k) = t.strip_prefix('!') {
        return Ok(Requirement {
            key: k.trim().into(),
            op: Op::NotExists,
        });
    }
    if t.is_empty() || t.contains(char::is_whitespace) {
        return Err(bad(s, "found unexpected input"));
    }
    Ok(Requirement {
        key: t.into(),
        op: Op::Exists,
    })
}

impl LabelSelector {
    pub fn parse(s: &str) -> ApiResult<Self> {
        if s.trim().is_empty() {
            return Ok(Self::default());
        }
        let reqs = split_top_level(s)
            .into_iter()
            .map(parse_requirement)
            .collect::<ApiResult<Vec<_>>>()?;
        if let Some(r) = reqs.iter().find(|r| r.key.is_empty()) {
            return Err(bad(s, &format!("empty key in {r:?}")));
        }
        Ok(LabelSelector { reqs })
    }

    pub fn matches(&self, labels: &Map<String, Value>) -> bool {
        self.reqs.iter().all(|r| {
            let v = labels.get(&r.key).and_then(Value::as_str);
            match &r.op {
                Op::Eq(x) => v == Some(x.as_str()),
                Op::NotEq(x) => v != Some(x.as_str()),
                Op::In(xs) => v.is_some_and(|v| xs.iter().any(|x| x == v)),
                Op::NotIn(xs) => !v.is_some_and(|v| xs.iter().any(|x| x == v)),
                Op::Exists => v.is_some(),
                Op::NotExists => v.is_none(),
                Op::Gt(n) => v
                    .and_then(|v| v.parse::<i64>().ok())
                    .is_some_and(|v| v > *n),
                Op::Lt(n) => v
                    .and_then(|v| v.parse::<i64>().ok())
                    .is_some_and(|v| v < *n),
            }
        })
    }
}

/// A field selector: `field=value`, `field==value`, `field!=value`, comma-separated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSelector {
    reqs: Vec<(String, bool, String)>,
}

/// The fields each kind can be selected by, beyond `metadata.name` and `metadata.namespace`.
fn extra_fields(group: &str, resource: &str) -> &'static [&'static str] {
    match (group, resource) {
        ("", "events") => &[
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ],
        ("", "secrets") => &["type"],
        ("", "namespaces") => &["status.phase"],
        ("", "pods") => &["spec.nodeName", "spec.restartPolicy", "status.phase"],
        _ => &[],
    }
}

/// Where a selectable field is read in the stored object: events.k8s.io field labels are
/// converted to the core Event's, and an Event's `source` is its component.
fn stored_field(group: &str, resource: &str, label: &str) -> Option<String> {
    if group == crate::events::GROUP && resource == "events" {
        return crate::events::v1_selectable_field(label);
    }
    let known = ["metadata.name", "metadata.namespace"].contains(&label)
        || extra_fields(group, resource).contains(&label);
    match label {
        _ if !known => None,
        "source" if resource == "events" => Some("source.component".into()),
        _ => Some(label.into()),
    }
}

impl FieldSelector {
    pub fn parse(s: &str, group: &str, resource: &str) -> ApiResult<Self> {
        let mut reqs = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (field, neg, value) = if let Some((f, v)) = part.split_once("!=") {
                (f, true, v)
            } else if let Some((f, v)) = part.split_once("==") {
                (f, false, v)
            } else if let Some((f, v)) = part.split_once('=') {
                (f, false, v)
            } else {
                return Err(ApiError::bad_request(format!(
                    "invalid selector: '{s}'; can't understand '{part}'"
                )));
            };
            let field = field.trim();
            let path = stored_field(group, resource, field).ok_or_else(|| {
                ApiError::bad_request(format!("field label not supported: {field}"))
            })?;
            reqs.push((path, neg, value.trim().to_string()));
        }
        Ok(FieldSelector { reqs })
    }

    pub fn matches(&self, obj: &Value) -> bool {
        self.reqs.iter().all(|(field, neg, want)| {
            let got = crate::meta::get_path(obj, field)
                .and_then(Value::as_str)
                .unwrap_or("");
            (got == want) != *neg
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn label_selector_table() {
        let l = labels(json!({"app": "web", "tier": "front", "n": "5"}));
        // (selector, matches)
        let cases = [
            ("", true),
            ("app=web", true),
            ("app==web", true),
            ("app = web", true),
            ("app!=web", false),
            ("missing!=x", true),
            ("app in (web, api)", true),
            ("app in (api)", false),
            ("app notin (api)", true),
            ("missing notin (api)", true),
            ("app notin (web)", false),
            ("app", true),
            ("missing", false),
            ("!missing", true),
            ("!app", false),
            ("app=web,tier in (front,back)", true),
            ("app=web,tier=back", false),
            ("n>4", true),
            ("n<4", false),
        ];
        for (sel, want) in cases {
            let s = LabelSelector::parse(sel).unwrap();
            assert_eq!(s.matches(&l), want, "selector {sel:?}");
        }
        assert!(LabelSelector::parse("app in web").is_err());
        assert!(LabelSelector::parse("a b").is_err());
    }

    #[test]
    fn field_selector_table() {
        let o = json!({"metadata": {"name": "a", "namespace": "ns1"}, "type": "Opaque"});
        let cases = [
            ("metadata.name=a", true),
            ("metadata.name==a", true),
            ("metadata.name!=a", false),
            ("metadata.namespace=ns1,metadata.name=a", true),
            ("metadata.namespace=ns2", false),
        ];
        for (sel, want) in cases {
            let s = FieldSelector::parse(sel, "apps", "deployments").unwrap();
            assert_eq!(s.matches(&o), want, "selector {sel:?}");
        }
        assert!(
            FieldSelector::parse("type=Opaque", "", "secrets")
                .unwrap()
                .matches(&o)
        );
        let e = FieldSelector::parse("spec.x=1", "apps", "deployments").unwrap_err();
        assert_eq!(e.code, 400);
    }

    #[test]
    fn event_field_selectors_read_the_stored_core_event() {
        let e = json!({"metadata": {"name": "e"}, "involvedObject": {"name": "web"},
            "source": {"component": "kubelet"}, "reportingComponent": "keda"});
        // (group, selector, matches)
        let cases = [
            ("", "source=kubelet", true),
            ("", "source=keda", false),
            ("", "involvedObject.name=web", true),
            ("events.k8s.io", "regarding.name=web", true),
            ("events.k8s.io", "reportingController=keda", true),
            ("events.k8s.io", "regarding.name!=web", false),
        ];
        for (group, sel, want) in cases {
            let s = FieldSelector::parse(sel, group, "events").unwrap();
            assert_eq!(s.matches(&e), want, "{group} {sel:?}");
        }
    }
}

//! The JSONPath subset of CRD `additionalPrinterColumns`: `.a.b`, `['a']`, `[0]`, `[*]` and
//! `[?(@.type=="Ready")]` filters.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Field(String),
    Index(usize),
    All,
    Filter(Vec<String>, Value),
}

fn parse_filter(inner: &str) -> Option<Step> {
    let expr = inner.strip_prefix("?(")?.strip_suffix(')')?;
    let (lhs, rhs) = expr.split_once("==")?;
    let path: Vec<String> = lhs
        .trim()
        .strip_prefix('@')?
        .split('.')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let rhs = rhs.trim();
    let value = if let Some(s) = rhs.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Value::String(s.into())
    } else if let Some(s) = rhs.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        Value::String(s.into())
    } else {
        serde_json::from_str(rhs).ok()?
    };
    Some(Step::Filter(path, value))
}

fn parse_bracket(inner: &str) -> Option<Step> {
    if inner == "*" {
        return Some(Step::All);
    }
    if inner.starts_with('?') {
        return parse_filter(inner);
    }
    if let Some(s) = inner.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        return Some(Step::Field(s.into()));
    }
    inner.parse().ok().map(Step::Index)
}

fn parse(path: &str) -> Option<Vec<Step>> {
    let p = path.trim();
    let p = p
        .strip_prefix('{')
        .and_then(|r| r.strip_suffix('}'))
        .unwrap_or(p);
    let mut steps = Vec::new();
    let mut rest = p.strip_prefix('$').unwrap_or(p);
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            steps.push(parse_bracket(&r[..end])?);
            rest = &r[end + 1..];
        } else if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            if end > 0 {
                steps.push(Step::Field(r[..end].into()));
            }
            rest = &r[end..];
        } else {
            return None;
        }
    }
    Some(steps)
}

fn step<'a>(v: &'a Value, s: &Step, out: &mut Vec<&'a Value>) {
    match (s, v) {
        (Step::Field(f), Value::Object(m)) => out.extend(m.get(f)),
        (Step::Index(i), Value::Array(a)) => out.extend(a.get(*i)),
        (Step::All, Value::Array(a)) => out.extend(a.iter()),
        (Step::All, Value::Object(m)) => out.extend(m.values()),
        (Step::Filter(path, want), Value::Array(a)) => {
            let hit = |item: &&Value| path.iter().try_fold(*item, |o, f| o.get(f)) == Some(want);
            out.extend(a.iter().filter(hit));
        }
        _ => {}
    }
}

/// Every value the path selects (an unparseable path selects nothing).
pub fn find<'a>(obj: &'a Value, path: &str) -> Vec<&'a Value> {
    let Some(steps) = parse(path) else {
        return vec![];
    };
    let mut cur = vec![obj];
    for s in &steps {
        let mut next = Vec::new();
        for v in cur {
            step(v, s, &mut next);
        }
        cur = next;
    }
    cur
}

/// How `kubectl`'s jsonpath prints a value: strings raw, structures as JSON.
pub fn to_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn printer_column_paths() {
        let o = json!({"spec": {"name": "web", "n": 3},
            "status": {"conditions": [{"type": "Ready", "status": "True"}, {"type": "Active", "status": "False"}],
                "list": ["a", "b"]}});
        let cases = [
            (".spec.name", vec![json!("web")]),
            (".spec.n", vec![json!(3)]),
            (
                ".status.conditions[?(@.type==\"Active\")].status",
                vec![json!("False")],
            ),
            (".status.conditions[0].type", vec![json!("Ready")]),
            (
                ".status.conditions[*].type",
                vec![json!("Ready"), json!("Active")],
            ),
            (".status.list", vec![json!(["a", "b"])]),
            ("{.spec['name']}", vec![json!("web")]),
            (".missing.x", vec![]),
        ];
        for (path, want) in cases {
            let got: Vec<Value> = find(&o, path).into_iter().cloned().collect();
            assert_eq!(got, want, "path {path}");
        }
        assert_eq!(to_text(&json!(["a", "b"])), "[\"a\",\"b\"]");
    }
}

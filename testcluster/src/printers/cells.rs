//! Cells that need more than a field lookup: HPA targets, events, services, containers.

use serde_json::{Value, json};

use crate::jsonpath;
use crate::meta;
use crate::table::{age, since};

pub(super) fn s<'a>(o: &'a Value, p: &str) -> &'a str {
    o.pointer(p).and_then(Value::as_str).unwrap_or("")
}

pub(super) fn i(o: &Value, p: &str) -> i64 {
    o.pointer(p).and_then(Value::as_i64).unwrap_or(0)
}

pub(super) fn containers(o: &Value) -> (String, String) {
    let cs = o
        .pointer("/spec/template/spec/containers")
        .and_then(Value::as_array);
    let names: Vec<&str> = cs.into_iter().flatten().map(|c| s(c, "/name")).collect();
    let images: Vec<&str> = cs.into_iter().flatten().map(|c| s(c, "/image")).collect();
    (names.join(","), images.join(","))
}

fn quantity(v: &Value) -> String {
    jsonpath::to_text(v)
}

/// `formatHPAMetrics` of the autoscaling/v2 printer.
pub(super) fn hpa_targets(o: &Value) -> String {
    let specs = o
        .pointer("/spec/metrics")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if specs.is_empty() {
        return "<none>".into();
    }
    let statuses = o
        .pointer("/status/currentMetrics")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let list: Vec<String> = specs
        .iter()
        .enumerate()
        .map(|(n, spec)| hpa_target(spec, statuses.get(n)))
        .collect();
    if list.len() > 2 {
        return format!("{} + {} more...", list[..2].join(", "), list.len() - 2);
    }
    list.join(", ")
}

fn hpa_target(spec: &Value, status: Option<&Value>) -> String {
    let kind = match spec["type"].as_str().unwrap_or("") {
        "External" => "external",
        "Pods" => "pods",
        "Object" => "object",
        "Resource" => "resource",
        "ContainerResource" => "containerResource",
        _ => return "<unknown type>".into(),
    };
    let target = &spec[kind]["target"];
    let current = status.map(|st| &st[kind]["current"]);
    let cur = |f: &str| {
        current
            .and_then(|c| c.get(f))
            .filter(|v| !v.is_null())
            .map(quantity)
    };
    let unknown = || "<unknown>".to_string();
    match kind {
        "resource" | "containerResource" => {
            let name = spec[kind]["name"].as_str().unwrap_or("");
            if let Some(av) = target.get("averageValue") {
                return format!(
                    "{name}: {}/{}",
                    cur("averageValue").unwrap_or_else(unknown),
                    quantity(av)
                );
            }
            let c = cur("averageUtilization")
                .map(|c| format!("{c}%"))
                .unwrap_or_else(unknown);
            let t = target
                .get("averageUtilization")
                .map(|t| format!("{t}%"))
                .unwrap_or("<auto>".into());
            format!("{name}: {c}/{t}")
        }
        "pods" => format!(
            "{}/{}",
            cur("averageValue").unwrap_or_else(unknown),
            quantity(&target["averageValue"])
        ),
        _ => match target.get("averageValue") {
            Some(av) => format!(
                "{}/{} (avg)",
                cur("averageValue").unwrap_or_else(unknown),
                quantity(av)
            ),
            None => format!(
                "{}/{}",
                cur("value").unwrap_or_else(unknown),
                quantity(&target["value"])
            ),
        },
    }
}

pub(super) fn event_row(o: &Value) -> Vec<Value> {
    // Core events and events.k8s.io events print alike (the server converts the latter).
    let first = o["firstTimestamp"]
        .as_str()
        .or(o["deprecatedFirstTimestamp"].as_str())
        .or(o["eventTime"].as_str());
    let last = o["lastTimestamp"]
        .as_str()
        .or(o["deprecatedLastTimestamp"].as_str())
        .or(first);
    let involved = if o.get("regarding").is_some() {
        &o["regarding"]
    } else {
        &o["involvedObject"]
    };
    let kind = s(involved, "/kind").to_lowercase();
    let target = match s(involved, "/name") {
        "" => kind,
        n => format!("{kind}/{n}"),
    };
    let count = o["count"]
        .as_i64()
        .or(o["deprecatedCount"].as_i64())
        .filter(|c| *c > 0)
        .unwrap_or(1);
    let source = match (s(o, "/source/component"), s(o, "/reportingController")) {
        ("", rc) => rc.to_string(),
        (c, _) => c.to_string(),
    };
    let message = o["message"]
        .as_str()
        .or(o["note"].as_str())
        .unwrap_or("")
        .trim()
        .to_string();
    vec![
        json!(since(last)),
        json!(s(o, "/type")),
        json!(s(o, "/reason")),
        json!(target),
        json!(s(involved, "/fieldPath")),
        json!(source),
        json!(message),
        json!(since(first)),
        json!(count),
        json!(meta::name(o)),
    ]
}

pub(super) fn service_row(o: &Value) -> Vec<Value> {
    let ports: Vec<String> = o
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| format!("{}/{}", i(p, "/port"), s(p, "/protocol")))
        .collect();
    let none = |x: String| {
        if x.is_empty() {
            "<none>".to_string()
        } else {
            x
        }
    };
    let sel = o
        .pointer("/spec/selector")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(",")
        });
    vec![
        json!(meta::name(o)),
        json!(s(o, "/spec/type")),
        json!(none(s(o, "/spec/clusterIP").into())),
        json!("<none>"),
        json!(none(ports.join(","))),
        age(o),
        json!(none(sel.unwrap_or_default())),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hpa_targets_like_the_real_printer() {
        let hpa = json!({"spec": {"metrics": [
            {"type": "External", "external": {"target": {"type": "AverageValue", "averageValue": "5"}}},
            {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]},
            "status": {"currentMetrics": [{"type": "External", "external": {"current": {"averageValue": "2500m"}}}]}});
        assert_eq!(hpa_targets(&hpa), "2500m/5 (avg), cpu: <unknown>/80%");
    }
}

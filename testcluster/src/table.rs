//! Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`): what
//! `kubectl get` shows is computed by the server, so the double prints the columns of the real
//! printers for its built-in kinds and the `additionalPrinterColumns` of CRDs.

use serde_json::{Value, json};

use crate::jsonpath;
use crate::meta;
use crate::printers::{builtin, col};
use crate::registry::{PrinterColumn, ResourceType};

/// `duration.HumanDuration`, the Age column.
pub fn human_duration(secs: i64) -> String {
    if secs < -1 {
        return "<invalid>".into();
    }
    let s = secs.max(0);
    let (m, h) = (s / 60, s / 3600);
    let d = h / 24;
    match () {
        _ if s < 120 => format!("{s}s"),
        _ if m < 10 && s % 60 != 0 => format!("{m}m{}s", s % 60),
        _ if m < 180 => format!("{m}m"),
        _ if h < 8 && m % 60 != 0 => format!("{h}h{}m", m % 60),
        _ if h < 48 => format!("{h}h"),
        _ if h < 24 * 8 && h % 24 != 0 => format!("{d}d{}h", h % 24),
        _ if h < 24 * 365 * 2 => format!("{d}d"),
        _ if h < 24 * 365 * 8 && d % 365 != 0 => format!("{}y{}d", d / 365, d % 365),
        _ => format!("{}y", d / 365),
    }
}

pub fn since(ts: Option<&str>) -> String {
    let Some(t) = ts.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) else {
        return "<unknown>".into();
    };
    human_duration((chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_seconds())
}

pub fn age(o: &Value) -> Value {
    json!(since(meta::str_of(o, "creationTimestamp")))
}

fn crd_cell(c: &PrinterColumn, o: &Value) -> Value {
    let Some(v) = jsonpath::find(o, &c.json_path).into_iter().next() else {
        return Value::Null;
    };
    match c.type_.as_str() {
        "string" => json!(jsonpath::to_text(v)),
        "integer" => v.as_f64().map_or(Value::Null, |f| json!(f as i64)),
        "number" => v.as_f64().map_or(Value::Null, |f| json!(f)),
        "boolean" => v.as_bool().map_or(Value::Null, |b| json!(b)),
        "date" => v.as_str().map_or(Value::Null, |t| json!(since(Some(t)))),
        _ => json!(jsonpath::to_text(v)),
    }
}

fn custom(columns: &[PrinterColumn], o: &Value) -> (Vec<Value>, Vec<Value>) {
    let mut defs = vec![col("Name", "string", 0)];
    let mut cells = vec![json!(meta::name(o))];
    for c in columns {
        defs.push(json!({"name": c.name, "type": c.type_, "format": c.format,
            "description": c.description, "priority": c.priority}));
        cells.push(crd_cell(c, o));
    }
    (defs, cells)
}

fn columns_and_cells(rt: &ResourceType, o: &Value) -> (Vec<Value>, Vec<Value>) {
    match &rt.columns {
        Some(cols) => custom(cols, o),
        None => builtin(rt, o),
    }
}

/// What each row carries of its object (`includeObject=None|Metadata|Object`).
fn row_object(o: &Value, include: &str) -> Option<Value> {
    match include {
        "None" => None,
        "Object" => Some(o.clone()),
        _ => Some(
            json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
            "metadata": o.get("metadata").cloned().unwrap_or(json!({}))}),
        ),
    }
}

/// A `meta.k8s.io/v1 Table` of the objects.
pub fn to_table(rt: &ResourceType, objs: &[Value], list_meta: Value, include: &str) -> Value {
    let defs = columns_and_cells(rt, objs.first().unwrap_or(&json!({}))).0;
    let rows: Vec<Value> = objs
        .iter()
        .map(|o| {
            let mut row = json!({"cells": columns_and_cells(rt, o).1});
            if let Some(obj) = row_object(o, include) {
                row["object"] = obj;
            }
            row
        })
        .collect();
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta,
        "columnDefinitions": defs, "rows": rows})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations() {
        let cases = [
            (5, "5s"),
            (119, "119s"),
            (150, "2m30s"),
            (600, "10m"),
            (3 * 3600 + 60, "3h1m"),
            (9 * 3600, "9h"),
            (50 * 3600, "2d2h"),
            (10 * 86400, "10d"),
            (800 * 86400, "2y70d"),
        ];
        for (secs, want) in cases {
            assert_eq!(human_duration(secs), want, "{secs}s");
        }
    }
}

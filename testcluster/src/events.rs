//! Events: core/v1 Events and events.k8s.io/v1 Events are one storage seen through two
//! versions, as on the real server (both are the internal `core.Event`). Objects are stored in
//! the core/v1 form; an events.k8s.io/v1 request or answer is converted with the real field
//! mapping (`pkg/apis/events/v1/conversion.go`), and every answer carries the fields the real
//! serializer always writes (Go structs and times are never omitted: `{}` and `null`).

use serde_json::{Map, Value, json};

pub const GROUP: &str = "events.k8s.io";

/// What a field is when the object does not have it.
#[derive(Clone, Copy)]
enum Absent {
    /// `omitempty` on a string, number or pointer: not written.
    Omitted,
    /// A struct: written as `{}`.
    Object,
    /// A time: written as `null`.
    Null,
    /// A string without `omitempty`: written as `""`.
    Text,
}

/// (events.k8s.io/v1 name, its absent form, core/v1 name, its absent form)
const FIELDS: [(&str, Absent, &str, Absent); 14] = {
    use Absent::*;
    [
        ("eventTime", Null, "eventTime", Null),
        ("series", Omitted, "series", Omitted),
        ("reportingController", Omitted, "reportingComponent", Text),
        ("reportingInstance", Omitted, "reportingInstance", Text),
        ("action", Omitted, "action", Omitted),
        ("reason", Omitted, "reason", Omitted),
        ("regarding", Object, "involvedObject", Object),
        ("related", Omitted, "related", Omitted),
        ("note", Omitted, "message", Omitted),
        ("type", Omitted, "type", Omitted),
        ("deprecatedSource", Object, "source", Object),
        ("deprecatedFirstTimestamp", Null, "firstTimestamp", Null),
        ("deprecatedLastTimestamp", Null, "lastTimestamp", Null),
        ("deprecatedCount", Omitted, "count", Omitted),
    ]
};

/// Whether a kind is one of the two views of Events.
pub fn is_event(group: &str, plural: &str) -> bool {
    plural == "events" && (group.is_empty() || group == GROUP)
}

/// Go's zero values, which `omitempty` leaves out.
fn is_zero(v: &Value) -> bool {
    v.is_null() || v == "" || v == 0
}

/// Copies the fields from one version's names to the other's; fields of neither are dropped,
/// as decoding into the Go type drops them.
fn convert(obj: &Value, to_core: bool) -> Value {
    let mut out = Map::new();
    for k in ["apiVersion", "kind", "metadata"] {
        if let Some(v) = obj.get(k) {
            out.insert(k.into(), v.clone());
        }
    }
    for (v1, v1_absent, core, core_absent) in FIELDS {
        let (from, to, absent) = if to_core {
            (v1, core, core_absent)
        } else {
            (core, v1, v1_absent)
        };
        let value = obj.get(from).filter(|v| !is_zero(v)).cloned();
        let value = match (value, absent) {
            (Some(v), _) => v,
            (None, Absent::Omitted) => continue,
            (None, Absent::Object) => json!({}),
            (None, Absent::Null) => Value::Null,
            (None, Absent::Text) => json!(""),
        };
        out.insert(to.into(), value);
    }
    Value::Object(out)
}

/// The stored (core/v1) form of an Event written through either version.
pub fn to_storage(group: &str, obj: &Value) -> Value {
    if group == GROUP {
        convert(obj, true)
    } else {
        // Through the core version itself: a round trip normalises it.
        convert(&convert(obj, false), true)
    }
}

/// The events.k8s.io/v1 view of a stored Event.
pub fn to_events_v1(stored: &Value) -> Value {
    convert(stored, false)
}

/// The stored field an events.k8s.io/v1 field selector reads (`AddFieldLabelConversionsForEvent`
/// of events/v1), None for one it does not support.
pub fn v1_selectable_field(label: &str) -> Option<String> {
    let core = match label {
        "reason" | "type" | "metadata.name" | "metadata.namespace" => label.to_string(),
        "reportingController" => "reportingComponent".into(),
        _ => format!("involvedObject.{}", regarding_field(label)?),
    };
    Some(core)
}

fn regarding_field(label: &str) -> Option<&str> {
    let field = label.strip_prefix("regarding.")?;
    let known = [
        "kind",
        "namespace",
        "name",
        "uid",
        "apiVersion",
        "resourceVersion",
        "fieldPath",
    ];
    known.contains(&field).then_some(field)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What kube-runtime's Recorder creates.
    fn recorded() -> Value {
        json!({"apiVersion": "events.k8s.io/v1", "kind": "Event",
            "metadata": {"name": "web.17f", "namespace": "ns"},
            "eventTime": "2026-11-27T03:00:00.123456Z",
            "series": {"count": 2, "lastObservedTime": "2026-11-27T03:01:00.000000Z"},
            "reportingController": "keda-operator", "reportingInstance": "operator-0",
            "action": "Scale", "reason": "KEDAScaleTargetActivated",
            "regarding": {"kind": "ScaledObject", "name": "web", "namespace": "ns", "apiVersion": "keda.sh/v1alpha1"},
            "related": {"kind": "Deployment", "name": "web"},
            "note": "Scaled from 0 to 1", "type": "Normal",
            "deprecatedSource": {"component": "keda"},
            "deprecatedFirstTimestamp": "2026-11-27T03:00:00Z",
            "deprecatedLastTimestamp": "2026-11-27T03:01:00Z",
            "deprecatedCount": 2,
            "unknownField": 1})
    }

    #[test]
    fn each_field_maps_to_its_core_name_and_back() {
        let core = to_storage(GROUP, &recorded());
        let want = [
            ("involvedObject", recorded()["regarding"].clone()),
            ("message", json!("Scaled from 0 to 1")),
            ("reportingComponent", json!("keda-operator")),
            ("reportingInstance", json!("operator-0")),
            ("source", json!({"component": "keda"})),
            ("firstTimestamp", json!("2026-11-27T03:00:00Z")),
            ("lastTimestamp", json!("2026-11-27T03:01:00Z")),
            ("count", json!(2)),
            ("eventTime", json!("2026-11-27T03:00:00.123456Z")),
            ("series", recorded()["series"].clone()),
            ("action", json!("Scale")),
            ("related", json!({"kind": "Deployment", "name": "web"})),
            ("type", json!("Normal")),
            ("reason", json!("KEDAScaleTargetActivated")),
        ];
        for (field, value) in want {
            assert_eq!(core[field], value, "{field}");
        }
        assert!(core.get("unknownField").is_none() && core.get("note").is_none());
        let mut back = to_events_v1(&core);
        back["apiVersion"] = json!("events.k8s.io/v1");
        let mut original = recorded();
        original.as_object_mut().unwrap().remove("unknownField");
        assert_eq!(back, original);
    }

    #[test]
    fn absent_fields_are_written_as_the_real_serializer_writes_them() {
        let minimal = json!({"metadata": {"name": "e"}, "eventTime": "2026-11-27T03:00:00.000000Z",
            "regarding": {"name": "web"}, "note": "hi", "type": "Normal"});
        let core = to_storage(GROUP, &minimal);
        for (field, want) in [
            ("firstTimestamp", Value::Null),
            ("lastTimestamp", Value::Null),
            ("source", json!({})),
            ("reportingComponent", json!("")),
            ("reportingInstance", json!("")),
        ] {
            assert_eq!(core.get(field), Some(&want), "{field}");
        }
        assert!(core.get("count").is_none() && core.get("series").is_none());
        // A core event as `kubectl create` or client-go's legacy recorder writes it.
        let legacy = json!({"metadata": {"name": "e"}, "involvedObject": {"name": "web"},
            "message": "hi", "count": 1, "firstTimestamp": "2026-11-27T03:00:00Z",
            "source": {"component": "kubelet"}});
        let v1 = to_events_v1(&to_storage("", &legacy));
        assert_eq!(v1["eventTime"], Value::Null);
        assert_eq!(v1["deprecatedLastTimestamp"], Value::Null);
        assert_eq!(v1["deprecatedCount"], 1);
        assert_eq!(v1["deprecatedSource"], json!({"component": "kubelet"}));
        assert!(v1.get("reportingController").is_none(), "omitempty in v1");
    }

    #[test]
    fn events_v1_field_selectors_read_the_core_fields() {
        let cases = [
            ("regarding.name", Some("involvedObject.name")),
            ("regarding.kind", Some("involvedObject.kind")),
            ("reportingController", Some("reportingComponent")),
            ("reason", Some("reason")),
            ("metadata.name", Some("metadata.name")),
            ("regarding.color", None),
            ("note", None),
            ("involvedObject.name", None),
        ];
        for (label, want) in cases {
            assert_eq!(v1_selectable_field(label).as_deref(), want, "{label}");
        }
    }
}

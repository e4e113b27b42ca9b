//! The columns of the real server's printers for the built-in kinds the double serves
//! (`pkg/printers/internalversion`), always "wide": kubectl hides priority-1 columns itself.

use serde_json::{Value, json};

mod cells;

use crate::meta;
use crate::registry::ResourceType;
use crate::table::age;
use cells::{containers, event_row, hpa_targets, i, s, service_row};

pub fn col(name: &str, type_: &str, priority: i64) -> Value {
    let format = if name == "Name" { "name" } else { "" };
    json!({"name": name, "type": type_, "format": format, "description": "", "priority": priority})
}

/// Column definitions and cells of a built-in kind.
pub fn builtin(rt: &ResourceType, o: &Value) -> (Vec<Value>, Vec<Value>) {
    let name = json!(meta::name(o));
    let count = |p: &str| {
        o.pointer(p)
            .and_then(Value::as_object)
            .map_or(0, |m| m.len()) as i64
    };
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("apps", "Deployment") => {
            let (c, im) = containers(o);
            let sel =
                meta::format_label_selector(o.pointer("/spec/selector").unwrap_or(&Value::Null));
            let ready = format!(
                "{}/{}",
                i(o, "/status/readyReplicas"),
                i(o, "/spec/replicas")
            );
            (
                vec![
                    col("Name", "string", 0),
                    col("Ready", "string", 0),
                    col("Up-to-date", "integer", 0),
                    col("Available", "integer", 0),
                    col("Age", "string", 0),
                    col("Containers", "string", 1),
                    col("Images", "string", 1),
                    col("Selector", "string", 1),
                ],
                vec![
                    name,
                    json!(ready),
                    json!(i(o, "/status/updatedReplicas")),
                    json!(i(o, "/status/availableReplicas")),
                    age(o),
                    json!(c),
                    json!(im),
                    json!(sel),
                ],
            )
        }
        ("apps", "StatefulSet") => {
            let (c, im) = containers(o);
            let ready = format!(
                "{}/{}",
                i(o, "/status/readyReplicas"),
                i(o, "/spec/replicas")
            );
            (
                vec![
                    col("Name", "string", 0),
                    col("Ready", "string", 0),
                    col("Age", "string", 0),
                    col("Containers", "string", 1),
                    col("Images", "string", 1),
                ],
                vec![name, json!(ready), age(o), json!(c), json!(im)],
            )
        }
        ("autoscaling", _) => {
            let reference = format!(
                "{}/{}",
                s(o, "/spec/scaleTargetRef/kind"),
                s(o, "/spec/scaleTargetRef/name")
            );
            let min = o
                .pointer("/spec/minReplicas")
                .map_or("<unset>".into(), |m| m.to_string());
            (
                vec![
                    col("Name", "string", 0),
                    col("Reference", "string", 0),
                    col("Targets", "string", 0),
                    col("MinPods", "string", 0),
                    col("MaxPods", "integer", 0),
                    col("Replicas", "integer", 0),
                    col("Age", "string", 0),
                ],
                vec![
                    name,
                    json!(reference),
                    json!(hpa_targets(o)),
                    json!(min),
                    json!(i(o, "/spec/maxReplicas")),
                    json!(i(o, "/status/currentReplicas")),
                    age(o),
                ],
            )
        }
        (_, "Event") => {
            let cols = [
                ("Last Seen", 0),
                ("Type", 0),
                ("Reason", 0),
                ("Object", 0),
                ("Subobject", 1),
                ("Source", 1),
                ("Message", 0),
                ("First Seen", 1),
                ("Count", 1),
                ("Name", 1),
            ];
            (
                cols.iter().map(|(n, p)| col(n, "string", *p)).collect(),
                event_row(o),
            )
        }
        ("", "Namespace") => (
            vec![
                col("Name", "string", 0),
                col("Status", "string", 0),
                col("Age", "string", 0),
            ],
            vec![name, json!(s(o, "/status/phase")), age(o)],
        ),
        ("", "ConfigMap") => (
            vec![
                col("Name", "string", 0),
                col("Data", "integer", 0),
                col("Age", "string", 0),
            ],
            vec![name, json!(count("/data") + count("/binaryData")), age(o)],
        ),
        ("", "Secret") => (
            vec![
                col("Name", "string", 0),
                col("Type", "string", 0),
                col("Data", "string", 0),
                col("Age", "string", 0),
            ],
            vec![name, json!(s(o, "/type")), json!(count("/data")), age(o)],
        ),
        ("", "Service") => {
            let cols = [
                ("Name", 0),
                ("Type", 0),
                ("Cluster-IP", 0),
                ("External-IP", 0),
                ("Port(s)", 0),
                ("Age", 0),
                ("Selector", 1),
            ];
            (
                cols.iter().map(|(n, p)| col(n, "string", *p)).collect(),
                service_row(o),
            )
        }
        ("", "Pod") => (
            vec![
                col("Name", "string", 0),
                col("Ready", "string", 0),
                col("Status", "string", 0),
                col("Restarts", "string", 0),
                col("Age", "string", 0),
            ],
            vec![
                name,
                json!("0/0"),
                json!(s(o, "/status/phase")),
                json!("0"),
                age(o),
            ],
        ),
        ("", "ServiceAccount") => (
            vec![
                col("Name", "string", 0),
                col("Secrets", "string", 0),
                col("Age", "string", 0),
            ],
            vec![
                name,
                json!(
                    o.pointer("/secrets")
                        .and_then(Value::as_array)
                        .map_or(0, Vec::len)
                ),
                age(o),
            ],
        ),
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => {
            let role = format!("{}/{}", s(o, "/roleRef/kind"), s(o, "/roleRef/name"));
            (
                vec![
                    col("Name", "string", 0),
                    col("Role", "string", 0),
                    col("Age", "string", 0),
                ],
                vec![name, json!(role), age(o)],
            )
        }
        ("apiregistration.k8s.io", _) => {
            let service = match s(o, "/spec/service/name") {
                "" => "Local".to_string(),
                n => format!("{}/{n}", s(o, "/spec/service/namespace")),
            };
            let conds = o.pointer("/status/conditions").and_then(Value::as_array);
            let available = conds
                .into_iter()
                .flatten()
                .find(|c| c["type"] == "Available");
            let available =
                available.map_or("Unknown".to_string(), |c| s(c, "/status").to_string());
            (
                vec![
                    col("Name", "string", 0),
                    col("Service", "string", 0),
                    col("Available", "string", 0),
                    col("Age", "string", 0),
                ],
                vec![name, json!(service), json!(available), age(o)],
            )
        }
        ("coordination.k8s.io", _) => (
            vec![
                col("Name", "string", 0),
                col("Holder", "string", 0),
                col("Age", "string", 0),
            ],
            vec![name, json!(s(o, "/spec/holderIdentity")), age(o)],
        ),
        _ => (
            vec![col("Name", "string", 0), col("Created At", "date", 0)],
            vec![
                name,
                json!(meta::str_of(o, "creationTimestamp").unwrap_or("")),
            ],
        ),
    }
}

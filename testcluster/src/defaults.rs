//! Defaulting of the built-in kinds, as the real server applies it on every write. Clients
//! observe these fields (`kubectl get -o yaml`, and operators that compare what they wrote
//! with what they read back), so the ones that matter are reproduced.

use serde_json::{Value, json};

fn default_field(obj: &mut Value, key: &str, value: Value) {
    if let Some(m) = obj.as_object_mut() {
        m.entry(key).or_insert(value);
    }
}

fn default_container(c: &mut Value) {
    let image = c.get("image").and_then(Value::as_str).unwrap_or("");
    let tag = image.rsplit('/').next().unwrap_or("");
    let latest = !tag.contains(':') && !tag.contains('@') || tag.ends_with(":latest");
    let pull = if latest { "Always" } else { "IfNotPresent" };
    default_field(c, "imagePullPolicy", json!(pull));
    default_field(c, "terminationMessagePath", json!("/dev/termination-log"));
    default_field(c, "terminationMessagePolicy", json!("File"));
    default_field(c, "resources", json!({}));
    for p in c
        .get_mut("ports")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        default_field(p, "protocol", json!("TCP"));
    }
}

fn default_pod_template(template: Option<&mut Value>) {
    let Some(spec) = template.and_then(|t| t.get_mut("spec")) else {
        return;
    };
    default_field(spec, "restartPolicy", json!("Always"));
    default_field(spec, "terminationGracePeriodSeconds", json!(30));
    default_field(spec, "dnsPolicy", json!("ClusterFirst"));
    default_field(spec, "securityContext", json!({}));
    default_field(spec, "schedulerName", json!("default-scheduler"));
    for list in ["containers", "initContainers"] {
        for c in spec
            .get_mut(list)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            default_container(c);
        }
    }
}

fn default_deployment(spec: &mut Value) {
    default_field(spec, "replicas", json!(1));
    default_field(spec, "revisionHistoryLimit", json!(10));
    default_field(spec, "progressDeadlineSeconds", json!(600));
    default_field(
        spec,
        "strategy",
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}),
    );
    default_pod_template(spec.get_mut("template"));
}

fn default_statefulset(spec: &mut Value) {
    default_field(spec, "replicas", json!(1));
    default_field(spec, "revisionHistoryLimit", json!(10));
    default_field(spec, "podManagementPolicy", json!("OrderedReady"));
    default_field(
        spec,
        "updateStrategy",
        json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
    );
    default_field(
        spec,
        "persistentVolumeClaimRetentionPolicy",
        json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
    );
    default_pod_template(spec.get_mut("template"));
}

/// autoscaling/v2 `SetDefaults_HorizontalPodAutoscaler`: minReplicas 1, a CPU metric when
/// none is given, and, when `behavior` is present, every unset rule field filled.
fn default_hpa(spec: &mut Value) {
    default_field(spec, "minReplicas", json!(1));
    let no_metrics = spec
        .get("metrics")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty);
    if no_metrics {
        spec["metrics"] = json!([{"type": "Resource", "resource": {"name": "cpu",
            "target": {"type": "Utilization", "averageUtilization": 80}}}]);
    }
    let Some(behavior) = spec.get_mut("behavior").filter(|b| b.is_object()) else {
        return;
    };
    let up = json!({"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
        {"type": "Pods", "value": 4, "periodSeconds": 15},
        {"type": "Percent", "value": 100, "periodSeconds": 15}]});
    let down = json!({"selectPolicy": "Max", "policies": [
        {"type": "Percent", "value": 100, "periodSeconds": 15}]});
    for (key, defaults) in [("scaleUp", up), ("scaleDown", down)] {
        let rules = behavior.as_object_mut().expect("filtered").entry(key);
        let rules = rules.or_insert(Value::Null);
        if !rules.is_object() {
            *rules = json!({});
        }
        for (k, v) in defaults.as_object().expect("literal object") {
            if rules.get(k).is_none_or(Value::is_null) {
                rules[k] = v.clone();
            }
        }
    }
}

fn default_service(spec: &mut Value, uid: &str) {
    default_field(spec, "type", json!("ClusterIP"));
    default_field(spec, "sessionAffinity", json!("None"));
    if spec.get("clusterIP").is_none() {
        // A stable, plausible address from the service CIDR; nothing routes to it.
        let b = uid.as_bytes();
        let ip = format!(
            "10.96.{}.{}",
            b.first().copied().unwrap_or(0),
            b.get(1).copied().unwrap_or(1)
        );
        spec["clusterIP"] = json!(ip);
        spec["clusterIPs"] = json!([ip]);
    }
    for p in spec
        .get_mut("ports")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        default_field(p, "protocol", json!("TCP"));
        if let Some(port) = p.get("port").cloned() {
            default_field(p, "targetPort", port);
        }
    }
}

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn base64(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Secrets: `stringData` is write-only, merged into `data` as base64.
fn default_secret(obj: &mut Value) {
    default_field(obj, "type", json!("Opaque"));
    let Some(Value::Object(sd)) = obj.as_object_mut().and_then(|m| m.remove("stringData")) else {
        return;
    };
    if !obj.get("data").is_some_and(Value::is_object) {
        obj["data"] = json!({});
    }
    for (k, v) in sd {
        obj["data"][k] = json!(base64(v.as_str().unwrap_or("").as_bytes()));
    }
}

/// Applies the defaults of a built-in kind (a no-op for the others).
pub fn apply_defaults(group: &str, kind: &str, obj: &mut Value) {
    let uid = crate::meta::uid(obj).to_string();
    match (group, kind) {
        ("", "Secret") => default_secret(obj),
        _ => {
            let Some(spec) = obj.get_mut("spec").filter(|s| s.is_object()) else {
                return;
            };
            match (group, kind) {
                ("apps", "Deployment") => default_deployment(spec),
                ("apps", "StatefulSet") => default_statefulset(spec),
                ("autoscaling", "HorizontalPodAutoscaler") => default_hpa(spec),
                ("", "Service") => default_service(spec, &uid),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hpa_behavior_defaults_fill_only_what_is_unset() {
        let mut hpa = json!({"spec": {"maxReplicas": 5, "metrics": [{"type": "External"}],
            "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}}}});
        apply_defaults("autoscaling", "HorizontalPodAutoscaler", &mut hpa);
        let b = &hpa["spec"]["behavior"];
        assert_eq!(hpa["spec"]["minReplicas"], 1);
        assert_eq!(b["scaleDown"]["stabilizationWindowSeconds"], 60);
        assert_eq!(b["scaleDown"]["selectPolicy"], "Max");
        assert_eq!(
            b["scaleUp"]["policies"][0],
            json!({"type": "Pods", "value": 4, "periodSeconds": 15})
        );
        let mut bare = json!({"spec": {"maxReplicas": 5}});
        apply_defaults("autoscaling", "HorizontalPodAutoscaler", &mut bare);
        assert!(bare["spec"].get("behavior").is_none());
        assert_eq!(bare["spec"]["metrics"][0]["resource"]["name"], "cpu");
    }

    #[test]
    fn secrets_and_deployments() {
        assert_eq!(base64(b"admin"), "YWRtaW4=");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
        let mut s = json!({"stringData": {"k": "admin"}});
        apply_defaults("", "Secret", &mut s);
        assert_eq!(s, json!({"type": "Opaque", "data": {"k": "YWRtaW4="}}));
        let mut d = json!({"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "nginx"}]}}}});
        apply_defaults("apps", "Deployment", &mut d);
        assert_eq!(d["spec"]["replicas"], 1);
        assert_eq!(
            d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"],
            "Always"
        );
    }
}

//! A secret planted in a Secret (read through a TriggerAuthentication) is used to scale but never
//! shows: not in the operator's log, Events, ScaledObject status, HPAs, /metrics or the metrics
//! API's answers, whether the password is right or wrong.

mod common;

use std::time::Duration;

use common::hpa_sim::hpas;
use common::operator::{
    Env, condition, deployment, events, namespace, push_at, redis_auth_address, scaled_object,
    scaled_objects,
};
use common::unique;
use serde_json::{Value, json};

const SECS: fn(u64) -> Duration = Duration::from_secs;
/// The password of the Redis at 127.0.0.1:6380 (scripts/test-services.sh).
const PASSWORD: &str = "kedars-secret";
/// A wrong password, planted too: error paths must not echo it either.
const WRONG: &str = "planted-wrong-pw-7f3a9c";

fn secret_objects(ns: &str, name: &str, password: &str) -> [Value; 2] {
    [
        json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name, "namespace": ns},
            "stringData": {"password": password}}),
        json!({"apiVersion": "keda.sh/v1alpha1", "kind": "TriggerAuthentication",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"secretTargetRef": [{"parameter": "password", "name": name, "key": "password"}]}}),
    ]
}

fn trigger(list: &str, auth: &str) -> Value {
    json!([{"type": "redis", "authenticationRef": {"name": auth},
        "metadata": {"address": redis_auth_address(), "listName": list, "listLength": "5"}}])
}

/// Every form of `secret` a leak could take.
fn forms(secret: &str) -> Vec<String> {
    use std::fmt::Write;
    let b64 = base64(secret.as_bytes());
    let mut hex = String::new();
    for b in secret.bytes() {
        let _ = write!(hex, "{b:02x}");
    }
    vec![secret.to_string(), b64, hex]
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, b| n << 8 | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
        out.push_str(&"=".repeat(3 - chunk.len()));
    }
    out
}

fn assert_absent(place: &str, text: &str) {
    for secret in [PASSWORD, WRONG] {
        for form in forms(secret) {
            assert!(
                !text.contains(&form),
                "{place} contains the secret ({form}):\n{text}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planted_secret_never_appears_in_logs_events_status_or_metrics() {
    assert_eq!(base64(b"kedars-secret"), "a2VkYXJzLXNlY3JldA==");
    let env = Env::start().await;
    let ns = "secrets";
    let (list, wrong_list) = (unique("e2e-secret"), unique("e2e-wrong"));
    env.apply(namespace(ns));
    for object in secret_objects(ns, "redis-auth", PASSWORD)
        .into_iter()
        .chain(secret_objects(ns, "wrong-auth", WRONG))
    {
        env.apply(object);
    }
    env.apply(deployment(ns, "worker", 0));
    env.apply(deployment(ns, "locked-out", 0));
    env.apply(scaled_object(
        ns,
        "worker",
        trigger(&list, "redis-auth"),
        json!({}),
    ));
    env.apply(scaled_object(
        ns,
        "locked-out",
        trigger(&wrong_list, "wrong-auth"),
        json!({}),
    ));

    push_at(&redis_auth_address(), Some(PASSWORD), &list, 12);
    push_at(&redis_auth_address(), Some(PASSWORD), &wrong_list, 12);
    env.wait_replicas(ns, "worker", 3, SECS(20)).await;
    // The wrong password: an error every poll, reported without the password.
    let so = env
        .wait_condition(ns, "locked-out", "Ready", "False", "TriggerError", SECS(10))
        .await;
    assert_eq!(condition(&so, "Active")["status"], "False", "{so:#}");
    assert_eq!(env.replicas(ns, "locked-out"), 0);
    // It stays reported: reconciles (after every status write) do not paper over it.
    for _ in 0..20 {
        let so = env.scaled_object(ns, "locked-out");
        assert_eq!(condition(&so, "Ready")["reason"], "TriggerError", "{so:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The HPA has asked for the failing metric (its error lands in the HPA's status).
    env.wait(SECS(10), "the HPA's failed metric read", || {
        let hpa = env.hpa(ns, "keda-hpa-locked-out").unwrap_or_default();
        let text = hpa["status"].to_string();
        if text.contains("FailedGetExternalMetric") || text.contains("ScalingDisabled") {
            Ok(())
        } else {
            Err(text)
        }
    })
    .await;
    let metric = format!("s0-redis-{wrong_list}");
    let (status, body) = env.external_metric(0, ns, &metric, "locked-out").await;
    assert_eq!(status, 500, "{body}");
    assert!(body.contains(&metric), "the error names the metric: {body}");
    assert_absent("the metrics API", &body);

    assert_absent("the operator's log", &env.logs());
    let everything =
        |gvr| serde_json::to_string_pretty(&env.cluster.list_json(&gvr, None).unwrap()).unwrap();
    assert_absent("Events", &everything(events()));
    assert_absent("ScaledObjects", &everything(scaled_objects()));
    assert_absent("HPAs", &everything(hpas()));
    assert_absent("/metrics", &env.prometheus_text(0).await);
    let prometheus = env.prometheus_text(0).await;
    assert!(
        prometheus.contains("keda_scaler_detail_errors_total"),
        "{prometheus}"
    );
}

//! TriggerAuthentication changes reach the ScaledObjects that use them at once (not at the
//! five-minute resync), and a ScaledObject applied before its TriggerAuthentication starts as
//! soon as the latter exists.

mod common;

use std::time::Duration;

use common::operator::{Env, deployment, namespace, push_at, redis_auth_address, scaled_object};
use common::unique;
use serde_json::{Value, json};

const SECS: fn(u64) -> Duration = Duration::from_secs;
/// The password of the Redis at 127.0.0.1:6380 (scripts/test-services.sh).
const PASSWORD: &str = "kedars-secret";

fn secret(ns: &str, name: &str, password: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": name, "namespace": ns},
        "stringData": {"password": password}})
}

fn trigger_auth(ns: &str, name: &str, secret: &str) -> Value {
    json!({"apiVersion": "keda.sh/v1alpha1", "kind": "TriggerAuthentication",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"secretTargetRef": [{"parameter": "password", "name": secret, "key": "password"}]}})
}

fn trigger(list: &str, auth: &str) -> Value {
    json!([{"type": "redis", "authenticationRef": {"name": auth},
        "metadata": {"address": redis_auth_address(), "listName": list, "listLength": "5"}}])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trigger_authentication_changes_are_picked_up_at_once() {
    let env = Env::start().await;
    let (ns, name, list) = ("auth-changes", "worker", unique("e2e-auth"));
    env.apply(namespace(ns));
    env.apply(secret(ns, "right", PASSWORD));
    env.apply(secret(ns, "wrong", "not-the-password"));
    env.apply(deployment(ns, name, 0));
    push_at(&redis_auth_address(), Some(PASSWORD), &list, 12);

    // Applied before its TriggerAuthentication: reported, then started when it appears.
    env.apply(scaled_object(ns, name, trigger(&list, "creds"), json!({})));
    let so = env
        .wait_condition(
            ns,
            name,
            "Ready",
            "False",
            "ScaledObjectCheckFailed",
            SECS(10),
        )
        .await;
    let message = common::operator::condition(&so, "Ready")["message"].to_string();
    assert!(
        message.contains("creds"),
        "names what is missing: {message}"
    );
    env.apply(trigger_auth(ns, "creds", "right"));
    env.wait_replicas(ns, name, 3, SECS(15)).await;
    env.wait_condition(ns, name, "Ready", "True", "ScaledObjectReady", SECS(5))
        .await;

    // Pointed at the wrong Secret: the next polls fail (the resync would take five minutes).
    env.apply(trigger_auth(ns, "creds", "wrong"));
    env.wait_condition(ns, name, "Ready", "False", "TriggerError", SECS(10))
        .await;
    // And back.
    env.apply(trigger_auth(ns, "creds", "right"));
    env.wait_condition(ns, name, "Ready", "True", "ScaledObjectReady", SECS(10))
        .await;
    assert_eq!(env.replicas(ns, name), 3);
}

//! Pausing by annotation (§2.7) and the replica counts the executor holds (idleReplicaCount),
//! end to end: the real operator against the API server double, a real Redis, the simulated HPA.

mod common;

use std::time::{Duration, Instant};

use common::operator::{
    Env, ObjectHistory, condition, deployment, namespace, push, redis, redis_trigger,
    scaled_object, scaled_objects,
};
use common::unique;
use serde_json::{Value, json};

const SECS: fn(u64) -> Duration = Duration::from_secs;

fn setup(env: &Env, ns: &str, name: &str, replicas: i64, list: &str, spec: Value) {
    env.apply(namespace(ns));
    env.apply(deployment(ns, name, replicas));
    env.apply(scaled_object(ns, name, redis_trigger(list), spec));
}

fn select_policy(env: &Env, ns: &str, hpa: &str, direction: &str) -> Value {
    env.hpa(ns, hpa).unwrap_or_default()["spec"]["behavior"][direction]["selectPolicy"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_keeps_replicas_and_removes_the_hpa_paused_replicas_holds_unpause_resumes() {
    let env = Env::start().await;
    let (ns, name, list) = ("pause", "worker", unique("e2e-pause"));
    setup(&env, ns, name, 0, &list, json!({}));
    push(&list, 12);
    env.wait_replicas(ns, name, 3, SECS(20)).await;
    assert!(env.hpa(ns, "keda-hpa-worker").is_some());

    env.annotate(ns, name, json!({"autoscaling.keda.sh/paused": "true"}));
    let so = env
        .wait_condition(ns, name, "Paused", "True", "ScaledObjectPaused", SECS(10))
        .await;
    assert_eq!(
        condition(&so, "Paused")["message"],
        "ScaledObject is paused"
    );
    assert_eq!(
        condition(&so, "Ready")["message"],
        "ScaledObject is paused",
        "{so:#}"
    );
    env.wait(SECS(10), "the HPA deleted", || {
        match env.hpa(ns, "keda-hpa-worker") {
            None => Ok(()),
            Some(_) => Err("still there".into()),
        }
    })
    .await;
    env.wait_event(ns, name, "ScaledObjectPaused", SECS(5))
        .await;
    let metrics = env.prometheus_text(0).await;
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("keda_scaled_object_paused")
                && l.contains("scaledObject=\"worker\"")
                && l.ends_with(" 1")),
        "{metrics}"
    );
    // More work arrives, and then all of it goes: nothing moves while paused.
    push(&list, 18);
    env.hold_replicas(ns, name, 3, SECS(3)).await;
    redis(&["del", &list]);
    env.hold_replicas(ns, name, 3, SECS(4)).await;

    // paused-replicas alone pauses (no `paused` annotation) and scales to its count.
    env.annotate(
        ns,
        name,
        json!({"autoscaling.keda.sh/paused": null, "autoscaling.keda.sh/paused-replicas": "1"}),
    );
    env.wait_replicas(ns, name, 1, SECS(10)).await;
    env.wait(SECS(10), "status.pausedReplicaCount 1", || {
        let so = env.scaled_object(ns, name);
        match so["status"]["pausedReplicaCount"].as_i64() {
            Some(1) => Ok(()),
            _ => Err(format!("{:#}", so["status"])),
        }
    })
    .await;
    let so = env.scaled_object(ns, name);
    assert_eq!(condition(&so, "Paused")["status"], "True", "{so:#}");
    assert!(env.hpa(ns, "keda-hpa-worker").is_none());

    push(&list, 30);
    let versions = ObjectHistory::record(&env.cluster, &scaled_objects(), ns);
    let unpaused_at = Instant::now();
    env.annotate(
        ns,
        name,
        json!({"autoscaling.keda.sh/paused-replicas": null}),
    );
    let so = env
        .wait_condition(
            ns,
            name,
            "Paused",
            "False",
            "ScaledObjectUnpaused",
            SECS(10),
        )
        .await;
    assert_eq!(
        condition(&so, "Paused")["message"],
        "pause annotation removed for ScaledObject"
    );
    assert!(so["status"].get("pausedReplicaCount").is_none(), "{so:#}");
    env.wait_event(ns, name, "ScaledObjectUnpaused", SECS(5))
        .await;
    env.wait(SECS(10), "the HPA recreated", || {
        env.hpa(ns, "keda-hpa-worker").ok_or("absent".to_string())
    })
    .await;
    env.wait_replicas(ns, name, 5, SECS(20)).await;
    // The unpause sticks: no later write brings the Paused condition or the count back.
    let paused: Vec<String> = versions
        .of(name, unpaused_at)
        .iter()
        .map(|so| {
            format!(
                "{}/{}",
                condition(so, "Paused")["status"],
                so["status"]["pausedReplicaCount"]
            )
        })
        .collect();
    let first_unpaused = paused.iter().position(|p| p == "\"False\"/null").unwrap();
    assert!(
        paused[first_unpaused..]
            .iter()
            .all(|p| p == "\"False\"/null"),
        "Paused/pausedReplicaCount after the unpause: {paused:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paused_scale_in_disables_hpa_scale_down_and_scale_to_zero() {
    let env = Env::start().await;
    let (ns, name, list) = ("scale-in", "worker", unique("e2e-scale-in"));
    setup(&env, ns, name, 0, &list, json!({}));
    push(&list, 12);
    env.wait_replicas(ns, name, 3, SECS(20)).await;

    env.annotate(
        ns,
        name,
        json!({"autoscaling.keda.sh/paused-scale-in": "true"}),
    );
    env.wait(
        SECS(10),
        "HPA scaleDown selectPolicy Disabled",
        || match select_policy(&env, ns, "keda-hpa-worker", "scaleDown") {
            v if v == "Disabled" => Ok(()),
            v => Err(format!("{v}")),
        },
    )
    .await;
    env.wait_condition(ns, name, "Paused", "True", "ScaledObjectPaused", SECS(10))
        .await;
    // Less work, then none: neither the HPA nor the executor scales in (cooldown is 2 s).
    redis(&["ltrim", &list, "0", "4"]);
    env.hold_replicas(ns, name, 3, SECS(3)).await;
    redis(&["del", &list]);
    env.hold_replicas(ns, name, 3, SECS(5)).await;
    let so = env.scaled_object(ns, name);
    assert_eq!(condition(&so, "Active")["status"], "False", "{so:#}");

    env.annotate(
        ns,
        name,
        json!({"autoscaling.keda.sh/paused-scale-in": null}),
    );
    env.wait_condition(
        ns,
        name,
        "Paused",
        "False",
        "ScaledObjectUnpaused",
        SECS(10),
    )
    .await;
    env.wait_replicas(ns, name, 0, SECS(15)).await;
    assert_ne!(
        select_policy(&env, ns, "keda-hpa-worker", "scaleDown"),
        "Disabled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paused_scale_out_disables_hpa_scale_up_and_activation() {
    let env = Env::start().await;
    let (ns, name, list) = ("scale-out", "worker", unique("e2e-scale-out"));
    env.apply(namespace(ns));
    env.apply(deployment(ns, name, 0));
    let mut so = scaled_object(ns, name, redis_trigger(&list), json!({}));
    so["metadata"]["annotations"] = json!({"autoscaling.keda.sh/paused-scale-out": "true"});
    env.apply(so);
    env.wait(
        SECS(10),
        "HPA scaleUp selectPolicy Disabled",
        || match select_policy(&env, ns, "keda-hpa-worker", "scaleUp") {
            v if v == "Disabled" => Ok(()),
            v => Err(format!("{v}")),
        },
    )
    .await;
    env.wait_condition(ns, name, "Paused", "True", "ScaledObjectPaused", SECS(10))
        .await;
    push(&list, 12);
    env.wait_condition(ns, name, "Active", "True", "ScalerActive", SECS(10))
        .await;
    env.hold_replicas(ns, name, 0, SECS(3)).await;

    // From one replica the HPA would go to 3, but scale-out stays disabled.
    env.cluster
        .patch_json(
            &common::hpa_sim::deployments(),
            ns,
            name,
            kedars_testcluster::PatchType::Merge,
            &json!({"spec": {"replicas": 1}}),
        )
        .unwrap();
    env.hold_replicas(ns, name, 1, SECS(3)).await;

    env.annotate(
        ns,
        name,
        json!({"autoscaling.keda.sh/paused-scale-out": null}),
    );
    env.wait_condition(
        ns,
        name,
        "Paused",
        "False",
        "ScaledObjectUnpaused",
        SECS(10),
    )
    .await;
    env.wait_replicas(ns, name, 3, SECS(15)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_replica_count_when_inactive_and_minimum_when_active() {
    let env = Env::start().await;
    let (ns, name, list) = ("idle", "worker", unique("e2e-idle"));
    setup(
        &env,
        ns,
        name,
        3,
        &list,
        json!({"minReplicaCount": 2, "idleReplicaCount": 0}),
    );
    // Inactive from the start (no lastActiveTime, initialCooldownPeriod 0): straight to idle.
    env.wait_replicas(ns, name, 0, SECS(15)).await;
    let hpa = env.hpa(ns, "keda-hpa-worker").unwrap();
    assert_eq!(hpa["spec"]["minReplicas"], 2, "{hpa:#}");

    // Active with work for one replica: the executor brings the minimum, not one.
    push(&list, 3);
    env.wait_replicas(ns, name, 2, SECS(10)).await;
    let activated = env
        .wait_event(ns, name, "KEDAScaleTargetActivated", SECS(5))
        .await;
    assert!(
        activated["note"]
            .as_str()
            .unwrap_or_default()
            .contains("from 0 to 2"),
        "{activated:#}"
    );
    env.hold_replicas(ns, name, 2, SECS(2)).await;
    // Above the minimum the HPA scales.
    push(&list, 17);
    env.wait_replicas(ns, name, 4, SECS(10)).await;
    // Inactive again: back to idle after the cooldown, not to the minimum.
    redis(&["del", &list]);
    env.wait_replicas(ns, name, 0, SECS(15)).await;
    env.wait_event(ns, name, "KEDAScaleTargetDeactivated", SECS(5))
        .await;
    let changes: Vec<i64> = env.history.of(ns, name).iter().map(|c| c.1).collect();
    assert!(
        !changes.windows(2).any(|w| w[0] == 0 && w[1] == 1),
        "activation never stops at one replica below the minimum: {changes:?}"
    );
}

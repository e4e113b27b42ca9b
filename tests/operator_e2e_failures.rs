//! When things go wrong, end to end: a source that goes away (fallback, §2.10), broken
//! ScaledObjects beside a good one, and an API server that fails, delays and drops requests.

mod common;

use std::time::{Duration, Instant};

use common::operator::{
    Env, ObjectHistory, condition, deployment, namespace, push, redis, redis_trigger,
    scaled_object, scaled_objects,
};
use common::proxy::Proxy;
use common::unique;
use kedars_testcluster::{Matcher, PatchType};
use serde_json::json;

const SECS: fn(u64) -> Duration = Duration::from_secs;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fallback_replicas_while_the_source_is_down_and_recovery_after() {
    let env = Env::start().await;
    let (ns, name, list) = ("fallback", "worker", unique("e2e-fallback"));
    let mut proxy = Proxy::start(&common::operator::redis_address()).await;
    env.apply(namespace(ns));
    env.apply(deployment(ns, name, 0));
    let trigger = json!([{"type": "redis", "metadata": {
        "address": proxy.addr.to_string(), "listName": list, "listLength": "5"}}]);
    env.apply(scaled_object(
        ns,
        name,
        trigger,
        // The HPA's default 300 s scale-down window would hold 4 replicas after the recovery;
        // a window of 0 is what KEDA users set for a fast scale-down.
        json!({"fallback": {"failureThreshold": 2, "replicas": 4},
            "advanced": {"horizontalPodAutoscalerConfig": {"behavior": {
                "scaleDown": {"stabilizationWindowSeconds": 0}}}}}),
    ));
    push(&list, 10);
    env.wait_replicas(ns, name, 2, SECS(20)).await;
    let so = env
        .wait_condition(ns, name, "Fallback", "False", "NoFallbackFound", SECS(5))
        .await;
    let metric = format!("s0-redis-{list}");
    assert_eq!(so["status"]["health"][&metric]["status"], "Happy", "{so:#}");

    proxy.cut().await;
    env.wait_replicas(ns, name, 4, SECS(20)).await;
    let so = env
        .wait_condition(ns, name, "Fallback", "True", "FallbackExists", SECS(5))
        .await;
    assert_eq!(
        condition(&so, "Fallback")["message"],
        "At least one trigger is falling back on this scaled object"
    );
    let health = &so["status"]["health"][&metric];
    assert_eq!(health["status"], "Failing", "{so:#}");
    assert!(health["numberOfFailures"].as_i64().unwrap() > 2, "{so:#}");
    let event = env
        .wait_event(ns, name, "ScaledObjectFallbackActivated", SECS(5))
        .await;
    assert_eq!(event["type"], "Warning", "{event:#}");
    // The fallback holds: the executor does not take an erroring source for "inactive".
    env.hold_replicas(ns, name, 4, SECS(3)).await;

    proxy.restore().await;
    env.wait_replicas(ns, name, 2, SECS(20)).await;
    let so = env
        .wait_condition(ns, name, "Fallback", "False", "NoFallbackFound", SECS(5))
        .await;
    assert_eq!(so["status"]["health"][&metric]["status"], "Happy", "{so:#}");
    assert_eq!(so["status"]["health"][&metric]["numberOfFailures"], 0);
    env.wait_event(ns, name, "ScaledObjectFallbackDeactivated", SECS(5))
        .await;
    assert_eq!(condition(&so, "Ready")["status"], "True", "{so:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_scaled_objects_are_reported_and_the_good_one_keeps_scaling() {
    let env = Env::start().await;
    let ns = "mixed";
    let (good_list, fixed_list) = (unique("e2e-good"), unique("e2e-fixed"));
    env.apply(namespace(ns));
    for name in ["good", "no-list", "no-auth"] {
        env.apply(deployment(ns, name, 0));
    }
    env.apply(scaled_object(
        ns,
        "good",
        redis_trigger(&good_list),
        json!({}),
    ));
    let no_list = json!([{"type": "redis", "metadata": {
        "address": common::operator::redis_address(), "listLength": "5"}}]);
    env.apply(scaled_object(ns, "no-list", no_list, json!({})));
    let mut no_auth = redis_trigger(&fixed_list);
    no_auth[0]["authenticationRef"] = json!({"name": "does-not-exist"});
    env.apply(scaled_object(ns, "no-auth", no_auth, json!({})));

    for (name, needle) in [("no-list", "listName"), ("no-auth", "does-not-exist")] {
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
        let message = condition(&so, "Ready")["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(message.contains(needle), "{name}: {message}");
        assert_eq!(condition(&so, "Active")["reason"], "UnknownState", "{so:#}");
        let event = env
            .wait_event(ns, name, "ScaledObjectCheckFailed", SECS(5))
            .await;
        assert_eq!(event["type"], "Warning", "{event:#}");
        assert_eq!(event["note"], message.as_str(), "{event:#}");
        assert!(env.hpa(ns, &format!("keda-hpa-{name}")).is_none());
    }

    push(&good_list, 12);
    env.wait_replicas(ns, "good", 3, SECS(20)).await;
    let so = env.scaled_object(ns, "good");
    assert_eq!(condition(&so, "Ready")["status"], "True", "{so:#}");

    // Fixing a broken one (a spec change) makes it scale, without waiting for the backoff.
    env.apply(scaled_object(
        ns,
        "no-list",
        redis_trigger(&fixed_list),
        json!({}),
    ));
    push(&fixed_list, 7);
    env.wait_replicas(ns, "no-list", 2, SECS(20)).await;
    env.wait_condition(ns, "no-list", "Ready", "True", "ScaledObjectReady", SECS(5))
        .await;
    assert_eq!(env.replicas(ns, "no-auth"), 0);
    assert_eq!(env.replicas(ns, "good"), 3);

    // Breaking a working one: reported, and it stays reported (its old loop must not keep
    // declaring it ready).
    let broken = json!([{"type": "redis", "metadata": {
        "address": common::operator::redis_address(), "listLength": "5"}}]);
    let versions = ObjectHistory::record(&env.cluster, &scaled_objects(), ns);
    let broken_at = Instant::now();
    env.apply(scaled_object(ns, "good", broken, json!({})));
    env.wait_condition(
        ns,
        "good",
        "Ready",
        "False",
        "ScaledObjectCheckFailed",
        SECS(10),
    )
    .await;
    tokio::time::sleep(SECS(3)).await;
    let ready: Vec<String> = versions
        .of("good", broken_at)
        .iter()
        .map(|so| condition(so, "Ready")["reason"].to_string())
        .collect();
    let failed = ready
        .iter()
        .position(|r| r.contains("ScaledObjectCheckFailed"))
        .unwrap();
    assert!(
        ready[failed..]
            .iter()
            .all(|r| r.contains("ScaledObjectCheckFailed")),
        "Ready after the break: {ready:?}"
    );
    assert_eq!(env.replicas(ns, "good"), 3, "nothing scales it meanwhile");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_converges_through_api_errors_conflicts_delays_and_dropped_watches() {
    let env = Env::start().await;
    let (ns, name, list) = ("faults", "worker", unique("e2e-faults"));
    env.apply(namespace(ns));
    env.apply(deployment(ns, name, 0));
    let faults = env.cluster.faults();
    // Every kind of request the operator makes fails now and then (rules matching one request
    // are all used up by it); every watch is slow to start.
    faults.fail(
        Matcher::method_path("PATCH", "/scaledobjects/worker"),
        409,
        2,
    );
    faults.fail(
        Matcher::method_path("PATCH", "/horizontalpodautoscalers/"),
        500,
        1,
    );
    faults.fail(
        Matcher::method_path("GET", "/deployments/worker/scale"),
        500,
        2,
    );
    faults.fail(
        Matcher::method_path("PATCH", "/deployments/worker/scale"),
        500,
        2,
    );
    faults.fail(Matcher::path("watch=true"), 500, 2);
    faults.delay(Matcher::path("watch=true"), Duration::from_millis(500));
    env.apply(scaled_object(ns, name, redis_trigger(&list), json!({})));
    push(&list, 12);
    env.wait_replicas(ns, name, 3, SECS(20)).await;
    env.wait_event(ns, name, "KEDAScaleTargetActivationFailed", SECS(5))
        .await;
    let so = env
        .wait_condition(ns, name, "Ready", "True", "ScaledObjectReady", SECS(10))
        .await;
    assert_eq!(condition(&so, "Active")["status"], "True", "{so:#}");
    assert_eq!(env.hpa_count(ns), 1);

    // Every open watch ends at once; the operator must re-watch and see a later spec change,
    // while status writes fail.
    env.cluster.shared().lock().watchers.clear();
    faults.fail(
        Matcher::method_path("PATCH", "/scaledobjects/worker/status"),
        500,
        3,
    );
    faults.fail(Matcher::path("watch=true"), 500, 1);
    let patch = json!({"spec": {"maxReplicaCount": 4}});
    env.cluster
        .patch_json(
            &common::operator::scaled_objects(),
            ns,
            name,
            PatchType::Merge,
            &patch,
        )
        .unwrap();
    env.wait(SECS(20), "the HPA's maxReplicas 4", || {
        match env.hpa(ns, "keda-hpa-worker").unwrap_or_default()["spec"]["maxReplicas"].as_i64() {
            Some(4) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    push(&list, 30);
    env.wait_replicas(ns, name, 4, SECS(20)).await;

    // Scale to zero through failing /scale writes (500s: kube's client retries 503s itself):
    // retried on the next polls.
    faults.fail(
        Matcher::method_path("PATCH", "/deployments/worker/scale"),
        500,
        2,
    );
    redis(&["del", &list]);
    env.wait_replicas(ns, name, 0, SECS(20)).await;
    env.wait_event(ns, name, "KEDAScaleTargetDeactivationFailed", SECS(5))
        .await;
    env.wait_condition(ns, name, "Active", "False", "ScalerNotActive", SECS(10))
        .await;
    assert_eq!(env.hpa_count(ns), 1);
}

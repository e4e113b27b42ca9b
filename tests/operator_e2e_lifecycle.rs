//! The lives of ScaledObjects and operators, end to end: deleting a ScaledObject (§2.9), an
//! operator killed mid-scale and restarted, and two operators with leader election.

mod common;

use std::time::{Duration, Instant};

use common::operator::{
    Env, ObjectHistory, OperatorOptions, condition, deployment, namespace, push, redis_trigger,
    scaled_object, scaled_objects,
};
use common::unique;
use kedars_testcluster::Gvr;
use serde_json::json;

const SECS: fn(u64) -> Duration = Duration::from_secs;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_removes_the_hpa_releases_the_finalizer_and_restores_when_asked() {
    let env = Env::start().await;
    let ns = "delete";
    let list = unique("e2e-delete");
    env.apply(namespace(ns));
    for (name, restore) in [("restored", true), ("left", false)] {
        env.apply(deployment(ns, name, 3));
        let advanced = json!({"restoreToOriginalReplicaCount": restore});
        env.apply(scaled_object(
            ns,
            name,
            redis_trigger(&list),
            json!({"advanced": advanced}),
        ));
    }
    // Nothing to do: both go to zero at once (no lastActiveTime, no initial cooldown).
    for name in ["restored", "left"] {
        env.wait_replicas(ns, name, 0, SECS(15)).await;
        let so = env.scaled_object(ns, name);
        assert_eq!(so["status"]["originalReplicaCount"], 3, "{so:#}");
        assert!(env.hpa(ns, &format!("keda-hpa-{name}")).is_some());
    }

    for name in ["restored", "left"] {
        env.cluster
            .delete_json(&scaled_objects(), ns, name)
            .unwrap();
    }
    for name in ["restored", "left"] {
        env.wait(SECS(10), &format!("{name} gone"), || {
            match env.cluster.get_json(&scaled_objects(), ns, name) {
                Err(_) => Ok(()),
                Ok(so) => Err(format!("{:#}", so["metadata"])),
            }
        })
        .await;
        assert!(env.hpa(ns, &format!("keda-hpa-{name}")).is_none());
        let event = env
            .wait_event(ns, name, "ScaledObjectDeleted", SECS(5))
            .await;
        assert_eq!(event["type"], "Warning");
    }
    assert_eq!(env.replicas(ns, "restored"), 3);
    // The loops are gone too: work arriving now scales nothing.
    push(&list, 12);
    env.hold_replicas(ns, "left", 0, SECS(3)).await;
    assert_eq!(env.replicas(ns, "restored"), 3);
    assert_eq!(env.hpa_count(ns), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_killed_mid_scale_and_restarted_neither_drops_replicas_nor_forgets() {
    let mut env = Env::start().await;
    let (ns, name, list) = ("restart", "worker", unique("e2e-restart"));
    env.apply(namespace(ns));
    env.apply(deployment(ns, name, 0));
    env.apply(scaled_object(ns, name, redis_trigger(&list), json!({})));
    push(&list, 12);
    env.wait_replicas(ns, name, 3, SECS(20)).await;
    let before = env.scaled_object(ns, name)["status"].clone();
    let versions = ObjectHistory::record(&env.cluster, &scaled_objects(), ns);

    // More work arrives and the operator dies before the HPA could act on it.
    let killed_at = Instant::now();
    push(&list, 18);
    let port = env.operators[0].metrics_api_port;
    env.kill(0);
    tokio::time::sleep(SECS(2)).await;
    assert_eq!(
        env.replicas(ns, name),
        3,
        "nothing acts while no operator runs"
    );
    env.spawn(OperatorOptions {
        metrics_api_port: port,
        ..OperatorOptions::default()
    });
    env.wait_replicas(ns, name, 5, SECS(20)).await;

    let changes = env.history.of(ns, name);
    assert!(
        changes
            .iter()
            .filter(|(t, _)| *t >= killed_at)
            .all(|(_, r)| *r >= 3),
        "replicas went down across the restart: {changes:?}"
    );
    assert_eq!(env.hpa_count(ns), 1);
    let after = env.scaled_object(ns, name)["status"].clone();
    for field in [
        "hpaName",
        "originalReplicaCount",
        "scaleTargetKind",
        "scaleTargetGVKR",
        "externalMetricNames",
    ] {
        assert_eq!(after[field], before[field], "{field}: {after:#}");
    }
    // The status was never reset (to the initial Unknown conditions) nor lost its fields.
    for so in versions.of(name, killed_at) {
        assert_eq!(condition(&so, "Ready")["status"], "True", "{so:#}");
        assert_ne!(condition(&so, "Active")["status"], "Unknown", "{so:#}");
        assert_eq!(so["status"]["hpaName"], before["hpaName"], "{so:#}");
    }
}

fn lease_holder(env: &Env) -> Option<String> {
    let leases = Gvr::new("coordination.k8s.io", "v1", "leases");
    let lease = env
        .cluster
        .get_json(&leases, "kedars-system", "operator.keda.sh")
        .ok()?;
    lease["spec"]["holderIdentity"].as_str().map(String::from)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_operators_one_scales_and_the_other_takes_over_within_the_lease() {
    let mut env = Env::without_operator().await;
    env.apply(namespace("kedars-system"));
    for name in ["operator-a", "operator-b"] {
        env.spawn(OperatorOptions {
            name: name.into(),
            lease: Some(("kedars-system".into(), 3)),
            ..OperatorOptions::default()
        });
    }
    let (ns, name, list) = ("leader", "worker", unique("e2e-leader"));
    env.apply(namespace(ns));
    env.apply(deployment(ns, name, 0));
    env.apply(scaled_object(ns, name, redis_trigger(&list), json!({})));
    push(&list, 12);
    env.wait_replicas(ns, name, 3, SECS(20)).await;
    let leader = lease_holder(&env).expect("a lease holder");
    // Every Event so far came from the leader: the other one never acted.
    let instances: Vec<String> = env
        .events(ns)
        .iter()
        .map(|e| {
            e["reportingInstance"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert!(
        instances.iter().all(|i| *i == leader),
        "{leader}: {instances:?}"
    );
    let standby = if leader == "operator-a" {
        "operator-b"
    } else {
        "operator-a"
    };

    let index = env.operators.iter().position(|o| o.name == leader).unwrap();
    let killed_at = Instant::now();
    env.kill(index);
    push(&list, 18);
    let took_over = env
        .wait(
            SECS(10),
            "the standby holding the lease",
            || match lease_holder(&env) {
                Some(h) if h == standby => Ok(killed_at.elapsed()),
                other => Err(format!("{other:?}")),
            },
        )
        .await;
    assert!(took_over <= SECS(3 + 2), "took over after {took_over:?}");
    env.wait_replicas(ns, name, 5, SECS(15)).await;
    eprintln!(
        "leader killed: the standby held the lease after {took_over:?}, scaled after {:?}",
        killed_at.elapsed()
    );
    let so = env.scaled_object(ns, name);
    assert_eq!(condition(&so, "Ready")["status"], "True", "{so:#}");
    assert_eq!(env.hpa_count(ns), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owned_hpa_edited_or_deleted_is_put_right_and_status_writes_cost_nothing() {
    let env = Env::start().await;
    let (ns, name, list) = ("owned", "worker", unique("e2e-owned"));
    let hpa_name = format!("keda-hpa-{name}");
    env.apply(namespace(ns));
    env.apply(deployment(ns, name, 0));
    env.apply(scaled_object(ns, name, redis_trigger(&list), json!({})));
    push(&list, 12);
    env.wait_replicas(ns, name, 3, SECS(20)).await;
    // The simulated HPA controller rewrites the HPA's status every second (as the real one does
    // every 15 s): none of those writes is a reason to reconcile, so no HPA apply follows.
    let hpa_path = format!("/namespaces/{ns}/horizontalpodautoscalers/{hpa_name}");
    let applies = || {
        env.cluster
            .requests()
            .iter()
            .filter(|r| r.starts_with("PATCH") && r.contains(&hpa_path))
            .count()
    };
    let before = applies();
    let status_writes = |hpa: Option<serde_json::Value>| hpa.map(|h| h["status"].to_string());
    let first_status = status_writes(env.hpa(ns, &hpa_name));
    tokio::time::sleep(SECS(4)).await;
    assert_ne!(
        status_writes(env.hpa(ns, &hpa_name)),
        first_status,
        "the HPA controller kept writing its status"
    );
    assert_eq!(
        applies(),
        before,
        "no reconcile for the HPA's status writes"
    );

    // Someone edits the spec: put back.
    let mut edited = env.hpa(ns, &hpa_name).unwrap();
    edited["spec"]["maxReplicas"] = json!(99);
    edited["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("managedFields");
    env.cluster.apply_json(edited).unwrap();
    env.wait(SECS(10), "maxReplicas put back", || {
        let hpa = env.hpa(ns, &hpa_name).unwrap_or_default();
        (hpa["spec"]["maxReplicas"] == 5)
            .then_some(())
            .ok_or_else(|| hpa["spec"].to_string())
    })
    .await;
    // Someone deletes it: created again.
    env.cluster
        .delete_json(&common::hpa_sim::hpas(), ns, &hpa_name)
        .unwrap();
    env.wait(SECS(10), "the HPA created again", || {
        env.hpa(ns, &hpa_name)
            .map(|_| ())
            .ok_or_else(|| "absent".to_string())
    })
    .await;
}

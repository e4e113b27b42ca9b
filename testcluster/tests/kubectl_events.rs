//! kubectl, unmodified, against the double: core and events.k8s.io Events are one storage
//! (an Event a controller records through events.k8s.io/v1 shows in `kubectl get events`),
//! RBAC names with `:`, and a Scale at zero.

mod support;

use kedars_testcluster::Gvr;
use serde_json::{Value, json};
use support::{DEPLOYMENT, Kubectl, columns};

/// An Event as kube-runtime's Recorder creates it (POST to events.k8s.io/v1).
fn recorded() -> Value {
    json!({"apiVersion": "events.k8s.io/v1", "kind": "Event",
        "metadata": {"name": "votes.180a1b2c3d4e5f60", "namespace": "default"},
        "eventTime": "2026-11-27T03:00:00.000000Z",
        "reportingController": "keda-operator", "reportingInstance": "keda-operator-0",
        "action": "Scale", "reason": "KEDAScaleTargetActivated", "type": "Normal",
        "regarding": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "votes",
            "namespace": "default"},
        "note": "Scaled apps/v1.Deployment default/votes from 0 to 2"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_events_k8s_io_event_shows_in_kubectl_get_events() {
    let k = Kubectl::start().await;
    k.cluster.apply_json(recorded()).unwrap();

    let table = k.ok(&["get", "events"]).await;
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        columns(lines[0]),
        ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    );
    let row = columns(lines[1]);
    assert_eq!(
        row[1..5],
        [
            "Normal",
            "KEDAScaleTargetActivated",
            "deployment/votes",
            "Scaled"
        ],
        "{table}"
    );
    assert!(lines[1].ends_with("from 0 to 2"), "{table}");

    // The core view has the core fields, as a real server converts them.
    let core: Value = serde_json::from_str(&k.ok(&["get", "events", "-o", "json"]).await).unwrap();
    let event = &core["items"][0];
    assert_eq!(event["apiVersion"], "v1");
    assert_eq!(event["involvedObject"]["name"], "votes");
    assert_eq!(event["reportingComponent"], "keda-operator");
    assert_eq!(event["firstTimestamp"], Value::Null);
    let by_field = k
        .ok(&[
            "get",
            "events",
            "--field-selector",
            "involvedObject.name=votes",
            "-o",
            "name",
        ])
        .await;
    assert_eq!(by_field, "event/votes.180a1b2c3d4e5f60\n");

    // And the other way: a core Event created by kubectl is an events.k8s.io Event.
    let legacy = "apiVersion: v1\nkind: Event\nmetadata:\n  name: votes.legacy\n\
        involvedObject:\n  kind: Deployment\n  name: votes\nreason: ScalingReplicaSet\n\
        message: Scaled up replica set votes-abc to 2\ntype: Normal\ncount: 1\n\
        source:\n  component: deployment-controller\n";
    k.ok_stdin(&["create", "-f", "-"], legacy).await;
    let v1: Value = serde_json::from_str(
        &k.ok(&[
            "get",
            "events.v1.events.k8s.io",
            "votes.legacy",
            "-o",
            "json",
        ])
        .await,
    )
    .unwrap();
    assert_eq!(v1["apiVersion"], "events.k8s.io/v1");
    assert_eq!(v1["note"], "Scaled up replica set votes-abc to 2");
    assert_eq!(v1["deprecatedSource"]["component"], "deployment-controller");
    assert_eq!(v1["deprecatedCount"], 1);
    let all = k.ok(&["get", "events.events.k8s.io", "-o", "name"]).await;
    assert_eq!(all.lines().count(), 2, "{all}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rbac_names_with_colons_and_a_scale_at_zero() {
    let k = Kubectl::start().await;
    let role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  \
        name: kedars:operator\nrules:\n- apiGroups: [\"\"]\n  resources: [pods]\n  verbs: [get]\n";
    assert_eq!(
        k.ok_stdin(&["apply", "-f", "-"], role).await,
        "clusterrole.rbac.authorization.k8s.io/kedars:operator created\n"
    );
    let names = k
        .ok(&["get", "clusterrole", "kedars:operator", "-o", "name"])
        .await;
    assert_eq!(
        names,
        "clusterrole.rbac.authorization.k8s.io/kedars:operator\n"
    );

    k.ok_stdin(&["apply", "-f", "-"], DEPLOYMENT).await;
    k.ok(&["scale", "deployment", "votes", "--replicas=0"])
        .await;
    let scale: Value = serde_json::from_str(
        &k.ok(&[
            "get",
            "deployment",
            "votes",
            "--subresource=scale",
            "-o",
            "json",
        ])
        .await,
    )
    .unwrap();
    assert_eq!(scale["kind"], "Scale");
    assert_eq!(scale["spec"], json!({}), "{scale:#}");
    let deployments = Gvr::new("apps", "v1", "deployments");
    let d = k
        .cluster
        .get_json(&deployments, "default", "votes")
        .unwrap();
    assert_eq!(d["spec"]["replicas"], 0);
}

//! Events through both versions (one storage), RBAC names, and the Scale view at zero: each
//! test names the real-server behaviour it pins down.

use std::sync::Arc;

use serde_json::{Value, json};

use super::tests::{W, rt, state};
use super::*;
use crate::cluster::{Config, Shared};
use crate::patch::PatchType;
use crate::selector::{FieldSelector, LabelSelector};
use crate::watch::{Watch, WatchItem, WatchRequest};

/// What kube-runtime's Recorder creates through events.k8s.io/v1.
fn recorded(name: &str) -> Value {
    json!({"apiVersion": "events.k8s.io/v1", "kind": "Event",
        "metadata": {"name": name, "namespace": "default"},
        "eventTime": "2026-11-27T03:00:00.000000Z",
        "reportingController": "keda-operator", "reportingInstance": "operator-0",
        "action": "Scale", "reason": "KEDAScaleTargetActivated", "type": "Normal",
        "regarding": {"kind": "ScaledObject", "name": "web", "namespace": "default"},
        "note": "Scaled from 0 to 1"})
}

#[test]
fn an_events_v1_event_is_a_core_event_and_back() {
    let mut st = state();
    let (core, v1) = (
        rt(&st, "", "v1", "events"),
        rt(&st, "events.k8s.io", "v1", "events"),
    );
    let created = create(&mut st, &v1, "default", recorded("a"), &W).unwrap();
    assert_eq!(created["apiVersion"], "events.k8s.io/v1");
    assert_eq!(created["note"], "Scaled from 0 to 1");
    assert_eq!(created["deprecatedFirstTimestamp"], Value::Null);

    let seen = get(&st, &core, "default", "a").unwrap();
    assert_eq!(
        (&seen["apiVersion"], &seen["kind"]),
        (&json!("v1"), &json!("Event"))
    );
    assert_eq!(seen["involvedObject"]["name"], "web");
    assert_eq!(seen["message"], "Scaled from 0 to 1");
    assert_eq!(seen["reportingComponent"], "keda-operator");
    assert_eq!(seen["firstTimestamp"], Value::Null, "a zero time is null");
    assert_eq!(seen["metadata"]["uid"], created["metadata"]["uid"]);
    let listed = list(&st, &core, Some("default"), &ListQuery::default()).unwrap();
    assert_eq!(listed.items, vec![seen.clone()]);

    // A core event (client-go's legacy recorder, `kubectl create -f`) is seen in v1 too.
    let legacy = json!({"metadata": {"name": "b"}, "involvedObject": {"kind": "Pod", "name": "p"},
        "reason": "Pulled", "message": "pulled", "count": 3, "type": "Normal",
        "source": {"component": "kubelet"}, "firstTimestamp": "2026-11-27T03:00:00Z",
        "lastTimestamp": "2026-11-27T03:05:00Z"});
    create(&mut st, &core, "default", legacy, &W).unwrap();
    let b = get(&st, &v1, "default", "b").unwrap();
    assert_eq!(b["regarding"]["name"], "p");
    assert_eq!(
        (&b["note"], &b["deprecatedCount"]),
        (&json!("pulled"), &json!(3))
    );
    assert_eq!(b["deprecatedSource"]["component"], "kubelet");
    assert_eq!(b["deprecatedLastTimestamp"], "2026-11-27T03:05:00Z");
    assert_eq!(b["eventTime"], Value::Null);
    let both = list(&st, &v1, None, &ListQuery::default()).unwrap();
    assert_eq!(both.items.len(), 2, "one storage, one list");

    // The same name is the same object, whichever version creates it.
    let again = create(
        &mut st,
        &core,
        "default",
        json!({"metadata": {"name": "a"}}),
        &W,
    );
    assert_eq!(again.unwrap_err().code, 409);
}

#[test]
fn writes_through_one_version_show_in_the_other() {
    let mut st = state();
    let (core, v1) = (
        rt(&st, "", "v1", "events"),
        rt(&st, "events.k8s.io", "v1", "events"),
    );
    create(&mut st, &v1, "default", recorded("a"), &W).unwrap();
    // kube-runtime's Recorder merge-patches a repeated event's series.
    let series = json!({"series": {"count": 2, "lastObservedTime": "2026-11-27T03:01:00.000000Z"}});
    let (patched, _) = patch(
        &mut st,
        &v1,
        "default",
        "a",
        PatchType::Merge,
        &series,
        Sub::Main,
        &W,
    )
    .unwrap();
    assert_eq!(patched["series"]["count"], 2);
    assert_eq!(patched["note"], "Scaled from 0 to 1", "the rest is kept");
    assert_eq!(
        get(&st, &core, "default", "a").unwrap()["series"]["count"],
        2
    );
    // A strategic merge patch through core changes what v1 reads.
    let msg = json!({"message": "Scaled from 0 to 2"});
    patch(
        &mut st,
        &core,
        "default",
        "a",
        PatchType::Strategic,
        &msg,
        Sub::Main,
        &W,
    )
    .unwrap();
    assert_eq!(
        get(&st, &v1, "default", "a").unwrap()["note"],
        "Scaled from 0 to 2"
    );
    let gone = delete(&mut st, &core, "default", "a", &DeleteOptions::default()).unwrap();
    assert!(matches!(gone, DeleteOutcome::Removed(_)));
    assert_eq!(get(&st, &v1, "default", "a").unwrap_err().code, 404);
}

#[test]
fn field_selectors_of_each_version_select_the_same_events() {
    let mut st = state();
    let (core, v1) = (
        rt(&st, "", "v1", "events"),
        rt(&st, "events.k8s.io", "v1", "events"),
    );
    create(&mut st, &v1, "default", recorded("a"), &W).unwrap();
    let mut other = recorded("b");
    other["regarding"]["name"] = json!("api");
    create(&mut st, &v1, "default", other, &W).unwrap();
    let names = |rt: &ResourceType, selector: &str| -> Vec<String> {
        let q = ListQuery {
            field: FieldSelector::parse(selector, &rt.group, &rt.plural).unwrap(),
            ..ListQuery::default()
        };
        let items = list(&st, rt, None, &q).unwrap().items;
        items
            .iter()
            .map(|i| crate::meta::name(i).to_string())
            .collect()
    };
    assert_eq!(names(&v1, "regarding.name=web"), ["a"]);
    assert_eq!(names(&core, "involvedObject.name=web"), ["a"]);
    assert_eq!(names(&v1, "reportingController=keda-operator").len(), 2);
    assert_eq!(names(&core, "reportingComponent=keda-operator").len(), 2);
    let refused = FieldSelector::parse("involvedObject.name=web", "events.k8s.io", "events");
    assert_eq!(
        refused.unwrap_err().code,
        400,
        "a core field label is not a v1 one"
    );
}

#[tokio::test]
async fn a_core_watch_sees_events_created_through_events_v1() {
    let shared: Arc<Shared> = Shared::new(Config::default());
    let (core, v1) = {
        let st = shared.lock();
        (
            rt(&st, "", "v1", "events"),
            rt(&st, "events.k8s.io", "v1", "events"),
        )
    };
    let request = |rt: &ResourceType| WatchRequest {
        rt: rt.clone(),
        namespace: Some("default".into()),
        label: LabelSelector::default(),
        field: FieldSelector::default(),
        resource_version: None,
        send_initial_events: false,
        bookmarks: false,
        timeout: Some(std::time::Duration::from_millis(200)),
    };
    let mut core_watch = Watch::start(shared.clone(), request(&core)).unwrap();
    let mut v1_watch = Watch::start(shared.clone(), request(&v1)).unwrap();
    create(&mut shared.lock(), &v1, "default", recorded("a"), &W).unwrap();
    let Some(WatchItem::Event("ADDED", e)) = core_watch.next().await else {
        panic!("the core watch sees the event");
    };
    assert_eq!(
        (&e["apiVersion"], &e["message"]),
        (&json!("v1"), &json!("Scaled from 0 to 1"))
    );
    let Some(WatchItem::Event("ADDED", e)) = v1_watch.next().await else {
        panic!("the v1 watch sees it too");
    };
    assert_eq!(
        (&e["apiVersion"], &e["note"]),
        (&json!("events.k8s.io/v1"), &json!("Scaled from 0 to 1"))
    );
}

#[test]
fn rbac_names_are_path_segments() {
    let mut st = state();
    let cluster_roles = rt(&st, "rbac.authorization.k8s.io", "v1", "clusterroles");
    let roles = rt(&st, "rbac.authorization.k8s.io", "v1", "roles");
    let cms = rt(&st, "", "v1", "configmaps");
    let named = |n: &str| json!({"metadata": {"name": n}});
    // (kind, name, accepted)
    let cases = [
        (&cluster_roles, "system:auth-delegator", true),
        (&roles, "kedars:operator", true),
        (&roles, "Upper_Case:ok", true),
        (&cluster_roles, "a/b", false),
        (&cluster_roles, "a%2Fb", false),
        (&cluster_roles, "..", false),
        (&cms, "a:b", false),
    ];
    for (kind, name, accepted) in cases {
        let got = create(&mut st, kind, "default", named(name), &W);
        assert_eq!(got.is_ok(), accepted, "{} {name}: {got:?}", kind.kind);
        if let Err(e) = got {
            assert_eq!(e.code, 422);
        }
    }
    let got = get(&st, &cluster_roles, "", "system:auth-delegator").unwrap();
    assert_eq!(got["metadata"]["name"], "system:auth-delegator");
}

#[test]
fn a_scale_at_zero_has_no_spec_replicas_and_zero_can_be_written() {
    let mut st = state();
    let deployments = rt(&st, "apps", "v1", "deployments");
    let d = json!({"metadata": {"name": "web"}, "spec": {"replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "x"}]}}}});
    create(&mut st, &deployments, "default", d, &W).unwrap();
    let mut scale = get_scale(&st, &deployments, "default", "web").unwrap();
    assert_eq!(scale["spec"]["replicas"], 2);
    scale["spec"]["replicas"] = json!(0);
    let written = update(
        &mut st,
        &deployments,
        "default",
        "web",
        scale,
        Sub::Scale,
        &W,
    )
    .unwrap();
    assert_eq!(written["spec"], json!({}), "omitempty int32");
    assert_eq!(
        get(&st, &deployments, "default", "web").unwrap()["spec"]["replicas"],
        0
    );
    let scale = get_scale(&st, &deployments, "default", "web").unwrap();
    assert!(scale["spec"].get("replicas").is_none(), "{scale}");
    assert_eq!(scale["status"]["replicas"], 0);
    // A merge patch of 0 is accepted too, and of more brings the field back.
    let to = |n: i64| json!({"spec": {"replicas": n}});
    patch(
        &mut st,
        &deployments,
        "default",
        "web",
        PatchType::Merge,
        &to(0),
        Sub::Scale,
        &W,
    )
    .unwrap();
    let (up, _) = patch(
        &mut st,
        &deployments,
        "default",
        "web",
        PatchType::Merge,
        &to(3),
        Sub::Scale,
        &W,
    )
    .unwrap();
    assert_eq!(up["spec"]["replicas"], 3);
    let configmaps = rt(&st, "", "v1", "configmaps");
    assert_eq!(
        get_scale(&st, &configmaps, "default", "x")
            .unwrap_err()
            .code,
        404
    );
}

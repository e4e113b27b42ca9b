//! Rules of the verbs: generation, resourceVersion, finalizers, garbage collection, namespaces
//! and CRDs, list snapshots. Each test names the real-server behaviour it pins down.

use serde_json::{Value, json};

use super::*;
use crate::registry::ResourceType;
use crate::store::State;

pub(super) fn state() -> State {
    let mut st = State::new(1000);
    let ns = rt(&st, "", "v1", "namespaces");
    for n in ["default", "other"] {
        create(
            &mut st,
            &ns,
            "",
            json!({"metadata": {"name": n}}),
            &WriteOptions::default(),
        )
        .unwrap();
    }
    st
}

pub(super) fn rt(st: &State, g: &str, v: &str, r: &str) -> ResourceType {
    st.registry.find(g, v, r).cloned().expect("registered")
}

pub(super) const W: WriteOptions = WriteOptions {
    dry_run: false,
    field_manager: None,
    force: false,
    strict: false,
};

fn widget_crd(status: bool) -> Value {
    let mut version = json!({"name": "v1", "served": true, "storage": true,
        "schema": {"openAPIV3Schema": {"type": "object", "properties": {
            "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
            "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}});
    if status {
        version["subresources"] = json!({"status": {}});
    }
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"}, "spec": {"group": "example.com", "scope": "Namespaced",
        "names": {"kind": "Widget", "plural": "widgets"}, "versions": [version]}})
}

pub(super) fn with_widgets(status: bool) -> (State, ResourceType) {
    let mut st = state();
    let crds = rt(
        &st,
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
    );
    create(&mut st, &crds, "", widget_crd(status), &W).unwrap();
    let w = rt(&st, "example.com", "v1", "widgets");
    (st, w)
}

fn g(o: &Value) -> &Value {
    &o["metadata"]["generation"]
}

fn rv(o: &Value) -> u64 {
    o["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn status_subresource_separates_spec_and_status_writes() {
    let (mut st, w) = with_widgets(true);
    let o = create(
        &mut st,
        &w,
        "default",
        json!({"metadata": {"name": "a"}, "spec": {"x": 1}, "status": {"s": 1}}),
        &W,
    )
    .unwrap();
    assert_eq!(g(&o), 1);
    assert!(o.get("status").is_none(), "create drops status");
    // A main write that only changes status is a no-op: same resourceVersion, no event.
    let mut body = o.clone();
    body["status"] = json!({"s": 2});
    let same = update(&mut st, &w, "default", "a", body, Sub::Main, &W).unwrap();
    assert_eq!(rv(&same), rv(&o));
    // Status writes ignore spec and keep the generation.
    let mut body = o.clone();
    body["spec"] = json!({"x": 99});
    body["status"] = json!({"s": 3});
    let s = update(&mut st, &w, "default", "a", body, Sub::Status, &W).unwrap();
    assert_eq!(
        (
            s["spec"]["x"].clone(),
            s["status"]["s"].clone(),
            g(&s).clone()
        ),
        (json!(1), json!(3), json!(1))
    );
    // Spec writes bump it and keep the status.
    let mut body = s.clone();
    body["spec"] = json!({"x": 2});
    let m = update(&mut st, &w, "default", "a", body, Sub::Main, &W).unwrap();
    assert_eq!(
        (g(&m).clone(), m["status"]["s"].clone()),
        (json!(2), json!(3))
    );
    assert!(rv(&m) > rv(&s));
}

#[test]
fn generation_rules_by_kind() {
    let (mut st, w) = with_widgets(false);
    let o = create(
        &mut st,
        &w,
        "default",
        json!({"metadata": {"name": "a"}, "status": {"s": 1}}),
        &W,
    )
    .unwrap();
    assert_eq!(
        o["status"]["s"], 1,
        "without the subresource status is ordinary content"
    );
    let mut body = o.clone();
    body["status"] = json!({"s": 2});
    assert_eq!(
        g(&update(&mut st, &w, "default", "a", body, Sub::Main, &W).unwrap()),
        2
    );
    assert!(
        Sub::parse(Some("status"), &w).is_err(),
        "no /status to address"
    );

    let cms = rt(&st, "", "v1", "configmaps");
    let c = create(
        &mut st,
        &cms,
        "default",
        json!({"metadata": {"name": "c", "generation": 7}}),
        &W,
    )
    .unwrap();
    assert!(
        c["metadata"].get("generation").is_none(),
        "ConfigMaps have no generation"
    );

    let d = rt(&st, "apps", "v1", "deployments");
    let body = json!({"metadata": {"name": "d"}, "spec": {"selector": {"matchLabels": {"a": "b"}},
        "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}});
    create(&mut st, &d, "default", body, &W).unwrap();
    let labels = json!({"metadata": {"labels": {"x": "1"}}});
    let o = patch(
        &mut st,
        &d,
        "default",
        "d",
        crate::PatchType::Merge,
        &labels,
        Sub::Main,
        &W,
    )
    .unwrap()
    .0;
    assert_eq!(g(&o), 1, "labels do not bump a Deployment's generation");
    let ann = json!({"metadata": {"annotations": {"x": "1"}}});
    let o = patch(
        &mut st,
        &d,
        "default",
        "d",
        crate::PatchType::Merge,
        &ann,
        Sub::Main,
        &W,
    )
    .unwrap()
    .0;
    assert_eq!(g(&o), 2, "annotations do");
    assert_eq!(o["status"]["observedGeneration"], 2);
}

#[test]
fn optimistic_concurrency() {
    let (mut st, w) = with_widgets(true);
    let o = create(
        &mut st,
        &w,
        "default",
        json!({"metadata": {"name": "a"}, "spec": {"x": 1}}),
        &W,
    )
    .unwrap();
    let mut stale = o.clone();
    stale["metadata"]["resourceVersion"] = json!("1");
    let e = update(&mut st, &w, "default", "a", stale, Sub::Main, &W).unwrap_err();
    assert_eq!((e.code, e.reason), (409, "Conflict"));
    let mut unconditional = o.clone();
    unconditional["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    let e = update(&mut st, &w, "default", "a", unconditional, Sub::Main, &W).unwrap_err();
    assert_eq!(
        e.code, 422,
        "custom resources need a resourceVersion on update"
    );
    let p = json!({"metadata": {"resourceVersion": "1"}, "spec": {"x": 2}});
    let e = patch(
        &mut st,
        &w,
        "default",
        "a",
        crate::PatchType::Merge,
        &p,
        Sub::Main,
        &W,
    )
    .unwrap_err();
    assert_eq!(
        e.code, 409,
        "a resourceVersion in a patch is a precondition"
    );
    let e = create(
        &mut st,
        &w,
        "default",
        json!({"metadata": {"name": "b", "resourceVersion": "5"}}),
        &W,
    )
    .unwrap_err();
    assert_eq!(e.code, 500);
}

#[test]
fn lists_are_consistent_snapshots() {
    let mut st = state();
    let cms = rt(&st, "", "v1", "configmaps");
    for n in ["a", "b", "c"] {
        create(
            &mut st,
            &cms,
            "default",
            json!({"metadata": {"name": n, "labels": {"n": n}}}),
            &W,
        )
        .unwrap();
    }
    let q = ListQuery {
        limit: Some(2),
        ..Default::default()
    };
    let first = list(&st, &cms, Some("default"), &q).unwrap();
    assert_eq!((first.items.len(), first.remaining), (2, Some(1)));
    create(
        &mut st,
        &cms,
        "default",
        json!({"metadata": {"name": "d"}}),
        &W,
    )
    .unwrap();
    let q2 = ListQuery {
        continue_token: first.continue_token.clone(),
        ..q.clone()
    };
    let second = list(&st, &cms, Some("default"), &q2).unwrap();
    let names: Vec<&str> = second.items.iter().map(crate::meta::name).collect();
    assert_eq!(
        names,
        ["c"],
        "the continuation reads the first page's snapshot"
    );
    assert_eq!(second.resource_version, first.resource_version);
    let exact = ListQuery {
        resource_version: Some(first.resource_version.to_string()),
        resource_version_match: Some("Exact".into()),
        ..Default::default()
    };
    assert_eq!(list(&st, &cms, None, &exact).unwrap().items.len(), 3);
    let sel = ListQuery {
        label: crate::selector::LabelSelector::parse("n in (a,c)").unwrap(),
        ..Default::default()
    };
    assert_eq!(list(&st, &cms, None, &sel).unwrap().items.len(), 2);
    let future = ListQuery {
        resource_version: Some("999999".into()),
        ..Default::default()
    };
    assert_eq!(list(&st, &cms, None, &future).unwrap_err().code, 504);
}

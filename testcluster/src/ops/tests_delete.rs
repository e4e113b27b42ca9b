//! Deletion rules: finalizers, garbage collection by propagation policy, and the namespace
//! and CRD cleanups.

use serde_json::{Value, json};

use super::tests::{W, rt, state, with_widgets};
use super::*;
use crate::store::State;

#[test]
fn finalizers_hold_deletion() {
    let mut st = state();
    let cms = rt(&st, "", "v1", "configmaps");
    let held = json!({"metadata": {"name": "h", "finalizers": ["x/y"]}});
    create(&mut st, &cms, "default", held, &W).unwrap();
    let DeleteOutcome::Pending(o) =
        delete(&mut st, &cms, "default", "h", &DeleteOptions::default()).unwrap()
    else {
        panic!("finalizers keep the object")
    };
    assert!(crate::meta::is_terminating(&o));
    let add = json!({"metadata": {"finalizers": ["x/y", "x/z"]}});
    let e = patch(
        &mut st,
        &cms,
        "default",
        "h",
        crate::PatchType::Merge,
        &add,
        Sub::Main,
        &W,
    )
    .unwrap_err();
    assert_eq!(e.code, 422, "no new finalizers while terminating");
    let release = json!({"metadata": {"finalizers": null}});
    patch(
        &mut st,
        &cms,
        "default",
        "h",
        crate::PatchType::Merge,
        &release,
        Sub::Main,
        &W,
    )
    .unwrap();
    assert_eq!(get(&st, &cms, "default", "h").unwrap_err().code, 404);
    let kinds: Vec<&str> = st
        .history
        .iter()
        .rev()
        .take(3)
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(kinds, ["DELETED", "MODIFIED", "MODIFIED"]);
}

fn owned(name: &str, owners: &[&Value]) -> Value {
    let refs: Vec<Value> = owners
        .iter()
        .map(|o| json!({"apiVersion": "v1", "kind": "ConfigMap", "name": o["metadata"]["name"], "uid": o["metadata"]["uid"]}))
        .collect();
    json!({"metadata": {"name": name, "ownerReferences": refs}})
}

#[test]
fn garbage_collection_by_propagation_policy() {
    let mut st = state();
    let cms = rt(&st, "", "v1", "configmaps");
    let mk = |st: &mut State, body: Value| create(st, &cms, "default", body, &W).unwrap();
    let a = mk(&mut st, json!({"metadata": {"name": "a"}}));
    let b = mk(&mut st, json!({"metadata": {"name": "b"}}));
    let child = mk(&mut st, owned("child", &[&a]));
    mk(&mut st, owned("grandchild", &[&child]));
    mk(&mut st, owned("shared", &[&a, &b]));
    mk(
        &mut st,
        json!({"metadata": {"name": "held", "finalizers": ["x/y"], "ownerReferences": owned("", &[&a])["metadata"]["ownerReferences"]}}),
    );
    delete(&mut st, &cms, "default", "a", &DeleteOptions::default()).unwrap();
    let exists = |st: &State, n: &str| get(st, &cms, "default", n).is_ok();
    assert!(
        !exists(&st, "child") && !exists(&st, "grandchild"),
        "background: the whole chain goes"
    );
    let shared = get(&st, &cms, "default", "shared").unwrap();
    assert_eq!(
        crate::meta::owner_uids(&shared),
        [crate::meta::uid(&b)],
        "a live owner keeps it"
    );
    assert!(crate::meta::is_terminating(
        &get(&st, &cms, "default", "held").unwrap()
    ));

    let orphan = DeleteOptions {
        propagation_policy: Some("Orphan".into()),
        ..Default::default()
    };
    delete(&mut st, &cms, "default", "b", &orphan).unwrap();
    let shared = get(&st, &cms, "default", "shared").unwrap();
    assert!(
        crate::meta::owner_uids(&shared).is_empty(),
        "orphaned, not deleted"
    );
}

#[test]
fn namespaces_and_crds_empty_themselves_before_going() {
    let (mut st, w) = with_widgets(true);
    let ns = rt(&st, "", "v1", "namespaces");
    let cms = rt(&st, "", "v1", "configmaps");
    create(
        &mut st,
        &cms,
        "other",
        json!({"metadata": {"name": "free"}}),
        &W,
    )
    .unwrap();
    create(
        &mut st,
        &cms,
        "other",
        json!({"metadata": {"name": "held", "finalizers": ["x/y"]}}),
        &W,
    )
    .unwrap();
    let out = delete(&mut st, &ns, "", "other", &DeleteOptions::default()).unwrap();
    assert!(matches!(out, DeleteOutcome::Pending(ref n) if n["status"]["phase"] == "Terminating"));
    assert!(get(&st, &cms, "other", "free").is_err());
    let e = create(
        &mut st,
        &cms,
        "other",
        json!({"metadata": {"name": "new"}}),
        &W,
    )
    .unwrap_err();
    assert_eq!(e.code, 403);
    let release = json!({"metadata": {"finalizers": []}});
    patch(
        &mut st,
        &cms,
        "other",
        "held",
        crate::PatchType::Merge,
        &release,
        Sub::Main,
        &W,
    )
    .unwrap();
    assert!(get(&st, &ns, "", "other").is_err(), "gone once empty");
    assert_eq!(
        create(
            &mut st,
            &cms,
            "nowhere",
            json!({"metadata": {"name": "x"}}),
            &W
        )
        .unwrap_err()
        .code,
        404
    );

    create(
        &mut st,
        &w,
        "default",
        json!({"metadata": {"name": "w"}}),
        &W,
    )
    .unwrap();
    let crds = rt(
        &st,
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
    );
    delete(
        &mut st,
        &crds,
        "",
        "widgets.example.com",
        &DeleteOptions::default(),
    )
    .unwrap();
    assert!(
        st.registry.find("example.com", "v1", "widgets").is_none(),
        "kind unregistered"
    );
    assert!(
        st.objects.keys().all(|k| k.resource != "widgets"),
        "instances removed"
    );
}

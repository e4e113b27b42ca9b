//! kube-rs, a client no one here wrote: typed CRUD, a reflector and a kube-runtime Controller
//! run against the double across watch timeouts and a 410 Gone.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kedars_testcluster::{Config, Matcher, TestCluster};
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::Action;
use kube::runtime::{Controller, WatchStreamExt, reflector, watcher};
use kube::{Api, Client, CustomResource, CustomResourceExt, ResourceExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

async fn client(cluster: &TestCluster) -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let kc = kube::config::Kubeconfig::read_from(cluster.kubeconfig_path()).expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .expect("config");
    Client::try_from(config).expect("client")
}

fn cm(name: &str, value: &str) -> ConfigMap {
    serde_json::from_value(json!({"metadata": {"name": name}, "data": {"v": value}})).unwrap()
}

/// Polls `check` every 50 ms for up to 20 s.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..400 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_crud_conflicts_and_deletes() {
    let cluster = TestCluster::start().await.unwrap();
    let client = client(&cluster).await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client.clone());
    let created = cms
        .create(&PostParams::default(), &cm("a", "1"))
        .await
        .unwrap();
    assert_eq!(
        created
            .metadata
            .resource_version
            .as_deref()
            .map(|r| r.parse::<u64>().is_ok()),
        Some(true)
    );
    let err = cms
        .create(&PostParams::default(), &cm("a", "1"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, kube::Error::Api(ref s) if s.code == 409 && s.reason == "AlreadyExists"),
        "{err:?}"
    );

    // Optimistic concurrency: a replace with a stale resourceVersion is a 409 Conflict.
    let mut stale = created.clone();
    cms.patch(
        "a",
        &PatchParams::default(),
        &Patch::Merge(json!({"data": {"v": "2"}})),
    )
    .await
    .unwrap();
    stale.data = Some([("v".to_string(), "3".to_string())].into());
    let err = cms
        .replace("a", &PostParams::default(), &stale)
        .await
        .unwrap_err();
    assert!(
        matches!(err, kube::Error::Api(ref s) if s.code == 409 && s.reason == "Conflict"),
        "{err:?}"
    );

    let ssa = PatchParams::apply("test-manager");
    let applied = cms
        .patch("b", &ssa, &Patch::Apply(cm("b", "x")))
        .await
        .unwrap();
    assert_eq!(
        applied.metadata.managed_fields.unwrap()[0]
            .manager
            .as_deref(),
        Some("test-manager")
    );

    let listed = cms
        .list(&ListParams::default().labels("missing"))
        .await
        .unwrap();
    assert!(listed.items.is_empty());
    let gone = cms.delete("a", &DeleteParams::default()).await.unwrap();
    assert!(gone.is_right(), "deleted at once: a Status");
    assert!(matches!(cms.get("a").await, Err(kube::Error::Api(s)) if s.code == 404));

    // Deployments are scaled through their scale subresource, and their status follows.
    let deploys: Api<Deployment> = Api::default_namespaced(client);
    let d = json!({"metadata": {"name": "web"}, "spec": {"replicas": 1,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}});
    deploys
        .create(&PostParams::default(), &serde_json::from_value(d).unwrap())
        .await
        .unwrap();
    let scale = deploys
        .patch_scale(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 4}})),
        )
        .await
        .unwrap();
    assert_eq!(scale.spec.unwrap().replicas, Some(4));
    assert_eq!(scale.status.unwrap().selector.as_deref(), Some("app=web"));
    let d = deploys.get("web").await.unwrap();
    assert_eq!(d.status.unwrap().ready_replicas, Some(4));

    // Injected faults answer with a Status of the chosen code, then stop. kube-rs retries
    // 429/503/504 by itself, so a single 503 goes unnoticed; a 500 reaches the caller.
    let two = Patch::Merge(json!({"spec": {"replicas": 2}}));
    let scale_patches = |c: &TestCluster| {
        let reqs = c.requests();
        reqs.iter()
            .filter(|r| r.starts_with("PATCH") && r.contains("/scale"))
            .count()
    };
    let before = scale_patches(&cluster);
    cluster
        .faults()
        .fail(Matcher::method_path("PATCH", "/scale"), 503, 1);
    deploys
        .patch_scale("web", &PatchParams::default(), &two)
        .await
        .unwrap();
    assert_eq!(scale_patches(&cluster) - before, 2, "retried once");
    cluster
        .faults()
        .fail(Matcher::method_path("PATCH", "/scale"), 500, 1);
    let err = deploys
        .patch_scale("web", &PatchParams::default(), &two)
        .await
        .unwrap_err();
    assert!(
        matches!(err, kube::Error::Api(ref s) if s.code == 500),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflector_survives_watch_timeouts_and_410() {
    let config = Config {
        history_limit: 20,
        bookmark_interval: Duration::from_millis(300),
        ..Config::default()
    };
    let cluster = TestCluster::start_with(config).await.unwrap();
    let cms: Api<ConfigMap> = Api::default_namespaced(client(&cluster).await);
    let (reader, writer) = reflector::store();
    // timeoutSeconds=1: the server ends every watch after a second and the watcher resumes.
    let stream = reflector(
        writer,
        watcher(cms.clone(), watcher::Config::default().timeout(1)),
    );
    let errors: Arc<Mutex<Vec<String>>> = Arc::default();
    let errs = errors.clone();
    let task = tokio::spawn(stream.default_backoff().for_each(move |ev| {
        if let Err(e) = ev {
            errs.lock().unwrap().push(format!("{e:?}"));
        }
        futures::future::ready(())
    }));
    for i in 0..3 {
        cms.create(&PostParams::default(), &cm(&format!("c{i}"), "0"))
            .await
            .unwrap();
    }
    eventually("three objects", || reader.state().len() == 3).await;
    tokio::time::sleep(Duration::from_millis(2500)).await; // a couple of watch timeouts
    cms.create(&PostParams::default(), &cm("c3", "0"))
        .await
        .unwrap();
    eventually("four objects after timeouts", || reader.state().len() == 4).await;

    // Hold the next watch request while more changes happen than the history keeps: it
    // resumes from a resourceVersion the server no longer has, gets 410, and relists.
    let before = cluster.requests().len();
    cluster.faults().delay_times(
        Matcher::method_path("GET", "watch=true"),
        Duration::from_secs(2),
        1,
    );
    eventually("a held watch", || {
        cluster.requests()[before..]
            .iter()
            .any(|r| r.contains("watch=true"))
    })
    .await;
    for n in 0..30 {
        let p = Patch::Merge(json!({"data": {"v": n.to_string()}}));
        cms.patch(&format!("c{}", n % 4), &PatchParams::default(), &p)
            .await
            .unwrap();
    }
    cms.delete("c0", &DeleteParams::default()).await.unwrap();
    eventually("the relisted state", || {
        let s = reader.state();
        s.len() == 3 && s.iter().all(|c| c.name_any() != "c0")
    })
    .await;
    let c3 = reader
        .get(&reflector::ObjectRef::new("c3").within("default"))
        .unwrap();
    assert_eq!(c3.data.as_ref().unwrap()["v"], "27");
    let errors = errors.lock().unwrap().clone();
    assert!(!errors.is_empty(), "the 410 reached the watcher");
    assert!(
        errors
            .iter()
            .all(|e| e.contains("410") && e.contains("too old resource version")),
        "{errors:?}"
    );
    task.abort();
}

#[derive(CustomResource, Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[kube(
    group = "example.com",
    version = "v1",
    kind = "Widget",
    namespaced,
    status = "WidgetStatus"
)]
struct WidgetSpec {
    size: i64,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
struct WidgetStatus {
    observed_size: i64,
    observed_generation: i64,
}

async fn reconcile(w: Arc<Widget>, api: Arc<Api<Widget>>) -> Result<Action, kube::Error> {
    let status = json!({"apiVersion": "example.com/v1", "kind": "Widget",
        "status": {"observed_size": w.spec.size, "observed_generation": w.metadata.generation}});
    let pp = PatchParams::apply("widget-controller").force();
    api.patch_status(&w.name_any(), &pp, &Patch::Apply(status))
        .await?;
    Ok(Action::await_change())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controller_reconciles_custom_resources() {
    let cluster = TestCluster::start_with(Config {
        bookmark_interval: Duration::from_millis(300),
        ..Config::default()
    })
    .await
    .unwrap();
    let client = client(&cluster).await;
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.create(&PostParams::default(), &Widget::crd())
        .await
        .unwrap();
    let widgets: Api<Widget> = Api::default_namespaced(client.clone());
    let failures: Arc<Mutex<Vec<String>>> = Arc::default();
    let fails = failures.clone();
    let ctx = Arc::new(widgets.clone());
    let controller = Controller::new(widgets.clone(), watcher::Config::default().timeout(1))
        .run(reconcile, |_, e, _| panic!("reconcile failed: {e}"), ctx)
        .for_each(move |r| {
            if let Err(e) = r {
                fails.lock().unwrap().push(format!("{e:?}"));
            }
            futures::future::ready(())
        });
    let task = tokio::spawn(controller);
    let w = Widget::new("w1", WidgetSpec { size: 3 });
    widgets.create(&PostParams::default(), &w).await.unwrap();
    let observed = |size: i64, generation: i64| {
        let widgets = widgets.clone();
        async move {
            for _ in 0..400 {
                let w = widgets.get("w1").await.unwrap();
                if w.status
                    .as_ref()
                    .is_some_and(|s| s.observed_size == size && s.observed_generation == generation)
                {
                    return w;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let w = widgets.get("w1").await.unwrap();
            panic!(
                "status never reached size {size} at generation {generation}: {}",
                serde_json::to_string(&w).unwrap()
            );
        }
    };
    let w = observed(3, 1).await;
    assert_eq!(
        w.metadata.generation,
        Some(1),
        "a status write does not bump generation"
    );
    tokio::time::sleep(Duration::from_millis(2500)).await; // across watch timeouts
    widgets
        .patch(
            "w1",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"size": 5}})),
        )
        .await
        .unwrap();
    let w = observed(5, 2).await;
    let managers: Vec<String> = w
        .managed_fields()
        .iter()
        .filter_map(|m| m.manager.clone())
        .collect();
    assert_eq!(managers, ["widget-controller"]);
    assert!(
        failures.lock().unwrap().is_empty(),
        "{:?}",
        failures.lock().unwrap()
    );
    task.abort();
}

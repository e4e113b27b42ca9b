//! kube-runtime's event Recorder, a client no one here wrote, against the double: what it
//! records through events.k8s.io/v1 (a create, then merge patches of the series) is a core/v1
//! Event to core clients, as on a real cluster.

use k8s_openapi::api::core::v1::{Event as CoreEvent, ObjectReference};
use kedars_testcluster::TestCluster;
use kube::api::ListParams;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::{Api, Client};

async fn client(cluster: &TestCluster) -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let kc = kube::config::Kubeconfig::read_from(cluster.kubeconfig_path()).expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .expect("config");
    Client::try_from(config).expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recorded_events_are_core_events() {
    let cluster = TestCluster::start().await.unwrap();
    let client = client(&cluster).await;
    let reporter = Reporter {
        controller: "keda-operator".into(),
        instance: Some("keda-operator-0".into()),
    };
    let recorder = Recorder::new(client.clone(), reporter);
    let regarding = ObjectReference {
        api_version: Some("keda.sh/v1alpha1".into()),
        kind: Some("ScaledObject".into()),
        name: Some("web".into()),
        namespace: Some("default".into()),
        uid: Some("8b0c2f4e-0000-4000-8000-000000000001".into()),
        ..Default::default()
    };
    let event = Event {
        type_: EventType::Warning,
        reason: "KEDAScalerFailed".into(),
        note: Some("redis: connection refused".into()),
        action: "Scale".into(),
        secondary: None,
    };
    // The first is created, the repeats patch the series.
    for _ in 0..3 {
        recorder.publish(&event, &regarding).await.unwrap();
    }

    let core: Api<CoreEvent> = Api::default_namespaced(client);
    let listed = core
        .list(&ListParams::default().fields("involvedObject.name=web"))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1, "one event, its series counted");
    let e = &listed.items[0];
    assert_eq!(e.involved_object.kind.as_deref(), Some("ScaledObject"));
    assert_eq!(e.message.as_deref(), Some("redis: connection refused"));
    assert_eq!(e.reason.as_deref(), Some("KEDAScalerFailed"));
    assert_eq!(e.type_.as_deref(), Some("Warning"));
    assert_eq!(e.reporting_component.as_deref(), Some("keda-operator"));
    assert_eq!(e.reporting_instance.as_deref(), Some("keda-operator-0"));
    assert_eq!(e.action.as_deref(), Some("Scale"));
    assert_eq!(e.series.as_ref().and_then(|s| s.count), Some(3));
    assert!(e.event_time.is_some() && e.first_timestamp.is_none());
}

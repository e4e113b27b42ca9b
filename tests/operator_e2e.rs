//! The operator doing its job, end to end: the real `kedars operator` binary as a separate
//! process against the API server test double, a real Redis, and a simulated HPA controller that
//! reads the operator's metrics API over HTTPS with a client certificate.

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::hpa_sim::{self, deployments, hpas};
use common::pki::Pki;
use common::{free_port, unique};
use kedars_testcluster::{Gvr, TestCluster};
use serde_json::{Value, json};

struct Operator(Child);

impl Drop for Operator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Env {
    cluster: Arc<TestCluster>,
    _operator: Operator,
    hpa: tokio::task::JoinHandle<()>,
    dir: std::path::PathBuf,
}

impl Drop for Env {
    fn drop(&mut self) {
        self.hpa.abort();
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

fn redis_address() -> String {
    std::env::var("KEDARS_TEST_REDIS")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "127.0.0.1:6379".into())
}

fn redis(args: &[&str]) {
    let (host, port) = redis_address()
        .rsplit_once(':')
        .map(|(h, p)| (h.to_string(), p.to_string()))
        .unwrap();
    let out = Command::new("redis-cli")
        .args(["-h", &host, "-p", &port])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success());
}

async fn start() -> Env {
    kedars::scalers::tls::install_crypto_provider();
    let cluster = Arc::new(TestCluster::start().await.unwrap());
    let crds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("charts/kedars/crds");
    cluster.load_crds_from_dir(&crds).unwrap();
    let dir = std::env::temp_dir().join(unique("kedars-e2e"));
    std::fs::create_dir_all(&dir).unwrap();
    let aggregator = Pki::new("requestheader-ca");
    std::fs::write(dir.join("client-ca.crt"), &aggregator.ca_pem).unwrap();
    let metrics_port = free_port();
    let log = std::fs::File::create(dir.join("operator.log")).unwrap();
    let operator = Command::new(env!("CARGO_BIN_EXE_kedars"))
        .args(["operator", "--leader-elect=false"])
        .args(["--health-listen", &format!("127.0.0.1:{}", free_port())])
        .args(["--metrics-listen", &format!("127.0.0.1:{}", free_port())])
        .args(["--metrics-api-listen", &format!("127.0.0.1:{metrics_port}")])
        .arg("--requestheader-client-ca-file")
        .arg(dir.join("client-ca.crt"))
        .env("KUBECONFIG", cluster.kubeconfig_path())
        .env("WATCH_NAMESPACE", "")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let (cert, key) = aggregator.leaf(&["front-proxy-client"]);
    let client = reqwest::Client::builder()
        // The operator's serving certificate is self-signed; client authentication is the point.
        .tls_danger_accept_invalid_certs(true)
        .identity(reqwest::Identity::from_pem(format!("{cert}\n{key}").as_bytes()).unwrap())
        .build()
        .unwrap();
    let hpa = tokio::spawn(hpa_sim::run(
        cluster.clone(),
        format!("https://127.0.0.1:{metrics_port}"),
        client,
        Duration::from_secs(1),
    ));
    Env {
        cluster,
        _operator: Operator(operator),
        hpa,
        dir,
    }
}

impl Env {
    fn apply(&self, object: Value) {
        self.cluster.apply_json(object).unwrap();
    }

    fn replicas(&self, ns: &str, name: &str) -> i64 {
        self.cluster.get_json(&deployments(), ns, name).unwrap()["spec"]["replicas"]
            .as_i64()
            .unwrap_or(1)
    }

    async fn wait_replicas(&self, ns: &str, name: &str, want: i64, within: Duration) {
        let deadline = Instant::now() + within;
        while self.replicas(ns, name) != want {
            let log = std::fs::read_to_string(self.dir.join("operator.log")).unwrap_or_default();
            assert!(
                Instant::now() < deadline,
                "{ns}/{name} never reached {want} replicas (at {}); operator log:\n{log}",
                self.replicas(ns, name)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn scaled_object(&self, ns: &str, name: &str) -> Value {
        self.cluster
            .get_json(&Gvr::new("keda.sh", "v1alpha1", "scaledobjects"), ns, name)
            .unwrap()
    }

    fn event_reasons(&self, ns: &str) -> Vec<String> {
        let events = self
            .cluster
            .list_json(&Gvr::new("events.k8s.io", "v1", "events"), Some(ns))
            .unwrap_or_default();
        events
            .iter()
            .filter_map(|e| e["reason"].as_str().map(String::from))
            .collect()
    }
}

fn namespace(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
}

fn deployment(ns: &str, name: &str, replicas: i64) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "app", "image": "busybox"}]}}
        }
    })
}

fn condition<'a>(so: &'a Value, type_: &str) -> &'a Value {
    so["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == type_))
        .unwrap_or(&Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_list_scales_from_zero_to_max_and_back_after_the_cooldown() {
    let env = start().await;
    let ns = "classroom";
    let list = unique("e2e-jobs");
    env.apply(namespace(ns));
    env.apply(deployment(ns, "grader", 0));
    env.apply(json!({
        "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
        "metadata": {"name": "grader", "namespace": ns},
        "spec": {
            "scaleTargetRef": {"name": "grader"},
            "minReplicaCount": 0, "maxReplicaCount": 5, "pollingInterval": 1, "cooldownPeriod": 5,
            "triggers": [{"type": "redis", "metadata": {"address": redis_address(), "listName": list, "listLength": "5"}}]
        }
    }));

    let items: Vec<String> = (0..12).map(|i| i.to_string()).collect();
    let mut push = vec!["rpush", list.as_str()];
    push.extend(items.iter().map(String::as_str));
    redis(&push);
    env.wait_replicas(ns, "grader", 3, Duration::from_secs(30))
        .await;

    let hpa = env
        .cluster
        .get_json(&hpas(), ns, "keda-hpa-grader")
        .unwrap();
    let metric = &hpa["spec"]["metrics"][0]["external"];
    assert_eq!(metric["metric"]["name"], format!("s0-redis-{list}"));
    assert_eq!(
        metric["metric"]["selector"]["matchLabels"]["scaledobject.keda.sh/name"],
        "grader"
    );
    assert_eq!(
        metric["target"],
        json!({"type": "AverageValue", "averageValue": "5"})
    );
    assert_eq!(
        (
            hpa["spec"]["minReplicas"].as_i64(),
            hpa["spec"]["maxReplicas"].as_i64()
        ),
        (Some(1), Some(5))
    );
    assert_eq!(
        hpa["metadata"]["ownerReferences"][0]["kind"],
        "ScaledObject"
    );
    let so = env.scaled_object(ns, "grader");
    assert_eq!(condition(&so, "Ready")["status"], "True", "{so:#}");
    assert_eq!(condition(&so, "Active")["reason"], "ScalerActive");
    assert_eq!(so["status"]["hpaName"], "keda-hpa-grader");
    assert_eq!(so["status"]["scaleTargetKind"], "apps/v1.Deployment");
    assert_eq!(so["status"]["originalReplicaCount"], 0);
    assert_eq!(
        so["metadata"]["labels"]["scaledobject.keda.sh/name"],
        "grader"
    );
    assert!(
        so["metadata"]["finalizers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "finalizer.keda.sh")
    );

    let more: Vec<String> = (0..18).map(|i| i.to_string()).collect();
    let mut push = vec!["rpush", list.as_str()];
    push.extend(more.iter().map(String::as_str));
    redis(&push);
    env.wait_replicas(ns, "grader", 5, Duration::from_secs(30))
        .await;

    redis(&["del", &list]);
    env.wait_replicas(ns, "grader", 0, Duration::from_secs(30))
        .await;
    let so = env.scaled_object(ns, "grader");
    assert_eq!(condition(&so, "Active")["status"], "False", "{so:#}");
    let reasons = env.event_reasons(ns);
    for reason in [
        "KEDAScalersStarted",
        "ScaledObjectReady",
        "KEDAScaleTargetActivated",
        "KEDAScaleTargetDeactivated",
    ] {
        assert!(
            reasons.iter().any(|r| r == reason),
            "no {reason} event in {reasons:?}"
        );
    }
}

//! The simulated HPA controller, live: the test double, the real kedars metrics API over HTTPS
//! with client-certificate authentication serving a value the test changes, and an HPA with a
//! behavior. The replicas and the HPA's status must be what the real controller would write.
//! Every version of the Deployment and of the HPA is recorded from watches, so the assertions
//! are on sequences and conditions, never on durations.

mod common;

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::Utc;
use common::hpa_sim::{self, MetricsApis, deployments, hpas};
use common::operator::{ObjectHistory, condition, deployment, namespace};
use common::pki::Pki;
use kedars::engine::registry::ServeError;
use kedars::engine::scaled_object::{MetricError, ServedMetric};
use kedars::engine::state::ObjectKey;
use kedars::metrics_api::{MetricsSource, router, server, tls};
use kedars::scalers::MilliQuantity;
use kedars_testcluster::{PatchType, TestCluster};
use serde_json::{Value, json};

const NS: &str = "sim";
const METRIC: &str = "s0-queue";
const WITHIN: Duration = Duration::from_secs(30);

/// The value the metrics API serves for ScaledObject `sim/web`, or the error it reports.
#[derive(Clone)]
struct Served(Arc<Mutex<Result<f64, String>>>);

impl Served {
    fn set(&self, value: Result<f64, &str>) {
        *self.0.lock().unwrap() = value.map_err(String::from);
    }
}

#[async_trait]
impl MetricsSource for Served {
    async fn metric(&self, key: &ObjectKey, metric_name: &str) -> Result<ServedMetric, ServeError> {
        if key != &ObjectKey::new(NS, "web") {
            return Err(ServeError::UnknownScaledObject(key.clone()));
        }
        if metric_name != METRIC {
            return Err(MetricError::NoSuchMetric(metric_name.into()).into());
        }
        match &*self.0.lock().unwrap() {
            Ok(value) => Ok(ServedMetric {
                metric_name: metric_name.into(),
                value: MilliQuantity::from_f64(*value),
                timestamp: Utc::now(),
            }),
            Err(message) => Err(MetricError::Source {
                metric: metric_name.into(),
                message: message.clone(),
            }
            .into()),
        }
    }

    fn is_ready(&self) -> bool {
        true
    }
}

/// The metrics API on 127.0.0.1 over TLS, requiring a client certificate of the aggregator's
/// CA; returns its URL and the aggregator's client.
async fn metrics_api(served: Served, dir: &std::path::Path) -> (String, reqwest::Client) {
    let serving = Pki::new("kedars-serving-ca");
    let aggregator = Pki::new("requestheader-ca");
    let (cert, key) = serving.leaf(&["localhost"]);
    for (file, pem) in [
        ("tls.crt", &cert),
        ("tls.key", &key),
        ("client-ca.crt", &aggregator.ca_pem),
    ] {
        std::fs::write(dir.join(file), pem).unwrap();
    }
    let identity = tls::identity_from_files(&dir.join("tls.crt"), &dir.join("tls.key")).unwrap();
    let client_auth = tls::ClientAuth::SignedBy(vec![dir.join("client-ca.crt")]);
    let config = tls::server_config(identity, &client_auth).unwrap();
    let listener = server::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(Arc::new(served));
    tokio::spawn(server::serve_tls(
        listener,
        config,
        app,
        std::future::pending(),
    ));
    let (cert, key) = aggregator.leaf(&["front-proxy-client"]);
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(serving.ca_pem.as_bytes()).unwrap())
        .resolve("localhost", addr)
        .identity(reqwest::Identity::from_pem(format!("{cert}\n{key}").as_bytes()).unwrap())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    (format!("https://localhost:{}", addr.port()), client)
}

/// An HPA on Deployment `web` as KEDA makes one, with a behavior: up by at most 2 pods per
/// 2 s, down by at most 1 pod per second after a 3 s stabilization window.
fn hpa(name: &str, target: &str) -> Value {
    json!({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "minReplicas": 1, "maxReplicas": 6,
            "metrics": [{"type": "External", "external": {
                "metric": {"name": METRIC, "selector": {"matchLabels": {"scaledobject.keda.sh/name": "web"}}},
                "target": {"type": "AverageValue", "averageValue": "5"}}}],
            "behavior": {
                "scaleUp": {"stabilizationWindowSeconds": 0,
                    "policies": [{"type": "Pods", "value": 2, "periodSeconds": 2}]},
                "scaleDown": {"stabilizationWindowSeconds": 3,
                    "policies": [{"type": "Pods", "value": 1, "periodSeconds": 1}]}
            }
        }
    })
}

/// Polls `check` until it says `Ok`, or panics after `WITHIN` with its last complaint.
async fn wait_for<T>(what: &str, mut check: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + WITHIN;
    loop {
        match check() {
            Ok(value) => return value,
            Err(why) if Instant::now() >= deadline => {
                panic!("{what}: not within {WITHIN:?}: {why}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// `(status, reason)` of one of the HPA's conditions.
fn reason(hpa: &Value, type_: &str) -> (String, String) {
    let c = condition(hpa, type_);
    let text = |f: &str| c[f].as_str().unwrap_or_default().to_string();
    (text("status"), text("reason"))
}

fn is(hpa: &Value, type_: &str, status: &str, why: &str) -> bool {
    reason(hpa, type_) == (status.to_string(), why.to_string())
}

/// The replica counts the Deployment went through since `since`, without repeats.
fn replicas_seen(history: &ObjectHistory, since: Instant) -> Vec<i64> {
    let mut seen: Vec<i64> = Vec::new();
    for d in history.of("web", since) {
        let r = d["spec"]["replicas"].as_i64().unwrap_or(1);
        if seen.last() != Some(&r) {
            seen.push(r);
        }
    }
    seen
}

struct Setup {
    cluster: Arc<TestCluster>,
    served: Served,
    sim: tokio::task::JoinHandle<()>,
    replicas: ObjectHistory,
    statuses: ObjectHistory,
    /// Before the histories started.
    began: Instant,
    dir: std::path::PathBuf,
}

impl Drop for Setup {
    fn drop(&mut self) {
        self.sim.abort();
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

impl Setup {
    async fn start() -> Setup {
        kedars::scalers::tls::install_crypto_provider();
        let dir = std::env::temp_dir().join(common::unique("kedars-hpa-sim"));
        std::fs::create_dir_all(&dir).unwrap();
        let served = Served(Arc::new(Mutex::new(Ok(10.0))));
        let (url, client) = metrics_api(served.clone(), &dir).await;
        let cluster = Arc::new(TestCluster::start().await.unwrap());
        cluster.apply_json(namespace(NS)).unwrap();
        cluster.apply_json(deployment(NS, "web", 2)).unwrap();
        let began = Instant::now();
        let replicas = ObjectHistory::record(&cluster, &deployments(), NS);
        let statuses = ObjectHistory::record(&cluster, &hpas(), NS);
        let apis: MetricsApis = Arc::new(RwLock::new(vec![url]));
        let period = Duration::from_millis(200);
        let sim = tokio::spawn(hpa_sim::run(cluster.clone(), apis, client, period));
        Setup {
            cluster,
            served,
            sim,
            replicas,
            statuses,
            began,
            dir,
        }
    }

    fn replicas(&self, name: &str) -> i64 {
        let d = self.cluster.get_json(&deployments(), NS, name).unwrap();
        d["spec"]["replicas"].as_i64().unwrap_or(1)
    }

    /// Waits until HPA `name` satisfies `check`; returns that HPA.
    async fn wait_status(&self, name: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        wait_for(&format!("{name}: {what}"), || {
            let hpa = self.cluster.get_json(&hpas(), NS, name).unwrap();
            if check(&hpa) {
                Ok(hpa)
            } else {
                Err(format!("status: {:#}", hpa["status"]))
            }
        })
        .await
    }

    /// The first recorded version of the HPA since `since` whose status satisfies `check`.
    fn seen(&self, since: Instant, check: impl Fn(&Value) -> bool) -> Option<Value> {
        self.statuses
            .of("web", since)
            .into_iter()
            .find(|h| check(h))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulated_hpa_scales_and_reports_as_the_real_controller() {
    let s = Setup::start().await;
    s.cluster.apply_json(hpa("web", "web")).unwrap();

    // 10 against 5 per pod with 2 pods: at target.
    let hpa = s
        .wait_status("web", "a first sync", |h| {
            is(h, "ScalingActive", "True", "ValidMetricFound")
        })
        .await;
    assert!(
        is(&hpa, "AbleToScale", "True", "ReadyForNewScale"),
        "{hpa:#}"
    );
    assert!(
        is(&hpa, "ScalingLimited", "False", "DesiredWithinRange"),
        "{hpa:#}"
    );
    let status = &hpa["status"];
    assert_eq!(
        (&status["currentReplicas"], &status["desiredReplicas"]),
        (&json!(2), &json!(2))
    );
    let metric = &status["currentMetrics"][0];
    assert_eq!(metric["type"], "External", "{status:#}");
    assert_eq!(metric["external"]["metric"]["name"], METRIC);
    assert_eq!(metric["external"]["current"]["averageValue"], "5");
    assert!(
        status.get("lastScaleTime").is_none(),
        "no scale yet: {status:#}"
    );
    assert_eq!(
        condition(&hpa, "ScalingActive")["message"],
        "the HPA was able to successfully calculate a replica count from external metric \
         s0-queue(&LabelSelector{MatchLabels:map[string]string{scaledobject.keda.sh/name: web,},\
         MatchExpressions:[]LabelSelectorRequirement{},})"
    );

    // 100: twenty pods wanted; the scale-up policy allows 2 per 2 s, then the maximum binds.
    let up = Instant::now();
    s.served.set(Ok(100.0));
    let hpa = s
        .wait_status("web", "at the maximum", |h| {
            is(h, "ScalingLimited", "True", "TooManyReplicas")
                && h["status"]["currentReplicas"] == 6
        })
        .await;
    assert_eq!(hpa["status"]["desiredReplicas"], 6);
    assert!(hpa["status"]["lastScaleTime"].is_string(), "{hpa:#}");
    assert_eq!(s.replicas("web"), 6);
    assert_eq!(
        replicas_seen(&s.replicas, s.began),
        [2, 4, 6],
        "2 pods per period"
    );
    let limited = s
        .seen(up, |h| is(h, "ScalingLimited", "True", "ScaleUpLimit"))
        .expect("the policy limited the scale-up on the way");
    assert_eq!(
        condition(&limited, "ScalingLimited")["message"],
        "the desired replica count is increasing faster than the maximum scale rate"
    );
    assert!(
        s.seen(up, |h| is(h, "AbleToScale", "True", "SucceededRescale"))
            .is_some(),
        "each rescale is reported"
    );

    // 10 again: two pods wanted; first the 3 s window keeps six, then 1 pod per second.
    let down = Instant::now();
    s.served.set(Ok(10.0));
    s.wait_status("web", "back at two", |h| {
        h["status"]["currentReplicas"] == 2 && is(h, "AbleToScale", "True", "ReadyForNewScale")
    })
    .await;
    assert_eq!(replicas_seen(&s.replicas, s.began), [2, 4, 6, 5, 4, 3, 2]);
    let stabilized = s
        .seen(down, |h| {
            is(h, "AbleToScale", "True", "ScaleDownStabilized")
        })
        .expect("the window held the replicas first");
    assert_eq!(stabilized["status"]["desiredReplicas"], 6, "{stabilized:#}");
    assert!(
        s.seen(down, |h| is(h, "ScalingLimited", "True", "ScaleDownLimit"))
            .is_some(),
        "the scale-down policy limited the way down"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scaled_to_zero_disabled_policies_unreadable_metrics_and_missing_targets() {
    let s = Setup::start().await;
    s.cluster.apply_json(deployment(NS, "fixed", 2)).unwrap();
    // `web` scaled to zero by its owner (KEDA) before the metric asks for twenty pods.
    let zero = json!({"spec": {"replicas": 0}});
    s.cluster
        .patch_json(&deployments(), NS, "web", PatchType::Merge, &zero)
        .unwrap();
    s.served.set(Ok(100.0));
    let mut fixed = hpa("fixed", "fixed");
    fixed["spec"]["behavior"]["scaleUp"]["selectPolicy"] = json!("Disabled");
    for h in [hpa("web", "web"), fixed, hpa("ghost", "nowhere")] {
        s.cluster.apply_json(h).unwrap();
    }

    // The HPA stands aside at zero, whatever the metric says.
    let web = s
        .wait_status("web", "scaling disabled", |h| {
            is(h, "ScalingActive", "False", "ScalingDisabled")
        })
        .await;
    assert!(
        web["status"].get("currentReplicas").is_none(),
        "omitempty: {web:#}"
    );
    assert_eq!(web["status"]["desiredReplicas"], 0);
    assert_eq!(web["status"]["currentMetrics"], Value::Null, "{web:#}");
    assert_eq!(
        condition(&web, "ScalingActive")["message"],
        "scaling is disabled since the replica count of the target is zero"
    );
    assert_eq!(s.replicas("web"), 0, "not scaled up from zero");

    // selectPolicy Disabled: wanting more is limited to the current replicas.
    let hpa = s
        .wait_status("fixed", "scale-up disabled", |h| {
            is(h, "ScalingLimited", "True", "ScaleUpLimit")
        })
        .await;
    assert_eq!(
        (
            &hpa["status"]["currentReplicas"],
            &hpa["status"]["desiredReplicas"]
        ),
        (&json!(2), &json!(2))
    );
    assert!(
        is(&hpa, "ScalingActive", "True", "ValidMetricFound"),
        "{hpa:#}"
    );
    assert!(
        is(&hpa, "AbleToScale", "True", "ReadyForNewScale"),
        "{hpa:#}"
    );
    assert_eq!(s.replicas("fixed"), 2);

    // A target that does not exist: the scale cannot be read, no sync happens.
    let ghost = s
        .wait_status("ghost", "FailedGetScale", |h| {
            is(h, "AbleToScale", "False", "FailedGetScale")
        })
        .await;
    assert_eq!(
        condition(&ghost, "AbleToScale")["message"],
        "the HPA controller was unable to get the target's current scale: \
         deployments.apps \"nowhere\" not found"
    );
    assert!(condition(&ghost, "ScalingActive").is_null(), "{ghost:#}");

    // The metrics API fails: ScalingActive False with upstream's reason; nothing moves, and
    // the unreadable metric leaves an empty entry in currentMetrics, as upstream's does.
    s.served.set(Err("redis: connection refused"));
    let hpa = s
        .wait_status("fixed", "metric failing", |h| {
            is(h, "ScalingActive", "False", "FailedGetExternalMetric")
        })
        .await;
    let message = condition(&hpa, "ScalingActive")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.starts_with(
            "the HPA was unable to compute the replica count: \
             unable to get external metric sim/s0-queue/&LabelSelector{"
        ),
        "{message}"
    );
    assert!(
        message.ends_with(
            "unable to fetch metrics from external metrics API: \
             metric:s0-queue encountered error: redis: connection refused"
        ),
        "{message}"
    );
    assert_eq!(
        hpa["status"]["currentMetrics"],
        json!([{"type": ""}]),
        "{hpa:#}"
    );
    assert_eq!(s.replicas("fixed"), 2);
}

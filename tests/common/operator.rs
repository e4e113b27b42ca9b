//! The end-to-end harness: an API server double, the real `kedars operator` binary as child
//! processes (each with its own log file), the simulated HPA reading their metrics APIs with a
//! client certificate, and helpers to read what the operator wrote.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use kedars_testcluster::{Gvr, PatchType, TestCluster, WatchItem};
use serde_json::{Value, json};

use super::hpa_sim::{self, MetricsApis, deployments, hpas};
use super::pki::Pki;
use super::{free_port, unique};

pub fn scaled_objects() -> Gvr {
    Gvr::new("keda.sh", "v1alpha1", "scaledobjects")
}

pub fn events() -> Gvr {
    Gvr::new("events.k8s.io", "v1", "events")
}

/// How one operator process is started.
#[derive(Debug, Clone)]
pub struct OperatorOptions {
    /// `POD_NAME`: the Lease holder identity and the Events' instance.
    pub name: String,
    /// `Some((namespace, seconds))`: leader election on a Lease there.
    pub lease: Option<(String, u64)>,
    pub env: Vec<(String, String)>,
    /// Ports to reuse (a restarted operator keeps its metrics API address); 0 picks one.
    pub metrics_api_port: u16,
    /// Serve the external metrics API (all-in-one) and have the simulated HPA read it; off in
    /// the split, where only `kedars metrics-server` processes serve it.
    pub serve_metrics_api: bool,
    /// `Some(port)`: serve the metrics feed there (mutual TLS, the Env's feed certificates); 0
    /// picks a port. A restarted operator passes its predecessor's port to be followed.
    pub feed_port: Option<u16>,
}

impl Default for OperatorOptions {
    fn default() -> Self {
        OperatorOptions {
            name: "operator".into(),
            lease: None,
            env: Vec::new(),
            metrics_api_port: 0,
            serve_metrics_api: true,
            feed_port: None,
        }
    }
}

/// A running `kedars operator`; killed (SIGKILL) when dropped.
pub struct Operator {
    child: Child,
    pub name: String,
    pub log: PathBuf,
    /// `http://127.0.0.1:<port>/metrics`
    pub metrics_url: String,
    /// `https://127.0.0.1:<port>` (the external metrics API, all-in-one mode)
    pub metrics_api: String,
    pub metrics_api_port: u16,
    /// The metrics feed's port, when it serves one.
    pub feed_port: Option<u16>,
}

impl Operator {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, then reap: no shutdown code runs.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        self.kill();
    }
}

pub struct Env {
    pub cluster: Arc<TestCluster>,
    pub dir: PathBuf,
    pub operators: Vec<Operator>,
    /// `kedars metrics-server` processes following an operator's feed (the split).
    pub metrics_servers: Vec<MetricsServer>,
    metrics_apis: MetricsApis,
    feed: FeedFiles,
    client_ca: PathBuf,
    /// The aggregator's client (certificate included), as the HPA reads the metrics API.
    pub metrics_client: reqwest::Client,
    hpa: tokio::task::JoinHandle<()>,
    /// Every replica count each Deployment was written with, in order.
    pub history: ReplicaHistory,
    /// The kedars binary the processes run (`kedars_binary()` unless changed).
    pub binary: PathBuf,
}

impl Drop for Env {
    fn drop(&mut self) {
        self.hpa.abort();
        self.operators.clear();
        self.metrics_servers.clear();
        if !std::thread::panicking() {
            std::fs::remove_dir_all(&self.dir).ok();
        } else {
            eprintln!("operator logs kept in {}", self.dir.display());
        }
    }
}

impl Env {
    /// A cluster, the simulated HPA and one operator without leader election.
    pub async fn start() -> Env {
        let mut env = Env::without_operator().await;
        env.spawn(OperatorOptions::default());
        env
    }

    /// A cluster with the CRDs and the simulated HPA; operators are started with `spawn`.
    pub async fn without_operator() -> Env {
        kedars::scalers::tls::install_crypto_provider();
        let cluster = Arc::new(TestCluster::start().await.unwrap());
        let crds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("charts/kedars/crds");
        cluster.load_crds_from_dir(&crds).unwrap();
        let dir = std::env::temp_dir().join(unique("kedars-e2e"));
        std::fs::create_dir_all(&dir).unwrap();
        let aggregator = Pki::new("requestheader-ca");
        let client_ca = dir.join("client-ca.crt");
        std::fs::write(&client_ca, &aggregator.ca_pem).unwrap();
        let (cert, key) = aggregator.leaf(&["front-proxy-client"]);
        let client = reqwest::Client::builder()
            // The operator's serving certificate is self-signed; client authentication is the
            // point.
            .tls_danger_accept_invalid_certs(true)
            .identity(reqwest::Identity::from_pem(format!("{cert}\n{key}").as_bytes()).unwrap())
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let feed = FeedFiles::write(&dir);
        let metrics_apis: MetricsApis = Arc::new(RwLock::new(Vec::new()));
        let hpa = tokio::spawn(hpa_sim::run(
            cluster.clone(),
            metrics_apis.clone(),
            client.clone(),
            Duration::from_secs(1),
        ));
        let history = ReplicaHistory::record(&cluster);
        Env {
            cluster,
            dir,
            operators: Vec::new(),
            metrics_servers: Vec::new(),
            metrics_apis,
            feed,
            client_ca,
            metrics_client: client,
            hpa,
            history,
            binary: kedars_binary(),
        }
    }

    /// Starts one more operator; returns its index in `operators`.
    pub fn spawn(&mut self, options: OperatorOptions) -> usize {
        let index = self.operators.len();
        let log = self.dir.join(format!("{}-{index}.log", options.name));
        let metrics_port = free_port();
        let api_port = match options.metrics_api_port {
            0 => free_port(),
            port => port,
        };
        let file = std::fs::File::create(&log).unwrap();
        let mut command = Command::new(&self.binary);
        command
            .arg("operator")
            .args(["--health-listen", &format!("127.0.0.1:{}", free_port())])
            .args(["--metrics-listen", &format!("127.0.0.1:{metrics_port}")])
            .env("KUBECONFIG", self.cluster.kubeconfig_path())
            .env("WATCH_NAMESPACE", "")
            .env("POD_NAME", &options.name)
            .envs(options.env.iter().map(|(k, v)| (k, v)))
            .stdout(file.try_clone().unwrap())
            .stderr(file);
        match &options.lease {
            Some((namespace, seconds)) => command
                .arg("--leader-elect=true")
                .args(["--lease-namespace", namespace])
                .args(["--lease-seconds", &seconds.to_string()]),
            None => command.arg("--leader-elect=false"),
        };
        if options.serve_metrics_api {
            command
                .args(["--metrics-api-listen", &format!("127.0.0.1:{api_port}")])
                .arg("--requestheader-client-ca-file")
                .arg(&self.client_ca);
        }
        let feed_port = options.feed_port.map(|port| match port {
            0 => free_port(),
            port => port,
        });
        if let Some(port) = feed_port {
            command
                .args(["--feed-listen", &format!("127.0.0.1:{port}")])
                .arg("--feed-cert-file")
                .arg(&self.feed.operator_cert)
                .arg("--feed-key-file")
                .arg(&self.feed.operator_key)
                .arg("--feed-client-ca-file")
                .arg(&self.feed.clients_ca);
        }
        let child = command.spawn().unwrap();
        let metrics_api = format!("https://127.0.0.1:{api_port}");
        if options.serve_metrics_api {
            self.metrics_apis.write().unwrap().push(metrics_api.clone());
        }
        self.operators.push(Operator {
            child,
            name: options.name,
            log,
            metrics_url: format!("http://127.0.0.1:{metrics_port}/metrics"),
            metrics_api,
            metrics_api_port: api_port,
            feed_port,
        });
        index
    }

    /// Starts a `kedars metrics-server` following the feed on `feed_port` (an operator's) with
    /// `grace` (--feed-grace-seconds); the simulated HPA reads it from now on. Returns its index
    /// in `metrics_servers`.
    pub fn spawn_metrics_server(&mut self, feed_port: u16, grace: Duration) -> usize {
        let index = self.metrics_servers.len();
        let log = self.dir.join(format!("metrics-server-{index}.log"));
        let (port, health_port) = (free_port(), free_port());
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(&self.binary)
            .arg("metrics-server")
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--health-listen", &format!("127.0.0.1:{health_port}")])
            .arg("--requestheader-client-ca-file")
            .arg(&self.client_ca)
            .args([
                "--operator-address",
                &format!("https://127.0.0.1:{feed_port}"),
            ])
            .arg("--feed-cert-file")
            .arg(&self.feed.client_cert)
            .arg("--feed-key-file")
            .arg(&self.feed.client_key)
            .arg("--feed-ca-file")
            .arg(&self.feed.operator_ca)
            .args(["--feed-grace-seconds", &grace.as_secs_f64().to_string()])
            .env("POD_NAME", format!("metrics-server-{index}"))
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap();
        let url = format!("https://127.0.0.1:{port}");
        self.metrics_apis.write().unwrap().push(url.clone());
        self.metrics_servers.push(MetricsServer {
            child,
            log,
            url,
            readyz: format!("http://127.0.0.1:{health_port}/readyz"),
        });
        index
    }

    /// SIGKILLs operator `index` (its entry stays, dead) and stops the HPA asking it.
    pub fn kill(&mut self, index: usize) {
        let operator = &mut self.operators[index];
        operator.kill();
        let url = operator.metrics_api.clone();
        self.metrics_apis.write().unwrap().retain(|u| *u != url);
    }

    /// Every operator's and metrics server's log, for failure messages.
    pub fn logs(&self) -> String {
        let operators = self
            .operators
            .iter()
            .map(|o| format!("--- {} ({})\n{}", o.name, o.log.display(), o.log_text()));
        let servers = self.metrics_servers.iter().map(|m| {
            let text = std::fs::read_to_string(&m.log).unwrap_or_default();
            format!("--- metrics server {} ({})\n{text}", m.url, m.log.display())
        });
        operators.chain(servers).collect::<Vec<_>>().join("\n")
    }

    pub fn apply(&self, object: Value) {
        self.cluster.apply_json(object).unwrap();
    }

    /// Polls `check` every 100 ms until it says `Ok`, or panics after `within` with its last
    /// complaint and the operators' logs.
    pub async fn wait<T>(
        &self,
        within: Duration,
        what: &str,
        mut check: impl FnMut() -> Result<T, String>,
    ) -> T {
        let deadline = Instant::now() + within;
        loop {
            match check() {
                Ok(value) => return value,
                Err(why) if Instant::now() >= deadline => {
                    panic!("{what}: not within {within:?}: {why}\n{}", self.logs())
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    pub fn replicas(&self, ns: &str, name: &str) -> i64 {
        self.cluster.get_json(&deployments(), ns, name).unwrap()["spec"]["replicas"]
            .as_i64()
            .unwrap_or(1)
    }

    pub async fn wait_replicas(&self, ns: &str, name: &str, want: i64, within: Duration) {
        self.wait(
            within,
            &format!("{ns}/{name} at {want} replicas"),
            || match self.replicas(ns, name) {
                n if n == want => Ok(()),
                n => Err(format!("at {n}")),
            },
        )
        .await
    }

    /// Asserts the replicas stay `want` for `period`.
    pub async fn hold_replicas(&self, ns: &str, name: &str, want: i64, period: Duration) {
        let end = Instant::now() + period;
        while Instant::now() < end {
            let now = self.replicas(ns, name);
            assert_eq!(
                now,
                want,
                "{ns}/{name} moved from {want} to {now}\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn scaled_object(&self, ns: &str, name: &str) -> Value {
        self.cluster.get_json(&scaled_objects(), ns, name).unwrap()
    }

    /// Waits until the ScaledObject's condition `type_` has `status` and `reason`.
    pub async fn wait_condition(
        &self,
        ns: &str,
        name: &str,
        type_: &str,
        status: &str,
        reason: &str,
        within: Duration,
    ) -> Value {
        self.wait(
            within,
            &format!("{ns}/{name} condition {type_}={status} ({reason})"),
            || {
                let so = self.scaled_object(ns, name);
                let c = condition(&so, type_);
                if c["status"] == status && c["reason"] == reason {
                    Ok(so)
                } else {
                    Err(format!("status: {:#}", so["status"]))
                }
            },
        )
        .await
    }

    /// Merges `annotations` (a null value removes one) into the ScaledObject's.
    pub fn annotate(&self, ns: &str, name: &str, annotations: Value) {
        let patch = json!({"metadata": {"annotations": annotations}});
        self.cluster
            .patch_json(&scaled_objects(), ns, name, PatchType::Merge, &patch)
            .unwrap();
    }

    pub fn hpa(&self, ns: &str, name: &str) -> Option<Value> {
        self.cluster.get_json(&hpas(), ns, name).ok()
    }

    pub fn hpa_count(&self, ns: &str) -> usize {
        self.cluster
            .list_json(&hpas(), Some(ns))
            .unwrap_or_default()
            .len()
    }

    pub fn events(&self, ns: &str) -> Vec<Value> {
        self.cluster
            .list_json(&events(), Some(ns))
            .unwrap_or_default()
    }

    /// The Events about one object with this reason.
    pub fn events_for(&self, ns: &str, name: &str, reason: &str) -> Vec<Value> {
        self.events(ns)
            .into_iter()
            .filter(|e| e["regarding"]["name"] == name && e["reason"] == reason)
            .collect()
    }

    pub async fn wait_event(&self, ns: &str, name: &str, reason: &str, within: Duration) -> Value {
        self.wait(within, &format!("a {reason} event for {ns}/{name}"), || {
            self.events_for(ns, name, reason)
                .into_iter()
                .next()
                .ok_or_else(|| {
                    let reasons: Vec<String> = self
                        .events(ns)
                        .iter()
                        .map(|e| format!("{}:{}", e["regarding"]["name"], e["reason"]))
                        .collect();
                    format!("events: {reasons:?}")
                })
        })
        .await
    }

    /// What the metrics API of operator `index` answers for one external metric, as the HPA
    /// asks: `(status, body)`.
    pub async fn external_metric(
        &self,
        index: usize,
        ns: &str,
        metric: &str,
        scaled_object: &str,
    ) -> (u16, String) {
        let base = self.operators[index].metrics_api.clone();
        self.external_metric_at(&base, ns, metric, scaled_object)
            .await
    }

    /// What the metrics API at `base` (`https://host:port`) answers for one external metric, as
    /// the HPA asks: `(status, body)`.
    pub async fn external_metric_at(
        &self,
        base: &str,
        ns: &str,
        metric: &str,
        scaled_object: &str,
    ) -> (u16, String) {
        let url = format!("{base}/apis/external.metrics.k8s.io/v1beta1/namespaces/{ns}/{metric}");
        let selector = format!("scaledobject.keda.sh/name={scaled_object}");
        let response = self
            .metrics_client
            .get(url)
            .query(&[("labelSelector", selector)])
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.text().await.unwrap_or_default(),
        )
    }

    /// The operator's Prometheus text.
    pub async fn prometheus_text(&self, index: usize) -> String {
        reqwest::get(&self.operators[index].metrics_url)
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

/// Every replica count written to each Deployment, with when it was seen: the simulated
/// cluster's record, read from a watch so that no intermediate value is missed.
#[derive(Clone, Default)]
pub struct ReplicaHistory(Arc<Mutex<Vec<(Instant, String, i64)>>>);

impl ReplicaHistory {
    fn record(cluster: &TestCluster) -> ReplicaHistory {
        let history = ReplicaHistory::default();
        let mut watch = cluster.watch(&deployments(), None, None).unwrap();
        let log = history.0.clone();
        tokio::spawn(async move {
            while let Some(item) = watch.next().await {
                if let WatchItem::Event(_, object) = item {
                    let name = format!(
                        "{}/{}",
                        object["metadata"]["namespace"].as_str().unwrap_or_default(),
                        object["metadata"]["name"].as_str().unwrap_or_default()
                    );
                    let replicas = object["spec"]["replicas"].as_i64().unwrap_or(1);
                    let mut log = log.lock().unwrap();
                    if log
                        .iter()
                        .rev()
                        .find(|(_, n, _)| *n == name)
                        .is_none_or(|(_, _, r)| *r != replicas)
                    {
                        log.push((Instant::now(), name, replicas));
                    }
                }
            }
        });
        history
    }

    /// `(when, replicas)` of each change of `ns/name`, oldest first.
    pub fn of(&self, ns: &str, name: &str) -> Vec<(Instant, i64)> {
        let key = format!("{ns}/{name}");
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, n, _)| *n == key)
            .map(|(t, _, r)| (*t, *r))
            .collect()
    }

    /// The first change of `ns/name` after `since` that satisfies `want`.
    pub fn first_after(
        &self,
        ns: &str,
        name: &str,
        since: Instant,
        want: impl Fn(i64) -> bool,
    ) -> Option<(Instant, i64)> {
        self.of(ns, name)
            .into_iter()
            .find(|(t, r)| *t >= since && want(*r))
    }
}

/// Every version of the objects of one kind in one namespace, as the watch delivered them.
#[derive(Clone, Default)]
pub struct ObjectHistory(Arc<Mutex<Vec<(Instant, Value)>>>);

impl ObjectHistory {
    pub fn record(cluster: &TestCluster, gvr: &Gvr, ns: &str) -> ObjectHistory {
        let history = ObjectHistory::default();
        let mut watch = cluster.watch(gvr, Some(ns), None).unwrap();
        let log = history.0.clone();
        tokio::spawn(async move {
            while let Some(item) = watch.next().await {
                if let WatchItem::Event(_, object) = item {
                    log.lock().unwrap().push((Instant::now(), object));
                }
            }
        });
        history
    }

    /// The versions of `name` seen at or after `since`.
    pub fn of(&self, name: &str, since: Instant) -> Vec<Value> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(t, o)| *t >= since && o["metadata"]["name"] == name)
            .map(|(_, o)| o.clone())
            .collect()
    }
}

pub fn condition<'a>(so: &'a Value, type_: &str) -> &'a Value {
    so["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == type_))
        .unwrap_or(&Value::Null)
}

pub fn namespace(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
}

pub fn deployment(ns: &str, name: &str, replicas: i64) -> Value {
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

/// A ScaledObject on Deployment `name` with `spec` merged over min 0, max 5, polling 1 s,
/// cooldown 2 s.
pub fn scaled_object(ns: &str, name: &str, triggers: Value, spec: Value) -> Value {
    let mut so = json!({
        "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "scaleTargetRef": {"name": name},
            "minReplicaCount": 0, "maxReplicaCount": 5, "pollingInterval": 1, "cooldownPeriod": 2,
            "triggers": triggers,
        }
    });
    if let (Some(base), Some(extra)) = (so["spec"].as_object_mut(), spec.as_object()) {
        for (k, v) in extra {
            base.insert(k.clone(), v.clone());
        }
    }
    so
}

// ---------------------------------------------------------------- redis

pub fn redis_address() -> String {
    std::env::var("KEDARS_TEST_REDIS")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "127.0.0.1:6379".into())
}

/// The password-protected Redis of scripts/test-services.sh (password `kedars-secret`).
pub fn redis_auth_address() -> String {
    std::env::var("KEDARS_TEST_REDIS_AUTH")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "127.0.0.1:6380".into())
}

/// `redis-cli` against `address` (optionally authenticated).
pub fn redis_at(address: &str, password: Option<&str>, args: &[&str]) {
    let (host, port) = address.rsplit_once(':').unwrap();
    let mut command = Command::new("redis-cli");
    command.args(["-h", host, "-p", port]);
    if let Some(password) = password {
        command.env("REDISCLI_AUTH", password);
    }
    let out = command.args(args).stdin(Stdio::null()).output().unwrap();
    assert!(out.status.success(), "redis-cli {args:?}: {out:?}");
}

pub fn redis(args: &[&str]) {
    redis_at(&redis_address(), None, args);
}

/// Appends `n` items to `list`.
pub fn push(list: &str, n: usize) {
    push_at(&redis_address(), None, list, n);
}

pub fn push_at(address: &str, password: Option<&str>, list: &str, n: usize) {
    let items: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    let mut args = vec!["rpush", list];
    args.extend(items.iter().map(String::as_str));
    redis_at(address, password, &args);
}

/// A redis list trigger on `list`, 5 items per replica.
pub fn redis_trigger(list: &str) -> Value {
    json!([{"type": "redis", "metadata": {"address": redis_address(), "listName": list, "listLength": "5"}}])
}

/// The kedars binary the processes run: cargo's (it builds the binary and sets
/// `CARGO_BIN_EXE_kedars` for tests and benches, in their profile), else the one beside the
/// running executable's `deps/` directory.
pub fn kedars_binary() -> PathBuf {
    if let Some(path) = option_env!("CARGO_BIN_EXE_kedars") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().unwrap();
    let beside = exe.parent().and_then(|deps| deps.parent()).unwrap();
    beside.join("kedars")
}

/// The metrics feed's certificates as files: the operator's serving pair and the CA of the
/// metrics servers' client certificates, and a metrics server's client pair and the operator's
/// CA (two CAs, as in a cluster).
struct FeedFiles {
    operator_cert: PathBuf,
    operator_key: PathBuf,
    clients_ca: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
    operator_ca: PathBuf,
}

impl FeedFiles {
    fn write(dir: &std::path::Path) -> FeedFiles {
        let operators = Pki::new("kedars-operator-ca");
        let clients = Pki::new("kedars-metrics-server-ca");
        let (operator_cert, operator_key) = operators.leaf(&["localhost", "127.0.0.1"]);
        let (client_cert, client_key) = clients.leaf(&["metrics-server"]);
        let file = |name: &str, pem: &str| {
            let path = dir.join(name);
            std::fs::write(&path, pem).unwrap();
            path
        };
        FeedFiles {
            operator_cert: file("feed-operator.crt", &operator_cert),
            operator_key: file("feed-operator.key", &operator_key),
            clients_ca: file("feed-clients-ca.crt", &clients.ca_pem),
            client_cert: file("feed-client.crt", &client_cert),
            client_key: file("feed-client.key", &client_key),
            operator_ca: file("feed-operator-ca.crt", &operators.ca_pem),
        }
    }
}

/// A running `kedars metrics-server` following an operator's feed; killed when dropped.
pub struct MetricsServer {
    child: Child,
    pub log: PathBuf,
    /// `https://127.0.0.1:<port>`: its external metrics API.
    pub url: String,
    /// `http://127.0.0.1:<port>/readyz`
    pub readyz: String,
}

impl MetricsServer {
    /// The status /readyz answers (0: no answer).
    pub async fn ready_status(&self) -> u16 {
        match reqwest::get(&self.readyz).await {
            Ok(response) => response.status().as_u16(),
            Err(_) => 0,
        }
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

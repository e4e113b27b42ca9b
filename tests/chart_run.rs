//! The binaries start with exactly the arguments, environment and files the chart gives them.
//!
//! For a variant, the chart is rendered as `helm install` against the Kubernetes API server
//! double (so `lookup` finds the aggregator's CA in kube-system, as in a real cluster), applied to
//! it, and rendered again as `helm upgrade` (the certificates must not change). Each Deployment's
//! container then runs as the kubelet would run it: its args verbatim, with each volume's files
//! under a temporary root (mount paths in the args prefixed with it), its env alone (fieldRefs
//! resolved; the ServiceAccount token stands as a kubeconfig only where it is mounted), and the
//! Service names resolving to 127.0.0.1 (a private /etc/hosts, `unshare -m`). Ports are the
//! rendered objects' own: the probes', and each Service's as its targetPort leads to a
//! containerPort. The test then plays the cluster: a ScaledObject scales its Deployment from
//! zero, gets its HPA, the API server's aggregator reads its metric over the chart's TLS, pausing
//! deletes the HPA, deleting it drops the finalizer — and every request the operator made is
//! allowed by the chart's RBAC, and both wrote their logs in the chart's `logFormat`.

#[path = "common/pki.rs"]
mod pki;
#[path = "chart/rbac.rs"]
mod rbac;
#[path = "chart/support.rs"]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kedars_testcluster::{Gvr, PatchType, TestCluster};
use serde_json::{Value, json};
use support::{Doc, NAMESPACE, RenderOptions, Rendered, fullname, render, tempdir, value};

const KEDARS: &str = env!("CARGO_BIN_EXE_kedars");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A started container; killed when dropped.
struct Running {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Running {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn assert_alive(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited ({status}):\n{}", self.name, self.log());
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Deployment's only container, as the kubelet would start it.
struct Container {
    pod_name: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    /// The ServiceAccount token is mounted (`automountServiceAccountToken`).
    token: bool,
    /// Files of the mounted volumes, by absolute path inside the container.
    files: BTreeMap<String, Vec<u8>>,
    mount_paths: Vec<String>,
}

fn container_of(rendered: &Rendered, deployment: &str) -> Container {
    let doc = rendered.get("Deployment", deployment);
    let pod = &doc.object["spec"]["template"]["spec"];
    let containers = pod["containers"].as_array().unwrap();
    assert_eq!(containers.len(), 1, "{deployment}: one container");
    let c = &containers[0];
    // The image's ENTRYPOINT is the binary (tests/chart/test_dockerfile.py): the chart gives its
    // arguments only, which is what runs here.
    assert!(
        c.get("command").is_none(),
        "{deployment}: a `command` replaces the image's entrypoint"
    );
    let pod_name = format!("{deployment}-5d8f7c9b6-x2x9z");
    let env = c["env"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let name = e["name"].as_str().unwrap().to_string();
            let value = match (&e["value"], &e["valueFrom"]["fieldRef"]["fieldPath"]) {
                (Value::String(v), _) => v.clone(),
                (_, Value::String(field)) if field == "metadata.namespace" => NAMESPACE.into(),
                (_, Value::String(field)) if field == "metadata.name" => pod_name.clone(),
                other => panic!("{deployment}: env {name}: cannot resolve {other:?}"),
            };
            (name, value)
        })
        .collect();
    let mut files = BTreeMap::new();
    let mut mount_paths = Vec::new();
    for mount in c["volumeMounts"].as_array().into_iter().flatten() {
        let path = mount["mountPath"].as_str().unwrap().to_string();
        let volume = pod["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == mount["name"])
            .unwrap();
        let content: BTreeMap<String, Vec<u8>> =
            if let Some(name) = volume["secret"]["secretName"].as_str() {
                let secret: Secret =
                    serde_json::from_value(rendered.get("Secret", name).object.clone()).unwrap();
                secret
                    .data
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k, v.0))
                    .collect()
            } else if let Some(name) = volume["configMap"]["name"].as_str() {
                let map: ConfigMap =
                    serde_json::from_value(rendered.get("ConfigMap", name).object.clone()).unwrap();
                map.data
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k, v.into_bytes()))
                    .collect()
            } else {
                panic!("{deployment}: volume {volume} is neither a Secret nor a ConfigMap")
            };
        for (key, bytes) in content {
            files.insert(format!("{path}/{key}"), bytes);
        }
        mount_paths.push(path);
    }
    Container {
        pod_name,
        args: c["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect(),
        env,
        token: pod["automountServiceAccountToken"] != false,
        files,
        mount_paths,
    }
}

impl Container {
    /// The args with every mount path moved under `root`.
    fn args_under(&self, root: &Path) -> Vec<String> {
        self.args
            .iter()
            .map(|arg| {
                self.mount_paths.iter().fold(arg.clone(), |arg, mount| {
                    arg.replace(
                        &format!("={mount}/"),
                        &format!("={}{mount}/", root.display()),
                    )
                })
            })
            .collect()
    }

    fn write_files(&self, root: &Path) {
        for (path, bytes) in &self.files {
            let file = root.join(path.trim_start_matches('/'));
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, bytes).unwrap();
        }
    }

    /// Runs it with only its env (plus a kubeconfig standing for the mounted token) and `hosts`
    /// as /etc/hosts.
    fn start(&self, name: &str, kubeconfig: &Path, hosts: &Path) -> Running {
        let root = tempdir(&format!("kedars-pod-{name}"));
        self.write_files(&root);
        let log = root.join("log");
        let mut env: Vec<String> = self.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if self.token {
            env.push(format!("KUBECONFIG={}", kubeconfig.display()));
        }
        let rootless = !std::fs::read_to_string("/proc/self/status")
            .unwrap_or_default()
            .lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"));
        let mut command = Command::new("unshare");
        if rootless {
            command.arg("--map-root-user");
        }
        command
            .args(["--mount", "--", "sh", "-c"])
            .arg("mount --bind \"$1\" /etc/hosts && shift && exec env -i \"$@\"")
            .arg("sh")
            .arg(hosts)
            .args(env)
            .arg(KEDARS)
            .args(self.args_under(&root))
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run unshare (util-linux) for {name}: {e}"));
        Running {
            name: name.to_string(),
            child,
            log,
        }
    }
}

/// Polls `check` every 100 ms until it returns Some, for at most `seconds`.
async fn eventually<T>(
    what: &str,
    seconds: u64,
    running: &mut [&mut Running],
    mut check: impl AsyncFnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        for r in running.iter_mut() {
            r.assert_alive();
        }
        if Instant::now() > deadline {
            let logs: Vec<String> = running
                .iter()
                .map(|r| format!("--- {}:\n{}", r.name, r.log()))
                .collect();
            panic!("timed out waiting for {what}\n{}", logs.join("\n"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn alive<'a>(op: &'a mut Running, ms: &'a mut Option<Running>) -> Vec<&'a mut Running> {
    let mut out = vec![op];
    out.extend(ms.as_mut());
    out
}

fn gvr(group: &str, version: &str, resource: &str) -> Gvr {
    Gvr::new(group, version, resource)
}

/// A container port of a Deployment's container: `port` is a number or a port's name.
fn container_port(deployment: &Doc, port: &Value) -> u16 {
    let c = &deployment.object["spec"]["template"]["spec"]["containers"][0];
    let number = match port {
        Value::Number(n) => n.as_u64(),
        Value::String(name) => c["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == name.as_str())
            .and_then(|p| p["containerPort"].as_u64()),
        _ => None,
    };
    let number =
        number.unwrap_or_else(|| panic!("{}: no container port {port}", deployment.name()));
    u16::try_from(number).unwrap()
}

/// Where the kubelet sends a Deployment's `probe` (`livenessProbe`, `readinessProbe`).
fn probe_url(rendered: &Rendered, deployment: &str, probe: &str) -> String {
    let doc = rendered.get("Deployment", deployment);
    let get = &doc.object["spec"]["template"]["spec"]["containers"][0][probe]["httpGet"];
    assert!(
        get["scheme"].is_null() || get["scheme"] == "HTTP",
        "{deployment}: {probe}: {get}"
    );
    let path = get["path"].as_str().unwrap();
    format!(
        "http://127.0.0.1:{}{path}",
        container_port(doc, &get["port"])
    )
}

/// The container port a Service's `port` leads to: its targetPort, on the one Deployment whose
/// pods the Service selects.
fn through_service(rendered: &Rendered, service: &str, port: u64) -> u16 {
    let spec = &rendered.get("Service", service).object["spec"];
    let entry = spec["ports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["port"] == port)
        .unwrap_or_else(|| panic!("Service {service} has no port {port}"));
    let selector = spec["selector"].as_object().unwrap();
    let selected: Vec<&Doc> = rendered
        .of_kind("Deployment")
        .filter(|d| {
            let labels = &d.object["spec"]["template"]["metadata"]["labels"];
            selector.iter().all(|(k, v)| &labels[k] == v)
        })
        .collect();
    assert_eq!(
        selected.len(),
        1,
        "Service {service} selects the pods of one Deployment"
    );
    let target = match &entry["targetPort"] {
        Value::Null => &entry["port"],
        target => target,
    };
    container_port(selected[0], target)
}

/// The port of a URL-like address (`https://host:port`) and its host.
fn host_and_port(address: &str) -> (&str, u64) {
    let authority = address.rsplit("://").next().unwrap();
    let (host, port) = authority.rsplit_once(':').unwrap();
    (host, port.parse().unwrap())
}

/// The value of a `--flag=value` argument.
fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .find_map(|a| a.strip_prefix(&format!("--{name}=")))
}

/// A line of tracing's plain-text layout: `2026-01-01T00:00:00.000000Z  INFO target: message`.
fn is_text_log_line(line: &str) -> bool {
    let mut words = line.split_whitespace();
    let time = words.next().unwrap_or_default();
    let level = words.next().unwrap_or_default();
    time.contains('T')
        && time.ends_with('Z')
        && ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"].contains(&level)
}

/// The container logged in `format` (the chart's `logFormat`): its log lines are JSON objects or
/// plain text, never the other.
fn assert_log_format(running: &Running, format: &str) {
    let log = running.log();
    let json = log
        .lines()
        .filter(|l| {
            serde_json::from_str::<Value>(l)
                .is_ok_and(|v| v["level"].is_string() && v["timestamp"].is_string())
        })
        .count();
    let text = log.lines().filter(|l| is_text_log_line(l)).count();
    let (wanted, other) = match format {
        "json" => (json, text),
        "text" => (text, json),
        other => panic!("unknown logFormat {other}"),
    };
    assert!(
        wanted > 0 && other == 0,
        "{}: logFormat {format}, but {json} JSON and {text} text log lines:\n{log}",
        running.name
    );
}

async fn render_against(
    cluster: &TestCluster,
    variant: &'static str,
    extra: Value,
    upgrade: bool,
) -> Rendered {
    let kubeconfig = cluster.kubeconfig_path();
    tokio::task::spawn_blocking(move || {
        render(&RenderOptions {
            only: Some(variant),
            extra: Some(&extra),
            kubeconfig: Some(&kubeconfig),
            upgrade,
        })
        .pop()
        .unwrap()
    })
    .await
    .unwrap()
}

/// Applies what the double serves; returns the kinds it does not (PDB, NetworkPolicy, ...).
fn apply(cluster: &TestCluster, rendered: &Rendered) -> BTreeSet<String> {
    let mut skipped = BTreeSet::new();
    for doc in &rendered.docs {
        if doc.kind() == "CustomResourceDefinition" {
            continue;
        }
        if let Err(e) = cluster.apply_json(doc.object.clone()) {
            let message = format!("{e:?}");
            assert!(
                message.contains("is registered"),
                "{}: the API server double refused {} {}: {message}",
                rendered.variant,
                doc.kind(),
                doc.name()
            );
            skipped.insert(doc.kind().to_string());
        }
    }
    skipped
}

fn certificate_material(rendered: &Rendered) -> Vec<Value> {
    let mut out: Vec<Value> = rendered
        .of_kind("Secret")
        .map(|d| d.object["data"].clone())
        .collect();
    out.push(
        rendered
            .get("APIService", "v1beta1.external.metrics.k8s.io")
            .object["spec"]["caBundle"]
            .clone(),
    );
    out
}

/// The workload of a teacher: a stream Deployment at zero, its settings and credentials, and a
/// ScaledObject whose class timetable is always on (start and end fire together: KEDA's rule
/// makes that always active), referring to a TriggerAuthentication and a
/// ClusterTriggerAuthentication so that every referenced kind is read.
fn workload(cluster: &TestCluster, namespace: &str, objects_namespace: &str) {
    let objects = [
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}),
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "stream-credentials", "namespace": namespace},
               "stringData": {"token": "s3cret"}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "stream-settings", "namespace": namespace},
               "data": {"region": "eu"}}),
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "shared-credentials", "namespace": objects_namespace},
               "stringData": {"token": "sh4red"}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "stream", "namespace": namespace},
               "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "stream"}},
                        "template": {"metadata": {"labels": {"app": "stream"}},
                                     "spec": {"containers": [{"name": "stream", "image": "stream:1",
                                              "envFrom": [{"configMapRef": {"name": "stream-settings"}}],
                                              "env": [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "stream-credentials", "key": "token"}}}]}]}}}}),
        json!({"apiVersion": "keda.sh/v1alpha1", "kind": "TriggerAuthentication",
               "metadata": {"name": "stream-auth", "namespace": namespace},
               "spec": {"secretTargetRef": [{"parameter": "token", "name": "stream-credentials", "key": "token"}]}}),
        json!({"apiVersion": "keda.sh/v1alpha1", "kind": "ClusterTriggerAuthentication",
               "metadata": {"name": "shared-auth"},
               "spec": {"secretTargetRef": [{"parameter": "token", "name": "shared-credentials", "key": "token"}]}}),
        json!({"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
               "metadata": {"name": "lectures", "namespace": namespace},
               "spec": {"scaleTargetRef": {"name": "stream"}, "minReplicaCount": 0, "pollingInterval": 1,
                        "triggers": [
                          {"type": "cron", "authenticationRef": {"name": "stream-auth"},
                           "metadata": {"timezone": "Asia/Shanghai", "start": "*/1 * * * *", "end": "* * * * *", "desiredReplicas": "3"}},
                          {"type": "cron", "authenticationRef": {"name": "shared-auth", "kind": "ClusterTriggerAuthentication"},
                           "metadata": {"timezone": "Europe/Paris", "start": "*/1 * * * *", "end": "* * * * *", "desiredReplicas": "2"}}]}}),
    ];
    for object in objects {
        cluster
            .apply_json(object.clone())
            .unwrap_or_else(|e| panic!("{object}: {e:?}"));
    }
}

async fn http_ok(url: &str) -> bool {
    matches!(reqwest::get(url).await, Ok(r) if r.status() == 200)
}

/// Installs `variant`, starts its containers, and plays a ScaledObject's life through them.
async fn run(variant: &'static str, overrides: Value) {
    kedars::scalers::tls::install_crypto_provider();
    let cluster = TestCluster::start().await.unwrap();
    cluster
        .load_crds_from_dir(&support::root().join("charts/kedars/crds"))
        .unwrap();
    cluster
        .apply_json(
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}),
        )
        .unwrap();
    // The API server's aggregator: its client CA, published where every cluster publishes it.
    let aggregator = pki::Pki::new("front-proxy-ca");
    cluster
        .apply_json(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "extension-apiserver-authentication", "namespace": "kube-system"},
            "data": {"requestheader-client-ca-file": aggregator.ca_pem}}))
        .unwrap();
    let ports = json!({
        "operator": {"ports": {"health": free_port(), "metrics": free_port(), "feed": free_port(), "metricsApi": free_port()}},
        "metricsServer": {"port": free_port(), "healthPort": free_port()},
    });
    let extra = support_merge(ports, overrides);
    // The teachers' namespace (watched by some variants) exists before the chart's Roles.
    cluster
        .apply_json(
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "classroom"}}),
        )
        .unwrap();
    let installed = render_against(&cluster, variant, extra.clone(), false).await;
    let skipped = apply(&cluster, &installed);
    let upgraded = render_against(&cluster, variant, extra, true).await;
    assert_eq!(
        certificate_material(&installed),
        certificate_material(&upgraded),
        "{variant}: an upgrade must keep the certificates"
    );
    let values = &installed.values;
    let full = fullname(values);
    assert_eq!(
        installed
            .get("ConfigMap", &format!("{full}-requestheader-ca"))
            .object["data"]["ca.crt"],
        aggregator.ca_pem.as_str(),
        "{variant}: the aggregator's CA comes from kube-system"
    );
    eprintln!("{variant}: the double does not serve {skipped:?}");

    let hosts = tempdir("kedars-hosts").join("hosts");
    let mut names = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    for service in [
        format!("{full}-operator"),
        format!("{full}-metrics-apiserver"),
    ] {
        names.push_str(&format!(
            "\n127.0.0.1 {service} {service}.{NAMESPACE} {service}.{NAMESPACE}.svc\n"
        ));
    }
    std::fs::write(&hosts, names).unwrap();
    let kubeconfig = cluster.kubeconfig_path();
    let all_in_one = value(values, "allInOne") == true;
    let operator_name = format!("{full}-operator");
    let server_name = format!("{full}-metrics-apiserver");
    // Every port as the cluster would reach it: the probes', and through the Services.
    let operator_alive = probe_url(&installed, &operator_name, "livenessProbe");
    let operator_ready = probe_url(&installed, &operator_name, "readinessProbe");
    let metrics_service_port = installed.get("Service", &operator_name).object["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "metrics")
        .and_then(|p| p["port"].as_u64())
        .expect("the operator Service's metrics port");
    let metrics_port = through_service(&installed, &operator_name, metrics_service_port);
    let api_service = &installed
        .get("APIService", "v1beta1.external.metrics.k8s.io")
        .object["spec"]["service"];
    let api_port = through_service(
        &installed,
        api_service["name"].as_str().unwrap(),
        api_service["port"].as_u64().unwrap(),
    );

    let requests_before = cluster.requests().len();
    let operator = container_of(&installed, &operator_name);
    let mut op = operator.start("operator", &kubeconfig, &hosts);
    let mut ms = (!all_in_one).then(|| {
        let server = container_of(&installed, &server_name);
        assert!(!server.token, "the metrics server needs no API access");
        // It dials the operator's Service; here that name is 127.0.0.1, so the port it dials
        // must be the one the Service leads to.
        let address = flag(&server.args, "operator-address").expect("--operator-address");
        let (host, port) = host_and_port(address);
        assert_eq!(host, format!("{operator_name}.{NAMESPACE}.svc"));
        assert_eq!(
            u64::from(through_service(&installed, &operator_name, port)),
            port,
            "the operator Service's feed port is its container's"
        );
        server.start("metrics-server", &kubeconfig, &hosts)
    });

    eventually(
        "the operator's liveness probe",
        20,
        &mut alive(&mut op, &mut ms),
        async || http_ok(&operator_alive).await.then_some(()),
    )
    .await;
    let lease_name = value(values, "operator.leaderElection.leaseName")
        .as_str()
        .unwrap();
    let leases = gvr("coordination.k8s.io", "v1", "leases");
    let lease = eventually(
        "the Lease in the release namespace",
        30,
        &mut alive(&mut op, &mut ms),
        async || cluster.get_json(&leases, NAMESPACE, lease_name).ok(),
    )
    .await;
    assert_eq!(lease["spec"]["holderIdentity"], operator.pod_name.as_str());
    assert!(http_ok(&format!("http://127.0.0.1:{metrics_port}/metrics")).await);
    if !all_in_one {
        // The metrics server's probes: alive at once, ready once the leader's feed delivered.
        let alive_url = probe_url(&installed, &server_name, "livenessProbe");
        let ready_url = probe_url(&installed, &server_name, "readinessProbe");
        eventually(
            "the metrics server's liveness and readiness probes",
            30,
            &mut alive(&mut op, &mut ms),
            async || (http_ok(&alive_url).await && http_ok(&ready_url).await).then_some(()),
        )
        .await;
    }

    let watched = value(values, "watchNamespace").as_str().unwrap_or_default();
    let namespace = if watched.is_empty() {
        "classroom"
    } else {
        watched.split(',').next().unwrap().trim()
    };
    let objects_namespace = match value(values, "clusterObjectNamespace").as_str() {
        Some("") | None => NAMESPACE,
        Some(ns) => ns,
    };
    workload(&cluster, namespace, objects_namespace);

    let hpas = gvr("autoscaling", "v2", "horizontalpodautoscalers");
    let hpa = eventually("the HPA", 30, &mut alive(&mut op, &mut ms), async || {
        cluster.get_json(&hpas, namespace, "keda-hpa-lectures").ok()
    })
    .await;
    let deployments = gvr("apps", "v1", "deployments");
    eventually(
        "the Deployment scaled from zero",
        30,
        &mut alive(&mut op, &mut ms),
        async || {
            let d = cluster.get_json(&deployments, namespace, "stream").ok()?;
            (d["spec"]["replicas"].as_i64()? >= 1).then_some(())
        },
    )
    .await;

    // The aggregator's request, over the chart's TLS: the server proves the Service's name with
    // the APIService's CA, the aggregator its proxy certificate.
    let ca = installed
        .get("APIService", "v1beta1.external.metrics.k8s.io")
        .object["spec"]["caBundle"]
        .as_str()
        .map(|b| {
            let bytes: k8s_openapi::ByteString = serde_json::from_value(json!(b)).unwrap();
            bytes.0
        })
        .expect("caBundle");
    let (cert, key) = aggregator.leaf(&["front-proxy-client"]);
    let service = format!(
        "{}.{}.svc",
        api_service["name"].as_str().unwrap(),
        api_service["namespace"].as_str().unwrap()
    );
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
        .identity(reqwest::Identity::from_pem(format!("{cert}\n{key}").as_bytes()).unwrap())
        .resolve(&service, SocketAddr::from(([127, 0, 0, 1], api_port)))
        .build()
        .unwrap();
    let metric = hpa["spec"]["metrics"][0]["external"]["metric"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let url = format!(
        "https://{service}:{api_port}/apis/external.metrics.k8s.io/v1beta1/namespaces/{namespace}/{metric}\
         ?labelSelector=scaledobject.keda.sh%2Fname%3Dlectures"
    );
    let body: Value = eventually(
        "the metric through the aggregator's eyes",
        30,
        &mut alive(&mut op, &mut ms),
        async || {
            let response = client.get(&url).send().await.ok()?;
            if response.status() != 200 {
                return None;
            }
            let body: Value = response.json().await.ok()?;
            body["items"][0]["value"].is_string().then_some(body)
        },
    )
    .await;
    assert_eq!(body["items"][0]["metricName"], metric.as_str(), "{body}");

    let ready = {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if http_ok(&operator_ready).await {
                break true;
            }
            if Instant::now() > deadline {
                break false;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };

    // Pausing deletes the HPA; deleting the ScaledObject drops the finalizer.
    let scaled_objects = gvr("keda.sh", "v1alpha1", "scaledobjects");
    cluster
        .patch_json(
            &scaled_objects,
            namespace,
            "lectures",
            PatchType::Merge,
            &json!({"metadata": {"annotations": {"autoscaling.keda.sh/paused": "true"}}}),
        )
        .unwrap();
    eventually(
        "the HPA deleted on pause",
        30,
        &mut alive(&mut op, &mut ms),
        async || {
            cluster
                .get_json(&hpas, namespace, "keda-hpa-lectures")
                .is_err()
                .then_some(())
        },
    )
    .await;
    cluster
        .delete_json(&scaled_objects, namespace, "lectures")
        .unwrap();
    eventually(
        "the ScaledObject gone (finalizer removed)",
        30,
        &mut alive(&mut op, &mut ms),
        async || {
            cluster
                .get_json(&scaled_objects, namespace, "lectures")
                .is_err()
                .then_some(())
        },
    )
    .await;

    // Stopped as the kubelet stops it (SIGTERM), the leader hands its Lease back.
    let pid = op.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    eventually("the Lease released", 20, &mut [], async || {
        let lease = cluster.get_json(&leases, NAMESPACE, lease_name).ok()?;
        lease["spec"]["holderIdentity"].is_null().then_some(())
    })
    .await;

    // Every request of the operator is allowed by the chart's rules for its ServiceAccount.
    let sa = installed
        .get("Deployment", &format!("{full}-operator"))
        .object["spec"]["template"]["spec"]["serviceAccountName"]
        .as_str()
        .unwrap()
        .to_string();
    let rules = rbac::rules_of(&installed, NAMESPACE, &sa);
    let made: BTreeSet<rbac::Attributes> = cluster.requests()[requests_before..]
        .iter()
        .filter_map(|r| rbac::attributes(r))
        .collect();
    let denied: Vec<String> = made
        .iter()
        .filter(|a| !rbac::permits(&rules, a))
        .map(|a| a.to_string())
        .collect();
    assert!(
        denied.is_empty(),
        "{variant}: the operator made requests its RBAC forbids:\n  {}\nall requests:\n  {}",
        denied.join("\n  "),
        made.iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join("\n  ")
    );
    // The scenario reached every kind of call in chart_rbac.rs's table.
    let verbs: BTreeSet<(String, String)> = made
        .iter()
        .map(|a| (a.resource.clone(), a.verb.clone()))
        .collect();
    for (resource, verb) in [
        ("scaledobjects", "list"),
        ("scaledobjects", "watch"),
        ("scaledobjects", "patch"),
        ("scaledobjects/status", "patch"),
        ("triggerauthentications", "get"),
        ("clustertriggerauthentications", "get"),
        ("horizontalpodautoscalers", "list"),
        ("horizontalpodautoscalers", "watch"),
        ("horizontalpodautoscalers", "patch"),
        ("horizontalpodautoscalers", "delete"),
        ("deployments", "get"),
        ("deployments/scale", "get"),
        ("deployments/scale", "patch"),
        ("secrets", "get"),
        ("configmaps", "get"),
        ("events", "create"),
        ("leases", "get"),
        ("leases", "create"),
        ("leases", "update"),
    ] {
        assert!(
            verbs.contains(&(resource.to_string(), verb.to_string())),
            "{variant}: the scenario never made a {verb} on {resource}; made: {verbs:?}"
        );
    }
    let log_format = value(values, "logFormat").as_str().unwrap();
    assert_log_format(&op, log_format);
    if let Some(ms) = &ms {
        assert_log_format(ms, log_format);
    }
    // Asserted last, so that everything else is known to work when it fails: the readiness
    // probe's endpoint answered once the operator led and its watches had synced.
    assert!(
        ready,
        "{variant}: the operator's /readyz never answered 200 while it led and reconciled"
    );
}

fn support_merge(mut base: Value, over: Value) -> Value {
    if let (Some(b), Value::Object(o)) = (base.as_object_mut(), over.clone()) {
        for (k, v) in o {
            let merged = match b.remove(&k) {
                Some(existing) if existing.is_object() && v.is_object() => {
                    support_merge(existing, v)
                }
                _ => v,
            };
            b.insert(k, merged);
        }
        return base;
    }
    over
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn split_mode_runs_as_rendered() {
    run("default", json!({})).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn all_in_one_runs_as_rendered() {
    // The chart's own certificates: no cert-manager runs here.
    run(
        "all-in-one",
        json!({"certificates": {"certManager": {"enabled": false}}}),
    )
    .await;
}

/// Every variant's arguments parse: run without a cluster or files, each binary fails on what is
/// missing (the API server, the certificate), never on its command line.
#[test]
fn every_variants_arguments_parse() {
    for rendered in render(&RenderOptions::default()) {
        for doc in rendered.of_kind("Deployment") {
            let container = container_of_offline(doc);
            let out = Command::new(KEDARS)
                .args(&container.0)
                .env_clear()
                .envs(container.1.iter().cloned())
                .env("KUBECONFIG", "/nonexistent/kubeconfig")
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            let expected = match container.0[0].as_str() {
                "operator" => "cannot reach the Kubernetes API",
                "metrics-server" => "cannot read /certs/tls.crt",
                other => panic!("{}: unexpected command {other}", rendered.variant),
            };
            assert!(
                stderr.contains(expected) && out.status.code() == Some(2),
                "{}: {}: {:?}\n{stderr}",
                rendered.variant,
                doc.name(),
                container.0
            );
        }
    }
}

/// Args and plain env of a Deployment's container (fieldRefs as placeholders).
fn container_of_offline(doc: &Doc) -> (Vec<String>, Vec<(String, String)>) {
    let c = &doc.object["spec"]["template"]["spec"]["containers"][0];
    let args = c["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    let env = c["env"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["value"].as_str().unwrap_or("from-field").to_string(),
            )
        })
        .collect();
    (args, env)
}

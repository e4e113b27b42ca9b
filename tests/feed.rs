//! The metrics feed over real sockets: an operator-side hub and gRPC server in this process,
//! metrics-server clients with certificates from a test PKI.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::pki::Pki;
use kedars::engine::registry::ServeError;
use kedars::engine::state::ObjectKey;
use kedars::feed::client::{Backoff, ClientTls, FeedClient, FeedClientConfig};
use kedars::feed::hub::FeedHub;
use kedars::feed::proto::metric_value::Result as WireResult;
use kedars::feed::proto::metrics_feed_client::MetricsFeedClient;
use kedars::feed::proto::{MetricValue, ObjectValues, SubscribeRequest};
use kedars::feed::server::{self, ServerTls};
use kedars::metrics_api::MetricsSource;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};

/// The operator's CA (its serving certificate) and the metrics servers' CA (their client
/// certificates), as in a cluster.
struct Certs {
    operator: Pki,
    clients: Pki,
}

impl Certs {
    fn new() -> Certs {
        Certs {
            operator: Pki::new("kedars-operator-ca"),
            clients: Pki::new("kedars-metrics-server-ca"),
        }
    }

    fn server_tls(&self) -> ServerTls {
        let (cert, key) = self.operator.leaf(&["localhost", "127.0.0.1"]);
        ServerTls {
            cert_pem: cert.into_bytes(),
            key_pem: key.into_bytes(),
            client_ca_pem: self.clients.ca_pem.clone().into_bytes(),
        }
    }

    fn client_tls(&self) -> ClientTls {
        let (cert, key) = self.clients.leaf(&["metrics-server"]);
        ClientTls {
            ca_pem: self.operator.ca_pem.clone().into_bytes(),
            cert_pem: cert.into_bytes(),
            key_pem: key.into_bytes(),
        }
    }
}

/// A feed server running until stopped.
struct Operator {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Operator {
    async fn start(addr: SocketAddr, hub: Arc<FeedHub>, tls: ServerTls) -> Operator {
        let listener = TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(async move {
            server::serve(listener, hub, &tls, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Operator {
            addr,
            stop: Some(stop),
            task,
        }
    }

    /// Stops serving and waits until the port is free again.
    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(5), &mut self.task)
            .await
            .expect("the feed server stops although streams are open")
            .unwrap();
    }
}

fn values(name: &str, metric: &str, result: WireResult) -> ObjectValues {
    ObjectValues {
        namespace: "classroom".into(),
        name: name.into(),
        metrics: vec![MetricValue {
            name: metric.into(),
            result: Some(result),
            timestamp_seconds: 1_800_000_000,
        }],
    }
}

fn client(addr: SocketAddr, tls: ClientTls, grace: Duration) -> Arc<FeedClient> {
    FeedClient::start(FeedClientConfig {
        address: format!("https://127.0.0.1:{}", addr.port()),
        tls,
        subscriber: "test".into(),
        grace,
        backoff: Backoff {
            first: Duration::from_millis(50),
            max: Duration::from_millis(200),
        },
    })
    .unwrap()
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn value(source: &FeedClient, name: &str, metric: &str) -> Result<String, ServeError> {
    let key = ObjectKey::new("classroom", name);
    source
        .metric(&key, metric)
        .await
        .map(|m| m.value.to_string())
}

#[tokio::test]
async fn pushed_values_and_errors_are_served_from_memory() {
    let certs = Certs::new();
    let hub = Arc::new(FeedHub::default());
    hub.polled(values(
        "lectures",
        "s0-cron",
        WireResult::Quantity("3".into()),
    ));
    let operator = Operator::start(
        "127.0.0.1:0".parse().unwrap(),
        hub.clone(),
        certs.server_tls(),
    )
    .await;
    let feed = client(operator.addr, certs.client_tls(), Duration::from_secs(5));
    until("the snapshot", || feed.is_ready()).await;
    assert_eq!(value(&feed, "lectures", "s0-cron").await.unwrap(), "3");

    hub.polled(values(
        "labs",
        "s0-redis-queue",
        WireResult::Quantity("1500m".into()),
    ));
    hub.polled(values(
        "lectures",
        "s0-cron",
        WireResult::Error("redis: connection refused".into()),
    ));
    let mut served = None;
    until("the pushed error", || {
        served = futures::executor::block_on(value(&feed, "lectures", "s0-cron")).err();
        served.is_some()
    })
    .await;
    assert_eq!(
        served.unwrap().to_string(),
        "metric:s0-cron encountered error: redis: connection refused"
    );
    assert_eq!(
        value(&feed, "labs", "s0-redis-queue").await.unwrap(),
        "1500m"
    );
    assert!(matches!(
        value(&feed, "gone", "s0-cron").await,
        Err(ServeError::UnknownScaledObject(_))
    ));
    hub.remove(&ObjectKey::new("classroom", "labs"));
    until("the removal", || {
        futures::executor::block_on(value(&feed, "labs", "s0-redis-queue")).is_err()
    })
    .await;
    operator.stop().await;
}

/// Subscribes with a raw client: `identity` None means no client certificate at all.
async fn subscribe_as(
    addr: SocketAddr,
    operator_ca: &str,
    identity: Option<(String, String)>,
) -> Result<(), String> {
    let mut tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(operator_ca));
    if let Some((cert, key)) = identity {
        tls = tls.identity(Identity::from_pem(cert, key));
    }
    let endpoint = Endpoint::from_shared(format!("https://127.0.0.1:{}", addr.port()))
        .unwrap()
        .tls_config(tls)
        .map_err(|e| e.to_string())?;
    let channel = endpoint.connect().await.map_err(|e| e.to_string())?;
    let request = SubscribeRequest {
        subscriber: "intruder".into(),
    };
    let mut stream = MetricsFeedClient::new(channel)
        .subscribe(request)
        .await
        .map_err(|e| e.to_string())?
        .into_inner();
    stream.message().await.map_err(|e| e.to_string())?;
    Ok(())
}

#[tokio::test]
async fn clients_without_a_certificate_from_the_clients_ca_are_refused() {
    kedars::scalers::tls::install_crypto_provider();
    let certs = Certs::new();
    let hub = Arc::new(FeedHub::default());
    let operator = Operator::start("127.0.0.1:0".parse().unwrap(), hub, certs.server_tls()).await;
    let ca = certs.operator.ca_pem.clone();
    assert!(
        subscribe_as(operator.addr, &ca, None).await.is_err(),
        "no certificate"
    );
    let stranger = Pki::new("some-other-ca").leaf(&["metrics-server"]);
    assert!(
        subscribe_as(operator.addr, &ca, Some(stranger))
            .await
            .is_err(),
        "a certificate from another CA"
    );
    let trusted = certs.clients.leaf(&["metrics-server"]);
    subscribe_as(operator.addr, &ca, Some(trusted))
        .await
        .expect("a certificate the clients' CA signed, after the refusals");
    operator.stop().await;
}

#[tokio::test]
async fn a_lost_operator_makes_the_source_unready_and_a_restarted_one_is_followed() {
    let certs = Certs::new();
    let grace = Duration::from_millis(600);
    let hub = Arc::new(FeedHub::default());
    hub.polled(values(
        "lectures",
        "s0-cron",
        WireResult::Quantity("3".into()),
    ));
    let operator = Operator::start("127.0.0.1:0".parse().unwrap(), hub, certs.server_tls()).await;
    let addr = operator.addr;
    let feed = client(addr, certs.client_tls(), grace);
    until("the snapshot", || feed.is_connected()).await;

    operator.stop().await;
    let stopped = Instant::now();
    until("the disconnection", || !feed.is_connected()).await;
    if stopped.elapsed() < grace / 2 {
        assert!(feed.is_ready(), "within the grace period");
        assert_eq!(value(&feed, "lectures", "s0-cron").await.unwrap(), "3");
    }
    until("not ready after the grace period", || !feed.is_ready()).await;
    assert!(stopped.elapsed() >= grace);
    assert!(matches!(
        value(&feed, "lectures", "s0-cron").await,
        Err(ServeError::Unavailable(_))
    ));

    // The restarted operator knows other values; the client reconnects on its own.
    let hub = Arc::new(FeedHub::default());
    hub.polled(values(
        "lectures",
        "s0-cron",
        WireResult::Quantity("4".into()),
    ));
    let operator = Operator::start(addr, hub, certs.server_tls()).await;
    until("the reconnection", || feed.is_ready()).await;
    assert_eq!(value(&feed, "lectures", "s0-cron").await.unwrap(), "4");
    operator.stop().await;
}

struct Process(std::process::Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Writes the metrics-server's files: its feed client certificate and the operator's CA.
fn feed_files(dir: &std::path::Path, certs: &Certs) -> Vec<std::ffi::OsString> {
    let tls = certs.client_tls();
    std::fs::create_dir_all(dir).unwrap();
    let mut args = Vec::new();
    for (flag, file, pem) in [
        ("--feed-cert-file", "feed.crt", &tls.cert_pem),
        ("--feed-key-file", "feed.key", &tls.key_pem),
        ("--feed-ca-file", "operator-ca.crt", &tls.ca_pem),
    ] {
        std::fs::write(dir.join(file), pem).unwrap();
        args.push(flag.into());
        args.push(dir.join(file).into_os_string());
    }
    args
}

#[tokio::test]
async fn the_metrics_server_binary_serves_the_operators_feed() {
    kedars::scalers::tls::install_crypto_provider();
    let certs = Certs::new();
    let hub = Arc::new(FeedHub::default());
    hub.polled(values(
        "lectures",
        "s0-cron",
        WireResult::Quantity("3".into()),
    ));
    let operator = Operator::start(
        "127.0.0.1:0".parse().unwrap(),
        hub.clone(),
        certs.server_tls(),
    )
    .await;
    let dir = std::env::temp_dir().join(common::unique("kedars-feed"));
    let feed_args = feed_files(&dir, &certs);
    let aggregator_ca = Pki::new("requestheader-ca");
    std::fs::write(dir.join("requestheader-ca.crt"), &aggregator_ca.ca_pem).unwrap();
    let port = common::free_port();
    let _server = Process(
        std::process::Command::new(env!("CARGO_BIN_EXE_kedars"))
            .args(["metrics-server", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--requestheader-client-ca-file")
            .arg(dir.join("requestheader-ca.crt"))
            .arg("--operator-address")
            .arg(format!("https://127.0.0.1:{}", operator.addr.port()))
            .args(&feed_args)
            .args(["--feed-grace-seconds", "0.5"])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let (cert, key) = aggregator_ca.leaf(&["front-proxy-client"]);
    let http = reqwest::Client::builder()
        .tls_danger_accept_invalid_certs(true) // the serving certificate is self-signed
        .identity(reqwest::Identity::from_pem(format!("{cert}\n{key}").as_bytes()).unwrap())
        .build()
        .unwrap();
    let base = format!("https://127.0.0.1:{port}");
    let status = |path: &'static str| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let response = http.get(format!("{base}{path}")).send().await.ok()?;
            Some((response.status().as_u16(), response.text().await.ok()?))
        }
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while status("/readyz").await.map(|s| s.0) != Some(200) {
        assert!(
            Instant::now() < deadline,
            "the metrics server never became ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    const METRIC: &str = "/apis/external.metrics.k8s.io/v1beta1/namespaces/classroom/s0-cron\
                          ?labelSelector=scaledobject.keda.sh%2Fname%3Dlectures";
    let (code, body) = status(METRIC).await.unwrap();
    assert_eq!(code, 200, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["items"][0]["value"], "3", "{body}");
    assert_eq!(body["items"][0]["metricName"], "s0-cron", "{body}");

    hub.polled(values(
        "lectures",
        "s0-cron",
        WireResult::Error("cron: bad timezone".into()),
    ));
    let deadline = Instant::now() + Duration::from_secs(10);
    let (code, body) = loop {
        let (code, body) = status(METRIC).await.unwrap();
        if code != 200 || Instant::now() > deadline {
            break (code, body);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(code, 500, "{body}");
    assert!(
        body.contains("metric:s0-cron encountered error: cron: bad timezone"),
        "{body}"
    );

    operator.stop().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while status("/readyz").await.map(|s| s.0) != Some(503) {
        assert!(
            Instant::now() < deadline,
            "still ready without its operator"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_metrics_server_takes_exactly_one_source_of_values() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_kedars"))
            .arg("metrics-server")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stderr) = run(&["--insecure-allow-any-client"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--manifests"), "{stderr}");
    let (code, stderr) = run(&[
        "--manifests",
        "examples/",
        "--operator-address",
        "https://localhost:9666",
        "--feed-cert-file",
        "a",
        "--feed-key-file",
        "b",
        "--feed-ca-file",
        "c",
    ]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("cannot be used with"), "{stderr}");
    let (code, stderr) = run(&["--operator-address", "https://localhost:9666"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--feed-cert-file"), "{stderr}");
}

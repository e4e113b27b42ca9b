//! `kedars metrics-server --operator-address` as a process, fed by a feed server in the test.

use std::sync::Arc;
use std::time::Duration;

use kedars::feed::hub::FeedHub;
use kedars::feed::proto::metric_value::Result as WireResult;
use tokio::time::Instant;

use crate::common::{self, pki::Pki};
use crate::support::{Certs, Operator, values};

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
    let (port, health_port) = (common::free_port(), common::free_port());
    let _server = Process(
        std::process::Command::new(env!("CARGO_BIN_EXE_kedars"))
            .args(["metrics-server", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--requestheader-client-ca-file")
            .arg(dir.join("requestheader-ca.crt"))
            .arg("--operator-address")
            .arg(format!("https://127.0.0.1:{}", operator.addr.port()))
            .args(&feed_args)
            .args(["--feed-grace-seconds", "0.5"])
            .args(["--health-listen", &format!("127.0.0.1:{health_port}")])
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
    let probe = reqwest::get(format!("http://127.0.0.1:{health_port}/readyz"))
        .await
        .unwrap();
    assert_eq!(probe.status(), 200, "the plain-HTTP probe agrees");
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
    // The kubelet's view: plain HTTP, no client certificate.
    let probe = reqwest::get(format!("http://127.0.0.1:{health_port}/readyz"))
        .await
        .unwrap();
    assert_eq!(probe.status(), 503);
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

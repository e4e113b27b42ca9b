//! `kedars metrics-server` as a process: it refuses to start without client authentication
//! unless told to, and serves only clients whose certificate the client CA signed.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::pki::Pki;
use common::{free_port, unique};

/// Start and end fire together, which KEDA's rule makes always active: 3 replicas, always.
const TIMETABLE: &str = "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\n\
metadata: {name: lectures, namespace: classroom}\nspec:\n  scaleTargetRef: {name: stream}\n  \
triggers:\n    - type: cron\n      metadata: {timezone: Asia/Shanghai, start: \"*/1 * * * *\", end: \"* * * * *\", desiredReplicas: \"3\"}\n";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn refuses_to_serve_anyone_unless_told() {
    let dir = std::env::temp_dir().join(unique("kedars-ms-noauth"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("so.yaml"), TIMETABLE).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kedars"))
        .args(["metrics-server", "--listen", "127.0.0.1:0", "--manifests"])
        .arg(&dir)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("client authentication needs --client-ca-file"),
        "{stderr}"
    );
}

#[tokio::test]
async fn serves_values_to_authenticated_clients_only() {
    kedars::scalers::tls::install_crypto_provider();
    let dir = std::env::temp_dir().join(unique("kedars-ms"));
    std::fs::create_dir_all(&dir).unwrap();
    let clients = Pki::new("requestheader-ca");
    std::fs::write(dir.join("so.yaml"), TIMETABLE).unwrap();
    std::fs::write(dir.join("client-ca.crt"), &clients.ca_pem).unwrap();
    let port = free_port();
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_kedars"))
            .args(["metrics-server", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--requestheader-client-ca-file")
            .arg(dir.join("client-ca.crt"))
            .arg("--manifests")
            .arg(dir.join("so.yaml"))
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let client = |identity: Option<(String, String)>| {
        // The server's certificate is self-signed: the test checks client authentication.
        let mut builder = reqwest::Client::builder().tls_danger_accept_invalid_certs(true);
        if let Some((cert, key)) = identity {
            let pem = format!("{cert}\n{key}");
            builder = builder.identity(reqwest::Identity::from_pem(pem.as_bytes()).unwrap());
        }
        builder.build().unwrap()
    };
    let aggregator = client(Some(clients.leaf(&["front-proxy-client"])));
    let url = format!(
        "https://127.0.0.1:{port}/apis/external.metrics.k8s.io/v1beta1/namespaces/classroom/\
         s0-cron-Asia-Shanghai-xSl1xxxx-xxxxx?labelSelector=scaledobject.keda.sh%2Fname%3Dlectures"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let body: serde_json::Value = loop {
        match aggregator.get(&url).send().await {
            Ok(response) if response.status() == 200 => break response.json().await.unwrap(),
            other => {
                assert!(
                    Instant::now() < deadline,
                    "metrics-server never answered: {other:?}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    assert_eq!(body["items"][0]["value"], "3", "{body}");
    assert_eq!(
        body["items"][0]["metricName"],
        "s0-cron-Asia-Shanghai-xSl1xxxx-xxxxx"
    );
    assert!(
        client(None).get(&url).send().await.is_err(),
        "no client certificate: refused"
    );
    std::fs::remove_dir_all(&dir).ok();
}

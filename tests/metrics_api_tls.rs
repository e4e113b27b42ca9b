//! The metrics API over real TLS: a client with a certificate signed by the configured client CA
//! is served; one without a certificate, or with one from another CA, is refused at the handshake.

mod common;

use std::sync::Arc;

use common::pki::Pki;

use kedars::engine::clock::SystemClock;
use kedars::engine::registry::Engine;
use kedars::engine::scale_loop::LoopContext;
use kedars::engine::target::{InMemoryTarget, RecordingReporter};
use kedars::metrics_api::{router, server, tls};

#[tokio::test]
async fn client_certificates_are_required_and_checked() {
    kedars::scalers::tls::install_crypto_provider();
    let dir = std::env::temp_dir().join(format!("kedars-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let server_pki = Pki::new("kedars-serving-ca");
    let client_pki = Pki::new("aggregator-requestheader-ca");
    let stranger_pki = Pki::new("someone-else");
    let (server_cert, server_key) = server_pki.leaf(&["localhost", "127.0.0.1"]);
    for (file, pem) in [
        ("tls.crt", &server_cert),
        ("tls.key", &server_key),
        ("client-ca.crt", &client_pki.ca_pem),
    ] {
        std::fs::write(dir.join(file), pem).unwrap();
    }

    let identity = tls::identity_from_files(&dir.join("tls.crt"), &dir.join("tls.key")).unwrap();
    let config = tls::server_config(
        identity,
        &tls::ClientAuth::SignedBy(vec![dir.join("client-ca.crt")]),
    )
    .unwrap();
    let engine = Arc::new(Engine::new(
        LoopContext {
            target: Arc::new(InMemoryTarget::new(1)),
            reporter: Arc::new(RecordingReporter::default()),
            clock: Arc::new(SystemClock),
        },
        std::time::Duration::from_secs(15),
    ));
    let listener = server::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server::serve_tls(
        listener,
        config,
        router(engine),
        std::future::pending(),
    ));

    let url = format!(
        "https://localhost:{}/apis/external.metrics.k8s.io/v1beta1",
        addr.port()
    );
    let client = |identity: Option<(String, String)>| {
        let mut builder = reqwest::Client::builder()
            .add_root_certificate(
                reqwest::Certificate::from_pem(server_pki.ca_pem.as_bytes()).unwrap(),
            )
            .resolve("localhost", addr);
        if let Some((cert, key)) = identity {
            builder = builder.identity(
                reqwest::Identity::from_pem(format!("{cert}\n{key}").as_bytes()).unwrap(),
            );
        }
        builder.build().unwrap()
    };

    let aggregator = client(Some(client_pki.leaf(&["front-proxy-client"])));
    let response = aggregator
        .get(&url)
        .send()
        .await
        .expect("a client with the right certificate is served");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["kind"], "APIResourceList");

    let anonymous = client(None);
    assert!(
        anonymous.get(&url).send().await.is_err(),
        "no client certificate: refused"
    );

    let stranger = client(Some(stranger_pki.leaf(&["intruder"])));
    assert!(
        stranger.get(&url).send().await.is_err(),
        "a certificate from another CA: refused"
    );

    // The server kept serving after the refusals.
    assert_eq!(aggregator.get(&url).send().await.unwrap().status(), 200);
    std::fs::remove_dir_all(&dir).ok();
}

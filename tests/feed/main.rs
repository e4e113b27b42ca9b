//! The metrics feed over real sockets: an operator-side hub and gRPC server in this process,
//! metrics-server clients with certificates from a test PKI (`binary.rs`: the real binary).

mod binary;
#[path = "../common/mod.rs"]
mod common;
mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::pki::Pki;
use kedars::engine::registry::ServeError;
use kedars::engine::state::ObjectKey;
use kedars::feed::hub::FeedHub;
use kedars::feed::proto::SubscribeRequest;
use kedars::feed::proto::metric_value::Result as WireResult;
use kedars::feed::proto::metrics_feed_client::MetricsFeedClient;
use kedars::metrics_api::MetricsSource;
use support::{Certs, Operator, client, until, value, values};
use tokio::time::Instant;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};

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

    // The client may see the stream break while the server is still stopping: the grace
    // period counts from then, so measure from the moment stopping began.
    let stopped = Instant::now();
    operator.stop().await;
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

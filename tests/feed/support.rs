//! Shared by the feed tests: a test PKI, a feed server that can be stopped, a following client.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use kedars::engine::registry::ServeError;
use kedars::engine::state::ObjectKey;
use kedars::feed::client::{Backoff, ClientTls, FeedClient, FeedClientConfig};
use kedars::feed::hub::FeedHub;
use kedars::feed::proto::metric_value::Result as WireResult;
use kedars::feed::proto::{MetricValue, ObjectValues};
use kedars::feed::server::{self, ServerTls};
use kedars::metrics_api::MetricsSource;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::common::pki::Pki;

/// The operator's CA (its serving certificate) and the metrics servers' CA (their client
/// certificates), as in a cluster.
pub struct Certs {
    pub operator: Pki,
    pub clients: Pki,
}

impl Certs {
    pub fn new() -> Certs {
        Certs {
            operator: Pki::new("kedars-operator-ca"),
            clients: Pki::new("kedars-metrics-server-ca"),
        }
    }

    pub fn server_tls(&self) -> ServerTls {
        let (cert, key) = self.operator.leaf(&["localhost", "127.0.0.1"]);
        ServerTls {
            cert_pem: cert.into_bytes(),
            key_pem: key.into_bytes(),
            client_ca_pem: self.clients.ca_pem.clone().into_bytes(),
        }
    }

    pub fn client_tls(&self) -> ClientTls {
        let (cert, key) = self.clients.leaf(&["metrics-server"]);
        ClientTls {
            ca_pem: self.operator.ca_pem.clone().into_bytes(),
            cert_pem: cert.into_bytes(),
            key_pem: key.into_bytes(),
        }
    }
}

/// A feed server running until stopped.
pub struct Operator {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Operator {
    pub async fn start(addr: SocketAddr, hub: Arc<FeedHub>, tls: ServerTls) -> Operator {
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
    pub async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(5), &mut self.task)
            .await
            .expect("the feed server stops although streams are open")
            .unwrap();
    }
}

pub fn values(name: &str, metric: &str, result: WireResult) -> ObjectValues {
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

pub fn client(addr: SocketAddr, tls: ClientTls, grace: Duration) -> Arc<FeedClient> {
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

pub async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub async fn value(source: &FeedClient, name: &str, metric: &str) -> Result<String, ServeError> {
    let key = ObjectKey::new("classroom", name);
    source
        .metric(&key, metric)
        .await
        .map(|m| m.value.to_string())
}

//! The metrics-server's side of the feed: one subscription to the operator, kept open (and
//! reopened with backoff), whose values answer the HPA's requests from memory.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};

use super::proto::SubscribeRequest;
use super::proto::metrics_feed_client::MetricsFeedClient;
use super::view::FeedView;
use super::{FeedError, describe, read_pem};
use crate::engine::registry::ServeError;
use crate::engine::scaled_object::ServedMetric;
use crate::engine::state::ObjectKey;
use crate::metrics_api::MetricsSource;

/// Long enough to bridge an operator restart or a leader change, short enough that a metrics
/// server without an operator leaves the Service (and the APIService reports it).
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);

/// PEM: the CA that signed the operator's certificate, and this process's client certificate.
#[derive(Debug, Clone)]
pub struct ClientTls {
    pub ca_pem: Vec<u8>,
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
}

impl ClientTls {
    pub fn from_files(ca: &Path, cert: &Path, key: &Path) -> Result<Self, FeedError> {
        Ok(ClientTls {
            ca_pem: read_pem(ca)?,
            cert_pem: read_pem(cert)?,
            key_pem: read_pem(key)?,
        })
    }
}

/// Retry delays: doubling from `first` up to `max`, back to `first` after a good connection.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            first: Duration::from_millis(250),
            max: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Clone)]
pub struct FeedClientConfig {
    /// `https://HOST:PORT`; HOST must be a name in the operator's certificate.
    pub address: String,
    pub tls: ClientTls,
    /// Who this is, in the operator's logs.
    pub subscriber: String,
    /// How long the last values are still served once the feed broke.
    pub grace: Duration,
    pub backoff: Backoff,
}

pub struct FeedClient {
    view: Arc<Mutex<FeedView>>,
    grace: Duration,
    task: JoinHandle<()>,
}

impl FeedClient {
    /// Starts following the feed in the background (needs a tokio runtime). Only a malformed
    /// address fails here; an unreachable operator is retried for as long as the client lives.
    pub fn start(config: FeedClientConfig) -> Result<Arc<FeedClient>, FeedError> {
        kedars_scalers::tls::install_crypto_provider();
        let endpoint = endpoint(&config)?;
        let view = Arc::new(Mutex::new(FeedView::default()));
        let task = tokio::spawn(follow(
            endpoint,
            config.subscriber,
            view.clone(),
            config.backoff,
        ));
        Ok(Arc::new(FeedClient {
            view,
            grace: config.grace,
            task,
        }))
    }

    /// Whether the stream is open and a snapshot has arrived on it.
    pub fn is_connected(&self) -> bool {
        lock(&self.view).is_connected()
    }
}

impl Drop for FeedClient {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[async_trait]
impl MetricsSource for FeedClient {
    async fn metric(&self, key: &ObjectKey, metric_name: &str) -> Result<ServedMetric, ServeError> {
        lock(&self.view).serve(key, metric_name, Instant::now(), self.grace)
    }

    fn is_ready(&self) -> bool {
        lock(&self.view).is_ready(Instant::now(), self.grace)
    }
}

fn lock(view: &Mutex<FeedView>) -> std::sync::MutexGuard<'_, FeedView> {
    view.lock().unwrap_or_else(|e| e.into_inner())
}

fn endpoint(config: &FeedClientConfig) -> Result<Endpoint, FeedError> {
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&config.tls.ca_pem))
        .identity(Identity::from_pem(
            &config.tls.cert_pem,
            &config.tls.key_pem,
        ));
    let endpoint =
        Endpoint::from_shared(config.address.clone()).map_err(|e| FeedError::Address {
            address: config.address.clone(),
            message: describe(&e),
        })?;
    Ok(endpoint
        .tls_config(tls)?
        .connect_timeout(Duration::from_secs(3))
        // An operator gone without closing the connection is noticed within seconds.
        .http2_keep_alive_interval(Duration::from_secs(10))
        .keep_alive_timeout(Duration::from_secs(5))
        .keep_alive_while_idle(true))
}

/// Subscribes again whenever the stream ends, until aborted.
async fn follow(
    endpoint: Endpoint,
    subscriber: String,
    view: Arc<Mutex<FeedView>>,
    backoff: Backoff,
) {
    let mut delay = backoff.first;
    let mut failures = 0u32;
    loop {
        let error = subscribe_once(&endpoint, &subscriber, &view).await;
        let was_connected = {
            let mut view = lock(&view);
            let was_connected = view.is_connected();
            view.disconnected(Instant::now());
            was_connected
        };
        if was_connected {
            delay = backoff.first;
            failures = 0;
        }
        failures += 1;
        // Say so once per outage; the retries that follow are expected.
        if failures == 1 {
            tracing::warn!(operator = %endpoint.uri(), error, "metrics feed: disconnected; reconnecting");
        } else {
            tracing::debug!(operator = %endpoint.uri(), error, failures, "metrics feed: still down");
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(backoff.max);
    }
}

/// One subscription, applied to `view` until it breaks; returns why it ended.
async fn subscribe_once(endpoint: &Endpoint, subscriber: &str, view: &Mutex<FeedView>) -> String {
    let channel = match endpoint.connect().await {
        Ok(channel) => channel,
        Err(e) => return describe(&e),
    };
    let request = SubscribeRequest {
        subscriber: subscriber.to_string(),
    };
    let mut stream = match MetricsFeedClient::new(channel).subscribe(request).await {
        Ok(response) => response.into_inner(),
        Err(status) => return describe(&status),
    };
    loop {
        match stream.message().await {
            Ok(Some(update)) => {
                let mut view = lock(view);
                let was_connected = view.is_connected();
                view.apply(update);
                if !was_connected && view.is_connected() {
                    tracing::info!(operator = %endpoint.uri(), "metrics feed: connected");
                }
            }
            Ok(None) => return "the operator ended the stream".into(),
            Err(status) => return describe(&status),
        }
    }
}

//! The operator serves the feed: gRPC over mutual TLS, one stream per subscribed metrics-server.

use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};
use tonic::{Request, Response, Status};

use super::hub::{FeedHub, Subscription};
use super::proto::metrics_feed_server::{MetricsFeed, MetricsFeedServer};
use super::proto::{FeedUpdate, SubscribeRequest};
use super::{FeedError, read_pem};

/// HTTP/2 pings on an idle stream: a metrics-server that vanished without closing its
/// connection (node lost, partition) is noticed and its stream freed.
const KEEPALIVE: Duration = Duration::from_secs(10);
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(5);

/// PEM: the operator's certificate and key, and the CA that signs metrics-servers' certificates.
#[derive(Debug, Clone)]
pub struct ServerTls {
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
    pub client_ca_pem: Vec<u8>,
}

impl ServerTls {
    pub fn from_files(cert: &Path, key: &Path, client_ca: &Path) -> Result<Self, FeedError> {
        Ok(ServerTls {
            cert_pem: read_pem(cert)?,
            key_pem: read_pem(key)?,
            client_ca_pem: read_pem(client_ca)?,
        })
    }

    /// A client without a certificate the CA signed fails the handshake (KEDA:
    /// RequireAndVerifyClientCert).
    fn config(&self) -> ServerTlsConfig {
        ServerTlsConfig::new()
            .identity(Identity::from_pem(&self.cert_pem, &self.key_pem))
            .client_ca_root(Certificate::from_pem(&self.client_ca_pem))
            .client_auth_optional(false)
    }
}

struct FeedService {
    hub: Arc<FeedHub>,
    /// Its sender is dropped at shutdown, which ends every stream: a graceful stop would
    /// otherwise wait forever on streams that never end by themselves.
    stopping: watch::Receiver<()>,
}

type UpdateStream = Pin<Box<dyn Stream<Item = Result<FeedUpdate, Status>> + Send>>;

#[tonic::async_trait]
impl MetricsFeed for FeedService {
    type SubscribeStream = UpdateStream;

    async fn subscribe(
        &self,
        request: Request<SubscribeRequest>,
    ) -> Result<Response<UpdateStream>, Status> {
        let peer = request.remote_addr();
        let subscriber = request.into_inner().subscriber;
        tracing::info!(subscriber, peer = ?peer, "metrics feed: subscribed");
        let stream = updates(self.hub.clone(), self.stopping.clone());
        Ok(Response::new(Box::pin(stream)))
    }
}

struct StreamState {
    pending: Option<FeedUpdate>,
    updates: broadcast::Receiver<FeedUpdate>,
    hub: Arc<FeedHub>,
    stopping: watch::Receiver<()>,
}

/// The snapshot, then every update; a subscriber that fell behind gets a fresh snapshot (and
/// a fresh receiver, so nothing older than it follows).
fn updates(
    hub: Arc<FeedHub>,
    stopping: watch::Receiver<()>,
) -> impl Stream<Item = Result<FeedUpdate, Status>> + Send {
    let Subscription { snapshot, updates } = hub.subscribe();
    let state = StreamState {
        pending: Some(snapshot),
        updates,
        hub,
        stopping,
    };
    futures::stream::unfold(state, |mut state| async move {
        if let Some(update) = state.pending.take() {
            return Some((Ok(update), state));
        }
        let received = tokio::select! {
            _ = state.stopping.changed() => return None,
            received = state.updates.recv() => received,
        };
        match received {
            Ok(update) => Some((Ok(update), state)),
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(
                    missed,
                    "metrics feed: a subscriber fell behind; resending all"
                );
                let Subscription { snapshot, updates } = state.hub.subscribe();
                state.updates = updates;
                Some((Ok(snapshot), state))
            }
            Err(broadcast::error::RecvError::Closed) => None,
        }
    })
}

/// Serves `hub` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    hub: Arc<FeedHub>,
    tls: &ServerTls,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), FeedError> {
    kedars_scalers::tls::install_crypto_provider();
    let (stop_streams, stopping) = watch::channel(());
    let service = MetricsFeedServer::new(FeedService { hub, stopping });
    Server::builder()
        .tls_config(tls.config())?
        .http2_keepalive_interval(Some(KEEPALIVE))
        .http2_keepalive_timeout(Some(KEEPALIVE_TIMEOUT))
        .add_service(service)
        .serve_with_incoming_shutdown(TcpIncoming::from(listener), async move {
            shutdown.await;
            drop(stop_streams);
        })
        .await?;
    Ok(())
}

/// Binds `addr` and serves in the background; the address bound is returned (port 0 picks one).
pub async fn spawn(
    addr: SocketAddr,
    hub: Arc<FeedHub>,
    tls: ServerTls,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<SocketAddr, FeedError> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = serve(listener, hub, &tls, shutdown).await {
            tracing::error!(error = %e, "metrics feed stopped");
        }
    });
    Ok(local)
}

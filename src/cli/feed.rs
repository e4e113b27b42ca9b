//! The metrics feed's flags: `kedars operator --feed-listen ...` serves it and
//! `kedars metrics-server --operator-address ...` follows it. Both ends need certificates.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use crate::feed::FeedError;
use crate::feed::client::{self, Backoff, ClientTls, FeedClient, FeedClientConfig};
use crate::feed::hub::FeedHub;
use crate::feed::server::{self, ServerTls};

#[derive(Debug, Clone, Default, Args)]
pub struct FeedServerArgs {
    /// Serve the metrics feed (gRPC, mutual TLS) to `kedars metrics-server --operator-address`.
    #[arg(long, value_name = "ADDR", requires_all = ["feed_cert_file", "feed_key_file", "feed_client_ca_file"])]
    pub feed_listen: Option<SocketAddr>,
    /// The feed's serving certificate (PEM).
    #[arg(long, requires = "feed_listen")]
    pub feed_cert_file: Option<PathBuf>,
    #[arg(long, requires = "feed_listen")]
    pub feed_key_file: Option<PathBuf>,
    /// CA that signs the metrics servers' client certificates; no other client is accepted.
    #[arg(long, requires = "feed_listen")]
    pub feed_client_ca_file: Option<PathBuf>,
}

/// Starts the feed server when `--feed-listen` is given; returns the address bound.
pub async fn serve(
    args: &FeedServerArgs,
    hub: Arc<FeedHub>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Option<SocketAddr>, FeedError> {
    let (Some(addr), Some(cert), Some(key), Some(ca)) = (
        args.feed_listen,
        &args.feed_cert_file,
        &args.feed_key_file,
        &args.feed_client_ca_file,
    ) else {
        return Ok(None);
    };
    let tls = ServerTls::from_files(cert, key, ca)?;
    let bound = server::spawn(addr, hub, tls, shutdown).await?;
    tracing::info!("metrics feed on https://{bound}");
    Ok(Some(bound))
}

#[derive(Debug, Clone, Args)]
pub struct FeedClientArgs {
    /// Serve the values the operator pushes (its --feed-listen), e.g.
    /// https://kedars-operator.keda.svc:9666.
    #[arg(long, value_name = "https://HOST:PORT", requires_all = ["feed_cert_file", "feed_key_file", "feed_ca_file"])]
    pub operator_address: Option<String>,
    /// This metrics server's client certificate for the feed (PEM).
    #[arg(long, requires = "operator_address")]
    pub feed_cert_file: Option<PathBuf>,
    #[arg(long, requires = "operator_address")]
    pub feed_key_file: Option<PathBuf>,
    /// CA that signed the operator's feed certificate.
    #[arg(long, requires = "operator_address")]
    pub feed_ca_file: Option<PathBuf>,
    /// Seconds the last values are still served after the feed broke; then not ready.
    #[arg(long, default_value_t = client::DEFAULT_GRACE.as_secs_f64())]
    pub feed_grace_seconds: f64,
}

/// Follows the operator's feed when `--operator-address` is given.
pub fn follow(args: &FeedClientArgs) -> Result<Option<Arc<FeedClient>>, FeedError> {
    let (Some(address), Some(cert), Some(key), Some(ca)) = (
        &args.operator_address,
        &args.feed_cert_file,
        &args.feed_key_file,
        &args.feed_ca_file,
    ) else {
        return Ok(None);
    };
    let subscriber = std::env::var("POD_NAME")
        .unwrap_or_else(|_| format!("kedars-metrics-server-{}", std::process::id()));
    let config = FeedClientConfig {
        address: address.clone(),
        tls: ClientTls::from_files(ca, cert, key)?,
        subscriber,
        grace: Duration::try_from_secs_f64(args.feed_grace_seconds)
            .unwrap_or(client::DEFAULT_GRACE),
        backoff: Backoff::default(),
    };
    FeedClient::start(config).map(Some)
}

//! `kedars metrics-server`: the external metrics API on its own. Values come from ScaledObject
//! manifests polled in this process (`--manifests`); the operator's feed comes with the operator.
//! Client authentication is on unless explicitly turned off: in a cluster only the API server's
//! aggregator may read metrics.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use kedars_scalers::Connections;

use super::run::{load_and_prepare, stop_signal};
use crate::engine::clock::SystemClock;
use crate::engine::registry::{DEFAULT_MAX_METRIC_AGE, Engine};
use crate::engine::scale_loop::LoopContext;
use crate::engine::target::{InMemoryTarget, RecordingReporter};
use crate::metrics_api::{self, server, tls};

#[derive(Debug, Clone, Args)]
pub struct MetricsServerArgs {
    /// ScaledObject manifests to poll and serve (files, directories or `-`).
    #[arg(long = "manifests", value_name = "FILE|DIR|-", required = true, num_args = 1..)]
    pub manifests: Vec<String>,
    #[arg(long, default_value = "0.0.0.0:6443")]
    pub listen: SocketAddr,
    /// Serving certificate (PEM); with --tls-private-key-file. Default: a self-signed pair.
    #[arg(long, requires = "tls_private_key_file")]
    pub tls_cert_file: Option<PathBuf>,
    #[arg(long, requires = "tls_cert_file")]
    pub tls_private_key_file: Option<PathBuf>,
    /// CA that signs client certificates allowed to read metrics.
    #[arg(long)]
    pub client_ca_file: Option<PathBuf>,
    /// CA of the aggregator's proxy client certificate (the API server's
    /// --requestheader-client-ca-file).
    #[arg(long)]
    pub requestheader_client_ca_file: Option<PathBuf>,
    /// Serve any client, authenticated or not. Only for local experiments.
    #[arg(long)]
    pub insecure_allow_any_client: bool,
    /// A value served is never older than this (seconds).
    #[arg(long, default_value_t = DEFAULT_MAX_METRIC_AGE.as_secs())]
    pub max_metric_age: u64,
    #[arg(long, short = 'n', default_value = "default")]
    pub namespace: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MetricsServerError {
    #[error(
        "client authentication needs --client-ca-file or --requestheader-client-ca-file; pass \
         --insecure-allow-any-client to serve anyone"
    )]
    NoClientAuth,
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Manifests(String),
}

fn client_auth(args: &MetricsServerArgs) -> Result<tls::ClientAuth, MetricsServerError> {
    let cas: Vec<PathBuf> = [&args.client_ca_file, &args.requestheader_client_ca_file]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    match (cas.is_empty(), args.insecure_allow_any_client) {
        (false, _) => Ok(tls::ClientAuth::SignedBy(cas)),
        (true, true) => Ok(tls::ClientAuth::Anyone),
        (true, false) => Err(MetricsServerError::NoClientAuth),
    }
}

/// Serves until SIGTERM or Ctrl-C.
pub async fn run(args: &MetricsServerArgs) -> Result<(), MetricsServerError> {
    let clients = client_auth(args)?;
    let identity = match (&args.tls_cert_file, &args.tls_private_key_file) {
        (Some(cert), Some(key)) => tls::identity_from_files(cert, key)?,
        _ => tls::self_signed(&[])?,
    };
    let config = tls::server_config(identity, &clients)?;
    let connections = Connections::new(kedars_scalers::scaler::DEFAULT_TIMEOUT);
    let prepared = load_and_prepare(&args.manifests, &args.namespace, &connections)
        .map_err(MetricsServerError::Manifests)?;
    for (key, errors) in &prepared.rejected {
        tracing::warn!(scaled_object = %key, errors = ?errors, "not serving an invalid ScaledObject");
        eprintln!("{key}: not served: {}", errors.join("; "));
    }
    let ctx = LoopContext {
        target: Arc::new(InMemoryTarget::new(1)),
        reporter: Arc::new(RecordingReporter::default()),
        clock: Arc::new(SystemClock),
    };
    let engine = Arc::new(Engine::new(ctx, Duration::from_secs(args.max_metric_age)));
    for runtime in prepared.runtimes {
        engine.upsert(runtime);
    }
    let listener = server::bind(args.listen).await?;
    eprintln!(
        "serving external.metrics.k8s.io/v1beta1 on https://{} for {} ScaledObjects",
        listener.local_addr()?,
        engine.keys().len()
    );
    server::serve_tls(listener, config, metrics_api::router(engine), stop_signal()).await?;
    Ok(())
}

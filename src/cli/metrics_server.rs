//! `kedars metrics-server`: the external metrics API on its own. Values come either from the
//! operator's metrics feed (`--operator-address`: the split deployment, answered from memory) or
//! from ScaledObject manifests polled in this process (`--manifests`). Client authentication is
//! on unless explicitly turned off: in a cluster only the API server's aggregator may read
//! metrics.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use clap::Args;
use kedars_scalers::Connections;

use super::run::{load_and_prepare, stop_signal};
use super::serving_tls::{ServingTlsArgs, ServingTlsError};
use crate::engine::clock::SystemClock;
use crate::engine::registry::{Engine, MetricAge};
use crate::engine::scale_loop::LoopContext;
use crate::engine::target::{InMemoryTarget, RecordingReporter};
use crate::metrics_api::{self, MetricsSource, server};

#[derive(Debug, Clone, Args)]
pub struct MetricsServerArgs {
    /// ScaledObject manifests to poll and serve (files, directories or `-`).
    #[arg(
        long = "manifests",
        value_name = "FILE|DIR|-",
        num_args = 1..,
        required_unless_present = "operator_address",
        conflicts_with = "operator_address"
    )]
    pub manifests: Vec<String>,
    #[command(flatten)]
    pub feed: super::feed::FeedClientArgs,
    #[arg(long, default_value = "0.0.0.0:6443")]
    pub listen: SocketAddr,
    /// Also /healthz and /readyz over plain HTTP here: the kubelet's probes carry no client
    /// certificate, and readiness is what takes a metrics server without values out of service.
    #[arg(long)]
    pub health_listen: Option<SocketAddr>,
    #[command(flatten)]
    pub tls: ServingTlsArgs,
    /// Seconds a value served to the HPA may be old before a request queries the source itself.
    /// Default: each ScaledObject's pollingInterval + 1 s (its polls keep values fresher).
    #[arg(long)]
    pub max_metric_age: Option<u64>,
    #[arg(long, short = 'n', default_value = "default")]
    pub namespace: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MetricsServerError {
    #[error(transparent)]
    Tls(#[from] ServingTlsError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Manifests(String),
    #[error(transparent)]
    Feed(#[from] crate::feed::FeedError),
}

/// Serves until SIGTERM or Ctrl-C.
pub async fn run(args: &MetricsServerArgs) -> Result<(), MetricsServerError> {
    let config = args.tls.server_config()?;
    let (source, origin): (Arc<dyn MetricsSource>, String) = match super::feed::follow(&args.feed)?
    {
        Some(client) => {
            let origin = format!(
                "the operator's feed at {}",
                args.feed.operator_address.as_deref().unwrap_or_default()
            );
            (client, origin)
        }
        None => polled_here(args)?,
    };
    if let Some(addr) = args.health_listen {
        serve_health(addr, source.clone()).await?;
    }
    let listener = server::bind(args.listen).await?;
    tracing::info!(
        "serving external.metrics.k8s.io/v1beta1 on https://{} from {origin}",
        listener.local_addr()?,
    );
    server::serve_tls(listener, config, metrics_api::router(source), stop_signal()).await?;
    Ok(())
}

async fn serve_health(addr: SocketAddr, source: Arc<dyn MetricsSource>) -> std::io::Result<()> {
    let router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(move || {
                let ready = source.is_ready();
                async move {
                    match ready {
                        true => (StatusCode::OK, "ok"),
                        false => (StatusCode::SERVICE_UNAVAILABLE, "no metric values to serve"),
                    }
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("health on http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(())
}

/// The engine in this process, polling the manifests' sources.
fn polled_here(
    args: &MetricsServerArgs,
) -> Result<(Arc<dyn MetricsSource>, String), MetricsServerError> {
    let connections = Connections::new(kedars_scalers::scaler::DEFAULT_TIMEOUT);
    let prepared = load_and_prepare(&args.manifests, &args.namespace, &connections)
        .map_err(MetricsServerError::Manifests)?;
    for (key, errors) in &prepared.rejected {
        tracing::warn!(scaled_object = %key, "not served: {}", errors.join("; "));
    }
    let ctx = LoopContext {
        target: Arc::new(InMemoryTarget::new(1)),
        reporter: Arc::new(RecordingReporter::default()),
        clock: Arc::new(SystemClock),
    };
    let engine = Arc::new(Engine::new(ctx, MetricAge::from_flag(args.max_metric_age)));
    for runtime in prepared.runtimes {
        engine.upsert(runtime);
    }
    let origin = format!("{} ScaledObjects polled here", engine.keys().len());
    Ok((engine, origin))
}

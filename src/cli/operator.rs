//! `kedars operator`: watches ScaledObjects, owns their HPAs, runs their polling loops and scales
//! 0 ↔ min through `/scale`. With `--metrics-api-listen` it also serves the external metrics API
//! (all-in-one mode for small clusters).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use clap::Args;
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use kedars_scalers::Connections;
use kube::runtime::controller::{self, trigger_owners, trigger_self};
use kube::runtime::events::{Recorder, Reporter as EventReporter};
use kube::runtime::{Predicate, WatchStreamExt, applier, predicates};
use kube::runtime::{reflector, watcher};
use kube::{Api, Resource};
use tokio::sync::mpsc;

use super::run::stop_signal;
use super::serving_tls::ServingTlsArgs;
use crate::api::ScaledObject;
use crate::controller::auth_watch;
use crate::controller::context::{Context, OperatorConfig, REPORTING_CONTROLLER};
use crate::controller::leader::{LeaderElection, LeaseConfig};
use crate::controller::metrics::OperatorMetrics;
use crate::controller::owned_hpa_changes::OwnedHpaChanges;
use crate::controller::reconcile::{error_policy, reconcile};
use crate::controller::reporter::{ChannelReporter, write_back};
use crate::controller::scale::ScaleSubresource;
use crate::engine::clock::SystemClock;
use crate::engine::registry::{Engine, MetricAge};
use crate::engine::scale_loop::LoopContext;
use crate::metrics_api::{self, server, tls};

const DEFAULT_CONCURRENT_RECONCILES: u16 = 16;

#[derive(Debug, Clone, Args)]
pub struct OperatorArgs {
    /// Namespaces to watch, comma-separated; empty: all (KEDA's WATCH_NAMESPACE).
    #[arg(long, env = "WATCH_NAMESPACE", default_value = "")]
    pub watch_namespace: String,
    /// Where ClusterTriggerAuthentications read Secrets and ConfigMaps.
    #[arg(long, env = "KEDA_CLUSTER_OBJECT_NAMESPACE", default_value = "keda")]
    pub cluster_object_namespace: String,
    /// Health endpoints (/healthz, /readyz) over plain HTTP.
    #[arg(long, default_value = "0.0.0.0:8081")]
    pub health_listen: SocketAddr,
    /// Prometheus metrics (/metrics) over plain HTTP, with KEDA's names.
    #[arg(long, default_value = "0.0.0.0:8080")]
    pub metrics_listen: SocketAddr,
    /// Also serve the external metrics API here (all-in-one mode).
    #[arg(long)]
    pub metrics_api_listen: Option<SocketAddr>,
    /// The metrics API's TLS (with --metrics-api-listen).
    #[command(flatten)]
    pub tls: ServingTlsArgs,
    /// Seconds a value served to the HPA may be old before a request queries the source itself.
    /// Default: each ScaledObject's pollingInterval + 1 s (its polls keep values fresher).
    #[arg(long)]
    pub max_metric_age: Option<u64>,
    /// Act only while holding the Lease, so replicas never both scale.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub leader_elect: bool,
    /// Namespace of the Lease (the operator's own namespace).
    #[arg(long, env = "POD_NAMESPACE", default_value = "keda")]
    pub lease_namespace: String,
    #[arg(long, default_value = "operator.keda.sh")]
    pub lease_name: String,
    /// Seconds a leader may go without renewing before another takes over.
    #[arg(long, default_value_t = 15)]
    pub lease_seconds: u64,
    /// ScaledObjects reconciled at once; 0: no limit. KEDA's variable, with a higher default
    /// (KEDA: 5): a reconcile is a handful of requests, and a bound keeps a restart with
    /// thousands of ScaledObjects from opening thousands of connections to the API server.
    #[arg(
        long,
        env = "KEDA_SCALEDOBJECT_CTRL_MAX_RECONCILES",
        default_value_t = DEFAULT_CONCURRENT_RECONCILES
    )]
    pub max_concurrent_reconciles: u16,
    #[command(flatten)]
    pub feed: super::feed::FeedServerArgs,
}

#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error("cannot reach the Kubernetes API: {0}")]
    Client(#[from] kube::Error),
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Config(String),
}

pub async fn run(args: &OperatorArgs) -> Result<(), OperatorError> {
    kedars_scalers::tls::install_crypto_provider();
    let client = kube::Client::try_default().await?;
    let watch_namespaces: Vec<String> = args
        .watch_namespace
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(String::from)
        .collect();
    let (reports_tx, reports_rx) = mpsc::unbounded_channel();
    let metrics = Arc::new(OperatorMetrics::new(env!("CARGO_PKG_VERSION")));
    let scale = Arc::new(ScaleSubresource::new(client.clone()));
    let feed = Arc::new(crate::feed::hub::FeedHub::default());
    let engine = Arc::new(Engine::new(
        LoopContext {
            target: scale.clone(),
            reporter: Arc::new(ChannelReporter {
                reports: reports_tx,
                metrics: metrics.clone(),
                feed: feed.clone(),
            }),
            clock: Arc::new(SystemClock),
        },
        MetricAge::from_flag(args.max_metric_age),
    ));
    let instance = std::env::var("POD_NAME").unwrap_or_else(|_| "kedars-operator".into());
    let ctx = Arc::new(Context {
        recorder: Recorder::new(
            client.clone(),
            EventReporter {
                controller: REPORTING_CONTROLLER.into(),
                instance: Some(instance),
            },
        ),
        client: client.clone(),
        engine: engine.clone(),
        connections: Connections::new(kedars_scalers::scaler::DEFAULT_TIMEOUT),
        scale,
        config: OperatorConfig {
            cluster_object_namespace: args.cluster_object_namespace.clone(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            watch_namespaces: watch_namespaces.clone(),
        },
        started: Mutex::new(Default::default()),
        failures: Mutex::new(Default::default()),
        metrics: metrics.clone(),
    });
    let (scaled_objects, hpas): (Api<ScaledObject>, Api<HorizontalPodAutoscaler>) =
        match watch_namespaces.as_slice() {
            [one] => (
                Api::namespaced(client.clone(), one),
                Api::namespaced(client.clone(), one),
            ),
            _ => (Api::all(client.clone()), Api::all(client.clone())),
        };
    let (store, writer) = reflector::store();
    let scaled_object_changes = watcher(scaled_objects, watcher::Config::default())
        .default_backoff()
        .reflect(writer)
        .applied_objects()
        .predicate_filter(reconcile_worthy, Default::default());
    // Any change of an owned HPA (edited or deleted by someone else) is put right; the HPA
    // controller's status writes are not changes to put right.
    let mut owned_hpa_changes = OwnedHpaChanges::default();
    let hpa_changes = watcher(
        hpas,
        watcher::Config::default().labels("app.kubernetes.io/managed-by=keda-operator"),
    )
    .default_backoff()
    .try_filter_map(move |event| std::future::ready(Ok(owned_hpa_changes.filter(event))));
    let triggers = futures::stream::select_all([
        trigger_self(scaled_object_changes, ()).boxed(),
        trigger_owners(hpa_changes, (), ()).boxed(),
        auth_watch::changes(&client, &watch_namespaces, store.clone()).boxed(),
    ]);
    tokio::spawn(write_back(reports_rx, store.clone(), ctx.clone()));
    let ready = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let waiting = store.clone();
    let ready_flag = ready.clone();
    tokio::spawn(async move {
        // The controller waits on the same store, and a store wakes only its latest waiter:
        // wait in short rounds so readiness is seen whoever was woken.
        loop {
            let round =
                tokio::time::timeout(Duration::from_millis(500), waiting.wait_until_ready());
            if let Ok(Ok(())) = round.await {
                ready_flag.store(true, std::sync::atomic::Ordering::Relaxed);
                break;
            }
        }
    });
    serve_health(args.health_listen, ready).await?;
    serve_metrics(args.metrics_listen, metrics.clone(), store.clone()).await?;
    if let Some(addr) = args.metrics_api_listen {
        serve_metrics_api(args, addr, engine.clone()).await?;
    }
    let election = elect(args, &client).await;
    // Only the leader polls, so only the leader has values to push (as KEDA's gRPC server).
    super::feed::serve(&args.feed, feed, stop_signal())
        .await
        .map_err(|e| OperatorError::Config(e.to_string()))?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let lost = election.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = stop_signal() => {}
            _ = async { match &lost { Some(e) => e.hold().await, None => std::future::pending().await } } => {
                tracing::error!("leadership lost: stopping");
            }
        }
        let _ = stop_tx.send(());
    });
    // kube's `applier` rather than its `Controller`: only it takes a filtered trigger stream
    // without kube-runtime's unstable features. As in `Controller::run`, each reconcile is a task
    // of its own; stopping ends the triggers and lets reconciles under way finish.
    applier(
        |so, ctx| {
            let task = tokio::spawn(reconcile(so, ctx));
            Box::pin(async move {
                task.await
                    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
            })
        },
        error_policy,
        ctx,
        store,
        triggers.take_until(stop_rx),
        controller::Config::default().concurrency(args.max_concurrent_reconciles),
    )
    .for_each(|result| async move {
        if let Err(e) = result {
            tracing::debug!(error = %e, "reconcile");
        }
    })
    .await;
    if let Some(election) = election {
        election.release().await;
    }
    Ok(())
}

/// What a reconcile acts on: the spec (generation), annotations (pause) and deletion, as KEDA's
/// predicates. Not the status, which the operator's own patches change at every poll, nor the
/// finalizer and label a reconcile adds itself: each would start a second reconcile of every
/// ScaledObject for nothing (a label or finalizer someone removes comes back at the periodic
/// resync, as in KEDA).
fn reconcile_worthy(so: &ScaledObject) -> Option<u64> {
    predicates::generation
        .combine(predicates::annotations)
        .combine(deletion_requested)
        .hash_property(so)
}

fn deletion_requested(so: &ScaledObject) -> Option<u64> {
    Some(u64::from(so.meta().deletion_timestamp.is_some()))
}

/// Waits for the Lease when leader election is on.
async fn elect(args: &OperatorArgs, client: &kube::Client) -> Option<Arc<LeaderElection>> {
    if !args.leader_elect {
        return None;
    }
    let identity =
        std::env::var("POD_NAME").unwrap_or_else(|_| format!("kedars-{}", std::process::id()));
    let election = Arc::new(LeaderElection::new(
        client.clone(),
        LeaseConfig {
            namespace: args.lease_namespace.clone(),
            name: args.lease_name.clone(),
            identity,
            duration: Duration::from_secs(args.lease_seconds),
            retry: Duration::from_secs((args.lease_seconds / 3).max(1)),
        },
    ));
    tracing::info!(
        "waiting for the lease {}/{}",
        args.lease_namespace,
        args.lease_name
    );
    election.acquire().await;
    Some(election)
}

async fn serve_metrics(
    addr: SocketAddr,
    metrics: Arc<OperatorMetrics>,
    store: kube::runtime::reflector::Store<ScaledObject>,
) -> Result<(), OperatorError> {
    // One scrape at a time: the registered counts are reset and recounted for each.
    let scrape = Arc::new(Mutex::new(()));
    let router = Router::new().route(
        "/metrics",
        get(move || {
            let body = {
                let _one = scrape.lock().unwrap_or_else(|e| e.into_inner());
                count_registered(&store, &metrics);
                metrics.render()
            };
            async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4",
                    )],
                    body,
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(
        "prometheus metrics on http://{}/metrics",
        listener.local_addr()?
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(())
}

/// Registered ScaledObjects and triggers, counted from the watch cache when scraped: always
/// current, and no work between scrapes.
fn count_registered(
    store: &kube::runtime::reflector::Store<ScaledObject>,
    metrics: &OperatorMetrics,
) {
    let mut per_namespace = std::collections::BTreeMap::<String, i64>::new();
    let mut per_type = std::collections::BTreeMap::<String, i64>::new();
    for so in store.state() {
        *per_namespace
            .entry(so.metadata.namespace.clone().unwrap_or_default())
            .or_default() += 1;
        for trigger in &so.spec.triggers {
            *per_type.entry(trigger.type_.clone()).or_default() += 1;
        }
    }
    metrics.set_registered(
        &per_namespace.into_iter().collect::<Vec<_>>(),
        &per_type.into_iter().collect::<Vec<_>>(),
    );
}

async fn serve_health(
    addr: SocketAddr,
    ready: Arc<std::sync::atomic::AtomicBool>,
) -> Result<(), OperatorError> {
    let router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(move || {
                let ready = ready.load(std::sync::atomic::Ordering::Relaxed);
                async move {
                    if ready {
                        (axum::http::StatusCode::OK, "ok")
                    } else {
                        (
                            axum::http::StatusCode::SERVICE_UNAVAILABLE,
                            "watches not synced yet",
                        )
                    }
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("health on http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(())
}

async fn serve_metrics_api(
    args: &OperatorArgs,
    addr: SocketAddr,
    engine: Arc<Engine>,
) -> Result<(), OperatorError> {
    let config = args
        .tls
        .server_config()
        .map_err(|e| OperatorError::Config(format!("--metrics-api-listen: {e}")))?;
    let listener = server::bind(addr).await?;
    tracing::info!("external metrics API on https://{}", listener.local_addr()?);
    tokio::spawn(server::serve_tls(
        listener,
        config,
        metrics_api::router(engine),
        stop_signal(),
    ));
    Ok(())
}

//! `kedars run`: local mode. Loads ScaledObjects and their auth documents (as `check` does),
//! polls the real sources, serves the external metrics API on 127.0.0.1, and shows what would
//! scale. `--once` polls once and prints: the "why isn't it scaling?" tool.

mod snapshot;
mod table;

use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Args;
use kedars_scalers::Connections;

use super::check::{self, CheckOptions};
use crate::engine::build;
use crate::engine::clock::SystemClock;
use crate::engine::registry::{Engine, MetricAge};
use crate::engine::scale_loop::{self, LoopContext};
use crate::engine::scaled_object::ScaledObjectRuntime;
use crate::engine::state::ObjectKey;
use crate::engine::target::{InMemoryTarget, PollReport, Reporter};
use crate::manifest::{Input, LoadOptions, ManifestSet, load_inputs};
use crate::metrics_api::{self, server, tls};
use crate::resolve::{self, ResolveOptions};
use snapshot::ObjectSnapshot;

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Files, directories or `-`; default: examples/.
    #[arg(value_name = "FILE|DIR|-")]
    pub inputs: Vec<String>,
    /// Poll every ScaledObject once, print, and exit.
    #[arg(long)]
    pub once: bool,
    #[arg(long, short = 'o', value_enum, default_value_t = check::Output::Text)]
    pub output: check::Output,
    /// Where the external metrics API listens (HTTPS, self-signed, no client authentication:
    /// local mode only). `off` disables it.
    #[arg(long, default_value = "127.0.0.1:6443")]
    pub listen: String,
    /// Seconds a value served to the HPA may be old before a request queries the source itself.
    /// Default: each ScaledObject's pollingInterval + 1 s (its polls keep values fresher).
    #[arg(long)]
    pub max_metric_age: Option<u64>,
    /// Replicas of a workload the manifests do not describe.
    #[arg(long, default_value_t = 1)]
    pub current: i32,
    #[arg(long, short = 'n', default_value = "default")]
    pub namespace: String,
}

/// The ScaledObjects ready to run, and every one that is not, with why.
pub(crate) struct Prepared {
    pub(crate) runtimes: Vec<ScaledObjectRuntime>,
    pub(crate) rejected: Vec<(ObjectKey, Vec<String>)>,
    pub(crate) initial_replicas: Vec<(ObjectKey, i32)>,
}

fn prepare(set: &ManifestSet, connections: &Arc<Connections>) -> Prepared {
    let report = check::check(set, &CheckOptions::default());
    let mut prepared = Prepared {
        runtimes: Vec::new(),
        rejected: Vec::new(),
        initial_replicas: Vec::new(),
    };
    for (loaded, checked) in set.scaled_objects.iter().zip(&report.objects) {
        let so = (*loaded.object).clone();
        let key = ObjectKey::new(
            so.metadata
                .namespace
                .clone()
                .unwrap_or_else(|| "default".into()),
            so.metadata.name.clone().unwrap_or_default(),
        );
        if !checked.valid {
            prepared.rejected.push((key, checked.errors.clone()));
            continue;
        }
        let resolved = resolve::resolve_scaled_object(set, &so, &ResolveOptions::default());
        let contexts: Vec<_> = resolved.triggers.into_iter().map(Result::ok).collect();
        if let Some(replicas) =
            set.workload_replicas(&key.namespace, &so.spec.scale_target_ref.name)
        {
            prepared.initial_replicas.push((key.clone(), replicas));
        }
        match build::runtime(so, &contexts, connections) {
            Ok(runtime) => prepared.runtimes.push(runtime),
            Err(problems) => prepared.rejected.push((key, problems)),
        }
    }
    prepared
}

/// Loads manifests and prepares every valid ScaledObject; `Err` when an input cannot be read.
pub(crate) fn load_and_prepare(
    inputs: &[String],
    namespace: &str,
    connections: &Arc<Connections>,
) -> Result<Prepared, String> {
    let inputs: Vec<Input> = inputs.iter().map(|a| Input::parse(a)).collect();
    let load = LoadOptions {
        default_namespace: namespace.to_string(),
        recursive: false,
    };
    let set = load_inputs(&inputs, &load, &mut io::stdin().lock()).map_err(|e| e.to_string())?;
    Ok(prepare(&set, connections))
}

/// Resolves on SIGTERM (how Kubernetes stops a pod) or Ctrl-C.
pub(crate) async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Runs the command; the exit status is 2 when inputs cannot be read, else 0.
pub async fn run(args: &RunArgs, out: &mut (dyn Write + Send)) -> io::Result<u8> {
    let inputs = if args.inputs.is_empty() {
        vec!["examples".to_string()]
    } else {
        args.inputs.clone()
    };
    let connections = Connections::new(kedars_scalers::scaler::DEFAULT_TIMEOUT);
    let prepared = match load_and_prepare(&inputs, &args.namespace, &connections) {
        Ok(prepared) => prepared,
        Err(e) => {
            writeln!(out, "error: {e}")?;
            return Ok(check::EXIT_USAGE);
        }
    };
    let target = Arc::new(InMemoryTarget::new(args.current));
    for (key, replicas) in &prepared.initial_replicas {
        target.set(key, *replicas);
    }
    let latest = Arc::new(Latest::default());
    let ctx = LoopContext {
        target,
        reporter: latest.clone(),
        clock: Arc::new(SystemClock),
    };
    if args.once {
        let snapshots = once(&prepared.runtimes, &ctx).await;
        write_snapshots(&snapshots, &prepared.rejected, args.output, out)?;
        return Ok(0);
    }
    live(args, prepared, ctx, latest, out).await?;
    Ok(0)
}

async fn once(runtimes: &[ScaledObjectRuntime], ctx: &LoopContext) -> Vec<ObjectSnapshot> {
    let polls = runtimes.iter().map(|r| async move {
        let last_active = None;
        let report = scale_loop::poll_once(r, ctx, last_active).await;
        snapshot::snapshot(r, &report)
    });
    futures::future::join_all(polls).await
}

/// Polls until Ctrl-C, redrawing the table every second.
async fn live(
    args: &RunArgs,
    prepared: Prepared,
    ctx: LoopContext,
    latest: Arc<Latest>,
    out: &mut (dyn Write + Send),
) -> io::Result<()> {
    let engine = Arc::new(Engine::new(ctx, MetricAge::from_flag(args.max_metric_age)));
    let runtimes: Vec<Arc<ScaledObjectRuntime>> = prepared
        .runtimes
        .into_iter()
        .map(|r| engine.upsert(r))
        .collect();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let api = serve_metrics_api(&args.listen, engine.clone(), stop_rx).await?;
    let mut redraw = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = stop_signal() => break,
            _ = redraw.tick() => {
                let snapshots = latest.snapshots(&runtimes);
                write!(out, "\x1b[2J\x1b[H")?;
                if let Some(addr) = api {
                    writeln!(out, "external metrics API: https://{addr}/apis/external.metrics.k8s.io/v1beta1 (Ctrl-C stops)\n")?;
                }
                write_snapshots(&snapshots, &prepared.rejected, check::Output::Text, out)?;
            }
        }
    }
    let _ = stop_tx.send(true);
    writeln!(out, "stopped")?;
    Ok(())
}

async fn serve_metrics_api(
    listen: &str,
    engine: Arc<Engine>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> io::Result<Option<SocketAddr>> {
    if listen == "off" {
        return Ok(None);
    }
    let addr: SocketAddr = listen.parse().map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("--listen {listen}: {e}"),
        )
    })?;
    let identity = tls::self_signed(&[]).map_err(io::Error::other)?;
    let config =
        tls::server_config(identity, &tls::ClientAuth::Anyone).map_err(io::Error::other)?;
    let listener = server::bind(addr).await?;
    let bound = listener.local_addr()?;
    let router = metrics_api::router(engine);
    tokio::spawn(server::serve_tls(listener, config, router, async move {
        let _ = stop.changed().await;
    }));
    Ok(Some(bound))
}

fn write_snapshots(
    snapshots: &[ObjectSnapshot],
    rejected: &[(ObjectKey, Vec<String>)],
    output: check::Output,
    out: &mut dyn Write,
) -> io::Result<()> {
    match output {
        check::Output::Json => {
            let rejected: Vec<_> = rejected
                .iter()
                .map(|(key, errors)| serde_json::json!({"namespace": key.namespace, "name": key.name, "errors": errors}))
                .collect();
            let body = serde_json::json!({"objects": snapshots, "rejected": rejected});
            serde_json::to_writer_pretty(&mut *out, &body)?;
            writeln!(out)
        }
        check::Output::Text => {
            table::write(snapshots, out)?;
            for (key, errors) in rejected {
                writeln!(out, "{key}  NOT RUNNING")?;
                for error in errors {
                    writeln!(out, "  error: {error}")?;
                }
            }
            Ok(())
        }
    }
}

/// Keeps each ScaledObject's latest poll for the table.
#[derive(Default)]
struct Latest {
    reports: Mutex<std::collections::HashMap<ObjectKey, PollReport>>,
}

impl Latest {
    fn snapshots(&self, runtimes: &[Arc<ScaledObjectRuntime>]) -> Vec<ObjectSnapshot> {
        let reports = self.reports.lock().unwrap_or_else(|e| e.into_inner());
        runtimes
            .iter()
            .filter_map(|r| {
                reports
                    .get(&r.key)
                    .map(|report| snapshot::snapshot(r, report))
            })
            .collect()
    }
}

impl Reporter for Latest {
    fn report(&self, report: &PollReport) {
        let mut reports = self.reports.lock().unwrap_or_else(|e| e.into_inner());
        reports.insert(report.key.clone(), report.clone());
    }
}

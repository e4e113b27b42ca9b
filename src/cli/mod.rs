//! The command line. `main.rs` only parses arguments and calls [`run`].

pub mod check;
pub mod feed;
pub mod logging;
pub mod metrics_server;
pub mod operator;
pub mod run;
pub mod serving_tls;
pub mod simulate;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "kedars",
    version,
    about = "Event-driven autoscaling for Kubernetes, KEDA-compatible"
)]
pub struct Cli {
    /// Log lines as plain text or as one JSON object each (stderr; `RUST_LOG` sets the level).
    #[arg(
        long,
        global = true,
        value_enum,
        env = "KEDARS_LOG_FORMAT",
        default_value_t
    )]
    pub log_format: logging::LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the trigger types this build can poll.
    Scalers,
    /// Print the keda.sh CustomResourceDefinitions, or write one file each into --dir.
    Crds {
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
    },
    /// Validate manifests offline: every ScaledObject's rules, auth references, trigger
    /// parameters, metrics and the HPA it would create. Exit 0 only when all are valid.
    Check(check::CheckArgs),
    /// Local mode: poll the real sources of the given manifests (default: examples/), serve the
    /// external metrics API on 127.0.0.1, and show what would scale. `--once` polls once.
    Run(run::RunArgs),
    /// Serve the external metrics API (external.metrics.k8s.io/v1beta1) over TLS.
    MetricsServer(metrics_server::MetricsServerArgs),
    /// The operator: watch ScaledObjects, own their HPAs, scale 0 <-> min.
    Operator(operator::OperatorArgs),
    /// Replay time through the engine and the HPA's algorithm: each replica change with its
    /// cause, and optionally an SVG of it all. Non-time-based triggers read a CSV trace.
    Simulate(simulate::SimulateArgs),
}

/// Runs a parsed command, writing its output to `out`.
pub fn run(cli: Cli, out: &mut impl std::io::Write) -> std::io::Result<()> {
    match cli.command {
        Command::Scalers => {
            for trigger_type in kedars_scalers::KNOWN_TYPES {
                writeln!(out, "{trigger_type}")?;
            }
        }
        Command::Crds { dir: None } => write!(out, "{}", crate::api::crds::all_yaml())?,
        Command::Crds { dir: Some(dir) } => {
            std::fs::create_dir_all(&dir)?;
            for (file, crd) in crate::api::crds::all() {
                std::fs::write(dir.join(file), crate::api::crds::to_yaml(&crd))?;
                writeln!(out, "wrote {}", dir.join(file).display())?;
            }
        }
        Command::Run(args) => {
            let runtime = tokio::runtime::Runtime::new()?;
            let code = runtime.block_on(run::run(&args, &mut std::io::stdout()))?;
            if code != 0 {
                std::process::exit(code.into());
            }
        }
        Command::MetricsServer(args) => {
            let runtime = tokio::runtime::Runtime::new()?;
            if let Err(e) = runtime.block_on(metrics_server::run(&args)) {
                tracing::error!("error: {e}");
                std::process::exit(2);
            }
        }
        Command::Operator(args) => {
            let runtime = tokio::runtime::Runtime::new()?;
            if let Err(e) = runtime.block_on(operator::run(&args)) {
                tracing::error!("error: {e}");
                std::process::exit(2);
            }
        }
        Command::Simulate(args) => {
            let code = simulate::run(
                &args,
                out,
                &mut std::io::stderr(),
                &mut std::io::stdin().lock(),
            )?;
            if code != check::EXIT_VALID {
                let _ = out.flush();
                std::process::exit(code.into());
            }
        }
        Command::Check(args) => {
            let code = check::run(
                &args,
                out,
                &mut std::io::stderr(),
                &mut std::io::stdin().lock(),
            )?;
            if code != check::EXIT_VALID {
                // `main` only knows success or failure; the status must say which failure.
                let _ = out.flush();
                std::process::exit(code.into());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalers_lists_every_known_type() {
        let cli = Cli::try_parse_from(["kedars", "scalers"]).unwrap();
        let mut out = Vec::new();
        run(cli, &mut out).unwrap();
        let listed = String::from_utf8(out).unwrap();
        assert_eq!(
            listed.lines().collect::<Vec<_>>(),
            kedars_scalers::KNOWN_TYPES
        );
    }

    #[test]
    fn operator_concurrency_and_metric_age_defaults() {
        let operator = |args: &[&str]| {
            let argv = ["kedars", "operator"].iter().chain(args).copied();
            match Cli::try_parse_from(argv).unwrap().command {
                Command::Operator(args) => args,
                other => panic!("{other:?}"),
            }
        };
        // Unless the environment sets KEDA's variable, as a deployment may.
        if std::env::var_os("KEDA_SCALEDOBJECT_CTRL_MAX_RECONCILES").is_none() {
            assert_eq!(operator(&[]).max_concurrent_reconciles, 16);
        }
        let unbounded = operator(&["--max-concurrent-reconciles", "0"]);
        assert_eq!(unbounded.max_concurrent_reconciles, 0);
        assert_eq!(
            operator(&[]).max_metric_age,
            None,
            "follows pollingInterval"
        );
        assert_eq!(
            operator(&["--max-metric-age", "20"]).max_metric_age,
            Some(20)
        );
    }
}

//! `kedars simulate`: what the autoscaler would do over a stretch of time, before it happens.
//! Loads manifests as `check` does, replays `--from`..`--to` through the engine and the HPA's
//! algorithm (see [`crate::simulate`]), prints each replica change with its cause, and can draw
//! the whole of it as an SVG.

mod report;

use std::io::{self, Read, Write};
use std::path::PathBuf;

use chrono::{DateTime, TimeDelta, Utc};
use clap::Args;

use super::check::{self, CheckOptions, Output};
use crate::api::ScaledObject;
use crate::engine::state::ObjectKey;
use crate::manifest::{Input, LoadOptions, ManifestSet, load_inputs};
use crate::resolve::{self, ResolveOptions};
use crate::simulate::{self, Options, Simulation, Trace};
use report::Simulated;

/// A week at 15-second steps is 40 320; this bounds a typo such as `--step 1ms` over a year.
const MAX_STEPS: i64 = 10_000_000;

#[derive(Debug, Clone, Args)]
pub struct SimulateArgs {
    /// Files, directories (their *.yaml and *.yml files) or `-` for stdin.
    #[arg(required = true, value_name = "FILE|DIR|-")]
    pub inputs: Vec<String>,
    /// Start of the simulated time, e.g. 2026-03-02T00:00:00+08:00.
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    pub from: DateTime<Utc>,
    /// End of the simulated time (excluded).
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    pub to: DateTime<Utc>,
    /// Simulated time between steps (a Go duration such as 15s or 1m).
    #[arg(long, default_value = "15s", value_parser = parse_step)]
    pub step: TimeDelta,
    /// CSV rows `timestamp,trigger,value` (trigger: its name or index; value: a number or
    /// `error`) for the triggers that are not time-based. A value holds until the next row.
    #[arg(long, value_name = "CSV")]
    pub trace: Option<PathBuf>,
    /// Replicas at the start (default: the workload's in the manifests, else minReplicaCount).
    #[arg(long)]
    pub current: Option<i32>,
    /// Also draw the simulation into this SVG file.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    #[arg(long, short = 'o', value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// The namespace of objects that do not name one.
    #[arg(long, short = 'n', default_value = "default")]
    pub namespace: String,
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("expected an RFC 3339 time such as 2026-03-02T08:00:00+08:00: {e}"))
}

fn parse_step(text: &str) -> Result<TimeDelta, String> {
    kedars_scalers::convert::duration(text)
        .ok()
        .and_then(|d| TimeDelta::from_std(d).ok())
        .filter(|d| *d >= TimeDelta::seconds(1))
        .ok_or_else(|| "expected a duration of at least 1s, such as 15s or 1m".into())
}

/// Runs the command and returns the exit status: 0 when every ScaledObject was simulated, 1 when
/// some could not be, 2 when the input or the options are unusable.
pub fn run(
    args: &SimulateArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    stdin: &mut dyn Read,
) -> io::Result<u8> {
    let (set, trace) = match inputs(args, stdin) {
        Ok(read) => read,
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok(check::EXIT_USAGE);
        }
    };
    let (prepared, rejected) = prepare(&set, &trace);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    let simulated: Vec<Simulated> = prepared
        .into_iter()
        .map(|(so, sim)| {
            let options = options(args, &set, &so);
            let outcome = runtime.block_on(simulate::run(&sim, &options));
            Simulated {
                sim,
                options,
                outcome,
            }
        })
        .collect();
    match args.output {
        Output::Text => report::text(&simulated, &rejected, out)?,
        Output::Json => report::json(&simulated, &rejected, out)?,
    }
    if let Some(path) = &args.svg {
        std::fs::write(path, report::svg(&simulated))?;
        if args.output == Output::Text {
            writeln!(out, "wrote {}", path.display())?;
        }
    }
    Ok(if rejected.is_empty() {
        check::EXIT_VALID
    } else {
        check::EXIT_INVALID
    })
}

/// The manifests and the trace, after checking the options.
fn inputs(args: &SimulateArgs, stdin: &mut dyn Read) -> Result<(ManifestSet, Trace), String> {
    if args.to <= args.from {
        return Err("--to must come after --from".into());
    }
    if (args.to - args.from).num_seconds() / args.step.num_seconds() > MAX_STEPS {
        return Err(format!("more than {MAX_STEPS} steps: use a longer --step"));
    }
    let trace = match &args.trace {
        None => Trace::default(),
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            simulate::trace::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
    };
    let inputs: Vec<Input> = args.inputs.iter().map(|a| Input::parse(a)).collect();
    let load = LoadOptions {
        default_namespace: args.namespace.clone(),
        recursive: false,
    };
    let set = load_inputs(&inputs, &load, stdin).map_err(|e| e.to_string())?;
    Ok((set, trace))
}

type Rejected = Vec<(ObjectKey, Vec<String>)>;

/// Every valid ScaledObject ready to simulate; the others with why not.
fn prepare(set: &ManifestSet, trace: &Trace) -> (Vec<(ScaledObject, Simulation)>, Rejected) {
    let report = check::check(set, &CheckOptions::default());
    let (mut ready, mut rejected) = (Vec::new(), Vec::new());
    for loaded in &set.scaled_objects {
        let so = (*loaded.object).clone();
        let key = key_of(&so);
        let checked = report.objects.iter().find(|o| {
            o.kind.as_deref() == Some("ScaledObject")
                && o.namespace.as_deref() == Some(&key.namespace)
                && o.name.as_deref() == Some(&key.name)
        });
        if let Some(invalid) = checked.filter(|o| !o.valid) {
            rejected.push((key, invalid.errors.clone()));
            continue;
        }
        let resolved = resolve::resolve_scaled_object(set, &so, &ResolveOptions::default());
        let contexts: Vec<_> = resolved.triggers.into_iter().map(Result::ok).collect();
        match simulate::prepare(so.clone(), &contexts, trace) {
            Ok(sim) => ready.push((so, sim)),
            Err(problems) => rejected.push((key, problems)),
        }
    }
    (ready, rejected)
}

fn key_of(so: &ScaledObject) -> ObjectKey {
    let namespace = so
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".into());
    ObjectKey::new(namespace, so.metadata.name.clone().unwrap_or_default())
}

fn options(args: &SimulateArgs, set: &ManifestSet, so: &ScaledObject) -> Options {
    let initial = args
        .current
        .or_else(|| set.workload_replicas(&key_of(so).namespace, &so.spec.scale_target_ref.name))
        .unwrap_or_else(|| so.spec.min_replica_count.unwrap_or(0));
    Options {
        from: args.from,
        to: args.to,
        step: args.step,
        initial_replicas: initial,
    }
}

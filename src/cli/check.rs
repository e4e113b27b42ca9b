//! `kedars check`: what a set of manifests means, decided offline. Every ScaledObject is
//! validated, its auth resolved from the given documents, every trigger parsed (no network), and
//! the HPA it would own printed.
//!
//! Exit status: 0 when every object is valid, 1 when any is not, 2 when an input cannot be read.

mod documents;
mod next;
mod report;
mod text;
mod triggers;

use std::io::{self, Read, Write};

use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};

use crate::manifest::{Input, LoadOptions, load_inputs};
use crate::resolve::ResolveOptions;

pub use report::{CheckOptions, ObjectReport, Report, check};
pub use triggers::TriggerReport;

pub const EXIT_VALID: u8 = 0;
pub const EXIT_INVALID: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Files, directories (their *.yaml and *.yml files, sorted) or `-` for stdin.
    #[arg(required = true, value_name = "FILE|DIR|-")]
    pub inputs: Vec<String>,
    #[arg(long, short = 'o', value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// Evaluate time-based triggers (cron) at this instant, e.g. 2025-03-10T08:55:00+01:00.
    #[arg(long, value_name = "RFC3339", value_parser = parse_rfc3339)]
    pub at: Option<DateTime<Utc>>,
    /// List the next N openings and closings of every time-based trigger (cron, timetable),
    /// from --at or now, with the replicas each would ask for.
    #[arg(long, value_name = "N")]
    pub next: Option<usize>,
    /// The namespace of objects that do not name one.
    #[arg(long, short = 'n', default_value = "default")]
    pub namespace: String,
    /// Where ClusterTriggerAuthentications read Secrets and ConfigMaps (KEDA's
    /// KEDA_CLUSTER_OBJECT_NAMESPACE).
    #[arg(long, default_value = "keda")]
    pub cluster_object_namespace: String,
    /// Also read the YAML files of subdirectories.
    #[arg(long, short = 'R')]
    pub recursive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Text,
    Json,
}

fn parse_rfc3339(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("expected an RFC 3339 time such as 2025-03-10T08:55:00Z: {e}"))
}

/// Runs the check and returns the exit status. Only a failure to write `out` is an `Err`.
pub fn run(
    args: &CheckArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    stdin: &mut dyn Read,
) -> io::Result<u8> {
    let inputs: Vec<Input> = args.inputs.iter().map(|a| Input::parse(a)).collect();
    let load = LoadOptions {
        default_namespace: args.namespace.clone(),
        recursive: args.recursive,
    };
    let set = match load_inputs(&inputs, &load, stdin) {
        Ok(set) => set,
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok(EXIT_USAGE);
        }
    };
    let options = CheckOptions {
        resolve: ResolveOptions {
            cluster_object_namespace: args.cluster_object_namespace.clone(),
        },
        at: args.at,
        next: args.next.map(|n| (args.at.unwrap_or_else(Utc::now), n)),
    };
    let report = check(&set, &options);
    let code = if report.all_valid() {
        EXIT_VALID
    } else {
        EXIT_INVALID
    };
    match write_report(&report, args.output, out) {
        // `kedars check ... | head` closes the pipe early; the verdict still stands.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(code),
        Err(e) => Err(e),
        Ok(()) => Ok(code),
    }
}

fn write_report(report: &Report, output: Output, out: &mut dyn Write) -> io::Result<()> {
    match output {
        Output::Text => text::write(report, out)?,
        Output::Json => {
            serde_json::to_writer_pretty(&mut *out, report)?;
            writeln!(out)?;
        }
    }
    out.flush()
}

//! Process-wide logging: `RUST_LOG` filters (default `info`), `--log-format` picks plain text
//! lines or one JSON object per line (for log pipelines). Everything goes to stderr, so that
//! stdout stays the command's own output (`check`, `simulate -o json`, `crds`).

use clap::ValueEnum;
use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// The filter `rust_log` (the value of `RUST_LOG`) names, or `default` when it is unset or
/// blank. A malformed one is reported and the default used: a typo in a log setting must not
/// stop the autoscaler.
fn filter(rust_log: Option<&str>, default: &str) -> EnvFilter {
    match rust_log {
        Some(text) if !text.trim().is_empty() => EnvFilter::try_new(text).unwrap_or_else(|e| {
            eprintln!("kedars: ignoring RUST_LOG={text:?}: {e}; using {default:?}");
            EnvFilter::new(default)
        }),
        _ => EnvFilter::new(default),
    }
}

/// Installs the subscriber for this process. Called once, from `main`.
pub fn init(format: LogFormat) {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter(
            std::env::var(EnvFilter::DEFAULT_ENV).ok().as_deref(),
            "info",
        ))
        .with_writer(std::io::stderr);
    let installed = match format {
        LogFormat::Text => builder.with_ansi(false).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    if let Err(e) = installed {
        eprintln!("kedars: logging not installed: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::filter;

    #[test]
    fn rust_log_sets_the_filter_and_a_bad_one_falls_back() {
        let cases = [
            (None, "info"),
            (Some(""), "info"),
            (Some("  "), "info"),
            (Some("debug"), "debug"),
            (Some("kedars=trace,kube=warn"), "kedars=trace,kube=warn"),
            (Some("kedars=["), "info"),
        ];
        for (rust_log, expected) in cases {
            assert_eq!(
                filter(rust_log, "info").to_string(),
                expected,
                "RUST_LOG={rust_log:?}"
            );
        }
    }
}

//! What the benchmarks share: the machine they ran on, a private Redis, a fleet of ScaledObjects in
//! the real engine, servers (kedars' router and a bare baseline) and a closed-loop HTTP load
//! generator. Each bench binary compiles this module on its own and uses only part of it.
#![allow(dead_code)]

pub mod fleet;
pub mod load;
pub mod machine;
pub mod process;
pub mod redis;
pub mod servers;
pub mod timing;

use std::time::Duration;

/// `cargo bench` passes `--bench` to every bench binary; a flag for it keeps clap from refusing
/// the command line.
#[derive(clap::Args, Debug, Clone)]
pub struct CargoBenchFlag {
    #[arg(long, hide = true)]
    pub bench: bool,
}

/// Parses whole seconds given on the command line.
pub fn seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{text:?} is not a number of seconds"))
}

/// Milliseconds with three decimals, from microseconds: the unit the tables use.
pub fn ms(micros: u64) -> String {
    format!("{:.3}", micros as f64 / 1000.0)
}

//! `kedars simulate` without the command line: time replayed through the engine's own pieces
//! (trigger evaluation with fallback and scalingModifiers, the executor's decisions with their
//! cooldowns) and the HPA's algorithm with the ScaledObject's behavior, on a simulated clock.
//! No file, terminal or network here: a [`Simulation`] and [`Options`] in, an [`Outcome`] out.
//!
//! The world is simple on purpose: the workload's pods are ready the moment they are asked for;
//! KEDA polls every `pollingInterval` and the HPA syncs every 15 s (its controller's default),
//! both from `from`, on the first step at or after their time; the ScaledObject is created at
//! `from` (so `initialCooldownPeriod` counts from there).

mod clock;
pub mod setup;
pub mod svg;
pub mod trace;
mod world;

use chrono::{DateTime, TimeDelta, Utc};

pub use setup::{SimTrigger, Simulation, prepare};
pub use trace::Trace;

/// The HPA controller's default `--horizontal-pod-autoscaler-sync-period`.
pub const HPA_SYNC_PERIOD: TimeDelta = TimeDelta::seconds(15);

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub step: TimeDelta,
    /// The workload's replicas at `from`.
    pub initial_replicas: i32,
}

/// Who changed the replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The executor: 0 ↔ minimum, idle, cooldown.
    Keda,
    /// The HorizontalPodAutoscaler, between its minimum and maximum.
    Hpa,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub at: DateTime<Utc>,
    pub from: i32,
    pub to: i32,
    pub by: Actor,
    pub cause: String,
}

/// The state after a change of the replicas or of a value the engine read; it holds until the
/// next sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub at: DateTime<Utc>,
    pub replicas: i32,
    /// Per trigger (in the order of [`Simulation::triggers`]): the value last read, `None` when
    /// the read failed or none happened yet.
    pub values: Vec<Option<f64>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub changes: Vec<Change>,
    pub samples: Vec<Sample>,
    pub steps: usize,
}

/// Replays `[from, to)` in steps. The last sample is at `to`, so step lines reach it.
pub async fn run(sim: &Simulation, options: &Options) -> Outcome {
    let mut world = world::World::new(sim, options);
    let mut at = options.from;
    while at < options.to {
        world.step(at).await;
        at += options.step;
    }
    world.finish(options.to)
}

impl Actor {
    pub fn as_str(self) -> &'static str {
        match self {
            Actor::Keda => "keda",
            Actor::Hpa => "hpa",
        }
    }
}

/// Replica-hours used: the area under the replicas' step line.
pub fn replica_hours(samples: &[Sample]) -> f64 {
    samples
        .windows(2)
        .map(|w| f64::from(w[0].replicas) * (w[1].at - w[0].at).num_milliseconds() as f64)
        .sum::<f64>()
        / 3_600_000.0
}

#[cfg(test)]
mod tests;

//! One simulated workload, its KEDA polling loop and its HPA, stepped through time.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use k8s_openapi::api::autoscaling::v2::ExternalMetricSource;

use super::clock::SteppingClock;
use super::{Actor, Change, HPA_SYNC_PERIOD, Options, Outcome, Sample, Simulation};
use crate::api::annotations::{self, Pause};
use crate::autoscaling::{self, HpaState, Reading, SyncInput};
use crate::engine::executor::{self, ExecutorInput, ScaleReason};
use crate::engine::registry::MetricAge;
use crate::engine::state::ObjectState;

pub struct World<'a> {
    sim: &'a Simulation,
    clock: SteppingClock,
    /// How old a value the HPA is served may be: the operator's default.
    metric_age: Duration,
    created: DateTime<Utc>,
    pause: Pause,
    replicas: i32,
    last_active: Option<DateTime<Utc>>,
    hpa: HpaState,
    next_poll: DateTime<Utc>,
    next_sync: DateTime<Utc>,
    out: Outcome,
}

impl<'a> World<'a> {
    pub fn new(sim: &'a Simulation, options: &Options) -> World<'a> {
        let so = &sim.runtime.so;
        let annotations = so.metadata.annotations.clone().unwrap_or_default();
        World {
            sim,
            clock: SteppingClock::new(options.from),
            metric_age: MetricAge::PollingInterval.for_object(&sim.runtime),
            created: options.from,
            // An unreadable annotation is a validation error; the simulation runs unpaused.
            pause: annotations::pause(&annotations).unwrap_or_default(),
            replicas: options.initial_replicas,
            last_active: None,
            hpa: HpaState::default(),
            next_poll: options.from,
            next_sync: options.from,
            out: Outcome::default(),
        }
    }

    pub async fn step(&mut self, at: DateTime<Utc>) {
        self.clock.set(at);
        self.out.steps += 1;
        if at >= self.next_poll {
            self.poll(at).await;
            self.next_poll = later(self.next_poll, self.polling_interval(), at);
        }
        // KEDA deletes the HPA of a paused ScaledObject.
        if at >= self.next_sync && !self.pause.paused {
            self.sync_hpa(at).await;
            self.next_sync = later(self.next_sync, HPA_SYNC_PERIOD, at);
        }
        self.sample(at);
    }

    pub fn finish(mut self, to: DateTime<Utc>) -> Outcome {
        let last = self.out.samples.last().cloned();
        if let Some(last) = last.filter(|l| l.at < to) {
            self.out.samples.push(Sample { at: to, ..last });
        }
        self.out
    }

    fn polling_interval(&self) -> TimeDelta {
        TimeDelta::seconds(
            self.sim
                .runtime
                .so
                .spec
                .polling_interval_seconds()
                .max(1)
                .into(),
        )
    }

    /// One pass of KEDA's polling loop, as `engine::scale_loop::poll_once` does it.
    async fn poll(&mut self, at: DateTime<Utc>) {
        let runtime = &self.sim.runtime;
        runtime.set_current_replicas(self.replicas);
        // As the real loop: a value fetched within half an interval (for the HPA) is reused.
        let state = runtime
            .evaluate(runtime.polling_interval() / 2, &self.clock)
            .await;
        let spec = &runtime.so.spec;
        let input = ExecutorInput {
            min_replica_count: spec.min_replica_count,
            idle_replica_count: spec.idle_replica_count,
            cooldown_period_seconds: spec.cooldown_period_seconds(),
            initial_cooldown_period_seconds: spec.initial_cooldown_period.unwrap_or(0),
            fallback_replicas: spec.fallback.as_ref().map(|f| f.replicas),
            pause: self.pause,
            is_active: state.is_active,
            is_error: state.is_error,
            current_replicas: self.replicas,
            last_active_time: self.last_active,
            creation_time: Some(self.created),
            now: at,
        };
        let decision = executor::decide(&input);
        if let Some(action) = decision.scale {
            let cause = self.keda_cause(action.reason, &state);
            self.change(at, action.to, Actor::Keda, cause);
        }
        if decision.last_active_time.is_some() {
            self.last_active = decision.last_active_time;
        }
    }

    fn keda_cause(&self, reason: ScaleReason, state: &ObjectState) -> String {
        match reason {
            ScaleReason::Activate => {
                let active: Vec<String> = state
                    .triggers
                    .iter()
                    .zip(&self.sim.triggers)
                    .filter(|(s, _)| s.active)
                    .map(|(s, t)| {
                        format!("{} at {}", t.label(), shown(s.value.map(|v| v.as_f64())))
                    })
                    .collect();
                match active.is_empty() {
                    true => "KEDA activated the workload (scalingModifiers formula active)".into(),
                    false => format!("KEDA activated the workload: {}", active.join(", ")),
                }
            }
            ScaleReason::Deactivate => format!(
                "KEDA scaled it in: no trigger active for cooldownPeriod ({} s)",
                self.sim.runtime.so.spec.cooldown_period_seconds()
            ),
            ScaleReason::RaiseToMinimum => "KEDA raised it to minReplicaCount".into(),
        }
    }

    /// One sync of the HPA: the metrics served to it, its algorithm, its scale write.
    async fn sync_hpa(&mut self, at: DateTime<Utc>) {
        let readings = self.readings().await;
        let namespace = self.sim.runtime.key.namespace.clone();
        let input = SyncInput {
            now: at,
            namespace: &namespace,
            spec: &self.sim.hpa,
            current_replicas: self.replicas,
            status_replicas: self.replicas,
            ready_pods: self.replicas,
            scale_selector: None,
            readings: &readings,
        };
        let outcome = autoscaling::sync(&mut self.hpa, &input);
        if let (true, Some(desired)) = (outcome.rescale, outcome.desired_replicas) {
            let cause = self.hpa_cause(&outcome.rescale_reason, &readings);
            self.change(at, desired, Actor::Hpa, cause);
        }
    }

    /// What the metrics API would serve for each of the HPA's metrics.
    async fn readings(&mut self) -> Vec<Reading> {
        let mut readings = Vec::new();
        for metric in self.sim.hpa.metrics.iter().flatten() {
            let name = metric
                .external
                .as_ref()
                .map(|e| e.metric.name.clone())
                .unwrap_or_default();
            let served = self
                .sim
                .runtime
                .serve(&name, self.metric_age, &self.clock)
                .await;
            readings.push(match served {
                Ok(served) => Reading::Value(served.value.as_f64()),
                Err(e) => Reading::Failed(e.to_string()),
            });
        }
        readings
    }

    /// Upstream's reason, with the metrics named as the ScaledObject names its triggers.
    fn hpa_cause(&self, reason: &str, readings: &[Reading]) -> String {
        let metrics: Vec<(String, String)> = self
            .sim
            .hpa
            .metrics
            .iter()
            .flatten()
            .zip(readings)
            .filter_map(|(spec, reading)| Some((spec.external.as_ref()?, reading)))
            .map(|(external, reading)| {
                (
                    external.metric.name.clone(),
                    self.against(external, reading),
                )
            })
            .collect();
        let driver = metrics
            .iter()
            .find(|(name, _)| reason.contains(&format!("metric {name}(")));
        match driver {
            Some((_, about)) if reason.ends_with("above target") => {
                format!("HPA: {about}: above target")
            }
            _ if reason == "All metrics below target" => {
                let all: Vec<&str> = metrics.iter().map(|(_, about)| about.as_str()).collect();
                format!("HPA: all metrics below target ({})", all.join("; "))
            }
            _ => format!("HPA: {reason}"),
        }
    }

    /// `morning-lectures (cron) 8 against 1 per replica`.
    fn against(&self, external: &ExternalMetricSource, reading: &Reading) -> String {
        let name = external.metric.name.as_str();
        let label = match self.sim.triggers.iter().find(|t| t.metric.name == name) {
            Some(trigger) => trigger.label(),
            None => "the scalingModifiers formula".into(),
        };
        let target = &external.target;
        let goal = match (&target.average_value, &target.value) {
            (Some(q), _) => format!("{} per replica", q.0),
            (None, Some(q)) => format!("{} in all", q.0),
            (None, None) => "no target".into(),
        };
        let value = match reading {
            Reading::Value(v) => shown(Some(*v)),
            _ => "unreadable".into(),
        };
        format!("{label} {value} against {goal}")
    }

    fn change(&mut self, at: DateTime<Utc>, to: i32, by: Actor, cause: String) {
        let from = self.replicas;
        self.replicas = to;
        self.sim.runtime.set_current_replicas(to);
        self.out.changes.push(Change {
            at,
            from,
            to,
            by,
            cause,
        });
    }

    fn sample(&mut self, at: DateTime<Utc>) {
        let values: Vec<Option<f64>> = self
            .sim
            .runtime
            .triggers
            .iter()
            .map(|t| {
                t.latest()
                    .and_then(|o| o.result.ok())
                    .map(|r| r.value.as_f64())
            })
            .collect();
        let same = self
            .out
            .samples
            .last()
            .is_some_and(|l| l.replicas == self.replicas && l.values == values);
        if !same {
            self.out.samples.push(Sample {
                at,
                replicas: self.replicas,
                values,
            });
        }
    }
}

/// The next time after `now` on a schedule that started at `previous`, every `period`.
fn later(previous: DateTime<Utc>, period: TimeDelta, now: DateTime<Utc>) -> DateTime<Utc> {
    let mut next = previous + period;
    while next <= now {
        next += period;
    }
    next
}

/// A value as people read it: up to three decimals, no trailing zeros.
pub fn shown(value: Option<f64>) -> String {
    match value {
        None => "no value".into(),
        Some(v) => format!("{v:.3}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string(),
    }
}

//! One trigger at run time: its scaler, its latest outcome, and the single-flight rule — at most
//! one query to the source in flight, and a caller that finds no fresh outcome waits for the
//! query already running instead of starting another.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use kedars_scalers::{MetricSpec, Reading, Scaler};
use tokio::time::Instant;

use super::clock::Clock;
use super::fallback::Health;

/// The result of the latest query of a trigger.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub result: Result<Reading, String>,
    /// When the query finished, on tokio's clock (freshness) and the wall clock (reports).
    pub at: Instant,
    pub wall: DateTime<Utc>,
    pub latency: Duration,
    /// Health after this outcome: consecutive failures.
    pub health: Health,
}

pub struct TriggerRuntime {
    pub index: usize,
    pub name: Option<String>,
    pub trigger_type: String,
    pub metric: MetricSpec,
    scaler: Arc<dyn Scaler>,
    query_lock: tokio::sync::Mutex<()>,
    latest: std::sync::Mutex<Option<Outcome>>,
    queries: AtomicU64,
}

impl TriggerRuntime {
    /// `scaler` must have exactly one metric (every polled scaler here has).
    pub fn new(index: usize, name: Option<String>, scaler: Arc<dyn Scaler>) -> Self {
        let metric = scaler.metric_specs()[0].clone();
        TriggerRuntime {
            index,
            name,
            trigger_type: scaler.trigger_type().to_string(),
            metric,
            scaler,
            query_lock: tokio::sync::Mutex::new(()),
            latest: std::sync::Mutex::new(None),
            queries: AtomicU64::new(0),
        }
    }

    /// The trigger's schedule when its scaler is time-based (cron, timetable).
    pub fn time_based(&self) -> Option<&dyn kedars_scalers::TimeBased> {
        self.scaler.time_based()
    }

    pub fn latest(&self) -> Option<Outcome> {
        self.latest
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// How many queries this trigger has sent to its source.
    pub fn query_count(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    fn fresh(&self, max_age: Duration, now: Instant) -> Option<Outcome> {
        self.latest()
            .filter(|o| now.saturating_duration_since(o.at) <= max_age)
    }

    /// The latest outcome if it is at most `max_age` old; otherwise one query (shared with every
    /// concurrent caller).
    pub async fn outcome(&self, max_age: Duration, clock: &dyn Clock) -> Outcome {
        let arrived = clock.instant();
        if let Some(outcome) = self.fresh(max_age, arrived) {
            return outcome;
        }
        let _only_query = self.query_lock.lock().await;
        // A query that finished after we arrived is as fresh as one we would start now.
        if let Some(outcome) = self
            .latest()
            .filter(|o| o.at >= arrived)
            .or_else(|| self.fresh(max_age, clock.instant()))
        {
            return outcome;
        }
        self.query(clock).await
    }

    async fn query(&self, clock: &dyn Clock) -> Outcome {
        self.queries.fetch_add(1, Ordering::Relaxed);
        let now = clock.now();
        let started = Instant::now();
        let result = self
            .scaler
            .metrics_and_activity(&self.metric.name, now)
            .await
            .map_err(|e| e.to_string());
        let previous = self.latest().map(|o| o.health).unwrap_or_default();
        let outcome = Outcome {
            health: previous.record(result.is_ok()),
            result,
            at: clock.instant(),
            wall: now,
            latency: started.elapsed(),
        };
        *self.latest.lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome.clone());
        outcome
    }

    pub async fn close(&self) {
        self.scaler.close().await;
    }
}

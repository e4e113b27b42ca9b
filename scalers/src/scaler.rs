//! The Scaler contract. A scaler is built by a pure parse step (no I/O) and then queried; it
//! shares connections with every other scaler that talks to the same endpoint.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::context::MetricType;
use crate::error::ScalerError;
use crate::quantity::MilliQuantity;
use crate::time_based::TimeBased;

/// KEDA's default for how long one query may take (`KEDA_HTTP_DEFAULT_TIMEOUT`, 3000 ms).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// One metric a scaler feeds to the HPA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricSpec {
    /// `s<index>-<suffix>`, normalised.
    pub name: String,
    pub target: MilliQuantity,
    pub metric_type: MetricType,
}

/// One reading of a metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// What the source said, before clamping (useful for logs and the Prometheus gauge).
    pub raw: f64,
    /// The value served to the HPA: milli precision, NaN/Inf/negative as zero.
    pub value: MilliQuantity,
    /// Whether this trigger wants the workload active (value above the activation threshold).
    pub active: bool,
}

impl Reading {
    /// A reading whose activity is `raw > activation`, as every KEDA scaler here decides it.
    pub fn above(raw: f64, activation: f64) -> Reading {
        Reading {
            raw,
            value: MilliQuantity::from_f64(raw),
            active: raw > activation,
        }
    }
}

#[async_trait]
pub trait Scaler: Send + Sync {
    /// The trigger type this scaler serves (`redis`, `prometheus`, ...).
    fn trigger_type(&self) -> &'static str;

    /// The metrics this scaler feeds to the HPA; fixed once built.
    fn metric_specs(&self) -> &[MetricSpec];

    /// Queries the source for `metric_name`'s current value and whether the trigger is active.
    /// Never takes longer than the scaler's timeout, never panics on what the source returns.
    async fn metrics_and_activity(
        &self,
        metric_name: &str,
        now: DateTime<Utc>,
    ) -> Result<Reading, ScalerError>;

    /// Releases what only this scaler holds. Shared connections stay open for other scalers.
    async fn close(&self) {}

    /// The scaler's schedule, when its reading is a pure function of the time (cron,
    /// timetable): it can then be evaluated offline, listed ahead and simulated.
    fn time_based(&self) -> Option<&dyn TimeBased> {
        None
    }
}

/// Checks that `requested` names this scaler's single metric. KEDA compares metric names
/// case-insensitively.
pub fn check_metric_name(
    scaler: &'static str,
    specs: &[MetricSpec],
    requested: &str,
) -> Result<(), ScalerError> {
    if specs.iter().any(|s| s.name.eq_ignore_ascii_case(requested)) {
        Ok(())
    } else {
        Err(ScalerError::UnknownMetric {
            scaler,
            metric: requested.to_string(),
        })
    }
}

/// Runs `query` under `timeout`, turning expiry into [`ScalerError::Timeout`].
pub async fn with_timeout<T>(
    scaler: &'static str,
    timeout: Duration,
    query: impl Future<Output = Result<T, ScalerError>>,
) -> Result<T, ScalerError> {
    match tokio::time::timeout(timeout, query).await {
        Ok(result) => result,
        Err(_) => Err(ScalerError::Timeout {
            scaler,
            after: timeout,
        }),
    }
}

//! The `cron` scaler (KEDA §5.4): `desiredReplicas` while the wall clock of `timezone` is between
//! `start` and `end`, else 0. No I/O: the value is a pure function of the `now` it is given.
//!
//! Where this differs from KEDA, on purpose (each has a test row saying so):
//! - a bad `timezone` fails the build; KEDA accepts it and fails at every poll;
//! - a time of day in a daylight-saving gap fires at the first instant after the gap; robfig
//!   skips it, so KEDA's window does not open that night and, its next end now coming before its
//!   next start, is open from the previous day's end instead;
//! - in a repeated hour, a time of day fires once, in the first pass; robfig fires in both, which
//!   keeps KEDA's window closed during the first pass (every-hour schedules such as `*/5 * * * *`
//!   follow real hours: they skip a gap and fire in both passes, as in KEDA);
//! - a schedule that can never fire (`0 0 30 2 *`), an empty list item (`1,,2`) and `*-5` (robfig
//!   reads it as `*`) are rejected.

mod fields;
mod grammar;
mod metadata;
mod metric_name;
mod schedule;
mod time_based;
mod window;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::connections::Connections;
use crate::context::TriggerContext;
use crate::error::{ParseError, ScalerError};
use crate::quantity::MilliQuantity;
use crate::scaler::{MetricSpec, Reading, Scaler, check_metric_name};

pub use metadata::{CronMetadata, parse};
pub use schedule::Schedule;
pub use window::Window;

const TYPE: &str = "cron";

#[derive(Debug)]
pub struct CronScaler {
    metadata: CronMetadata,
    specs: Vec<MetricSpec>,
}

/// Builds a cron scaler; it holds no connection.
pub fn build(
    ctx: &TriggerContext,
    _connections: &Arc<Connections>,
) -> Result<Box<dyn Scaler>, ParseError> {
    Ok(Box::new(CronScaler::new(ctx)?))
}

impl CronScaler {
    pub fn new(ctx: &TriggerContext) -> Result<CronScaler, ParseError> {
        let metadata = parse(ctx)?;
        let name = metric_name::metric_name(
            ctx.index,
            &metadata.timezone,
            &metadata.start,
            &metadata.end,
        );
        let specs = vec![MetricSpec {
            name,
            // KEDA's target is the integer 1, so the HPA wants `desiredReplicas` pods.
            target: MilliQuantity::from_integer(1),
            metric_type: ctx.metric_type,
        }];
        Ok(CronScaler { metadata, specs })
    }

    pub fn metadata(&self) -> &CronMetadata {
        &self.metadata
    }

    /// The reading at `now`: `desiredReplicas` (negatives served as 0) inside the window, else 0.
    pub fn reading(&self, now: DateTime<Utc>) -> Reading {
        let active = self.metadata.window.is_active(now);
        let raw = if active {
            self.metadata.desired_replicas as f64
        } else {
            0.0
        };
        Reading {
            raw,
            value: MilliQuantity::from_f64(raw),
            active,
        }
    }
}

#[async_trait]
impl Scaler for CronScaler {
    fn trigger_type(&self) -> &'static str {
        TYPE
    }

    fn metric_specs(&self) -> &[MetricSpec] {
        &self.specs
    }

    async fn metrics_and_activity(
        &self,
        metric_name: &str,
        now: DateTime<Utc>,
    ) -> Result<Reading, ScalerError> {
        check_metric_name(TYPE, &self.specs, metric_name)?;
        Ok(self.reading(now))
    }

    fn time_based(&self) -> Option<&dyn crate::time_based::TimeBased> {
        Some(self)
    }
}

#[cfg(test)]
mod tests;

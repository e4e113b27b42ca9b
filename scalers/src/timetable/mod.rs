//! The `timetable` scaler, kedars' own (KEDA has no such trigger; `cron` stays exactly KEDA's):
//! capacity for a timetable of sessions, such as classes, in place before each starts.
//!
//! Sessions come inline as weekly slots (`sessions`) or as an iCalendar document (`ical`, inline
//! or from a ConfigMap through a TriggerAuthentication). Each asks for capacity from `leadTime`
//! before its start (in `ramp` steps over the lead time, if set) until `lagTime` after its end;
//! sessions on `holidays` do not happen; overlapping sessions add their loads. The value is the
//! expected load against `loadPerReplica`, or `desiredReplicas` against 1 (as cron). Activity
//! and value are pure functions of `now`.
//!
//! Wall-clock times keep their meaning across daylight-saving changes: a time in the spring-
//! forward gap is the first instant after the gap (a 02:30 class that night starts at 03:00);
//! a time in the repeated hour of a fall-back night is its first pass, so a session spanning the
//! repeated hour lasts an hour longer in real time, as it does for the people in it.

mod holidays;
mod ical;
mod metadata;
mod recur;
mod schedule;
mod session;
mod slots;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::connections::Connections;
use crate::context::TriggerContext;
use crate::error::{ParseError, ScalerError};
use crate::metric_name::with_index;
use crate::quantity::MilliQuantity;
use crate::scaler::{MetricSpec, Reading, Scaler, check_metric_name};
use crate::time_based::{Change, Span, TimeBased};

pub use metadata::{TimetableMetadata, parse};

const TYPE: &str = "timetable";

#[derive(Debug)]
pub struct TimetableScaler {
    metadata: TimetableMetadata,
    specs: Vec<MetricSpec>,
}

/// Builds a timetable scaler; it holds no connection.
pub fn build(
    ctx: &TriggerContext,
    _connections: &Arc<Connections>,
) -> Result<Box<dyn Scaler>, ParseError> {
    Ok(Box::new(TimetableScaler::new(ctx)?))
}

impl TimetableScaler {
    pub fn new(ctx: &TriggerContext) -> Result<TimetableScaler, ParseError> {
        let metadata = parse(ctx)?;
        // One trigger, one index: two timetables in one ScaledObject cannot collide.
        let name = with_index(ctx.index, &format!("{TYPE}-{}", metadata.timezone));
        let specs = vec![MetricSpec {
            name,
            target: MilliQuantity::from_f64(metadata.target),
            metric_type: ctx.metric_type,
        }];
        Ok(TimetableScaler { metadata, specs })
    }

    pub fn reading(&self, now: DateTime<Utc>) -> Reading {
        self.metadata.timetable.reading(now)
    }
}

#[async_trait]
impl Scaler for TimetableScaler {
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

    fn time_based(&self) -> Option<&dyn TimeBased> {
        Some(self)
    }
}

impl TimeBased for TimetableScaler {
    fn zone(&self) -> Tz {
        self.metadata.timetable.zone
    }

    fn reading_at(&self, now: DateTime<Utc>) -> Reading {
        self.reading(now)
    }

    fn next_changes(&self, after: DateTime<Utc>, n: usize) -> Vec<Change> {
        self.metadata.timetable.next_changes(after, n)
    }

    fn spans(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Span> {
        self.metadata.timetable.spans(from, to)
    }
}

#[cfg(test)]
mod tests;

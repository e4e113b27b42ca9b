//! Triggers whose reading is a pure function of the time (`cron`, `timetable`). Because no source
//! is asked, they can be evaluated offline (`kedars check --at`), listed ahead (`--next`) and
//! replayed on a simulated clock (`kedars simulate`).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::scaler::Reading;

/// From `at` on, the trigger reads `reading` (until the next change).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Change {
    pub at: DateTime<Utc>,
    pub reading: Reading,
}

/// One window of a time-based trigger, for charts. Capacity is asked for from `ready_from` (the
/// lead time before `start`) until `until` (the lag after `end`); a cron window has neither lead
/// nor lag.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub label: Option<String>,
    pub ready_from: DateTime<Utc>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

pub trait TimeBased: Send + Sync {
    /// The zone whose wall clock the schedule is written in: times are shown in it.
    fn zone(&self) -> Tz;

    /// The reading at `now`; the same as the scaler's query would return.
    fn reading_at(&self, now: DateTime<Utc>) -> Reading;

    /// The first `n` changes of the reading (value or activity) strictly after `after`. May
    /// return fewer when the schedule has no more within a bounded look-ahead (about a year).
    fn next_changes(&self, after: DateTime<Utc>, n: usize) -> Vec<Change>;

    /// The windows that overlap `[from, to)`, in order of `ready_from`, clipped to it.
    fn spans(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Span>;
}

/// Whether two readings differ in what the engine or the HPA would see.
pub fn differs(a: &Reading, b: &Reading) -> bool {
    a.value != b.value || a.active != b.active
}

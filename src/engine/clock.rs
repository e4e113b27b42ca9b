//! Time as an input. Production reads the system clock; tests run the engine under tokio's
//! paused clock, whose wall time must move with it.

use chrono::{DateTime, Utc};

pub trait Clock: Send + Sync {
    /// Wall time: what schedules, reports and timestamps use.
    fn now(&self) -> DateTime<Utc>;

    /// Monotonic time: how old a value is (immune to wall-clock steps). tokio's clock, which
    /// tests pause and advance; a simulation moves it with its wall time.
    fn instant(&self) -> tokio::time::Instant {
        tokio::time::Instant::now()
    }
}

/// The system's wall clock: cron windows need real local time, including NTP corrections.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Wall time that advances with `tokio::time` (so with `tokio::time::pause` and `advance`),
/// starting at a chosen instant.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    wall_start: DateTime<Utc>,
    tokio_start: tokio::time::Instant,
}

impl TokioClock {
    pub fn starting_at(wall_start: DateTime<Utc>) -> Self {
        TokioClock {
            wall_start,
            tokio_start: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = tokio::time::Instant::now() - self.tokio_start;
        self.wall_start + chrono::Duration::from_std(elapsed).unwrap_or(chrono::Duration::MAX)
    }
}

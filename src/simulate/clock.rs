//! Simulated time. The engine reads the wall time and the monotonic time (how old a value is)
//! from a [`Clock`]; the simulation moves both together.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use crate::engine::clock::Clock;

/// Time that stands still until moved.
#[derive(Debug)]
pub struct SteppingClock {
    start: DateTime<Utc>,
    /// The monotonic instant that stands for `start`.
    origin: Instant,
    millis: AtomicI64,
}

impl SteppingClock {
    pub fn new(at: DateTime<Utc>) -> SteppingClock {
        SteppingClock {
            start: at,
            origin: Instant::now(),
            millis: AtomicI64::new(at.timestamp_millis()),
        }
    }

    pub fn set(&self, at: DateTime<Utc>) {
        self.millis.store(at.timestamp_millis(), Ordering::Relaxed);
    }
}

impl Clock for SteppingClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.millis.load(Ordering::Relaxed)).unwrap_or_default()
    }

    /// Moves with the simulated wall time; never before the start (a simulation only moves
    /// forward).
    fn instant(&self) -> Instant {
        let elapsed = (self.now() - self.start).to_std().unwrap_or_default();
        self.origin + elapsed
    }
}

#[cfg(test)]
mod tests {
    use super::SteppingClock;
    use crate::engine::clock::Clock;

    #[test]
    fn the_monotonic_instant_moves_with_the_simulated_time() {
        let start = chrono::DateTime::parse_from_rfc3339("2026-03-29T00:30:00+01:00")
            .unwrap()
            .to_utc();
        let clock = SteppingClock::new(start);
        let origin = clock.instant();
        assert_eq!(clock.instant(), origin, "stands still until moved");
        clock.set(start + chrono::Duration::minutes(90));
        assert_eq!(
            clock.instant() - origin,
            std::time::Duration::from_secs(90 * 60),
            "across a daylight-saving change: UTC time, not local"
        );
    }
}

//! Simulated time. The engine reads the wall time from a [`Clock`]; the simulation moves it.
//!
//! The engine also decides whether a trigger's last value is fresh enough to reuse by the
//! monotonic clock (`tokio::time::Instant`), which does not move with simulated time. Every
//! query here asks for values no older than zero, and [`Fresh`] makes sure the monotonic clock
//! has ticked since the previous query, so each query really asks the trigger again.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use crate::engine::clock::Clock;

/// Wall time that stands still until moved.
#[derive(Debug)]
pub struct SteppingClock {
    millis: AtomicI64,
}

impl SteppingClock {
    pub fn new(at: DateTime<Utc>) -> SteppingClock {
        SteppingClock {
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
}

/// Far more than a coarse monotonic clock needs to tick (microseconds on today's machines).
const SPINS: u32 = 10_000_000;

/// Separates queries on the monotonic clock (see the module's note).
#[derive(Debug)]
pub struct Fresh {
    last: Instant,
}

impl Default for Fresh {
    fn default() -> Self {
        Fresh {
            last: Instant::now(),
        }
    }
}

impl Fresh {
    /// Waits (on a clock with nanosecond resolution: not at all) until the monotonic clock has
    /// moved past the end of the previous query. Bounded, so that a paused tokio clock (which
    /// never moves, and under which a simulation cannot be right) does not hang it.
    pub fn before_query(&mut self) {
        for _ in 0..SPINS {
            if Instant::now() > self.last {
                return;
            }
            std::hint::spin_loop();
        }
    }

    pub fn after_query(&mut self) {
        self.last = Instant::now();
    }
}

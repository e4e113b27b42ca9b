//! When polls start, seen from outside the engine: a reporter that keeps the engine's own
//! `loop_latency` (how late each poll started against its tick, KEDA's
//! `keda_internal_scale_loop_latency_seconds`), and a scale target that notes the instant each
//! poll asks for the replica count (a poll's first step) to measure drift from a fixed schedule.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use hdrhistogram::Histogram;
use kedars::api::ScaledObject;
use kedars::engine::state::ObjectKey;
use kedars::engine::target::{InMemoryTarget, PollReport, Reporter, ScaleTarget};

/// Microseconds, 1 µs to 10 min at 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("histogram bounds")
}

fn record(histogram: &Mutex<Histogram<u64>>, d: Duration) {
    let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1);
    histogram
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .saturating_record(micros);
}

/// Records `PollReport::loop_latency` while `recording` is on.
#[derive(Debug)]
pub struct LagReporter {
    pub recording: Arc<AtomicBool>,
    lag_us: Mutex<Histogram<u64>>,
}

impl LagReporter {
    pub fn new(recording: Arc<AtomicBool>) -> Self {
        LagReporter {
            recording,
            lag_us: Mutex::new(histogram()),
        }
    }

    pub fn lag_us(&self) -> Histogram<u64> {
        self.lag_us
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Reporter for LagReporter {
    fn report(&self, report: &PollReport) {
        if self.recording.load(Ordering::Relaxed) {
            record(&self.lag_us, report.loop_latency);
        }
    }
}

/// Replicas in memory (as `InMemoryTarget`), plus each poll's start: a ScaledObject's k-th poll
/// is due at its first poll's start plus k × pollingInterval, and the drift is how much later
/// it started. Unlike `loop_latency`, drift accumulates: a loop that slips keeps its delay.
pub struct TimingTarget {
    replicas: InMemoryTarget,
    interval: Duration,
    pub recording: Arc<AtomicBool>,
    starts: Mutex<HashMap<ObjectKey, (Instant, u32)>>,
    drift_us: Mutex<Histogram<u64>>,
}

impl TimingTarget {
    pub fn new(interval: Duration, recording: Arc<AtomicBool>) -> Self {
        TimingTarget {
            replicas: InMemoryTarget::new(1),
            interval,
            recording,
            starts: Mutex::new(HashMap::new()),
            drift_us: Mutex::new(histogram()),
        }
    }

    pub fn drift_us(&self) -> Histogram<u64> {
        self.drift_us
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

fn key_of(so: &ScaledObject) -> ObjectKey {
    ObjectKey::new(
        so.metadata.namespace.clone().unwrap_or_default(),
        so.metadata.name.clone().unwrap_or_default(),
    )
}

#[async_trait]
impl ScaleTarget for TimingTarget {
    async fn replicas(&self, so: &ScaledObject) -> Result<i32, String> {
        let now = Instant::now();
        let drift = {
            let mut starts = self.starts.lock().unwrap_or_else(|e| e.into_inner());
            let (first, polls) = starts.entry(key_of(so)).or_insert((now, 0));
            let due = *first + self.interval * *polls;
            *polls += 1;
            now.saturating_duration_since(due)
        };
        if self.recording.load(Ordering::Relaxed) {
            record(&self.drift_us, drift);
        }
        self.replicas.replicas(so).await
    }

    async fn scale(&self, so: &ScaledObject, replicas: i32) -> Result<(), String> {
        self.replicas.scale(so, replicas).await
    }
}

//! Where the engine's decisions go. In a cluster: the `/scale` subresource and the
//! ScaledObject's status; in local mode: memory and the terminal; in simulation: a recorder.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::executor::{Decision, ScaleAction};
use super::state::{ObjectKey, ObjectState};
use crate::api::ScaledObject;

/// The workload a ScaledObject scales.
#[async_trait]
pub trait ScaleTarget: Send + Sync {
    async fn replicas(&self, so: &ScaledObject) -> Result<i32, String>;
    async fn scale(&self, so: &ScaledObject, replicas: i32) -> Result<(), String>;
}

/// Everything one poll of one ScaledObject found and did.
#[derive(Debug, Clone, PartialEq)]
pub struct PollReport {
    pub key: ObjectKey,
    pub at: DateTime<Utc>,
    pub state: ObjectState,
    pub current_replicas: Result<i32, String>,
    pub decision: Decision,
    /// The scale action taken, and whether the write succeeded.
    pub scaled: Option<(ScaleAction, Result<(), String>)>,
    pub last_active_time: Option<DateTime<Utc>>,
    /// How late this poll started against its schedule (KEDA's
    /// `keda_internal_scale_loop_latency_seconds`).
    pub loop_latency: std::time::Duration,
}

pub trait Reporter: Send + Sync {
    fn report(&self, report: &PollReport);
    /// The ScaledObject's loop was stopped (deleted or paused): its values must no longer be
    /// served by anything that learned them from reports.
    fn removed(&self, _key: &ObjectKey) {}
}

/// Replicas kept in memory: local mode and tests, where no cluster exists. Unknown targets
/// start at `initial`.
#[derive(Debug)]
pub struct InMemoryTarget {
    initial: i32,
    replicas: Mutex<HashMap<ObjectKey, i32>>,
}

impl InMemoryTarget {
    pub fn new(initial: i32) -> Self {
        InMemoryTarget {
            initial,
            replicas: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, key: &ObjectKey) -> i32 {
        let replicas = self.replicas.lock().unwrap_or_else(|e| e.into_inner());
        replicas.get(key).copied().unwrap_or(self.initial)
    }

    pub fn set(&self, key: &ObjectKey, replicas: i32) {
        let mut map = self.replicas.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(key.clone(), replicas);
    }
}

fn key_of(so: &ScaledObject) -> ObjectKey {
    ObjectKey::new(
        so.metadata
            .namespace
            .clone()
            .unwrap_or_else(|| "default".into()),
        so.metadata.name.clone().unwrap_or_default(),
    )
}

#[async_trait]
impl ScaleTarget for InMemoryTarget {
    async fn replicas(&self, so: &ScaledObject) -> Result<i32, String> {
        Ok(self.get(&key_of(so)))
    }

    async fn scale(&self, so: &ScaledObject, replicas: i32) -> Result<(), String> {
        self.set(&key_of(so), replicas);
        Ok(())
    }
}

/// Keeps every report; for tests and `kedars run --once`.
#[derive(Debug, Default)]
pub struct RecordingReporter {
    reports: Mutex<Vec<PollReport>>,
}

impl RecordingReporter {
    pub fn reports(&self) -> Vec<PollReport> {
        self.reports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Reporter for RecordingReporter {
    fn report(&self, report: &PollReport) {
        let mut reports = self.reports.lock().unwrap_or_else(|e| e.into_inner());
        reports.push(report.clone());
    }
}

//! Every ScaledObject the engine runs: one polling task each, and the lookup the metrics API
//! serves from.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::task::JoinHandle;

use super::scale_loop::{self, LoopContext};
use super::scaled_object::{MetricError, ScaledObjectRuntime, ServedMetric};
use super::state::ObjectKey;

/// How old a value the HPA is served may be before its request queries the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricAge {
    /// The ScaledObject's pollingInterval plus [`POLL_GRACE`] (the default): the polling loop
    /// refreshes every value once per interval, so the HPA's reads never reach the source unless
    /// a poll is late. One query per trigger per interval, whatever the HPA's read rate.
    PollingInterval,
    /// At most this old, whatever the pollingInterval (`--max-metric-age`).
    AtMost(Duration),
}

/// How late a poll may be before the HPA's read queries the source itself.
pub const POLL_GRACE: Duration = Duration::from_secs(1);

impl From<Duration> for MetricAge {
    fn from(max: Duration) -> Self {
        MetricAge::AtMost(max)
    }
}

impl MetricAge {
    /// The flag's value: absent means [`MetricAge::PollingInterval`].
    pub fn from_flag(seconds: Option<u64>) -> Self {
        seconds.map_or(MetricAge::PollingInterval, |s| {
            MetricAge::AtMost(Duration::from_secs(s))
        })
    }

    pub fn for_object(self, runtime: &ScaledObjectRuntime) -> Duration {
        match self {
            MetricAge::PollingInterval => runtime.polling_interval() + POLL_GRACE,
            MetricAge::AtMost(max) => max,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServeError {
    #[error("ScaledObject {0} is not known")]
    UnknownScaledObject(ObjectKey),
    #[error(transparent)]
    Metric(#[from] MetricError),
    /// No value can be served at all (a metrics-server whose feed from the operator is down).
    #[error("{0}")]
    Unavailable(String),
}

struct Running {
    runtime: Arc<ScaledObjectRuntime>,
    task: JoinHandle<()>,
}

pub struct Engine {
    ctx: LoopContext,
    max_metric_age: MetricAge,
    objects: RwLock<HashMap<ObjectKey, Running>>,
}

impl Engine {
    pub fn new(ctx: LoopContext, max_metric_age: impl Into<MetricAge>) -> Self {
        Engine {
            ctx,
            max_metric_age: max_metric_age.into(),
            objects: RwLock::new(HashMap::new()),
        }
    }

    /// Starts polling `runtime`, replacing (and stopping) any previous version of it.
    pub fn upsert(&self, runtime: ScaledObjectRuntime) -> Arc<ScaledObjectRuntime> {
        let runtime = Arc::new(runtime);
        let task = tokio::spawn(scale_loop::run(runtime.clone(), self.ctx.clone()));
        let previous = self.write().insert(
            runtime.key.clone(),
            Running {
                runtime: runtime.clone(),
                task,
            },
        );
        if let Some(previous) = previous {
            previous.task.abort();
        }
        runtime
    }

    pub fn remove(&self, key: &ObjectKey) -> bool {
        // The lock is released before the reporter hears of it.
        let removed = self.write().remove(key);
        match removed {
            Some(running) => {
                running.task.abort();
                self.ctx.reporter.removed(key);
                true
            }
            None => false,
        }
    }

    pub fn get(&self, key: &ObjectKey) -> Option<Arc<ScaledObjectRuntime>> {
        self.read().get(key).map(|r| r.runtime.clone())
    }

    pub fn keys(&self) -> Vec<ObjectKey> {
        let mut keys: Vec<_> = self.read().keys().cloned().collect();
        keys.sort();
        keys
    }

    /// A metric value for the HPA, never older than the [`MetricAge`] allows.
    pub async fn serve(
        &self,
        key: &ObjectKey,
        metric_name: &str,
    ) -> Result<ServedMetric, ServeError> {
        let runtime = self
            .get(key)
            .ok_or_else(|| ServeError::UnknownScaledObject(key.clone()))?;
        Ok(runtime
            .serve(
                metric_name,
                self.max_metric_age.for_object(&runtime),
                self.ctx.clock.as_ref(),
            )
            .await?)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<ObjectKey, Running>> {
        self.objects.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<ObjectKey, Running>> {
        self.objects.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        for running in self.read().values() {
            running.task.abort();
        }
    }
}

//! Every ScaledObject the engine runs: one polling task each, and the lookup the metrics API
//! serves from.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::task::JoinHandle;

use super::scale_loop::{self, LoopContext};
use super::scaled_object::{MetricError, ScaledObjectRuntime, ServedMetric};
use super::state::ObjectKey;

/// The HPA controller's default sync period: a value served is never older than this.
pub const DEFAULT_MAX_METRIC_AGE: Duration = Duration::from_secs(15);

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
    max_metric_age: Duration,
    objects: RwLock<HashMap<ObjectKey, Running>>,
}

impl Engine {
    pub fn new(ctx: LoopContext, max_metric_age: Duration) -> Self {
        Engine {
            ctx,
            max_metric_age,
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

    /// A metric value for the HPA, never older than the maximum metric age.
    pub async fn serve(
        &self,
        key: &ObjectKey,
        metric_name: &str,
    ) -> Result<ServedMetric, ServeError> {
        let runtime = self
            .get(key)
            .ok_or_else(|| ServeError::UnknownScaledObject(key.clone()))?;
        Ok(runtime
            .serve(metric_name, self.max_metric_age, self.ctx.clock.as_ref())
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

//! The split serves what in-process serving serves: an engine whose loops report through the
//! operator's reporter into a hub, and a metrics-server view fed from that hub, answer alike.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kedars_scalers::{MetricSpec, MetricType, MilliQuantity, Reading, Scaler, ScalerError};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::hub::FeedHub;
use super::view::FeedView;
use crate::api::ScaledObject;
use crate::controller::metrics::OperatorMetrics;
use crate::controller::reporter::ChannelReporter;
use crate::engine::clock::SystemClock;
use crate::engine::registry::Engine;
use crate::engine::scale_loop::LoopContext;
use crate::engine::scaled_object::ScaledObjectRuntime;
use crate::engine::state::ObjectKey;
use crate::engine::target::InMemoryTarget;
use crate::engine::trigger::TriggerRuntime;

/// Always answers the same value or error.
struct Fixed {
    specs: Vec<MetricSpec>,
    answer: Result<f64, &'static str>,
}

#[async_trait]
impl Scaler for Fixed {
    fn trigger_type(&self) -> &'static str {
        "fixed"
    }
    fn metric_specs(&self) -> &[MetricSpec] {
        &self.specs
    }
    async fn metrics_and_activity(
        &self,
        _: &str,
        _: DateTime<Utc>,
    ) -> Result<Reading, ScalerError> {
        self.answer
            .map(|v| Reading::above(v, 0.0))
            .map_err(|message| ScalerError::Query {
                scaler: "fixed",
                message: message.into(),
            })
    }
}

fn trigger(index: usize, answer: Result<f64, &'static str>) -> Arc<TriggerRuntime> {
    let specs = vec![MetricSpec {
        name: format!("s{index}-fixed"),
        target: MilliQuantity::from_integer(5),
        metric_type: MetricType::AverageValue,
    }];
    Arc::new(TriggerRuntime::new(
        index,
        None,
        Arc::new(Fixed { specs, answer }),
    ))
}

fn runtime() -> ScaledObjectRuntime {
    let so: ScaledObject = serde_saphyr::from_str(
        "metadata: {name: lectures, namespace: classroom}\nspec:\n  scaleTargetRef: {name: web}\n  \
         pollingInterval: 3600\n  triggers: [{type: fixed, metadata: {}}, {type: fixed, metadata: {}}]\n",
    )
    .unwrap();
    let triggers = vec![
        trigger(0, Ok(12.5)),
        trigger(1, Err("redis: connection refused")),
    ];
    ScaledObjectRuntime::new(so, triggers, 0, None)
}

#[tokio::test]
async fn the_feed_serves_what_the_engine_serves() {
    let hub = Arc::new(FeedHub::default());
    let (reports, _keep) = mpsc::unbounded_channel();
    let reporter = ChannelReporter {
        reports,
        metrics: Arc::new(OperatorMetrics::new("test")),
        feed: hub.clone(),
    };
    let engine = Engine::new(
        LoopContext {
            target: Arc::new(InMemoryTarget::new(1)),
            reporter: Arc::new(reporter),
            clock: Arc::new(SystemClock),
        },
        Duration::from_secs(15),
    );
    let mut subscription = hub.subscribe();
    let key = engine.upsert(runtime()).key.clone();
    let mut view = FeedView::default();
    view.apply(subscription.snapshot.clone());
    // The loop polls at once; its report is the first update.
    view.apply(subscription.updates.recv().await.unwrap());
    let (now, grace) = (Instant::now(), Duration::from_secs(5));
    let unknown = ObjectKey::new("classroom", "nope");
    for (key, metric) in [
        (&key, "s0-fixed"),
        (&key, "S0-FIXED"),
        (&key, "s1-fixed"),
        (&key, "s9-missing"),
        (&unknown, "s0-fixed"),
    ] {
        let in_process = engine.serve(key, metric).await;
        let fed = view.serve(key, metric, now, grace);
        assert_eq!(
            fed.as_ref().map(|m| (&m.metric_name, m.value)),
            in_process.as_ref().map(|m| (&m.metric_name, m.value)),
            "{key} {metric}"
        );
    }
    assert!(
        engine.remove(&key),
        "removal reaches the hub through the reporter"
    );
    view.apply(subscription.updates.recv().await.unwrap());
    assert_eq!(
        view.serve(&key, "s0-fixed", now, grace).unwrap_err(),
        engine.serve(&key, "s0-fixed").await.unwrap_err()
    );
}

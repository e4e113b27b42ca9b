//! The engine under a paused tokio clock, with a scripted scaler: single flight, freshness,
//! the polling schedule, activation, cooldown and fallback.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use kedars_scalers::{MetricSpec, MetricType, MilliQuantity, Reading, Scaler, ScalerError};

use super::clock::TokioClock;
use super::registry::{Engine, MetricAge};
use super::scale_loop::LoopContext;
use super::scaled_object::ScaledObjectRuntime;
use super::state::ObjectKey;
use super::target::{InMemoryTarget, RecordingReporter};
use super::trigger::TriggerRuntime;
use crate::api::ScaledObject;

/// A source whose value the test sets; each query takes `delay` and is counted.
struct ScriptedScaler {
    specs: Vec<MetricSpec>,
    value: Mutex<Result<f64, String>>,
    delay: Duration,
    queries: AtomicU64,
}

impl ScriptedScaler {
    fn new(target: i64, delay: Duration) -> Arc<Self> {
        Arc::new(ScriptedScaler {
            specs: vec![MetricSpec {
                name: "s0-scripted".into(),
                target: MilliQuantity::from_integer(target),
                metric_type: MetricType::AverageValue,
            }],
            value: Mutex::new(Ok(0.0)),
            delay,
            queries: AtomicU64::new(0),
        })
    }

    fn set(&self, value: Result<f64, &str>) {
        *self.value.lock().unwrap() = value.map_err(str::to_string);
    }

    fn queries(&self) -> u64 {
        self.queries.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl Scaler for ScriptedScaler {
    fn trigger_type(&self) -> &'static str {
        "scripted"
    }
    fn metric_specs(&self) -> &[MetricSpec] {
        &self.specs
    }
    async fn metrics_and_activity(
        &self,
        _: &str,
        _: DateTime<Utc>,
    ) -> Result<Reading, ScalerError> {
        self.queries.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        let value = self.value.lock().unwrap().clone();
        value
            .map(|v| Reading::above(v, 0.0))
            .map_err(|message| ScalerError::Query {
                scaler: "scripted",
                message,
            })
    }
}

struct Harness {
    engine: Engine,
    target: Arc<InMemoryTarget>,
    reporter: Arc<RecordingReporter>,
    scaler: Arc<ScriptedScaler>,
    key: ObjectKey,
}

fn scaled_object(extra_spec: &str) -> ScaledObject {
    serde_saphyr::from_str(&format!(
        "metadata: {{name: web, namespace: ns}}\nspec:\n  scaleTargetRef: {{name: web}}\n  \
         triggers: [{{type: scripted, metadata: {{}}}}]\n{extra_spec}"
    ))
    .unwrap()
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 8, 0, 0).unwrap()
}

fn harness(extra_spec: &str, initial_replicas: i32, delay: Duration) -> Harness {
    harness_with_age(
        extra_spec,
        initial_replicas,
        delay,
        MetricAge::AtMost(Duration::from_secs(15)),
    )
}

fn harness_with_age(
    extra_spec: &str,
    initial_replicas: i32,
    delay: Duration,
    age: MetricAge,
) -> Harness {
    let target = Arc::new(InMemoryTarget::new(initial_replicas));
    let reporter = Arc::new(RecordingReporter::default());
    let ctx = LoopContext {
        target: target.clone(),
        reporter: reporter.clone(),
        clock: Arc::new(TokioClock::starting_at(start())),
    };
    let engine = Engine::new(ctx, age);
    let scaler = ScriptedScaler::new(5, delay);
    let trigger = Arc::new(TriggerRuntime::new(0, None, scaler.clone()));
    let runtime = ScaledObjectRuntime::new(scaled_object(extra_spec), vec![trigger], 0, None);
    let key = runtime.key.clone();
    Harness {
        engine,
        target,
        reporter,
        scaler,
        key,
    }
}

/// Lets spawned tasks run until they wait on the (paused) clock again.
async fn settle() {
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
}

async fn advance(seconds: u64) {
    tokio::time::advance(Duration::from_secs(seconds)).await;
    settle().await;
}

#[tokio::test(start_paused = true)]
async fn one_query_for_a_hundred_simultaneous_requests() {
    let h = harness("  pollingInterval: 30", 1, Duration::from_millis(200));
    h.scaler.set(Ok(7.0));
    let runtime = Arc::new(ScaledObjectRuntime::new(
        scaled_object(""),
        vec![Arc::new(TriggerRuntime::new(0, None, h.scaler.clone()))],
        0,
        None,
    ));
    let clock = TokioClock::starting_at(start());
    let requests = (0..100).map(|_| {
        let runtime = runtime.clone();
        async move {
            runtime
                .serve("s0-scripted", Duration::from_secs(15), &clock)
                .await
        }
    });
    let served = futures::future::join_all(requests).await;
    assert_eq!(h.scaler.queries(), 1, "one query for all hundred requests");
    assert!(
        served
            .iter()
            .all(|s| s.as_ref().unwrap().value == MilliQuantity::from_integer(7))
    );
}

#[tokio::test(start_paused = true)]
async fn fresh_values_are_reused_until_the_maximum_age() {
    let h = harness("", 1, Duration::ZERO);
    h.engine.upsert(ScaledObjectRuntime::new(
        scaled_object("  pollingInterval: 300"),
        vec![Arc::new(TriggerRuntime::new(0, None, h.scaler.clone()))],
        0,
        None,
    ));
    settle().await;
    assert_eq!(h.scaler.queries(), 1, "the first poll runs at once");
    h.engine.serve(&h.key, "s0-scripted").await.unwrap();
    advance(15).await;
    h.engine.serve(&h.key, "s0-scripted").await.unwrap();
    assert_eq!(h.scaler.queries(), 1, "15 s old is still fresh");
    advance(1).await;
    h.engine.serve(&h.key, "s0-scripted").await.unwrap();
    assert_eq!(h.scaler.queries(), 2, "16 s old is stale: one new query");
}

#[tokio::test(start_paused = true)]
async fn one_query_per_polling_interval_with_the_hpa_reading_every_15_seconds() {
    // The default age, and a fixed one as long as the HPA's period. (On this exact clock the
    // fixed 15 s never expires between reads; on a real one it is a coin toss, BENCHMARKS.md §2.
    // The default has no such edge.)
    for age in [
        MetricAge::PollingInterval,
        MetricAge::AtMost(Duration::from_secs(15)),
    ] {
        let h = harness_with_age("", 1, Duration::ZERO, age);
        h.engine.upsert(ScaledObjectRuntime::new(
            scaled_object("  pollingInterval: 30"),
            vec![Arc::new(TriggerRuntime::new(0, None, h.scaler.clone()))],
            0,
            None,
        ));
        settle().await;
        for _ in 0..(10 * 4) {
            advance(15).await;
            h.engine.serve(&h.key, "s0-scripted").await.unwrap();
        }
        // Ten minutes: KEDA would make 20 polls + 40 HPA queries; we make one per 30 s.
        assert_eq!(h.scaler.queries(), 21, "{age:?}");
    }
}

#[test]
fn the_flag_fixes_the_age_and_its_absence_follows_the_interval() {
    let runtime = ScaledObjectRuntime::new(scaled_object("  pollingInterval: 45"), vec![], 0, None);
    let cases = [(None, 46), (Some(0), 0), (Some(15), 15), (Some(600), 600)];
    for (flag, seconds) in cases {
        assert_eq!(
            MetricAge::from_flag(flag).for_object(&runtime),
            Duration::from_secs(seconds),
            "--max-metric-age {flag:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn activation_then_cooldown_then_scale_to_zero() {
    let h = harness("", 0, Duration::ZERO);
    let spec = "  pollingInterval: 10\n  cooldownPeriod: 60";
    h.engine.upsert(ScaledObjectRuntime::new(
        scaled_object(spec),
        vec![Arc::new(TriggerRuntime::new(0, None, h.scaler.clone()))],
        0,
        None,
    ));
    settle().await;
    assert_eq!(h.target.get(&h.key), 0, "inactive at zero stays at zero");
    h.scaler.set(Ok(12.0));
    advance(10).await;
    assert_eq!(h.target.get(&h.key), 1, "activated from zero to one");
    h.target.set(&h.key, 3); // the HPA scaled further
    h.scaler.set(Ok(0.0));
    advance(10).await; // t=20: inactive, last active t=10
    assert_eq!(h.target.get(&h.key), 3, "cooling down");
    advance(50).await; // t=70: last active + 60 s = t=70, not yet strictly after
    assert_eq!(h.target.get(&h.key), 3);
    advance(10).await; // t=80
    assert_eq!(h.target.get(&h.key), 0, "scaled to zero after the cooldown");
    let reasons: Vec<_> = h
        .reporter
        .reports()
        .iter()
        .filter_map(|r| r.scaled.as_ref().map(|(a, _)| a.reason))
        .collect();
    use super::executor::ScaleReason::*;
    assert_eq!(reasons, [Activate, Deactivate]);
}

#[tokio::test(start_paused = true)]
async fn fallback_after_the_threshold_and_recovery() {
    let h = harness("", 2, Duration::ZERO);
    let spec = "  pollingInterval: 10\n  fallback: {failureThreshold: 2, replicas: 6}";
    h.engine.upsert(ScaledObjectRuntime::new(
        scaled_object(spec),
        vec![Arc::new(TriggerRuntime::new(0, None, h.scaler.clone()))],
        0,
        None,
    ));
    settle().await;
    h.scaler.set(Err("source down"));
    advance(10).await; // failure 1
    advance(10).await; // failure 2
    let err = h.engine.serve(&h.key, "s0-scripted").await.unwrap_err();
    assert!(
        err.to_string()
            .contains("metric:s0-scripted encountered error"),
        "{err}"
    );
    advance(10).await; // failure 3 > threshold 2
    let served = h.engine.serve(&h.key, "s0-scripted").await.unwrap();
    assert_eq!(
        served.value,
        MilliQuantity::from_integer(30),
        "6 replicas × target 5"
    );
    let last = h.reporter.reports().last().cloned().unwrap();
    assert!(last.state.fallback_active && !last.state.is_error && last.state.is_active);
    h.scaler.set(Ok(4.0));
    advance(10).await;
    let served = h.engine.serve(&h.key, "s0-scripted").await.unwrap();
    assert_eq!(
        served.value,
        MilliQuantity::from_integer(4),
        "back to the source's value"
    );
    assert!(!h.reporter.reports().last().unwrap().state.fallback_active);
}

#[tokio::test(start_paused = true)]
async fn unknown_objects_and_metrics_are_errors() {
    let h = harness("", 1, Duration::ZERO);
    h.engine.upsert(ScaledObjectRuntime::new(
        scaled_object(""),
        vec![Arc::new(TriggerRuntime::new(0, None, h.scaler.clone()))],
        0,
        None,
    ));
    let other = ObjectKey::new("ns", "nope");
    assert_eq!(
        h.engine
            .serve(&other, "s0-scripted")
            .await
            .unwrap_err()
            .to_string(),
        "ScaledObject ns/nope is not known"
    );
    assert_eq!(
        h.engine
            .serve(&h.key, "s9-nothing")
            .await
            .unwrap_err()
            .to_string(),
        "no matching metrics found for s9-nothing"
    );
    assert!(h.engine.remove(&h.key));
    assert!(h.engine.serve(&h.key, "s0-scripted").await.is_err());
}

fn modifiers_runtime(
    formula_text: &str,
    extra_spec: &str,
) -> (
    ScaledObjectRuntime,
    Arc<ScriptedScaler>,
    Arc<ScriptedScaler>,
) {
    let so = serde_saphyr::from_str::<ScaledObject>(&format!(
        "metadata: {{name: web, namespace: ns}}\nspec:\n  scaleTargetRef: {{name: web}}\n  \
         triggers: [{{type: scripted, name: queue, metadata: {{}}}}, {{type: scripted, name: rate, metadata: {{}}}}]\n  \
         advanced:\n    scalingModifiers: {{formula: \"{formula_text}\", target: \"4\", activationTarget: \"1\"}}\n{extra_spec}"
    ))
    .unwrap();
    let (a, b) = (
        ScriptedScaler::new(5, Duration::ZERO),
        ScriptedScaler::new(5, Duration::ZERO),
    );
    let modifiers = super::build::tests_support::modifiers(&so);
    let triggers = vec![
        Arc::new(TriggerRuntime::new(0, Some("queue".into()), a.clone())),
        Arc::new(TriggerRuntime::new(1, Some("rate".into()), b.clone())),
    ];
    (
        ScaledObjectRuntime::new(so, triggers, 0, Some(modifiers)),
        a,
        b,
    )
}

#[tokio::test(start_paused = true)]
async fn scaling_modifiers_serve_the_composite_metric() {
    let (runtime, queue, rate) = modifiers_runtime("(queue + rate) / 2", "");
    let clock = TokioClock::starting_at(start());
    queue.set(Ok(3.0));
    rate.set(Ok(6.5));
    let served = runtime
        .serve("composite-metric", Duration::from_secs(15), &clock)
        .await
        .unwrap();
    assert_eq!(served.metric_name, "composite-metric");
    assert_eq!(served.value, MilliQuantity::from_f64(4.75));
    let state = runtime.evaluate(Duration::from_secs(15), &clock).await;
    assert!(state.is_active, "4.75 > activationTarget 1");
    assert!(
        runtime
            .serve("s0-scripted", Duration::from_secs(15), &clock)
            .await
            .is_err(),
        "with modifiers only the composite metric is served"
    );

    tokio::time::advance(Duration::from_secs(16)).await;
    queue.set(Ok(1.0));
    rate.set(Ok(0.5));
    let state = runtime.evaluate(Duration::from_secs(15), &clock).await;
    assert!(!state.is_active, "0.75 is not above the activation target");
    rate.set(Err("down"));
    tokio::time::advance(Duration::from_secs(16)).await;
    let state = runtime.evaluate(Duration::from_secs(15), &clock).await;
    assert!(
        state.is_error && !state.is_active,
        "an error makes a modified object inactive"
    );
}

#[tokio::test(start_paused = true)]
async fn failing_triggers_enter_the_formula_as_nil_with_scaling_modifiers_fallback() {
    let fallback = "  fallback: {failureThreshold: 0, replicas: 3, behavior: scalingModifiers}";
    let (runtime, queue, rate) = modifiers_runtime("rate ?? queue", fallback);
    let clock = TokioClock::starting_at(start());
    queue.set(Ok(2.0));
    rate.set(Err("prometheus down"));
    let state = runtime.evaluate(Duration::from_secs(15), &clock).await;
    let composite = state.composite.unwrap().value.unwrap();
    assert_eq!(
        composite,
        MilliQuantity::from_integer(2),
        "rate is nil, so queue is used"
    );
}

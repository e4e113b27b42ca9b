//! N ScaledObjects in the real engine, each with one `redis` trigger on its own list: the shape
//! of issue 4's and issue 9's scale figures. Everything below the engine is production code; only
//! where decisions go (an in-memory target, a counting reporter) is the bench's.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use kedars::api::ScaledObject;
use kedars::engine::build;
use kedars::engine::clock::SystemClock;
use kedars::engine::registry::Engine;
use kedars::engine::scale_loop::LoopContext;
use kedars::engine::scaled_object::ScaledObjectRuntime;
use kedars::engine::state::ObjectKey;
use kedars::engine::target::{InMemoryTarget, PollReport, Reporter, ScaleTarget};
use kedars::scalers::{Connections, TriggerContext};

pub const NAMESPACE: &str = "bench";

#[derive(Debug, Clone)]
pub struct FleetSpec {
    pub objects: usize,
    pub polling_interval_seconds: u32,
    pub max_metric_age: Duration,
}

/// One ScaledObject of the fleet.
pub struct Member {
    pub name: String,
    pub list: String,
    pub runtime: Arc<ScaledObjectRuntime>,
}

impl Member {
    pub fn metric(&self) -> &str {
        &self.runtime.triggers[0].metric.name
    }

    /// The request an HPA sends for this member's metric (through the aggregator).
    pub fn path(&self) -> String {
        format!(
            "/apis/external.metrics.k8s.io/v1beta1/namespaces/{NAMESPACE}/{}\
             ?labelSelector=scaledobject.keda.sh%2Fname%3D{}",
            self.metric(),
            self.name
        )
    }
}

pub struct Fleet {
    pub engine: Arc<Engine>,
    pub members: Vec<Member>,
    pub polls: Arc<CountingReporter>,
    pub load_time: Duration,
}

/// The list member `i` reads: lists are named before the fleet exists so they can be filled
/// before the first poll.
pub fn list_name(i: usize) -> String {
    format!("list-{i:05}")
}

impl Fleet {
    /// Builds every runtime and starts its polling loop (first poll at once). Must run inside a
    /// tokio runtime: the engine spawns one task per ScaledObject.
    pub fn load(spec: &FleetSpec, redis_address: &str) -> Fleet {
        Fleet::load_observed(spec, redis_address, Arc::new(InMemoryTarget::new(1)), None)
    }

    /// `load` with the bench's own target (to see when each poll starts) and an observer that
    /// hears every report after it is counted.
    pub fn load_observed(
        spec: &FleetSpec,
        redis_address: &str,
        target: Arc<dyn ScaleTarget>,
        observer: Option<Arc<dyn Reporter>>,
    ) -> Fleet {
        let started = Instant::now();
        let polls = Arc::new(CountingReporter::default());
        let reporter: Arc<dyn Reporter> = match observer {
            Some(observer) => Arc::new(Tee(polls.clone(), observer)),
            None => polls.clone(),
        };
        let engine = Arc::new(Engine::new(
            LoopContext {
                target,
                reporter,
                clock: Arc::new(SystemClock),
            },
            spec.max_metric_age,
        ));
        // One Connections for the process, as in production: every trigger shares one
        // multiplexed connection to the Redis endpoint.
        let connections = Connections::new(Duration::from_secs(3));
        let members = (0..spec.objects)
            .map(|i| {
                let name = format!("so-{i:05}");
                let list = list_name(i);
                let so = scaled_object(&name, &list, spec.polling_interval_seconds);
                let ctx = TriggerContext::new("redis", 0).with_metadata([
                    ("address", redis_address.to_string()),
                    ("listName", list.clone()),
                    ("listLength", "5".to_string()),
                ]);
                let runtime = build::runtime(so, &[Some(ctx)], &connections)
                    .unwrap_or_else(|problems| panic!("{name}: {problems:?}"));
                let runtime = engine.upsert(runtime);
                Member {
                    name,
                    list,
                    runtime,
                }
            })
            .collect();
        Fleet {
            engine,
            members,
            polls,
            load_time: started.elapsed(),
        }
    }

    /// Waits until every trigger has a first outcome; returns how long that took.
    pub async fn wait_for_first_polls(&self, timeout: Duration) -> Duration {
        let started = Instant::now();
        while self
            .members
            .iter()
            .any(|m| m.runtime.triggers[0].latest().is_none())
        {
            assert!(
                started.elapsed() < timeout,
                "first polls not done after {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        started.elapsed()
    }

    /// Source queries the engine itself counted (cross-checks the count at Redis).
    pub fn engine_queries(&self) -> u64 {
        self.members
            .iter()
            .map(|m| m.runtime.triggers[0].query_count())
            .sum()
    }

    /// Each member's own query count, in member order.
    pub fn queries_per_member(&self) -> Vec<u64> {
        self.members
            .iter()
            .map(|m| m.runtime.triggers[0].query_count())
            .collect()
    }

    /// Members whose latest query failed: a bench over failing triggers would measure errors.
    pub fn failing(&self) -> usize {
        self.members
            .iter()
            .filter(|m| {
                m.runtime.triggers[0]
                    .latest()
                    .is_some_and(|o| o.result.is_err())
            })
            .count()
    }

    pub fn paths(&self) -> Vec<String> {
        self.members.iter().map(Member::path).collect()
    }
}

fn scaled_object(name: &str, list: &str, polling_interval_seconds: u32) -> ScaledObject {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "scaleTargetRef": {"name": name},
            "pollingInterval": polling_interval_seconds,
            "triggers": [{"type": "redis", "metadata": {"listName": list, "listLength": "5"}}],
        },
    }))
    .expect("a valid ScaledObject")
}

/// Counts polls instead of keeping reports: a long run must not grow memory.
#[derive(Debug, Default)]
pub struct CountingReporter {
    polls: AtomicU64,
}

impl CountingReporter {
    pub fn count(&self) -> u64 {
        self.polls.load(Ordering::Relaxed)
    }
}

impl Reporter for CountingReporter {
    fn report(&self, _report: &PollReport) {
        self.polls.fetch_add(1, Ordering::Relaxed);
    }
}

/// Counts every report, then hands it to an observer.
struct Tee(Arc<CountingReporter>, Arc<dyn Reporter>);

impl Reporter for Tee {
    fn report(&self, report: &PollReport) {
        self.0.report(report);
        self.1.report(report);
    }

    fn removed(&self, key: &ObjectKey) {
        self.1.removed(key);
    }
}

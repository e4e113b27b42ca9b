//! Single flight, counted at a real source: a private redis-server (so its command statistics
//! are ours alone) behind the engine; 100 simultaneous metric requests through the external
//! metrics API's router cost exactly one query.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use kedars::engine::build;
use kedars::engine::clock::SystemClock;
use kedars::engine::registry::Engine;
use kedars::engine::scale_loop::LoopContext;
use kedars::engine::state::ObjectKey;
use kedars::engine::target::{InMemoryTarget, RecordingReporter};
use kedars::scalers::{Connections, TriggerContext};
use tower::ServiceExt;

struct PrivateRedis {
    child: Child,
    port: u16,
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_redis() -> PrivateRedis {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--enable-debug-command",
            "yes",
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server is installed by the test command");
    let deadline = Instant::now() + Duration::from_secs(10);
    while cli(port, &["ping"]) != "PONG" {
        assert!(
            Instant::now() < deadline,
            "private redis-server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    PrivateRedis { child, port }
}

fn cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Calls of the script commands the redis scaler sends.
fn script_calls(port: u16) -> u64 {
    cli(port, &["info", "commandstats"])
        .lines()
        .filter(|l| l.starts_with("cmdstat_evalsha:") || l.starts_with("cmdstat_eval:"))
        .filter_map(|l| {
            l.split("calls=")
                .nth(1)?
                .split(',')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_simultaneous_requests_cost_one_query() {
    let redis = start_redis();
    cli(
        redis.port,
        &["rpush", "jobs", "a", "b", "c", "d", "e", "f", "g"],
    );
    let so = serde_saphyr::from_str(
        "metadata: {name: web, namespace: ns}\nspec:\n  scaleTargetRef: {name: web}\n  pollingInterval: 3600\n  \
         triggers: [{type: redis, metadata: {listName: jobs}}]\n",
    )
    .unwrap();
    let ctx = TriggerContext::new("redis", 0).with_metadata([
        ("address", format!("127.0.0.1:{}", redis.port)),
        ("listName", "jobs".into()),
    ]);
    let connections = Connections::new(Duration::from_secs(3));
    let runtime = build::runtime(so, &[Some(ctx)], &connections).unwrap();
    // Every request finds the polled value stale: each must be answered by a query.
    let engine = Arc::new(Engine::new(
        LoopContext {
            target: Arc::new(InMemoryTarget::new(1)),
            reporter: Arc::new(RecordingReporter::default()),
            clock: Arc::new(SystemClock),
        },
        Duration::ZERO,
    ));
    let runtime = engine.upsert(runtime);
    let deadline = Instant::now() + Duration::from_secs(10);
    while runtime.triggers[0].latest().is_none() {
        assert!(Instant::now() < deadline, "the first poll never finished");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(cli(redis.port, &["config", "resetstat"]), "OK");

    // Hold the server busy so every request arrives while the first query is in flight: the
    // test is then about single flight, not about how fast 100 tasks can be spawned.
    let port = redis.port;
    let busy = std::thread::spawn(move || cli(port, &["debug", "sleep", "0.5"]));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let router = kedars::metrics_api::router(engine.clone());
    let path = "/apis/external.metrics.k8s.io/v1beta1/namespaces/ns/s0-redis-jobs?labelSelector=scaledobject.keda.sh%2Fname%3Dweb";
    let requests = (0..100).map(|_| {
        let router = router.clone();
        tokio::spawn(async move {
            let response = router
                .oneshot(Request::get(path).body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            let body = axum::body::to_bytes(response.into_body(), 1 << 16)
                .await
                .unwrap();
            serde_json::from_slice::<serde_json::Value>(&body).unwrap()["items"][0]["value"].clone()
        })
    });
    for value in futures::future::join_all(requests).await {
        assert_eq!(value.unwrap(), "7");
    }
    busy.join().unwrap();
    assert_eq!(
        script_calls(redis.port),
        1,
        "one query for a hundred requests"
    );
    assert!(engine.get(&ObjectKey::new("ns", "web")).is_some());
}

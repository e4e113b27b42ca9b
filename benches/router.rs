//! Micro-benchmark (criterion): one external metrics API request through kedars' router and
//! engine, in-process, with no socket and no TLS — the per-request cost that the `metrics_api`
//! bench's kedars/bare ratio is made of. Values are kept fresh (pollingInterval and
//! max metric age of an hour), so no request reaches Redis: this is the HPA's hot path.
//!
//! `CARGO_PROFILE_RELEASE_DEBUG=0 cargo bench --bench router`

mod support;

use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use support::fleet::{Fleet, FleetSpec, list_name};
use support::redis::PrivateRedis;
use tower::ServiceExt;

/// Fleet sizes: issue 9 adds 5,000 and 10,000.
const OBJECTS: &[usize] = &[1_000];

fn metrics_api_request(c: &mut Criterion) {
    // One worker: the figure is CPU time per request, not parallel throughput.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let mut group = c.benchmark_group("metrics_api_request");
    for &objects in OBJECTS {
        let (redis, fleet) = rt.block_on(fresh_fleet(objects));
        let router = kedars::metrics_api::router(fleet.engine.clone());
        let paths = fleet.paths();
        let mut next = 0usize;
        group.bench_with_input(
            BenchmarkId::new("fresh_value", objects),
            &objects,
            |b, _| {
                b.to_async(&rt).iter(|| {
                    // Round-robin over every ScaledObject, as many HPAs would read them.
                    next = (next + 1) % paths.len();
                    let request = Request::get(&paths[next]).body(Body::empty());
                    let router = router.clone();
                    async move {
                        let response = router.oneshot(request.expect("a request")).await;
                        let body = response.expect("infallible").into_body();
                        axum::body::to_bytes(body, usize::MAX)
                            .await
                            .expect("a body")
                    }
                })
            },
        );
        drop((fleet, redis));
    }
    group.finish();
}

async fn fresh_fleet(objects: usize) -> (PrivateRedis, Fleet) {
    let mut redis = PrivateRedis::start().await;
    let lists: Vec<String> = (0..objects).map(list_name).collect();
    redis.fill_lists(&lists, |i| i % 20).await;
    let fleet = Fleet::load(
        &FleetSpec {
            objects,
            polling_interval_seconds: 3600,
            max_metric_age: Duration::from_secs(3600),
        },
        &redis.address(),
    );
    fleet.wait_for_first_polls(Duration::from_secs(60)).await;
    (redis, fleet)
}

criterion_group!(benches, metrics_api_request);
criterion_main!(benches);

//! Micro-benchmark (criterion): one external metrics API request through kedars' router and
//! engine, in-process, with no socket and no TLS — the per-request cost that the `metrics_api`
//! bench's kedars/bare ratio is made of. Values are kept fresh (pollingInterval and max metric
//! age of an hour), so no request reaches Redis: this is the HPA's hot path. Next to it, an axum
//! router answering the same body unchanged: the difference is kedars' handler and engine.
//!
//! Before timing, each case's heap allocations per request are counted: unlike times, those
//! counts do not depend on how busy the machine is.
//!
//! `CARGO_PROFILE_RELEASE_DEBUG=0 cargo bench --bench router`

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::Request;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use support::fleet::{Fleet, FleetSpec, list_name};
use support::redis::PrivateRedis;
use tokio::runtime::Runtime;
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
        let paths = fleet.paths();
        let kedars = kedars::metrics_api::router(fleet.engine.clone());
        let body = rt.block_on(request(&kedars, &paths[0]));
        let fixed = support::servers::fixed_body_router(body);
        for (name, router) in [("fresh_value", &kedars), ("fixed_body", &fixed)] {
            let (allocs, bytes) = allocations_per_request(&rt, router, &paths);
            println!(
                "{name}/{objects}: {allocs:.1} heap allocations, {bytes:.0} bytes per request"
            );
            let mut next = 0usize;
            group.bench_with_input(BenchmarkId::new(name, objects), &objects, |b, _| {
                b.to_async(&rt).iter(|| {
                    // Round-robin over every ScaledObject, as many HPAs would read them.
                    next = (next + 1) % paths.len();
                    request(router, &paths[next])
                })
            });
        }
        drop((fleet, redis));
    }
    group.finish();
}

/// One request through the router, body included (a server has to produce it too).
async fn request(router: &Router, path: &str) -> Bytes {
    let request = Request::get(path).body(Body::empty()).expect("a request");
    let response = router.clone().oneshot(request).await.expect("infallible");
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("a body")
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

/// Mean heap allocations and bytes allocated per request, over one request per ScaledObject.
fn allocations_per_request(rt: &Runtime, router: &Router, paths: &[String]) -> (f64, f64) {
    rt.block_on(request(router, &paths[0])); // lazily built state is not the hot path
    COUNTING.store(true, Ordering::SeqCst);
    rt.block_on(async {
        for path in paths {
            request(router, path).await;
        }
    });
    COUNTING.store(false, Ordering::SeqCst);
    let n = paths.len() as f64;
    let per = |c: &AtomicU64| c.swap(0, Ordering::SeqCst) as f64 / n;
    (per(&ALLOCATIONS), per(&BYTES))
}

/// The system allocator, counting while `COUNTING` is set (one relaxed load otherwise, so the
/// timed runs are not slowed).
struct CountingAllocator;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

fn count(layout: Layout) {
    if COUNTING.load(Ordering::Relaxed) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded unchanged to `System`; counting has no effect on memory.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` through this allocator, with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(Layout::from_size_align(new_size, layout.align()).unwrap_or(layout));
        // SAFETY: as for `dealloc`, and `new_size` is the caller's valid new size.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

criterion_group!(benches, metrics_api_request);
criterion_main!(benches);

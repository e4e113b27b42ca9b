//! Micro-benchmarks (criterion) of the pure hot paths, each beside a floor measured in the same
//! run, so the figure that travels is the ratio:
//! - a metric name (`s0-…`, KEDA's normalisation) beside a bare `format!` of the same parts;
//! - a quantity as Kubernetes prints it beside `f64`'s own `to_string`;
//! - the parse step of each scaler (what the operator does per trigger on every reconcile),
//!   beside reading the same metadata map from JSON;
//! - the executor's decision for one poll;
//! - one HPA sync (the upstream algorithm, default behavior, one External metric).
//!
//! The metrics API request through the router is `benches/router.rs`.
//!
//! `CARGO_PROFILE_RELEASE_DEBUG=0 cargo bench --bench hot_paths`

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use k8s_openapi::api::autoscaling::v2::CrossVersionObjectReference;
use k8s_openapi::api::autoscaling::v2::{
    ExternalMetricSource, HorizontalPodAutoscalerSpec, MetricIdentifier, MetricSpec, MetricTarget,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kedars::api::annotations::Pause;
use kedars::autoscaling::{HpaState, Reading, SyncInput, sync};
use kedars::engine::executor::{ExecutorInput, decide};
use kedars_scalers::{Connections, MilliQuantity, TriggerContext, metric_name};

fn names_and_quantities(c: &mut Criterion) {
    let mut group = c.benchmark_group("format");
    let suffix = "redis-queue:grading/submissions.v2";
    group.bench_function("metric_name", |b| {
        b.iter(|| metric_name::with_index(black_box(0), black_box(suffix)))
    });
    group.bench_function("floor/format", |b| {
        b.iter(|| format!("s{}-{}", black_box(0), black_box(suffix)))
    });
    let value = 1234.5678_f64;
    group.bench_function("quantity", |b| {
        b.iter(|| MilliQuantity::from_f64(black_box(value)).to_string())
    });
    group.bench_function("floor/f64_to_string", |b| {
        b.iter(|| black_box(value).to_string())
    });
    group.finish();
}

/// Metadata as a manifest gives it, per trigger type.
fn triggers() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    vec![
        (
            "redis",
            vec![
                ("address", "redis.queues.svc:6379"),
                ("listName", "grading"),
                ("listLength", "5"),
                ("activationListLength", "1"),
            ],
        ),
        (
            "prometheus",
            vec![
                ("serverAddress", "http://prometheus.monitoring.svc:9090"),
                ("query", "sum(rate(http_requests_total{app=\"web\"}[2m]))"),
                ("threshold", "100"),
                ("activationThreshold", "10"),
            ],
        ),
        (
            "mysql",
            vec![
                ("host", "mysql.db.svc"),
                ("port", "3306"),
                ("username", "kedars"),
                ("dbName", "school"),
                ("query", "SELECT COUNT(*) FROM submissions WHERE graded = 0"),
                ("queryValue", "10"),
            ],
        ),
        (
            "cron",
            vec![
                ("timezone", "Asia/Shanghai"),
                ("start", "45 7 * * 1-5"),
                ("end", "0 10 * * 1-5"),
                ("desiredReplicas", "6"),
            ],
        ),
        (
            "timetable",
            vec![
                ("timezone", "Asia/Shanghai"),
                (
                    "sessions",
                    "Mon,Wed,Fri 08:00-09:35 students=160 name=calculus\n\
                     Tue,Thu 08:00-09:35 students=200 name=programming\n\
                     Thu 19:00-21:00 students=40 name=seminar\n",
                ),
                ("loadPerReplica", "40"),
                ("leadTime", "15m"),
                ("ramp", "3"),
                ("holidays", "2026-04-03"),
            ],
        ),
    ]
}

fn scaler_parse(c: &mut Criterion) {
    let connections = Connections::new(Duration::from_secs(3));
    let mut group = c.benchmark_group("parse");
    for (trigger_type, metadata) in triggers() {
        let mut ctx = TriggerContext::new(trigger_type, 0).with_metadata(metadata.clone());
        if trigger_type == "mysql" {
            ctx.auth_params
                .insert("password".into(), "from-a-secret".into());
        }
        kedars_scalers::build(&ctx, &connections).unwrap_or_else(|e| panic!("{trigger_type}: {e}"));
        group.bench_with_input(BenchmarkId::new("scaler", trigger_type), &ctx, |b, ctx| {
            b.iter(|| kedars_scalers::build(black_box(ctx), &connections))
        });
        let json = serde_json::to_string(&metadata.into_iter().collect::<BTreeMap<_, _>>())
            .expect("a map serialises");
        group.bench_with_input(
            BenchmarkId::new("floor/json_map", trigger_type),
            &json,
            |b, json| b.iter(|| serde_json::from_str::<BTreeMap<String, String>>(black_box(json))),
        );
    }
    group.finish();
}

fn executor_decision(c: &mut Criterion) {
    let now = Utc.with_ymd_and_hms(2026, 3, 30, 8, 0, 0).unwrap();
    let input = ExecutorInput {
        min_replica_count: Some(0),
        idle_replica_count: None,
        cooldown_period_seconds: 300,
        initial_cooldown_period_seconds: 0,
        fallback_replicas: None,
        pause: Pause::default(),
        is_active: false,
        is_error: false,
        current_replicas: 3,
        last_active_time: Some(now - chrono::Duration::seconds(60)),
        creation_time: Some(now - chrono::Duration::days(1)),
        now,
    };
    c.bench_function("executor/decide", |b| b.iter(|| decide(black_box(&input))));
}

fn hpa_sync(c: &mut Criterion) {
    let spec = HorizontalPodAutoscalerSpec {
        scale_target_ref: CrossVersionObjectReference {
            api_version: Some("apps/v1".into()),
            kind: "Deployment".into(),
            name: "grader".into(),
        },
        min_replicas: Some(1),
        max_replicas: 20,
        metrics: Some(vec![MetricSpec {
            type_: "External".into(),
            external: Some(ExternalMetricSource {
                metric: MetricIdentifier {
                    name: "s0-redis-grading".into(),
                    selector: None,
                },
                target: MetricTarget {
                    type_: "AverageValue".into(),
                    average_value: Some(Quantity("5".into())),
                    ..Default::default()
                },
            }),
            ..Default::default()
        }]),
        behavior: None,
    };
    let now = Utc.with_ymd_and_hms(2026, 3, 30, 8, 0, 0).unwrap();
    let readings = [Reading::Value(42.0)];
    let input = SyncInput {
        now,
        namespace: "classroom",
        spec: &spec,
        current_replicas: 3,
        status_replicas: 3,
        ready_pods: 3,
        scale_selector: Some("app=grader"),
        readings: &readings,
    };
    c.bench_function("hpa/sync", |b| {
        b.iter(|| sync(&mut HpaState::default(), black_box(&input)))
    });
}

criterion_group! {
    name = hot_paths;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = names_and_quantities, scaler_parse, executor_decision, hpa_sync
}
criterion_main!(hot_paths);

//! Source queries per trigger per minute at the defaults (issue 4): N ScaledObjects with redis
//! triggers polled every pollingInterval, and an HPA-like reader asking for each metric every
//! HPA sync period through the metrics API's router, for a fixed real time. Queries are counted
//! where they land, at a private redis-server (INFO commandstats), and cross-checked with the
//! engine's own count. KEDA queries the source on every poll and, without useCachedMetrics, on
//! every HPA read; kedars reuses values younger than --max-metric-age.
//!
//! `CARGO_PROFILE_RELEASE_DEBUG=0 cargo bench --bench source_load -- [--objects N] [--seconds S]
//! [--max-metric-age A[,B...]]` — variants run side by side, each with its own Redis and engine.

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use clap::Parser;
use hdrhistogram::Histogram;
use support::fleet::{Fleet, FleetSpec, list_name};
use support::machine::{self, Facts};
use support::redis::{PrivateRedis, SCALER_COMMANDS};
use support::{CargoBenchFlag, ms, seconds};
use tokio::time::Instant;
use tower::ServiceExt;

#[derive(Parser, Debug)]
#[command(about = "source queries per trigger per minute, counted at a private Redis")]
struct Args {
    #[arg(long, default_value_t = 100)]
    objects: usize,
    /// Counted real time, in seconds.
    #[arg(long, default_value = "60", value_parser = seconds)]
    seconds: Duration,
    /// Uncounted seconds after loading [default: pollingInterval + 5 s]. Every trigger is
    /// polled at once at load time; until a pollingInterval has passed, that first value still
    /// serves reads, and the window would count a start-up transient instead of the steady
    /// state. The extra 5 s keep the window's edges away from the poll instants.
    #[arg(long, value_parser = seconds)]
    warmup: Option<Duration>,
    #[arg(long, default_value_t = 30)]
    polling_interval: u32,
    /// The HPA controller's sync period: each metric is read this often.
    #[arg(long, default_value = "15", value_parser = seconds)]
    hpa_period: Duration,
    /// kedars' --max-metric-age values to compare (comma-separated), one engine each.
    #[arg(long, default_value = "15", value_parser = seconds, value_delimiter = ',')]
    max_metric_age: Vec<Duration>,
    #[command(flatten)]
    cargo: CargoBenchFlag,
}

impl Args {
    fn warmup(&self) -> Duration {
        self.warmup
            .unwrap_or(Duration::from_secs(u64::from(self.polling_interval) + 5))
    }
}

/// What one variant counted in its window.
struct Counts {
    max_metric_age: Duration,
    redis_queries: u64,
    engine_queries: u64,
    /// How many triggers made 0, 1, 2, ... queries in the window: shows whether every trigger
    /// behaves alike or a few make up an average.
    spread: BTreeMap<u64, usize>,
    polls: u64,
    reads: u64,
    failed_reads: u64,
    read_latency_us: Histogram<u64>,
}

/// The HPA-like reader's tallies, shared by one task per metric.
struct Reads {
    from: Instant,
    until: Instant,
    ok: Mutex<(u64, u64, Histogram<u64>)>,
}

impl Reads {
    fn record(&self, sent: Instant, ok: bool) {
        if sent < self.from || sent >= self.until {
            return;
        }
        let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
        let mut tally = self.ok.lock().unwrap_or_else(|e| e.into_inner());
        if ok {
            tally.0 += 1;
            tally.2.saturating_record(micros.max(1));
        } else {
            tally.1 += 1;
        }
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let facts = Facts::gather("source_load");
    print_header(&facts, &args);
    let runs = args.max_metric_age.iter().map(|age| run(&args, *age));
    let results = futures::future::join_all(runs).await;
    print_table(&args, &results);
    println!("\nload average after the run: {}", machine::load_average());
}

async fn run(args: &Args, max_metric_age: Duration) -> Counts {
    let mut redis = PrivateRedis::start().await;
    let lists: Vec<String> = (0..args.objects).map(list_name).collect();
    redis.fill_lists(&lists, |i| i % 20).await;
    let fleet = Fleet::load(
        &FleetSpec {
            objects: args.objects,
            polling_interval_seconds: args.polling_interval,
            max_metric_age,
        },
        &redis.address(),
    );
    let from = Instant::now() + args.warmup();
    let reads = Arc::new(Reads {
        from,
        until: from + args.seconds,
        ok: Mutex::new((0, 0, histogram())),
    });
    let readers = start_hpa_readers(&fleet, args.hpa_period, &reads);

    tokio::time::sleep_until(from).await;
    redis.reset_stats().await;
    let (before, polls_before) = (fleet.queries_per_member(), fleet.polls.count());
    tokio::time::sleep_until(reads.until).await;
    let redis_queries = redis.calls(SCALER_COMMANDS).await;
    let (after, polls_after) = (fleet.queries_per_member(), fleet.polls.count());
    for reader in readers {
        reader.abort();
    }
    let (ok, failed, latency) = reads.ok.lock().unwrap_or_else(|e| e.into_inner()).clone();
    Counts {
        max_metric_age,
        redis_queries,
        engine_queries: after.iter().sum::<u64>() - before.iter().sum::<u64>(),
        spread: spread(&before, &after),
        polls: polls_after - polls_before,
        reads: ok,
        failed_reads: failed,
        read_latency_us: latency,
    }
}

fn spread(before: &[u64], after: &[u64]) -> BTreeMap<u64, usize> {
    let mut spread = BTreeMap::new();
    for (b, a) in before.iter().zip(after) {
        *spread.entry(a - b).or_default() += 1;
    }
    spread
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds")
}

/// One reader per metric, like one HPA per ScaledObject; their phases are spread evenly over
/// the period, as HPAs created at different times are.
fn start_hpa_readers(
    fleet: &Fleet,
    period: Duration,
    reads: &Arc<Reads>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let router = kedars::metrics_api::router(fleet.engine.clone());
    let n = fleet.members.len() as u32;
    let start = Instant::now();
    fleet
        .members
        .iter()
        .zip(0u32..)
        .map(|(member, i)| {
            let (router, reads, path) = (router.clone(), reads.clone(), member.path());
            let first = start + period * i / n.max(1);
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval_at(first, period);
                loop {
                    ticks.tick().await;
                    let sent = Instant::now();
                    let request = Request::get(&path).body(Body::empty()).expect("a request");
                    let ok = router
                        .clone()
                        .oneshot(request)
                        .await
                        .is_ok_and(|r| r.status().is_success());
                    reads.record(sent, ok);
                }
            })
        })
        .collect()
}

fn print_header(facts: &Facts, args: &Args) {
    println!("## source_load\n");
    facts.print();
    println!(
        "setup: {} ScaledObjects per variant (one redis trigger each, own list, pollingInterval \
         {} s); an HPA-like reader asks for every metric every {} s through the router; \
         counted {} s after {} s warm-up; one private redis-server per variant",
        args.objects,
        args.polling_interval,
        args.hpa_period.as_secs_f64(),
        args.seconds.as_secs_f64(),
        args.warmup().as_secs_f64()
    );
}

fn print_table(args: &Args, results: &[Counts]) {
    let minutes = args.seconds.as_secs_f64() / 60.0;
    let per_trigger_minute = |n: u64| n as f64 / args.objects.max(1) as f64 / minutes;
    println!(
        "\n| --max-metric-age | queries at Redis | engine-counted | polls | HPA reads (failed) \
         | queries/trigger/min | queries × triggers | HPA read p50 / p99 / max ms |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---|---|");
    for c in results {
        println!(
            "| {} s | {} | {} | {} | {} ({}) | {:.2} | {} | {} / {} / {} |",
            c.max_metric_age.as_secs_f64(),
            c.redis_queries,
            c.engine_queries,
            c.polls,
            c.reads,
            c.failed_reads,
            per_trigger_minute(c.redis_queries),
            c.spread
                .iter()
                .map(|(queries, triggers)| format!("{queries}×{triggers}"))
                .collect::<Vec<_>>()
                .join(", "),
            ms(c.read_latency_us.value_at_quantile(0.5)),
            ms(c.read_latency_us.value_at_quantile(0.99)),
            ms(c.read_latency_us.max()),
        );
    }
    let polls = 60.0 / f64::from(args.polling_interval.max(1));
    let reads = 60.0 / args.hpa_period.as_secs_f64();
    println!(
        "\nKEDA at these settings: {polls:.0} polls + {reads:.0} HPA reads = {:.0} queries per \
         trigger per minute (every HPA read queries the source unless useCachedMetrics); \
         issue 4 quotes about 4.",
        polls + reads
    );
}

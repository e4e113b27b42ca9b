//! The scale envelope (issue 9): N ScaledObjects, each with a redis trigger on its own list in a
//! private redis-server, in the real engine and metrics API, at a pollingInterval; for each N
//! and interval it measures poll lag, CPU and memory, the commands Redis receives next to what
//! `redis-benchmark` gets out of the same Redis, the metrics API next to a bare server, and the
//! time from an LPUSH to the new value on the metrics API.
//!
//! Each (N, interval) runs in a child process of its own, so that peak RSS (VmHWM) and CPU time
//! belong to that case alone; the parent prints the tables.
//!
//! `CARGO_PROFILE_RELEASE_DEBUG=0 cargo bench --bench scale -- --objects 1000,5000,10000
//! --interval 30,1 --duration 120`

mod support;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use clap::Parser;
use hdrhistogram::Histogram;
use kedars::engine::registry::POLL_GRACE;
use redis::AsyncCommands;
use support::fleet::{Fleet, FleetSpec, list_name};
use support::load::{self, Connection, LoadResult, LoadSpec};
use support::machine::{self, Facts};
use support::process::{self, mib};
use support::redis::{CommandStat, PrivateRedis, SCALER_COMMANDS};
use support::servers::{self, Transport};
use support::timing::{self, LagReporter, TimingTarget};
use support::{CargoBenchFlag, ms, seconds};
use tokio::runtime::Runtime;
use tokio::time::Instant;

#[derive(Parser, Debug, Clone)]
#[command(
    about = "kedars' scale envelope: poll lag, CPU, memory, Redis load, metrics API, \
reaction, for N ScaledObjects"
)]
struct Args {
    /// Fleet sizes (comma-separated), one child process each.
    #[arg(long, value_delimiter = ',', default_value = "1000,5000,10000")]
    objects: Vec<usize>,
    /// pollingInterval values in seconds (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "30,1")]
    interval: Vec<u32>,
    /// The quiet window (no HTTP load) over which poll lag, CPU and Redis commands are counted.
    #[arg(long, default_value = "120", value_parser = seconds)]
    duration: Duration,
    /// kedars' --max-metric-age [default: the operator's, pollingInterval + POLL_GRACE].
    #[arg(long, value_parser = seconds)]
    max_metric_age: Option<Duration>,
    /// Metrics API load: keep-alive connections of the closed-loop generator.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Metrics API load: rounds, each driving the bare server and kedars in turn (order
    /// alternating), the ratio is the median of the rounds' ratios.
    #[arg(long, default_value_t = 6)]
    http_rounds: usize,
    /// Metrics API load: counted seconds per server per round (after 1 s uncounted).
    #[arg(long, default_value = "3", value_parser = seconds)]
    http_seconds: Duration,
    /// Reaction: concurrent probes, each pushing to a list then reading its metric until the
    /// value changes [default: 16; 64 for intervals of 10 s and more, for enough samples].
    #[arg(long)]
    probes: Option<usize>,
    /// Reaction: how often a probe reads the metric while waiting, the measurement's grain
    /// [default: interval / 1000, at least 5 ms].
    #[arg(long, value_parser = seconds)]
    probe_every: Option<Duration>,
    /// Reaction: seconds of probing [default: the larger of 20 s and 2 × interval].
    #[arg(long, value_parser = seconds)]
    reaction_seconds: Option<Duration>,
    /// Internal: run one case (the first --objects and --interval) and print its rows.
    #[arg(long, hide = true)]
    child: bool,
    #[command(flatten)]
    cargo: CargoBenchFlag,
}

/// Rows a child prints start with this and the table's name; the parent groups them.
const ROW: &str = "@@";

const TABLES: [(&str, &str); 5] = [
    (
        "lag",
        "| N | interval | polls counted (expected) | loop latency p50 / p99 / max ms | \
         schedule drift p50 / p99 / max ms | goal: p99 < 100 ms at 30 s |\n\
         |---:|---:|---:|---|---|---|",
    ),
    (
        "cost",
        "| N | interval | kedars CPU s/min | redis-server CPU s/min | RSS before load MiB | \
         RSS loaded MiB | RSS per ScaledObject KiB | peak RSS, quiet window MiB | peak RSS, \
         whole run MiB | goal: peak < 200 MiB at 10,000 × 30 s |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ),
    (
        "redis",
        "| N | interval | queries / trigger / interval (quiet) | script calls/s at Redis (all \
         commands, in-script included) | \
         redis-benchmark LLEN req/s, 50 clients (-P 16) | kedars / LLEN (-P 16) | EVALSHA µs/call \
         (LLEN) | Redis command time share |\n\
         |---:|---:|---:|---:|---|---|---|---:|",
    ),
    (
        "api",
        "| N | interval | kedars req/s | kedars p50 / p99 ms | bare req/s | bare p50 / p99 ms | \
         kedars/bare (merged) | median round ratio (min–max) | failed | source queries \
         (polls) under load | goal: p99 < 5 ms, ratio ≥ 0.5 |\n\
         |---:|---:|---:|---|---:|---|---:|---|---:|---:|---|",
    ),
    (
        "reaction",
        "| N | interval | probes, read every | samples (timeouts) | p50 ms | p99 ms | max ms | \
         goal: ≤ interval + 50 ms |\n\
         |---:|---:|---|---:|---:|---:|---:|---|",
    ),
];

fn main() {
    let args = Args::parse();
    if args.child {
        child(&args);
    } else {
        parent(&args);
    }
}

/// Runs every case in its own process and prints the tables.
fn parent(args: &Args) {
    let facts = Facts::gather("scale");
    println!("## scale\n");
    facts.print();
    let mut rows: Vec<(String, String)> = Vec::new();
    for &interval in &args.interval {
        for &objects in &args.objects {
            let load_before = machine::load_average();
            eprintln!("scale: {objects} ScaledObjects at {interval} s (load {load_before})");
            let out = Command::new(std::env::current_exe().expect("this binary"))
                .args(child_args(args, objects, interval))
                .stderr(Stdio::inherit())
                .output()
                .expect("a child run");
            assert!(out.status.success(), "case {objects} × {interval} s failed");
            for line in String::from_utf8_lossy(&out.stdout).lines() {
                match line.strip_prefix(ROW).and_then(|r| r.split_once(' ')) {
                    Some((table, row)) => rows.push((table.to_string(), row.to_string())),
                    None => println!("{line}"),
                }
            }
            println!(
                "- {objects} × {interval} s: load average {load_before} before, {} after",
                machine::load_average()
            );
        }
    }
    for (table, header) in TABLES {
        println!("\n### {table}\n\n{header}");
        for (_, row) in rows.iter().filter(|(t, _)| t == table) {
            println!("{row}");
        }
    }
}

fn child_args(args: &Args, objects: usize, interval: u32) -> Vec<String> {
    let mut out = vec![
        "--child".to_string(),
        format!("--objects={objects}"),
        format!("--interval={interval}"),
        format!("--duration={}", args.duration.as_secs_f64()),
        format!("--connections={}", args.connections),
        format!("--http-rounds={}", args.http_rounds),
        format!("--http-seconds={}", args.http_seconds.as_secs_f64()),
    ];
    if let Some(probes) = args.probes {
        out.push(format!("--probes={probes}"));
    }
    if let Some(every) = args.probe_every {
        out.push(format!("--probe-every={}", every.as_secs_f64()));
    }
    if let Some(age) = args.max_metric_age {
        out.push(format!("--max-metric-age={}", age.as_secs_f64()));
    }
    if let Some(r) = args.reaction_seconds {
        out.push(format!("--reaction-seconds={}", r.as_secs_f64()));
    }
    out
}

fn runtime(name: &str, workers: usize) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name(name)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// One case: everything of kedars runs on the "kedars" runtime (one worker per core, tokio's
/// default, as production); the load generator and probes on their own, as another process
/// would.
fn child(args: &Args) {
    let objects = args.objects[0];
    let interval_s = args.interval[0];
    let interval = Duration::from_secs(u64::from(interval_s));
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let server_rt = runtime("kedars", cores);
    let load_rt = runtime("load", cores);
    let case = format!("{objects} | {interval_s} s");

    let mut redis = server_rt.block_on(PrivateRedis::start());
    let lists: Vec<String> = (0..objects).map(list_name).collect();
    server_rt.block_on(redis.fill_lists(&lists, |i| i % 20));
    std::thread::sleep(Duration::from_millis(200));
    let rss_before = process::rss_kib();

    let recording = Arc::new(AtomicBool::new(false));
    let target = Arc::new(TimingTarget::new(interval, recording.clone()));
    let lag = Arc::new(LagReporter::new(recording.clone()));
    let max_metric_age = args.max_metric_age.unwrap_or(interval + POLL_GRACE);
    let fleet = {
        let _runtime = server_rt.enter();
        Fleet::load_observed(
            &FleetSpec {
                objects,
                polling_interval_seconds: interval_s,
                max_metric_age,
            },
            &redis.address(),
            target.clone(),
            Some(lag.clone()),
        )
    };
    let first_polls = server_rt.block_on(fleet.wait_for_first_polls(Duration::from_secs(120)));
    std::thread::sleep(Duration::from_secs(1));
    let rss_loaded = process::rss_kib();
    println!(
        "- {objects} × {interval_s} s: max metric age {:.0} s; loaded in {:.1} ms, first polls \
         done {:.1} ms later, {} failing triggers",
        max_metric_age.as_secs_f64(),
        fleet.load_time.as_secs_f64() * 1e3,
        first_polls.as_secs_f64() * 1e3,
        fleet.failing()
    );

    // The quiet window: the engine polls, nothing else runs.
    server_rt.block_on(redis.reset_stats());
    let cpu_before = process::own_cpu_seconds();
    let redis_cpu_before = process::cpu_seconds(redis.pid()).unwrap_or(f64::NAN);
    let polls_before = fleet.polls.count();
    let started = std::time::Instant::now();
    recording.store(true, Ordering::Relaxed);
    std::thread::sleep(args.duration);
    recording.store(false, Ordering::Relaxed);
    let window = started.elapsed();
    let cpu = process::own_cpu_seconds() - cpu_before;
    let redis_cpu = process::cpu_seconds(redis.pid()).unwrap_or(f64::NAN) - redis_cpu_before;
    let polls = fleet.polls.count() - polls_before;
    let stats = server_rt.block_on(redis.command_stats());
    let peak_quiet = process::peak_rss_kib();
    let minutes = window.as_secs_f64() / 60.0;
    let expected_polls = objects as f64 * (window.as_secs_f64() / interval.as_secs_f64()).floor();

    let lag_us = lag.lag_us();
    let drift_us = target.drift_us();
    let goal = if interval_s == 30 {
        verdict_below(lag_us.value_at_quantile(0.99) as f64 / 1e3, 100.0, "ms")
    } else {
        "(goal is for 30 s)".to_string()
    };
    row(
        "lag",
        format!(
            "| {case} | {polls} ({expected_polls:.0}) | {} | {} | {goal} |",
            quantiles(&lag_us),
            quantiles(&drift_us)
        ),
    );

    // What Redis can answer, measured against the same Redis while the engine keeps polling.
    server_rt.block_on(redis.reset_stats());
    let plain = redis.benchmark_llen(&lists[0], 50, 1, 200_000);
    let pipelined = redis.benchmark_llen(&lists[0], 50, 16, 1_000_000);
    let bench_stats = server_rt.block_on(redis.command_stats());
    redis_row(
        &case,
        objects,
        interval,
        window,
        &stats,
        &bench_stats,
        plain,
        pipelined,
    );

    // The metrics API under HPA-like load, next to the bare server.
    let transport = Transport::tls();
    let router = kedars::metrics_api::router(fleet.engine.clone());
    let kedars_addr = server_rt.block_on(servers::start_kedars(&transport, router));
    let paths = Arc::new(fleet.paths());
    let (status, body) = server_rt
        .block_on(load::fetch(kedars_addr, &transport, &paths[objects / 2]))
        .expect("kedars answers");
    assert!(status.is_success(), "kedars answered {status}: {body:?}");
    let bare_addr = server_rt.block_on(servers::start_bare(&transport, body));
    server_rt.block_on(redis.reset_stats());
    let polls_before_http = fleet.polls.count();
    let (kedars, bare, ratios) =
        http_rounds(args, &load_rt, kedars_addr, bare_addr, &transport, &paths);
    let http_queries = scaler_calls(&server_rt.block_on(redis.command_stats()));
    let http_polls = fleet.polls.count() - polls_before_http;
    api_row(&case, http_polls, http_queries, &kedars, &bare, &ratios);

    // Reaction: LPUSH to the new value on the metrics API.
    let reaction_window = args
        .reaction_seconds
        .unwrap_or(Duration::from_secs(20).max(interval * 2));
    let targets: Arc<Vec<(String, String)>> =
        Arc::new(paths.iter().cloned().zip(lists.iter().cloned()).collect());
    let (reaction_us, timeouts, probes) = load_rt.block_on(reaction(
        args,
        kedars_addr,
        &transport,
        redis.address(),
        targets,
        reaction_window,
        interval,
    ));
    let goal_ms = interval.as_secs_f64() * 1e3 + 50.0;
    row(
        "reaction",
        format!(
            "| {case} | {probes} | {} ({timeouts}) | {} | {} | {} | {} |",
            reaction_us.len(),
            ms(reaction_us.value_at_quantile(0.5)),
            ms(reaction_us.value_at_quantile(0.99)),
            ms(reaction_us.max()),
            verdict_below(reaction_us.max() as f64 / 1e3, goal_ms, "ms (max)"),
        ),
    );

    let peak_all = process::peak_rss_kib();
    let memory_goal = if interval_s == 30 {
        verdict_below(peak_quiet as f64 / 1024.0, 200.0, "MiB (quiet)")
    } else {
        "(goal is for 30 s)".to_string()
    };
    row(
        "cost",
        format!(
            "| {case} | {:.2} | {:.2} | {} | {} | {:.1} | {} | {} | {memory_goal} |",
            cpu / minutes,
            redis_cpu / minutes,
            mib(rss_before),
            mib(rss_loaded),
            (rss_loaded.saturating_sub(rss_before)) as f64 / objects as f64,
            mib(peak_quiet),
            mib(peak_all),
        ),
    );
}

fn row(table: &str, text: String) {
    println!("{ROW}{table} {text}");
}

fn quantiles(h: &Histogram<u64>) -> String {
    if h.is_empty() {
        return "–".into();
    }
    format!(
        "{} / {} / {}",
        ms(h.value_at_quantile(0.5)),
        ms(h.value_at_quantile(0.99)),
        ms(h.max())
    )
}

/// "met" or by how much a figure misses an upper bound.
fn verdict_below(value: f64, bound: f64, unit: &str) -> String {
    if value < bound {
        format!("met ({value:.1} < {bound:.0} {unit})")
    } else {
        format!(
            "**missed** by {:.1} {unit} ({:.2}×)",
            value - bound,
            value / bound
        )
    }
}

fn scaler_calls(stats: &[(String, CommandStat)]) -> u64 {
    stats
        .iter()
        .filter(|(name, _)| SCALER_COMMANDS.contains(&name.as_str()))
        .map(|(_, s)| s.calls)
        .sum()
}

/// Commands kedars sent: everything but the bench's own INFO and CONFIG.
fn kedars_commands(stats: &[(String, CommandStat)]) -> impl Iterator<Item = &CommandStat> {
    stats
        .iter()
        .filter(|(name, _)| !name.starts_with("info") && !name.starts_with("config"))
        .map(|(_, s)| s)
}

#[allow(clippy::too_many_arguments)]
fn redis_row(
    case: &str,
    objects: usize,
    interval: Duration,
    window: Duration,
    stats: &[(String, CommandStat)],
    bench_stats: &[(String, CommandStat)],
    plain: Option<support::redis::Benchmark>,
    pipelined: Option<support::redis::Benchmark>,
) {
    let intervals = window.as_secs_f64() / interval.as_secs_f64();
    let per_trigger = scaler_calls(stats) as f64 / objects as f64 / intervals.floor().max(1.0);
    // Commands a script runs (TYPE, LLEN) are counted too, and their time is inside the
    // script's: the commands kedars sends are the script calls.
    let per_second = scaler_calls(stats) as f64 / window.as_secs_f64();
    let all_per_second =
        kedars_commands(stats).map(|s| s.calls).sum::<u64>() as f64 / window.as_secs_f64();
    let busy_us: f64 = stats
        .iter()
        .filter(|(name, _)| SCALER_COMMANDS.contains(&name.as_str()))
        .map(|(_, s)| s.calls as f64 * s.usec_per_call)
        .sum();
    let usec = |stats: &[(String, CommandStat)], name: &str| {
        stats
            .iter()
            .find(|(n, _)| n == name)
            .map_or("–".to_string(), |(_, s)| {
                format!("{:.2}", s.usec_per_call)
            })
    };
    let rps = |b: Option<support::redis::Benchmark>| {
        b.map_or("–".to_string(), |b| {
            format!("{:.0}", b.requests_per_second)
        })
    };
    let ratio = pipelined.map_or("–".to_string(), |b| {
        format!("{:.3} %", per_second / b.requests_per_second * 100.0)
    });
    row(
        "redis",
        format!(
            "| {case} | {per_trigger:.3} | {per_second:.0} ({all_per_second:.0}) | {} ({}) | {ratio} \
             | {} ({}) | {:.2} % |",
            rps(plain),
            rps(pipelined),
            usec(stats, "evalsha"),
            usec(bench_stats, "llen"),
            busy_us / (window.as_secs_f64() * 1e6) * 100.0,
        ),
    );
}

/// Alternating rounds: bare then kedars, kedars then bare, ...; returns both servers' merged
/// results and each round's throughput ratio.
fn http_rounds(
    args: &Args,
    load_rt: &Runtime,
    kedars: std::net::SocketAddr,
    bare: std::net::SocketAddr,
    transport: &Transport,
    paths: &Arc<Vec<String>>,
) -> (LoadResult, LoadResult, Vec<f64>) {
    let spec = LoadSpec {
        connections: args.connections,
        warmup: Duration::from_secs(1),
        duration: args.http_seconds,
    };
    let drive = |addr| {
        load_rt
            .block_on(load::run(addr, transport, paths.clone(), &spec))
            .expect("a load run")
    };
    let (mut kedars_results, mut bare_results, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..args.http_rounds {
        let (k, b) = if round % 2 == 0 {
            let b = drive(bare);
            (drive(kedars), b)
        } else {
            let k = drive(kedars);
            (k, drive(bare))
        };
        ratios.push(k.per_second() / b.per_second());
        kedars_results.push(k);
        bare_results.push(b);
    }
    (
        LoadResult::merged(&kedars_results),
        LoadResult::merged(&bare_results),
        ratios,
    )
}

#[allow(clippy::too_many_arguments)]
fn api_row(
    case: &str,
    polls: u64,
    queries: u64,
    kedars: &LoadResult,
    bare: &LoadResult,
    ratios: &[f64],
) {
    let mut sorted = ratios.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN);
    let merged = kedars.per_second() / bare.per_second();
    let p99_ms = kedars.quantile_us(0.99) as f64 / 1e3;
    let goal = match (p99_ms < 5.0, median >= 0.5) {
        (true, true) => format!("met ({p99_ms:.2} ms, {median:.2})"),
        (p99_ok, ratio_ok) => format!(
            "**missed**: {}{}",
            if p99_ok {
                String::new()
            } else {
                format!("p99 {p99_ms:.2} ms ({:.1}× the bound) ", p99_ms / 5.0)
            },
            if ratio_ok {
                String::new()
            } else {
                format!("ratio {median:.2} < 0.5")
            }
        ),
    };
    row(
        "api",
        format!(
            "| {case} | {:.0} | {} / {} | {:.0} | {} / {} | {merged:.2} | {median:.2} ({:.2}–{:.2}) \
             | {} | {queries} ({polls}) | {goal} |",
            kedars.per_second(),
            ms(kedars.quantile_us(0.5)),
            ms(kedars.quantile_us(0.99)),
            bare.per_second(),
            ms(bare.quantile_us(0.5)),
            ms(bare.quantile_us(0.99)),
            sorted.first().copied().unwrap_or(f64::NAN),
            sorted.last().copied().unwrap_or(f64::NAN),
            kedars.failed,
        ),
    );
}

/// Probes, each on its own ScaledObjects (probe p takes p, p + P, p + 2P, ...): read the value,
/// LPUSH one item, read every `probe_every` until the value changes. Returns the times from
/// sending the LPUSH to receiving the new value, how many waits gave up, and the probes' setup.
async fn reaction(
    args: &Args,
    addr: std::net::SocketAddr,
    transport: &Transport,
    redis_address: String,
    targets: Arc<Vec<(String, String)>>,
    window: Duration,
    interval: Duration,
) -> (Histogram<u64>, u64, String) {
    let until = Instant::now() + window;
    let give_up = interval * 2 + Duration::from_secs(5);
    let probe_count = args
        .probes
        .unwrap_or(if interval.as_secs() >= 10 { 64 } else { 16 });
    let every = args
        .probe_every
        .unwrap_or((interval / 1000).max(Duration::from_millis(5)));
    let probes: Vec<_> = (0..probe_count)
        .map(|p| {
            let (transport, targets, redis_address) =
                (transport.clone(), targets.clone(), redis_address.clone());
            let step = probe_count;
            tokio::spawn(async move {
                let mut api = Connection::open(addr, &transport)
                    .await
                    .expect("a connection");
                let client = redis::Client::open(format!("redis://{redis_address}/")).expect("URL");
                let mut redis = client
                    .get_multiplexed_async_connection()
                    .await
                    .expect("redis");
                let (mut samples, mut timeouts) = (timing::histogram(), 0u64);
                let mut i = p;
                let mut phase = SplitMix64(p as u64 + 1);
                while Instant::now() < until {
                    // A push right after a change would land right after a poll, every time:
                    // a random pause puts pushes at a uniform phase of the interval.
                    tokio::time::sleep(interval.mul_f64(phase.unit())).await;
                    let (path, list) = &targets[i % targets.len()];
                    i += step;
                    let before = value(&mut api, path).await;
                    let pushed = Instant::now();
                    let _: i64 = redis.lpush(list, "job").await.expect("LPUSH");
                    loop {
                        tokio::time::sleep(every).await;
                        let now = value(&mut api, path).await;
                        if now.is_some() && now != before {
                            let micros = pushed.elapsed().as_micros();
                            samples.saturating_record(u64::try_from(micros).unwrap_or(u64::MAX));
                            break;
                        }
                        if pushed.elapsed() > give_up {
                            timeouts += 1;
                            break;
                        }
                    }
                }
                (samples, timeouts)
            })
        })
        .collect();
    let (mut all, mut timeouts) = (timing::histogram(), 0);
    for probe in probes {
        let (samples, t) = probe.await.expect("a probe");
        all.add(&samples).expect("same bounds");
        timeouts += t;
    }
    let probes = format!("{probe_count}, {:.0} ms", every.as_secs_f64() * 1e3);
    (all, timeouts, probes)
}

/// The metric's value as served (`items[0].value`); `None` for a failed request, which a probe
/// must not mistake for a change.
async fn value(api: &mut Connection, path: &str) -> Option<String> {
    let (status, body): (_, Bytes) = api.get(path).await.ok()?;
    if !status.is_success() {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(&body).ok()?;
    json["items"][0]["value"].as_str().map(str::to_string)
}

/// A tiny deterministic PRNG for the probes' pauses.
struct SplitMix64(u64);

impl SplitMix64 {
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

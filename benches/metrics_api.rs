//! Metrics API throughput and latency with N ScaledObjects loaded (issue 4; issue 9 scales N up).
//!
//! One process runs: a private redis-server with one list per ScaledObject; the real engine
//! polling N redis triggers; kedars' router served as production serves it; a bare hyper server
//! answering a captured kedars response over the same TLS configuration; production's serving
//! path answering that same fixed body (to split the gap between server and engine); and a
//! closed-loop load generator that drives each in turn for the same time. The figure is the
//! ratio kedars/bare, which survives a noisy, shared machine better than either number.
//!
//! `CARGO_PROFILE_RELEASE_DEBUG=0 cargo bench --bench metrics_api -- [--objects N]
//! [--connections C] [--duration S] [--warmup S] [--rounds R] [--plain-http]`

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use support::fleet::{Fleet, FleetSpec, list_name};
use support::load::{self, LoadResult, LoadSpec};
use support::machine::{self, Facts};
use support::redis::{PrivateRedis, SCALER_COMMANDS};
use support::servers::{self, Transport};
use support::{CargoBenchFlag, ms, seconds};
use tokio::runtime::Runtime;

#[derive(Parser, Debug)]
#[command(about = "kedars' external metrics API next to a bare HTTP server, in the same run")]
#[command(
    after_help = "The server path is production's (serve_tls over TLS, the same hyper-util \
connection handling in plain HTTP) with an axum router that answers the fixed body."
)]
struct Args {
    /// ScaledObjects loaded into the engine, one redis trigger each.
    #[arg(long, default_value_t = 1000)]
    objects: usize,
    /// Concurrent keep-alive connections of the load generator.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Counted seconds per server per round.
    #[arg(long, default_value = "10", value_parser = seconds)]
    duration: Duration,
    /// Uncounted seconds before each counted window.
    #[arg(long, default_value = "2", value_parser = seconds)]
    warmup: Duration,
    /// Rounds; odd rounds run the servers in reverse order, so drift hits all of them alike.
    #[arg(long, default_value_t = 2)]
    rounds: usize,
    /// Plain HTTP for both servers instead of TLS.
    #[arg(long)]
    plain_http: bool,
    #[arg(long, default_value_t = 30)]
    polling_interval: u32,
    /// kedars' --max-metric-age: an older value is fetched again on an HPA request.
    #[arg(long, default_value = "15", value_parser = seconds)]
    max_metric_age: Duration,
    /// The servers to drive, in this order (reversed in odd rounds); one alone is for profiling.
    #[arg(long, value_delimiter = ',', default_value = "bare,path,kedars")]
    servers: Vec<Server>,
    #[command(flatten)]
    cargo: CargoBenchFlag,
}

#[derive(Debug, Clone, Copy, PartialEq, clap::ValueEnum)]
enum Server {
    Bare,
    #[value(name = "path")]
    Plumbing,
    Kedars,
}

impl Server {
    const ALL: [Server; 3] = [Server::Bare, Server::Plumbing, Server::Kedars];

    fn label(self) -> &'static str {
        match self {
            Server::Bare => "bare hyper, fixed body",
            Server::Plumbing => "server path (axum), fixed body",
            Server::Kedars => "kedars router + engine",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Everything the load runs need, started on the server runtime.
struct Setup {
    redis: PrivateRedis,
    fleet: Fleet,
    transport: Transport,
    /// Indexed by `Server::index`.
    addrs: [SocketAddr; 3],
    body_len: usize,
    first_polls: Duration,
    tls: Option<String>,
}

fn main() {
    let args = Args::parse();
    let facts = Facts::gather("metrics_api");
    let cores = facts.cores.max(1);
    // Two runtimes, as if the load generator were another process on the same machine: the
    // server keeps tokio's default of one worker per core.
    let server_rt = runtime("kedars", cores);
    let load_rt = runtime("load", cores);
    let mut setup = server_rt.block_on(set_up(&args));
    print_header(&facts, &args, &setup);

    let (results, kedars_queries) = run_rounds(&args, &server_rt, &load_rt, &mut setup);
    print_summary(&results);
    println!(
        "\nsource queries at Redis while kedars was under load (warm-ups included): \
         {kedars_queries}; engine total since start: {}; polls: {}; failing triggers: {}",
        setup.fleet.engine_queries(),
        setup.fleet.polls.count(),
        setup.fleet.failing()
    );
    println!("load average after the run: {}", machine::load_average());
}

/// Drives each server in turn, round after round, printing a row per run. Returns the merged
/// results per server and the source queries made while kedars was under load.
fn run_rounds(
    args: &Args,
    server_rt: &Runtime,
    load_rt: &Runtime,
    setup: &mut Setup,
) -> ([LoadResult; 3], u64) {
    let paths = Arc::new(setup.fleet.paths());
    let spec = LoadSpec {
        connections: args.connections,
        warmup: args.warmup,
        duration: args.duration,
    };
    let mut results: [Vec<LoadResult>; 3] = Default::default();
    let mut kedars_queries = 0;
    println!(
        "\n| round | server | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | failed |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for round in 0..args.rounds {
        // A, B, C then C, B, A: a machine that gets busier or quieter affects all alike.
        let mut order = args.servers.clone();
        if round % 2 == 1 {
            order.reverse();
        }
        for server in order {
            server_rt.block_on(setup.redis.reset_stats());
            let addr = setup.addrs[server.index()];
            let result = load_rt
                .block_on(load::run(addr, &setup.transport, paths.clone(), &spec))
                .unwrap_or_else(|e| panic!("load on {}: {e}", server.label()));
            println!(
                "| {} | {} | {} |",
                round + 1,
                server.label(),
                cells(&result)
            );
            if server == Server::Kedars {
                kedars_queries += server_rt.block_on(setup.redis.calls(SCALER_COMMANDS));
            }
            results[server.index()].push(result);
        }
    }
    (results.map(|r| LoadResult::merged(&r)), kedars_queries)
}

fn runtime(name: &str, workers: usize) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name(name)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

async fn set_up(args: &Args) -> Setup {
    let mut redis = PrivateRedis::start().await;
    let lists: Vec<String> = (0..args.objects).map(list_name).collect();
    // Lengths 0..=19: values of one and two digits, as real queues have.
    redis.fill_lists(&lists, |i| i % 20).await;
    let fleet = Fleet::load(
        &FleetSpec {
            objects: args.objects,
            polling_interval_seconds: args.polling_interval,
            max_metric_age: args.max_metric_age,
        },
        &redis.address(),
    );
    let first_polls = fleet.wait_for_first_polls(Duration::from_secs(60)).await;
    let transport = if args.plain_http {
        Transport::Plain
    } else {
        Transport::tls()
    };
    let router = kedars::metrics_api::router(fleet.engine.clone());
    let kedars = servers::start_kedars(&transport, router).await;
    // The bare server answers with a real kedars response: same size, same content type.
    let sample = &fleet.members[fleet.members.len() / 2];
    let (status, body) = load::fetch(kedars, &transport, &sample.path())
        .await
        .expect("kedars answers");
    assert!(status.is_success(), "kedars answered {status}: {body:?}");
    let body_len = body.len();
    let plumbing =
        servers::start_kedars(&transport, servers::fixed_body_router(body.clone())).await;
    let bare = servers::start_bare(&transport, body).await;
    let tls = load::tls_parameters(kedars, &transport).await;
    Setup {
        redis,
        fleet,
        transport,
        addrs: [bare, plumbing, kedars],
        body_len,
        first_polls,
        tls,
    }
}

fn print_header(facts: &Facts, args: &Args, setup: &Setup) {
    println!("## metrics_api\n");
    facts.print();
    println!(
        "setup: {} ScaledObjects (one redis trigger each, own list, pollingInterval {} s, \
         max metric age {} s) loaded in {:.1} ms, first polls done {:.1} ms later",
        args.objects,
        args.polling_interval,
        args.max_metric_age.as_secs_f64(),
        setup.fleet.load_time.as_secs_f64() * 1e3,
        setup.first_polls.as_secs_f64() * 1e3
    );
    println!(
        "transport: {}{}; HTTP/1.1 keep-alive; body {} bytes (a real ExternalMetricValueList)",
        setup.transport.describe(),
        setup
            .tls
            .as_ref()
            .map(|t| format!(" ({t})"))
            .unwrap_or_default(),
        setup.body_len
    );
    println!(
        "load: in-process closed loop (shares the {} cores with the servers and redis-server), \
         {} connections, each request for a random ScaledObject's metric; {} rounds of {} s \
         counted after {} s warm-up per server",
        facts.cores,
        args.connections,
        args.rounds,
        args.duration.as_secs_f64(),
        args.warmup.as_secs_f64()
    );
}

/// The measured cells of a table row, after its label cells.
fn cells(r: &LoadResult) -> String {
    format!(
        "{} | {:.0} | {} | {} | {} | {} | {}",
        r.ok,
        r.per_second(),
        ms(r.quantile_us(0.50)),
        ms(r.quantile_us(0.90)),
        ms(r.quantile_us(0.99)),
        ms(r.latency_us.max()),
        r.failed
    )
}

fn print_summary(results: &[LoadResult; 3]) {
    let ran = |r: &LoadResult| r.ok + r.failed > 0;
    println!("\n| all rounds | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | failed |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for server in Server::ALL {
        let r = &results[server.index()];
        if ran(r) {
            println!("| {} | {} |", server.label(), cells(r));
        }
    }
    let [bare, plumbing, kedars] = results;
    for (label, a, b) in [
        ("kedars/bare", kedars, bare),
        ("server path/bare", plumbing, bare),
        ("kedars/server path", kedars, plumbing),
    ] {
        if ran(a) && ran(b) {
            println!("{}", ratio_row(label, a, b));
        }
    }
}

/// `a/b` for throughput and each latency column.
fn ratio_row(label: &str, a: &LoadResult, b: &LoadResult) -> String {
    let ratio = |x: f64, y: f64| if y > 0.0 { x / y } else { f64::NAN };
    let q = |r: &LoadResult, x: f64| r.quantile_us(x) as f64;
    format!(
        "| {label} | | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | |",
        ratio(a.per_second(), b.per_second()),
        ratio(q(a, 0.5), q(b, 0.5)),
        ratio(q(a, 0.9), q(b, 0.9)),
        ratio(q(a, 0.99), q(b, 0.99)),
        ratio(a.latency_us.max() as f64, b.latency_us.max() as f64),
    )
}

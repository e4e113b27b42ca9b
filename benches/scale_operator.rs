//! The API server's side of the scale envelope (issue 9, item 3): the real `kedars operator`
//! binary (release) against the API server double with N ScaledObjects, each on its own
//! Deployment with a redis trigger on its own list in a private redis-server. It counts the
//! requests the operator sends to the API server (`TestCluster::requests`), at start-up (until
//! every ScaledObject has its HPA and is Ready) and in a quiet window afterwards, by verb and
//! resource, and the operator process's CPU time and memory.
//!
//! No HPA controller runs: every request counted is the operator's.
//!
//! `CARGO_PROFILE_RELEASE_DEBUG=0 cargo bench --bench scale_operator -- [--objects N]
//! [--interval S] [--duration S]`

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use clap::Parser;
use kedars_testcluster::{Config, Gvr, TestCluster};
use serde_json::{Value, json};
use support::fleet::list_name;
use support::machine::{self, Facts};
use support::process::{self, mib};
use support::redis::{PrivateRedis, SCALER_COMMANDS};
use support::{CargoBenchFlag, seconds};

const NAMESPACE: &str = "bench";

#[derive(Parser, Debug)]
#[command(
    about = "requests to the API server, CPU and memory of `kedars operator` with N \
ScaledObjects"
)]
struct Args {
    #[arg(long, default_value_t = 1000)]
    objects: usize,
    /// pollingInterval of every ScaledObject, in seconds.
    #[arg(long, default_value_t = 30)]
    interval: u32,
    /// The quiet window after start-up, in seconds.
    #[arg(long, default_value = "120", value_parser = seconds)]
    duration: Duration,
    /// Start-up must be done within this.
    #[arg(long, default_value = "300", value_parser = seconds)]
    startup_timeout: Duration,
    #[command(flatten)]
    cargo: CargoBenchFlag,
}

/// The operator process; SIGKILLed when dropped.
struct Operator(Child);

impl Drop for Operator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let facts = Facts::gather("scale_operator");
    println!("## scale_operator\n");
    facts.print();

    let mut redis = PrivateRedis::start().await;
    let lists: Vec<String> = (0..args.objects).map(list_name).collect();
    redis.fill_lists(&lists, |i| i % 20).await;
    // Every request kept (the default keeps the last 10,000); watch history as long as a
    // real API server's, so that no watch restarts because the double forgot.
    let cluster = TestCluster::start_with(Config {
        request_log_limit: 50_000_000,
        history_limit: 1_000_000,
        ..Config::default()
    })
    .await
    .expect("the API server double");
    let crds = Path::new(env!("CARGO_MANIFEST_DIR")).join("charts/kedars/crds");
    cluster.load_crds_from_dir(&crds).expect("the CRDs");
    cluster
        .apply_json(
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}),
        )
        .expect("a namespace");
    for (i, list) in lists.iter().enumerate() {
        let name = format!("so-{i:05}");
        cluster.apply_json(deployment(&name)).expect("a Deployment");
        cluster
            .apply_json(scaled_object(&name, list, &redis.address(), args.interval))
            .expect("a ScaledObject");
    }

    let log =
        std::env::temp_dir().join(format!("kedars-scale-operator-{}.log", std::process::id()));
    let before_start = cluster.requests().len();
    let started = Instant::now();
    let operator = spawn_operator(&cluster, &log);
    let pid = operator.0.id();
    let startup = wait_started(&cluster, args.objects, args.startup_timeout, &log).await;
    let startup_requests = cluster.requests()[before_start..].to_vec();
    let startup_cpu = process::cpu_seconds(pid).unwrap_or(f64::NAN);
    let (startup_rss, _) = process::rss_and_peak_kib_of(pid);
    println!(
        "setup: {} ScaledObjects (own Deployment, redis trigger on own list, pollingInterval {} s) \
         created before the operator started; operator: {} (leader election off, no metrics API \
         served); log: {}",
        args.objects,
        args.interval,
        kedars_binary().display(),
        log.display()
    );
    println!(
        "start-up: {:.2} s from spawn until every ScaledObject had its HPA and Ready=True; {} \
         requests; operator CPU {:.2} s, RSS {} MiB",
        startup.as_secs_f64(),
        startup_requests.len(),
        startup_cpu,
        mib(startup_rss),
    );
    let _ = started;

    // The quiet window: the operator polls and reports; nothing changes in the cluster.
    redis.reset_stats().await;
    let before = cluster.requests().len();
    let cpu_before = process::cpu_seconds(pid).unwrap_or(f64::NAN);
    let window_start = Instant::now();
    let series = sample_window(&cluster, pid, before, window_start + args.duration).await;
    let window = window_start.elapsed();
    let quiet_requests = cluster.requests()[before..].to_vec();
    let cpu = process::cpu_seconds(pid).unwrap_or(f64::NAN) - cpu_before;
    let (rss, peak) = process::rss_and_peak_kib_of(pid);
    let queries = redis.calls(SCALER_COMMANDS).await;
    drop(operator);

    let per_second = quiet_requests.len() as f64 / window.as_secs_f64();
    let per_thousand = per_second * 1000.0 / args.objects as f64;
    let intervals = (window.as_secs_f64() / f64::from(args.interval))
        .floor()
        .max(1.0);
    println!(
        "\n| quiet window | requests | requests/s | requests/s per 1,000 ScaledObjects | operator \
         CPU s/min | operator RSS MiB (peak) | source queries / trigger / interval |"
    );
    println!("|---|---:|---:|---:|---:|---|---:|");
    println!(
        "| {:.0} s | {} | {per_second:.2} | {per_thousand:.2} | {:.2} | {} ({}) | {:.3} |",
        window.as_secs_f64(),
        quiet_requests.len(),
        cpu / (window.as_secs_f64() / 60.0),
        mib(rss),
        mib(peak),
        queries as f64 / args.objects as f64 / intervals,
    );
    print_series(&series);
    print_breakdown(
        "requests by kind",
        &startup_requests,
        &quiet_requests,
        window,
    );
    println!("\nload average after the run: {}", machine::load_average());
}

/// One slice of the quiet window: requests of each kind and the operator's memory at its end.
struct Slice {
    seconds: f64,
    kinds: BTreeMap<String, usize>,
    rss_kib: u64,
}

/// Every `SLICE` until `until`: shows whether a rate is steady or the tail of start-up, and
/// whether memory grows.
async fn sample_window(
    cluster: &TestCluster,
    pid: u32,
    mut seen: usize,
    until: Instant,
) -> Vec<Slice> {
    const SLICE: Duration = Duration::from_secs(10);
    let start = Instant::now();
    let mut series = Vec::new();
    while Instant::now() < until {
        tokio::time::sleep(SLICE.min(until - Instant::now())).await;
        let requests = cluster.requests();
        let mut kinds = BTreeMap::new();
        for r in &requests[seen..] {
            *kinds.entry(kind_of(r)).or_default() += 1;
        }
        seen = requests.len();
        series.push(Slice {
            seconds: start.elapsed().as_secs_f64(),
            kinds,
            rss_kib: process::rss_and_peak_kib_of(pid).0,
        });
    }
    series
}

fn print_series(series: &[Slice]) {
    let mut kinds: Vec<&String> = series.iter().flat_map(|s| s.kinds.keys()).collect();
    kinds.sort();
    kinds.dedup();
    println!(
        "
| quiet window, every 10 s | {} |",
        series
            .iter()
            .map(|s| format!("{:.0} s", s.seconds))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    println!("|---|{}", "---:|".repeat(series.len()));
    for kind in kinds {
        let counts: Vec<String> = series
            .iter()
            .map(|s| s.kinds.get(kind).copied().unwrap_or(0).to_string())
            .collect();
        println!("| `{kind}` | {} |", counts.join(" | "));
    }
    let rss: Vec<String> = series.iter().map(|s| mib(s.rss_kib)).collect();
    println!("| operator RSS MiB | {} |", rss.join(" | "));
}

fn deployment(name: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                         "spec": {"containers": [{"name": "app", "image": "busybox"}]}}
        }
    })
}

fn scaled_object(name: &str, list: &str, redis_address: &str, interval: u32) -> Value {
    json!({
        "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "scaleTargetRef": {"name": name},
            "pollingInterval": interval,
            "triggers": [{"type": "redis", "metadata": {
                "address": redis_address, "listName": list, "listLength": "5"}}],
        }
    })
}

/// `target/release/kedars`, built by cargo with the bench (`KEDARS_BINARY` overrides).
fn kedars_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("KEDARS_BINARY") {
        return PathBuf::from(path);
    }
    PathBuf::from(env!("CARGO_BIN_EXE_kedars"))
}

fn free_address() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    format!("127.0.0.1:{port}")
}

/// As the end-to-end tests start it (tests/common/operator.rs), minus the metrics API.
fn spawn_operator(cluster: &TestCluster, log: &Path) -> Operator {
    let file = std::fs::File::create(log).expect("a log file");
    let child = Command::new(kedars_binary())
        .arg("operator")
        .args(["--health-listen", &free_address()])
        .args(["--metrics-listen", &free_address()])
        .arg("--leader-elect=false")
        .env("KUBECONFIG", cluster.kubeconfig_path())
        .env("WATCH_NAMESPACE", "")
        .env("POD_NAME", "bench-operator")
        .stdout(file.try_clone().expect("a log file"))
        .stderr(file)
        .spawn()
        .expect("the kedars binary");
    Operator(child)
}

fn hpas() -> Gvr {
    Gvr::new("autoscaling", "v2", "horizontalpodautoscalers")
}

fn scaled_objects() -> Gvr {
    Gvr::new("keda.sh", "v1alpha1", "scaledobjects")
}

/// Until every ScaledObject has an HPA and a Ready=True condition; the time it took.
async fn wait_started(cluster: &TestCluster, n: usize, timeout: Duration, log: &Path) -> Duration {
    let started = Instant::now();
    loop {
        let hpas = cluster
            .list_json(&hpas(), Some(NAMESPACE))
            .map_or(0, |l| l.len());
        let ready = cluster
            .list_json(&scaled_objects(), Some(NAMESPACE))
            .map_or(0, |l| l.iter().filter(|so| is_ready(so)).count());
        if hpas == n && ready == n {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < timeout,
            "after {timeout:?}: {hpas} HPAs, {ready} Ready of {n}; log {}",
            log.display()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn is_ready(so: &Value) -> bool {
    so["status"]["conditions"].as_array().is_some_and(|cs| {
        cs.iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    })
}

/// `GET scaledobjects/status (watch)`: the verb, the resource and subresource, and whether it
/// is a watch; names and namespaces dropped, so requests of one kind count together.
fn kind_of(request: &str) -> String {
    let (method, target) = request.split_once(' ').unwrap_or((request, ""));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let rest = match segments.first() {
        Some(&"api") => segments.get(2..),
        Some(&"apis") => segments.get(3..),
        _ => None,
    }
    .unwrap_or(&[]);
    let rest = match rest {
        ["namespaces", _, more @ ..] if !more.is_empty() => more,
        other => other,
    };
    let resource = match rest {
        [] => path.to_string(),
        [resource] | [resource, _] => resource.to_string(),
        [resource, _, sub, ..] => format!("{resource}/{sub}"),
    };
    let watch = if query
        .split('&')
        .any(|kv| kv == "watch=true" || kv == "watch=1")
    {
        " (watch)"
    } else {
        ""
    };
    format!("{method} {resource}{watch}")
}

fn print_breakdown(title: &str, startup: &[String], quiet: &[String], window: Duration) {
    let mut kinds: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for r in startup {
        kinds.entry(kind_of(r)).or_default().0 += 1;
    }
    for r in quiet {
        kinds.entry(kind_of(r)).or_default().1 += 1;
    }
    println!("\n| {title} | start-up | quiet window | quiet, per second |");
    println!("|---|---:|---:|---:|");
    for (kind, (s, q)) in kinds {
        println!(
            "| `{kind}` | {s} | {q} | {:.2} |",
            q as f64 / window.as_secs_f64()
        );
    }
}

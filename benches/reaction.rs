//! Reaction times of the operator end to end (issue 6): the real `kedars operator` binary
//! (release) against the API server double, a real Redis and the simulated HPA of the
//! end-to-end tests (tests/common), measured over many runs:
//! - first item pushed → first replica (the operator's own 0 → 1 through `/scale`);
//! - a push needing more replicas → the HPA's change (poll, metrics API, HPA sync);
//! - the leader SIGKILLed, with work waiting → the standby's first change (lease expiry, the
//!   standby's start, its poll, the HPA);
//! - and the API requests per minute one idle ScaledObject costs (issue 6's watch predicate).
//!
//! `CARGO_PROFILE_RELEASE_DEBUG=0 cargo bench --bench reaction -- [--rounds N]
//! [--failover-rounds N] [--lease-seconds S] [--idle-seconds S]`
//!
//! Needs the test services (`eval "$(bash scripts/test-services.sh env)"`: KEDARS_TEST_REDIS)
//! and `redis-cli`. Timestamps come from a watch on the double's Deployments, so the figure is
//! when the replica count was written, not when a poller noticed.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/machine.rs"]
mod machine;

use std::time::{Duration, Instant};

use clap::Parser;
use common::operator::{
    Env, OperatorOptions, deployment, namespace, push, redis, redis_trigger, scaled_object,
};
use common::unique;
use kedars_testcluster::Gvr;
use serde_json::json;

/// The simulated HPA's sync period (tests/common/operator.rs; the real one: 15 s).
const HPA_PERIOD: Duration = Duration::from_secs(1);
/// pollingInterval of the ScaledObjects (tests/common/operator.rs `scaled_object`).
const POLLING: Duration = Duration::from_secs(1);
const WAIT: Duration = Duration::from_secs(30);
/// The HPA's default scale-up policies (4 pods or 100 % per 15 s) count what it added in the
/// last 15 s: scale-ups that far apart are not held back by earlier rounds.
const SCALE_UP_PERIOD: Duration = Duration::from_millis(15_500);

/// Without it the HPA's default 300 s scale-down window remembers the 3 replicas of the round
/// before and takes a fresh 0 → 1 straight to 3; each round would not start from scratch.
fn no_scale_down_window() -> serde_json::Value {
    json!({"advanced": {"horizontalPodAutoscalerConfig": {"behavior": {
        "scaleDown": {"stabilizationWindowSeconds": 0}
    }}}})
}

/// Sleeps until `SCALE_UP_PERIOD` has passed since the last scale-up, then `jitter`.
async fn space_from(last_scale_up: Option<Instant>, jitter: Duration) {
    if let Some(at) = last_scale_up {
        tokio::time::sleep_until((at + SCALE_UP_PERIOD).into()).await;
    }
    tokio::time::sleep(jitter).await;
}

#[derive(Parser, Debug)]
#[command(about = "the operator's reaction times, end to end against the API server double")]
struct Args {
    /// Runs of the scale-from-zero and scale-up measurements.
    #[arg(long, default_value_t = 12)]
    rounds: u64,
    /// Leader kills.
    #[arg(long, default_value_t = 8)]
    failover_rounds: u64,
    /// The operators' --lease-seconds in the failover runs.
    #[arg(long, default_value_t = 3)]
    lease_seconds: u64,
    /// Seconds over which an idle ScaledObject's API requests are counted (0: skip).
    #[arg(long, default_value_t = 60)]
    idle_seconds: u64,
    /// Another kedars binary (an earlier build) whose idle API requests are counted beside.
    #[arg(long)]
    idle_baseline: Option<std::path::PathBuf>,
    #[arg(long, hide = true)]
    bench: bool,
}

fn main() {
    let args = Args::parse();
    let facts = machine::Facts::gather("reaction");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let binary = common::operator::kedars_binary();
    assert!(
        binary.exists(),
        "{} is missing: build it with `cargo build --release --bin kedars`",
        binary.display()
    );
    facts.print();
    println!("binary: {}", binary.display());
    runtime.block_on(async {
        let (from_zero, scale_up, push_cost) = scaling(args.rounds).await;
        let failover = failover(args.failover_rounds, args.lease_seconds).await;
        let window = Duration::from_secs(args.idle_seconds);
        let mut idle = Vec::new();
        if !window.is_zero() {
            if let Some(baseline) = &args.idle_baseline {
                idle.push((baseline.clone(), idle_requests(baseline, window).await));
            }
            idle.push((binary.clone(), idle_requests(&binary, window).await));
        }
        report(&args, from_zero, scale_up, push_cost, failover, idle);
    });
}

/// Pushes land anywhere within the polling interval and the HPA period, not just after a poll:
/// 0 to 1 s, spread over the rounds.
fn jitter(round: u64) -> Duration {
    Duration::from_millis(round * 389 % 1000)
}

/// `(from zero, scale up, redis-cli push)` samples.
async fn scaling(rounds: u64) -> (Vec<Duration>, Vec<Duration>, Vec<Duration>) {
    let env = Env::start().await;
    let (ns, name, list) = ("reaction", "worker", unique("bench-reaction"));
    env.apply(namespace(ns));
    env.apply(deployment(ns, name, 0));
    env.apply(scaled_object(
        ns,
        name,
        redis_trigger(&list),
        no_scale_down_window(),
    ));
    env.wait_condition(ns, name, "Ready", "True", "ScaledObjectReady", WAIT)
        .await;
    let mut last_scale_up = None;
    let (mut from_zero, mut scale_up, mut push_cost) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        tokio::time::sleep(jitter(round)).await;
        let pushed = Instant::now();
        push(&list, 3);
        push_cost.push(pushed.elapsed());
        env.wait_replicas(ns, name, 1, WAIT).await;
        from_zero.push(first_change(&env, ns, name, pushed, |r| r >= 1).await);

        space_from(last_scale_up, jitter(round + 7)).await;
        let pushed = Instant::now();
        push(&list, 12);
        env.wait_replicas(ns, name, 3, WAIT).await;
        scale_up.push(first_change(&env, ns, name, pushed, |r| r > 1).await);
        last_scale_up = Some(pushed + *scale_up.last().unwrap());

        redis(&["del", &list]);
        env.wait_replicas(ns, name, 0, WAIT).await;
        eprintln!(
            "round {round}: from zero {:?}, scale up {:?}",
            from_zero.last().unwrap(),
            scale_up.last().unwrap()
        );
    }
    (from_zero, scale_up, push_cost)
}

/// When the first change satisfying `want` after `since` was written. The record comes from a
/// watch, which may deliver a moment after the replicas read back as changed.
async fn first_change(
    env: &Env,
    ns: &str,
    name: &str,
    since: Instant,
    want: impl Fn(i64) -> bool,
) -> Duration {
    let (at, _) = env
        .wait(WAIT, "the change in the replica history", || {
            env.history
                .first_after(ns, name, since, &want)
                .ok_or_else(|| format!("{:?}", env.history.of(ns, name)))
        })
        .await;
    at - since
}

fn lease_holder(env: &Env) -> Option<String> {
    let leases = Gvr::new("coordination.k8s.io", "v1", "leases");
    let lease = env
        .cluster
        .get_json(&leases, "kedars-system", "operator.keda.sh")
        .ok()?;
    lease["spec"]["holderIdentity"].as_str().map(String::from)
}

async fn spawn_standby(env: &mut Env, name: String, lease_seconds: u64) {
    // A port picked free can be taken by another process before the operator binds it: retry.
    for _ in 0..3 {
        let index = env.spawn(OperatorOptions {
            name: name.clone(),
            lease: Some(("kedars-system".into(), lease_seconds)),
            ..OperatorOptions::default()
        });
        let started = env
            .wait(WAIT, "the operator waiting for the lease", || {
                let log = env.operators[index].log_text();
                if log.contains("waiting for the lease") {
                    Ok(true)
                } else if log.contains("Address already in use") {
                    Ok(false)
                } else {
                    Err(log)
                }
            })
            .await;
        if started {
            return;
        }
        env.kill(index);
    }
    panic!("{name} could not bind its ports");
}

/// Kill → the first replica change the work waiting needs, per round. Each round starts from
/// one replica with a leader and a standby, kills the leader (SIGKILL: the lease is not
/// released) and pushes work for three replicas at once; only the standby can act on it.
async fn failover(rounds: u64, lease_seconds: u64) -> Vec<Duration> {
    let mut env = Env::without_operator().await;
    env.apply(namespace("kedars-system"));
    let mut spawned = 0;
    for _ in 0..2 {
        spawned += 1;
        spawn_standby(&mut env, format!("operator-{spawned}"), lease_seconds).await;
    }
    let (ns, name, list) = ("failover", "worker", unique("bench-failover"));
    env.apply(namespace(ns));
    env.apply(deployment(ns, name, 0));
    env.apply(scaled_object(
        ns,
        name,
        redis_trigger(&list),
        no_scale_down_window(),
    ));
    let mut last_scale_up = None;
    let mut samples = Vec::new();
    for round in 0..rounds {
        // From scratch: to zero (the operator, after the cooldown), then one replica.
        redis(&["del", &list]);
        env.wait_replicas(ns, name, 0, WAIT).await;
        push(&list, 3);
        env.wait_replicas(ns, name, 1, WAIT).await;
        space_from(last_scale_up, jitter(round)).await;
        let leader = lease_holder(&env).expect("a lease holder");
        let index = env.operators.iter().position(|o| o.name == leader).unwrap();
        let killed = Instant::now();
        env.kill(index);
        push(&list, 12);
        env.wait_replicas(ns, name, 3, WAIT).await;
        samples.push(first_change(&env, ns, name, killed, |r| r > 1).await);
        last_scale_up = Some(killed + *samples.last().unwrap());
        eprintln!(
            "failover round {round}: {leader} killed, scaled after {:?}",
            samples.last().unwrap()
        );
        spawned += 1;
        spawn_standby(&mut env, format!("operator-{spawned}"), lease_seconds).await;
    }
    samples
}

/// API requests one ScaledObject costs while nothing changes, by kind, over `window` each:
/// first inactive at zero (an empty list), then active and steady at one replica (3 items, so
/// the operator patches `lastActiveTime` into the status every poll). The simulated HPA's own
/// reads and writes are in-process, not counted.
async fn idle_requests(binary: &std::path::Path, window: Duration) -> [Counts; 2] {
    let mut env = Env::without_operator().await;
    env.binary = binary.to_path_buf();
    env.spawn(OperatorOptions::default());
    let (ns, name, list) = ("idle", "worker", unique("bench-idle"));
    env.apply(namespace(ns));
    env.apply(deployment(ns, name, 0));
    env.apply(scaled_object(
        ns,
        name,
        redis_trigger(&list),
        no_scale_down_window(),
    ));
    env.wait_condition(ns, name, "Ready", "True", "ScaledObjectReady", WAIT)
        .await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let inactive = count_requests(&env, window).await;
    push(&list, 3);
    env.wait_replicas(ns, name, 1, WAIT).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let active = count_requests(&env, window).await;
    redis(&["del", &list]);
    [inactive, active]
}

/// Requests by kind (`request_kind`), then `("all", total)`.
type Counts = Vec<(String, usize)>;

async fn count_requests(env: &Env, window: Duration) -> Counts {
    let before = env.cluster.requests().len();
    tokio::time::sleep(window).await;
    let requests = env.cluster.requests()[before..].to_vec();
    let mut by_kind = std::collections::BTreeMap::<String, usize>::new();
    for request in &requests {
        *by_kind.entry(request_kind(request)).or_default() += 1;
    }
    let mut rows: Vec<(String, usize)> = by_kind.into_iter().collect();
    rows.push(("all".into(), requests.len()));
    rows
}

/// `GET /apis/keda.sh/v1alpha1/namespaces/idle/scaledobjects/worker?…` → `GET scaledobjects`
/// (`/status`, `/scale` kept; watches named as such).
fn request_kind(request: &str) -> String {
    let (method, rest) = request.split_once(' ').unwrap_or((request, ""));
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let resource = segments
        .iter()
        .position(|s| *s == "namespaces")
        .and_then(|i| segments.get(i + 2))
        .or_else(|| segments.last())
        .copied()
        .unwrap_or_default();
    let sub = match segments.last() {
        Some(last @ (&"status" | &"scale")) => format!("/{last}"),
        _ => String::new(),
    };
    let watch = if query.contains("watch=true") || query.contains("watch=1") {
        " (watch)"
    } else {
        ""
    };
    format!("{method} {resource}{sub}{watch}")
}

/// min / median / p90 / max in ms, nearest rank.
fn summary(samples: &[Duration]) -> String {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let rank =
        |p: f64| sorted[((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1];
    let ms = |d: Duration| format!("{:.0}", d.as_secs_f64() * 1000.0);
    format!(
        "{} | {} | {} | {} | {}",
        sorted.len(),
        ms(sorted[0]),
        ms(rank(0.5)),
        ms(rank(0.9)),
        ms(sorted[sorted.len() - 1])
    )
}

fn report(
    args: &Args,
    from_zero: Vec<Duration>,
    scale_up: Vec<Duration>,
    push_cost: Vec<Duration>,
    failover: Vec<Duration>,
    idle: Vec<(std::path::PathBuf, [Counts; 2])>,
) {
    let lease = args.lease_seconds;
    let retry = (lease / 3).max(1);
    println!(
        "\nsettings: pollingInterval {}s, cooldownPeriod 2s, listLength 5, simulated HPA \
         (tests/common/hpa_sim.rs) syncing every {}s with upstream's default behavior except \
         scaleDown.stabilizationWindowSeconds 0, scale-ups at least {} ms apart, \
         --lease-seconds {lease} (standby retry {retry}s), everything on 127.0.0.1\n",
        POLLING.as_secs(),
        HPA_PERIOD.as_secs(),
        SCALE_UP_PERIOD.as_millis()
    );
    let rows = [
        (
            "first item pushed → first replica (0 → 1, the operator)",
            &from_zero,
            format!("≤ pollingInterval = {} ms", POLLING.as_millis()),
        ),
        (
            "push needing more replicas → the HPA's change (1 → 3)",
            &scale_up,
            format!(
                "≤ pollingInterval + HPA period = {} ms",
                (POLLING + HPA_PERIOD).as_millis()
            ),
        ),
        (
            "leader SIGKILLed → the standby's change (1 → 3)",
            &failover,
            format!(
                "≤ lease + retry + pollingInterval + HPA period = {} ms, plus the standby's start",
                (Duration::from_secs(lease + retry) + POLLING + HPA_PERIOD).as_millis()
            ),
        ),
        (
            "baseline: one `redis-cli rpush` (the push itself)",
            &push_cost,
            "—".to_string(),
        ),
    ];
    if rows.iter().any(|(_, samples, _)| !samples.is_empty()) {
        println!(
            "| figure | runs | min ms | median ms | p90 ms | max ms | bound from the settings |"
        );
        println!("|---|---:|---:|---:|---:|---:|---|");
    }
    for (figure, samples, bound) in rows {
        if !samples.is_empty() {
            println!("| {figure} | {} | {bound} |", summary(samples));
        }
    }
    if idle.is_empty() {
        return;
    }
    let minutes = args.idle_seconds as f64 / 60.0;
    for (state, which) in [
        ("inactive at zero", 0),
        ("active, steady at one replica", 1),
    ] {
        println!(
            "\nAPI requests to the double per minute, one ScaledObject {state}, counted over {} s:\n",
            args.idle_seconds
        );
        let mut kinds: Vec<String> = idle
            .iter()
            .flat_map(|(_, states)| states[which].iter().map(|(kind, _)| kind.clone()))
            .filter(|kind| kind != "all")
            .collect();
        kinds.sort();
        kinds.dedup();
        kinds.push("all".into());
        let header: Vec<String> = idle.iter().map(|(b, _)| b.display().to_string()).collect();
        println!("| request | {} |", header.join(" | "));
        println!("|---|{}", "---:|".repeat(idle.len()));
        for kind in kinds {
            let cells: Vec<String> = idle
                .iter()
                .map(|(_, states)| {
                    let count = states[which]
                        .iter()
                        .find(|(k, _)| *k == kind)
                        .map_or(0, |(_, c)| *c);
                    format!("{:.1}", count as f64 / minutes)
                })
                .collect();
            println!("| {kind} | {} |", cells.join(" | "));
        }
    }
}

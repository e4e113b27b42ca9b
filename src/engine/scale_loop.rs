//! The polling loop of one ScaledObject (KEDA `scale_handler.go`, §2.4): poll at once, then every
//! `pollingInterval` measured from the start of the previous poll; each poll evaluates the
//! triggers, asks the executor what to do, does it, and reports.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::clock::Clock;
use super::executor::{self, ExecutorInput};
use super::scaled_object::ScaledObjectRuntime;
use super::target::{PollReport, Reporter, ScaleTarget};
use crate::api::annotations;

/// What a loop needs from its surroundings.
#[derive(Clone)]
pub struct LoopContext {
    pub target: Arc<dyn ScaleTarget>,
    pub reporter: Arc<dyn Reporter>,
    pub clock: Arc<dyn Clock>,
}

/// Polls until the task is aborted.
pub async fn run(runtime: Arc<ScaledObjectRuntime>, ctx: LoopContext) {
    let interval = runtime.polling_interval();
    let mut last_active = initial_last_active_time(&runtime);
    let mut ticks = tokio::time::interval(interval);
    // A poll that overran its interval is followed by the next at once, not by a burst.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let scheduled = ticks.tick().await;
        let late = scheduled.elapsed();
        let mut report = poll_once(&runtime, &ctx, last_active).await;
        report.loop_latency = late;
        last_active = report.last_active_time;
        ctx.reporter.report(&report);
    }
}

fn initial_last_active_time(runtime: &ScaledObjectRuntime) -> Option<DateTime<Utc>> {
    let status = runtime.so.status.as_ref()?;
    let text = status.last_active_time.as_deref()?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// One poll. Values younger than half the polling interval (fetched for the HPA meanwhile) are
/// reused, so the source sees one query per trigger per interval whatever the HPA's rate.
pub async fn poll_once(
    runtime: &ScaledObjectRuntime,
    ctx: &LoopContext,
    last_active: Option<DateTime<Utc>>,
) -> PollReport {
    let so = &runtime.so;
    let current = ctx.target.replicas(so).await;
    if let Ok(replicas) = current {
        runtime.set_current_replicas(replicas);
    }
    let state = runtime
        .evaluate(runtime.polling_interval() / 2, ctx.clock.as_ref())
        .await;
    let now = ctx.clock.now();
    let pause = annotations::pause(&so.metadata.annotations.clone().unwrap_or_default())
        .unwrap_or_default();
    let spec = &so.spec;
    let mut report = PollReport {
        key: runtime.key.clone(),
        at: now,
        current_replicas: current.clone(),
        decision: Default::default(),
        scaled: None,
        last_active_time: last_active,
        loop_latency: Duration::ZERO,
        state,
    };
    let Ok(current_replicas) = current else {
        return report;
    };
    let input = ExecutorInput {
        min_replica_count: spec.min_replica_count,
        idle_replica_count: spec.idle_replica_count,
        cooldown_period_seconds: spec.cooldown_period_seconds(),
        initial_cooldown_period_seconds: spec.initial_cooldown_period.unwrap_or(0),
        fallback_replicas: spec.fallback.as_ref().map(|f| f.replicas),
        pause,
        is_active: report.state.is_active,
        is_error: report.state.is_error,
        current_replicas,
        last_active_time: last_active,
        creation_time: so.metadata.creation_timestamp.as_ref().and_then(|t| {
            DateTime::from_timestamp(t.0.as_second(), t.0.subsec_nanosecond().max(0) as u32)
        }),
        now,
    };
    let decision = executor::decide(&input);
    if let Some(action) = decision.scale {
        let result = ctx.target.scale(so, action.to).await;
        if result.is_ok() {
            runtime.set_current_replicas(action.to);
        }
        report.scaled = Some((action, result));
    }
    // An activation counts as activity only once the workload really was scaled.
    let scale_failed = matches!(&report.scaled, Some((_, Err(_))));
    if !scale_failed && decision.last_active_time.is_some() {
        report.last_active_time = decision.last_active_time;
    }
    report.decision = decision;
    report
}

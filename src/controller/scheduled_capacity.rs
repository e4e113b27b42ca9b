//! Scheduled capacity in the operator: for each ScaledObject with a time-based trigger, the
//! target's ready replicas at every poll, judged against that trigger's window openings
//! ([`opening_readiness`]). Each verdict becomes the lateness histogram and the openings
//! counter; the latest opening becomes the ScaledObject's `status.scheduledCapacity`.
//!
//! Readiness is the target object's `status.readyReplicas` (a dynamic get of the
//! scaleTargetRef): the `/scale` subresource's `status.replicas` counts pods, not ready ones.

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use chrono::{DateTime, SecondsFormat, Utc};
use kube::api::{DynamicObject, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::{Api, ResourceExt};
use serde_json::{Value, json};

use super::context::Context;
use super::metrics::OpeningOutcome;
use crate::api::ScaledObject;
use crate::api::scaled_object::ScheduledCapacityStatus;
use crate::engine::opening_readiness::{self, Ask, Latest, Observation, Opening, Served, Tracker};
use crate::engine::scaled_object::ScaledObjectRuntime;
use crate::engine::state::ObjectKey;
use crate::engine::target::PollReport;
use crate::engine::trigger::TriggerRuntime;

/// Forgotten ScaledObjects are dropped every this many reports.
const PRUNE_EVERY: u64 = 256;

/// The write-back task's memory of every watched ScaledObject; one per operator.
#[derive(Default)]
pub struct CapacityWatch {
    objects: HashMap<ObjectKey, Watched>,
    reports: u64,
}

#[derive(Default)]
struct Watched {
    /// The runtime the schedules were built for: a new one (a changed spec) rebuilds them.
    built_for: Weak<ScaledObjectRuntime>,
    schedules: Vec<Schedule>,
    /// The status last written, not to write it again.
    written: Option<Value>,
}

struct Schedule {
    /// The trigger's name, or its metric name.
    label: String,
    trigger: Arc<TriggerRuntime>,
    ask: Ask,
    tracker: Tracker,
}

impl CapacityWatch {
    /// Observes the target of `so` after one of its polls. Never fails: what cannot be read is
    /// logged and tried again at the next poll.
    pub async fn observe(&mut self, so: &ScaledObject, report: &PollReport, ctx: &Context) {
        self.reports += 1;
        if self.reports.is_multiple_of(PRUNE_EVERY) {
            self.objects.retain(|key, _| ctx.engine.get(key).is_some());
        }
        let key = &report.key;
        let Some(runtime) = ctx.engine.get(key) else {
            return;
        };
        if !runtime.triggers.iter().any(|t| t.time_based().is_some()) {
            self.objects.remove(key);
            return;
        }
        let watched = self.objects.entry(key.clone()).or_default();
        watched.build_for(&runtime);
        if watched.schedules.is_empty() {
            return;
        }
        let ready = match ready_replicas(so, ctx).await {
            Ok(ready) => ready,
            Err(e) => {
                tracing::debug!(scaled_object = %key, error = %e, "cannot read the target's ready replicas");
                return;
            }
        };
        let seen = Observation {
            at: Utc::now(),
            ready,
        };
        watched.judge(seen, key, ctx);
        watched.write_latest(so, key, ctx).await;
    }
}

impl Watched {
    /// Builds the schedules again when the loop runs a new runtime (a changed spec). Openings
    /// already waiting stay watched.
    fn build_for(&mut self, runtime: &Arc<ScaledObjectRuntime>) {
        let built = self.built_for.upgrade();
        if built.is_some_and(|b| Arc::ptr_eq(&b, runtime)) {
            return;
        }
        let mut rebuilt = schedules(runtime);
        for schedule in &mut rebuilt {
            if let Some(old) = self
                .schedules
                .iter_mut()
                .find(|s| s.label == schedule.label)
            {
                schedule.tracker = std::mem::take(&mut old.tracker);
            }
        }
        self.schedules = rebuilt;
        self.built_for = Arc::downgrade(runtime);
    }

    /// Hands `seen` to every schedule's tracker with its openings since the previous
    /// observation; records each verdict.
    fn judge(&mut self, seen: Observation, key: &ObjectKey, ctx: &Context) {
        for schedule in &mut self.schedules {
            let Some(time_based) = schedule.trigger.time_based() else {
                continue;
            };
            let after = schedule.tracker.last_observed().unwrap_or(seen.at);
            let openings = opening_readiness::openings(time_based, schedule.ask, after, seen.at);
            for verdict in schedule.tracker.observe(seen, &openings) {
                record(ctx, key, &schedule.label, &verdict.opening, &verdict.served);
            }
        }
    }

    /// Writes the latest opening of any schedule to the status, unless it is written already.
    async fn write_latest(&mut self, so: &ScaledObject, key: &ObjectKey, ctx: &Context) {
        let latest = self
            .schedules
            .iter()
            .filter_map(|s| s.tracker.latest().map(|l| (s.label.as_str(), l)))
            .max_by_key(|(_, l)| l.opening.due);
        let Some(status) = latest.map(|(label, latest)| status_of(label, latest)) else {
            return;
        };
        if self.written.as_ref() == Some(&status) {
            return;
        }
        // Only this field: no resourceVersion needed, and none of the poll's status touched.
        let patch = json!({ "status": { "scheduledCapacity": status } });
        let api: Api<ScaledObject> = Api::namespaced(ctx.client.clone(), &key.namespace);
        let params = PatchParams::default();
        match api
            .patch_status(&so.name_any(), &params, &Patch::Merge(&patch))
            .await
        {
            Ok(_) => self.written = Some(status),
            Err(e) => {
                tracing::warn!(scaled_object = %key, error = %e, "cannot write status.scheduledCapacity")
            }
        }
    }
}

/// The time-based triggers of `runtime`: the scalers its loop polls, so a timetable read from
/// a ConfigMap is the one the loop uses, with no second resolution.
fn schedules(runtime: &ScaledObjectRuntime) -> Vec<Schedule> {
    let so = &runtime.so;
    runtime
        .triggers
        .iter()
        .filter(|trigger| trigger.time_based().is_some())
        .map(|trigger| Schedule {
            label: trigger
                .name
                .clone()
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| trigger.metric.name.clone()),
            ask: Ask {
                metric_type: trigger.metric.metric_type,
                target: trigger.metric.target.as_f64(),
                max_replicas: so.spec.max_replicas(),
            },
            trigger: trigger.clone(),
            tracker: Tracker::default(),
        })
        .collect()
}

/// The target's `status.readyReplicas`. Deployments and StatefulSets omit zero counters; any
/// other kind must report the field to be measured at all.
async fn ready_replicas(so: &ScaledObject, ctx: &Context) -> Result<i32, String> {
    let gvkr = ctx.scale.resolve(so).await?;
    let gvk = GroupVersionKind::gvk(&gvkr.group, &gvkr.version, &gvkr.kind);
    let resource = ApiResource::from_gvk_with_plural(&gvk, &gvkr.resource);
    let namespace = so.metadata.namespace.as_deref().unwrap_or("default");
    let api: Api<DynamicObject> = Api::namespaced_with(ctx.client.clone(), namespace, &resource);
    let target = api
        .get(&so.spec.scale_target_ref.name)
        .await
        .map_err(|e| e.to_string())?;
    let ready = target.data.pointer("/status/readyReplicas");
    match (ready.and_then(Value::as_i64), gvkr.kind.as_str()) {
        (Some(n), _) => Ok(i32::try_from(n).unwrap_or(i32::MAX)),
        (None, "Deployment" | "StatefulSet") if ready.is_none() => Ok(0),
        _ => Err(format!("{} has no status.readyReplicas", gvkr.kind)),
    }
}

fn record(ctx: &Context, key: &ObjectKey, label: &str, opening: &Opening, served: &Served) {
    let (outcome, late) = match served {
        Served::Ready { at, late } => (
            if *at <= opening.start {
                OpeningOutcome::InTime
            } else {
                OpeningOutcome::Late
            },
            Some(late.to_std().unwrap_or_default()),
        ),
        Served::Missed => (OpeningOutcome::Missed, None),
    };
    tracing::info!(
        scaled_object = %key, trigger = label, due = %opening.due, desired = opening.desired,
        late_seconds = late.map(|l| l.as_secs_f64()), ?outcome,
        "scheduled opening judged"
    );
    ctx.metrics
        .record_opening(&key.namespace, &key.name, label, outcome, late);
}

/// `status.scheduledCapacity` for the latest opening, with explicit nulls: a merge patch keeps
/// the fields it does not name, and the previous opening's `readyAt` must not linger.
fn status_of(label: &str, latest: &Latest) -> Value {
    let time = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let opening = &latest.opening;
    let mut status = ScheduledCapacityStatus {
        trigger: label.to_string(),
        last_opening: time(opening.due),
        starts_at: time(opening.start),
        desired_replicas: opening.desired,
        ..Default::default()
    };
    match &latest.served {
        Some(Served::Ready { at, late }) => {
            status.ready_at = Some(time(*at));
            // Whole seconds, rounded up: late by 0.2 s is not on time.
            let millis = late.num_milliseconds().max(0);
            status.late_by_seconds = Some((millis + 999) / 1000);
        }
        Some(Served::Missed) => status.missed = Some(true),
        None => {}
    }
    let mut value = serde_json::to_value(&status).expect("a status serialises");
    for field in ["readyAt", "lateBySeconds", "missed"] {
        value
            .as_object_mut()
            .expect("a struct is an object")
            .entry(field)
            .or_insert(Value::Null);
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn the_status_names_every_field_of_the_latest_opening() {
        let opening = Opening {
            due: utc("2026-03-01T23:45:00Z"),
            start: utc("2026-03-02T00:00:00Z"),
            until: utc("2026-03-02T01:40:00Z"),
            desired: 3,
        };
        let latest = |served| Latest {
            opening: opening.clone(),
            served,
        };
        let ready = Served::Ready {
            at: utc("2026-03-01T23:45:40.2Z"),
            late: TimeDelta::milliseconds(40_200),
        };
        let rows = [
            (
                latest(None),
                json!({"trigger": "lessons", "lastOpening": "2026-03-01T23:45:00Z",
                    "startsAt": "2026-03-02T00:00:00Z", "desiredReplicas": 3,
                    "readyAt": null, "lateBySeconds": null, "missed": null}),
            ),
            (
                latest(Some(ready)),
                json!({"trigger": "lessons", "lastOpening": "2026-03-01T23:45:00Z",
                    "startsAt": "2026-03-02T00:00:00Z", "desiredReplicas": 3,
                    "readyAt": "2026-03-01T23:45:40Z", "lateBySeconds": 41, "missed": null}),
            ),
            (
                latest(Some(Served::Missed)),
                json!({"trigger": "lessons", "lastOpening": "2026-03-01T23:45:00Z",
                    "startsAt": "2026-03-02T00:00:00Z", "desiredReplicas": 3,
                    "readyAt": null, "lateBySeconds": null, "missed": true}),
            ),
        ];
        for (latest, want) in rows {
            assert_eq!(status_of("lessons", &latest), want);
        }
    }
}

//! What `kedars simulate` says: the replica changes with their causes (text or JSON), and the
//! chart.

use std::io::{self, Write};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use kedars_scalers::MetricType;
use serde_json::{Value, json};

use crate::engine::state::ObjectKey;
use crate::simulate::svg::{Chart, TriggerChart};
use crate::simulate::{Options, Outcome, Simulation, replica_hours};

/// Samples beyond this are summarised in JSON rather than listed.
const MAX_SAMPLES: usize = 10_000;

pub struct Simulated {
    pub sim: Simulation,
    pub options: Options,
    pub outcome: Outcome,
}

impl Simulated {
    /// Times are shown in the zone of the first time-based trigger, else UTC.
    fn zone(&self) -> Tz {
        self.sim
            .triggers
            .iter()
            .find_map(|t| t.scaler.time_based().map(|tb| tb.zone()))
            .unwrap_or(Tz::UTC)
    }

    fn local(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.zone())
            .format("%a %Y-%m-%d %H:%M:%S %Z")
            .to_string()
    }

    fn key(&self) -> &ObjectKey {
        &self.sim.runtime.key
    }

    fn replica_range(&self) -> (i32, i32) {
        let replicas = self.outcome.samples.iter().map(|s| s.replicas);
        (
            replicas.clone().min().unwrap_or(0),
            replicas.max().unwrap_or(0),
        )
    }
}

pub fn text(
    all: &[Simulated],
    rejected: &[(ObjectKey, Vec<String>)],
    out: &mut dyn Write,
) -> io::Result<()> {
    for s in all {
        let o = &s.options;
        writeln!(
            out,
            "ScaledObject {}: {} to {}, every {} s ({} steps), {} replicas at the start",
            s.key(),
            s.local(o.from),
            s.local(o.to),
            o.step.num_seconds(),
            s.outcome.steps,
            o.initial_replicas
        )?;
        for warning in &s.sim.warnings {
            writeln!(out, "  warning: {warning}")?;
        }
        for c in &s.outcome.changes {
            writeln!(
                out,
                "  {}  {:>3} -> {:<3} {}",
                s.local(c.at),
                c.from,
                c.to,
                c.cause
            )?;
        }
        let (low, high) = s.replica_range();
        writeln!(
            out,
            "  {} changes; replicas between {low} and {high}; {:.1} replica-hours",
            s.outcome.changes.len(),
            replica_hours(&s.outcome.samples)
        )?;
    }
    for (key, errors) in rejected {
        writeln!(out, "ScaledObject {key}: NOT SIMULATED")?;
        for error in errors {
            writeln!(out, "  error: {error}")?;
        }
    }
    Ok(())
}

pub fn json(
    all: &[Simulated],
    rejected: &[(ObjectKey, Vec<String>)],
    out: &mut dyn Write,
) -> io::Result<()> {
    let objects: Vec<Value> = all.iter().map(object_json).collect();
    let rejected: Vec<Value> = rejected
        .iter()
        .map(
            |(key, errors)| json!({"namespace": key.namespace, "name": key.name, "errors": errors}),
        )
        .collect();
    serde_json::to_writer_pretty(
        &mut *out,
        &json!({"objects": objects, "rejected": rejected}),
    )?;
    writeln!(out)
}

fn object_json(s: &Simulated) -> Value {
    let (o, outcome) = (&s.options, &s.outcome);
    let triggers: Vec<Value> = s
        .sim
        .triggers
        .iter()
        .map(|t| {
            json!({
                "index": t.index, "name": t.name, "type": t.trigger_type,
                "metricName": t.metric.name, "metricType": t.metric.metric_type.as_str(),
                "target": t.metric.target.as_f64(), "timeBased": t.is_time_based(),
            })
        })
        .collect();
    let changes: Vec<Value> = outcome
        .changes
        .iter()
        .map(|c| json!({"at": c.at.to_rfc3339(), "local": s.local(c.at), "from": c.from, "to": c.to, "by": c.by.as_str(), "cause": c.cause}))
        .collect();
    let samples = (outcome.samples.len() <= MAX_SAMPLES).then(|| {
        outcome
            .samples
            .iter()
            .map(|x| json!({"at": x.at.to_rfc3339(), "replicas": x.replicas, "values": x.values}))
            .collect::<Vec<_>>()
    });
    let (low, high) = s.replica_range();
    json!({
        "namespace": s.key().namespace, "name": s.key().name, "zone": s.zone().name(),
        "from": o.from.to_rfc3339(), "to": o.to.to_rfc3339(), "stepSeconds": o.step.num_seconds(),
        "steps": outcome.steps, "initialReplicas": o.initial_replicas, "warnings": s.sim.warnings,
        "triggers": triggers, "changes": changes,
        // A sample whenever the replicas or a value read changes; each holds until the next.
        "samples": samples,
        "summary": {
            "changes": outcome.changes.len(), "minReplicas": low, "maxReplicas": high,
            "replicaHours": replica_hours(&outcome.samples), "samples": outcome.samples.len(),
        },
    })
}

pub fn svg(all: &[Simulated]) -> String {
    let charts: Vec<Chart<'_>> = all.iter().map(chart).collect();
    crate::simulate::svg::render(&charts)
}

fn chart(s: &Simulated) -> Chart<'_> {
    let (from, to) = (s.options.from, s.options.to);
    let triggers = s
        .sim
        .triggers
        .iter()
        .map(|t| TriggerChart {
            label: t.label(),
            target: t.metric.target.as_f64(),
            per: match t.metric.metric_type {
                MetricType::Value => "in all",
                _ => "per replica",
            },
            spans: t
                .scaler
                .time_based()
                .map(|tb| tb.spans(from, to))
                .unwrap_or_default(),
        })
        .collect();
    let zone = s.zone();
    Chart {
        title: format!(
            "ScaledObject {}: {} to {} ({})",
            s.key(),
            from.with_timezone(&zone).format("%a %Y-%m-%d %H:%M"),
            to.with_timezone(&zone).format("%a %Y-%m-%d %H:%M"),
            zone.name()
        ),
        zone,
        from,
        to,
        max_replicas: s.sim.runtime.so.spec.max_replicas(),
        samples: &s.outcome.samples,
        triggers,
    }
}

//! The simulation against hand-computed expectations: activation, the HPA's scale-up limit, a
//! scale-down stabilization window, a cooldown to zero, fallback and scalingModifiers; and the
//! chart's well-formedness.

use chrono::{DateTime, TimeDelta, Utc};
use kedars_scalers::TriggerContext;

use super::*;
use crate::api::ScaledObject;

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn scaled_object(spec: &str) -> ScaledObject {
    let yaml = format!(
        "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {{name: graders, namespace: school}}\nspec:\n  scaleTargetRef: {{name: graders}}\n{spec}"
    );
    serde_saphyr::from_str(&yaml).unwrap()
}

fn redis(index: usize) -> TriggerContext {
    let mut ctx = TriggerContext::new("redis", index).with_metadata([
        ("address", "127.0.0.1:6379"),
        ("listName", "jobs"),
        ("listLength", "5"),
    ]);
    ctx.name = Some(["a", "b"][index].to_string());
    ctx
}

fn trace(rows: &str) -> Trace {
    trace::parse(rows).unwrap()
}

/// (time, from, to, by) of each change.
fn changes(outcome: &Outcome) -> Vec<(DateTime<Utc>, i32, i32, Actor)> {
    outcome
        .changes
        .iter()
        .map(|c| (c.at, c.from, c.to, c.by))
        .collect()
}

async fn simulate(
    so: ScaledObject,
    contexts: &[Option<TriggerContext>],
    rows: &str,
    initial: i32,
) -> Outcome {
    let sim = prepare(so, contexts, &trace(rows)).unwrap_or_else(|e| panic!("{e:?}"));
    let options = Options {
        from: utc("2026-03-02T10:00:00Z"),
        to: utc("2026-03-02T10:20:00Z"),
        step: TimeDelta::seconds(15),
        initial_replicas: initial,
    };
    run(&sim, &options).await
}

const REDIS_TRIGGER: &str = "  triggers:\n  - type: redis\n    name: a\n    metadata: {address: '127.0.0.1:6379', listName: jobs, listLength: '5'}\n";

#[tokio::test]
async fn activation_stabilization_and_cooldown() {
    let so = scaled_object(&format!(
        "  minReplicaCount: 0\n  maxReplicaCount: 10\n  cooldownPeriod: 120\n  advanced:\n    horizontalPodAutoscalerConfig:\n      behavior:\n        scaleDown: {{stabilizationWindowSeconds: 60}}\n{REDIS_TRIGGER}"
    ));
    let rows = "2026-03-02T10:00:00Z,a,0\n2026-03-02T10:01:00Z,a,20\n2026-03-02T10:05:00Z,0,4\n2026-03-02T10:08:00Z,a,0\n";
    let outcome = simulate(so, &[Some(redis(0))], rows, 0).await;
    let at = |t: &str| utc(&format!("2026-03-02T{t}Z"));
    assert_eq!(
        changes(&outcome),
        vec![
            // 20 waiting: KEDA activates at its 10:01:00 poll...
            (at("10:01:00"), 0, 1, Actor::Keda),
            // ...and the HPA, syncing in the same instant, wants 20/5 = 4 (within 100% or 4 pods)
            (at("10:01:00"), 1, 4, Actor::Hpa),
            // 4 waiting at 10:05 asks for 1; the window keeps the last 4 (10:04:45) for 60 s,
            // and upstream counts only recommendations strictly after the window's start
            (at("10:05:45"), 4, 1, Actor::Hpa),
            // none waiting from 10:08; last active at the 10:07:30 poll, cooled down after 120 s
            (at("10:10:00"), 1, 0, Actor::Keda),
        ]
    );
    assert!(
        outcome.changes[1]
            .cause
            .starts_with("HPA: a (redis) 20 against 5 per replica: above target"),
        "{}",
        outcome.changes[1].cause
    );
    assert_eq!(
        outcome.changes[3].cause,
        "KEDA scaled it in: no trigger active for cooldownPeriod (120 s)"
    );
    assert_eq!(outcome.steps, 80);
    // Samples hold until the next; the last one is at the end.
    let last = outcome.samples.last().unwrap();
    assert_eq!(
        (last.at, last.replicas, last.values.clone()),
        (at("10:20:00"), 0, vec![Some(0.0)])
    );
    // 4 replicas for 4¾ min, then 1 for 4¼: 23¼ replica-minutes.
    assert!((replica_hours(&outcome.samples) - 23.25 / 60.0).abs() < 1e-9);
}

#[tokio::test]
async fn a_failing_source_falls_back() {
    let so = scaled_object(&format!(
        "  minReplicaCount: 1\n  maxReplicaCount: 10\n  fallback: {{failureThreshold: 2, replicas: 6}}\n{REDIS_TRIGGER}"
    ));
    let rows = "2026-03-02T10:00:00Z,a,10\n2026-03-02T10:02:00Z,a,error\n";
    let outcome = simulate(so, &[Some(redis(0))], rows, 2).await;
    // Only polls query the source (every 30 s; the HPA's reads between them are served the
    // poll's outcome, as the operator serves them): failures at 10:02:00 and 10:02:30 (not above
    // the threshold: the HPA cannot read the metric), the third at 10:03:00, so the fallback
    // serves 6 × 5. Without a behavior the HPA grows to at most max(2 × current, 4) per sync:
    // 4, then 6.
    assert_eq!(
        changes(&outcome),
        vec![
            (utc("2026-03-02T10:03:00Z"), 2, 4, Actor::Hpa),
            (utc("2026-03-02T10:03:15Z"), 4, 6, Actor::Hpa),
        ]
    );
    assert_eq!(
        outcome.changes[0].cause,
        "HPA: a (redis) 30 against 5 per replica: above target"
    );
}

#[tokio::test]
async fn scaling_modifiers_feed_the_composite_metric() {
    let so = scaled_object(
        "  minReplicaCount: 1\n  advanced:\n    scalingModifiers: {formula: 'a + b', target: '10'}\n  triggers:\n  - type: redis\n    name: a\n    metadata: {address: '127.0.0.1:6379', listName: jobs, listLength: '5'}\n  - type: redis\n    name: b\n    metadata: {address: '127.0.0.1:6379', listName: jobs, listLength: '5'}\n",
    );
    let rows = "2026-03-02T10:00:00Z,a,10\n2026-03-02T10:00:00Z,1,15\n";
    let outcome = simulate(so, &[Some(redis(0)), Some(redis(1))], rows, 1).await;
    assert_eq!(
        changes(&outcome),
        vec![(utc("2026-03-02T10:00:00Z"), 1, 3, Actor::Hpa)]
    );
    assert_eq!(
        outcome.changes[0].cause,
        "HPA: the scalingModifiers formula 25 against 10 per replica: above target"
    );
}

#[test]
fn missing_trace_rows_and_resource_triggers_are_reported() {
    let so = scaled_object(REDIS_TRIGGER);
    let sim = prepare(so, &[Some(redis(0))], &Trace::default()).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        sim.warnings,
        [
            "trigger 0 (redis): the trace has no rows for it (by name or index), so its source fails throughout"
        ]
    );
    let cpu = scaled_object(
        "  triggers:\n  - type: cpu\n    metricType: Utilization\n    metadata: {value: '50'}\n",
    );
    let err = prepare(cpu, &[None], &Trace::default()).err().unwrap();
    assert_eq!(
        err,
        [
            "spec.triggers[0] (cpu): the HPA reads cpu and memory from pods, which a simulation has none of"
        ]
    );
}

/// A small check of XML well-formedness: tags nest and close, attributes are quoted, and text
/// has no bare `<` or `&`.
pub fn well_formed(xml: &str) -> Result<usize, String> {
    let mut open: Vec<&str> = Vec::new();
    let mut elements = 0;
    let mut rest = xml;
    while let Some(start) = rest.find('<') {
        let text = &rest[..start];
        if text.contains('&')
            && !text.split('&').skip(1).all(|t| {
                ["amp;", "lt;", "gt;", "quot;"]
                    .iter()
                    .any(|e| t.starts_with(e))
            })
        {
            return Err(format!("bare & in {text:?}"));
        }
        let end = rest[start..].find('>').ok_or("unclosed tag")? + start;
        let tag = &rest[start + 1..end];
        if !tag.matches('"').count().is_multiple_of(2) {
            return Err(format!("unbalanced quotes in <{tag}>"));
        }
        if let Some(name) = tag.strip_prefix('/') {
            if open.pop() != Some(name) {
                return Err(format!("</{name}> closes nothing open"));
            }
        } else if !tag.ends_with('/') {
            open.push(tag.split_whitespace().next().ok_or("empty tag")?);
            elements += 1;
        } else {
            elements += 1;
        }
        rest = &rest[end + 1..];
    }
    match open.is_empty() {
        true => Ok(elements),
        false => Err(format!("unclosed {open:?}")),
    }
}

#[tokio::test]
async fn the_chart_is_well_formed_and_has_every_series() {
    let so = scaled_object(REDIS_TRIGGER);
    let sim = prepare(so, &[Some(redis(0))], &trace("2026-03-02T10:00:00Z,a,12\n")).unwrap();
    let options = Options {
        from: utc("2026-03-02T10:00:00Z"),
        to: utc("2026-03-02T11:00:00Z"),
        step: TimeDelta::seconds(15),
        initial_replicas: 1,
    };
    let outcome = run(&sim, &options).await;
    let span = kedars_scalers::time_based::Span {
        label: Some("a <b> & c".into()),
        ready_from: utc("2026-03-02T10:10:00Z"),
        start: utc("2026-03-02T10:15:00Z"),
        end: utc("2026-03-02T10:30:00Z"),
        until: utc("2026-03-02T10:35:00Z"),
    };
    let chart = svg::Chart {
        title: "graders & co <test>".into(),
        zone: chrono_tz::Asia::Shanghai,
        from: options.from,
        to: options.to,
        max_replicas: 10,
        samples: &outcome.samples,
        triggers: vec![svg::TriggerChart {
            label: "a (redis)".into(),
            target: 5.0,
            per: "per replica",
            spans: vec![span],
        }],
    };
    let text = svg::render(&[chart]);
    assert!(well_formed(&text).unwrap() > 20, "{text}");
    assert!(text.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    for needle in [
        "class=\"replicas\"",
        "class=\"value\"",
        "class=\"target\"",
        "class=\"window\"",
        "graders &amp; co &lt;test&gt;",
        ">18:00<",
    ] {
        assert!(text.contains(needle), "{needle} missing");
    }
    assert_eq!(
        text.matches("class=\"window\"").count(),
        6,
        "lead, session and lag, in two panels"
    );
    assert!(well_formed("<a><b></a></b>").is_err() && well_formed("<a>x & y</a>").is_err());
}

//! `kedars check --next N`: for each time-based trigger (cron, timetable), its next N openings,
//! closings and other changes of value, with the replicas it would ask the HPA for.

use chrono::{DateTime, Utc};
use kedars_scalers::{MetricSpec, MetricType, MilliQuantity, Scaler};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NextChange {
    /// RFC 3339, in the trigger's own time zone.
    pub at: String,
    /// `opens`, `closes`, or `changes` (a ramp step, an overlap starting or ending).
    pub event: &'static str,
    /// The value served from then on.
    pub value: String,
    /// What this trigger alone asks of the HPA, `⌈value / target⌉`, for an AverageValue target
    /// (a Value target's count also depends on the replicas running).
    pub replicas: Option<i64>,
}

/// The next `n` changes after `after`, or `None` for a trigger that is not time-based.
pub fn changes(
    scaler: &dyn Scaler,
    spec: &MetricSpec,
    after: DateTime<Utc>,
    n: usize,
) -> Option<Vec<NextChange>> {
    let schedule = scaler.time_based()?;
    let zone = schedule.zone();
    let mut active = schedule.reading_at(after).active;
    let changes = schedule.next_changes(after, n).into_iter().map(|change| {
        let event = match (active, change.reading.active) {
            (false, true) => "opens",
            (true, false) => "closes",
            _ => "changes",
        };
        active = change.reading.active;
        NextChange {
            at: change.at.with_timezone(&zone).to_rfc3339(),
            event,
            value: change.reading.value.to_string(),
            replicas: replicas(change.reading.value, spec),
        }
    });
    Some(changes.collect())
}

fn replicas(value: MilliQuantity, spec: &MetricSpec) -> Option<i64> {
    let target = spec.target.milli();
    (spec.metric_type == MetricType::AverageValue && target > 0)
        .then(|| i64::try_from((value.milli() + target - 1) / target).unwrap_or(i64::MAX))
}

/// The lines `kedars check` prints under a trigger.
pub fn text(changes: &[NextChange]) -> Vec<String> {
    if changes.is_empty() {
        return vec!["next: no change within a year".into()];
    }
    changes
        .iter()
        .map(|c| {
            let replicas = c
                .replicas
                .map(|r| format!(", {r} replica{}", if r == 1 { "" } else { "s" }))
                .unwrap_or_default();
            format!("next: {} {}, value {}{replicas}", c.at, c.event, c.value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(metric_type: MetricType, target: i64) -> MetricSpec {
        MetricSpec {
            name: "s0-timetable-Etc-UTC".into(),
            target: MilliQuantity::from_integer(target),
            metric_type,
        }
    }

    #[test]
    fn replicas_asked() {
        let cases = [
            (MetricType::AverageValue, 40, 160.0, Some(4)), // exactly four
            (MetricType::AverageValue, 40, 106.667, Some(3)), // rounded up
            (MetricType::AverageValue, 1, 0.0, Some(0)),    // closed
            (MetricType::Value, 40, 160.0, None),           // depends on the replicas running
        ];
        for (metric_type, target, value, want) in cases {
            let got = replicas(MilliQuantity::from_f64(value), &spec(metric_type, target));
            assert_eq!(got, want, "{metric_type} {target} {value}");
        }
    }

    #[test]
    fn text_lines() {
        let change = |replicas| NextChange {
            at: "2026-03-02T07:45:00+08:00".into(),
            event: "opens",
            value: "8".into(),
            replicas,
        };
        assert_eq!(
            text(&[change(Some(1)), change(Some(8)), change(None)]),
            [
                "next: 2026-03-02T07:45:00+08:00 opens, value 8, 1 replica",
                "next: 2026-03-02T07:45:00+08:00 opens, value 8, 8 replicas",
                "next: 2026-03-02T07:45:00+08:00 opens, value 8",
            ]
        );
        assert_eq!(text(&[]), ["next: no change within a year"]);
    }
}

//! The scaler as the engine sees it (specs, readings), and the schedule walker against an
//! independent implementation.

use super::*;
use crate::context::MetricType;
use crate::scaler::DEFAULT_TIMEOUT;

const OK: &[(&str, &str)] = &[
    ("timezone", "Asia/Kolkata"),
    ("start", "0 6 * * *"),
    ("end", "0 20 * * *"),
    ("desiredReplicas", "10"),
];

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn scaler(entries: &[(&str, &str)], index: usize, metric_type: MetricType) -> Box<dyn Scaler> {
    let mut c = TriggerContext::new("cron", 0)
        .with_metadata(entries.iter().copied())
        .with_metric_type(metric_type);
    c.index = index;
    build(&c, &Connections::new(DEFAULT_TIMEOUT)).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn metric_spec() {
    let s = scaler(OK, 2, MetricType::Value);
    assert_eq!(s.trigger_type(), "cron");
    assert_eq!(
        s.metric_specs(),
        [MetricSpec {
            name: "s2-cron-Asia-Kolkata-06xxx-020xxx".into(),
            target: MilliQuantity::from_integer(1),
            metric_type: MetricType::Value,
        }]
    );
}

#[tokio::test]
async fn readings() {
    let ten = scaler(OK, 0, MetricType::AverageValue);
    let mut negative = OK.to_vec();
    negative[3] = ("desiredReplicas", "-1");
    let negative = scaler(&negative, 0, MetricType::AverageValue);
    let name = "s0-cron-Asia-Kolkata-06xxx-020xxx";
    let (day, night) = (
        utc("2026-01-15T12:00:00+05:30"),
        utc("2026-01-15T23:00:00+05:30"),
    );
    let cases: &[(&dyn Scaler, &str, DateTime<Utc>, Reading)] = &[
        // inside the window: desiredReplicas
        (
            &*ten,
            name,
            day,
            Reading {
                raw: 10.0,
                value: MilliQuantity::from_integer(10),
                active: true,
            },
        ),
        // outside: 0
        (
            &*ten,
            name,
            night,
            Reading {
                raw: 0.0,
                value: MilliQuantity::ZERO,
                active: false,
            },
        ),
        // names match case-insensitively, as KEDA does
        (
            &*ten,
            "S0-CRON-asia-kolkata-06XXX-020XXX",
            day,
            Reading {
                raw: 10.0,
                value: MilliQuantity::from_integer(10),
                active: true,
            },
        ),
        // a negative count is served as 0 but the window is still active
        (
            &*negative,
            name,
            day,
            Reading {
                raw: -1.0,
                value: MilliQuantity::ZERO,
                active: true,
            },
        ),
    ];
    for (s, metric, now, want) in cases {
        assert_eq!(
            s.metrics_and_activity(metric, *now).await.unwrap(),
            *want,
            "{metric} at {now}"
        );
    }
    let err = ten
        .metrics_and_activity("s0-prometheus", day)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "cron: no metric named \"s0-prometheus\"");
}

/// An independent oracle: croner, on patterns where its grammar and robfig's agree. In UTC every
/// instant must agree; in New York too, since on these patterns croner's daylight-saving rules
/// coincide with ours (a single time of day is carried past a gap and fires once in a repeated
/// hour; an every-hour pattern skips the gap and fires in both passes).
#[test]
fn agrees_with_croner() {
    use croner::parser::{CronParser, Seconds, Year};
    let parser = CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .dom_and_dow(false)
        .build();
    let patterns = [
        "0 6 * * *",
        "*/5 * * * *",
        "30 2 * * *",
        "0,30 9-17 * * MON-FRI",
        "0 0 1 * MON",
        "15 10 1,15 * *",
        "59 23 31 12 *",
        "0 0 * JAN,JUL SUN",
        "0 12 */2 * *",
        "7 * * * *",
    ];
    // Every 397 minutes through 2026, and every 13 minutes around both New York transitions.
    let start = utc("2026-01-01T00:00:00Z");
    let yearly = (0..1320).map(|i| start + chrono::TimeDelta::minutes(397 * i));
    let around = |day: &str| {
        let from = utc(day) - chrono::TimeDelta::days(1);
        (0..330).map(move |i| from + chrono::TimeDelta::minutes(13 * i))
    };
    let instants: Vec<_> = yearly
        .chain(around("2026-03-08T00:00:00Z"))
        .chain(around("2026-11-01T00:00:00Z"))
        .collect();
    for zone in [chrono_tz::UTC, chrono_tz::America::New_York] {
        for pattern in patterns {
            let ours: Schedule = pattern.parse().unwrap();
            let theirs = parser.parse(pattern).unwrap();
            for after in &instants {
                let want = theirs
                    .find_next_occurrence(&after.with_timezone(&zone), false)
                    .unwrap()
                    .with_timezone(&Utc);
                let got = ours.next_after(*after, zone).map(|f| f.at);
                assert_eq!(got, Some(want), "{pattern} in {zone} after {after}");
            }
        }
    }
}

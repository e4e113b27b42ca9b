//! Verdicts for observation sequences around pinned openings, the replicas a value asks for,
//! and the openings of real timetable and cron schedules.
//!
//! Calendar facts used: 2026-03-02 is a Monday; Shanghai is UTC+8 all year.

use chrono::TimeZone;
use kedars_scalers::{Connections, Scaler, TriggerContext};

use super::*;

/// The instant every table row counts from.
fn t(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap() + TimeDelta::seconds(seconds)
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

/// Due at `due`, the session 15 minutes later, the window closed an hour after `due`.
fn opening(due: i64, desired: i32) -> Opening {
    Opening {
        due: t(due),
        start: t(due + 900),
        until: t(due + 3600),
        desired,
    }
}

/// `(due, Some(ready at) | None for missed, late seconds)`, by observation index.
type Expected = &'static [(usize, i64, Option<(i64, i64)>)];

/// A name, the schedule's openings, `(at, ready)` observations and the verdicts expected.
type Row = (&'static str, Vec<Opening>, &'static [(i64, i32)], Expected);

#[test]
fn verdicts_for_observation_sequences() {
    let one = || vec![opening(0, 3)];
    let rows: &[Row] = &[
        (
            "ready already: due instant itself, zero late",
            one(),
            &[(-30, 3), (30, 3)],
            &[(1, 0, Some((0, 0)))],
        ),
        (
            "activated, then scaled by the HPA",
            one(),
            &[(-30, 0), (30, 1), (60, 3)],
            &[(2, 0, Some((60, 60)))],
        ),
        (
            "more than asked is ready",
            one(),
            &[(-30, 0), (45, 7)],
            &[(1, 0, Some((45, 45)))],
        ),
        (
            "ready before, fewer at the first poll after: not ready already",
            one(),
            &[(-30, 3), (30, 2), (90, 3)],
            &[(2, 0, Some((90, 90)))],
        ),
        (
            "due exactly at an observation counts from the one before",
            one(),
            &[(-30, 0), (0, 3)],
            &[(1, 0, Some((0, 0)))],
        ),
        (
            "never ready before the window closed",
            one(),
            &[(-30, 0), (1800, 2), (3599, 2), (3600, 2), (3700, 3)],
            &[(3, 0, None)],
        ),
        (
            "ready at the very poll the window closed: served",
            one(),
            &[(-30, 0), (3600, 3)],
            &[(1, 0, Some((3600, 3600)))],
        ),
        (
            "due before the first observation: not watched, no verdict",
            one(),
            &[(30, 0), (60, 3)],
            &[],
        ),
        (
            "overlapping openings, judged each on its own",
            vec![opening(0, 3), opening(600, 5)],
            &[(-30, 0), (30, 3), (630, 3), (660, 5)],
            &[(1, 0, Some((30, 30))), (3, 600, Some((660, 60)))],
        ),
        (
            "a second opening due while the first waits; one poll serves both",
            vec![opening(0, 3), opening(20, 4)],
            &[(-30, 0), (10, 0), (40, 4)],
            &[(2, 0, Some((40, 40))), (2, 20, Some((40, 20)))],
        ),
        (
            "the same opening offered twice is one",
            vec![opening(0, 3), opening(0, 3)],
            &[(-30, 0), (30, 3)],
            &[(1, 0, Some((30, 30)))],
        ),
    ];
    for (name, openings, observations, expected) in rows {
        let mut tracker = Tracker::default();
        let mut got = Vec::new();
        for (index, &(at, ready)) in observations.iter().enumerate() {
            let seen = Observation { at: t(at), ready };
            // The whole schedule every time: the tracker picks those due since the last one.
            for verdict in tracker.observe(seen, openings) {
                let served = match verdict.served {
                    Served::Ready { at, late } => {
                        Some(((at - t(0)).num_seconds(), late.num_seconds()))
                    }
                    Served::Missed => None,
                };
                got.push((index, (verdict.opening.due - t(0)).num_seconds(), served));
            }
        }
        assert_eq!(got, expected.to_vec(), "{name}");
    }
}

#[test]
fn the_latest_opening_waits_then_carries_its_verdict() {
    let mut tracker = Tracker::default();
    let openings = [opening(0, 3), opening(600, 2)];
    let mut observe = |at: i64, ready: i32| {
        tracker.observe(Observation { at: t(at), ready }, &openings);
        tracker.latest().cloned()
    };
    assert_eq!(observe(-30, 0), None);
    let waiting = observe(30, 1).unwrap();
    assert_eq!((waiting.opening.due, waiting.served), (t(0), None));
    let served = observe(60, 3).unwrap();
    assert_eq!(
        served.served,
        Some(Served::Ready {
            at: t(60),
            late: TimeDelta::seconds(60)
        })
    );
    // The next opening replaces it; ready already, so served at once.
    let next = observe(630, 3).unwrap();
    assert_eq!(next.opening.due, t(600));
    assert_eq!(
        next.served,
        Some(Served::Ready {
            at: t(600),
            late: TimeDelta::zero()
        })
    );
    assert_eq!(tracker.last_observed(), Some(t(630)));
}

#[test]
fn replicas_asked_by_a_value() {
    let average = |target: f64, max_replicas: i32| Ask {
        metric_type: MetricType::AverageValue,
        target,
        max_replicas,
    };
    let rows: &[(&str, Ask, f64, Option<i32>)] = &[
        ("an exact multiple", average(40.0, 100), 120.0, Some(3)),
        ("rounded up", average(40.0, 100), 121.0, Some(4)),
        (
            "cron's desiredReplicas against 1",
            average(1.0, 100),
            4.0,
            Some(4),
        ),
        (
            "a rounding error above an integer",
            average(0.1, 100),
            0.3,
            Some(3),
        ),
        ("nothing asked", average(40.0, 100), 0.0, None),
        ("at most maxReplicaCount", average(40.0, 5), 400.0, Some(5)),
        ("a zero target asks nothing", average(0.0, 5), 4.0, None),
        (
            "a Value metric names no replica count",
            Ask {
                metric_type: MetricType::Value,
                target: 1.0,
                max_replicas: 100,
            },
            4.0,
            None,
        ),
    ];
    for (name, ask, value, want) in rows {
        assert_eq!(ask.replicas(*value), *want, "{name}");
    }
}

fn schedule(trigger_type: &str, metadata: &[(&str, &str)]) -> Box<dyn Scaler> {
    let ctx = TriggerContext::new(trigger_type, 0).with_metadata(metadata.iter().copied());
    let connections = Connections::new(kedars_scalers::scaler::DEFAULT_TIMEOUT);
    kedars_scalers::build(&ctx, &connections).unwrap_or_else(|e| panic!("{e}"))
}

const ASK: Ask = Ask {
    metric_type: MetricType::AverageValue,
    target: 40.0,
    max_replicas: 100,
};

#[test]
fn timetable_openings_are_due_a_lead_time_before_each_session() {
    // Monday 08:00–09:30 and 09:00–10:00 in Shanghai: 00:00–01:30Z and 01:00–02:00Z.
    let timetable = schedule(
        "timetable",
        &[
            ("timezone", "Asia/Shanghai"),
            (
                "sessions",
                "Mon 08:00-09:30 students=120; Mon 09:00-10:00 students=60",
            ),
            ("loadPerReplica", "40"),
            ("leadTime", "15m"),
            ("lagTime", "10m"),
            ("ramp", "3"),
        ],
    );
    let timetable = timetable.time_based().unwrap();
    let all = openings(
        timetable,
        ASK,
        utc("2026-03-01T23:00:00Z"),
        utc("2026-03-02T03:00:00Z"),
    );
    assert_eq!(
        all,
        [
            Opening {
                due: utc("2026-03-01T23:45:00Z"),
                start: utc("2026-03-02T00:00:00Z"),
                until: utc("2026-03-02T01:40:00Z"),
                // 120 students, full (the ramp is over at the start)
                desired: 3,
            },
            Opening {
                due: utc("2026-03-02T00:45:00Z"),
                start: utc("2026-03-02T01:00:00Z"),
                until: utc("2026-03-02T02:10:00Z"),
                // 120 + 60 students while both are on
                desired: 5,
            },
        ]
    );
    // Due in (after, upto]: exactly at `after` is not, exactly at `upto` is.
    let dues = |after: &str, upto: &str| -> Vec<DateTime<Utc>> {
        openings(timetable, ASK, utc(after), utc(upto))
            .into_iter()
            .map(|o| o.due)
            .collect()
    };
    assert_eq!(
        dues("2026-03-01T23:45:00Z", "2026-03-02T00:45:00Z"),
        [utc("2026-03-02T00:45:00Z")]
    );
    // In the middle of a session, between openings: none.
    assert!(dues("2026-03-02T00:00:00Z", "2026-03-02T00:30:00Z").is_empty());
}

#[test]
fn a_cron_opening_is_due_at_the_window_start() {
    let cron = schedule(
        "cron",
        &[
            ("timezone", "Etc/UTC"),
            ("start", "0 8 * * *"),
            ("end", "0 9 * * *"),
            ("desiredReplicas", "4"),
        ],
    );
    let cron = cron.time_based().unwrap();
    let ask = Ask { target: 1.0, ..ASK };
    let found = openings(
        cron,
        ask,
        utc("2026-03-02T07:00:00Z"),
        utc("2026-03-02T08:00:00Z"),
    );
    assert_eq!(
        found,
        [Opening {
            due: utc("2026-03-02T08:00:00Z"),
            start: utc("2026-03-02T08:00:00Z"),
            until: utc("2026-03-02T09:00:00Z"),
            desired: 4,
        }]
    );
    // Already open when the range begins: not an opening of this range.
    assert!(
        openings(
            cron,
            ask,
            utc("2026-03-02T08:30:00Z"),
            utc("2026-03-02T08:40:00Z")
        )
        .is_empty()
    );
}

//! The scaler at pinned instants, its changes ahead and its windows, and its parameters.
//!
//! Calendar facts used: 2026-03-02 is a Monday; New York springs forward on Sunday 2026-03-08
//! (02:00 EST → 03:00 EDT) and falls back on Sunday 2026-11-01 (02:00 EDT → 01:00 EST); London
//! springs forward on Sunday 2026-03-29 (01:00 GMT → 02:00 BST) and falls back on Sunday
//! 2026-10-25 (02:00 BST → 01:00 GMT). Shanghai has no daylight-saving time.

use super::*;
use crate::context::MetricType;
use crate::scaler::DEFAULT_TIMEOUT;

type Entries = &'static [(&'static str, &'static str)];

/// Lead, lag, a three-step ramp, an overlap on Monday and a holiday on Friday 6 March.
const SCHOOL: Entries = &[
    ("timezone", "Asia/Shanghai"),
    (
        "sessions",
        "Mon,Wed 08:00-09:30 students=120; Mon 09:00-10:00 students=60; \
         Fri 14:00-16:00 students=40; Sun 23:00-01:00 students=10",
    ),
    ("loadPerReplica", "40"),
    ("leadTime", "15m"),
    ("lagTime", "10m"),
    ("ramp", "3"),
    ("holidays", "2026-03-06"),
];

/// Both New York transitions: a session in the spring gap, and one across the repeated hour.
const NEW_YORK: Entries = &[
    ("timezone", "America/New_York"),
    (
        "sessions",
        "Sun 02:30-03:30 students=50; Sun 01:00-02:30 students=20",
    ),
    ("loadPerReplica", "10"),
];

const LONDON: Entries = &[
    ("timezone", "Europe/London"),
    ("sessions", "Sun 01:30-02:30 students=30"),
    ("loadPerReplica", "10"),
];

/// Without loads: desiredReplicas while any session is on, in two steps over half an hour.
const OFFICE: Entries = &[
    ("timezone", "Europe/Berlin"),
    ("sessions", "Mon-Fri 09:00-17:00; Mon 12:00-13:00"),
    ("desiredReplicas", "4"),
    ("leadTime", "30m"),
    ("ramp", "2"),
];

fn ctx(entries: &[(&str, &str)]) -> TriggerContext {
    TriggerContext::new("timetable", 0).with_metadata(entries.iter().copied())
}

fn scaler(entries: Entries) -> TimetableScaler {
    TimetableScaler::new(&ctx(entries)).unwrap_or_else(|e| panic!("{e}"))
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn metric_specs() {
    let mut c = ctx(SCHOOL).with_metric_type(MetricType::Value);
    c.index = 2;
    let s = build(&c, &Connections::new(DEFAULT_TIMEOUT)).unwrap();
    assert_eq!(s.trigger_type(), "timetable");
    assert_eq!(
        s.metric_specs(),
        [MetricSpec {
            name: "s2-timetable-Asia-Shanghai".into(),
            target: MilliQuantity::from_integer(40),
            metric_type: MetricType::Value,
        }]
    );
    let office = scaler(OFFICE);
    assert_eq!(office.metric_specs()[0].name, "s0-timetable-Europe-Berlin");
    assert_eq!(
        office.metric_specs()[0].target,
        MilliQuantity::from_integer(1)
    );
    assert!(s.time_based().is_some(), "a timetable is time-based");
}

#[test]
fn readings_at_pinned_instants() {
    let (school, new_york, london, office) = (
        scaler(SCHOOL),
        scaler(NEW_YORK),
        scaler(LONDON),
        scaler(OFFICE),
    );
    let cases: &[(&TimetableScaler, &str, f64, bool)] = &[
        (&school, "2026-03-02T07:44:59+08:00", 0.0, false), // before the lead time
        (&school, "2026-03-02T07:45:00+08:00", 40.0, true), // ramp step 1 of 3: 120/3
        (&school, "2026-03-02T07:49:59+08:00", 40.0, true), // still step 1
        (&school, "2026-03-02T07:50:00+08:00", 80.0, true), // step 2
        (&school, "2026-03-02T07:55:00+08:00", 120.0, true), // step 3: all of it, before the bell
        (&school, "2026-03-02T08:00:00+08:00", 120.0, true), // the start
        (&school, "2026-03-02T08:45:00+08:00", 140.0, true), // the 09:00 session ramps: 120 + 20
        (&school, "2026-03-02T09:00:00+08:00", 180.0, true), // overlapping sessions add
        (&school, "2026-03-02T09:30:00+08:00", 180.0, true), // the first ended, its lag runs
        (&school, "2026-03-02T09:40:00+08:00", 60.0, true), // lag over
        (&school, "2026-03-02T10:09:59+08:00", 60.0, true), // the second's lag
        (&school, "2026-03-02T10:10:00+08:00", 0.0, false), // all over
        (&school, "2026-03-04T08:00:00+08:00", 120.0, true), // Wednesday
        (&school, "2026-03-06T13:55:00+08:00", 0.0, false), // Friday 6 March is a holiday
        (&school, "2026-03-06T15:00:00+08:00", 0.0, false), // all of it
        (&school, "2026-03-13T13:50:00+08:00", 80.0 / 3.0, true), // the next Friday: 40 × 2/3
        (&school, "2026-03-08T23:30:00+08:00", 10.0, true), // Sunday night, over the week end
        (&school, "2026-03-09T00:30:00+08:00", 10.0, true), // into Monday
        (&school, "2026-03-09T01:10:00+08:00", 0.0, false), // after its lag
        // New York, spring forward: 01:00-02:30 ends at the gap, 02:30-03:30 runs 03:00-03:30
        (&new_york, "2026-03-08T01:59:59-05:00", 20.0, true),
        (&new_york, "2026-03-08T03:00:00-04:00", 50.0, true),
        (&new_york, "2026-03-08T03:29:59-04:00", 50.0, true),
        (&new_york, "2026-03-08T03:30:00-04:00", 0.0, false),
        (&new_york, "2026-03-01T02:30:00-05:00", 50.0, true), // an ordinary Sunday
        // New York, fall back: 01:00 is the first pass, 02:30 exists once (EST)
        (&new_york, "2026-11-01T00:59:59-04:00", 0.0, false),
        (&new_york, "2026-11-01T01:00:00-04:00", 20.0, true),
        (&new_york, "2026-11-01T01:30:00-05:00", 20.0, true), // the second pass
        (&new_york, "2026-11-01T02:30:00-05:00", 50.0, true),
        (&new_york, "2026-11-01T03:30:00-05:00", 0.0, false),
        // London, spring forward: 01:30 does not exist, the session runs 02:00-02:30 BST
        (&london, "2026-03-29T00:59:59Z", 0.0, false),
        (&london, "2026-03-29T02:00:00+01:00", 30.0, true),
        (&london, "2026-03-29T02:30:00+01:00", 0.0, false),
        // London, fall back: from 01:30 BST (first pass) to 02:30 GMT, two real hours
        (&london, "2026-10-25T01:30:00+01:00", 30.0, true),
        (&london, "2026-10-25T01:45:00+00:00", 30.0, true),
        (&london, "2026-10-25T02:30:00+00:00", 0.0, false),
        // desiredReplicas: half at 08:30, all at 08:45, overlaps do not add
        (&office, "2026-03-02T08:29:59+01:00", 0.0, false),
        (&office, "2026-03-02T08:30:00+01:00", 2.0, true),
        (&office, "2026-03-02T08:45:00+01:00", 4.0, true),
        (&office, "2026-03-02T12:30:00+01:00", 4.0, true),
        (&office, "2026-03-02T17:00:00+01:00", 0.0, false),
        (&office, "2026-03-07T10:00:00+01:00", 0.0, false), // Saturday
    ];
    for (s, at, value, active) in cases {
        let r = s.reading(utc(at));
        assert_eq!(
            (r.value, r.active),
            (MilliQuantity::from_f64(*value), *active),
            "{at}: {r:?}"
        );
    }
}

#[tokio::test]
async fn the_query_is_the_reading() {
    let s = scaler(SCHOOL);
    let at = utc("2026-03-02T09:00:00+08:00");
    let r = s
        .metrics_and_activity("S0-TIMETABLE-asia-shanghai", at)
        .await
        .unwrap();
    assert_eq!(r, s.reading(at));
    let err = s.metrics_and_activity("s0-cron", at).await.unwrap_err();
    assert_eq!(err.to_string(), "timetable: no metric named \"s0-cron\"");
}

#[test]
fn next_changes() {
    let s = scaler(SCHOOL);
    let got: Vec<(DateTime<Utc>, f64, bool)> = s
        .next_changes(utc("2026-03-02T07:00:00+08:00"), 8)
        .into_iter()
        .map(|c| (c.at, c.reading.raw, c.reading.active))
        .collect();
    let at = |t: &str, v: f64, a: bool| (utc(&format!("2026-03-02T{t}+08:00")), v, a);
    assert_eq!(
        got,
        vec![
            at("07:45:00", 40.0, true),
            at("07:50:00", 80.0, true),
            at("07:55:00", 120.0, true),
            at("08:45:00", 140.0, true),
            at("08:50:00", 160.0, true),
            at("08:55:00", 180.0, true),
            at("09:40:00", 60.0, true),
            at("10:10:00", 0.0, false),
        ]
    );
    // The holiday is skipped: after Wednesday comes Sunday night's session, not Friday's.
    let after_wednesday = s.next_changes(utc("2026-03-04T12:00:00+08:00"), 1);
    assert_eq!(after_wednesday[0].at, utc("2026-03-08T22:45:00+08:00"));
}

#[test]
fn spans_for_charts() {
    let s = scaler(SCHOOL);
    let spans = s.spans(
        utc("2026-03-02T00:00:00+08:00"),
        utc("2026-03-03T00:00:00+08:00"),
    );
    let t = |h: &str| utc(&format!("2026-03-02T{h}:00+08:00"));
    let got: Vec<_> = spans
        .iter()
        .map(|s| (s.ready_from, s.start, s.end, s.until))
        .collect();
    assert_eq!(
        got,
        vec![
            // Sunday night's session, clipped to the range
            (t("00:00"), t("00:00"), t("01:00"), t("01:10")),
            (t("07:45"), t("08:00"), t("09:30"), t("09:40")),
            (t("08:45"), t("09:00"), t("10:00"), t("10:10")),
        ]
    );
}

#[test]
fn parameter_problems() {
    let with = |key: &'static str, value: Option<&'static str>| {
        let mut c = ctx(SCHOOL);
        match value {
            Some(v) => c.metadata.insert(key.into(), v.into()),
            None => c.metadata.remove(key),
        };
        c
    };
    let invalid = |key: &str, value: &str, expected: &str| {
        format!("parameter \"{key}\" value \"{value}\" is invalid: expected {expected}")
    };
    let cases: Vec<(TriggerContext, String)> =
        vec![
        (
            with("timezone", None),
            "missing required parameter \"timezone\" in [triggerMetadata]".into(),
        ),
        (
            with("timezone", Some("Mars/Olympus")),
            invalid(
                "timezone",
                "Mars/Olympus",
                "an IANA time zone name such as Europe/London or Etc/UTC",
            ),
        ),
        (
            with("sessions", None),
            "missing required parameter \"sessions\" or \"ical\" in [triggerMetadata authParams]"
                .into(),
        ),
        (
            with("sessions", Some("Mon 8-9")),
            invalid(
                "sessions",
                "Mon 8-9",
                "weekly sessions such as \"Mon,Wed 08:00-09:30 students=120; Fri 14:00-16:00\": \
                 entry 1 \"Mon 8-9\": time \"8\": expected HH:MM between 00:00 and 23:59",
            ),
        ),
        (
            with("leadTime", Some("15")),
            invalid(
                "leadTime",
                "15",
                "a duration with a unit, such as 15m or 1h30m",
            ),
        ),
        (
            with("ramp", Some("0")),
            invalid("ramp", "0", "a whole number of steps from 1 to 100"),
        ),
        (
            with("leadTime", Some("0")),
            invalid(
                "ramp",
                "3",
                "1 without a leadTime: the ramp is spread over the lead time",
            ),
        ),
        (
            with("holidays", Some("2026-13-01")),
            invalid(
                "holidays",
                "2026-13-01",
                "\"2026-13-01\": dates as YYYY-MM-DD and ranges as YYYY-MM-DD..YYYY-MM-DD",
            ),
        ),
        (
            with("loadPerReplica", Some("0")),
            invalid("loadPerReplica", "0", "a number above 0 such as 40"),
        ),
        (
            with("loadPerReplica", None),
            "missing required parameter \"loadPerReplica\" or \"desiredReplicas\" in \
             [triggerMetadata]"
                .into(),
        ),
        (
            with("desiredReplicas", Some("3")),
            "give either \"loadPerReplica\" (the sessions' loads scale) or \"desiredReplicas\" \
             (a fixed count, as cron), not both"
                .into(),
        ),
        (
            with("ical", Some("BEGIN:VCALENDAR\nEND:VCALENDAR")),
            "give the sessions either inline (\"sessions\") or as an iCalendar document \
             (\"ical\"), not both"
                .into(),
        ),
        (
            with("sessions", Some("Mon 08:00-09:00 students=5; Tue 08:00-09:00")),
            invalid(
                "sessions",
                "Mon 08:00-09:00 students=5; Tue 08:00-09:00",
                "a load for every session with loadPerReplica (UNIT=LOAD inline, X-KEDARS-LOAD \
                 in iCalendar) or a defaultLoad; none for entry 2",
            ),
        ),
    ];
    for (c, want) in cases {
        let got = TimetableScaler::new(&c).unwrap_err().to_string();
        assert_eq!(got, format!("error parsing timetable metadata: {want}"));
    }
}

#[test]
fn loads_with_desired_replicas_and_default_loads() {
    let mut c = ctx(OFFICE);
    c.metadata
        .insert("sessions".into(), "Mon 09:00-10:00 students=30".into());
    let err = TimetableScaler::new(&c).unwrap_err().to_string();
    assert!(
        err.ends_with(
            "expected no loads with desiredReplicas (use loadPerReplica to scale with them); \
             found one for entry 1"
        ),
        "{err}"
    );
    // A defaultLoad weighs the sessions that give none.
    let mut c = ctx(SCHOOL);
    c.metadata.insert(
        "sessions".into(),
        "Tue 08:00-09:00; Tue 08:30-09:00 students=5".into(),
    );
    c.metadata.insert("defaultLoad".into(), "30".into());
    let s = TimetableScaler::new(&c).unwrap();
    assert_eq!(s.reading(utc("2026-03-03T08:45:00+08:00")).raw, 35.0);
}

#[test]
fn sessions_and_holidays_from_a_trigger_authentication() {
    let c = TriggerContext::new("timetable", 0)
        .with_metadata([("timezone", "Etc/UTC"), ("loadPerReplica", "10")])
        .with_auth_params([
            ("sessions", "Tue 10:00-11:00 students=20"),
            ("holidays", "2026-03-10"),
        ]);
    let s = TimetableScaler::new(&c).unwrap();
    assert_eq!(s.reading(utc("2026-03-03T10:30:00Z")).raw, 20.0);
    assert_eq!(s.reading(utc("2026-03-10T10:30:00Z")).raw, 0.0);
}

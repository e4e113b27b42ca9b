//! iCalendar documents: repetition, exceptions, overrides, zones and daylight saving, and what is
//! said about a bad document.

use chrono::{DateTime, Utc};

use super::*;
use crate::timetable::session::{Session, Source};

/// Physics on Mondays and Wednesdays in New York until the end of April, one Wednesday off and
/// one Monday moved to Tuesday afternoon; a night lab on three Sundays, the second of them in
/// the spring-forward gap; a cancelled event. CRLF line ends and a folded SUMMARY, as calendar
/// programs write them.
const DOCUMENT: &str = "BEGIN:VCALENDAR\r\n\
VERSION:2.0\r\n\
PRODID:-//kedars//tests//EN\r\n\
BEGIN:VTIMEZONE\r\n\
TZID:America/New_York\r\n\
END:VTIMEZONE\r\n\
BEGIN:VEVENT\r\n\
UID:physics@school\r\n\
SUMMARY:Phys\r\n ics\r\n\
DTSTART;TZID=America/New_York:20260302T083000\r\n\
DTEND;TZID=America/New_York:20260302T100000\r\n\
RRULE:FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20260430T235959Z\r\n\
EXDATE;TZID=America/New_York:20260304T083000\r\n\
X-KEDARS-LOAD:90\r\n\
END:VEVENT\r\n\
BEGIN:VEVENT\r\n\
UID:physics@school\r\n\
RECURRENCE-ID;TZID=America/New_York:20260309T083000\r\n\
SUMMARY:Physics (moved)\r\n\
DTSTART;TZID=America/New_York:20260310T140000\r\n\
DURATION:PT1H30M\r\n\
X-KEDARS-LOAD:90\r\n\
END:VEVENT\r\n\
BEGIN:VEVENT\r\n\
UID:night@school\r\n\
SUMMARY:Night lab\r\n\
DTSTART;TZID=America/New_York:20260301T023000\r\n\
DTEND;TZID=America/New_York:20260301T033000\r\n\
RRULE:FREQ=WEEKLY;COUNT=3\r\n\
X-KEDARS-LOAD:10\r\n\
END:VEVENT\r\n\
BEGIN:VEVENT\r\n\
UID:cancelled@school\r\n\
SUMMARY:Cancelled\r\n\
STATUS:CANCELLED\r\n\
DTSTART:20260302T150000Z\r\n\
DTEND:20260302T160000Z\r\n\
END:VEVENT\r\n\
END:VCALENDAR\r\n";

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// (start, end, label, load) of a session.
type Row = (DateTime<Utc>, DateTime<Utc>, String, Option<f64>);

/// The sessions starting in `[from, to)`, in order.
fn sessions(document: &str, from: &str, to: &str) -> Vec<Row> {
    let calendar = parse(document, Tz::Etc__UTC, true).unwrap_or_else(|e| panic!("{e}"));
    let mut found: Vec<Session> = calendar.sessions(utc(from), utc(to));
    found.sort_by_key(|s| s.start);
    found
        .into_iter()
        .map(|s| {
            (
                s.start,
                s.end,
                s.label.as_deref().unwrap_or("").to_string(),
                s.load,
            )
        })
        .collect()
}

#[test]
fn repetitions_exceptions_and_overrides() {
    let row = |start: &str, end: &str, label: &str, load: f64| {
        (utc(start), utc(end), label.to_string(), Some(load))
    };
    let got = sessions(DOCUMENT, "2026-03-01T00:00:00Z", "2026-03-16T00:00:00Z");
    assert_eq!(
        got,
        vec![
            // an ordinary Sunday night: 02:30 EST
            row(
                "2026-03-01T02:30:00-05:00",
                "2026-03-01T03:30:00-05:00",
                "Night lab",
                10.0
            ),
            // Monday, EST; the folded summary unfolded
            row(
                "2026-03-02T08:30:00-05:00",
                "2026-03-02T10:00:00-05:00",
                "Physics",
                90.0
            ),
            // Wednesday 4 March is excluded
            // spring forward: 02:30 does not exist, the lab runs 03:00-03:30 EDT
            row(
                "2026-03-08T03:00:00-04:00",
                "2026-03-08T03:30:00-04:00",
                "Night lab",
                10.0
            ),
            // Monday 9 March moved to Tuesday afternoon, for 90 minutes
            row(
                "2026-03-10T14:00:00-04:00",
                "2026-03-10T15:30:00-04:00",
                "Physics (moved)",
                90.0
            ),
            // Wednesday, now EDT: still 08:30 on the wall
            row(
                "2026-03-11T08:30:00-04:00",
                "2026-03-11T10:00:00-04:00",
                "Physics",
                90.0
            ),
            // the third and last lab (COUNT=3)
            row(
                "2026-03-15T02:30:00-04:00",
                "2026-03-15T03:30:00-04:00",
                "Night lab",
                10.0
            ),
        ]
    );
    // UNTIL (UTC) keeps Wednesday 29 April and ends before Monday 4 May; no fourth lab.
    let late = sessions(DOCUMENT, "2026-04-27T00:00:00Z", "2026-05-11T00:00:00Z");
    let starts: Vec<_> = late.iter().map(|s| s.0).collect();
    assert_eq!(
        starts,
        vec![
            utc("2026-04-27T08:30:00-04:00"),
            utc("2026-04-29T08:30:00-04:00")
        ]
    );
}

#[test]
fn zones_of_values() {
    let doc = |lines: &str| {
        format!("BEGIN:VCALENDAR\nBEGIN:VEVENT\n{lines}\nEND:VEVENT\nEND:VCALENDAR\n")
    };
    let cases: &[(&str, &str, &str)] = &[
        // UTC, and a repeated rule follows UTC
        (
            "DTSTART:20260302T090000Z\nDTEND:20260302T100000Z",
            "2026-03-02T09:00:00Z",
            "2026-03-02T10:00:00Z",
        ),
        // floating: the trigger's zone (here Etc/UTC)
        (
            "DTSTART:20260302T090000\nDURATION:PT45M",
            "2026-03-02T09:00:00Z",
            "2026-03-02T09:45:00Z",
        ),
        // an all-day event lasts its day
        (
            "DTSTART;VALUE=DATE:20260302",
            "2026-03-02T00:00:00Z",
            "2026-03-03T00:00:00Z",
        ),
        // a quoted, globally unique TZID
        (
            "DTSTART;TZID=\"/Europe/London\":20260702T090000\nDTEND;TZID=Europe/London:20260702T100000",
            "2026-07-02T08:00:00Z",
            "2026-07-02T09:00:00Z",
        ),
        // an end in another zone is read as the instant it names
        (
            "DTSTART;TZID=Europe/Berlin:20260302T090000\nDTEND:20260302T090000Z",
            "2026-03-02T08:00:00Z",
            "2026-03-02T09:00:00Z",
        ),
    ];
    for (lines, start, end) in cases {
        let got = sessions(&doc(lines), "2026-01-01T00:00:00Z", "2026-12-31T00:00:00Z");
        assert_eq!(got.len(), 1, "{lines}");
        assert_eq!((got[0].0, got[0].1), (utc(start), utc(end)), "{lines}");
    }
}

#[test]
fn problems() {
    let doc = |lines: &str| {
        format!(
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:Maths\n{lines}\nEND:VEVENT\nEND:VCALENDAR\n"
        )
    };
    let cases: Vec<(String, bool, &str)> = vec![
        (
            doc("DTEND:20260302T100000Z"),
            true,
            "VEVENT 1 (\"Maths\"): DTSTART is required",
        ),
        (
            doc("DTSTART;TZID=Mars/Olympus:20260302T090000"),
            true,
            "VEVENT 1 (\"Maths\"): DTSTART: TZID \"Mars/Olympus\" is not an IANA time zone",
        ),
        (
            doc("DTSTART:2026-03-02 09:00"),
            true,
            "VEVENT 1 (\"Maths\"): DTSTART: expected a date-time such as 20260302T080000",
        ),
        (
            doc("DTSTART:20260302T090000Z\nDTEND:20260302T080000Z"),
            true,
            "VEVENT 1 (\"Maths\"): DTEND is before DTSTART",
        ),
        (
            doc("DTSTART:20260302T090000Z\nDURATION:1 hour"),
            true,
            "VEVENT 1 (\"Maths\"): DURATION: expected an ISO 8601 duration such as PT1H30M",
        ),
        (
            doc("DTSTART:20260302T090000Z\nX-KEDARS-LOAD:many"),
            true,
            "VEVENT 1 (\"Maths\"): X-KEDARS-LOAD: expected a number ≥ 0",
        ),
        // from a TriggerAuthentication: neither the summary nor the rule is quoted
        (
            doc("DTSTART:20260302T090000Z\nRRULE:FREQ=FORTNIGHTLY"),
            false,
            "VEVENT 1 (no summary shown): RRULE: not a valid recurrence rule",
        ),
        (
            "not a calendar".into(),
            false,
            "an iCalendar document (BEGIN:VCALENDAR ... END:VCALENDAR)",
        ),
    ];
    for (text, show, want) in cases {
        assert_eq!(
            parse(&text, Tz::Etc__UTC, show).unwrap_err(),
            want,
            "{text}"
        );
    }
    let shown = parse(
        &doc("DTSTART:20260302T090000Z\nRRULE:FREQ=FORTNIGHTLY"),
        Tz::Etc__UTC,
        true,
    )
    .unwrap_err();
    assert!(
        shown.starts_with("VEVENT 1 (\"Maths\"): RRULE: "),
        "{shown}"
    );
    assert!(shown.contains("FORTNIGHTLY"), "rrule's own reason: {shown}");
}

#[test]
fn durations() {
    let cases: &[(&str, Option<i64>)] = &[
        ("PT1H30M", Some(5400)),
        ("P1W", Some(7 * 86_400)),
        ("P1DT2H", Some(93_600)),
        ("+PT90S", Some(90)),
        ("PT", None),
        ("P", None),
        ("1H", None),
        ("PT1.5H", None),
    ];
    for (text, seconds) in cases {
        assert_eq!(duration(text).map(|d| d.num_seconds()), *seconds, "{text}");
    }
}

//! Sessions, where every source of a timetable meets: a named wall-clock time becomes an
//! instant, by the same rule for inline slots and iCalendar events.

use std::fmt::Debug;
use std::sync::Arc;

use chrono::offset::LocalResult;
use chrono::{DateTime, NaiveDateTime, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// One session in real time. `end` is never before `start`.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The expected load (students, say), when the timetable gives one.
    pub load: Option<f64>,
    pub label: Option<Arc<str>>,
}

impl Session {
    /// A session from wall-clock times in `zone`. A session whose end lands before its start
    /// (both ends in one daylight-saving gap) is one instant long.
    pub fn from_wall(
        zone: Tz,
        (start, end): (NaiveDateTime, NaiveDateTime),
        load: Option<f64>,
        label: Option<Arc<str>>,
    ) -> Session {
        let start = instant(zone, start);
        let end = instant(zone, end).max(start);
        Session {
            start,
            end,
            load,
            label,
        }
    }
}

/// Where sessions come from: weekly slots or an iCalendar document.
pub trait Source: Send + Sync + Debug {
    /// Every session whose start lies in `[from, to)`, in any order.
    fn sessions(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Session>;

    /// No session lasts longer than this, so a search for the sessions running at an instant
    /// knows how far back to look.
    fn longest(&self) -> TimeDelta;
}

/// Wider than any daylight-saving jump in use (the largest is two hours): added to a session's
/// wall-clock length to bound its real length.
pub const MAX_SHIFT: TimeDelta = TimeDelta::hours(3);

/// The instant a wall-clock time names in `zone`. Times of a repeated hour (fall back) name the
/// first pass, as RFC 5545 says; times in a gap (spring forward) name the first instant after the
/// gap, so a 02:30 class on the night the clocks go forward still happens, at 03:00 (RFC 5545
/// would move it to 03:30, and robfig's cron skips it).
pub fn instant(zone: Tz, wall: NaiveDateTime) -> DateTime<Utc> {
    match zone.from_local_datetime(&wall) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at.with_timezone(&Utc),
        LocalResult::None => after_gap(zone, wall),
    }
}

/// Gaps end on a whole minute in every zone in use, so stepping by minutes finds the first wall
/// time after the gap, which is the first instant after it.
fn after_gap(zone: Tz, wall: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = wall
        .with_second(0)
        .unwrap_or(wall)
        .with_nanosecond(0)
        .unwrap_or(wall);
    for _ in 0..24 * 60 {
        probe += TimeDelta::minutes(1);
        if let Some(at) = zone.from_local_datetime(&probe).earliest() {
            return at.with_timezone(&Utc);
        }
    }
    // No zone has a day-long gap; read the wall time as UTC rather than fail.
    wall.and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn wall(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn wall_times_to_instants() {
        use chrono_tz::America::New_York;
        use chrono_tz::Europe::London;
        let cases: &[(Tz, &str, &str)] = &[
            // an ordinary winter time
            (New_York, "2026-01-05 08:00:00", "2026-01-05T08:00:00-05:00"),
            // spring forward: 02:30 does not exist, the first instant after the gap is 03:00 EDT
            (New_York, "2026-03-08 02:30:00", "2026-03-08T03:00:00-04:00"),
            // seconds inside the gap go to the same instant
            (New_York, "2026-03-08 02:59:59", "2026-03-08T03:00:00-04:00"),
            // fall back: 01:30 happens twice, the first pass (EDT) is meant
            (New_York, "2026-11-01 01:30:00", "2026-11-01T01:30:00-04:00"),
            // London: 01:30 on 29 March does not exist, 02:00 BST is the first instant after
            (London, "2026-03-29 01:30:00", "2026-03-29T02:00:00+01:00"),
            // London fall back, 25 October: 01:30 BST, the first pass
            (London, "2026-10-25 01:30:00", "2026-10-25T01:30:00+01:00"),
        ];
        for (zone, text, want) in cases {
            assert_eq!(instant(*zone, wall(text)), utc(want), "{zone} {text}");
        }
    }

    #[test]
    fn a_session_inside_a_gap_is_an_instant() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
        let (start, end) = (
            day.and_hms_opt(2, 15, 0).unwrap(),
            day.and_hms_opt(2, 45, 0).unwrap(),
        );
        let s = Session::from_wall(chrono_tz::America::New_York, (start, end), None, None);
        assert_eq!(
            (s.start, s.end),
            (utc("2026-03-08T07:00:00Z"), utc("2026-03-08T07:00:00Z"))
        );
    }
}

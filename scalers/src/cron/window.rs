//! The window between `start` and `end`, and whether `now` is inside it.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use super::schedule::{Fire, Schedule};

/// How far [`Window::next_transitions`] looks, and how many fires it walks at most, so a window
/// that never changes (end firing more often than start) answers quickly with nothing.
const HORIZON: TimeDelta = TimeDelta::days(400);
const MAX_FIRES: usize = 5_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub zone: Tz,
    pub start: Schedule,
    pub end: Schedule,
}

impl Window {
    /// KEDA's rule, a pure function of `now`: active ⇔ the next end (strictly after `now`) comes no
    /// later than the next start. So the window is `[start, end)`, crosses midnight naturally, is
    /// always active when both fire at the same instant, and is always active when `end` fires
    /// more often than `start` (KEDA does the same; kept so manifests behave as they did).
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.next_fires(now)
            .is_some_and(|(start, end)| end <= start)
    }

    fn next_fires(&self, now: DateTime<Utc>) -> Option<(Fire, Fire)> {
        Some((
            self.start.next_after(now, self.zone)?,
            self.end.next_after(now, self.zone)?,
        ))
    }

    /// The next `n` instants after `after` at which the window opens (`true`) or closes
    /// (`false`), for showing a schedule to a person (`kedars check --next`). Looks ahead
    /// [`HORIZON`] or [`MAX_FIRES`] fires, whichever comes first, so it may return fewer.
    pub fn next_transitions(&self, after: DateTime<Utc>, n: usize) -> Vec<(DateTime<Utc>, bool)> {
        let mut found = Vec::new();
        let Some(mut fires) = self.next_fires(after) else {
            return found;
        };
        let mut active = fires.1 <= fires.0;
        for _ in 0..MAX_FIRES {
            // Nothing fires before the earlier of the two, so activity can only change there.
            let at = fires.0.at.min(fires.1.at);
            if found.len() >= n || at > after + HORIZON {
                break;
            }
            // Only the schedule that fired needs a new search.
            let start = self.refire(&self.start, fires.0, at);
            let end = self.refire(&self.end, fires.1, at);
            let (Some(start), Some(end)) = (start, end) else {
                break;
            };
            let next = (start, end);
            let now_active = next.1 <= next.0;
            if now_active != active {
                found.push((at, now_active));
                active = now_active;
            }
            fires = next;
        }
        found
    }

    fn refire(&self, schedule: &Schedule, fire: Fire, now: DateTime<Utc>) -> Option<Fire> {
        if fire.at > now {
            Some(fire)
        } else {
            schedule.next_after(now, self.zone)
        }
    }
}

#[cfg(test)]
mod tests {
    //! Calendar facts used: 2026-03-02 is a Monday; New York springs forward on Sunday 2026-03-08
    //! (02:00 EST → 03:00 EDT) and falls back on Sunday 2026-11-01 (02:00 EDT → 01:00 EST);
    //! London on 2026-03-29 (01:00 GMT → 02:00 BST) and 2026-10-25 (02:00 BST → 01:00 GMT);
    //! Berlin on 2026-03-29 (02:00 CET → 03:00 CEST).

    use super::*;

    /// (zone, start, end)
    type Win = (&'static str, &'static str, &'static str);

    const DAY: Win = ("Asia/Kolkata", "0 6 * * *", "0 20 * * *");
    const NIGHT: Win = ("Etc/UTC", "0 20 * * *", "0 6 * * *");
    const THE_31ST: Win = ("Etc/UTC", "0 9 31 * *", "0 17 31 * *");
    const FEB_END: Win = ("Etc/UTC", "0 20 28 2 *", "0 6 1 3 *");
    const MONTH_TURN: Win = ("Etc/UTC", "0 0 31 * *", "0 0 1 * *");
    const OFFICE: Win = ("Europe/Berlin", "0 8 * * Mon-Fri", "0 18 * * Mon-Fri");
    const WEEKEND: Win = ("Europe/Berlin", "0 18 * * FRI", "0 6 * * MON");
    const LAST_5: Win = ("Etc/UTC", "*/5 * * * *", "0 * * * *");
    const ALWAYS: Win = ("Etc/UTC", "0 * * * *", "*/5 * * * *");
    const SAME: Win = ("Etc/UTC", "0 6 * * *", "0 6 * * 0-6");
    const NY_GAP: Win = ("America/New_York", "30 2 * * *", "0 4 * * *");
    const IN_GAP: Win = ("America/New_York", "15 2 * * *", "45 2 * * *");
    const TO_GAP_END: Win = ("America/New_York", "30 2 * * *", "0 3 * * *");
    const NY_FOLD: Win = ("America/New_York", "0 1 * * *", "0 2 * * *");
    const LONDON_GAP: Win = ("Europe/London", "30 1 * * *", "0 3 * * *");
    const LONDON_HOURLY: Win = ("Europe/London", "0 * * * *", "30 * * * *");
    const BERLIN_GAP: Win = ("Europe/Berlin", "30 2 * * *", "0 6 * * *");
    const KOLKATA_TZ: Win = (
        "Etc/UTC",
        "TZ=Asia/Kolkata 0 9 * * *",
        "TZ=Asia/Kolkata 0 17 * * *",
    );
    const MIXED: Win = ("Etc/UTC", "CRON_TZ=Asia/Kolkata 0 9 * * *", "0 12 * * *");

    fn window((zone, start, end): Win) -> Window {
        Window {
            zone: zone.parse().unwrap(),
            start: start.parse().unwrap(),
            end: end.parse().unwrap(),
        }
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn activity_at_pinned_instants() {
        let cases: &[(Win, &str, bool)] = &[
            (DAY, "2026-01-15T05:59:59+05:30", false), // a second before the start
            (DAY, "2026-01-15T06:00:00+05:30", true),  // at the start: [start, end)
            (DAY, "2026-01-15T19:59:59+05:30", true),  // a second before the end
            (DAY, "2026-01-15T20:00:00+05:30", false), // at the end
            (NIGHT, "2026-01-15T19:59:59Z", false),    // before a window crossing midnight
            (NIGHT, "2026-01-15T20:00:00Z", true),     // it opens
            (NIGHT, "2026-01-16T00:00:00Z", true),     // through midnight
            (NIGHT, "2026-01-16T05:59:59Z", true),     // until the morning
            (NIGHT, "2026-01-16T06:00:00Z", false),    // closed at 06:00
            (THE_31ST, "2026-01-31T12:00:00Z", true),  // open on the 31st
            (THE_31ST, "2026-01-31T17:00:00Z", false), // closed at 17:00
            (THE_31ST, "2026-02-28T12:00:00Z", false), // February has no 31st: closed
            (FEB_END, "2026-03-01T05:59:59Z", true),   // last of February into March
            (FEB_END, "2026-03-01T06:00:00Z", false),  // closed on 1 March
            (FEB_END, "2028-02-29T12:00:00Z", true),   // a leap year's 29th is inside
            // KEDA's rule: the end (every 1st) fires more often than the start (every 31st),
            // so February, with no 31st, is active throughout
            (MONTH_TURN, "2026-02-15T00:00:00Z", true),
            (OFFICE, "2026-03-02T08:00:00+01:00", true), // Monday morning
            (OFFICE, "2026-03-02T17:59:59+01:00", true), // Monday evening
            (OFFICE, "2026-03-02T18:00:00+01:00", false), // Monday, closed
            (OFFICE, "2026-03-07T12:00:00+01:00", false), // Saturday
            (WEEKEND, "2026-03-07T12:00:00+01:00", true), // Saturday, Friday 18:00 → Monday 06:00
            (WEEKEND, "2026-03-09T06:00:00+01:00", false), // Monday 06:00
            (WEEKEND, "2026-03-05T12:00:00+01:00", false), // Thursday
            (LAST_5, "2026-01-15T10:54:59Z", false),     // start every 5 min, end hourly
            (LAST_5, "2026-01-15T10:55:00Z", true),      // open xx:55..
            (LAST_5, "2026-01-15T10:59:59Z", true),      // ..xx:59
            (LAST_5, "2026-01-15T11:00:00Z", false),     // closed on the hour
            (ALWAYS, "2026-01-15T10:00:00Z", true),      // end more often than start: KEDA's rule,
            (ALWAYS, "2026-01-15T10:32:00Z", true),      // always active
            (SAME, "2026-01-15T12:00:00Z", true),        // coinciding fires: always active
            // NY spring forward, [02:30, 04:00): the day before stays closed (KEDA skips 02:30,
            // so its next end comes before its next start and it is open from 04:00 that day)
            (NY_GAP, "2026-03-07T12:00:00-05:00", false),
            (NY_GAP, "2026-03-08T01:59:59-05:00", false), // the last second before the gap
            (NY_GAP, "2026-03-08T03:00:00-04:00", true),  // 02:30 does not exist: opens at 03:00
            (NY_GAP, "2026-03-08T03:59:59-04:00", true),  // still open
            (NY_GAP, "2026-03-08T04:00:00-04:00", false), // closed at 04:00 EDT
            (NY_GAP, "2026-03-09T02:30:00-04:00", true),  // the next day as usual
            // both ends carried to 03:00 keep their order: the window shrinks to nothing instead
            // of coinciding fires making it active for a day
            (IN_GAP, "2026-03-07T12:00:00-05:00", false),
            (TO_GAP_END, "2026-03-07T12:00:00-05:00", false),
            // NY fall back, [01:00, 02:00): 01:00 fires once (EDT) and 02:00 means 02:00 EST, so
            // the window spans both passes of the repeated hour, two real hours (KEDA's start
            // fires again at 01:00 EST, so it is closed during the first pass)
            (NY_FOLD, "2026-11-01T00:59:59-04:00", false),
            (NY_FOLD, "2026-11-01T01:00:00-04:00", true), // first pass starts
            (NY_FOLD, "2026-11-01T01:30:00-04:00", true), // first pass (KEDA: closed)
            (NY_FOLD, "2026-11-01T01:30:00-05:00", true), // second pass
            (NY_FOLD, "2026-11-01T02:00:00-05:00", false), // closed at 02:00 EST
            (LONDON_GAP, "2026-03-29T00:59:59+00:00", false), // before the gap
            (LONDON_GAP, "2026-03-29T02:00:00+01:00", true), // 01:30 does not exist: 02:00 BST
            (LONDON_GAP, "2026-03-29T03:00:00+01:00", false), // closed at 03:00 BST
            // London fall back, [xx:00, xx:30) every hour: both passes of 01:xx are real hours
            (LONDON_HOURLY, "2026-10-25T01:15:00+01:00", true),
            (LONDON_HOURLY, "2026-10-25T01:45:00+01:00", false),
            (LONDON_HOURLY, "2026-10-25T01:15:00+00:00", true),
            (BERLIN_GAP, "2026-03-29T03:00:00+02:00", true), // 02:30 does not exist: 03:00 CEST
            (KOLKATA_TZ, "2026-01-15T03:30:00Z", true),      // both in Kolkata: 09:00 IST
            (KOLKATA_TZ, "2026-01-15T11:30:00Z", false),     // 17:00 IST
            (MIXED, "2026-01-15T06:00:00Z", true),           // opened 09:00 IST = 03:30 UTC
            (MIXED, "2026-01-15T12:00:00Z", false),          // closes 12:00 UTC
        ];
        for (win, now, want) in cases {
            assert_eq!(window(*win).is_active(utc(now)), *want, "{win:?} at {now}");
        }
    }

    #[test]
    fn transitions() {
        let at = |s: &str, opens: bool| (utc(s), opens);
        type Transitions = Vec<(DateTime<Utc>, bool)>;
        let cases: &[(Win, &str, usize, Transitions)] = &[
            // a daily window: close, open, close
            (
                DAY,
                "2026-01-15T12:00:00+05:30",
                3,
                vec![
                    at("2026-01-15T20:00:00+05:30", false),
                    at("2026-01-16T06:00:00+05:30", true),
                    at("2026-01-16T20:00:00+05:30", false),
                ],
            ),
            // across the NY spring-forward gap
            (
                NY_GAP,
                "2026-03-07T12:00:00-05:00",
                2,
                vec![
                    at("2026-03-08T03:00:00-04:00", true),
                    at("2026-03-08T04:00:00-04:00", false),
                ],
            ),
            // always active: nothing changes
            (ALWAYS, "2026-01-15T10:00:00Z", 3, vec![]),
            // none asked
            (DAY, "2026-01-15T10:00:00Z", 0, vec![]),
        ];
        for (win, after, n, want) in cases {
            let got = window(*win).next_transitions(utc(after), *n);
            assert_eq!(&got, want, "{win:?} after {after}");
        }
    }
}

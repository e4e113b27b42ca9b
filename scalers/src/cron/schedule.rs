//! One schedule (`start` or `end`): its optional `TZ=`/`CRON_TZ=` zone and its fields, and when
//! it next fires after an instant.
//!
//! Firing walks the wall clock of the zone and maps each named time to an instant. Across a
//! daylight-saving change, a schedule naming specific hours names times of day, each happening
//! once a day; a schedule naming every hour (`*/5 * * * *`, `0 * * * *`) follows real hours:
//! - in a gap, a time of day fires at the first instant after the gap (robfig skips it, so a
//!   window opening at 02:30 would not open that night); an every-hour schedule skips the hour
//!   that does not exist;
//! - in a repeated hour, a time of day fires once, in the first pass; an every-hour schedule
//!   fires in both passes, which are two real hours.

use std::str::FromStr;

use chrono::offset::LocalResult;
use chrono::{DateTime, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use super::fields::Fields;

/// Wider than any daylight-saving jump in use (the largest is two hours).
const MAX_SHIFT: TimeDelta = TimeDelta::hours(3);
/// A schedule that fires only on 29 February can wait eight years (2096 → 2104).
const SEARCH_DAYS: usize = 9 * 366;

/// When a schedule fires. Ordered by instant; two fires at the same instant (only possible when
/// one was carried past a gap) are ordered by the wall time they were named for, so `30 2` still
/// comes before `0 3` when both land on 03:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fire {
    pub at: DateTime<Utc>,
    /// The named wall time read with the offset in force at `at`; equals `at` unless carried.
    nominal: DateTime<Utc>,
}

impl Fire {
    fn exact(at: DateTime<Tz>) -> Fire {
        let at = at.with_timezone(&Utc);
        Fire { at, nominal: at }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// The zone of a `TZ=`/`CRON_TZ=` prefix; otherwise the trigger's `timezone` applies.
    zone: Option<Tz>,
    fields: Fields,
}

impl FromStr for Schedule {
    type Err = String;

    /// robfig's `Parser.Parse` for five fields without descriptors. The error is the reason only.
    fn from_str(spec: &str) -> Result<Schedule, String> {
        let (zone, rest) = split_zone(spec.trim())?;
        if rest.starts_with('@') {
            return Err(format!("descriptors such as {rest} are not accepted"));
        }
        let parts: Vec<&str> = rest.split_whitespace().collect();
        let parts: &[&str; 5] = parts
            .as_slice()
            .try_into()
            .map_err(|_| format!("found {} fields", parts.len()))?;
        Ok(Schedule {
            zone,
            fields: Fields::parse(parts)?,
        })
    }
}

/// Splits robfig's optional `TZ=<zone> ` / `CRON_TZ=<zone> ` prefix off a spec.
fn split_zone(spec: &str) -> Result<(Option<Tz>, &str), String> {
    let Some(named) = spec
        .strip_prefix("TZ=")
        .or_else(|| spec.strip_prefix("CRON_TZ="))
    else {
        return Ok((None, spec));
    };
    let (name, rest) = named
        .split_once(' ')
        .ok_or_else(|| "a TZ= prefix must be followed by a space and the schedule".to_string())?;
    let zone = Tz::from_str(name).map_err(|_| format!("unknown time zone \"{name}\" in prefix"))?;
    Ok((Some(zone), rest.trim()))
}

impl Schedule {
    /// The first fire strictly after `after`, reading wall clocks in the schedule's own zone or
    /// else `zone`. `None` only if nothing fires within [`SEARCH_DAYS`].
    pub fn next_after(&self, after: DateTime<Utc>, zone: Tz) -> Option<Fire> {
        let zone = self.zone.unwrap_or(zone);
        // A wall time a little before `after`'s may still lie ahead (a repeated hour, a gap).
        let earliest = after.with_timezone(&zone).naive_local() - MAX_SHIFT;
        let mut best: Option<Fire> = None;
        let days = earliest.date().iter_days().take(SEARCH_DAYS);
        let walls = days
            .filter(|d| self.fields.day_matches(*d))
            .flat_map(|d| self.fields.times_on(d))
            .filter(|w| *w >= earliest);
        for wall in walls {
            // Past this, no later wall time can map to an earlier instant.
            if let Some(b) = best
                && wall > b.at.with_timezone(&zone).naive_local() + MAX_SHIFT
            {
                break;
            }
            for fire in self.resolve(wall, zone).into_iter().flatten() {
                if fire.at > after && best.is_none_or(|b| fire < b) {
                    best = Some(fire);
                }
            }
        }
        best
    }

    fn resolve(&self, wall: NaiveDateTime, zone: Tz) -> [Option<Fire>; 2] {
        match zone.from_local_datetime(&wall) {
            LocalResult::Single(at) => [Some(Fire::exact(at)), None],
            LocalResult::Ambiguous(first, second) => [
                Some(Fire::exact(first)),
                self.fields.every_hour().then(|| Fire::exact(second)),
            ],
            LocalResult::None if self.fields.every_hour() => [None, None],
            LocalResult::None => [carry_past_gap(wall, zone), None],
        }
    }
}

/// A wall time that does not exist fires at the first instant after the gap. Gaps end on a whole
/// minute in every zone in use, so stepping by minutes finds that instant exactly.
fn carry_past_gap(wall: NaiveDateTime, zone: Tz) -> Option<Fire> {
    let mut probe = wall;
    for _ in 0..24 * 60 {
        probe += TimeDelta::minutes(1);
        if let Some(at) = zone.from_local_datetime(&probe).earliest() {
            let offset = TimeDelta::seconds(at.offset().fix().local_minus_utc().into());
            let nominal = (wall - offset).and_utc();
            return Some(Fire {
                at: at.with_timezone(&Utc),
                nominal,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::New_York;
    use chrono_tz::Europe::London;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn parse_errors() {
        let cases: &[(&str, &str)] = &[
            ("0 * * * * *", "found 6 fields"), // seconds field: robfig rejects
            ("0 * * *", "found 4 fields"),     // too few
            ("@hourly", "descriptors such as @hourly are not accepted"), // descriptor
            (
                "TZ=Mars/Olympus 0 6 * * *",
                "unknown time zone \"Mars/Olympus\" in prefix",
            ),
            (
                "TZ=Europe/London",
                "a TZ= prefix must be followed by a space and the schedule",
            ),
            (
                "TZ=Europe/London @daily",
                "descriptors such as @daily are not accepted",
            ),
        ];
        for (spec, want) in cases {
            assert_eq!(spec.parse::<Schedule>().unwrap_err(), *want, "{spec}");
        }
        assert!("CRON_TZ=Asia/Kolkata 0 6 * * *".parse::<Schedule>().is_ok());
    }

    #[test]
    fn next_fires() {
        let cases: &[(&str, Tz, &str, &str)] = &[
            // strictly after: at the fire instant itself, the next is tomorrow's
            (
                "0 6 * * *",
                London,
                "2026-01-10T06:00:00Z",
                "2026-01-11T06:00:00Z",
            ),
            // a second before
            (
                "0 6 * * *",
                London,
                "2026-01-10T05:59:59Z",
                "2026-01-10T06:00:00Z",
            ),
            // London in summer is UTC+1
            (
                "0 6 * * *",
                London,
                "2026-07-01T00:00:00Z",
                "2026-07-01T05:00:00Z",
            ),
            // spring forward in New York, 2026-03-08: 02:30 does not exist, fires at 03:00 EDT
            (
                "30 2 * * *",
                New_York,
                "2026-03-08T06:00:00Z",
                "2026-03-08T07:00:00Z",
            ),
            // several hours named: still times of day, 02:30 carried (croner would skip it)
            (
                "30 2,14 * * *",
                New_York,
                "2026-03-08T06:00:00Z",
                "2026-03-08T07:00:00Z",
            ),
            // an every-hour schedule skips the hour that does not exist: 02:07 → 03:07 EDT
            (
                "7 * * * *",
                New_York,
                "2026-03-08T06:48:00Z",
                "2026-03-08T07:07:00Z",
            ),
            // the day after, 02:30 EDT again
            (
                "30 2 * * *",
                New_York,
                "2026-03-08T07:00:00Z",
                "2026-03-09T06:30:00Z",
            ),
            // fall back, 2026-11-01: 01:30 fires once, in the first pass (EDT)
            (
                "30 1 * * *",
                New_York,
                "2026-11-01T05:00:00Z",
                "2026-11-01T05:30:00Z",
            ),
            (
                "30 1 * * *",
                New_York,
                "2026-11-01T05:30:00Z",
                "2026-11-02T06:30:00Z",
            ),
            // an every-hour schedule fires in the second pass (01:30 EST) too
            (
                "30 * * * *",
                New_York,
                "2026-11-01T05:30:00Z",
                "2026-11-01T06:30:00Z",
            ),
            // a TZ= prefix overrides the trigger's zone
            (
                "TZ=Asia/Kolkata 0 6 * * *",
                London,
                "2026-01-10T00:00:00Z",
                "2026-01-10T00:30:00Z",
            ),
            // leap day only: eight years from 2097
            (
                "0 0 29 2 *",
                London,
                "2097-01-01T00:00:00Z",
                "2104-02-29T00:00:00Z",
            ),
        ];
        for (spec, zone, after, want) in cases {
            let schedule: Schedule = spec.parse().unwrap();
            let got = schedule.next_after(utc(after), *zone).map(|f| f.at);
            assert_eq!(got, Some(utc(want)), "{spec} after {after}");
        }
    }

    #[test]
    fn carried_fires_keep_their_wall_order() {
        let after = utc("2026-03-08T06:00:00Z");
        let early: Schedule = "15 2 * * *".parse().unwrap();
        let late: Schedule = "45 2 * * *".parse().unwrap();
        let three: Schedule = "0 3 * * *".parse().unwrap();
        let (e, l, t) = (
            early.next_after(after, New_York).unwrap(),
            late.next_after(after, New_York).unwrap(),
            three.next_after(after, New_York).unwrap(),
        );
        assert_eq!((e.at, l.at), (t.at, t.at), "all land on 03:00 EDT");
        assert!(e < l && l < t, "02:15 before 02:45 before 03:00");
    }
}

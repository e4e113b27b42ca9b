//! The five fields of a schedule as bit sets, and robfig's rules for which days and times they
//! name.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};

use super::grammar::{DAY, HOUR, MINUTE, MONTH, WEEKDAY, field};

/// The values each field selects, as bit sets (bit `v` set ⇔ value `v` selected).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fields {
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
    /// robfig's "star bit": the field was `*`/`?` (step 1). It decides how days combine.
    days_star: bool,
    weekdays_star: bool,
}

impl Fields {
    /// Parses exactly five whitespace-separated fields; the error says which field and why.
    pub fn parse(fields: &[&str; 5]) -> Result<Fields, String> {
        let (minutes, _) = field(fields[0], &MINUTE)?;
        let (hours, _) = field(fields[1], &HOUR)?;
        let (days, days_star) = field(fields[2], &DAY)?;
        let (months, _) = field(fields[3], &MONTH)?;
        let (weekdays, weekdays_star) = field(fields[4], &WEEKDAY)?;
        let parsed = Fields {
            minutes,
            hours,
            days,
            months,
            weekdays,
            days_star,
            weekdays_star,
        };
        if !parsed.can_fire() {
            return Err("it never fires: no selected month has any of the selected days".into());
        }
        Ok(parsed)
    }

    /// robfig's `dayMatches`: if either day field is a star, both must match (so the other
    /// decides); if both are restricted, either may match (standard cron).
    pub fn day_matches(&self, date: NaiveDate) -> bool {
        let by_day = bit(self.days, date.day());
        let by_weekday = bit(self.weekdays, date.weekday().num_days_from_sunday());
        let by_month = bit(self.months, date.month());
        let by_either = if self.days_star || self.weekdays_star {
            by_day && by_weekday
        } else {
            by_day || by_weekday
        };
        by_month && by_either
    }

    /// Whether the schedule names every hour, i.e. repeats within each hour (`*/5 * * * *`).
    pub fn every_hour(&self) -> bool {
        self.hours == (1 << 24) - 1
    }

    /// The wall-clock times this schedule names on `date`, in order (dates not checked).
    pub fn times_on(&self, date: NaiveDate) -> impl Iterator<Item = NaiveDateTime> + '_ {
        values(self.hours).flat_map(move |h| {
            values(self.minutes)
                .filter_map(move |m| NaiveTime::from_hms_opt(h, m, 0).map(|t| date.and_time(t)))
        })
    }

    /// A schedule whose day fields are ANDed with a full weekday set fires only if some selected
    /// day of the month exists in some selected month (`0 0 30 2 *` never does; robfig would
    /// search five years and give up at every poll).
    fn can_fire(&self) -> bool {
        if !self.weekdays_star || self.days_star {
            return true; // a weekday always comes round
        }
        const LONGEST: [u32; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        (1..=12)
            .filter(|&m| bit(self.months, m))
            .any(|m| (1..=LONGEST[m as usize - 1]).any(|d| bit(self.days, d)))
    }
}

fn bit(set: u64, value: u32) -> bool {
    set & (1 << value) != 0
}

fn values(set: u64) -> impl Iterator<Item = u32> {
    (0..64).filter(move |&v| bit(set, v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(spec: &str) -> Result<Fields, String> {
        let parts: Vec<&str> = spec.split_whitespace().collect();
        Fields::parse(&parts.try_into().expect("five fields"))
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn never_firing_schedules_are_rejected() {
        const NEVER: &str = "it never fires: no selected month has any of the selected days";
        let cases: &[(&str, &str)] = &[
            // 30 February never comes (robfig gives up after five years, at every poll)
            ("0 0 30 2 *", NEVER),
            // nor 31 April or June
            ("0 0 31 4,6 *", NEVER),
            // 29 February comes in leap years
            ("0 0 29 2 *", ""),
            // ORed with a weekday, the 30th of February does not matter
            ("0 0 30 2 Mon", ""),
        ];
        for (spec, want) in cases {
            assert_eq!(parse(spec).err().unwrap_or_default(), *want, "{spec}");
        }
    }

    #[test]
    fn days_combine_like_robfig() {
        // 2026-03-02 is a Monday, 2026-03-03 a Tuesday.
        let cases: &[(&str, NaiveDate, bool)] = &[
            ("0 0 1 * Mon", date(2026, 3, 2), true), // both restricted: OR, Monday matches
            ("0 0 1 * Mon", date(2026, 3, 1), true), // OR, the 1st matches
            ("0 0 1 * Mon", date(2026, 3, 3), false), // neither
            ("0 0 * * Mon", date(2026, 3, 3), false), // day star: AND, weekday decides
            ("0 0 3 * *", date(2026, 3, 3), true),   // weekday star: day decides
            ("0 0 */2 * Mon", date(2026, 3, 3), true), // */2 clears the star: OR (3rd is odd)
            ("0 0 */1 * Mon", date(2026, 3, 3), false), // */1 keeps the star: AND
            ("0 0 1 2 *", date(2026, 3, 1), false),  // month must match
        ];
        for (spec, day, want) in cases {
            assert_eq!(
                parse(spec).unwrap().day_matches(*day),
                *want,
                "{spec} on {day}"
            );
        }
    }

    #[test]
    fn times_and_hours() {
        let f = parse("0,30 9-10 * * *").unwrap();
        let times: Vec<String> = f
            .times_on(date(2026, 1, 1))
            .map(|t| t.format("%H:%M").to_string())
            .collect();
        assert_eq!(times, ["09:00", "09:30", "10:00", "10:30"]);
        assert!(!f.every_hour());
        assert!(parse("*/5 * * * *").unwrap().every_hour());
    }
}

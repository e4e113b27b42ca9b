//! Inline weekly slots, the `sessions` parameter: entries separated by `;` or new lines, each
//! `DAYS START-END [UNIT=LOAD] [name=LABEL]`, e.g.
//! `Mon,Wed 08:00-09:30 students=120; Fri 14:00-16:00 students=40 name=lab`.
//!
//! DAYS is a comma list of day names (`Mon` or `Monday`, any case) and ranges (`Mon-Fri`, and
//! `Sat-Mon` wrapping over the week end), or `daily`. An END not after START ends the next day
//! (`22:00-01:00`); `24:00` is midnight at the end of the day.

use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeDelta, Utc, Weekday};
use chrono_tz::Tz;

use super::session::{MAX_SHIFT, Session, Source};

const DAY_MINUTES: u32 = 24 * 60;

/// One weekly slot. Times are minutes after midnight; `end` may be 1440 (`24:00`).
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    /// Bit `n` set ⇔ the slot happens on the weekday `n` days after Monday.
    days: u8,
    start: u32,
    end: u32,
    pub load: Option<f64>,
    /// The attribute that gave the load (`students`), for messages.
    pub unit: Option<String>,
    pub label: Option<Arc<str>>,
}

impl Slot {
    fn on(&self, day: Weekday) -> bool {
        self.days & (1 << day.num_days_from_monday()) != 0
    }

    /// The slot's length on the wall clock.
    fn length(&self) -> u32 {
        if self.end > self.start {
            self.end - self.start
        } else {
            self.end + DAY_MINUTES - self.start
        }
    }

    fn walls(&self, date: NaiveDate) -> (NaiveDateTime, NaiveDateTime) {
        let midnight = date.and_time(chrono::NaiveTime::MIN);
        let start = midnight + TimeDelta::minutes(self.start.into());
        (start, start + TimeDelta::minutes(self.length().into()))
    }
}

/// Parses the whole `sessions` value; the error names the entry and what is wrong with it.
pub fn parse(text: &str) -> Result<Vec<Slot>, String> {
    let entries: Vec<&str> = text
        .split([';', '\n'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    if entries.is_empty() {
        return Err("at least one session".into());
    }
    entries
        .iter()
        .enumerate()
        .map(|(i, entry)| slot(entry).map_err(|why| format!("entry {} \"{entry}\": {why}", i + 1)))
        .collect()
}

fn slot(entry: &str) -> Result<Slot, String> {
    // People write `Mon, Wed` and `08:00 - 09:30`; the grammar has no spaces there.
    let entry = entry.replace(", ", ",").replace(" - ", "-");
    let mut tokens = entry.split_whitespace();
    let (Some(days), Some(times)) = (tokens.next(), tokens.next()) else {
        return Err("expected days and a time range, such as Mon,Wed 08:00-09:30".into());
    };
    let (start, end) = times
        .split_once('-')
        .ok_or_else(|| format!("time range \"{times}\": expected START-END such as 08:00-09:30"))?;
    let (start, end) = (minutes(start, false)?, minutes(end, true)?);
    if start == end {
        return Err(format!(
            "time range \"{times}\": the end must differ from the start"
        ));
    }
    let mut slot = Slot {
        days: days_of(days)?,
        start,
        end,
        load: None,
        unit: None,
        label: None,
    };
    for attribute in tokens {
        slot.attribute(attribute)?;
    }
    Ok(slot)
}

impl Slot {
    fn attribute(&mut self, attribute: &str) -> Result<(), String> {
        let (key, value) = attribute
            .split_once('=')
            .filter(|(k, v)| !k.is_empty() && !v.is_empty())
            .ok_or_else(|| format!("\"{attribute}\": expected UNIT=LOAD such as students=120"))?;
        if key == "name" {
            self.label = Some(value.into());
            return Ok(());
        }
        let load: f64 = value
            .parse()
            .ok()
            .filter(|l: &f64| l.is_finite() && *l >= 0.0)
            .ok_or_else(|| format!("\"{attribute}\": the load must be a number ≥ 0"))?;
        if let Some(unit) = &self.unit {
            return Err(format!("one load per session, found {unit} and {key}"));
        }
        self.load = Some(load);
        self.unit = Some(key.to_string());
        Ok(())
    }
}

/// `HH:MM` as minutes after midnight; `24:00` only where `end_of_day` allows it.
fn minutes(text: &str, end_of_day: bool) -> Result<u32, String> {
    let bad = || format!("time \"{text}\": expected HH:MM between 00:00 and 23:59");
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let digits = |s: &str, len: std::ops::RangeInclusive<usize>| {
        (len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let (h, m) = (
        digits(h, 1..=2).ok_or_else(bad)?,
        digits(m, 2..=2).ok_or_else(bad)?,
    );
    match (h, m) {
        (24, 0) if end_of_day => Ok(DAY_MINUTES),
        (0..=23, 0..=59) => Ok(h * 60 + m),
        _ => Err(bad()),
    }
}

fn days_of(text: &str) -> Result<u8, String> {
    if text.eq_ignore_ascii_case("daily") {
        return Ok(0x7f);
    }
    let mut days = 0u8;
    for item in text.split(',') {
        days |= match item.split_once('-') {
            Some((from, to)) => range(day(from)?, day(to)?),
            None => 1 << day(item)?,
        };
    }
    Ok(days)
}

/// Days `from` to `to` inclusive, wrapping over the week end (`Sat-Mon`).
fn range(from: u8, to: u8) -> u8 {
    let mut days = 0u8;
    let mut d = from;
    loop {
        days |= 1 << d;
        if d == to {
            return days;
        }
        d = (d + 1) % 7;
    }
}

/// A day's number after Monday, from its English name or first three letters.
fn day(name: &str) -> Result<u8, String> {
    const NAMES: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let lower = name.to_ascii_lowercase();
    NAMES
        .iter()
        .position(|full| lower == *full || (lower.len() == 3 && full.starts_with(&lower)))
        .map(|n| n as u8)
        .ok_or_else(|| {
            format!("day \"{name}\": expected Mon..Sun, a range such as Mon-Fri, or daily")
        })
}

/// Weekly slots in one zone.
#[derive(Debug, Clone)]
pub struct Weekly {
    pub zone: Tz,
    pub slots: Vec<Slot>,
}

impl Source for Weekly {
    fn sessions(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Session> {
        // A day either side: a gap can carry a start across midnight.
        let first = from.with_timezone(&self.zone).date_naive() - TimeDelta::days(1);
        let last = to.with_timezone(&self.zone).date_naive() + TimeDelta::days(1);
        let mut sessions = Vec::new();
        for date in first.iter_days().take_while(|d| *d <= last) {
            for slot in self.slots.iter().filter(|s| s.on(date.weekday())) {
                let session =
                    Session::from_wall(self.zone, slot.walls(date), slot.load, slot.label.clone());
                if session.start >= from && session.start < to {
                    sessions.push(session);
                }
            }
        }
        sessions
    }

    fn longest(&self) -> TimeDelta {
        let minutes = self.slots.iter().map(Slot::length).max().unwrap_or(0);
        TimeDelta::minutes(minutes.into()) + MAX_SHIFT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (days bitmask, start, end, load, unit, label) of each slot, or the error.
    type Parsed = Result<Vec<(u8, u32, u32, Option<f64>, Option<String>, Option<String>)>, String>;

    fn parsed(text: &str) -> Parsed {
        parse(text).map(|slots| {
            slots
                .into_iter()
                .map(|s| {
                    (
                        s.days,
                        s.start,
                        s.end,
                        s.load,
                        s.unit,
                        s.label.map(|l| l.to_string()),
                    )
                })
                .collect()
        })
    }

    fn students(n: f64) -> (Option<f64>, Option<String>) {
        (Some(n), Some("students".into()))
    }

    #[test]
    fn grammar() {
        let (l120, u120) = students(120.0);
        let (l40, u40) = students(40.0);
        let cases: Vec<(&str, Parsed)> = vec![
            // two entries, a day list and loads
            (
                "Mon,Wed 08:00-09:30 students=120; Fri 14:00-16:00 students=40",
                Ok(vec![
                    (0b101, 480, 570, l120, u120, None),
                    (0b10000, 840, 960, l40, u40.clone(), None),
                ]),
            ),
            // ranges, full names, any case, spaces people type, a label, new lines
            (
                "monday - FRIDAY 7:45 - 12:00 name=mornings\nSat-Mon 22:00-01:00",
                Ok(vec![
                    (0b11111, 465, 720, None, None, Some("mornings".into())),
                    (0b1100001, 1320, 60, None, None, None),
                ]),
            ),
            // daily, 24:00 as the end, a trailing separator, a fractional load
            ("daily 18:00-24:00 load=2.5;", Ok(vec![(0x7f, 1080, 1440, Some(2.5), Some("load".into()), None)])),
            ("", Err("at least one session".into())),
            (
                "Mon 08:00",
                Err("entry 1 \"Mon 08:00\": time range \"08:00\": expected START-END such as 08:00-09:30".into()),
            ),
            (
                "Mon 08:00-25:00",
                Err("entry 1 \"Mon 08:00-25:00\": time \"25:00\": expected HH:MM between 00:00 and 23:59".into()),
            ),
            (
                "Mon 24:00-25:00",
                Err("entry 1 \"Mon 24:00-25:00\": time \"24:00\": expected HH:MM between 00:00 and 23:59".into()),
            ),
            (
                "Mon 8:5-9:00",
                Err("entry 1 \"Mon 8:5-9:00\": time \"8:5\": expected HH:MM between 00:00 and 23:59".into()),
            ),
            (
                "Mon 09:00-09:00",
                Err("entry 1 \"Mon 09:00-09:00\": time range \"09:00-09:00\": the end must differ from the start".into()),
            ),
            (
                "Mon 08:00-09:00; Mun 10:00-11:00",
                Err("entry 2 \"Mun 10:00-11:00\": day \"Mun\": expected Mon..Sun, a range such as Mon-Fri, or daily".into()),
            ),
            (
                "Mon 08:00-09:00 students=-3",
                Err("entry 1 \"Mon 08:00-09:00 students=-3\": \"students=-3\": the load must be a number ≥ 0".into()),
            ),
            (
                "Mon 08:00-09:00 students=3 groups=2",
                Err("entry 1 \"Mon 08:00-09:00 students=3 groups=2\": one load per session, found students and groups".into()),
            ),
            (
                "Mon 08:00-09:00 lots",
                Err("entry 1 \"Mon 08:00-09:00 lots\": \"lots\": expected UNIT=LOAD such as students=120".into()),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parsed(text), want, "{text:?}");
        }
    }
}

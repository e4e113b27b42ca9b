//! An iCalendar document (RFC 5545) read as a timetable: each `VEVENT` is a session, repeated by
//! its `RRULE`s and `RDATE`s, less its `EXDATE`s and the instances moved by a `RECURRENCE-ID`
//! override; `STATUS:CANCELLED` events are left out. `X-KEDARS-LOAD` gives an event's expected
//! load and `SUMMARY` its label.
//!
//! Times keep their wall-clock meaning: an event at 09:00 `Europe/London` is at 09:00 in summer
//! and in winter, and its end is its start plus the wall-clock length `DTEND − DTSTART` (or
//! `DURATION`). Times with `TZID` use that zone, times ending in `Z` are UTC, floating times and
//! dates use the trigger's `timezone`. An all-day event lasts its whole days.

use std::collections::HashSet;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use chrono_tz::Tz;
use icalendar::parser::{Component, Property, read_calendar, unfold};

use super::recur::{Calendar, Event};

/// A date-time value as written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum When {
    Utc(NaiveDateTime),
    Zoned(NaiveDateTime, Tz),
    Floating(NaiveDateTime),
    Date(NaiveDate),
}

impl When {
    /// The wall-clock time this value names in `zone` (dates: their midnight).
    pub fn wall_in(self, zone: Tz) -> NaiveDateTime {
        let instant = match self {
            When::Utc(n) => n.and_utc(),
            When::Zoned(n, tz) => super::session::instant(tz, n),
            When::Floating(n) => return n,
            When::Date(d) => return d.and_time(NaiveTime::MIN),
        };
        instant.with_timezone(&zone).naive_local()
    }
}

/// Parses a document; `zone` is the trigger's. Errors name the event and property, but quote
/// no value unless `show_values` (a document from a TriggerAuthentication is not shown).
pub fn parse(text: &str, zone: Tz, show_values: bool) -> Result<Calendar, String> {
    let unfolded = unfold(&text.replace("\r\n", "\n"));
    let document = read_calendar(unfolded.trim()).map_err(|e| {
        let first = e.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        match show_values {
            true => format!("an iCalendar document (BEGIN:VCALENDAR ... END:VCALENDAR): {first}"),
            false => "an iCalendar document (BEGIN:VCALENDAR ... END:VCALENDAR)".into(),
        }
    })?;
    let vevents: Vec<&Component> = document
        .components
        .iter()
        .filter(|c| c.name.as_str().eq_ignore_ascii_case("VEVENT"))
        .collect();
    let mut events = Vec::new();
    let mut moved = Vec::new();
    for (i, vevent) in vevents.iter().enumerate() {
        let read = VEvent {
            component: vevent,
            zone,
            show_values,
        };
        let event = read
            .event()
            .map_err(|why| format!("VEVENT {} ({}): {why}", i + 1, read.name()))?;
        if let Some(overridden) = read.recurrence_id()? {
            moved.push((read.text("UID"), overridden));
        }
        if !read.cancelled() {
            events.push((read.text("UID"), event));
        }
    }
    Ok(Calendar::new(apply_overrides(events, &moved)))
}

/// A `RECURRENCE-ID` override replaces one instance of the event with the same `UID`.
fn apply_overrides(
    events: Vec<(Option<String>, Event)>,
    moved: &[(Option<String>, When)],
) -> Vec<Event> {
    events
        .into_iter()
        .map(|(uid, mut event)| {
            if event.repeats() {
                for (_, when) in moved.iter().filter(|(u, _)| u.is_some() && *u == uid) {
                    event.exclude(*when);
                }
            }
            event
        })
        .collect()
}

struct VEvent<'a> {
    component: &'a Component<'a>,
    zone: Tz,
    show_values: bool,
}

impl VEvent<'_> {
    fn all(&self, name: &str) -> impl Iterator<Item = &Property<'_>> {
        self.component
            .properties
            .iter()
            .filter(move |p| p.name.as_str().eq_ignore_ascii_case(name))
    }

    fn one(&self, name: &str) -> Option<&Property<'_>> {
        self.all(name).next()
    }

    fn text(&self, name: &str) -> Option<String> {
        self.one(name).map(|p| p.val.as_str().trim().to_string())
    }

    /// How messages refer to the event: its summary when values may be shown.
    fn name(&self) -> String {
        match (self.show_values, self.text("SUMMARY")) {
            (true, Some(summary)) => format!("\"{summary}\""),
            _ => "no summary shown".into(),
        }
    }

    fn cancelled(&self) -> bool {
        self.text("STATUS")
            .is_some_and(|s| s.eq_ignore_ascii_case("CANCELLED"))
    }

    fn when(&self, property: &Property<'_>) -> Result<Vec<When>, String> {
        let tzid = param(property, "TZID");
        let date_only = param(property, "VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE"));
        property
            .val
            .as_str()
            .split(',')
            .map(|v| when(v.trim(), tzid.as_deref(), date_only))
            .collect::<Result<_, _>>()
            .map_err(|why| format!("{}: {why}", property.name.as_str()))
    }

    fn single_when(&self, name: &str) -> Result<Option<When>, String> {
        let Some(property) = self.one(name) else {
            return Ok(None);
        };
        Ok(self.when(property)?.first().copied())
    }

    fn recurrence_id(&self) -> Result<Option<When>, String> {
        self.single_when("RECURRENCE-ID")
    }

    fn event(&self) -> Result<Event, String> {
        let start = self.single_when("DTSTART")?.ok_or("DTSTART is required")?;
        let zone = match start {
            When::Utc(_) => Tz::UTC,
            When::Zoned(_, tz) => tz,
            When::Floating(_) | When::Date(_) => self.zone,
        };
        let wall = start.wall_in(zone);
        let mut event = Event::new(zone, wall, self.length(start, wall, zone)?);
        event.label = self
            .text("SUMMARY")
            .filter(|s| !s.is_empty())
            .map(Arc::from);
        event.load = self.load()?;
        for rule in self.all("RRULE") {
            event
                .add_rule(rule.val.as_str())
                .map_err(|why| self.rule_error(why))?;
        }
        for rdate in self.all("RDATE") {
            self.when(rdate)?
                .into_iter()
                .for_each(|w| event.add_date(w));
        }
        for exdate in self.all("EXDATE") {
            self.when(exdate)?
                .into_iter()
                .for_each(|w| event.exclude(w));
        }
        Ok(event)
    }

    fn rule_error(&self, why: String) -> String {
        match self.show_values {
            true => format!("RRULE: {why}"),
            false => "RRULE: not a valid recurrence rule".into(),
        }
    }

    /// The wall-clock length: `DTEND − DTSTART`, else `DURATION`, else a day for a date and
    /// nothing for a date-time (RFC 5545 §3.6.1).
    fn length(&self, start: When, wall: NaiveDateTime, zone: Tz) -> Result<TimeDelta, String> {
        if let Some(end) = self.single_when("DTEND")? {
            let length = end.wall_in(zone) - wall;
            return match length < TimeDelta::zero() {
                true => Err("DTEND is before DTSTART".into()),
                false => Ok(length),
            };
        }
        if let Some(text) = self.text("DURATION") {
            return duration(&text)
                .ok_or_else(|| "DURATION: expected an ISO 8601 duration such as PT1H30M".into());
        }
        Ok(match start {
            When::Date(_) => TimeDelta::days(1),
            _ => TimeDelta::zero(),
        })
    }

    fn load(&self) -> Result<Option<f64>, String> {
        let Some(text) = self.text("X-KEDARS-LOAD") else {
            return Ok(None);
        };
        text.parse::<f64>()
            .ok()
            .filter(|l| l.is_finite() && *l >= 0.0)
            .map(Some)
            .ok_or_else(|| "X-KEDARS-LOAD: expected a number ≥ 0".into())
    }
}

fn param(property: &Property<'_>, key: &str) -> Option<String> {
    property
        .params
        .iter()
        .find(|p| p.key.as_str().eq_ignore_ascii_case(key))
        .and_then(|p| p.val.as_ref())
        .map(|v| v.as_str().to_string())
}

/// A value without parameters, such as a rule's `UNTIL`.
pub fn when_of(value: &str, date_only: bool) -> Result<When, String> {
    when(value, None, date_only)
}

/// `20260302T080000`, `20260302T080000Z` or `20260302`, with the property's `TZID`.
fn when(value: &str, tzid: Option<&str>, date_only: bool) -> Result<When, String> {
    if date_only || value.len() == 8 {
        return NaiveDate::parse_from_str(value, "%Y%m%d")
            .map(When::Date)
            .map_err(|_| "expected a date such as 20260302".into());
    }
    let (text, utc) = match value.strip_suffix('Z') {
        Some(text) => (text, true),
        None => (value, false),
    };
    let naive = NaiveDateTime::parse_from_str(text, "%Y%m%dT%H%M%S")
        .map_err(|_| "expected a date-time such as 20260302T080000".to_string())?;
    Ok(match (utc, tzid) {
        (true, _) => When::Utc(naive),
        (false, Some(id)) => {
            // A leading `/` marks a globally unique id; the IANA name follows it.
            let name = id.trim_start_matches('/');
            let tz = Tz::from_str(name)
                .map_err(|_| format!("TZID \"{name}\" is not an IANA time zone"))?;
            When::Zoned(naive, tz)
        }
        (false, None) => When::Floating(naive),
    })
}

/// An ISO 8601 duration as RFC 5545 writes it: `P1W`, `P1DT2H`, `PT90M`, `PT1H30M15S`.
fn duration(text: &str) -> Option<TimeDelta> {
    let rest = text.strip_prefix('+').unwrap_or(text).strip_prefix('P')?;
    let (date, time) = rest.split_once('T').unwrap_or((rest, ""));
    let mut total = TimeDelta::zero();
    for (part, units) in [
        (date, &[('W', 7 * 86_400), ('D', 86_400)][..]),
        (time, &[('H', 3600), ('M', 60), ('S', 1)][..]),
    ] {
        let mut digits = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let (_, seconds) = units.iter().find(|(u, _)| *u == c)?;
            total += TimeDelta::seconds(digits.parse::<i64>().ok()? * seconds);
            digits.clear();
        }
        if !digits.is_empty() {
            return None;
        }
    }
    (!rest.is_empty() && rest != "T").then_some(total)
}

/// Dates and date-times excluded from an event, in its zone's wall-clock time.
#[derive(Debug, Clone, Default)]
pub struct Exclusions {
    pub times: HashSet<NaiveDateTime>,
    pub days: HashSet<NaiveDate>,
}

#[cfg(test)]
#[path = "ical_tests.rs"]
mod tests;

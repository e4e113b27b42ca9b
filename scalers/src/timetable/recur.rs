//! iCalendar events and their repetitions as a timetable [`Source`].
//!
//! The `rrule` crate expands the rules on the wall clock: it is given the wall times as if they
//! were UTC, which has no daylight-saving changes, and each wall time is then placed in the
//! event's zone by [`super::session::instant`], the rule inline slots follow too. (Handing the
//! zone to `rrule` would let it decide the gap and fold cases itself, differently.)

use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use rrule::{RRule, RRuleSet, Unvalidated};

use super::ical::{Exclusions, When};
use super::session::{MAX_SHIFT, Session, Source};

#[derive(Debug, Clone)]
pub struct Event {
    pub zone: Tz,
    start: NaiveDateTime,
    length: TimeDelta,
    rules: Option<RRuleSet>,
    dates: Vec<NaiveDateTime>,
    excluded: Exclusions,
    pub load: Option<f64>,
    pub label: Option<Arc<str>>,
}

/// A wall-clock time as `rrule` is given it.
fn as_utc(wall: NaiveDateTime) -> DateTime<rrule::Tz> {
    rrule::Tz::UTC.from_utc_datetime(&wall)
}

impl Event {
    pub fn new(zone: Tz, start: NaiveDateTime, length: TimeDelta) -> Event {
        Event {
            zone,
            start,
            length,
            rules: None,
            dates: Vec::new(),
            excluded: Exclusions::default(),
            load: None,
            label: None,
        }
    }

    pub fn repeats(&self) -> bool {
        self.rules.is_some() || !self.dates.is_empty()
    }

    /// Adds an `RRULE`. Its `UNTIL` is an instant (UTC) or a wall time; either becomes the wall
    /// time of the event's zone, like the rest of the expansion.
    pub fn add_rule(&mut self, text: &str) -> Result<(), String> {
        let mut rule: RRule<Unvalidated> =
            text.parse().map_err(|e: rrule::RRuleError| e.to_string())?;
        if let Some(until) = until_of(text)? {
            rule = rule.until(as_utc(self.until_wall(until)));
        }
        let start = as_utc(self.start);
        let rule = rule.validate(start).map_err(|e| e.to_string())?;
        let set = self.rules.take().unwrap_or_else(|| RRuleSet::new(start));
        self.rules = Some(set.rrule(rule));
        Ok(())
    }

    /// A date `UNTIL` includes its whole day.
    fn until_wall(&self, until: When) -> NaiveDateTime {
        match until {
            When::Date(d) => d.and_hms_opt(23, 59, 59).unwrap_or(self.start),
            other => other.wall_in(self.zone),
        }
    }

    /// Adds an `RDATE`; a date repeats the event at its start's time of day.
    pub fn add_date(&mut self, when: When) {
        self.dates.push(match when {
            When::Date(d) => d.and_time(self.start.time()),
            other => other.wall_in(self.zone),
        });
    }

    /// Adds an `EXDATE` (or the instance a `RECURRENCE-ID` moved); a date excludes its day.
    pub fn exclude(&mut self, when: When) {
        match when {
            When::Date(d) => self.excluded.days.insert(d),
            other => self.excluded.times.insert(other.wall_in(self.zone)),
        };
    }

    /// The wall-clock starts in `[from, to)`: `DTSTART` (always an instance, as RFC 5545 says,
    /// even where the rule would not produce it), the `RDATE`s and the rules' instances.
    fn starts(&self, from: NaiveDateTime, to: NaiveDateTime) -> Vec<NaiveDateTime> {
        let within = |w: &NaiveDateTime| *w >= from && *w < to;
        let mut walls: Vec<NaiveDateTime> = std::iter::once(self.start)
            .chain(self.dates.iter().copied())
            .filter(within)
            .collect();
        if let Some(rules) = &self.rules {
            // `limit` bounds the work on rules that (almost) never match.
            for at in &rules.clone().limit() {
                let wall = at.naive_utc();
                if wall >= to {
                    break;
                }
                if wall >= from {
                    walls.push(wall);
                }
            }
        }
        walls.sort_unstable();
        walls.dedup();
        walls.retain(|w| {
            !self.excluded.times.contains(w) && !self.excluded.days.contains(&w.date())
        });
        walls
    }
}

/// The `UNTIL` of a rule's text, read as any other date-time (RFC 5545 wants UTC when the start
/// has a zone, but floating values are common).
fn until_of(text: &str) -> Result<Option<When>, String> {
    let Some(value) = text.split(';').find_map(|part| {
        let (key, value) = part.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("UNTIL")
            .then_some(value.trim())
    }) else {
        return Ok(None);
    };
    let date = value.len() == 8;
    super::ical::when_of(value, date)
        .map(Some)
        .map_err(|why| format!("UNTIL: {why}"))
}

/// The events of a document.
#[derive(Debug, Clone)]
pub struct Calendar {
    events: Vec<Event>,
    longest: TimeDelta,
}

impl Calendar {
    pub fn new(events: Vec<Event>) -> Calendar {
        let longest = events.iter().map(|e| e.length).max().unwrap_or_default() + MAX_SHIFT;
        Calendar { events, longest }
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }
}

impl Source for Calendar {
    fn sessions(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Session> {
        let mut sessions = Vec::new();
        for event in &self.events {
            // Wall times either side of the range may still land in it across a change.
            let wall = |at: DateTime<Utc>| at.with_timezone(&event.zone).naive_local();
            for start in event.starts(wall(from) - MAX_SHIFT, wall(to) + MAX_SHIFT) {
                let walls = (start, start + event.length);
                let session =
                    Session::from_wall(event.zone, walls, event.load, event.label.clone());
                if session.start >= from && session.start < to {
                    sessions.push(session);
                }
            }
        }
        sessions
    }

    fn longest(&self) -> TimeDelta {
        self.longest
    }
}

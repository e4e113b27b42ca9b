//! The timetable trigger's metadata. `timezone` and one of `sessions` (weekly slots) or `ical`
//! (an iCalendar document) say when; `loadPerReplica` (value: the sessions' expected load) or
//! `desiredReplicas` (value: that count while a session is on, as cron) say how much;
//! `leadTime`, `lagTime`, `ramp`, `holidays` and `defaultLoad` are optional.
//!
//! `sessions`, `ical` and `holidays` may also come from a TriggerAuthentication (a ConfigMap
//! through `configMapTargetRef`, typically); the rest only from the trigger's metadata.

use std::str::FromStr;
use std::time::Duration;

use chrono::TimeDelta;
use chrono_tz::Tz;

use super::recur::Calendar;
use super::schedule::{Timetable, Value};
use super::session::Source;
use super::slots::{self, Weekly};
use super::{holidays, ical};
use crate::context::TriggerContext;
use crate::convert;
use crate::error::{ParamProblem, ParseError};
use crate::params::{Key, METADATA, Params, Source as Origin};

const SHARED: &[Origin] = &[Origin::Metadata, Origin::Auth];

const TIMEZONE: Key = Key::new(&["timezone"], METADATA);
const SESSIONS: Key = Key::new(&["sessions"], SHARED);
const ICAL: Key = Key::new(&["ical"], SHARED);
const HOLIDAYS: Key = Key::new(&["holidays"], SHARED);
const LEAD_TIME: Key = Key::new(&["leadTime"], METADATA);
const LAG_TIME: Key = Key::new(&["lagTime"], METADATA);
const RAMP: Key = Key::new(&["ramp"], METADATA);
const LOAD_PER_REPLICA: Key = Key::new(&["loadPerReplica"], METADATA);
const DESIRED_REPLICAS: Key = Key::new(&["desiredReplicas"], METADATA);
const DEFAULT_LOAD: Key = Key::new(&["defaultLoad"], METADATA);

#[derive(Debug)]
pub struct TimetableMetadata {
    /// As given (trimmed): it names the metric.
    pub timezone: String,
    /// The HPA's target: `loadPerReplica`, or 1 with `desiredReplicas`.
    pub target: f64,
    pub timetable: Timetable,
}

/// Where the sessions came from, before they become a [`Source`].
enum Parsed {
    Slots(Vec<slots::Slot>),
    Ical(Calendar),
}

/// Checks every parameter and reports everything wrong at once.
pub fn parse(ctx: &TriggerContext) -> Result<TimetableMetadata, ParseError> {
    let mut params = Params::new(ctx);
    let timezone = params.required_string(&TIMEZONE);
    let zone = timezone
        .as_ref()
        .and_then(|_| params.parse(&TIMEZONE, time_zone));
    let sessions = zone.and_then(|zone| source(&mut params, zone));
    let timing = timing(&mut params);
    let holidays = params.parse(&HOLIDAYS, holidays::parse).unwrap_or_default();
    let value = value(&mut params);
    if let (Some(sessions), Some((value, _))) = (&sessions, value) {
        check_loads(&mut params, sessions, value);
    }
    let built = match (timezone, zone, sessions, value) {
        (Some(timezone), Some(zone), Some(sessions), Some((value, target))) => {
            let source: Box<dyn Source> = match sessions {
                Parsed::Slots(slots) => Box::new(Weekly { zone, slots }),
                Parsed::Ical(calendar) => Box::new(calendar),
            };
            let mut timetable = Timetable::new(zone, source, value);
            (timetable.lead, timetable.lag, timetable.ramp) = timing;
            timetable.holidays = holidays;
            Some(TimetableMetadata {
                timezone,
                target,
                timetable,
            })
        }
        _ => None,
    };
    params.finish()?;
    // Every `None` above recorded a problem, so `finish` has failed already; no panic regardless.
    built.ok_or_else(|| ParseError {
        trigger_type: ctx.trigger_type.clone(),
        problems: vec![ParamProblem::Other("incomplete timetable metadata".into())],
    })
}

/// `leadTime`, `lagTime` and `ramp`, which only makes sense with a lead time.
fn timing(params: &mut Params<'_>) -> (TimeDelta, TimeDelta, u32) {
    // A lead time given but unreadable is reported once, not again through the ramp.
    let lead = match params.is_set(&LEAD_TIME) {
        true => params.parse(&LEAD_TIME, duration),
        false => Some(Duration::ZERO),
    };
    let lag = params.parse(&LAG_TIME, duration).unwrap_or_default();
    let ramp = params.parse(&RAMP, steps).unwrap_or(1);
    if ramp > 1 && lead.is_some_and(|l| l.is_zero()) {
        params.invalid(
            &RAMP,
            "1 without a leadTime: the ramp is spread over the lead time",
        );
    }
    (delta(lead.unwrap_or_default()), delta(lag), ramp)
}

/// Exactly one of `sessions` and `ical`.
fn source(params: &mut Params<'_>, zone: Tz) -> Option<Parsed> {
    match (params.find(&SESSIONS), params.find(&ICAL)) {
        (Some(_), Some(_)) => {
            params.problem("give the sessions either inline (\"sessions\") or as an iCalendar document (\"ical\"), not both");
            None
        }
        (Some(_), None) => params
            .parse(&SESSIONS, |v| {
                slots::parse(v).map_err(|why| format!("{}: {why}", SESSIONS_FORM))
            })
            .map(Parsed::Slots),
        (None, Some(found)) => {
            let show = found.source == Origin::Metadata;
            params
                .parse(&ICAL, |v| ical_calendar(v, zone, show))
                .map(Parsed::Ical)
        }
        (None, None) => {
            params.problem("missing required parameter \"sessions\" or \"ical\" in [triggerMetadata authParams]");
            None
        }
    }
}

const SESSIONS_FORM: &str =
    "weekly sessions such as \"Mon,Wed 08:00-09:30 students=120; Fri 14:00-16:00\"";

fn ical_calendar(text: &str, zone: Tz, show: bool) -> Result<Calendar, String> {
    let calendar = ical::parse(text, zone, show)?;
    match calendar.events().is_empty() {
        true => Err("an iCalendar document with at least one VEVENT".into()),
        false => Ok(calendar),
    }
}

/// Exactly one of `loadPerReplica` and `desiredReplicas`: the value and the HPA's target.
fn value(params: &mut Params<'_>) -> Option<(Value, f64)> {
    let default_load = params.parse(&DEFAULT_LOAD, non_negative);
    match (
        params.is_set(&LOAD_PER_REPLICA),
        params.is_set(&DESIRED_REPLICAS),
    ) {
        (true, true) => {
            params.problem("give either \"loadPerReplica\" (the sessions' loads scale) or \"desiredReplicas\" (a fixed count, as cron), not both");
            None
        }
        (true, false) => {
            let per_replica = params.parse(&LOAD_PER_REPLICA, positive)?;
            Some((Value::Load { default_load }, per_replica))
        }
        (false, true) => {
            if default_load.is_some() {
                params.invalid(
                    &DEFAULT_LOAD,
                    "no defaultLoad with desiredReplicas: loads need loadPerReplica",
                );
            }
            let replicas = params.parse(&DESIRED_REPLICAS, |v| {
                convert::int(v)
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| "a positive integer such as 4".to_string())
            })?;
            Some((Value::Replicas(replicas), 1.0))
        }
        (false, false) => {
            params.problem("missing required parameter \"loadPerReplica\" or \"desiredReplicas\" in [triggerMetadata]");
            None
        }
    }
}

/// With loads, every session needs one (or `defaultLoad`); with `desiredReplicas`, none may
/// have one, since it would be ignored.
fn check_loads(params: &mut Params<'_>, sessions: &Parsed, value: Value) {
    let loads: Vec<(String, Option<f64>)> = match sessions {
        Parsed::Slots(slots) => slots
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("entry {}", i + 1), s.load))
            .collect(),
        Parsed::Ical(calendar) => calendar
            .events()
            .iter()
            .enumerate()
            .map(|(i, e)| (format!("VEVENT {}", i + 1), e.load))
            .collect(),
    };
    let key = match sessions {
        Parsed::Slots(_) => &SESSIONS,
        Parsed::Ical(_) => &ICAL,
    };
    let (with, without): (Vec<_>, Vec<_>) = loads.into_iter().partition(|(_, load)| load.is_some());
    let names = |list: &[(String, Option<f64>)]| {
        list.iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match value {
        Value::Load { default_load: None } if !without.is_empty() => params.invalid(
            key,
            format!("a load for every session with loadPerReplica (UNIT=LOAD inline, X-KEDARS-LOAD in iCalendar) or a defaultLoad; none for {}", names(&without)),
        ),
        Value::Replicas(_) if !with.is_empty() => params.invalid(
            key,
            format!("no loads with desiredReplicas (use loadPerReplica to scale with them); found one for {}", names(&with)),
        ),
        _ => {}
    }
}

fn time_zone(name: &str) -> Result<Tz, String> {
    Tz::from_str(name)
        .map_err(|_| "an IANA time zone name such as Europe/London or Etc/UTC".to_string())
}

/// A Go duration with its unit (`15m`, `1h30m`): a bare number would read as milliseconds.
fn duration(text: &str) -> Result<Duration, String> {
    const EXPECTED: &str = "a duration with a unit, such as 15m or 1h30m";
    if text.bytes().all(|b| b.is_ascii_digit()) && text != "0" {
        return Err(EXPECTED.into());
    }
    convert::duration(text).map_err(|_| EXPECTED.into())
}

fn steps(text: &str) -> Result<u32, String> {
    text.parse::<u32>()
        .ok()
        .filter(|n| (1..=100).contains(n))
        .ok_or_else(|| "a whole number of steps from 1 to 100".into())
}

fn positive(text: &str) -> Result<f64, String> {
    convert::float(text)
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
        .ok_or_else(|| "a number above 0 such as 40".into())
}

fn non_negative(text: &str) -> Result<f64, String> {
    convert::float(text)
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| "a number ≥ 0 such as 30".into())
}

fn delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}

//! A timetable's reading at any instant: the sessions of its source, less holidays, each asking
//! for capacity from its lead time before the start until its lag after the end. A pure function
//! of `now`; the sessions of each week are kept once computed, which changes nothing but speed.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use super::holidays::Holidays;
use super::session::{Session, Source};
use crate::quantity::MilliQuantity;
use crate::scaler::Reading;
use crate::time_based::{Change, Span, differs};

/// Sessions are computed and kept a week at a time.
const CHUNK: TimeDelta = TimeDelta::days(7);
/// Weeks kept: a simulation moves forward; a check looks at a few.
const CHUNKS_KEPT: usize = 16;
/// How far ahead `next_changes` looks, as cron's look-ahead does.
const HORIZON: TimeDelta = TimeDelta::days(400);

/// What the reading is made of.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// The sum of the open sessions' loads; a session without one weighs `default_load`.
    Load { default_load: Option<f64> },
    /// `desiredReplicas` while any session is open, as cron does; overlaps do not add.
    Replicas(i64),
}

#[derive(Debug)]
pub struct Timetable {
    pub zone: Tz,
    pub source: Box<dyn Source>,
    pub lead: TimeDelta,
    pub lag: TimeDelta,
    /// Steps from the first share of the load to all of it over the lead time (1: all at once).
    pub ramp: u32,
    pub holidays: Holidays,
    pub value: Value,
    chunks: Mutex<BTreeMap<i64, Arc<[Session]>>>,
}

impl Timetable {
    pub fn new(zone: Tz, source: Box<dyn Source>, value: Value) -> Timetable {
        Timetable {
            zone,
            source,
            lead: TimeDelta::zero(),
            lag: TimeDelta::zero(),
            ramp: 1,
            holidays: Holidays::default(),
            value,
            chunks: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn reading(&self, now: DateTime<Utc>) -> Reading {
        let mut total = 0.0_f64;
        let mut widest = 0.0_f64;
        let mut open = false;
        for session in self.running(now) {
            if let Some(share) = self.share(&session, now) {
                open = true;
                widest = widest.max(share);
                if let Value::Load { default_load } = self.value {
                    total += session.load.or(default_load).unwrap_or(0.0) * share;
                }
            }
        }
        let raw = match self.value {
            Value::Load { .. } => total,
            Value::Replicas(replicas) => replicas as f64 * widest,
        };
        Reading {
            raw,
            value: MilliQuantity::from_f64(raw),
            active: open,
        }
    }

    /// The sessions whose window may contain `now`.
    fn running(&self, now: DateTime<Utc>) -> Vec<Session> {
        let back = self.source.longest() + self.lag;
        self.sessions(now - back, now + self.lead + TimeDelta::nanoseconds(1))
    }

    /// The share of a session's load asked for at `now`, if its window `[start − lead,
    /// end + lag)` contains it. During the lead time the ramp's step `k` (from 1) asks for `k/N`
    /// of it, so all of it is asked for one step before the start.
    fn share(&self, session: &Session, now: DateTime<Utc>) -> Option<f64> {
        let ready = session.start - self.lead;
        if now < ready || now >= session.end + self.lag {
            return None;
        }
        let lead = self.lead.num_milliseconds();
        if now >= session.start || lead <= 0 {
            return Some(1.0);
        }
        let ramp = i64::from(self.ramp);
        let step = ((now - ready).num_milliseconds() * ramp / lead + 1).min(ramp);
        Some(step as f64 / ramp as f64)
    }

    /// Where a session's share can change: each ramp step, the start, the end of its lag. A
    /// step begins at the first millisecond whose step number reaches it, hence the ceiling.
    fn breakpoints(&self, session: &Session) -> Vec<DateTime<Utc>> {
        let ready = session.start - self.lead;
        let (lead, ramp) = (self.lead.num_milliseconds(), i64::from(self.ramp));
        let steps =
            (0..ramp).map(|k| ready + TimeDelta::milliseconds((lead * k + ramp - 1) / ramp));
        steps
            .chain([session.start, session.end + self.lag])
            .collect()
    }

    pub fn next_changes(&self, after: DateTime<Utc>, n: usize) -> Vec<Change> {
        let mut changes = Vec::new();
        let mut current = self.reading(after);
        let mut cursor = after;
        while changes.len() < n && cursor < after + HORIZON {
            let end = cursor + CHUNK;
            let back = self.source.longest() + self.lag;
            let mut points: Vec<_> = self
                .sessions(cursor - back, end + self.lead + TimeDelta::nanoseconds(1))
                .iter()
                .flat_map(|s| self.breakpoints(s))
                .filter(|p| *p > cursor && *p <= end)
                .collect();
            points.sort_unstable();
            points.dedup();
            for at in points {
                let reading = self.reading(at);
                if differs(&reading, &current) && changes.len() < n {
                    changes.push(Change { at, reading });
                }
                current = reading;
            }
            cursor = end;
        }
        changes
    }

    pub fn spans(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Span> {
        let back = self.source.longest() + self.lag;
        let clip = |at: DateTime<Utc>| at.clamp(from, to);
        let mut spans: Vec<Span> = self
            .sessions(from - back, to + self.lead)
            .into_iter()
            .filter(|s| s.end + self.lag > from && s.start - self.lead < to)
            .map(|s| Span {
                label: s.label.as_deref().map(str::to_string),
                ready_from: clip(s.start - self.lead),
                start: clip(s.start),
                end: clip(s.end),
                until: clip(s.end + self.lag),
            })
            .collect();
        spans.sort_by_key(|s| s.ready_from);
        spans
    }

    /// Sessions starting in `[from, to)` and not on a holiday.
    fn sessions(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Session> {
        let mut found = Vec::new();
        for k in chunk_of(from)..=chunk_of(to) {
            let chunk = self.chunk(k);
            found.extend(
                chunk
                    .iter()
                    .filter(|s| s.start >= from && s.start < to)
                    .cloned(),
            );
        }
        found
    }

    fn chunk(&self, k: i64) -> Arc<[Session]> {
        let mut chunks = self.chunks.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sessions) = chunks.get(&k) {
            return sessions.clone();
        }
        let from = DateTime::UNIX_EPOCH + CHUNK * i32::try_from(k).unwrap_or(i32::MAX);
        let sessions: Arc<[Session]> = self
            .source
            .sessions(from, from + CHUNK)
            .into_iter()
            .filter(|s| {
                !self
                    .holidays
                    .contains(s.start.with_timezone(&self.zone).date_naive())
            })
            .collect();
        if chunks.len() >= CHUNKS_KEPT {
            // Forget the week farthest from this one: time moves on.
            if let Some(farthest) = chunks.keys().copied().max_by_key(|key| (key - k).abs()) {
                chunks.remove(&farthest);
            }
        }
        chunks.insert(k, sessions.clone());
        sessions
    }
}

fn chunk_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(CHUNK.num_seconds())
}

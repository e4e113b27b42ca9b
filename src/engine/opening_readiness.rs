//! Was capacity in place when a time-based trigger's window opened, and how late was it? Pure,
//! with time as an input: the caller observes the target's ready replicas at each poll and
//! hands each observation over with the openings due since the previous one.
//!
//! An opening is due at its lead-time instant (a timetable session's start less its lead time;
//! a cron window's start) and asks for the replicas the trigger's value at the session's start
//! gives. It is served at the first observation with at least that many replicas ready — at the
//! due instant itself when they were ready already just before it — and missed when its window
//! closes first. Lateness is measured at polls, so it is an upper bound within one polling
//! interval.

use chrono::{DateTime, TimeDelta, Utc};
use kedars_scalers::{MetricType, TimeBased};

/// How far ahead a window's end is looked for; a longer window ends here as far as lateness is
/// concerned (capacity not ready after two days is missed).
const HORIZON: TimeDelta = TimeDelta::days(2);

/// One window opening: when capacity is due and how much.
#[derive(Debug, Clone, PartialEq)]
pub struct Opening {
    /// The lead-time instant.
    pub due: DateTime<Utc>,
    /// The session's start (`due` for cron).
    pub start: DateTime<Utc>,
    /// When the window stops asking (its end plus lag time).
    pub until: DateTime<Utc>,
    pub desired: i32,
}

/// The target's ready replicas at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    pub at: DateTime<Utc>,
    pub ready: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Served {
    /// Ready at `at`, `late` after the opening was due (zero: ready already).
    Ready { at: DateTime<Utc>, late: TimeDelta },
    /// The window closed before the replicas were ready.
    Missed,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub opening: Opening,
    pub served: Served,
}

/// The most recent opening, and its verdict once there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct Latest {
    pub opening: Opening,
    pub served: Option<Served>,
}

/// The openings of one trigger between observations.
#[derive(Debug, Default)]
pub struct Tracker {
    last: Option<Observation>,
    pending: Vec<Opening>,
    latest: Option<Latest>,
}

impl Tracker {
    /// Records `seen` and judges what it can. `openings` may hold any openings; only those due
    /// in `(previous observation, seen]` count: openings before the first observation are not
    /// known to have been watched (an operator starting mid-window has no say on them).
    pub fn observe(&mut self, seen: Observation, openings: &[Opening]) -> Vec<Verdict> {
        let Some(previous) = self.last.replace(seen) else {
            return Vec::new();
        };
        let mut verdicts = Vec::new();
        let due = openings
            .iter()
            .filter(|o| o.due > previous.at && o.due <= seen.at);
        for opening in due {
            let judged = verdicts
                .iter()
                .any(|v: &Verdict| v.opening.due == opening.due);
            if judged || self.pending.iter().any(|p| p.due == opening.due) {
                continue;
            }
            if self
                .latest
                .as_ref()
                .is_none_or(|l| l.opening.due < opening.due)
            {
                self.latest = Some(Latest {
                    opening: opening.clone(),
                    served: None,
                });
            }
            if previous.ready >= opening.desired && seen.ready >= opening.desired {
                verdicts.push(Verdict {
                    opening: opening.clone(),
                    served: Served::Ready {
                        at: opening.due,
                        late: TimeDelta::zero(),
                    },
                });
            } else {
                self.pending.push(opening.clone());
            }
        }
        self.pending.retain(|opening| {
            let served = if seen.ready >= opening.desired {
                Served::Ready {
                    at: seen.at,
                    late: (seen.at - opening.due).max(TimeDelta::zero()),
                }
            } else if seen.at >= opening.until {
                Served::Missed
            } else {
                return true;
            };
            verdicts.push(Verdict {
                opening: opening.clone(),
                served,
            });
            false
        });
        for verdict in &verdicts {
            if let Some(latest) = self
                .latest
                .as_mut()
                .filter(|l| l.opening.due == verdict.opening.due)
            {
                latest.served = Some(verdict.served.clone());
            }
        }
        verdicts
    }

    pub fn latest(&self) -> Option<&Latest> {
        self.latest.as_ref()
    }

    /// When the previous observation was made.
    pub fn last_observed(&self) -> Option<DateTime<Utc>> {
        self.last.map(|o| o.at)
    }
}

/// What a trigger's metric asks of the HPA.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ask {
    pub metric_type: MetricType,
    pub target: f64,
    /// The ScaledObject's `maxReplicaCount`: the HPA never goes above it.
    pub max_replicas: i32,
}

impl Ask {
    /// The replicas `value` asks for: the HPA's `ceil(value / target)` for an `AverageValue`
    /// metric. A `Value` metric names no replica count of its own (the HPA multiplies by the
    /// current replicas), so none.
    pub fn replicas(&self, value: f64) -> Option<i32> {
        if self.metric_type != MetricType::AverageValue || self.target <= 0.0 {
            return None;
        }
        // Milli-precision values: a quotient a rounding error above an integer is that integer.
        let replicas = (value / self.target - 1e-9).ceil();
        (replicas >= 1.0).then(|| replicas.min(f64::from(self.max_replicas)) as i32)
    }
}

/// The openings of `schedule` due in `(after, upto]`, each asking for the replicas its value at
/// the session's start gives (overlapping sessions included). Openings due at the same instant
/// are one.
pub fn openings(
    schedule: &dyn TimeBased,
    ask: Ask,
    after: DateTime<Utc>,
    upto: DateTime<Utc>,
) -> Vec<Opening> {
    let mut found: Vec<Opening> = Vec::new();
    // Spans are clipped to the range: one due exactly at `upto` ends past it, and one clipped
    // at `after` opened before it.
    let clipped = schedule.spans(after, upto + TimeDelta::seconds(1));
    for due in clipped.iter().map(|s| s.ready_from) {
        if due <= after || due > upto || found.iter().any(|o| o.due == due) {
            continue;
        }
        // The whole window, from just before it opens: a window already open then starts
        // (clipped) earlier and is told apart.
        let whole: Vec<_> = schedule
            .spans(due - TimeDelta::milliseconds(1), due + HORIZON)
            .into_iter()
            .filter(|s| s.ready_from == due)
            .collect();
        let (Some(start), Some(until)) = (
            whole.iter().map(|s| s.start).min(),
            whole.iter().map(|s| s.until).max(),
        ) else {
            continue;
        };
        let value = schedule.reading_at(start).value.as_f64();
        if let Some(desired) = ask.replicas(value) {
            found.push(Opening {
                due,
                start,
                until,
                desired,
            });
        }
    }
    found
}

#[cfg(test)]
#[path = "opening_readiness_tests.rs"]
mod tests;

//! The cron window as a [`TimeBased`] schedule: its openings and closings ahead, and its windows
//! for charts. KEDA's rule for activity is untouched; this only walks it.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::CronScaler;
use crate::scaler::Reading;
use crate::time_based::{Change, Span, TimeBased};

/// Transitions asked of the window at a time while walking a range for charts.
const BATCH: usize = 64;

impl TimeBased for CronScaler {
    fn zone(&self) -> Tz {
        self.metadata().window.zone
    }

    fn reading_at(&self, now: DateTime<Utc>) -> Reading {
        self.reading(now)
    }

    fn next_changes(&self, after: DateTime<Utc>, n: usize) -> Vec<Change> {
        self.metadata()
            .window
            .next_transitions(after, n)
            .into_iter()
            .map(|(at, _)| Change {
                at,
                reading: self.reading(at),
            })
            .collect()
    }

    fn spans(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Span> {
        let window = &self.metadata().window;
        let mut spans = Vec::new();
        let mut open = window.is_active(from).then_some(from);
        let mut cursor = from;
        while cursor < to {
            let batch = window.next_transitions(cursor, BATCH);
            let Some(&(last, _)) = batch.last() else {
                break;
            };
            for (at, opens) in batch.into_iter().take_while(|(at, _)| *at < to) {
                match (opens, open) {
                    (true, None) => open = Some(at),
                    (false, Some(start)) => {
                        spans.push(span(start, at));
                        open = None;
                    }
                    _ => {}
                }
            }
            cursor = last;
        }
        spans.extend(open.map(|start| span(start, to)));
        spans
    }
}

fn span(start: DateTime<Utc>, end: DateTime<Utc>) -> Span {
    Span {
        label: None,
        ready_from: start,
        start,
        end,
        until: end,
    }
}

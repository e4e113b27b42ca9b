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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::TriggerContext;

    fn scaler(start: &str, end: &str) -> CronScaler {
        let ctx = TriggerContext::new("cron", 0).with_metadata([
            ("timezone", "Asia/Kolkata"),
            ("start", start),
            ("end", end),
            ("desiredReplicas", "10"),
        ]);
        CronScaler::new(&ctx).unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn changes_carry_the_reading() {
        let s = scaler("0 6 * * *", "0 20 * * *");
        let got: Vec<_> = s
            .next_changes(utc("2026-01-15T12:00:00+05:30"), 2)
            .into_iter()
            .map(|c| (c.at, c.reading.raw, c.reading.active))
            .collect();
        assert_eq!(
            got,
            [
                (utc("2026-01-15T20:00:00+05:30"), 0.0, false),
                (utc("2026-01-16T06:00:00+05:30"), 10.0, true),
            ]
        );
        assert_eq!(s.zone(), chrono_tz::Asia::Kolkata);
    }

    #[test]
    fn spans_are_clipped_to_the_range() {
        let s = scaler("0 6 * * *", "0 20 * * *");
        let t = |text: &str| utc(&format!("2026-01-{text}+05:30"));
        let got: Vec<_> = s
            .spans(t("15T12:00:00"), t("17T07:00:00"))
            .into_iter()
            .map(|s| (s.start, s.end))
            .collect();
        assert_eq!(
            got,
            [
                // open at the start of the range
                (t("15T12:00:00"), t("15T20:00:00")),
                (t("16T06:00:00"), t("16T20:00:00")),
                // still open at its end
                (t("17T06:00:00"), t("17T07:00:00")),
            ]
        );
        // every five minutes for a day: more windows than one batch of transitions
        let busy = scaler("*/5 * * * *", "1-59/5 * * * *");
        assert_eq!(busy.spans(t("15T00:00:00"), t("16T00:00:00")).len(), 288);
    }
}

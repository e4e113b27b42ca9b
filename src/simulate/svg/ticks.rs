//! Where the axes are labelled: round local times, round values.

use chrono::{DateTime, Duration, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Ticks at round local times: the smallest spacing that gives at most 14 of them.
pub fn time_ticks(
    zone: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, String)> {
    let range = to - from;
    let spacing = [1, 2, 3, 6, 12, 24, 48, 168]
        .into_iter()
        .map(Duration::hours)
        .find(|s| range.num_seconds() / s.num_seconds() <= 14)
        .unwrap_or(Duration::days(28));
    let wall_of = |at: DateTime<Utc>| at.with_timezone(&zone).naive_local();
    let mut wall: NaiveDateTime = wall_of(from).date().and_time(NaiveTime::MIN);
    let mut ticks = Vec::new();
    while wall <= wall_of(to) {
        // A tick in a daylight-saving gap is dropped rather than moved.
        let at = zone.from_local_datetime(&wall).earliest();
        if let Some(at) = at.map(|t| t.with_timezone(&Utc)).filter(|t| *t >= from) {
            let daily = spacing >= Duration::days(1) || wall.time() == NaiveTime::MIN;
            let format = if daily { "%a %d %b" } else { "%H:%M" };
            ticks.push((at, wall.format(format).to_string()));
        }
        wall += spacing;
    }
    ticks
}

/// Round values up to `y_max`: 1, 2 or 5 times a power of ten apart, about five of them.
pub fn value_ticks(y_max: f64) -> Vec<f64> {
    let rough = y_max / 5.0;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= rough)
        .unwrap_or(rough)
        .max(1e-9);
    (0..)
        .map(|k| k as f64 * step)
        .take_while(|v| *v <= y_max)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn local_times() {
        let shanghai = chrono_tz::Asia::Shanghai;
        // six hours: every hour, labelled in Shanghai time
        let ticks = time_ticks(
            shanghai,
            utc("2026-03-02T07:00:00+08:00"),
            utc("2026-03-02T13:00:00+08:00"),
        );
        let labels: Vec<&str> = ticks.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            labels,
            [
                "07:00", "08:00", "09:00", "10:00", "11:00", "12:00", "13:00"
            ]
        );
        // a week: every twelve hours, midnights named by their day
        let ticks = time_ticks(
            shanghai,
            utc("2026-03-02T00:00:00+08:00"),
            utc("2026-03-09T00:00:00+08:00"),
        );
        assert_eq!(
            (ticks.len(), ticks[0].1.as_str(), ticks[1].1.as_str()),
            (15, "Mon 02 Mar", "12:00")
        );
        // New York's spring-forward night: 02:00 does not exist and gets no tick
        let ny = chrono_tz::America::New_York;
        let ticks = time_ticks(
            ny,
            utc("2026-03-08T00:00:00-05:00"),
            utc("2026-03-08T06:00:00-04:00"),
        );
        let labels: Vec<&str> = ticks.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            labels,
            ["Sun 08 Mar", "01:00", "03:00", "04:00", "05:00", "06:00"]
        );
    }

    #[test]
    fn round_values() {
        assert_eq!(value_ticks(8.8), [0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(value_ticks(230.0), [0.0, 50.0, 100.0, 150.0, 200.0]);
        assert_eq!(value_ticks(1.1), [0.0, 0.5, 1.0]);
    }
}

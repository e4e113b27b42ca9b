//! KEDA's cron metric name: `s<i>-cron-<timezone>-<start'>-<end'>`, where a schedule is made
//! name-safe by `parseCronTimeFormat` and the whole by `NormalizeString`. Existing HPAs and
//! dashboards refer to these names, so they are reproduced exactly.

use crate::metric_name::with_index;

/// The metric name for a trigger at `index` with the raw (trimmed) metadata values.
pub fn metric_name(index: usize, timezone: &str, start: &str, end: &str) -> String {
    with_index(
        index,
        &format!(
            "cron-{timezone}-{}-{}",
            schedule_part(start),
            schedule_part(end)
        ),
    )
}

/// KEDA's `parseCronTimeFormat`: spaces dropped, then `*`→`x`, `/`→`Sl`, `?`→`Qm`, `,`→`Cm`.
fn schedule_part(schedule: &str) -> String {
    schedule
        .replace(' ', "")
        .replace('*', "x")
        .replace('/', "Sl")
        .replace('?', "Qm")
        .replace(',', "Cm")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let cases: &[(usize, &str, &str, &str, &str)] = &[
            // KEDA's cron_scaler_test.go, first example
            (
                0,
                "Etc/UTC",
                "0 0 * * Thu",
                "59 23 * * Thu",
                "s0-cron-Etc-UTC-00xxThu-5923xxThu",
            ),
            // second: steps and ranges
            (
                1,
                "Etc/UTC",
                "0 */2 * * *",
                "0 1-23/2 * * *",
                "s1-cron-Etc-UTC-0xSl2xxx-01-23Sl2xxx",
            ),
            // third: lists
            (
                2,
                "Etc/UTC",
                "0,30 * * * *",
                "15,45 * * * *",
                "s2-cron-Etc-UTC-0Cm30xxxx-15Cm45xxxx",
            ),
            // ? and a zone with an underscore
            (
                0,
                "America/New_York",
                "0 6 ? * *",
                "0 20 ? * *",
                "s0-cron-America-New_York-06Qmxx-020Qmxx",
            ),
            // a TZ= prefix: its slash becomes Sl before normalisation, = is kept
            (
                3,
                "Etc/UTC",
                "TZ=Europe/London 0 6 * * *",
                "0 20 * * *",
                "s3-cron-Etc-UTC-TZ=EuropeSlLondon06xxx-020xxx",
            ),
        ];
        for (index, tz, start, end, want) in cases {
            assert_eq!(
                metric_name(*index, tz, start, end),
                *want,
                "{start} / {end}"
            );
        }
    }
}

//! The cron trigger's metadata (KEDA §5.4): `timezone`, `start`, `end`, `desiredReplicas`, all
//! required, all from trigger metadata only.

use std::str::FromStr;

use chrono_tz::Tz;

use super::schedule::Schedule;
use super::window::Window;
use crate::context::TriggerContext;
use crate::error::{ParamProblem, ParseError};
use crate::params::{Key, METADATA, Params};

const TIMEZONE: Key = Key::new(&["timezone"], METADATA);
const START: Key = Key::new(&["start"], METADATA);
const END: Key = Key::new(&["end"], METADATA);
const DESIRED_REPLICAS: Key = Key::new(&["desiredReplicas"], METADATA);

const SCHEDULE: &str = "a 5-field cron schedule (minute hour day-of-month month day-of-week)";

#[derive(Debug, Clone, PartialEq)]
pub struct CronMetadata {
    /// The raw values (trimmed), as KEDA keeps them for the metric name.
    pub timezone: String,
    pub start: String,
    pub end: String,
    /// Served while the window is open; a negative count is accepted and served as 0.
    pub desired_replicas: i64,
    pub window: Window,
}

/// Checks every parameter and reports everything wrong at once. Unlike KEDA, which loads the
/// zone at every poll, a bad `timezone` is an error here, when the trigger is built.
pub fn parse(ctx: &TriggerContext) -> Result<CronMetadata, ParseError> {
    let mut params = Params::new(ctx);
    let timezone = params.required_string(&TIMEZONE);
    let zone = timezone
        .as_ref()
        .and_then(|_| params.parse(&TIMEZONE, time_zone));
    let start = schedule(&mut params, &START);
    let end = schedule(&mut params, &END);
    let desired = required_int(&mut params, &DESIRED_REPLICAS);
    if let (Some((raw_start, _)), Some((raw_end, _))) = (&start, &end)
        && raw_start == raw_end
    {
        params.problem(format!(
            "start and end can not have exactly same time input: both are \"{raw_start}\""
        ));
    }
    if desired == Some(0) {
        params.problem(
            "no desiredReplicas specified: parameter \"desiredReplicas\" value \"0\" is invalid: \
             expected a non-zero integer",
        );
    }
    let built = match (timezone, zone, start, end, desired) {
        (Some(timezone), Some(zone), Some((start, from)), Some((end, to)), Some(desired)) => {
            Some(CronMetadata {
                timezone,
                start,
                end,
                desired_replicas: desired,
                window: Window {
                    zone,
                    start: from,
                    end: to,
                },
            })
        }
        _ => None,
    };
    params.finish()?;
    // Every `None` above recorded a problem, so `finish` has failed already; no panic regardless.
    built.ok_or_else(|| ParseError {
        trigger_type: ctx.trigger_type.clone(),
        problems: vec![ParamProblem::Other("incomplete cron metadata".into())],
    })
}

fn required_int(params: &mut Params<'_>, key: &Key) -> Option<i64> {
    if !params.is_set(key) {
        params.missing(key);
        return None;
    }
    params.int(key)
}

/// A required schedule: its raw text and its parsed form.
fn schedule(params: &mut Params<'_>, key: &Key) -> Option<(String, Schedule)> {
    let raw = params.required_string(key)?;
    let parsed = params.parse(key, |v| {
        Schedule::from_str(v).map_err(|why| format!("{SCHEDULE}: {why}"))
    })?;
    Some((raw, parsed))
}

fn time_zone(name: &str) -> Result<Tz, String> {
    Tz::from_str(name)
        .map_err(|_| "an IANA time zone name such as Europe/London or Etc/UTC".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &[(&str, &str)] = &[
        ("timezone", "Asia/Kolkata"),
        ("start", "0 6 * * *"),
        ("end", "0 20 * * *"),
        ("desiredReplicas", "10"),
    ];

    /// The docs' example with one key replaced, or removed when `value` is `None`.
    fn with(key: &str, value: Option<&str>) -> TriggerContext {
        let mut ctx = TriggerContext::new("cron", 0).with_metadata(OK.iter().copied());
        match value {
            Some(v) => ctx.metadata.insert(key.into(), v.into()),
            None => ctx.metadata.remove(key),
        };
        ctx
    }

    fn missing(key: &str) -> String {
        format!("missing required parameter \"{key}\" in [triggerMetadata]")
    }

    fn invalid(key: &str, value: &str, expected: &str) -> String {
        format!("parameter \"{key}\" value \"{value}\" is invalid: expected {expected}")
    }

    fn bad_schedule(key: &str, value: &str, why: &str) -> String {
        invalid(key, value, &format!("{SCHEDULE}: {why}"))
    }

    #[test]
    fn parse_table() {
        const TZ: &str = "an IANA time zone name such as Europe/London or Etc/UTC";
        const INT: &str = "an integer such as 5";
        let cases: Vec<(&str, Option<&str>, Result<i64, String>)> = vec![
            // the docs' example, unchanged
            ("desiredReplicas", Some("10"), Ok(10)),
            // a negative count is accepted (served as 0)
            ("desiredReplicas", Some("-1"), Ok(-1)),
            // values are trimmed
            ("start", Some("  0 6 * * *  "), Ok(10)),
            // a TZ= prefix gives the schedule its own zone
            ("start", Some("TZ=Europe/London 0 6 * * *"), Ok(10)),
            // same times, different strings: accepted (and always active)
            ("end", Some("0 6 * * 0-6"), Ok(10)),
            // UTC by its short name
            ("timezone", Some("UTC"), Ok(10)),
            // each key is required
            ("timezone", None, Err(missing("timezone"))),
            ("start", None, Err(missing("start"))),
            ("end", None, Err(missing("end"))),
            ("desiredReplicas", None, Err(missing("desiredReplicas"))),
            // an empty value counts as absent
            ("timezone", Some(" "), Err(missing("timezone"))),
            // an unknown zone fails here (KEDA accepts it and fails at every poll)
            (
                "timezone",
                Some("Mars/Olympus"),
                Err(invalid("timezone", "Mars/Olympus", TZ)),
            ),
            // a minute out of range: robfig's reason after what was expected
            (
                "start",
                Some("61 * * * *"),
                Err(bad_schedule(
                    "start",
                    "61 * * * *",
                    "minute field \"61\": end of range (61) above maximum (59): 61",
                )),
            ),
            // a seconds field, as robfig configured by KEDA rejects
            (
                "end",
                Some("0 0 20 * * *"),
                Err(bad_schedule("end", "0 0 20 * * *", "found 6 fields")),
            ),
            // descriptors are not accepted
            (
                "start",
                Some("@hourly"),
                Err(bad_schedule(
                    "start",
                    "@hourly",
                    "descriptors such as @hourly are not accepted",
                )),
            ),
            // identical raw strings
            (
                "end",
                Some("0 6 * * *"),
                Err("start and end can not have exactly same time input: \
                both are \"0 6 * * *\""
                    .into()),
            ),
            // zero replicas
            (
                "desiredReplicas",
                Some("0"),
                Err("no desiredReplicas specified: parameter \
                \"desiredReplicas\" value \"0\" is invalid: expected a non-zero integer"
                    .into()),
            ),
            // not a number
            (
                "desiredReplicas",
                Some("abc"),
                Err(invalid("desiredReplicas", "abc", INT)),
            ),
            // not an integer (KEDA's JSON grammar)
            (
                "desiredReplicas",
                Some("5.0"),
                Err(invalid("desiredReplicas", "5.0", INT)),
            ),
        ];
        for (key, value, want) in cases {
            let got = parse(&with(key, value)).map(|m| m.desired_replicas);
            let got = got.map_err(|e| e.to_string());
            let want = want.map_err(|e| format!("error parsing cron metadata: {e}"));
            assert_eq!(got, want, "{key} = {value:?}");
        }
    }

    #[test]
    fn every_problem_is_listed() {
        let err = parse(&TriggerContext::new("cron", 0))
            .unwrap_err()
            .to_string();
        let keys = ["timezone", "start", "end", "desiredReplicas"];
        let all: Vec<String> = keys.iter().map(|k| missing(k)).collect();
        assert_eq!(
            err,
            format!("error parsing cron metadata: {}", all.join("; "))
        );
    }

    #[test]
    fn keeps_raw_values_and_zone() {
        let m = parse(&with("timezone", Some(" America/New_York "))).unwrap();
        assert_eq!(
            (m.timezone.as_str(), m.start.as_str()),
            ("America/New_York", "0 6 * * *")
        );
        assert_eq!(m.window.zone, chrono_tz::America::New_York);
    }
}

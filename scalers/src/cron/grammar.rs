//! One cron field, in the grammar of robfig/cron v3 as KEDA configures it (`Minute | Hour | Dom |
//! Month | Dow`): `*` and `?`, numbers, ranges `a-b`, steps `x/n` (a single `a/n` means
//! `a-max/n`), comma lists, and three-letter month and weekday names in their own fields. Nothing
//! else: no `L`, `W`, `#`, no `7` for Sunday, so a schedule accepted here is accepted by KEDA.

const MONTHS: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// One field's bounds and the names it accepts (`names[i]` stands for `min + i`).
pub struct Bounds {
    field: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

impl Bounds {
    const fn new(field: &'static str, min: u32, max: u32, names: &'static [&'static str]) -> Self {
        Bounds {
            field,
            min,
            max,
            names,
        }
    }
}

pub const MINUTE: Bounds = Bounds::new("minute", 0, 59, &[]);
pub const HOUR: Bounds = Bounds::new("hour", 0, 23, &[]);
pub const DAY: Bounds = Bounds::new("day-of-month", 1, 31, &[]);
pub const MONTH: Bounds = Bounds::new("month", 1, 12, MONTHS);
pub const WEEKDAY: Bounds = Bounds::new("day-of-week", 0, 6, WEEKDAYS);

/// robfig's `getField`: one field's values as a bit set (the union of its comma-separated
/// ranges), and whether any range was a star.
pub fn field(text: &str, bounds: &Bounds) -> Result<(u64, bool), String> {
    let mut bits = 0;
    let mut star = false;
    for item in text.split(',') {
        let (item_bits, item_star) = range(item, bounds)
            .map_err(|why| format!("{} field \"{text}\": {why}", bounds.field))?;
        bits |= item_bits;
        star |= item_star;
    }
    Ok((bits, star))
}

/// robfig's `getRange`, with its messages. Stricter on two typos robfig lets through: an empty
/// list item (robfig skips it) and `*-5` (robfig reads it as `*`).
fn range(expr: &str, bounds: &Bounds) -> Result<(u64, bool), String> {
    let mut parts = expr.split('/');
    let span = parts.next().unwrap_or_default();
    let step = parts.next();
    if parts.next().is_some() {
        return Err(format!("too many slashes: {expr}"));
    }
    let (start, mut end, mut star) = if span == "*" || span == "?" {
        (bounds.min, bounds.max, true)
    } else {
        let (low, high) = match span.split_once('-') {
            None => (span, None),
            Some((_, high)) if high.contains('-') => {
                return Err(format!("too many hyphens: {expr}"));
            }
            Some((low, high)) => (low, Some(high)),
        };
        let low = value(low, bounds)?;
        (
            low,
            high.map(|h| value(h, bounds)).transpose()?.unwrap_or(low),
            false,
        )
    };
    let step = match step {
        None => 1,
        Some(step) => {
            if !star && !span.contains('-') {
                end = bounds.max; // "N/step" means "N-max/step"
            }
            number(step)?
        }
    };
    star &= step == 1;
    check(expr, start, end, step, bounds)?;
    let bits = (start..=end)
        .step_by(step as usize)
        .fold(0, |acc, v| acc | 1 << v);
    Ok((bits, star))
}

fn check(expr: &str, start: u32, end: u32, step: u32, bounds: &Bounds) -> Result<(), String> {
    if start < bounds.min {
        Err(format!(
            "beginning of range ({start}) below minimum ({}): {expr}",
            bounds.min
        ))
    } else if end > bounds.max {
        Err(format!(
            "end of range ({end}) above maximum ({}): {expr}",
            bounds.max
        ))
    } else if start > end {
        Err(format!(
            "beginning of range ({start}) beyond end of range ({end}): {expr}"
        ))
    } else if step == 0 {
        Err(format!("step of range should be a positive number: {expr}"))
    } else {
        Ok(())
    }
}

/// A number, or (in the month and weekday fields) a three-letter name, case-insensitively.
fn value(text: &str, bounds: &Bounds) -> Result<u32, String> {
    match bounds
        .names
        .iter()
        .position(|n| n.eq_ignore_ascii_case(text))
    {
        Some(i) => Ok(bounds.min + i as u32),
        None => number(text),
    }
}

fn number(text: &str) -> Result<u32, String> {
    text.parse::<u32>()
        .map_err(|_| format!("failed to parse int from {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(spec: &str) -> Result<(), String> {
        let parts: Vec<&str> = spec.split_whitespace().collect();
        let bounds = [&MINUTE, &HOUR, &DAY, &MONTH, &WEEKDAY];
        for (part, bounds) in parts.iter().zip(bounds) {
            field(part, bounds)?;
        }
        Ok(())
    }

    #[test]
    fn grammar() {
        let cases: &[(&str, &str)] = &[
            // plain; "" means accepted
            ("0 6 * * *", ""),
            // weekday name (KEDA's test)
            ("0 0 * * Thu", ""),
            // stepped range
            ("0 1-23/2 * * *", ""),
            // robfig: N/step means N-max/step
            ("5/15 * * * *", ""),
            // lists, ?, case-insensitive names
            ("0,30 * ? JAN-mar MON-FRI", ""),
            // robfig accepts ? in any field
            ("? ? * * *", ""),
            (
                "61 * * * *",
                "minute field \"61\": end of range (61) above maximum (59): 61",
            ),
            (
                "0 24 * * *",
                "hour field \"24\": end of range (24) above maximum (23): 24",
            ),
            (
                "0 0 0 * *",
                "day-of-month field \"0\": beginning of range (0) below minimum (1): 0",
            ),
            // no 7 for Sunday
            (
                "0 0 * * 7",
                "day-of-week field \"7\": end of range (7) above maximum (6): 7",
            ),
            // no L (croner would accept it)
            (
                "0 0 L * *",
                "day-of-month field \"L\": failed to parse int from L",
            ),
            // no # (croner would accept it)
            (
                "0 0 * * 1#2",
                "day-of-week field \"1#2\": failed to parse int from 1#2",
            ),
            // names only where they belong
            (
                "Mon * * * *",
                "minute field \"Mon\": failed to parse int from Mon",
            ),
            (
                "*/0 * * * *",
                "minute field \"*/0\": step of range should be a positive number: */0",
            ),
            (
                "5-1 * * * *",
                "minute field \"5-1\": beginning of range (5) beyond end of range (1): 5-1",
            ),
            (
                "1-2-3 * * * *",
                "minute field \"1-2-3\": too many hyphens: 1-2-3",
            ),
            (
                "*/2/3 * * * *",
                "minute field \"*/2/3\": too many slashes: */2/3",
            ),
            // a star with a bound (robfig reads it as a plain star)
            (
                "*-5 * * * *",
                "minute field \"*-5\": failed to parse int from *",
            ),
            // an empty list item (robfig skips it)
            (
                "1,,2 * * * *",
                "minute field \"1,,2\": failed to parse int from ",
            ),
        ];
        for (spec, want) in cases {
            assert_eq!(parse(spec).err().unwrap_or_default(), *want, "{spec}");
        }
    }
}

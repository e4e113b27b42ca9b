//! The `holidays` parameter: local dates and inclusive ranges, separated by commas, semicolons or
//! new lines: `2026-04-03, 2026-05-01..2026-05-05`. A session is cancelled when its start falls on
//! a holiday in the trigger's `timezone`, lead time included.

use chrono::NaiveDate;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Holidays(Vec<(NaiveDate, NaiveDate)>);

impl Holidays {
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.0
            .iter()
            .any(|(from, to)| (*from..=*to).contains(&date))
    }
}

pub fn parse(text: &str) -> Result<Holidays, String> {
    let mut ranges = Vec::new();
    for item in text
        .split([',', ';', '\n'])
        .map(str::trim)
        .filter(|i| !i.is_empty())
    {
        let (from, to) = match item.split_once("..") {
            Some((from, to)) => (date(from.trim())?, date(to.trim())?),
            None => (date(item)?, date(item)?),
        };
        if to < from {
            return Err(format!("range \"{item}\" ends before it starts"));
        }
        ranges.push((from, to));
    }
    Ok(Holidays(ranges))
}

fn date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        format!("\"{text}\": dates as YYYY-MM-DD and ranges as YYYY-MM-DD..YYYY-MM-DD")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn parsing_and_membership() {
        let h = parse("2026-04-03, 2026-05-01..2026-05-05\n2026-12-25;").unwrap();
        let cases = [
            ("2026-04-03", true),  // a single date
            ("2026-04-04", false), // the day after
            ("2026-05-01", true),  // a range's first day
            ("2026-05-05", true),  // and its last, inclusive
            ("2026-05-06", false), // past it
            ("2026-12-25", true),  // after a new line
        ];
        for (date, want) in cases {
            assert_eq!(h.contains(d(date)), want, "{date}");
        }
        assert_eq!(parse("").unwrap(), Holidays::default());
    }

    #[test]
    fn errors() {
        let dates = "dates as YYYY-MM-DD and ranges as YYYY-MM-DD..YYYY-MM-DD";
        let cases = [
            ("2026-02-30", format!("\"2026-02-30\": {dates}")), // no such date
            ("03/04/2026", format!("\"03/04/2026\": {dates}")), // not ISO
            (
                "2026-05-05..2026-05-01",
                "range \"2026-05-05..2026-05-01\" ends before it starts".to_string(),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text).unwrap_err(), want, "{text}");
        }
    }
}

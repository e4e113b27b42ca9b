//! A recorded or synthetic trace for the triggers whose values come from a source: CSV rows
//! `timestamp,trigger,value`, where `trigger` is a trigger's name or its index and `value` a
//! number, or `error` for a source that failed. A value holds until the trigger's next row.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kedars_scalers::{MetricSpec, Reading, Scaler, ScalerError, TriggerContext};

/// One trace row: from `at` on, the trigger's source says `value` (`None`: it fails).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub at: DateTime<Utc>,
    pub trigger: String,
    pub value: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    pub rows: Vec<Row>,
}

/// Parses the CSV text. A first line naming the columns, blank lines and `#` comments are
/// skipped; errors name the line.
pub fn parse(text: &str) -> Result<Trace, String> {
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || (n == 0 && line.starts_with("timestamp")) {
            continue;
        }
        rows.push(row(line).map_err(|why| format!("line {}: {why}", n + 1))?);
    }
    // Stable: rows at one instant keep their order, so the last one wins.
    rows.sort_by_key(|r| r.at);
    Ok(Trace { rows })
}

fn row(line: &str) -> Result<Row, String> {
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    let [at, trigger, value] = fields[..] else {
        return Err(format!(
            "expected timestamp,trigger,value; found {} fields",
            fields.len()
        ));
    };
    let at = DateTime::parse_from_rfc3339(at)
        .map_err(|_| format!("\"{at}\": expected an RFC 3339 time such as 2026-03-02T08:00:00Z"))?
        .with_timezone(&Utc);
    let value = match value {
        v if v.eq_ignore_ascii_case("error") => None,
        v => Some(
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| format!("\"{v}\": expected a number, or error"))?,
        ),
    };
    Ok(Row {
        at,
        trigger: trigger.to_string(),
        value,
    })
}

impl Trace {
    /// The rows of the trigger at `index` named `name`, in time order.
    pub fn of(&self, index: usize, name: Option<&str>) -> Vec<(DateTime<Utc>, Option<f64>)> {
        let index = index.to_string();
        self.rows
            .iter()
            .filter(|r| r.trigger == index || Some(r.trigger.as_str()) == name)
            .map(|r| (r.at, r.value))
            .collect()
    }
}

/// A trigger's scaler replaced by its trace: same metric, values from the rows.
pub struct TraceScaler {
    trigger_type: &'static str,
    specs: Vec<MetricSpec>,
    points: Arc<[(DateTime<Utc>, Option<f64>)]>,
    activation: f64,
}

impl TraceScaler {
    /// `spec` is the metric the real scaler would feed the HPA. Activity is `value > threshold`
    /// with the trigger's `activation…` parameter (every KEDA scaler names its threshold so),
    /// else 0.
    pub fn new(
        ctx: &TriggerContext,
        spec: MetricSpec,
        points: Vec<(DateTime<Utc>, Option<f64>)>,
    ) -> TraceScaler {
        let trigger_type = kedars_scalers::KNOWN_TYPES
            .iter()
            .find(|t| **t == ctx.trigger_type)
            .copied()
            .unwrap_or("trace");
        let activation = ctx
            .metadata
            .iter()
            .filter(|(k, _)| k.starts_with("activation"))
            .find_map(|(_, v)| v.trim().parse::<f64>().ok())
            .unwrap_or(0.0);
        TraceScaler {
            trigger_type,
            specs: vec![spec],
            points: points.into(),
            activation,
        }
    }

    fn error(&self, message: &str) -> ScalerError {
        ScalerError::Query {
            scaler: self.trigger_type,
            message: message.to_string(),
        }
    }
}

#[async_trait]
impl Scaler for TraceScaler {
    fn trigger_type(&self) -> &'static str {
        self.trigger_type
    }

    fn metric_specs(&self) -> &[MetricSpec] {
        &self.specs
    }

    async fn metrics_and_activity(
        &self,
        _metric: &str,
        now: DateTime<Utc>,
    ) -> Result<Reading, ScalerError> {
        let seen = self.points.partition_point(|(at, _)| *at <= now);
        match seen.checked_sub(1).map(|i| self.points[i].1) {
            None => Err(self.error("the trace has no value for this trigger yet")),
            Some(None) => Err(self.error("the trace says the source failed")),
            Some(Some(value)) => Ok(Reading::above(value, self.activation)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kedars_scalers::{MetricType, MilliQuantity};

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn parsing() {
        let trace = parse(
            "timestamp,trigger,value\n# a comment\n\n2026-03-02T08:10:00Z, queue, 12\n\
             2026-03-02T08:00:00+00:00,1,ERROR\n",
        )
        .unwrap();
        assert_eq!(
            trace.of(1, Some("queue")),
            vec![
                (utc("2026-03-02T08:00:00Z"), None),
                (utc("2026-03-02T08:10:00Z"), Some(12.0))
            ]
        );
        assert_eq!(trace.of(0, None), vec![]);
        let cases = [
            (
                "2026-03-02T08:00:00Z,q",
                "line 1: expected timestamp,trigger,value; found 2 fields",
            ),
            (
                "08:00,q,1",
                "line 1: \"08:00\": expected an RFC 3339 time such as 2026-03-02T08:00:00Z",
            ),
            (
                "2026-03-02T08:00:00Z,q,lots",
                "line 1: \"lots\": expected a number, or error",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text).unwrap_err(), want);
        }
    }

    #[tokio::test]
    async fn values_hold_until_the_next_row() {
        let ctx = TriggerContext::new("redis", 0).with_metadata([("activationListLength", "5")]);
        let spec = MetricSpec {
            name: "s0-redis-q".into(),
            target: MilliQuantity::from_integer(10),
            metric_type: MetricType::AverageValue,
        };
        let points = vec![
            (utc("2026-03-02T08:00:00Z"), Some(3.0)),
            (utc("2026-03-02T08:10:00Z"), Some(30.0)),
            (utc("2026-03-02T08:20:00Z"), None),
        ];
        let s = TraceScaler::new(&ctx, spec, points);
        assert_eq!(s.trigger_type(), "redis");
        let at = |t: &str| s.metrics_and_activity("s0-redis-q", utc(t));
        assert!(
            at("2026-03-02T07:59:59Z").await.is_err(),
            "no value before the first row"
        );
        let r = at("2026-03-02T08:09:59Z").await.unwrap();
        assert_eq!(
            (r.raw, r.active),
            (3.0, false),
            "held; below activationListLength"
        );
        let r = at("2026-03-02T08:10:00Z").await.unwrap();
        assert_eq!((r.raw, r.active), (30.0, true));
        let err = at("2026-03-02T08:30:00Z").await.unwrap_err();
        assert_eq!(err.to_string(), "redis: the trace says the source failed");
    }
}

//! Between the engine's poll results and the wire: exactly the metrics the HPA may ask for, with
//! the value or the error in-process serving would give, and back again on the metrics-server.

use chrono::{DateTime, Utc};
use kedars_scalers::MilliQuantity;

use super::proto::{self, metric_value::Result as WireResult};
use crate::controller::hpa::COMPOSITE_METRIC_NAME;
use crate::engine::scaled_object::{MetricError, ServedMetric};
use crate::engine::state::{ObjectKey, ObjectState};
use crate::engine::target::PollReport;

/// What one poll makes servable, as [`crate::engine::scaled_object::ScaledObjectRuntime::serve`]
/// would answer: with scalingModifiers only the composite metric, otherwise one per trigger
/// (the fallback value when fallback is active).
pub fn object_values(report: &PollReport) -> proto::ObjectValues {
    proto::ObjectValues {
        namespace: report.key.namespace.clone(),
        name: report.key.name.clone(),
        metrics: metric_values(&report.state, report.at.timestamp()),
    }
}

fn metric_values(state: &ObjectState, timestamp_seconds: i64) -> Vec<proto::MetricValue> {
    let wire = |name: &str, result: Result<MilliQuantity, String>| proto::MetricValue {
        name: name.to_string(),
        result: Some(match result {
            Ok(value) => WireResult::Quantity(value.to_string()),
            Err(message) => WireResult::Error(message),
        }),
        timestamp_seconds,
    };
    if let Some(composite) = &state.composite {
        return vec![wire(COMPOSITE_METRIC_NAME, composite.value.clone())];
    }
    state
        .triggers
        .iter()
        .map(|t| {
            let result = t.value.ok_or_else(|| t.error.clone().unwrap_or_default());
            wire(&t.metric_name, result)
        })
        .collect()
}

pub fn key_of(values: &proto::ObjectValues) -> ObjectKey {
    ObjectKey::new(&values.namespace, &values.name)
}

/// One metric as the metrics-server keeps it: decoded once on arrival, served many times.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldMetric {
    pub name: String,
    pub value: Result<MilliQuantity, String>,
    pub timestamp: DateTime<Utc>,
}

pub fn held(values: &proto::ObjectValues) -> Vec<HeldMetric> {
    values
        .metrics
        .iter()
        .map(|m| HeldMetric {
            name: m.name.clone(),
            value: match &m.result {
                Some(WireResult::Quantity(text)) => parse_quantity(text)
                    .ok_or_else(|| format!("the operator sent an unreadable quantity {text:?}")),
                Some(WireResult::Error(message)) => Err(message.clone()),
                None => Err("the operator sent no value".to_string()),
            },
            timestamp: DateTime::from_timestamp(m.timestamp_seconds, 0).unwrap_or_default(),
        })
        .collect()
}

/// The HPA's request for one metric, with the errors (and messages) of in-process serving.
pub fn serve(metrics: &[HeldMetric], metric_name: &str) -> Result<ServedMetric, MetricError> {
    let metric = metrics
        .iter()
        .find(|m| m.name.eq_ignore_ascii_case(metric_name))
        .ok_or_else(|| MetricError::NoSuchMetric(metric_name.to_string()))?;
    match &metric.value {
        Ok(value) => Ok(ServedMetric {
            metric_name: metric.name.clone(),
            value: *value,
            timestamp: metric.timestamp,
        }),
        Err(message) => Err(MetricError::Source {
            metric: metric_name.to_string(),
            message: message.clone(),
        }),
    }
}

/// Reads the canonical quantities [`MilliQuantity`] prints ("0", "1500m", "3", "15k", ...).
pub fn parse_quantity(text: &str) -> Option<MilliQuantity> {
    const SUFFIXES: [(&str, i128); 7] = [
        ("m", 1),
        ("k", 1_000_000),
        ("M", 1_000_000_000),
        ("G", 1_000_000_000_000),
        ("T", 1_000_000_000_000_000),
        ("P", 1_000_000_000_000_000_000),
        ("E", 1_000_000_000_000_000_000_000),
    ];
    let (digits, scale) = SUFFIXES
        .iter()
        .find_map(|(suffix, scale)| Some((text.strip_suffix(suffix)?, *scale)))
        .unwrap_or((text, 1000));
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let milli = digits.parse::<i128>().ok()?.checked_mul(scale)?;
    Some(MilliQuantity::from_milli(milli))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::fallback::Health;
    use crate::engine::state::{CompositeState, TriggerState};
    use kedars_scalers::MetricType;

    #[test]
    fn quantities_read_back_what_they_print() {
        let millis: [i128; 9] = [
            0,
            1,
            1500,
            3000,
            15_000_000,
            123_456,
            1_000_000_000_000_000_000_000,
            i128::MAX,
            i128::from(i64::MAX) * 1000,
        ];
        for milli in millis {
            let quantity = MilliQuantity::from_milli(milli);
            assert_eq!(
                parse_quantity(&quantity.to_string()),
                Some(quantity),
                "{quantity}"
            );
        }
    }

    #[test]
    fn unreadable_quantities_are_refused() {
        for text in ["", "m", "1.5", "-3", "3Ki", "k3", "1 k"] {
            assert_eq!(parse_quantity(text), None, "{text:?}");
        }
    }

    fn trigger(metric_name: &str, value: Option<f64>, error: Option<&str>) -> TriggerState {
        TriggerState {
            index: 0,
            name: None,
            trigger_type: "redis".into(),
            metric_name: metric_name.into(),
            metric_type: MetricType::AverageValue,
            target: MilliQuantity::from_integer(5),
            value: value.map(MilliQuantity::from_f64),
            raw: None,
            active: false,
            error: error.map(String::from),
            fallback_active: false,
            health: Health::default(),
            queried_at: None,
            latency: None,
        }
    }

    fn report(state: ObjectState) -> PollReport {
        PollReport {
            key: ObjectKey::new("classroom", "lectures"),
            at: DateTime::from_timestamp(1_800_000_000, 500_000_000).unwrap(),
            state,
            current_replicas: Ok(1),
            decision: Default::default(),
            scaled: None,
            last_active_time: None,
            loop_latency: std::time::Duration::ZERO,
        }
    }

    fn wire(name: &str, result: WireResult) -> proto::MetricValue {
        proto::MetricValue {
            name: name.into(),
            result: Some(result),
            timestamp_seconds: 1_800_000_000,
        }
    }

    #[test]
    fn a_poll_sends_each_triggers_value_or_error() {
        let state = ObjectState {
            triggers: vec![
                trigger("s0-redis-queue", Some(12.0), None),
                // Fallback active: the value is served even though the source failed.
                trigger("s1-mysql-rows", Some(3.0), Some("timeout")),
                trigger("s2-prometheus", None, Some("connection refused")),
            ],
            ..Default::default()
        };
        let values = object_values(&report(state));
        assert_eq!(
            (values.namespace.as_str(), values.name.as_str()),
            ("classroom", "lectures")
        );
        assert_eq!(
            values.metrics,
            [
                wire("s0-redis-queue", WireResult::Quantity("12".into())),
                wire("s1-mysql-rows", WireResult::Quantity("3".into())),
                wire(
                    "s2-prometheus",
                    WireResult::Error("connection refused".into())
                ),
            ]
        );
    }

    #[test]
    fn with_scaling_modifiers_only_the_composite_is_sent() {
        let composite = |value| CompositeState {
            value,
            target: MilliQuantity::from_integer(4),
            metric_type: MetricType::AverageValue,
        };
        let mut state = ObjectState {
            triggers: vec![trigger("s0-redis-queue", Some(12.0), None)],
            composite: Some(composite(Ok(MilliQuantity::from_f64(4.75)))),
            ..Default::default()
        };
        let values = object_values(&report(state.clone()));
        assert_eq!(
            values.metrics,
            [wire(
                "composite-metric",
                WireResult::Quantity("4750m".into())
            )]
        );
        state.composite = Some(composite(Err("division by zero".into())));
        let values = object_values(&report(state));
        assert_eq!(
            values.metrics,
            [wire(
                "composite-metric",
                WireResult::Error("division by zero".into())
            )]
        );
    }

    fn held_metric(name: &str, value: Result<f64, &str>) -> HeldMetric {
        HeldMetric {
            name: name.into(),
            value: value.map(MilliQuantity::from_f64).map_err(String::from),
            timestamp: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
        }
    }

    #[test]
    fn serving_matches_in_process_errors() {
        let metrics = [
            held_metric("s0-redis-jobs", Ok(1.5)),
            held_metric("s1-mysql", Err("connection refused")),
        ];
        let served = serve(&metrics, "S0-Redis-Jobs").unwrap();
        assert_eq!(served.metric_name, "s0-redis-jobs");
        assert_eq!(served.value.to_string(), "1500m");
        assert_eq!(
            serve(&metrics, "s1-mysql").unwrap_err().to_string(),
            "metric:s1-mysql encountered error: connection refused"
        );
        assert_eq!(
            serve(&metrics, "s2-nope").unwrap_err(),
            MetricError::NoSuchMetric("s2-nope".into())
        );
    }
}

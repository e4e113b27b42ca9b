//! The `cpu` and `memory` triggers (KEDA `cpu_memory_scaler.go`): never polled, they become
//! Resource (or, with `containerName`, ContainerResource) metrics the HPA reads from the
//! metrics-server.

use std::fmt;

use crate::api::ScaleTrigger;

/// Trigger types handled here rather than by a scaler.
pub const TYPES: &[&str] = &["cpu", "memory"];

pub fn is_resource_trigger(trigger_type: &str) -> bool {
    TYPES.contains(&trigger_type)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceTarget {
    /// Percent of the pods' request.
    Utilization(i32),
    /// A quantity per pod, as written (`500m`, `1Gi`).
    AverageValue(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceMetric {
    /// `cpu` or `memory`.
    pub resource: String,
    /// Set ⇒ a ContainerResource metric for that container only.
    pub container: Option<String>,
    pub target: ResourceTarget,
}

/// Why a cpu/memory trigger is unusable; the message names the field and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceTriggerError(pub String);

impl fmt::Display for ResourceTriggerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ResourceTriggerError {}

pub fn parse(trigger: &ScaleTrigger) -> Result<ResourceMetric, ResourceTriggerError> {
    let kind = trigger.type_.as_str();
    let fail = |message: String| Err(ResourceTriggerError(format!("{kind} trigger: {message}")));
    if trigger.metadata.contains_key("type") {
        return fail(
            "metadata \"type\" is deprecated and no longer supported: use the trigger's \
             metricType"
                .into(),
        );
    }
    let Some(value) = trigger
        .metadata
        .get("value")
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
    else {
        return fail("missing required metadata \"value\"".into());
    };
    let target = match trigger.metric_type.as_deref().unwrap_or("") {
        "Utilization" => match value.parse::<i32>() {
            Ok(percent) if percent > 0 => ResourceTarget::Utilization(percent),
            _ => {
                return fail(format!(
                    "metadata \"value\" value \"{value}\" is invalid: expected a whole \
                     percentage above 0 for metricType Utilization"
                ));
            }
        },
        "AverageValue" => {
            if !is_quantity(value) {
                return fail(format!(
                    "metadata \"value\" value \"{value}\" is invalid: expected a quantity such \
                     as 500m or 1Gi for metricType AverageValue"
                ));
            }
            ResourceTarget::AverageValue(value.to_string())
        }
        other => {
            return fail(format!(
                "metricType \"{other}\" is invalid: expected Utilization or AverageValue"
            ));
        }
    };
    let container = trigger
        .metadata
        .get("containerName")
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    Ok(ResourceMetric {
        resource: kind.to_string(),
        container,
        target,
    })
}

/// Kubernetes' quantity grammar: a signed decimal number, then an optional binary suffix
/// (Ki..Ei), decimal SI suffix (n, u, m, k, M, G, T, P, E) or decimal exponent (`e3`).
pub fn is_quantity(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let number_len = unsigned
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(unsigned.len());
    let (number, suffix) = unsigned.split_at(number_len);
    let digits = number.replace('.', "");
    let valid_number = !digits.is_empty() && number.matches('.').count() <= 1;
    let valid_suffix = match suffix {
        "" | "n" | "u" | "m" | "k" | "M" | "G" | "T" | "P" | "E" => true,
        "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => true,
        exponent => exponent
            .strip_prefix(['e', 'E'])
            .map(|e| e.strip_prefix(['+', '-']).unwrap_or(e))
            .is_some_and(|e| !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())),
    };
    valid_number && valid_suffix
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trigger(kind: &str, metric_type: Option<&str>, metadata: &[(&str, &str)]) -> ScaleTrigger {
        ScaleTrigger {
            type_: kind.into(),
            metric_type: metric_type.map(str::to_string),
            metadata: metadata
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..ScaleTrigger::default()
        }
    }

    #[test]
    fn parse_table() {
        let cases: Vec<(&str, ScaleTrigger, Result<ResourceMetric, &str>)> = vec![
            (
                "cpu utilization",
                trigger("cpu", Some("Utilization"), &[("value", "60")]),
                Ok(ResourceMetric {
                    resource: "cpu".into(),
                    container: None,
                    target: ResourceTarget::Utilization(60),
                }),
            ),
            (
                "memory average value for one container",
                trigger(
                    "memory",
                    Some("AverageValue"),
                    &[("value", "512Mi"), ("containerName", "app")],
                ),
                Ok(ResourceMetric {
                    resource: "memory".into(),
                    container: Some("app".into()),
                    target: ResourceTarget::AverageValue("512Mi".into()),
                }),
            ),
            (
                "no metricType",
                trigger("cpu", None, &[("value", "60")]),
                Err("metricType \"\" is invalid: expected Utilization or AverageValue"),
            ),
            (
                "Value is not allowed",
                trigger("cpu", Some("Value"), &[("value", "60")]),
                Err("metricType \"Value\" is invalid"),
            ),
            (
                "missing value",
                trigger("cpu", Some("Utilization"), &[]),
                Err("missing required metadata \"value\""),
            ),
            (
                "deprecated type key",
                trigger(
                    "memory",
                    Some("Utilization"),
                    &[("type", "Utilization"), ("value", "1")],
                ),
                Err("metadata \"type\" is deprecated"),
            ),
            (
                "utilization not an integer",
                trigger("cpu", Some("Utilization"), &[("value", "60%")]),
                Err("value \"60%\" is invalid"),
            ),
            (
                "average value not a quantity",
                trigger("memory", Some("AverageValue"), &[("value", "lots")]),
                Err("value \"lots\" is invalid: expected a quantity"),
            ),
        ];
        for (what, trigger, want) in cases {
            match (parse(&trigger), want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{what}"),
                (Err(e), Err(fragment)) => assert!(e.0.contains(fragment), "{what}: {e}"),
                (got, want) => panic!("{what}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn quantities() {
        for ok in [
            "1", "500m", "1.5", "1Gi", "128Mi", "2k", "1e3", "1E-2", "+3", ".5", "0",
        ] {
            assert!(is_quantity(ok), "{ok}");
        }
        for bad in ["", "m", "1.2.3", "1GB", "1 Gi", "abc", "1e", "Gi"] {
            assert!(!is_quantity(bad), "{bad}");
        }
    }
}

//! Conditions on ScaledObjects and ScaledJobs (KEDA's `condition_types.go`): no timestamps, and
//! the four initial ones in KEDA's order.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub const READY: &str = "Ready";
pub const ACTIVE: &str = "Active";
pub const FALLBACK: &str = "Fallback";
pub const PAUSED: &str = "Paused";
pub const HPA_ACTIVE: &str = "HPAActive";

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl Condition {
    pub fn new(type_: &str, status: &str) -> Condition {
        Condition {
            type_: type_.to_string(),
            status: status.to_string(),
            reason: None,
            message: None,
        }
    }
}

/// KEDA's `GetInitializedConditions`: Ready, Active and Fallback unknown, Paused false.
pub fn initial() -> Vec<Condition> {
    vec![
        Condition::new(READY, "Unknown"),
        Condition::new(ACTIVE, "Unknown"),
        Condition::new(FALLBACK, "Unknown"),
        Condition::new(PAUSED, "False"),
    ]
}

/// KEDA's `SetCondition`: replaces the condition of that type in place, or appends it.
pub fn set(conditions: &mut Vec<Condition>, condition: Condition) {
    match conditions.iter_mut().find(|c| c.type_ == condition.type_) {
        Some(existing) => *existing = condition,
        None => conditions.push(condition),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_replaces_in_place_or_appends() {
        let mut conditions = initial();
        set(&mut conditions, Condition::new(ACTIVE, "True"));
        set(&mut conditions, Condition::new(HPA_ACTIVE, "True"));
        let types: Vec<_> = conditions
            .iter()
            .map(|c| (c.type_.as_str(), c.status.as_str()))
            .collect();
        assert_eq!(
            types,
            [
                ("Ready", "Unknown"),
                ("Active", "True"),
                ("Fallback", "Unknown"),
                ("Paused", "False"),
                ("HPAActive", "True")
            ]
        );
    }
}

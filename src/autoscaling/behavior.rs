//! `spec.behavior`: its defaults, exactly as the API server fills them in
//! (`pkg/apis/autoscaling/v2/defaults.go`) plus the one the controller fills (the scale-down
//! stabilization window, from `--horizontal-pod-autoscaler-downscale-stabilization`), and a
//! typed view of one direction's rules for the algorithm.

use k8s_openapi::api::autoscaling::v2::{
    HPAScalingPolicy, HPAScalingRules, HorizontalPodAutoscalerBehavior,
};

use super::calc::Tolerances;
use super::quantity;

/// The controller's `--horizontal-pod-autoscaler-downscale-stabilization` default, in seconds.
pub const DOWNSCALE_STABILIZATION_SECONDS: i32 = 300;

/// The behavior an HPA gets when `spec.behavior` is given but empty: scale up by the larger of
/// 4 pods or 100% per 15 s with no stabilization; scale down by up to 100% per 15 s, taking the
/// highest recommendation of the last 300 s.
pub fn default_behavior() -> HorizontalPodAutoscalerBehavior {
    with_defaults(&HorizontalPodAutoscalerBehavior::default())
}

/// `behavior` with every unset field defaulted, direction by direction and field by field
/// (`GenerateHPAScaleUpRules` / `GenerateHPAScaleDownRules`): a given `policies` list is kept
/// whole, never merged with the default one.
pub fn with_defaults(
    behavior: &HorizontalPodAutoscalerBehavior,
) -> HorizontalPodAutoscalerBehavior {
    let scale_up = HPAScalingRules {
        policies: Some(vec![policy("Pods", 4, 15), policy("Percent", 100, 15)]),
        select_policy: Some("Max".into()),
        stabilization_window_seconds: Some(0),
        tolerance: None,
    };
    let scale_down = HPAScalingRules {
        policies: Some(vec![policy("Percent", 100, 15)]),
        select_policy: Some("Max".into()),
        // The API server leaves this unset; the controller fills it from its flag.
        stabilization_window_seconds: Some(DOWNSCALE_STABILIZATION_SECONDS),
        tolerance: None,
    };
    HorizontalPodAutoscalerBehavior {
        scale_up: Some(fill(behavior.scale_up.as_ref(), scale_up)),
        scale_down: Some(fill(behavior.scale_down.as_ref(), scale_down)),
    }
}

fn fill(given: Option<&HPAScalingRules>, defaults: HPAScalingRules) -> HPAScalingRules {
    let Some(given) = given else {
        return defaults;
    };
    HPAScalingRules {
        policies: given.policies.clone().or(defaults.policies),
        select_policy: given.select_policy.clone().or(defaults.select_policy),
        stabilization_window_seconds: given
            .stabilization_window_seconds
            .or(defaults.stabilization_window_seconds),
        tolerance: given.tolerance.clone(),
    }
}

fn policy(type_: &str, value: i32, period_seconds: i32) -> HPAScalingPolicy {
    HPAScalingPolicy {
        type_: type_.into(),
        value,
        period_seconds,
    }
}

/// How the policies of one direction combine (`selectPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Select {
    /// The policy allowing the largest change (the default, and what upstream does with any
    /// value it does not know).
    Max,
    /// The policy allowing the smallest change.
    Min,
    /// No scaling in this direction.
    Disabled,
}

/// One scaling policy: `Pods` (a number of pods) or `Percent` (of the replicas at the start of
/// the period), per `period_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub percent: bool,
    pub value: i32,
    pub period_seconds: i32,
}

/// One direction's rules, defaulted.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub stabilization_window_seconds: i32,
    pub select: Select,
    pub policies: Vec<Policy>,
}

impl Rules {
    /// The typed view of defaulted rules (from [`with_defaults`]); unknown policy types, which
    /// validation rejects, are skipped.
    pub fn from_api(rules: &HPAScalingRules) -> Rules {
        let select = match rules.select_policy.as_deref() {
            Some("Disabled") => Select::Disabled,
            Some("Min") => Select::Min,
            _ => Select::Max,
        };
        let policies = rules
            .policies
            .iter()
            .flatten()
            .filter(|p| p.type_ == "Pods" || p.type_ == "Percent")
            .map(|p| Policy {
                percent: p.type_ == "Percent",
                value: p.value,
                period_seconds: p.period_seconds,
            })
            .collect();
        Rules {
            stabilization_window_seconds: rules.stabilization_window_seconds.unwrap_or(0),
            select,
            policies,
        }
    }

    /// The longest policy period: scale events older than that can be forgotten.
    pub fn longest_period_seconds(&self) -> i32 {
        self.policies
            .iter()
            .map(|p| p.period_seconds)
            .max()
            .unwrap_or(0)
    }
}

/// The tolerances an HPA asks for (`behavior.scaleUp/scaleDown.tolerance`, Kubernetes 1.33+),
/// or the default 10% each way. Without a behavior, there is nothing to ask for.
pub fn tolerances(behavior: Option<&HorizontalPodAutoscalerBehavior>) -> Tolerances {
    let read = |rules: Option<&HPAScalingRules>| {
        rules
            .and_then(|r| r.tolerance.as_ref())
            .and_then(quantity::approximate_f64)
            .filter(|t| t.is_finite() && *t >= 0.0)
    };
    let default = Tolerances::DEFAULT;
    Tolerances {
        down: read(behavior.and_then(|b| b.scale_down.as_ref())).unwrap_or(default.down),
        up: read(behavior.and_then(|b| b.scale_up.as_ref())).unwrap_or(default.up),
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

    use super::*;

    #[test]
    fn defaults_as_the_api_server_fills_them() {
        let behavior = default_behavior();
        let up = Rules::from_api(behavior.scale_up.as_ref().unwrap());
        let down = Rules::from_api(behavior.scale_down.as_ref().unwrap());
        let pods = |value, period_seconds| Policy {
            percent: false,
            value,
            period_seconds,
        };
        let percent = |value, period_seconds| Policy {
            percent: true,
            value,
            period_seconds,
        };
        assert_eq!(up.stabilization_window_seconds, 0);
        assert_eq!(up.select, Select::Max);
        assert_eq!(up.policies, vec![pods(4, 15), percent(100, 15)]);
        assert_eq!(down.stabilization_window_seconds, 300);
        assert_eq!(down.select, Select::Max);
        assert_eq!(down.policies, vec![percent(100, 15)]);
    }

    #[test]
    fn given_fields_are_kept_and_the_rest_defaulted() {
        let given = HorizontalPodAutoscalerBehavior {
            scale_down: Some(HPAScalingRules {
                policies: Some(vec![policy("Pods", 1, 60)]),
                ..Default::default()
            }),
            scale_up: Some(HPAScalingRules {
                select_policy: Some("Disabled".into()),
                tolerance: Some(Quantity("0.05".into())),
                ..Default::default()
            }),
        };
        let filled = with_defaults(&given);
        let down = Rules::from_api(filled.scale_down.as_ref().unwrap());
        let up = Rules::from_api(filled.scale_up.as_ref().unwrap());
        // policies replaced whole, window and selectPolicy defaulted
        assert_eq!(down.policies.len(), 1);
        assert_eq!(
            (down.stabilization_window_seconds, down.select),
            (300, Select::Max)
        );
        // selectPolicy kept, policies defaulted
        assert_eq!((up.select, up.policies.len()), (Select::Disabled, 2));
        let tol = tolerances(Some(&filled));
        assert_eq!((tol.up, tol.down), (0.05, 0.1));
        assert_eq!(tolerances(None), Tolerances::DEFAULT);
    }
}

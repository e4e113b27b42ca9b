//! `advanced.horizontalPodAutoscalerConfig.behavior`: KEDA copies it verbatim into the HPA, so a
//! value the API server refuses there breaks every reconcile. These are the API server's HPA
//! behavior checks (`validateScalingRules`), plus the CRD patch's 0..=3600 window.

use k8s_openapi::api::autoscaling::v2::{HPAScalingPolicy, HPAScalingRules};

use super::Validation;
use crate::api::ScaledObject;

const PATH: &str = "spec.advanced.horizontalPodAutoscalerConfig.behavior";
const MAX_STABILIZATION_WINDOW_SECONDS: i32 = 3600;
const MAX_PERIOD_SECONDS: i32 = 1800;

pub(super) fn check(so: &ScaledObject, v: &mut Validation) {
    let Some(behavior) = so.spec.hpa_config().and_then(|c| c.behavior.as_ref()) else {
        return;
    };
    for (direction, rules) in [
        ("scaleUp", &behavior.scale_up),
        ("scaleDown", &behavior.scale_down),
    ] {
        if let Some(rules) = rules {
            scaling_rules(&format!("{PATH}.{direction}"), rules, v);
        }
    }
}

fn scaling_rules(path: &str, rules: &HPAScalingRules, v: &mut Validation) {
    match rules.stabilization_window_seconds {
        Some(w) if w < 0 => v.error(format!(
            "{path}.stabilizationWindowSeconds: Invalid value: {w}: must be greater than or equal \
             to zero"
        )),
        Some(w) if w > MAX_STABILIZATION_WINDOW_SECONDS => v.error(format!(
            "{path}.stabilizationWindowSeconds: Invalid value: {w}: must be less than or equal to \
             {MAX_STABILIZATION_WINDOW_SECONDS}"
        )),
        _ => {}
    }
    if let Some(select) = rules
        .select_policy
        .as_deref()
        .filter(|s| !["Max", "Min", "Disabled"].contains(s))
    {
        v.error(format!(
            "{path}.selectPolicy: Unsupported value: {select:?}: supported values: \"Disabled\", \
             \"Max\", \"Min\""
        ));
    }
    policies(path, rules.policies.as_deref(), v);
    if let Some(tolerance) = &rules.tolerance
        && tolerance.0.trim_start().starts_with('-')
    {
        v.error(format!(
            "{path}.tolerance: Invalid value: {:?}: must be greater than or equal to 0",
            tolerance.0
        ));
    }
}

/// Left out, the API server fills in the default policies; an explicit empty list stays empty.
fn policies(path: &str, policies: Option<&[HPAScalingPolicy]>, v: &mut Validation) {
    match policies {
        Some([]) => v.error(format!(
            "{path}.policies: Required value: must specify at least one Policy"
        )),
        Some(policies) => {
            for (i, policy) in policies.iter().enumerate() {
                scaling_policy(&format!("{path}.policies[{i}]"), policy, v);
            }
        }
        None => {}
    }
}

fn scaling_policy(path: &str, policy: &HPAScalingPolicy, v: &mut Validation) {
    if policy.type_ != "Pods" && policy.type_ != "Percent" {
        v.error(format!(
            "{path}.type: Unsupported value: {:?}: supported values: \"Percent\", \"Pods\"",
            policy.type_
        ));
    }
    if policy.value <= 0 {
        v.error(format!(
            "{path}.value: Invalid value: {}: must be greater than zero",
            policy.value
        ));
    }
    let period = policy.period_seconds;
    if period <= 0 {
        v.error(format!(
            "{path}.periodSeconds: Invalid value: {period}: must be greater than zero"
        ));
    } else if period > MAX_PERIOD_SECONDS {
        v.error(format!(
            "{path}.periodSeconds: Invalid value: {period}: must be less than or equal to \
             {MAX_PERIOD_SECONDS}"
        ));
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscalerBehavior;
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

    use super::super::testing::*;
    use super::*;
    use crate::api::scaled_object::{AdvancedConfig, HorizontalPodAutoscalerConfig};

    /// Sets `scaleDown` to the documented rules (window 300, Percent 100 per 15 s), then edits.
    fn scale_down(so: &mut ScaledObject, edit: impl FnOnce(&mut HPAScalingRules)) {
        let mut rules = HPAScalingRules {
            stabilization_window_seconds: Some(300),
            policies: Some(vec![policy("Percent", 100, 15)]),
            ..HPAScalingRules::default()
        };
        edit(&mut rules);
        so.spec.advanced = Some(AdvancedConfig {
            horizontal_pod_autoscaler_config: Some(HorizontalPodAutoscalerConfig {
                name: None,
                behavior: Some(HorizontalPodAutoscalerBehavior {
                    scale_down: Some(rules),
                    scale_up: None,
                }),
            }),
            ..AdvancedConfig::default()
        });
    }

    fn policy(type_: &str, value: i32, period_seconds: i32) -> HPAScalingPolicy {
        HPAScalingPolicy {
            type_: type_.into(),
            value,
            period_seconds,
        }
    }

    #[test]
    fn behavior_bounds() {
        const DOWN: &str = "spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown";
        #[rustfmt::skip]
        let rows: &[Row] = &[
            ("no behavior", |_| {}, &[]),
            ("the documented scaleDown", |so| scale_down(so, |_| {}), &[]),
            ("window limits are inclusive", |so| scale_down(so, |r| r.stabilization_window_seconds = Some(3600)), &[]),
            ("negative window", |so| scale_down(so, |r| r.stabilization_window_seconds = Some(-1)),
                &["scaleDown.stabilizationWindowSeconds: Invalid value: -1: must be greater than or equal to zero"]),
            ("window over an hour", |so| scale_down(so, |r| r.stabilization_window_seconds = Some(3601)),
                &["stabilizationWindowSeconds: Invalid value: 3601: must be less than or equal to 3600"]),
            ("select policy Disabled", |so| scale_down(so, |r| r.select_policy = Some("Disabled".into())), &[]),
            ("select policy lower case", |so| scale_down(so, |r| r.select_policy = Some("max".into())),
                &["scaleDown.selectPolicy: Unsupported value: \"max\": supported values: \"Disabled\", \"Max\", \"Min\""]),
            // left out, the API server fills in the defaults
            ("policies left out", |so| scale_down(so, |r| r.policies = None), &[]),
            ("policies explicitly empty", |so| scale_down(so, |r| r.policies = Some(vec![])),
                &["scaleDown.policies: Required value: must specify at least one Policy"]),
            ("Pods policy", |so| scale_down(so, |r| r.policies = Some(vec![policy("Pods", 4, 60)])), &[]),
            ("unknown policy type", |so| scale_down(so, |r| r.policies = Some(vec![policy("Replicas", 4, 60)])),
                &["scaleDown.policies[0].type: Unsupported value: \"Replicas\": supported values: \"Percent\", \"Pods\""]),
            ("zero value", |so| scale_down(so, |r| r.policies = Some(vec![policy("Pods", 0, 60)])),
                &["policies[0].value: Invalid value: 0: must be greater than zero"]),
            ("period limits", |so| scale_down(so, |r| r.policies = Some(vec![policy("Pods", 1, 1), policy("Pods", 1, 1800)])), &[]),
            ("zero period", |so| scale_down(so, |r| r.policies = Some(vec![policy("Pods", 1, 0)])),
                &["policies[0].periodSeconds: Invalid value: 0: must be greater than zero"]),
            ("period over 30 minutes", |so| scale_down(so, |r| r.policies = Some(vec![policy("Percent", 10, 60), policy("Pods", 1, 1801)])),
                &["policies[1].periodSeconds: Invalid value: 1801: must be less than or equal to 1800"]),
            ("tolerance", |so| scale_down(so, |r| r.tolerance = Some(Quantity("0.05".into()))), &[]),
            ("negative tolerance", |so| scale_down(so, |r| r.tolerance = Some(Quantity("-0.1".into()))),
                &["scaleDown.tolerance: Invalid value: \"-0.1\": must be greater than or equal to 0"]),
            ("everything wrong in one policy", |so| scale_down(so, |r| r.policies = Some(vec![policy("", -1, -1)])),
                &["policies[0].type", "policies[0].value", "policies[0].periodSeconds"]),
        ];
        run_rows(|so| errors_of(check, so), rows);
        let mut so = base();
        scale_down(&mut so, |r| r.stabilization_window_seconds = Some(-1));
        assert!(errors_of(check, &so)[0].starts_with(DOWN));
    }
}

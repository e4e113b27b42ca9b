//! scalingModifiers at run time (§2.8): the formula over the named triggers' values becomes the
//! single `composite-metric` the HPA reads.

use std::collections::BTreeMap;

use kedars_scalers::{MetricType, MilliQuantity};

use super::fallback::Policy;

/// Evaluates a compiled formula; `None` inputs are failing triggers (fallback behavior
/// `scalingModifiers`), and a `None` result is expr's `nil` (only reachable through `??`).
pub type FormulaFn =
    dyn Fn(&BTreeMap<String, Option<f64>>) -> Result<Option<f64>, String> + Send + Sync;

pub struct Modifiers {
    pub formula: Box<FormulaFn>,
    pub target: f64,
    /// Active ⇔ the composite value is above this (default 0).
    pub activation_target: f64,
    pub metric_type: MetricType,
}

impl Modifiers {
    pub fn evaluate(
        &self,
        inputs: &BTreeMap<String, Option<f64>>,
        fallback: Option<&Policy>,
    ) -> Result<MilliQuantity, String> {
        match (self.formula)(inputs)? {
            // KEDA truncates to milli precision (int64(result*1000)).
            Some(value) => Ok(MilliQuantity::from_milli((value * 1000.0).trunc() as i128)),
            None => match fallback {
                Some(policy) => Ok(MilliQuantity::from_f64(
                    f64::from(policy.replicas) * self.target,
                )),
                None => Err(
                    "the scalingModifiers formula returned nil and no fallback is configured"
                        .to_string(),
                ),
            },
        }
    }
}

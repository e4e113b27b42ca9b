//! Annotations and labels with meaning on a ScaledObject (§1.2), and how KEDA reads them.

use std::collections::BTreeMap;

pub const PAUSED: &str = "autoscaling.keda.sh/paused";
pub const PAUSED_REPLICAS: &str = "autoscaling.keda.sh/paused-replicas";
pub const PAUSED_SCALE_IN: &str = "autoscaling.keda.sh/paused-scale-in";
pub const PAUSED_SCALE_OUT: &str = "autoscaling.keda.sh/paused-scale-out";
pub const FORCE_ACTIVATION: &str = "autoscaling.keda.sh/force-activation";
pub const TRANSFER_HPA_OWNERSHIP: &str = "scaledobject.keda.sh/transfer-hpa-ownership";
pub const HPA_EXCLUDED_LABELS: &str = "scaledobject.keda.sh/hpa-excluded-labels";
pub const VALIDATE_HPA_OWNERSHIP: &str = "validations.keda.sh/hpa-ownership";
/// The label the operator puts on every ScaledObject, and the external metrics' selector.
pub const SCALED_OBJECT_NAME_LABEL: &str = "scaledobject.keda.sh/name";

/// KEDA's reading of a boolean annotation: Go's ParseBool, and anything it cannot parse counts
/// as `true` (so `paused: "yes"` pauses). `None` when the annotation is absent.
pub fn flag(annotations: &BTreeMap<String, String>, key: &str) -> Option<bool> {
    annotations
        .get(key)
        .map(|v| kedars_scalers::convert::bool(v).unwrap_or(true))
}

/// What the pause annotations ask for, read as KEDA reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pause {
    /// Stop scaling entirely (HPA removed, replicas kept).
    pub paused: bool,
    /// Pause at this many replicas; its presence alone pauses.
    pub paused_replicas: Option<i32>,
    pub scale_in_paused: bool,
    pub scale_out_paused: bool,
    pub force_activation: bool,
}

/// Why a pause annotation could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("annotation \"{key}\" value \"{value}\" is invalid: expected {expected}")]
pub struct AnnotationError {
    pub key: &'static str,
    pub value: String,
    pub expected: &'static str,
}

pub fn pause(annotations: &BTreeMap<String, String>) -> Result<Pause, AnnotationError> {
    let paused_replicas = match annotations.get(PAUSED_REPLICAS) {
        None => None,
        Some(v) => Some(v.parse::<i32>().map_err(|_| AnnotationError {
            key: PAUSED_REPLICAS,
            value: v.clone(),
            expected: "a base-10 32-bit integer replica count",
        })?),
    };
    Ok(Pause {
        paused: paused_replicas.is_some() || flag(annotations, PAUSED).unwrap_or(false),
        paused_replicas,
        scale_in_paused: flag(annotations, PAUSED_SCALE_IN).unwrap_or(false),
        scale_out_paused: flag(annotations, PAUSED_SCALE_OUT).unwrap_or(false),
        force_activation: flag(annotations, FORCE_ACTIVATION).unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn annotations(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn pause_table() {
        type Row = (
            &'static str,
            &'static [(&'static str, &'static str)],
            Result<Pause, &'static str>,
        );
        let cases: &[Row] = &[
            ("nothing set", &[], Ok(Pause::default())),
            (
                "paused true",
                &[(PAUSED, "true")],
                Ok(Pause {
                    paused: true,
                    ..Pause::default()
                }),
            ),
            ("paused false", &[(PAUSED, "false")], Ok(Pause::default())),
            (
                "unparsable means paused, as KEDA",
                &[(PAUSED, "yes")],
                Ok(Pause {
                    paused: true,
                    ..Pause::default()
                }),
            ),
            (
                "paused-replicas pauses by presence, even with paused false",
                &[(PAUSED, "false"), (PAUSED_REPLICAS, "3")],
                Ok(Pause {
                    paused: true,
                    paused_replicas: Some(3),
                    ..Pause::default()
                }),
            ),
            (
                "paused-replicas not a number",
                &[(PAUSED_REPLICAS, "three")],
                Err("\"autoscaling.keda.sh/paused-replicas\" value \"three\""),
            ),
            (
                "scale-in only",
                &[(PAUSED_SCALE_IN, "1")],
                Ok(Pause {
                    scale_in_paused: true,
                    ..Pause::default()
                }),
            ),
            (
                "scale-out only",
                &[(PAUSED_SCALE_OUT, "True")],
                Ok(Pause {
                    scale_out_paused: true,
                    ..Pause::default()
                }),
            ),
            (
                "force activation",
                &[(FORCE_ACTIVATION, "t")],
                Ok(Pause {
                    force_activation: true,
                    ..Pause::default()
                }),
            ),
        ];
        for (what, pairs, want) in cases {
            match (pause(&annotations(pairs)), want) {
                (Ok(got), Ok(want)) => assert_eq!(got, *want, "{what}"),
                (Err(e), Err(fragment)) => assert!(e.to_string().contains(fragment), "{what}: {e}"),
                (got, want) => panic!("{what}: got {got:?}, want {want:?}"),
            }
        }
    }
}

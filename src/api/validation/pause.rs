//! Pause annotations (§1.2), read exactly as the engine reads them
//! ([`crate::api::annotations::pause`]). A `paused-replicas` KEDA cannot parse fails every
//! reconcile; the two §9.1 surprises are warnings, since KEDA accepts them.

use super::Validation;
use crate::api::ScaledObject;
use crate::api::annotations::{
    FORCE_ACTIVATION, PAUSED, PAUSED_REPLICAS, PAUSED_SCALE_IN, PAUSED_SCALE_OUT, pause,
};

const FLAGS: [&str; 4] = [PAUSED, PAUSED_SCALE_IN, PAUSED_SCALE_OUT, FORCE_ACTIVATION];

pub(super) fn check(so: &ScaledObject, v: &mut Validation) {
    let Some(annotations) = &so.metadata.annotations else {
        return;
    };
    match pause(annotations) {
        Err(e) => v.error(format!("metadata.annotations: {e}")),
        // KEDA would try to scale the target to a negative count on every reconcile.
        Ok(p) if p.paused_replicas.is_some_and(|r| r < 0) => v.error(format!(
            "metadata.annotations: annotation \"{PAUSED_REPLICAS}\" value \"{}\" is invalid: a \
             replica count cannot be negative",
            annotations[PAUSED_REPLICAS]
        )),
        Ok(_) => {}
    }
    for key in FLAGS {
        let Some(value) = annotations.get(key) else {
            continue;
        };
        if kedars_scalers::convert::bool(value).is_err() {
            v.warn(format!(
                "metadata.annotations: annotation \"{key}\" value {value:?} is not a boolean; \
                 KEDA reads any such value as \"true\""
            ));
        }
    }
    if annotations.contains_key(PAUSED_REPLICAS)
        && annotations.get(PAUSED).is_some_and(|p| p == "false")
    {
        v.warn(format!(
            "metadata.annotations: \"{PAUSED_REPLICAS}\" pauses the ScaledObject by its presence \
             alone, even though \"{PAUSED}\" is \"false\""
        ));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::testing::*;
    use super::*;

    fn annotate(so: &mut ScaledObject, pairs: &[(&str, &str)]) {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        so.metadata.annotations = Some(map);
    }

    #[test]
    fn pause_annotation_errors() {
        #[rustfmt::skip]
        let rows: &[Row] = &[
            ("no annotations", |_| {}, &[]),
            ("the documented pair", |so| annotate(so, &[(PAUSED, "true"), (PAUSED_REPLICAS, "0")]), &[]),
            ("paused-replicas not a number", |so| annotate(so, &[(PAUSED_REPLICAS, "three")]),
                &["metadata.annotations: annotation \"autoscaling.keda.sh/paused-replicas\" value \"three\" is invalid: expected a base-10 32-bit integer"]),
            ("paused-replicas beyond int32", |so| annotate(so, &[(PAUSED_REPLICAS, "3000000000")]),
                &["value \"3000000000\" is invalid"]),
            ("negative paused-replicas", |so| annotate(so, &[(PAUSED_REPLICAS, "-1")]),
                &["value \"-1\" is invalid: a replica count cannot be negative"]),
            ("non-boolean flags are warnings, not errors", |so| annotate(so, &[(PAUSED, "yes")]), &[]),
        ];
        run_rows(|so| errors_of(check, so), rows);
    }

    #[test]
    fn pause_annotation_warnings() {
        #[rustfmt::skip]
        let rows: &[Row] = &[
            ("Go booleans", |so| annotate(so, &[(PAUSED, "True"), (PAUSED_SCALE_IN, "0"), (FORCE_ACTIVATION, "t")]), &[]),
            // §9.1: KEDA reads "yes" as true
            ("paused: yes", |so| annotate(so, &[(PAUSED, "yes")]),
                &["annotation \"autoscaling.keda.sh/paused\" value \"yes\" is not a boolean; KEDA reads any such value as \"true\""]),
            ("scale-out: on", |so| annotate(so, &[(PAUSED_SCALE_OUT, "on")]),
                &["\"autoscaling.keda.sh/paused-scale-out\" value \"on\""]),
            // §9.1: presence alone pauses
            ("paused-replicas with paused false", |so| annotate(so, &[(PAUSED, "false"), (PAUSED_REPLICAS, "2")]),
                &["\"autoscaling.keda.sh/paused-replicas\" pauses the ScaledObject by its presence alone"]),
        ];
        run_rows(|so| warnings_of(check, so), rows);
    }
}

//! Golden tests: each `golden/<case>.yaml` holds a ScaledObject; the HPA built from it must equal
//! `golden/<case>.hpa.yaml`. `KEDARS_UPDATE_GOLDEN=1 cargo test -p kedars hpa` rewrites them
//! (review the diff before committing).

use std::path::{Path, PathBuf};

use super::*;
use crate::controller::resource_metrics;
use kedars_scalers::{Connections, TriggerContext};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/controller/golden")
}

/// The metrics of a ScaledObject whose triggers need no authentication.
fn metrics_of(so: &ScaledObject) -> Vec<TriggerMetric> {
    let connections = Connections::new(kedars_scalers::scaler::DEFAULT_TIMEOUT);
    so.spec
        .triggers
        .iter()
        .enumerate()
        .flat_map(|(index, trigger)| {
            if resource_metrics::is_resource_trigger(&trigger.type_) {
                return vec![TriggerMetric::Resource(
                    resource_metrics::parse(trigger).unwrap(),
                )];
            }
            let mut ctx = TriggerContext::new(trigger.type_.clone(), index)
                .with_metadata(trigger.metadata.clone());
            if trigger.metric_type.as_deref() == Some("Value") {
                ctx = ctx.with_metric_type(MetricType::Value);
            }
            let scaler = kedars_scalers::build(&ctx, &connections).unwrap();
            scaler
                .metric_specs()
                .iter()
                .cloned()
                .map(TriggerMetric::External)
                .collect()
        })
        .collect()
}

fn load(case: &str) -> ScaledObject {
    let text = std::fs::read_to_string(golden_dir().join(format!("{case}.yaml"))).unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

#[test]
fn golden_hpas() {
    for case in [
        "prometheus-and-redis",
        "scaling-modifiers",
        "paused-scale-in-and-out",
        "custom-name-and-value",
    ] {
        let so = load(case);
        let hpa = build_hpa(&so, &metrics_of(&so), "2.20.0").unwrap();
        let built = serde_saphyr::to_string(&hpa).unwrap();
        let path = golden_dir().join(format!("{case}.hpa.yaml"));
        if std::env::var_os("KEDARS_UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, &built).unwrap();
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            built == want,
            "{case}: built HPA differs from {}:\n{built}",
            path.display()
        );
    }
}

fn minimal(name: &str) -> ScaledObject {
    serde_saphyr::from_str(&format!(
        "metadata: {{name: {name}, namespace: ns}}\nspec:\n  scaleTargetRef: {{name: web}}\n  triggers: []\n"
    ))
    .unwrap()
}

fn external_metric(name: &str) -> TriggerMetric {
    TriggerMetric::External(kedars_scalers::MetricSpec {
        name: name.into(),
        target: MilliQuantity::from_integer(5),
        metric_type: MetricType::AverageValue,
    })
}

#[test]
fn duplicate_external_metric_names_are_refused() {
    let err = build_hpa(
        &minimal("so"),
        &[external_metric("s0-x"), external_metric("s0-x")],
        "v",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "metricName s0-x defined multiple times in ScaledObject so"
    );
}

#[test]
fn no_metrics_is_an_error() {
    let err = build_hpa(&minimal("so"), &[], "v").unwrap_err();
    assert_eq!(
        err.to_string(),
        "no metric specs returned from scalers for ScaledObject ns/so"
    );
}

#[test]
fn metrics_sorted_by_type_stably() {
    let cpu = TriggerMetric::Resource(ResourceMetric {
        resource: "cpu".into(),
        container: None,
        target: ResourceTarget::Utilization(50),
    });
    let app_memory = TriggerMetric::Resource(ResourceMetric {
        resource: "memory".into(),
        container: Some("app".into()),
        target: ResourceTarget::AverageValue("1Gi".into()),
    });
    let metrics = [
        cpu,
        external_metric("s1-b"),
        app_memory,
        external_metric("s3-a"),
    ];
    let hpa = build_hpa(&minimal("so"), &metrics, "v").unwrap();
    let order: Vec<String> = hpa
        .spec
        .unwrap()
        .metrics
        .unwrap()
        .iter()
        .map(|m| {
            m.external
                .as_ref()
                .map(|e| e.metric.name.clone())
                .unwrap_or_else(|| m.type_.clone())
        })
        .collect();
    assert_eq!(order, ["ContainerResource", "s1-b", "s3-a", "Resource"]);
}

#[test]
fn name_label_is_truncated_to_a_valid_label_value() {
    // "keda-hpa-" + 53 characters = 62; the 63rd is '-', which is trimmed after truncation.
    let so = minimal(&format!("{}-xyz", "a".repeat(53)));
    let hpa = build_hpa(&so, &[external_metric("s0-x")], "v").unwrap();
    let label = hpa.metadata.labels.unwrap()["app.kubernetes.io/name"].clone();
    assert_eq!(
        label.len(),
        62,
        "trailing '-' trimmed after truncation: {label}"
    );
    assert!(label.ends_with('a'));
}

use std::collections::BTreeMap;

use k8s_openapi::api::autoscaling::v2::{CrossVersionObjectReference, HorizontalPodAutoscalerSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

use super::super::testing::*;
use super::*;
use crate::api::scaled_object::{AdvancedConfig, HorizontalPodAutoscalerConfig};

/// A row: what it shows, how it edits the ScaledObject and its neighbours, expected fragments.
type NeighbourRow = (
    &'static str,
    fn(&mut ScaledObject, &mut Vec<HorizontalPodAutoscaler>, &mut Vec<ScaledObject>),
    &'static [&'static str],
);

fn hpa(name: &str, api_version: Option<&str>, kind: &str, target: &str) -> HorizontalPodAutoscaler {
    HorizontalPodAutoscaler {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some("default".into()),
            ..ObjectMeta::default()
        },
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: api_version.map(str::to_string),
                kind: kind.into(),
                name: target.into(),
            },
            max_replicas: 10,
            ..HorizontalPodAutoscalerSpec::default()
        }),
        status: None,
    }
}

fn foreign() -> HorizontalPodAutoscaler {
    hpa("web-hpa", Some("apps/v1"), "Deployment", "web")
}

fn annotate(meta: &mut ObjectMeta, key: &str, value: &str) {
    meta.annotations
        .get_or_insert_with(BTreeMap::new)
        .insert(key.into(), value.into());
}

fn custom_hpa_name(so: &mut ScaledObject, name: &str) {
    so.spec.advanced = Some(AdvancedConfig {
        horizontal_pod_autoscaler_config: Some(HorizontalPodAutoscalerConfig {
            name: Some(name.into()),
            behavior: None,
        }),
        ..AdvancedConfig::default()
    });
}

fn other_so(name: &str, target: &str) -> ScaledObject {
    let mut so = base();
    so.metadata.name = Some(name.into());
    so.spec.scale_target_ref.name = target.into();
    so
}

fn run(rows: &[NeighbourRow]) {
    for (what, edit, expected) in rows {
        let (mut so, mut hpa_list, mut so_list) = (base(), Vec::new(), Vec::new());
        edit(&mut so, &mut hpa_list, &mut so_list);
        let mut v = Validation::default();
        super::hpas(&so, &hpa_list, &mut v);
        super::scaled_objects(&so, &so_list, &mut v);
        assert_messages(what, &v.errors, expected);
    }
}

#[test]
fn verify_hpas() {
    #[rustfmt::skip]
    let rows: &[NeighbourRow] = &[
        ("no HPAs", |_, _, _| {}, &[]),
        ("a foreign HPA on the same Deployment", |_, h, _| h.push(foreign()),
            &["spec.scaleTargetRef: the workload 'web' of type 'apps/v1.Deployment' is already managed by the hpa 'web-hpa'"]),
        // the HPA left out apiVersion, the ScaledObject left out kind: both default to apps/v1 Deployment
        ("defaults on both sides still match", |_, h, _| h.push(hpa("x", None, "Deployment", "web")),
            &["already managed by the hpa 'x'"]),
        ("another workload", |_, h, _| h.push(hpa("x", Some("apps/v1"), "Deployment", "api")), &[]),
        ("same name, another kind", |_, h, _| h.push(hpa("x", Some("apps/v1"), "StatefulSet", "web")), &[]),
        ("another namespace", |_, h, _| {
            let mut other = foreign();
            other.metadata.namespace = Some("prod".into());
            h.push(other);
        }, &[]),
        ("our own HPA", |_, h, _| {
            let mut own = foreign();
            own.metadata.owner_references = Some(vec![OwnerReference {
                kind: "ScaledObject".into(),
                name: "app".into(),
                ..OwnerReference::default()
            }]);
            h.push(own);
        }, &[]),
        ("opted out on the HPA, as KEDA's code reads it", |_, h, _| {
            let mut hpa = foreign();
            annotate(&mut hpa.metadata, "validations.keda.sh/hpa-ownership", "false");
            h.push(hpa);
        }, &[]),
        // KEDA's docs put it here; KEDA's code ignores it for a foreign HPA
        ("opted out on the ScaledObject, as KEDA's docs say", |so, h, _| {
            annotate(&mut so.metadata, "validations.keda.sh/hpa-ownership", "false");
            h.push(foreign());
        }, &[]),
        ("ownership transfer naming the HPA", |so, h, _| {
            annotate(&mut so.metadata, "scaledobject.keda.sh/transfer-hpa-ownership", "true");
            custom_hpa_name(so, "web-hpa");
            h.push(foreign());
        }, &[]),
        ("ownership transfer without naming the HPA", |so, h, _| {
            annotate(&mut so.metadata, "scaledobject.keda.sh/transfer-hpa-ownership", "true");
            h.push(foreign());
        }, &["spec.advanced.horizontalPodAutoscalerConfig.name: the existing hpa 'web-hpa' for workload 'web' of type 'apps/v1.Deployment' must be specified by name"]),
        // KEDA compares with "true" exactly, not with ParseBool
        ("transfer annotation \"True\" does not count", |so, h, _| {
            annotate(&mut so.metadata, "scaledobject.keda.sh/transfer-hpa-ownership", "True");
            custom_hpa_name(so, "web-hpa");
            h.push(foreign());
        }, &["already managed by the hpa 'web-hpa'"]),
    ];
    run(rows);
}

#[test]
fn verify_scaled_objects() {
    #[rustfmt::skip]
    let rows: &[NeighbourRow] = &[
        ("alone", |_, _, _| {}, &[]),
        ("itself in the list", |_, _, s| s.push(base()), &[]),
        ("another ScaledObject on another workload", |_, _, s| s.push(other_so("api", "api")), &[]),
        ("another ScaledObject on the same workload", |_, _, s| s.push(other_so("app2", "web")),
            &["spec.scaleTargetRef: the workload 'web' of type 'apps/v1.Deployment' is already managed by the ScaledObject 'app2'"]),
        ("explicit defaults match implicit ones", |so, _, s| {
            so.spec.scale_target_ref.api_version = Some("apps/v1".into());
            so.spec.scale_target_ref.kind = Some("Deployment".into());
            s.push(other_so("app2", "web"));
        }, &["already managed by the ScaledObject 'app2'"]),
        ("same workload name, another kind", |so, _, s| {
            so.spec.scale_target_ref.kind = Some("StatefulSet".into());
            s.push(other_so("app2", "web"));
        }, &[]),
        ("same workload in another namespace", |_, _, s| {
            let mut other = other_so("app2", "web");
            other.metadata.namespace = Some("prod".into());
            s.push(other);
        }, &[]),
        ("a missing namespace means default", |so, _, s| {
            so.metadata.namespace = None;
            s.push(other_so("app2", "web"));
        }, &["already managed by the ScaledObject 'app2'"]),
        ("our custom HPA name is another's default", |so, _, s| {
            custom_hpa_name(so, "keda-hpa-api");
            s.push(other_so("api", "api"));
        }, &["spec.advanced.horizontalPodAutoscalerConfig.name: the HPA 'keda-hpa-api' is already managed by the ScaledObject 'api'"]),
        ("two custom HPA names collide", |so, _, s| {
            custom_hpa_name(so, "shared");
            let mut other = other_so("api", "api");
            custom_hpa_name(&mut other, "shared");
            s.push(other);
        }, &["the HPA 'shared' is already managed by the ScaledObject 'api'"]),
        ("both conflicts with one neighbour", |so, _, s| {
            custom_hpa_name(so, "shared");
            let mut other = other_so("app2", "web");
            custom_hpa_name(&mut other, "shared");
            s.push(other);
        }, &["the workload 'web'", "the HPA 'shared'"]),
    ];
    run(rows);
}

#[test]
fn gvk_strings() {
    assert_eq!(gvk_string(None, None), "apps/v1.Deployment");
    assert_eq!(gvk_string(Some(""), Some("")), "apps/v1.Deployment");
    assert_eq!(
        gvk_string(Some("argoproj.io/v1alpha1"), Some("Rollout")),
        "argoproj.io/v1alpha1.Rollout"
    );
    assert_eq!(
        gvk_string(Some("v1"), Some("ReplicationController")),
        "/v1.ReplicationController"
    );
}

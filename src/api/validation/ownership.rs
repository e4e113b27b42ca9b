//! Rules against the neighbours: `verifyHpas` (a workload already scaled by a foreign HPA) and
//! `verifyScaledObjects` (a workload or HPA name already taken by another ScaledObject). Only
//! objects in the ScaledObject's namespace count; a missing namespace means `default`.

use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::Validation;
use crate::api::ScaledObject;
use crate::api::annotations::{TRANSFER_HPA_OWNERSHIP, VALIDATE_HPA_OWNERSHIP};

pub(super) fn hpas(so: &ScaledObject, hpas: &[HorizontalPodAutoscaler], v: &mut Validation) {
    let target = &so.spec.scale_target_ref;
    let gvk = gvk_string(target.api_version.as_deref(), target.kind.as_deref());
    let transfer = annotation(&so.metadata, TRANSFER_HPA_OWNERSHIP) == Some("true");
    let custom_name = so.spec.hpa_config().and_then(|c| c.name.as_deref());
    for hpa in hpas
        .iter()
        .filter(|h| same_namespace(&h.metadata, &so.metadata))
    {
        let hpa_name = hpa.metadata.name.as_deref().unwrap_or("");
        let Some(reference) = hpa.spec.as_ref().map(|s| &s.scale_target_ref) else {
            continue;
        };
        let hpa_gvk = gvk_string(reference.api_version.as_deref(), Some(&reference.kind));
        if hpa_gvk != gvk
            || reference.name != target.name
            || owned_by(hpa, so)
            || opted_out(hpa, so)
        {
            continue;
        }
        if !transfer {
            v.error(format!(
                "spec.scaleTargetRef: the workload '{}' of type '{gvk}' is already managed by the \
                 hpa '{hpa_name}'",
                target.name
            ));
        } else if custom_name != Some(hpa_name) {
            v.error(format!(
                "spec.advanced.horizontalPodAutoscalerConfig.name: the existing hpa '{hpa_name}' \
                 for workload '{}' of type '{gvk}' must be specified by name in advanced settings \
                 to enable ownership transfer",
                target.name
            ));
        }
    }
}

pub(super) fn scaled_objects(so: &ScaledObject, others: &[ScaledObject], v: &mut Validation) {
    let target = &so.spec.scale_target_ref;
    let gvk = gvk_string(target.api_version.as_deref(), target.kind.as_deref());
    let hpa_name = so.hpa_name();
    let others = others.iter().filter(|o| {
        same_namespace(&o.metadata, &so.metadata) && o.metadata.name != so.metadata.name
    });
    for other in others {
        let other_name = other.metadata.name.as_deref().unwrap_or("");
        let other_target = &other.spec.scale_target_ref;
        let other_gvk = gvk_string(
            other_target.api_version.as_deref(),
            other_target.kind.as_deref(),
        );
        if other_gvk == gvk && other_target.name == target.name {
            v.error(format!(
                "spec.scaleTargetRef: the workload '{}' of type '{gvk}' is already managed by the \
                 ScaledObject '{other_name}'",
                target.name
            ));
        }
        if other.hpa_name() == hpa_name {
            v.error(format!(
                "spec.advanced.horizontalPodAutoscalerConfig.name: the HPA '{hpa_name}' is already \
                 managed by the ScaledObject '{other_name}'"
            ));
        }
    }
}

/// KEDA's `GVKString` after `ParseGVKR`'s defaults (`apps/v1`, `Deployment`):
/// `group/version.Kind`, with an empty group for core kinds (`/v1.Kind`).
fn gvk_string(api_version: Option<&str>, kind: Option<&str>) -> String {
    let api_version = api_version.filter(|a| !a.is_empty()).unwrap_or("apps/v1");
    let kind = kind.filter(|k| !k.is_empty()).unwrap_or("Deployment");
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    format!("{group}/{version}.{kind}")
}

fn owned_by(hpa: &HorizontalPodAutoscaler, so: &ScaledObject) -> bool {
    let owners = hpa.metadata.owner_references.as_deref().unwrap_or_default();
    owners
        .iter()
        .any(|o| o.kind == "ScaledObject" && Some(&o.name) == so.metadata.name.as_ref())
}

/// KEDA reads `validations.keda.sh/hpa-ownership: "false"` on the HPA only; its docs tell users
/// to put it on the ScaledObject. We honour both places.
fn opted_out(hpa: &HorizontalPodAutoscaler, so: &ScaledObject) -> bool {
    annotation(&hpa.metadata, VALIDATE_HPA_OWNERSHIP) == Some("false")
        || annotation(&so.metadata, VALIDATE_HPA_OWNERSHIP) == Some("false")
}

fn annotation<'a>(meta: &'a ObjectMeta, key: &str) -> Option<&'a str> {
    meta.annotations.as_ref()?.get(key).map(String::as_str)
}

fn same_namespace(a: &ObjectMeta, b: &ObjectMeta) -> bool {
    let ns = |m: &ObjectMeta| m.namespace.clone().unwrap_or_else(|| "default".into());
    ns(a) == ns(b)
}

#[cfg(test)]
#[path = "ownership_tests.rs"]
mod tests;

//! Which changes of an owned HPA call for a reconcile of its ScaledObject: its spec, labels or
//! annotations, and its deletion — what KEDA's controller watches (`HPASpecChangedPredicate`,
//! label and annotation predicates). The spec is compared itself: the API server keeps no
//! generation for HPAs. The HPA controller rewrites every HPA's status at each sync (15 s);
//! were those writes let through, every ScaledObject would be reconciled four times a minute
//! for nothing.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher::Event;

/// A digest of what each HPA looked like when last let through.
#[derive(Default)]
pub struct OwnedHpaChanges {
    seen: HashMap<ObjectRef<HorizontalPodAutoscaler>, u64>,
}

fn fingerprint(hpa: &HorizontalPodAutoscaler) -> u64 {
    let mut digest = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_string(&hpa.spec)
        .unwrap_or_default()
        .hash(&mut digest);
    hpa.metadata.labels.hash(&mut digest);
    hpa.metadata.annotations.hash(&mut digest);
    digest.finish()
}

impl OwnedHpaChanges {
    /// The HPA of `event` when it changed in a way that matters, or was deleted (its
    /// ScaledObject then creates it again); `None` for status-only writes, restarts, and an HPA
    /// seen for the first time: its ScaledObject's reconcile has just created it (or, listed at
    /// start-up, is reconciling it anyway), and reconciling again would only repeat that work.
    pub fn filter(
        &mut self,
        event: Event<HorizontalPodAutoscaler>,
    ) -> Option<HorizontalPodAutoscaler> {
        match event {
            Event::Apply(hpa) | Event::InitApply(hpa) => {
                let digest = fingerprint(&hpa);
                let previous = self.seen.insert(ObjectRef::from_obj(&hpa), digest);
                previous.is_some_and(|p| p != digest).then_some(hpa)
            }
            Event::Delete(hpa) => {
                self.seen.remove(&ObjectRef::from_obj(&hpa));
                Some(hpa)
            }
            Event::Init | Event::InitDone => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
    use kube::ResourceExt;
    use kube::runtime::watcher::Event;

    use super::OwnedHpaChanges;

    fn hpa(max: i32, label: &str, status_replicas: i32) -> HorizontalPodAutoscaler {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "keda-hpa-web", "namespace": "ns", "labels": {"app": label}},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": max},
            "status": {"currentReplicas": status_replicas, "desiredReplicas": status_replicas},
        }))
        .unwrap()
    }

    #[test]
    fn spec_labels_and_deletion_pass_status_writes_do_not() {
        let mut changes = OwnedHpaChanges::default();
        let passed = |changes: &mut OwnedHpaChanges, event| changes.filter(event).is_some();
        let cases = [
            (Event::Init, false, "a restart"),
            (Event::InitApply(hpa(1, "a", 1)), false, "first seen"),
            (Event::InitDone, false, "listed"),
            (
                Event::Apply(hpa(1, "a", 2)),
                false,
                "the HPA controller's status write",
            ),
            (Event::Apply(hpa(1, "a", 3)), false, "another"),
            (
                Event::Apply(hpa(2, "a", 3)),
                true,
                "someone edited the spec",
            ),
            (Event::Apply(hpa(2, "b", 3)), true, "a label changed"),
            (
                Event::Delete(hpa(2, "b", 3)),
                true,
                "deleted: to be created again",
            ),
            (
                Event::Apply(hpa(1, "b", 0)),
                false,
                "created again, by that reconcile",
            ),
            (Event::Apply(hpa(3, "b", 0)), true, "then edited"),
        ];
        for (event, expected, what) in cases {
            assert_eq!(passed(&mut changes, event), expected, "{what}");
        }
        let object = changes.filter(Event::Delete(hpa(1, "b", 0))).unwrap();
        assert_eq!(object.name_any(), "keda-hpa-web");
    }
}

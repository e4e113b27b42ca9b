//! The kinds the double serves: a fixed set of built-in kinds plus whatever CRDs register.
//! Each kind carries the bits of its registry "strategy" that clients can observe (generation
//! rule, status and scale subresources, whether strategic merge patch applies).

use std::sync::Arc;

use serde_json::Value;

/// When `metadata.generation` is bumped on update, as each real registry strategy decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenerationRule {
    /// The kind has no generation (ConfigMaps, Secrets, HPAs in 1.33, ...).
    None,
    /// Bumped when `.spec` changes (StatefulSets, CRDs themselves).
    Spec,
    /// Bumped when `.spec` or the annotations change (Deployments: annotations are copied to
    /// their ReplicaSets).
    SpecAndAnnotations,
    /// Bumped when anything but metadata (and status, with a status subresource) changes:
    /// custom resources.
    AllButMetadata,
}

/// Where a scale subresource finds its numbers (CRD `subresources.scale` paths, or the fixed
/// ones of Deployments and StatefulSets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalePaths {
    pub spec_replicas: String,
    pub status_replicas: String,
    pub label_selector: Option<String>,
}

/// A printer column of a CRD version (`additionalPrinterColumns`).
#[derive(Debug, Clone, PartialEq)]
pub struct PrinterColumn {
    pub name: String,
    pub type_: String,
    pub json_path: String,
    pub priority: i64,
    pub description: String,
    pub format: String,
}

#[derive(Debug, Clone)]
pub struct ResourceType {
    pub group: String,
    pub version: String,
    pub plural: String,
    pub singular: String,
    pub kind: String,
    pub list_kind: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub status: bool,
    pub scale: Option<ScalePaths>,
    pub generation: GenerationRule,
    /// Built-in kinds accept strategic merge patch and unconditional updates; custom resources
    /// refuse both, like the real server.
    pub builtin: bool,
    /// The verbs advertised in discovery.
    pub verbs: Vec<&'static str>,
    /// CRD printer columns (None for built-in kinds, which have fixed printers).
    pub columns: Option<Vec<PrinterColumn>>,
    /// The CRD's structural schema for this version, used for pruning and strict validation.
    pub schema: Option<Arc<Value>>,
    /// The CRD that registered this kind, so deleting the CRD removes it.
    pub crd: Option<String>,
}

pub const ALL_VERBS: [&str; 8] = [
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

impl ResourceType {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Where objects of this kind are stored. Every version of a group/resource shares one
    /// storage slot, and events.k8s.io Events are the core Events, as on the real server.
    pub fn storage_id(&self) -> (&str, &str) {
        if self.group == crate::events::GROUP && self.plural == "events" {
            return ("", "events");
        }
        (&self.group, &self.plural)
    }

    /// The stored form of an object written through this kind.
    pub fn to_storage(&self, obj: Value) -> Value {
        if crate::events::is_event(&self.group, &self.plural) {
            return crate::events::to_storage(&self.group, &obj);
        }
        obj
    }
}

/// The set of served kinds, in registration order (discovery lists them in this order).
#[derive(Debug, Clone, Default)]
pub struct Registry {
    types: Vec<ResourceType>,
}

impl Registry {
    pub fn with_builtins() -> Self {
        Registry {
            types: crate::builtin::builtin_types(),
        }
    }

    pub fn all(&self) -> &[ResourceType] {
        &self.types
    }

    pub fn find(&self, group: &str, version: &str, plural: &str) -> Option<&ResourceType> {
        self.types
            .iter()
            .find(|t| t.group == group && t.version == version && t.plural == plural)
    }

    /// Any served version of a group/resource (used to name objects in GC and events).
    pub fn find_any_version(&self, group: &str, plural: &str) -> Option<&ResourceType> {
        self.types
            .iter()
            .find(|t| t.group == group && t.plural == plural)
    }

    pub fn find_kind(&self, api_version: &str, kind: &str) -> Option<&ResourceType> {
        self.types
            .iter()
            .find(|t| t.api_version() == api_version && t.kind == kind)
    }

    /// Groups in first-registration order, each with its versions in registration order.
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for t in &self.types {
            match out.iter_mut().find(|(g, _)| *g == t.group) {
                Some((_, vs)) if !vs.contains(&t.version) => vs.push(t.version.clone()),
                Some(_) => {}
                None => out.push((t.group.clone(), vec![t.version.clone()])),
            }
        }
        out
    }

    pub fn in_group_version<'a>(
        &'a self,
        group: &'a str,
        version: &'a str,
    ) -> impl Iterator<Item = &'a ResourceType> + 'a {
        self.types
            .iter()
            .filter(move |t| t.group == group && t.version == version)
    }

    /// Replaces every kind registered by `crd` with `types`.
    pub fn set_crd_types(&mut self, crd: &str, types: Vec<ResourceType>) {
        self.remove_crd(crd);
        self.types.extend(types);
    }

    pub fn remove_crd(&mut self, crd: &str) {
        self.types.retain(|t| t.crd.as_deref() != Some(crd));
    }
}

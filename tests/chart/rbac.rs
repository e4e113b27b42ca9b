//! The RBAC the chart renders, as the API server's authorizer reads it: the rules bound to one
//! ServiceAccount, each with the namespace it applies in (none: cluster-wide).
#![allow(dead_code)] // each test binary uses a different part

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::Rendered;

/// Built-in roles the chart binds but does not define.
pub const BUILT_IN_ROLES: &[(&str, &str)] = &[
    ("ClusterRole", "system:auth-delegator"),
    ("Role", "extension-apiserver-authentication-reader"),
];

/// One rule of a Role or ClusterRole, where it applies.
#[derive(Debug, Clone)]
pub struct Rule {
    /// None: every namespace and cluster-scoped objects (a ClusterRoleBinding).
    pub namespace: Option<String>,
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub verbs: Vec<String>,
    pub resource_names: Vec<String>,
    /// `Kind/name` of the role it came from.
    pub role: String,
}

/// One permission, fully expanded.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grant {
    pub namespace: Option<String>,
    pub group: String,
    pub resource: String,
    pub verb: String,
    pub name: Option<String>,
}

impl std::fmt::Display for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let group = if self.group.is_empty() {
            "core"
        } else {
            &self.group
        };
        write!(
            f,
            "{} {group}/{} {}",
            self.namespace.as_deref().unwrap_or("<cluster>"),
            self.resource,
            self.verb
        )?;
        if let Some(name) = &self.name {
            write!(f, " (only {name})")?;
        }
        Ok(())
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn binds(binding: &Value, namespace: &str, name: &str) -> bool {
    binding["subjects"].as_array().is_some_and(|subjects| {
        subjects.iter().any(|s| {
            s["kind"] == "ServiceAccount" && s["name"] == name && s["namespace"] == namespace
        })
    })
}

/// The roles bound to the ServiceAccount `namespace/name`: (roleRef kind, roleRef name, the
/// namespace of a RoleBinding).
pub fn bindings_of(
    rendered: &Rendered,
    namespace: &str,
    name: &str,
) -> Vec<(String, String, Option<String>)> {
    let mut out = Vec::new();
    for doc in &rendered.docs {
        let in_namespace = match doc.kind() {
            "ClusterRoleBinding" => None,
            "RoleBinding" => Some(doc.namespace().unwrap_or_default().to_string()),
            _ => continue,
        };
        if binds(&doc.object, namespace, name) {
            let role = &doc.object["roleRef"];
            out.push((
                role["kind"].as_str().unwrap_or_default().to_string(),
                role["name"].as_str().unwrap_or_default().to_string(),
                in_namespace,
            ));
        }
    }
    out
}

/// Every rule the chart grants the ServiceAccount `namespace/name` through its own roles
/// (bindings to built-in roles are left out: the chart cannot see their rules).
pub fn rules_of(rendered: &Rendered, namespace: &str, name: &str) -> Vec<Rule> {
    let mut out = Vec::new();
    for (kind, role_name, bound_in) in bindings_of(rendered, namespace, name) {
        if BUILT_IN_ROLES.contains(&(kind.as_str(), role_name.as_str())) {
            continue;
        }
        let role = rendered
            .docs
            .iter()
            .find(|d| {
                d.kind() == kind
                    && d.name() == role_name
                    && (kind == "ClusterRole" || d.namespace() == bound_in.as_deref())
            })
            .unwrap_or_else(|| {
                panic!(
                    "{}: {kind} {role_name} is bound but not rendered",
                    rendered.variant
                )
            });
        for rule in role.object["rules"].as_array().into_iter().flatten() {
            out.push(Rule {
                namespace: bound_in.clone(),
                api_groups: strings(&rule["apiGroups"]),
                resources: strings(&rule["resources"]),
                verbs: strings(&rule["verbs"]),
                resource_names: strings(&rule["resourceNames"]),
                role: format!("{kind}/{role_name}"),
            });
        }
    }
    out
}

pub fn expand(rules: &[Rule]) -> BTreeSet<Grant> {
    let mut out = BTreeSet::new();
    for rule in rules {
        let names: Vec<Option<String>> = if rule.resource_names.is_empty() {
            vec![None]
        } else {
            rule.resource_names.iter().cloned().map(Some).collect()
        };
        for group in &rule.api_groups {
            for resource in &rule.resources {
                for verb in &rule.verbs {
                    for name in &names {
                        out.insert(Grant {
                            namespace: rule.namespace.clone(),
                            group: group.clone(),
                            resource: resource.clone(),
                            verb: verb.clone(),
                            name: name.clone(),
                        });
                    }
                }
            }
        }
    }
    out
}

/// A request as the authorizer sees it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Attributes {
    pub namespace: Option<String>,
    pub group: String,
    /// `resource` or `resource/subresource`.
    pub resource: String,
    pub verb: String,
    pub name: Option<String>,
}

impl std::fmt::Display for Attributes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let group = if self.group.is_empty() {
            "core"
        } else {
            &self.group
        };
        write!(
            f,
            "{} {} {group}/{}",
            self.verb,
            self.namespace.as_deref().unwrap_or("<cluster>"),
            self.resource
        )?;
        if let Some(name) = &self.name {
            write!(f, " {name}")?;
        }
        Ok(())
    }
}

/// RBAC's matching rules: `*` in groups, resources and verbs, `*/sub` for a subresource of any
/// resource, resourceNames never matching a request without a name (create, list, watch).
pub fn permits(rules: &[Rule], request: &Attributes) -> bool {
    rules.iter().any(|rule| {
        let namespace_ok = match (&rule.namespace, &request.namespace) {
            (None, _) => true,
            (Some(a), Some(b)) => a == b,
            (Some(_), None) => false,
        };
        let group_ok = rule
            .api_groups
            .iter()
            .any(|g| g == "*" || *g == request.group);
        let resource_ok = rule.resources.iter().any(|r| {
            r == "*"
                || *r == request.resource
                || r.strip_prefix("*/").is_some_and(|sub| {
                    request
                        .resource
                        .split_once('/')
                        .is_some_and(|(_, s)| s == sub)
                })
        });
        let verb_ok = rule.verbs.iter().any(|v| v == "*" || *v == request.verb);
        let name_ok = rule.resource_names.is_empty()
            || request
                .name
                .as_ref()
                .is_some_and(|n| rule.resource_names.contains(n));
        namespace_ok && group_ok && resource_ok && verb_ok && name_ok
    })
}

/// What the authorizer would check for `METHOD path?query` (as the test cluster records it);
/// None for non-resource paths (discovery, /version), which every authenticated user may read.
pub fn attributes(request: &str) -> Option<Attributes> {
    let (method, target) = request.split_once(' ')?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, rest) = match parts.as_slice() {
        ["api", "v1", rest @ ..] if !rest.is_empty() => (String::new(), rest),
        ["apis", group, _version, rest @ ..] if !rest.is_empty() => (group.to_string(), rest),
        _ => return None,
    };
    let (namespace, rest) = match rest {
        ["namespaces", ns, rest @ ..] if !rest.is_empty() => (Some(ns.to_string()), rest),
        _ => (None, rest),
    };
    let (resource, name) = match rest {
        [resource] => (resource.to_string(), None),
        [resource, name] => (resource.to_string(), Some(name.to_string())),
        [resource, name, sub] => (format!("{resource}/{sub}"), Some(name.to_string())),
        _ => return None,
    };
    let watching = query
        .split('&')
        .any(|p| p == "watch=true" || p == "watch=1");
    let verb = match (method, name.is_some()) {
        ("GET", true) => "get",
        ("GET", false) if watching => "watch",
        ("GET", false) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        _ => return None,
    };
    Some(Attributes {
        namespace,
        group,
        resource,
        verb: verb.to_string(),
        name,
    })
}

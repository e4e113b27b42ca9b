//! The chart's RBAC is exactly what the code calls: every Kubernetes API call of the operator
//! and the metrics server is a row of the tables below (with the file making it), and for every
//! variant under tests/chart/values/ the rules rendered for each ServiceAccount expand to exactly
//! the rows' (namespace, group, resource, verb, name) — nothing missing, nothing more.
//! tests/chart_run.rs checks the other direction against the running binaries: every request
//! they make is allowed by these rules.
//!
//! Found with: grep -rn "Api::<\|Api<\|api\.\(get\|patch\|create\|delete\|replace\|list\|watch\)
//! \|get_scale\|patch_scale\|patch_status\|Recorder\|discovery" src/
//! Not in the table: API discovery (`kube::discovery::pinned_kind` in controller/scale.rs reads
//! /apis/<group>/<version>), which the built-in `system:discovery` role grants every
//! authenticated user.

#[path = "chart/rbac.rs"]
mod rbac;
#[path = "chart/support.rs"]
mod support;

use std::collections::BTreeSet;

use rbac::{BUILT_IN_ROLES, Grant, bindings_of, expand, rules_of};
use serde_json::Value;
use support::{NAMESPACE, RenderOptions, Rendered, fullname, render, value};

/// Where a call's permission must hold.
#[derive(Debug, Clone, Copy)]
enum Scope {
    /// Wherever ScaledObjects are handled: every namespace, or each of `watchNamespace`.
    Handled,
    /// The controller's list and watch: cluster-wide, unless exactly one namespace is watched
    /// (cli/operator.rs uses `Api::all` for none or several).
    Watch,
    /// A cluster-scoped kind.
    Cluster,
    /// ConfigMaps: `Handled`, plus KEDA_CLUSTER_OBJECT_NAMESPACE, where
    /// ClusterTriggerAuthentications read them.
    ConfigMaps,
    /// Secrets: like ConfigMaps, except that with every namespace handled they are cluster-wide
    /// only with `rbac.secretsClusterWide` (else `rbac.secretNamespaces`).
    Secrets,
    /// The Lease in the release namespace (POD_NAMESPACE); `true`: only the Lease's name.
    Lease(bool),
}

struct Call {
    group: &'static str,
    resource: &'static str,
    verbs: &'static [&'static str],
    scope: Scope,
    /// Where in src/ the call is made.
    #[allow(dead_code)]
    site: &'static str,
}

/// `kedars operator`.
const OPERATOR: &[Call] = &[
    Call {
        group: "keda.sh",
        resource: "scaledobjects",
        verbs: &["list", "watch"],
        scope: Scope::Watch,
        site: "cli/operator.rs: watcher(Api<ScaledObject>) into the reflector: list, then watch",
    },
    Call {
        group: "keda.sh",
        resource: "scaledobjects",
        verbs: &["patch"],
        scope: Scope::Handled,
        site: "controller/reconcile.rs ensure_finalizer_and_label, controller/finalize.rs",
    },
    Call {
        group: "keda.sh",
        resource: "scaledobjects",
        verbs: &["get"],
        scope: Scope::Handled,
        site: "controller/reporter.rs write_status: a fresh read after a 409 conflict",
    },
    Call {
        group: "keda.sh",
        resource: "scaledobjects/status",
        verbs: &["patch"],
        scope: Scope::Handled,
        site: "controller/reconcile.rs patch_status, pause.rs, reporter.rs write_back, \
               scheduled_capacity.rs (status.scheduledCapacity)",
    },
    Call {
        group: "keda.sh",
        resource: "triggerauthentications",
        verbs: &["get"],
        scope: Scope::Handled,
        site: "controller/objects.rs fetch: get_opt",
    },
    Call {
        group: "keda.sh",
        resource: "triggerauthentications",
        verbs: &["list", "watch"],
        scope: Scope::Watch,
        site: "controller/auth_watch.rs changes: watcher(Api<PartialObjectMeta<TriggerAuthentication>>)",
    },
    Call {
        group: "keda.sh",
        resource: "clustertriggerauthentications",
        verbs: &["get"],
        scope: Scope::Cluster,
        site: "controller/objects.rs fetch: get_opt",
    },
    Call {
        group: "keda.sh",
        resource: "clustertriggerauthentications",
        verbs: &["list", "watch"],
        scope: Scope::Cluster,
        site: "controller/auth_watch.rs changes: \
               watcher(Api<PartialObjectMeta<ClusterTriggerAuthentication>>)",
    },
    Call {
        group: "autoscaling",
        resource: "horizontalpodautoscalers",
        verbs: &["list", "watch"],
        scope: Scope::Watch,
        site: "cli/operator.rs: watcher(Api<HorizontalPodAutoscaler>) (spec changes: owned_hpa_changes.rs), by \
               label: list, then watch",
    },
    Call {
        group: "autoscaling",
        resource: "horizontalpodautoscalers",
        verbs: &["create", "patch"],
        scope: Scope::Handled,
        site: "controller/reconcile.rs apply_hpa: server-side apply (a new HPA is authorised as \
               create)",
    },
    Call {
        group: "autoscaling",
        resource: "horizontalpodautoscalers",
        verbs: &["delete"],
        scope: Scope::Handled,
        site: "controller/context.rs delete_if_present from reconcile.rs (renamed) and pause.rs",
    },
    Call {
        group: "apps",
        resource: "deployments",
        verbs: &["get"],
        scope: Scope::Handled,
        site: "controller/objects.rs pod_spec, controller/scheduled_capacity.rs readyReplicas",
    },
    Call {
        group: "apps",
        resource: "statefulsets",
        verbs: &["get"],
        scope: Scope::Handled,
        site: "controller/objects.rs pod_spec, controller/scheduled_capacity.rs readyReplicas",
    },
    // Replaced by Deployments', StatefulSets' and rbac.scaleTargets' /scale when
    // rbac.scaleAnyKind is off (see `expected`).
    Call {
        group: "*",
        resource: "*/scale",
        verbs: &["get", "patch"],
        scope: Scope::Handled,
        site: "controller/scale.rs replicas (get_scale) and scale (patch_scale), any kind",
    },
    Call {
        group: "",
        resource: "configmaps",
        verbs: &["get"],
        scope: Scope::ConfigMaps,
        site: "controller/objects.rs fetch: only referenced ConfigMaps",
    },
    Call {
        group: "",
        resource: "secrets",
        verbs: &["get"],
        scope: Scope::Secrets,
        site: "controller/objects.rs fetch: only referenced Secrets, never list or watch",
    },
    Call {
        group: "events.k8s.io",
        resource: "events",
        verbs: &["create", "patch"],
        scope: Scope::Handled,
        site: "controller/context.rs event: kube-runtime Recorder::publish (patch for a repeat)",
    },
    Call {
        group: "coordination.k8s.io",
        resource: "leases",
        verbs: &["create"],
        scope: Scope::Lease(false),
        site: "controller/leader.rs try_acquire_or_renew: create",
    },
    Call {
        group: "coordination.k8s.io",
        resource: "leases",
        verbs: &["get", "update"],
        scope: Scope::Lease(true),
        site: "controller/leader.rs: get_opt, replace (renew, take over, release)",
    },
];

/// `kedars metrics-server` makes no Kubernetes API call: its values come from the operator's
/// feed (cli/feed.rs) and its clients are authenticated by certificate (metrics_api/tls.rs).
const METRICS_SERVER: &[Call] = &[];

struct Config {
    watch: Vec<String>,
    objects_namespace: String,
    secrets_cluster_wide: bool,
    secret_namespaces: Vec<String>,
    scale_any_kind: bool,
    scale_targets: Vec<(String, Vec<String>)>,
    lease: Option<String>,
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(String::from))
        .collect()
}

impl Config {
    fn of(values: &Value) -> Config {
        let mut watch = Vec::new();
        for ns in value(values, "watchNamespace")
            .as_str()
            .unwrap_or_default()
            .split(',')
        {
            let ns = ns.trim().to_string();
            if !ns.is_empty() && !watch.contains(&ns) {
                watch.push(ns);
            }
        }
        let objects_namespace = match value(values, "clusterObjectNamespace").as_str() {
            Some("") | None => NAMESPACE.to_string(),
            Some(ns) => ns.to_string(),
        };
        Config {
            watch,
            objects_namespace,
            secrets_cluster_wide: value(values, "rbac.secretsClusterWide") == true,
            secret_namespaces: strings(value(values, "rbac.secretNamespaces")),
            scale_any_kind: value(values, "rbac.scaleAnyKind") == true,
            scale_targets: value(values, "rbac.scaleTargets")
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| {
                    (
                        t["apiGroup"].as_str().unwrap_or_default().to_string(),
                        strings(&t["resources"]),
                    )
                })
                .collect(),
            lease: (value(values, "operator.leaderElection.enabled") == true).then(|| {
                value(values, "operator.leaderElection.leaseName")
                    .as_str()
                    .unwrap()
                    .to_string()
            }),
        }
    }

    fn handled(&self) -> Vec<Option<String>> {
        if self.watch.is_empty() {
            vec![None]
        } else {
            self.watch.iter().cloned().map(Some).collect()
        }
    }

    /// The namespaces (None: cluster-wide) and resource name a call's scope means here.
    fn places(&self, scope: Scope) -> Vec<(Option<String>, Option<String>)> {
        let with_objects_namespace = |mut places: Vec<Option<String>>| {
            let objects = Some(self.objects_namespace.clone());
            if !places.contains(&None) && !places.contains(&objects) {
                places.push(objects);
            }
            places
        };
        let namespaces = match scope {
            Scope::Handled => self.handled(),
            Scope::Watch if self.watch.len() == 1 => self.handled(),
            Scope::Watch | Scope::Cluster => vec![None],
            Scope::ConfigMaps => with_objects_namespace(self.handled()),
            Scope::Secrets if self.watch.is_empty() && !self.secrets_cluster_wide => {
                with_objects_namespace(self.secret_namespaces.iter().cloned().map(Some).collect())
            }
            Scope::Secrets => with_objects_namespace(self.handled()),
            Scope::Lease(named) => {
                let Some(lease) = &self.lease else {
                    return Vec::new();
                };
                return vec![(Some(NAMESPACE.to_string()), named.then(|| lease.clone()))];
            }
        };
        namespaces.into_iter().map(|ns| (ns, None)).collect()
    }
}

/// The operator's calls as this configuration's grants.
fn expected(calls: &[Call], config: &Config) -> BTreeSet<Grant> {
    let mut rows: Vec<(String, String, &[&str], Scope)> = Vec::new();
    for call in calls {
        if call.resource == "*/scale" {
            // The other kinds ScaledObjects target: their pod templates and ready replicas
            // (controller/objects.rs pod_spec, scheduled_capacity.rs: a DynamicObject get) and,
            // unless every kind's is, their /scale.
            for (group, resources) in &config.scale_targets {
                for resource in resources {
                    rows.push((group.clone(), resource.clone(), &["get"], call.scope));
                    if !config.scale_any_kind {
                        let scale = format!("{resource}/scale");
                        rows.push((group.clone(), scale, call.verbs, call.scope));
                    }
                }
            }
            if !config.scale_any_kind {
                for resource in ["deployments", "statefulsets"] {
                    let scale = format!("{resource}/scale");
                    rows.push(("apps".into(), scale, call.verbs, call.scope));
                }
                continue;
            }
        }
        rows.push((
            call.group.into(),
            call.resource.into(),
            call.verbs,
            call.scope,
        ));
    }
    let mut out = BTreeSet::new();
    for (group, resource, verbs, scope) in rows {
        for (namespace, name) in config.places(scope) {
            for verb in verbs {
                out.insert(Grant {
                    namespace: namespace.clone(),
                    group: group.clone(),
                    resource: resource.clone(),
                    verb: verb.to_string(),
                    name: name.clone(),
                });
            }
        }
    }
    out
}

fn assert_same(variant: &str, who: &str, expected: &BTreeSet<Grant>, granted: &BTreeSet<Grant>) {
    let missing: Vec<String> = expected
        .difference(granted)
        .map(|g| g.to_string())
        .collect();
    let extra: Vec<String> = granted
        .difference(expected)
        .map(|g| g.to_string())
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{variant}: {who}'s RBAC differs from its API calls\n  missing (the code calls, the \
         chart does not grant):\n    {}\n  extra (granted, never called):\n    {}",
        missing.join("\n    "),
        extra.join("\n    ")
    );
}

fn service_account(values: &Value, component: &str, suffix: &str) -> String {
    match value(values, &format!("{component}.serviceAccount.name")).as_str() {
        Some("") | None => format!("{}-{suffix}", fullname(values)),
        Some(name) => name.to_string(),
    }
}

fn variants() -> Vec<Rendered> {
    render(&RenderOptions::default())
}

#[test]
fn operator_rules_are_exactly_its_api_calls() {
    for rendered in variants() {
        let config = Config::of(&rendered.values);
        let sa = service_account(&rendered.values, "operator", "operator");
        let granted = expand(&rules_of(&rendered, NAMESPACE, &sa));
        assert_same(
            &rendered.variant,
            "the operator",
            &expected(OPERATOR, &config),
            &granted,
        );
    }
}

#[test]
fn metrics_server_has_no_rules_only_the_conventional_bindings() {
    for rendered in variants() {
        let values = &rendered.values;
        let all_in_one = value(values, "allInOne") == true;
        let sa = if all_in_one {
            service_account(values, "operator", "operator")
        } else {
            service_account(values, "metricsServer", "metrics-apiserver")
        };
        if !all_in_one {
            let granted = expand(&rules_of(&rendered, NAMESPACE, &sa));
            assert_same(
                &rendered.variant,
                "the metrics server",
                &expected(METRICS_SERVER, &Config::of(values)),
                &granted,
            );
        }
        let built_in: BTreeSet<(String, String, Option<String>)> =
            bindings_of(&rendered, NAMESPACE, &sa)
                .into_iter()
                .filter(|(kind, name, _)| BUILT_IN_ROLES.contains(&(kind.as_str(), name.as_str())))
                .collect();
        let wanted: BTreeSet<(String, String, Option<String>)> =
            if value(values, "metricsServer.apiserverAuthBindings") == true {
                [
                    ("ClusterRole".into(), "system:auth-delegator".into(), None),
                    (
                        "Role".into(),
                        "extension-apiserver-authentication-reader".into(),
                        Some("kube-system".into()),
                    ),
                ]
                .into()
            } else {
                BTreeSet::new()
            };
        assert_eq!(built_in, wanted, "{}", rendered.variant);
    }
}

#[test]
fn the_hpa_controller_may_read_external_metrics_and_nothing_else() {
    for rendered in variants() {
        let granted = expand(&rules_of(
            &rendered,
            "kube-system",
            "horizontal-pod-autoscaler",
        ));
        let wanted: BTreeSet<Grant> = ["get", "list"]
            .into_iter()
            .map(|verb| Grant {
                namespace: None,
                group: "external.metrics.k8s.io".into(),
                resource: "*".into(),
                verb: verb.into(),
                name: None,
            })
            .collect();
        assert_same(&rendered.variant, "the HPA controller", &wanted, &granted);
    }
}

#[test]
fn keda_kinds_aggregate_into_the_default_roles() {
    for rendered in variants() {
        let enabled = value(&rendered.values, "rbac.aggregateToDefaultRoles") == true;
        let aggregated: Vec<&support::Doc> = rendered
            .of_kind("ClusterRole")
            .filter(|d| {
                d.object["metadata"]["labels"]
                    .as_object()
                    .is_some_and(|l| l.keys().any(|k| k.contains("/aggregate-to-")))
            })
            .collect();
        if !enabled {
            assert!(aggregated.is_empty(), "{}", rendered.variant);
            continue;
        }
        let role = |suffix: &str| {
            rendered.get(
                "ClusterRole",
                &format!("{}-{suffix}", fullname(&rendered.values)),
            )
        };
        let labels = |doc: &support::Doc| -> BTreeSet<String> {
            doc.object["metadata"]["labels"]
                .as_object()
                .unwrap()
                .iter()
                .filter(|(k, v)| k.starts_with("rbac.authorization.k8s.io/") && *v == "true")
                .map(|(k, _)| k.clone())
                .collect()
        };
        let view = role("view");
        let edit = role("edit");
        assert_eq!(
            labels(view),
            BTreeSet::from(["rbac.authorization.k8s.io/aggregate-to-view".to_string()])
        );
        assert_eq!(
            labels(edit),
            BTreeSet::from([
                "rbac.authorization.k8s.io/aggregate-to-admin".to_string(),
                "rbac.authorization.k8s.io/aggregate-to-edit".to_string(),
            ])
        );
        let rules = |doc: &support::Doc| {
            doc.object["rules"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        strings(&r["apiGroups"]),
                        strings(&r["resources"]),
                        strings(&r["verbs"]),
                    )
                })
                .collect::<Vec<_>>()
        };
        let kinds = ["scaledobjects", "scaledjobs", "triggerauthentications"];
        let mut readable: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
        readable.push("clustertriggerauthentications".into());
        assert_eq!(
            rules(view),
            vec![(
                vec!["keda.sh".to_string()],
                readable,
                strings(&serde_json::json!(["get", "list", "watch"]))
            )]
        );
        assert_eq!(
            rules(edit),
            vec![(
                vec!["keda.sh".to_string()],
                kinds.iter().map(|k| k.to_string()).collect(),
                strings(&serde_json::json!([
                    "create",
                    "delete",
                    "deletecollection",
                    "patch",
                    "update"
                ]))
            )]
        );
    }
}

#[test]
fn no_rule_anywhere_lists_secrets_or_uses_a_wildcard_verb() {
    for rendered in variants() {
        for doc in rendered
            .docs
            .iter()
            .filter(|d| d.kind() == "ClusterRole" || d.kind() == "Role")
        {
            for rule in doc.object["rules"].as_array().into_iter().flatten() {
                let verbs = strings(&rule["verbs"]);
                assert!(!verbs.contains(&"*".to_string()), "{}: {rule}", doc.name());
                let resources = strings(&rule["resources"]);
                if resources.iter().any(|r| r == "secrets" || r == "*") {
                    assert!(
                        !verbs.iter().any(|v| v == "list" || v == "watch")
                            || strings(&rule["apiGroups"]) == ["external.metrics.k8s.io"],
                        "{}: {}: {rule}",
                        rendered.variant,
                        doc.name()
                    );
                }
            }
        }
    }
}

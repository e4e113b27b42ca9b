//! Tables for env expansion, container env resolution and auth resolution order, with objects
//! written as the YAML a user would write.

use std::collections::BTreeMap;

use super::*;
use crate::manifest::{LoadOptions, ManifestSet, load_str};

fn load(yaml: &str) -> ManifestSet {
    let set = load_str("t.yaml", yaml.as_bytes(), &LoadOptions::default());
    assert!(set.errors.is_empty(), "{:?}", set.errors);
    set
}

/// Resolves the first ScaledObject of `yaml`.
pub(super) fn resolve(yaml: &str) -> Resolved {
    let set = load(yaml);
    let so = set.scaled_objects[0].object.clone();
    resolve_scaled_object(&set, &so, &ResolveOptions::default())
}

fn env_of(pairs: &[(&str, &str)]) -> Env {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn expansion_table() {
    let env = env_of(&[("A", "1"), ("B", "two"), ("EMPTY", "")]);
    let cases: &[(&str, &str, &str)] = &[
        ("plain text is kept", "abc", "abc"),
        ("a defined variable", "$(A)", "1"),
        ("inside text", "x-$(A)-$(B)-y", "x-1-two-y"),
        (
            "an undefined variable stays as written",
            "$(NOPE)",
            "$(NOPE)",
        ),
        ("a defined empty variable", "[$(EMPTY)]", "[]"),
        ("$$ escapes", "$$(A)", "$(A)"),
        ("$$ then a reference", "$$$(A)", "$1"),
        ("a lone $ is kept", "cost: $5", "cost: $5"),
        ("a trailing $ is kept", "abc$", "abc$"),
        ("an unclosed reference is kept", "$(A", "$(A"),
        ("no nested expansion", "$($(A))", "$($(A))"),
        ("an empty name", "$()", "$()"),
        ("non-ASCII after $ is not mangled", "$é$(A)", "$é1"),
    ];
    for (why, input, want) in cases {
        assert_eq!(expand(input, &env), *want, "{why}: {input}");
    }
}

const WORKLOAD: &str = r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data: {HOST: redis.local, PORT: "6379"}
---
apiVersion: v1
kind: Secret
metadata: {name: s}
data: {PASSWORD: aHVudGVyMg==}
stringData: {USER: admin}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec:
      containers:
      - name: sidecar
        image: s
        env: [{name: WHO, value: sidecar}]
      - name: main
        image: m
        envFrom:
        - configMapRef: {name: cm}
          prefix: CM_
        - secretRef: {name: s}
        - configMapRef: {name: absent, optional: true}
        env:
        - {name: HOST, value: "$(CM_HOST):$(CM_PORT)"}
        - {name: CM_PORT, value: "override"}
        - {name: ESCAPED, value: "$$(HOST)"}
        - {name: FROM_SECRET, valueFrom: {secretKeyRef: {name: s, key: PASSWORD}}}
        - {name: FROM_CM, valueFrom: {configMapKeyRef: {name: cm, key: HOST}}}
        - {name: OPTIONAL, valueFrom: {secretKeyRef: {name: s, key: nope, optional: true}}}
        - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
        - {name: EMPTY}
"#;

pub(super) fn scaled_object(extra_target: &str, trigger: &str) -> String {
    format!(
        "{WORKLOAD}---\napiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {{name: so}}\n\
         spec:\n  scaleTargetRef: {{name: app{extra_target}}}\n  triggers:\n{trigger}"
    )
}

#[test]
fn container_env_follows_kedas_order() {
    let yaml = scaled_object(
        ", envSourceContainerName: main",
        "  - {type: cron, metadata: {}}\n",
    );
    let ctx = resolve(&yaml).triggers[0].clone().expect("resolves");
    let want = env_of(&[
        ("CM_HOST", "redis.local"),
        // envFrom first; `env` entries overwrite, in order.
        ("CM_PORT", "override"),
        ("PASSWORD", "hunter2"),
        ("USER", "admin"),
        ("HOST", "redis.local:6379"),
        ("ESCAPED", "$(HOST)"),
        ("FROM_SECRET", "hunter2"),
        ("FROM_CM", "redis.local"),
        ("EMPTY", ""),
    ]);
    assert_eq!(ctx.resolved_env, want);
}

#[test]
fn the_first_container_is_the_default_env_source() {
    let ctx = resolve(&scaled_object("", "  - {type: cron, metadata: {}}\n")).triggers[0]
        .clone()
        .expect("resolves");
    assert_eq!(ctx.resolved_env, env_of(&[("WHO", "sidecar")]));
}

/// The auth parameter `p` is set by all three sources; the last in KEDA's order wins.
#[test]
fn auth_params_follow_kedas_order() {
    let auth = r#"---
apiVersion: keda.sh/v1alpha1
kind: TriggerAuthentication
metadata: {name: ta}
spec:
  env:
  - {parameter: p, name: HOST, containerName: main}
  - {parameter: fromEnv, name: FROM_CM, containerName: main}
  - {parameter: envSource, name: HOST}
  configMapTargetRef:
  - {parameter: p, name: cm, key: PORT}
  - {parameter: fromCm, name: cm, key: HOST}
  secretTargetRef:
  - {parameter: p, name: s, key: USER}
"#;
    let trigger = "  - {type: redis, metadata: {}, authenticationRef: {name: ta}}\n";
    let yaml = scaled_object(", envSourceContainerName: main", trigger) + auth;
    let ctx = resolve(&yaml).triggers[0].clone().expect("resolves");
    let want: BTreeMap<String, String> = env_of(&[
        ("p", "admin"),
        ("fromEnv", "redis.local"),
        // Without containerName, the env source container (KEDA: the first container).
        ("envSource", "redis.local:6379"),
        ("fromCm", "redis.local"),
    ]);
    assert_eq!(ctx.auth_params, want);
}

#[test]
fn a_missing_scale_target_fails_only_what_needs_its_environment() {
    let base = "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: so}\nspec:\n  \
                scaleTargetRef: {name: ghost}\n  triggers:\n";
    let plain = format!("{base}  - {{type: cron, metadata: {{start: x}}}}\n");
    assert!(resolve(&plain).triggers[0].is_ok());
    let from_env = format!("{base}  - {{type: redis, metadata: {{addressFromEnv: ADDR}}}}\n");
    let errors = resolve(&from_env).triggers[0].clone().unwrap_err();
    assert_eq!(
        errors[0].to_string(),
        "ScaledObject default/so: trigger 0 (redis): metadata.addressFromEnv reads environment \
         variable ADDR, but Deployment default/ghost not found among the given documents"
    );
}

#[test]
fn an_unresolvable_env_source_fails_the_object_once() {
    let yaml = WORKLOAD.replace("configMapRef: {name: cm}", "configMapRef: {name: missing}")
        + "---\napiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: so}\nspec:\n  \
           scaleTargetRef: {name: app, envSourceContainerName: main}\n  triggers:\n  - {type: cron, metadata: {}}\n";
    let resolved = resolve(&yaml);
    let errors: Vec<String> = resolved.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        errors,
        vec![
            "ScaledObject default/so: env of container \"main\" of Deployment default/app: \
             ConfigMap default/missing not found among the given documents"
        ]
    );
    assert!(resolved.triggers[0].is_ok(), "no second report per trigger");
}

#[test]
fn errors_never_carry_secret_values() {
    let trigger = "  - type: redis\n    metadata: {passwordFromEnv: NOPE}\n";
    let errors = resolve(&scaled_object(", envSourceContainerName: main", trigger)).triggers[0]
        .clone()
        .unwrap_err();
    for e in errors {
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }
}

//! One row per reference that cannot be resolved: each names what is missing or unsupported.
//! KEDA logs most of these and carries on with empty values (docs/compat.md).

use super::tests::{resolve, scaled_object};

/// Each row: the trigger (and extra documents) and the exact error for trigger 0.
#[test]
fn missing_and_unsupported_references_are_errors() {
    let so = "ScaledObject default/so: trigger 0 (redis): ";
    let cases: &[(&str, &str, &str, String)] = &[
        (
            "missing TriggerAuthentication",
            "authenticationRef: {name: nope}",
            "",
            format!("{so}TriggerAuthentication default/nope not found among the given documents"),
        ),
        (
            "TriggerAuthentication in another namespace",
            "authenticationRef: {name: elsewhere}",
            "kind: TriggerAuthentication\nmetadata: {name: elsewhere, namespace: other}\nspec: {}\n",
            format!(
                "{so}TriggerAuthentication default/elsewhere not found among the given documents \
                 (one with that name exists in namespace other)"
            ),
        ),
        (
            "missing Secret",
            "authenticationRef: {name: ta}",
            "kind: TriggerAuthentication\nmetadata: {name: ta}\nspec:\n  secretTargetRef: [{parameter: p, name: gone, key: k}]\n",
            format!("{so}Secret default/gone not found among the given documents"),
        ),
        (
            "missing key",
            "authenticationRef: {name: ta}",
            "kind: TriggerAuthentication\nmetadata: {name: ta}\nspec:\n  secretTargetRef: [{parameter: p, name: s, key: nokey}]\n",
            format!("{so}key \"nokey\" not found in Secret default/s"),
        ),
        (
            "missing ConfigMap key",
            "authenticationRef: {name: ta}",
            "kind: TriggerAuthentication\nmetadata: {name: ta}\nspec:\n  configMapTargetRef: [{parameter: p, name: cm, key: nokey}]\n",
            format!("{so}key \"nokey\" not found in ConfigMap default/cm"),
        ),
        (
            "pod identity",
            "authenticationRef: {name: ta}",
            "kind: TriggerAuthentication\nmetadata: {name: ta}\nspec:\n  podIdentity: {provider: aws}\n",
            format!(
                "{so}TriggerAuthentication default/ta: spec.podIdentity (provider aws) is not supported yet"
            ),
        ),
        (
            "vault",
            "authenticationRef: {name: ta}",
            "kind: TriggerAuthentication\nmetadata: {name: ta}\nspec:\n  hashiCorpVault: {address: 'http://v', authentication: token, secrets: []}\n",
            format!(
                "{so}TriggerAuthentication default/ta: spec.hashiCorpVault is not supported yet"
            ),
        ),
        (
            "filePath on a TriggerAuthentication",
            "authenticationRef: {name: ta}",
            "kind: TriggerAuthentication\nmetadata: {name: ta}\nspec: {filePath: /x}\n",
            format!(
                "{so}TriggerAuthentication default/ta: spec.filePath is only honoured on a \
                 ClusterTriggerAuthentication (KEDA rejects it on a TriggerAuthentication)"
            ),
        ),
        (
            "filePath on a ClusterTriggerAuthentication",
            "authenticationRef: {name: cta, kind: ClusterTriggerAuthentication}",
            "kind: ClusterTriggerAuthentication\nmetadata: {name: cta}\nspec: {filePath: /x}\n",
            format!("{so}ClusterTriggerAuthentication cta: spec.filePath is not supported yet"),
        ),
        (
            "a CTA reads Secrets from the cluster object namespace",
            "authenticationRef: {name: cta, kind: ClusterTriggerAuthentication}",
            "kind: ClusterTriggerAuthentication\nmetadata: {name: cta}\nspec:\n  secretTargetRef: [{parameter: p, name: s, key: USER}]\n",
            format!(
                "{so}Secret keda/s not found among the given documents (one with that name \
                 exists in namespace default)"
            ),
        ),
        (
            "unknown authenticationRef kind",
            "authenticationRef: {name: ta, kind: Secret}",
            "",
            format!(
                "{so}authenticationRef.kind \"Secret\" is invalid: expected TriggerAuthentication \
                 or ClusterTriggerAuthentication"
            ),
        ),
        (
            "an env variable the container does not set",
            "metadata: {passwordFromEnv: NOPE}",
            "",
            format!(
                "{so}metadata.passwordFromEnv reads environment variable NOPE, which container \
                 \"sidecar\" of Deployment default/app does not set"
            ),
        ),
        (
            "TA env from a container that does not exist",
            "authenticationRef: {name: ta}",
            "kind: TriggerAuthentication\nmetadata: {name: ta}\nspec:\n  env: [{parameter: p, name: X, containerName: ghost}]\n",
            format!(
                "{so}TriggerAuthentication default/ta env[0] (parameter p) reads environment \
                 variable X, but container \"ghost\" not found in Deployment default/app"
            ),
        ),
        (
            "TA env naming a variable the container does not set",
            "authenticationRef: {name: ta}",
            "kind: TriggerAuthentication\nmetadata: {name: ta}\nspec:\n  env: [{parameter: p, name: NOPE}]\n",
            format!(
                "{so}TriggerAuthentication default/ta env[0] (parameter p) reads environment \
                 variable NOPE, which container \"sidecar\" of Deployment default/app does not set"
            ),
        ),
        (
            "metricType",
            "metricType: Averagevalue",
            "",
            format!(
                "{so}metricType \"Averagevalue\" is invalid: expected AverageValue, Value or \
                 Utilization (or none)"
            ),
        ),
    ];
    for (why, trigger_fields, extra, want) in cases {
        let trigger = format!("  - type: redis\n    {trigger_fields}\n");
        let mut yaml = scaled_object("", &trigger);
        if !extra.is_empty() {
            yaml.push_str(&format!("---\napiVersion: keda.sh/v1alpha1\n{extra}"));
        }
        let errors = resolve(&yaml).triggers[0].clone().expect_err(why);
        let got: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(got, vec![want.clone()], "{why}");
    }
}

/// A `secretKeyRef` in the container's env naming a key the Secret lacks: kubelet would not start
/// the pod; KEDA reads an empty value.
#[test]
fn a_missing_env_secret_key_fails_the_object() {
    let yaml = scaled_object(
        ", envSourceContainerName: main",
        "  - {type: cron, metadata: {}}\n",
    )
    .replace("key: PASSWORD}", "key: GONE}");
    let errors: Vec<String> = resolve(&yaml)
        .errors
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(
        errors,
        vec![
            "ScaledObject default/so: env of container \"main\" of Deployment default/app: key \
             \"GONE\" not found in Secret default/s"
        ]
    );
}

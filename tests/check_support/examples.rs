//! Every manifest in KEDA's documentation (`../shared/keda-examples`, see its INDEX.json),
//! through `kedars check`. Whole manifests are checked as published; snippets are wrapped into a
//! minimal ScaledObject. Where an example cannot pass as published (a placeholder, a namespace
//! mismatch, pod identity), the row says exactly what `check` must report, and, where filling in
//! the placeholder makes sense, what the filled-in manifest gives.

use std::path::PathBuf;

use crate::check_support::{json, kedars};

fn examples_dir() -> PathBuf {
    std::env::var_os("KEDARS_EXAMPLES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/keda-examples")
        })
}

/// How a file becomes a manifest.
#[derive(Clone, Copy)]
enum Wrap {
    /// A whole manifest, checked as it is.
    Whole,
    /// A `triggers:` list: into a ScaledObject, with a Deployment that sets every variable the
    /// snippet's `<key>FromEnv` entries name.
    Triggers,
    /// Cron `start:`/`end:` lines: into a cron trigger's metadata.
    CronMetadata,
    /// `metadata.annotations`: onto a ScaledObject with a cron trigger.
    Annotations,
    /// A part of `spec` (`fallback:`, `advanced:`): into a ScaledObject with a cron trigger.
    Spec { indent: usize },
}

enum Expect {
    Valid,
    /// Each text must appear in some error.
    Invalid(&'static [&'static str]),
}

struct Case {
    file: &'static str,
    wrap: Wrap,
    published: Expect,
    /// Placeholders filled in (from, to), and what check then says.
    filled: Option<(&'static [(&'static str, &'static str)], Expect)>,
}

const HOST: &[(&str, &str)] = &[("<prometheus-host>", "prometheus")];
/// prometheus/02..06 put the Secret and TriggerAuthentication in `default` and the ScaledObject in
/// `keda`; KEDA would build the scaler without credentials.
const SAME_NS: &[(&str, &str)] = &[
    ("namespace: keda", "namespace: default"),
    ("<prometheus-host>", "prometheus"),
];
const TA_ELSEWHERE: &str = "TriggerAuthentication keda/keda-prom-creds not found among the given \
                            documents (one with that name exists in namespace default)";
const NOT_BASE64: &str = "not valid base64";
const SECRET_UNREADABLE: &str = "Secret default/keda-prom-secret not found among the given \
                                 documents (a document defining it could not be read";
const PLACEHOLDER_HOST: &str = "\"http://<prometheus-host>:9090\" is invalid";

const CASES: &[Case] = &[
    Case {
        file: "cron/00-trigger-spec.yaml",
        wrap: Wrap::Triggers,
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "cron/01-fixed-replicas.yaml",
        wrap: Wrap::Whole,
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "cron/02-dynamic-with-cpu.yaml",
        wrap: Wrap::Whole,
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "cron/90-invalid-start-equals-end.yaml",
        wrap: Wrap::CronMetadata,
        published: Expect::Invalid(&["start and end can not have exactly same time input"]),
        filled: None,
    },
    Case {
        file: "mysql/01-example.yaml",
        wrap: Wrap::Whole,
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "pause/01-paused-and-paused-replicas.yaml",
        wrap: Wrap::Annotations,
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "pause/02-paused-scale-in.yaml",
        wrap: Wrap::Annotations,
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "pause/03-paused-scale-out.yaml",
        wrap: Wrap::Annotations,
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "pause/04-force-activation.yaml",
        wrap: Wrap::Annotations,
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "fallback/01-fallback-section.yaml",
        wrap: Wrap::Spec { indent: 0 },
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "scaledobject-spec/01-hpa-config.yaml",
        wrap: Wrap::Spec { indent: 2 },
        published: Expect::Invalid(&[
            "field spec.advanced.horizontalPodAutoscalerConfig.name",
            "invalid type: map, expected a string",
        ]),
        filled: Some((&[("{name-of-hpa-resource}", "my-hpa")], Expect::Valid)),
    },
    Case {
        file: "scaledobject-spec/00-overview.yaml",
        wrap: Wrap::Whole,
        published: Expect::Invalid(&[
            "field metadata.name (line 7): invalid type: map, expected a string",
        ]),
        filled: None,
    },
    Case {
        file: "prometheus/00-trigger-spec.yaml",
        wrap: Wrap::Triggers,
        published: Expect::Invalid(&[PLACEHOLDER_HOST]),
        filled: Some((HOST, Expect::Valid)),
    },
    Case {
        file: "prometheus/01-basic.yaml",
        wrap: Wrap::Whole,
        published: Expect::Invalid(&[PLACEHOLDER_HOST]),
        filled: Some((HOST, Expect::Valid)),
    },
    Case {
        file: "prometheus/02-bearer-auth.yaml",
        wrap: Wrap::Whole,
        published: Expect::Invalid(&[
            TA_ELSEWHERE,
            "field data.bearerToken (line 10): not valid base64",
        ]),
        filled: Some((SAME_NS, Expect::Invalid(&[NOT_BASE64, SECRET_UNREADABLE]))),
    },
    Case {
        file: "prometheus/03-basic-auth.yaml",
        wrap: Wrap::Whole,
        published: Expect::Invalid(&[TA_ELSEWHERE]),
        filled: Some((SAME_NS, Expect::Valid)),
    },
    Case {
        file: "prometheus/04-tls-auth.yaml",
        wrap: Wrap::Whole,
        published: Expect::Invalid(&[TA_ELSEWHERE, NOT_BASE64]),
        filled: Some((SAME_NS, Expect::Invalid(&[NOT_BASE64, SECRET_UNREADABLE]))),
    },
    Case {
        file: "prometheus/05-tls-and-basic-auth.yaml",
        wrap: Wrap::Whole,
        published: Expect::Invalid(&[TA_ELSEWHERE, NOT_BASE64]),
        filled: Some((SAME_NS, Expect::Invalid(&[NOT_BASE64, SECRET_UNREADABLE]))),
    },
    Case {
        file: "prometheus/06-custom-auth.yaml",
        wrap: Wrap::Whole,
        published: Expect::Invalid(&[TA_ELSEWHERE, NOT_BASE64]),
        filled: Some((SAME_NS, Expect::Invalid(&[NOT_BASE64, SECRET_UNREADABLE]))),
    },
    // Pod identity: exactly the "not supported yet" error.
    Case {
        file: "prometheus/07-azure-monitor-managed.yaml",
        wrap: Wrap::Whole,
        published: Expect::Invalid(&[
            "trigger 0 (prometheus): TriggerAuthentication default/azure-managed-prometheus-trigger-auth: spec.podIdentity (provider azure-workload) is not supported yet",
        ]),
        filled: None,
    },
    Case {
        file: "prometheus/08-aws-amp.yaml",
        wrap: Wrap::Whole,
        published: Expect::Invalid(&[
            "08-aws-amp.yaml:56:21: malformed YAML",
            "template placeholder",
        ]),
        filled: Some((
            &[
                ("{{.AwsRegion}}", "us-east-1"),
                ("{{.WorkspaceID}}", "ws-1"),
            ],
            Expect::Invalid(&[
                "trigger 0 (prometheus): TriggerAuthentication default/keda-trigger-auth-aws-credentials: spec.podIdentity (provider aws) is not supported yet",
            ]),
        )),
    },
    Case {
        file: "prometheus/09-google-managed.yaml",
        wrap: Wrap::Whole,
        published: Expect::Invalid(&[
            "trigger 0 (prometheus): ClusterTriggerAuthentication google-workload-identity-auth: spec.podIdentity (provider gcp) is not supported yet",
        ]),
        filled: None,
    },
    Case {
        file: "redis-lists/00-trigger-spec.yaml",
        wrap: Wrap::Triggers,
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "redis-lists/01-example.yaml",
        wrap: Wrap::Whole,
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "redis-cluster-lists/00-trigger-spec.yaml",
        wrap: Wrap::Triggers,
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "redis-cluster-lists/01-example.yaml",
        wrap: Wrap::Whole,
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "redis-sentinel-lists/00-trigger-spec.yaml",
        wrap: Wrap::Triggers,
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "redis-sentinel-lists/01-example.yaml",
        wrap: Wrap::Whole,
        published: Expect::Valid,
        filled: None,
    },
];

/// Fragments that cannot become a manifest, and why.
const NOT_MANIFESTS: &[(&str, &str)] = &[
    (
        "fallback/02-scaling-modifiers-behavior.yaml",
        "trigger metadata elided as `...`",
    ),
    (
        "scaling-modifiers/00-reference-shape.yaml",
        "every value is a {placeholder}",
    ),
    (
        "scaling-modifiers/01-compose-average.yaml",
        "partial spec with a `...` elision; kubernetes-workload and metrics-api have no scaler yet",
    ),
    (
        "scaling-modifiers/02-activation-target.yaml",
        "a single field, no triggers",
    ),
    (
        "scaling-modifiers/03-ternary.yaml",
        "a formula whose triggers are not given",
    ),
    (
        "scaling-modifiers/04-count-function.yaml",
        "a formula whose triggers are not given",
    ),
    (
        "scaling-modifiers/05-nested-conditions.yaml",
        "a formula whose triggers are not given",
    ),
    (
        "scaling-modifiers/06-per-trigger-failover.yaml",
        "trigger metadata elided as `...`",
    ),
];

const SCALED_OBJECT: &str = "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: snippet\nspec:\n  scaleTargetRef:\n    name: app\n";
const CRON_TRIGGER: &str = "  triggers:\n  - type: cron\n    metadata: {timezone: Etc/UTC, start: 0 8 * * *, end: 0 9 * * *, desiredReplicas: \"1\"}\n";

fn indent(text: &str, by: usize) -> String {
    text.lines().map(|l| format!("{:by$}{l}\n", "")).collect()
}

/// The variables a snippet's (uncommented) `<key>FromEnv: NAME` entries read.
fn env_names(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split(" #").next().unwrap_or("").trim())
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once("FromEnv:").map(|(_, v)| v.trim().to_string()))
        .collect()
}

fn deployment(vars: &[String]) -> String {
    let env: String = vars
        .iter()
        .map(|v| format!("        - {{name: {v}, value: \"localhost:6379\"}}\n"))
        .collect();
    format!(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  selector: {{matchLabels: {{app: app}}}}\n  \
         template:\n    metadata: {{labels: {{app: app}}}}\n    spec:\n      containers:\n      - name: app\n        image: example/app\n        env:{}",
        if env.is_empty() {
            " []\n".to_string()
        } else {
            format!("\n{env}")
        }
    )
}

fn wrap(text: &str, how: Wrap) -> String {
    match how {
        Wrap::Whole => text.to_string(),
        Wrap::Triggers => format!(
            "{SCALED_OBJECT}{}{}",
            indent(text, 2),
            deployment(&env_names(text))
        ),
        Wrap::CronMetadata => format!(
            "{SCALED_OBJECT}  triggers:\n  - type: cron\n    metadata:\n      timezone: Etc/UTC\n      desiredReplicas: \"1\"\n{}",
            indent(text, 6)
        ),
        Wrap::Annotations => format!(
            "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\n{}spec:\n  scaleTargetRef:\n    name: app\n{CRON_TRIGGER}",
            text.replacen("metadata:\n", "metadata:\n  name: snippet\n", 1)
        ),
        Wrap::Spec { indent: by } => format!("{SCALED_OBJECT}{CRON_TRIGGER}{}", indent(text, by)),
    }
}

/// Checks `text` and returns what is wrong with the outcome, if anything.
fn verdict(label: &str, args: &[&str], stdin: &str, expect: &Expect) -> Option<String> {
    let out = kedars(args, stdin);
    let report = json(&out.stdout);
    let objects = report["objects"].as_array().cloned().unwrap_or_default();
    let errors: Vec<String> = objects
        .iter()
        .flat_map(|o| o["errors"].as_array().cloned().unwrap_or_default())
        .filter_map(|e| e.as_str().map(str::to_string))
        .collect();
    let ok = match expect {
        Expect::Valid => out.code == 0 && !objects.is_empty() && errors.is_empty(),
        Expect::Invalid(needles) => {
            out.code == 1 && needles.iter().all(|n| errors.iter().any(|e| e.contains(n)))
        }
    };
    (!ok).then(|| format!("{label}: exit {}, errors {errors:#?}", out.code))
}

#[test]
fn every_indexed_example_is_covered() {
    let index = std::fs::read_to_string(examples_dir().join("INDEX.json"))
        .expect("KEDARS_EXAMPLES_DIR or ../shared/keda-examples holds INDEX.json");
    let index: serde_json::Value = serde_json::from_str(&index).unwrap();
    let mut indexed: Vec<String> = index
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["file"].as_str().unwrap().to_string())
        .collect();
    let mut covered: Vec<String> = CASES
        .iter()
        .map(|c| c.file)
        .chain(NOT_MANIFESTS.iter().map(|(f, _)| *f))
        .map(str::to_string)
        .collect();
    indexed.sort();
    covered.sort();
    assert_eq!(
        indexed, covered,
        "classify every example in CASES or NOT_MANIFESTS"
    );
}

#[test]
fn examples_check_as_documented() {
    let dir = examples_dir();
    let mut failures = Vec::new();
    for case in CASES {
        let path = dir.join(case.file);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let published = match case.wrap {
            Wrap::Whole => verdict(
                case.file,
                &["check", "-o", "json", &path.display().to_string()],
                "",
                &case.published,
            ),
            how => verdict(
                case.file,
                &["check", "-o", "json", "-"],
                &wrap(&text, how),
                &case.published,
            ),
        };
        failures.extend(published);
        if let Some((fills, expect)) = &case.filled {
            let filled = fills
                .iter()
                .fold(text.clone(), |t, (from, to)| t.replace(from, to));
            let label = format!("{} (placeholders filled in)", case.file);
            failures.extend(verdict(
                &label,
                &["check", "-o", "json", "-"],
                &wrap(&filled, case.wrap),
                expect,
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

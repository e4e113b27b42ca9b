//! Every manifest in KEDA's documentation (`../shared/keda-examples`, see its INDEX.json),
//! through `kedars check`. Whole manifests are checked as published; snippets are wrapped into a
//! minimal ScaledObject. Where an example cannot pass as published (a placeholder, a namespace
//! mismatch, pod identity), the row says exactly what `check` must report, and, where filling in
//! the placeholder makes sense, what the filled-in manifest gives.

use std::path::PathBuf;

use crate::check_support::{json, kedars};

#[path = "example_cases.rs"]
mod cases;

use cases::{CASES, Expect, NOT_MANIFESTS, Wrap};

/// `KEDARS_EXAMPLES_DIR`, else the project's shared copy beside the checkout
/// (`../shared/keda-examples`, the newest), else the copy committed under tests/fixtures (a
/// checkout elsewhere, e.g. CI's).
fn examples_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("KEDARS_EXAMPLES_DIR") {
        return dir.into();
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/keda-examples");
    if shared.join("INDEX.json").exists() {
        return shared;
    }
    root.join("tests/fixtures/keda-examples")
}

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
        .expect("the examples directory holds INDEX.json");
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

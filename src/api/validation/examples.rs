//! KEDA's documentation examples (`../shared/keda-examples` or its copy in
//! tests/fixtures, see its README): every whole
//! manifest must pass validation, and every whole manifest named `9*` must fail with a reason.
//! Snippets, and `00-` files with `{placeholders}`, are not manifests and are skipped.

use std::path::{Path, PathBuf};

use super::{Neighbours, validate_scaled_object, validate_trigger_authentication};
use crate::api::{ScaledObject, TriggerAuthentication};

/// The project's shared copy beside the checkout (the newest), else the one committed under
/// tests/fixtures.
fn examples_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    [
        root.join("../shared/keda-examples"),
        root.join("tests/fixtures/keda-examples"),
    ]
    .into_iter()
    .find(|dir| dir.join("INDEX.json").is_file())
    .expect("tests/fixtures/keda-examples is committed")
}

/// The INDEX.json entries that are whole manifests.
fn whole_manifests(dir: &Path) -> Vec<String> {
    let index = std::fs::read_to_string(dir.join("INDEX.json")).expect("INDEX.json readable");
    let entries: Vec<serde_json::Value> = serde_json::from_str(&index).expect("INDEX.json is JSON");
    entries
        .iter()
        .filter_map(|e| Some((e["file"].as_str()?, e["kind"].as_str()?)))
        .filter(|(file, kind)| {
            let name = file.rsplit('/').next().unwrap_or(file);
            kind.starts_with("full") && !kind.contains("placeholder") && !name.starts_with("00-")
        })
        .map(|(file, _)| file.to_string())
        .collect()
}

/// The file's documents, or `None` for the one published block that is a Go template
/// (`{{.AwsRegion}}`) rather than YAML.
fn documents(path: &Path) -> Option<Vec<serde_json::Value>> {
    let text = std::fs::read_to_string(path).expect("example readable");
    if text.contains("{{.") {
        return None;
    }
    Some(serde_saphyr::from_multiple(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

fn of_kind<T: serde::de::DeserializeOwned>(
    docs: &[serde_json::Value],
    kind: &str,
    file: &str,
) -> Vec<T> {
    docs.iter()
        .filter(|d| d["kind"] == kind)
        .map(|d| {
            serde_json::from_value(d.clone()).unwrap_or_else(|e| panic!("{file}: {kind}: {e}"))
        })
        .collect()
}

#[test]
fn keda_documentation_examples_validate() {
    let dir = examples_dir();
    let files = whole_manifests(&dir);
    assert!(
        files.len() >= 15,
        "INDEX.json lists whole manifests: {files:?}"
    );
    let mut scaled_objects_seen = 0;
    for file in &files {
        let Some(docs) = documents(&dir.join(file)) else {
            continue;
        };
        let scaled_objects: Vec<ScaledObject> = of_kind(&docs, "ScaledObject", file);
        let neighbours = Neighbours {
            scaled_objects: &scaled_objects,
            ..Neighbours::default()
        };
        let mut errors = Vec::new();
        for so in &scaled_objects {
            let v = validate_scaled_object(so, &neighbours);
            assert!(
                v.warnings.is_empty(),
                "{file}: unexpected warnings {:#?}",
                v.warnings
            );
            errors.extend(v.errors);
        }
        for ta in of_kind::<TriggerAuthentication>(&docs, "TriggerAuthentication", file) {
            errors.extend(validate_trigger_authentication(&ta.spec).errors);
        }
        scaled_objects_seen += scaled_objects.len();
        let invalid_example = file.rsplit('/').next().is_some_and(|n| n.starts_with('9'));
        if invalid_example {
            assert!(
                !errors.is_empty(),
                "{file} is an invalid example but validated"
            );
        } else {
            assert!(errors.is_empty(), "{file}: {errors:#?}");
        }
    }
    assert!(
        scaled_objects_seen >= 14,
        "only {scaled_objects_seen} ScaledObjects found"
    );
}

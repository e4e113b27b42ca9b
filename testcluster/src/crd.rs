//! CustomResourceDefinitions: creating one registers its kinds (what the apiextensions server
//! does), and its status says so (what the apiextensions controllers do, here at once).

use std::path::Path;

use serde_json::{Value, json};

use crate::error::ApiError;
use crate::meta;
use crate::registry::{ALL_VERBS, GenerationRule, PrinterColumn, ResourceType, ScalePaths};

/// The finalizer the real server puts on every CRD: instances are removed before the CRD goes.
pub const CLEANUP_FINALIZER: &str = "customresourcecleanup.apiextensions.k8s.io";

fn s<'a>(v: &'a Value, p: &str) -> &'a str {
    v.pointer(p).and_then(Value::as_str).unwrap_or("")
}

fn strings(v: &Value, p: &str) -> Vec<String> {
    v.pointer(p)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Field errors of a CRD, in the shape of `ApiError::invalid` causes.
pub fn validate(crd: &Value) -> Vec<(String, String)> {
    let mut errs = Vec::new();
    let (group, plural) = (s(crd, "/spec/group"), s(crd, "/spec/names/plural"));
    let name = meta::name(crd);
    if name != format!("{plural}.{group}") {
        errs.push((
            "metadata.name".into(),
            format!("Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group"),
        ));
    }
    if s(crd, "/spec/names/kind").is_empty() {
        errs.push(("spec.names.kind".into(), "Required value".into()));
    }
    let scope = s(crd, "/spec/scope");
    if scope != "Namespaced" && scope != "Cluster" {
        errs.push((
            "spec.scope".into(),
            format!(
                "Unsupported value: \"{scope}\": supported values: \"Cluster\", \"Namespaced\""
            ),
        ));
    }
    let versions = crd.pointer("/spec/versions").and_then(Value::as_array);
    let storage = versions
        .into_iter()
        .flatten()
        .filter(|v| v["storage"] == true)
        .count();
    if storage != 1 {
        errs.push((
            "spec.versions".into(),
            "Invalid value: must have exactly one version marked as storage version".into(),
        ));
    }
    errs
}

fn columns(v: &Value) -> Vec<PrinterColumn> {
    let cols = v["additionalPrinterColumns"].as_array();
    let mut out: Vec<PrinterColumn> = cols
        .into_iter()
        .flatten()
        .map(|c| PrinterColumn {
            name: s(c, "/name").into(),
            type_: s(c, "/type").into(),
            json_path: s(c, "/jsonPath").into(),
            priority: c["priority"].as_i64().unwrap_or(0),
            description: s(c, "/description").into(),
            format: s(c, "/format").into(),
        })
        .collect();
    // Without columns of its own a custom resource still prints its age.
    if cols.is_none() {
        out.push(PrinterColumn {
            name: "Age".into(),
            type_: "date".into(),
            json_path: ".metadata.creationTimestamp".into(),
            priority: 0,
            description: String::new(),
            format: String::new(),
        });
    }
    out
}

fn scale_paths(v: &Value) -> Option<ScalePaths> {
    let sc = v.pointer("/subresources/scale")?;
    Some(ScalePaths {
        spec_replicas: s(sc, "/specReplicasPath").into(),
        status_replicas: s(sc, "/statusReplicasPath").into(),
        label_selector: sc["labelSelectorPath"].as_str().map(String::from),
    })
}

/// The kinds a (valid) CRD serves, one per served version.
pub fn resource_types(crd: &Value) -> Vec<ResourceType> {
    let spec = &crd["spec"];
    let kind = s(spec, "/names/kind").to_string();
    let versions = spec["versions"].as_array().cloned().unwrap_or_default();
    versions
        .iter()
        .filter(|v| v["served"] != false)
        .map(|v| ResourceType {
            group: s(spec, "/group").into(),
            version: s(v, "/name").into(),
            plural: s(spec, "/names/plural").into(),
            singular: match s(spec, "/names/singular") {
                "" => kind.to_lowercase(),
                x => x.into(),
            },
            kind: kind.clone(),
            list_kind: match s(spec, "/names/listKind") {
                "" => format!("{kind}List"),
                x => x.into(),
            },
            namespaced: s(spec, "/scope") == "Namespaced",
            short_names: strings(spec, "/names/shortNames"),
            categories: strings(spec, "/names/categories"),
            status: v.pointer("/subresources/status").is_some(),
            scale: scale_paths(v),
            generation: GenerationRule::AllButMetadata,
            builtin: false,
            verbs: ALL_VERBS.to_vec(),
            columns: Some(columns(v)),
            schema: v
                .pointer("/schema/openAPIV3Schema")
                .cloned()
                .map(std::sync::Arc::new),
            crd: Some(meta::name(crd).to_string()),
        })
        .collect()
}

/// The status the apiextensions controllers would settle on for an accepted CRD.
pub fn established_status(crd: &Value, now: &str) -> Value {
    let spec = &crd["spec"];
    let mut names = spec["names"].clone();
    if names.get("listKind").is_none() {
        names["listKind"] = json!(format!("{}List", s(spec, "/names/kind")));
    }
    if names.get("singular").is_none() {
        names["singular"] = json!(s(spec, "/names/kind").to_lowercase());
    }
    let stored: Vec<Value> = spec["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["storage"] == true)
        .map(|v| v["name"].clone())
        .collect();
    let cond = |t: &str, reason: &str, msg: &str| json!({"type": t, "status": "True", "lastTransitionTime": now, "reason": reason, "message": msg});
    json!({
        "acceptedNames": names,
        "conditions": [
            cond("NamesAccepted", "NoConflicts", "no conflicts found"),
            cond("Established", "InitialNamesAccepted", "the initial names have been accepted"),
        ],
        "storedVersions": stored,
    })
}

/// Every YAML document of every `*.yaml`/`*.yml` file in `dir` (sorted by file name).
pub fn read_yaml_dir(dir: &Path) -> Result<Vec<Value>, ApiError> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| ApiError::internal(format!("reading {}: {e}", dir.display())))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    let mut docs = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f)
            .map_err(|e| ApiError::internal(format!("reading {}: {e}", f.display())))?;
        docs.extend(parse_yaml_docs(&text)?);
    }
    Ok(docs)
}

pub fn parse_yaml_docs(text: &str) -> Result<Vec<Value>, ApiError> {
    let docs: Vec<Value> = serde_saphyr::from_multiple(text)
        .map_err(|e| ApiError::bad_request(format!("invalid YAML: {e}")))?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crd_registers_its_kinds() {
        let crd = json!({"metadata": {"name": "widgets.example.com"}, "spec": {
            "group": "example.com", "scope": "Namespaced",
            "names": {"kind": "Widget", "plural": "widgets", "shortNames": ["wd"]},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas",
                    "statusReplicasPath": ".status.replicas"}}}]}});
        assert!(validate(&crd).is_empty());
        let types = resource_types(&crd);
        assert_eq!(types.len(), 1);
        let t = &types[0];
        assert_eq!(
            (t.singular.as_str(), t.list_kind.as_str()),
            ("widget", "WidgetList")
        );
        assert!(t.status && t.scale.is_some() && t.namespaced);
        assert_eq!(t.columns.as_ref().unwrap()[0].name, "Age");
        let mut bad = crd.clone();
        bad["metadata"]["name"] = json!("widgets");
        assert_eq!(validate(&bad).len(), 1);
        let st = established_status(&crd, "now");
        assert_eq!(st["acceptedNames"]["listKind"], "WidgetList");
        assert_eq!(st["storedVersions"], json!(["v1"]));
    }
}

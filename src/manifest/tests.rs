//! The loader on good, bad and hostile input.

use super::*;

fn load(text: &str) -> ManifestSet {
    load_str("m.yaml", text.as_bytes(), &LoadOptions::default())
}

fn errors(set: &ManifestSet) -> Vec<String> {
    set.errors.iter().map(|e| e.to_string()).collect()
}

const ALL_KINDS: &str = r#"
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: so}
spec: {scaleTargetRef: {name: app}, triggers: [{type: cron, metadata: {}}]}
---
apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: sj, namespace: jobs}
spec: {jobTargetRef: {template: {}}, triggers: []}
---
apiVersion: keda.sh/v1alpha1
kind: TriggerAuthentication
metadata: {name: ta}
spec: {}
---
apiVersion: keda.sh/v1alpha1
kind: ClusterTriggerAuthentication
metadata: {name: cta}
spec: {}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec: {selector: {}, template: {}, serviceName: db}
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: ConfigMap, metadata: {name: cm}, data: {a: b}}
- {apiVersion: v1, kind: Service, metadata: {name: svc}}
- {apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, metadata: {name: h}, spec: {scaleTargetRef: {kind: Deployment, name: app}, maxReplicas: 3}}
---
# An empty document is no document.
---
apiVersion: keda.sh/v1beta9
kind: ScaledObject
metadata: {name: future}
"#;

#[test]
fn every_kind_lands_in_its_place() {
    let set = load(ALL_KINDS);
    assert_eq!(errors(&set), Vec::<String>::new());
    assert_eq!(set.scaled_objects.len(), 1);
    assert_eq!(set.scaled_jobs.len(), 1);
    assert_eq!(set.trigger_authentications.len(), 1);
    assert_eq!(set.cluster_trigger_authentications.len(), 1);
    assert_eq!(set.stateful_sets.len(), 1);
    assert_eq!(set.config_maps.len(), 1);
    assert_eq!(set.hpas.len(), 1);
    let skipped: Vec<_> = set
        .skipped
        .iter()
        .map(|s| (s.kind.as_str(), s.source.line))
        .collect();
    assert_eq!(skipped, [("Service", 31), ("ScaledObject", 36)]);
    // Namespaced objects without a namespace get the default one; cluster-scoped ones none.
    let so = &set.scaled_objects[0];
    assert_eq!(so.object.metadata.namespace.as_deref(), Some("default"));
    assert_eq!(
        so.source,
        Source {
            file: "m.yaml".into(),
            document: 1,
            line: 2
        }
    );
    assert_eq!(
        set.scaled_jobs[0].object.metadata.namespace.as_deref(),
        Some("jobs")
    );
    assert_eq!(
        set.cluster_trigger_authentications[0]
            .object
            .metadata
            .namespace,
        None
    );
}

#[test]
fn malformed_yaml_names_file_line_and_column() {
    let set = load("apiVersion: v1\nkind: Secret\nmetadata: {name: [x\n");
    let Some(LoadError::Malformed { file, line, .. }) = set.errors.first() else {
        panic!("{:?}", set.errors);
    };
    assert_eq!((file.as_str(), *line), ("m.yaml", 3));
    let duplicate = load("a: 1\na: 2\n");
    assert!(
        errors(&duplicate)[0].starts_with("m.yaml:2:"),
        "{:?}",
        errors(&duplicate)
    );
}

/// Each row: a document and the exact error.
#[test]
fn invalid_documents_name_document_object_field_and_line() {
    let so = "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: so}\n";
    let cases: &[(&str, String, &str)] = &[
        (
            "a number where KEDA wants a string",
            format!(
                "{so}spec:\n  scaleTargetRef: {{name: app}}\n  triggers:\n  - type: cron\n    metadata:\n      desiredReplicas: 10\n"
            ),
            "m.yaml:1 (document 1): ScaledObject default/so: field \
             spec.triggers[0].metadata.desiredReplicas (line 9): invalid type: integer `10`, \
             expected a string",
        ),
        (
            "a missing required field",
            format!("{so}spec:\n  triggers: []\n"),
            "m.yaml:1 (document 1): ScaledObject default/so: field spec (line 4): missing field \
             `scaleTargetRef`",
        ),
        (
            "no kind",
            "apiVersion: v1\nmetadata: {}\n".to_string(),
            "m.yaml:1 (document 1): not a Kubernetes object: it has no `kind`",
        ),
        (
            "a list",
            "- a\n- b\n".to_string(),
            "m.yaml:1 (document 1): not a Kubernetes object: the document is a list, not a mapping",
        ),
        (
            "a Secret value that is not base64 is not shown",
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {token: hunter2!}\n"
                .to_string(),
            "m.yaml:1 (document 1): Secret default/s: field data.token (line 4): not valid base64 \
             (values under `data` must be base64-encoded; put plain text under `stringData`); the \
             value is not shown",
        ),
    ];
    for (why, text, want) in cases {
        assert_eq!(errors(&load(text)), vec![want.to_string()], "{why}");
    }
}

#[test]
fn unknown_fields_are_kept_with_path_and_line() {
    let set = load(
        "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: so, labelz: {}}\nspec:\n  \
         scaleTargetRef: {name: app, knd: Deployment}\n  triggers:\n  - type: cron\n    metdata: {}\n",
    );
    let fields: Vec<(String, u64)> = set.scaled_objects[0]
        .unknown_fields
        .iter()
        .map(|f| (f.path.clone(), f.line))
        .collect();
    assert_eq!(
        fields,
        [
            ("metadata.labelz".to_string(), 3),
            ("spec.scaleTargetRef.knd".to_string(), 5),
            ("spec.triggers[0].metdata".to_string(), 8),
        ]
    );
}

#[test]
fn secrets_keep_data_and_string_data() {
    let set = load(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: YQ==, b: Yg==}\nstringData: {b: B}\n",
    );
    let secret = &set.secrets[0].object;
    assert_eq!(
        crate::resolve::secret_value(secret, "a").as_deref(),
        Some("a")
    );
    assert_eq!(
        crate::resolve::secret_value(secret, "b").as_deref(),
        Some("B"),
        "stringData wins"
    );
}

#[test]
fn hostile_input_is_an_error_not_a_crash() {
    let deep_flow = "[".repeat(10_000);
    // Past the depth budget; this test runs on a 2 MiB test thread, in debug.
    let deep_block: String = (0..200).map(|i| format!("{:i$}a:\n", "")).collect();
    let laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
                  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
                  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
    for input in [
        deep_flow.as_bytes(),
        deep_block.as_bytes(),
        laughs.as_bytes(),
        b"\xff\xfe\x00a: b",
        b"kind: [",
        b"{{.X}}",
    ] {
        let set = load_str("h.yaml", input, &LoadOptions::default());
        assert_eq!(set.errors.len(), 1, "{:?}", set.errors);
    }
}

#[test]
fn directories_give_their_yaml_files_in_name_order() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/check/valid");
    let set = load_inputs(
        &[Input::parse(dir)],
        &LoadOptions::default(),
        &mut std::io::empty(),
    )
    .expect("readable");
    let files: Vec<&str> = set
        .scaled_objects
        .iter()
        .map(|o| o.source.file.as_str())
        .collect();
    assert!(
        files[0].ends_with("/10-redis-app.yaml") && files[1].ends_with("/20-class-timetable.yaml")
    );
    assert!(
        set.errors.is_empty(),
        "README.txt is not read: {:?}",
        set.errors
    );
    let missing = load_inputs(
        &[Input::parse("/nonexistent")],
        &LoadOptions::default(),
        &mut std::io::empty(),
    );
    assert!(
        missing
            .unwrap_err()
            .to_string()
            .starts_with("cannot read /nonexistent: ")
    );
}

//! From one parsed document to a typed object, by `apiVersion` and `kind`.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_saphyr::Spanned;

use super::node::{Node, Segment, display_path};
use super::{Identity, LoadError, LoadOptions, Loaded, ManifestSet, Skipped, Source, UnknownField};
use crate::api::trigger_auth::ClusterTriggerAuthenticationSpec;
use crate::api::{ClusterTriggerAuthentication, TriggerAuthentication};

/// The kinds kedars reads, by `apiVersion` and `kind`.
const KEDA: &str = "keda.sh/v1alpha1";

/// Reads one document into `set`: an object, an error, or a skipped kind.
pub(super) fn add_document(
    set: &mut ManifestSet,
    root: &Spanned<Node>,
    source: Source,
    options: &LoadOptions,
) {
    let typed = object_json(root).and_then(|json| type_of(&json).map(|t| (json, t)));
    let (mut json, (api_version, kind)) = match typed {
        Ok(typed) => typed,
        Err(reason) => {
            let error = LoadError::NotAnObject { at: source, reason };
            return set.errors.push(error);
        }
    };
    if api_version == "v1" && kind == "List" {
        return add_list_items(set, root, &source, options);
    }
    if !is_cluster_scoped(&kind) {
        default_namespace(&mut json, &options.default_namespace);
    }
    let doc = Doc {
        root,
        json: &json,
        source,
        kind: &kind,
    };
    dispatch(set, doc, api_version.clone(), kind.clone());
}

/// Reads `doc` as the type its `apiVersion` and `kind` name, or records it as skipped.
fn dispatch(set: &mut ManifestSet, doc: Doc<'_>, api_version: String, kind: String) {
    match (api_version.as_str(), kind.as_str()) {
        (KEDA, "ScaledObject") => doc.read(&mut set.scaled_objects, &mut set.errors),
        (KEDA, "ScaledJob") => doc.read(&mut set.scaled_jobs, &mut set.errors),
        (KEDA, "TriggerAuthentication") => {
            doc.read(&mut set.trigger_authentications, &mut set.errors)
        }
        (KEDA, "ClusterTriggerAuthentication") => doc.read_cluster_auth(set),
        ("apps/v1", "Deployment") => doc.read(&mut set.deployments, &mut set.errors),
        ("apps/v1", "StatefulSet") => doc.read(&mut set.stateful_sets, &mut set.errors),
        ("v1", "Secret") => doc.read(&mut set.secrets, &mut set.errors),
        ("v1", "ConfigMap") => doc.read(&mut set.config_maps, &mut set.errors),
        ("autoscaling/v2", "HorizontalPodAutoscaler") => doc.read(&mut set.hpas, &mut set.errors),
        _ => set.skipped.push(Skipped {
            source: doc.source,
            api_version,
            kind,
        }),
    }
}

fn object_json(root: &Spanned<Node>) -> Result<Value, String> {
    match &root.value {
        Node::Map(_) => Ok(root.value.to_json()),
        Node::Seq(_) => Err("the document is a list, not a mapping".to_string()),
        _ => Err("the document is a single value, not a mapping".to_string()),
    }
}

fn type_of(json: &Value) -> Result<(String, String), String> {
    let field = |name: &str| json.get(name).and_then(Value::as_str).map(str::to_string);
    match (field("apiVersion"), field("kind")) {
        (Some(api_version), Some(kind)) => Ok((api_version, kind)),
        (_, None) => Err("it has no `kind`".to_string()),
        (None, Some(kind)) => Err(format!("the {kind} has no `apiVersion`")),
    }
}

fn is_cluster_scoped(kind: &str) -> bool {
    kind == "ClusterTriggerAuthentication"
}

/// kubectl puts an object without a namespace into the current one.
fn default_namespace(json: &mut Value, namespace: &str) {
    if let Some(Value::Object(meta)) = json.get_mut("metadata") {
        let missing = match meta.get("namespace") {
            None | Some(Value::Null) => true,
            Some(Value::String(ns)) => ns.is_empty(),
            Some(_) => false,
        };
        if missing {
            meta.insert("namespace".into(), Value::String(namespace.to_string()));
        }
    }
}

/// `kind: List` (what `kubectl get -o yaml` prints): each item is a document of its own.
fn add_list_items(
    set: &mut ManifestSet,
    root: &Spanned<Node>,
    source: &Source,
    options: &LoadOptions,
) {
    let Node::Map(entries) = &root.value else {
        return;
    };
    let Some((_, items)) = entries.iter().rev().find(|(k, _)| k.value == "items") else {
        return;
    };
    let Node::Seq(items) = &items.value else {
        let reason = "the List's `items` is not a list".to_string();
        let at = source.clone();
        return set.errors.push(LoadError::NotAnObject { at, reason });
    };
    for item in items {
        let item_source = Source {
            line: item.referenced.line(),
            ..source.clone()
        };
        add_document(set, item, item_source, options);
    }
}

/// One document on its way to a type.
struct Doc<'a> {
    root: &'a Spanned<Node>,
    json: &'a Value,
    source: Source,
    kind: &'a str,
}

impl Doc<'_> {
    fn read<T: DeserializeOwned>(self, into: &mut Vec<Loaded<T>>, errors: &mut Vec<LoadError>) {
        match self.typed::<T>() {
            Ok(loaded) => into.push(loaded),
            Err(err) => errors.push(err),
        }
    }

    /// A ClusterTriggerAuthentication has the TriggerAuthentication's shape; reading it as one
    /// lets unknown fields be seen (the cluster type's flattened spec would swallow them).
    fn read_cluster_auth(self, set: &mut ManifestSet) {
        match self.typed::<TriggerAuthentication>() {
            Ok(loaded) => {
                let ta = Arc::unwrap_or_clone(loaded.object);
                let mut cta = ClusterTriggerAuthentication::new(
                    "",
                    ClusterTriggerAuthenticationSpec { spec: ta.spec },
                );
                cta.metadata = ta.metadata;
                cta.metadata.namespace = None;
                cta.status = ta.status;
                set.cluster_trigger_authentications.push(Loaded {
                    object: Arc::new(cta),
                    source: loaded.source,
                    unknown_fields: loaded.unknown_fields,
                });
            }
            Err(err) => set.errors.push(err),
        }
    }

    fn typed<T: DeserializeOwned>(self) -> Result<Loaded<T>, LoadError> {
        let mut ignored = Vec::new();
        let result = serde_path_to_error::deserialize(serde_ignored::Deserializer::new(
            self.json,
            &mut |path: serde_ignored::Path<'_>| ignored.push(segments_of_ignored(&path)),
        ));
        match result {
            Ok(object) => Ok(Loaded {
                object: Arc::new(object),
                unknown_fields: self.unknown_fields(ignored),
                source: self.source,
            }),
            Err(err) => Err(self.invalid(&err)),
        }
    }

    fn unknown_fields(&self, ignored: Vec<Vec<Segment>>) -> Vec<UnknownField> {
        ignored
            .into_iter()
            // The keda.sh types hold apiVersion and kind implicitly, not as fields.
            .filter(
                |p| !matches!(p.as_slice(), [Segment::Key(k)] if k == "apiVersion" || k == "kind"),
            )
            .map(|p| UnknownField {
                path: display_path(&p),
                line: Node::line_of(self.root, &p),
            })
            .collect()
    }

    fn invalid(self, err: &serde_path_to_error::Error<serde_json::Error>) -> LoadError {
        let path: Vec<Segment> = err.path().iter().filter_map(segment_of).collect();
        let line = Node::line_of(self.root, &path);
        let message = self.message(&path, err.inner());
        LoadError::Invalid {
            identity: Box::new(identity(self.json)),
            path: display_path(&path),
            line,
            message,
            at: self.source,
        }
    }

    /// serde's message, except for Secret values, which it would quote.
    fn message(&self, path: &[Segment], err: &serde_json::Error) -> String {
        let under = |field: &str| matches!(path.first(), Some(Segment::Key(k)) if k == field);
        match self.kind {
            "Secret" if under("data") => "not valid base64 (values under `data` must be \
                base64-encoded; put plain text under `stringData`); the value is not shown"
                .to_string(),
            "Secret" if under("stringData") => {
                "invalid value (expected a string); Secret values are not shown".to_string()
            }
            _ => err.to_string(),
        }
    }
}

fn identity(json: &Value) -> Identity {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let meta = json.get("metadata");
    Identity {
        kind: text(json.get("kind")),
        namespace: text(meta.and_then(|m| m.get("namespace"))),
        name: text(meta.and_then(|m| m.get("name"))),
    }
}

fn segment_of(segment: &serde_path_to_error::Segment) -> Option<Segment> {
    match segment {
        serde_path_to_error::Segment::Map { key } => Some(Segment::Key(key.clone())),
        serde_path_to_error::Segment::Seq { index } => Some(Segment::Index(*index)),
        _ => None,
    }
}

fn segments_of_ignored(path: &serde_ignored::Path<'_>) -> Vec<Segment> {
    use serde_ignored::Path;
    let mut out = match path {
        Path::Root => return Vec::new(),
        Path::Seq { parent, .. }
        | Path::Map { parent, .. }
        | Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => segments_of_ignored(parent),
    };
    match path {
        Path::Seq { index, .. } => out.push(Segment::Index(*index)),
        Path::Map { key, .. } => out.push(Segment::Key(key.clone())),
        _ => {}
    }
    out
}

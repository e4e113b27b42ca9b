//! One YAML document as a tree that remembers the line of every key and value.
//!
//! Typed deserialisation runs on the JSON form of a document (what `kubectl` sends to the API
//! server), so a plain `10` where a string is expected fails exactly as a cluster would reject it.
//! The tree keeps the lines, so such a failure can still point at the line of the field.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::Spanned;

/// A YAML node with the lines of its parts.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Node>>),
    /// Keys are strings, as JSON needs them; a YAML key that is a collection is rejected while
    /// parsing, with its location.
    Map(Vec<(Spanned<String>, Spanned<Node>)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::UInt(v))
    }
    // Beyond 64 bits JSON (and Kubernetes) has only floats.
    fn visit_i128<E>(self, v: i128) -> Result<Node, E> {
        Ok(Node::Float(v as f64))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Node, E> {
        Ok(Node::Float(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let value = map.next_value::<Spanned<Node>>()?;
            entries.push((key, value));
        }
        Ok(Node::Map(entries))
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Node, E> {
        Err(E::custom(
            "binary (!!binary) values are not supported in manifests",
        ))
    }
}

impl Node {
    /// The JSON form, as `kubectl` would send it.
    pub fn to_json(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Int(i) => Value::Number((*i).into()),
            Node::UInt(u) => Value::Number((*u).into()),
            // JSON has no NaN or infinity; a cluster would reject them as well.
            Node::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Node::Str(s) => Value::String(s.clone()),
            Node::Seq(items) => Value::Array(items.iter().map(|i| i.value.to_json()).collect()),
            Node::Map(entries) => {
                let mut map = Map::new();
                for (k, v) in entries {
                    map.insert(k.value.clone(), v.value.to_json());
                }
                Value::Object(map)
            }
        }
    }

    fn child(&self, segment: &Segment) -> Option<(&Spanned<Node>, u64)> {
        match (self, segment) {
            (Node::Map(entries), Segment::Key(key)) => entries
                .iter()
                .rev()
                .find(|(k, _)| &k.value == key)
                .map(|(k, v)| (v, k.referenced.line())),
            (Node::Seq(items), Segment::Index(i)) => {
                items.get(*i).map(|item| (item, item.referenced.line()))
            }
            _ => None,
        }
    }

    /// The line of the deepest node along `path` that exists: a field with a bad value points at
    /// its key, a missing field at the object that should hold it.
    pub fn line_of(root: &Spanned<Node>, path: &[Segment]) -> u64 {
        let mut node = root;
        let mut line = root.referenced.line();
        for segment in path {
            match node.value.child(segment) {
                Some((child, child_line)) => {
                    node = child;
                    line = child_line;
                }
                None => break,
            }
        }
        line
    }
}

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// Prints a field path as `spec.triggers[0].metadata.query`.
pub fn display_path(path: &[Segment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<Spanned<Node>> {
        serde_saphyr::from_multiple(text).expect("valid YAML")
    }

    #[test]
    fn scalars_keep_their_yaml_types() {
        let docs = parse("a: 10\nb: '10'\nc: true\nd:\ne: 1.5\nf: 0 6 * * *\n");
        assert_eq!(
            docs[0].value.to_json(),
            serde_json::json!({"a": 10, "b": "10", "c": true, "d": null, "e": 1.5, "f": "0 6 * * *"})
        );
    }

    #[test]
    fn lines_follow_the_path_as_far_as_it_exists() {
        let docs = parse("---\nspec:\n  triggers:\n  - type: cron\n    metadata:\n      x: 1\n");
        let root = &docs[0];
        let path = |s: &[Segment]| Node::line_of(root, s);
        let key = |k: &str| Segment::Key(k.to_string());
        assert_eq!(path(&[]), 2);
        assert_eq!(path(&[key("spec"), key("triggers")]), 3);
        assert_eq!(path(&[key("spec"), key("triggers"), Segment::Index(0)]), 4);
        let deep = [
            key("spec"),
            key("triggers"),
            Segment::Index(0),
            key("metadata"),
            key("x"),
        ];
        assert_eq!(path(&deep), 6);
        assert_eq!(path(&[key("spec"), key("missing"), key("deeper")]), 2);
        assert_eq!(display_path(&deep), "spec.triggers[0].metadata.x");
    }

    #[test]
    fn a_collection_as_key_is_an_error_with_a_line() {
        let err = serde_saphyr::from_multiple::<Spanned<Node>>("a: 1\nb: {{.X}}\n").unwrap_err();
        assert_eq!(err.location().map(|l| l.line()), Some(2), "{err}");
    }
}

//! Storage: JSON objects keyed by group/resource/namespace/name, one global resourceVersion
//! counter (like etcd's revision), and a bounded history of changes that watches replay.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::mpsc;

use crate::registry::Registry;

/// Where an object lives. Cluster-scoped objects have an empty namespace. Every served version
/// of a group/resource shares one key space, as on the real server.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjKey {
    pub group: String,
    pub resource: String,
    pub namespace: String,
    pub name: String,
}

impl ObjKey {
    pub fn new(group: &str, resource: &str, namespace: &str, name: &str) -> Self {
        ObjKey {
            group: group.into(),
            resource: resource.into(),
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One committed change. `old` lets a filtered watch turn "stopped matching" into DELETED and
/// "started matching" into ADDED, as the real watch cache does.
#[derive(Debug)]
pub struct Event {
    pub kind: EventType,
    pub rv: u64,
    pub key: ObjKey,
    pub object: Value,
    pub old: Option<Value>,
}

pub struct State {
    pub objects: BTreeMap<ObjKey, Value>,
    pub rv: u64,
    pub history: VecDeque<Arc<Event>>,
    pub history_limit: usize,
    /// The highest resourceVersion no longer covered by `history`: a watch must start at or
    /// after it.
    pub compacted_rv: u64,
    pub watchers: Vec<mpsc::UnboundedSender<Arc<Event>>>,
    pub registry: Registry,
}

impl State {
    pub fn new(history_limit: usize) -> Self {
        State {
            objects: BTreeMap::new(),
            rv: 0,
            history: VecDeque::new(),
            history_limit: history_limit.max(1),
            compacted_rv: 0,
            watchers: Vec::new(),
            registry: Registry::with_builtins(),
        }
    }

    /// Stores `obj` under a fresh resourceVersion and tells every watcher.
    pub fn commit_put(&mut self, key: ObjKey, mut obj: Value, old: Option<Value>) -> Value {
        self.rv += 1;
        crate::meta::set_str(&mut obj, "resourceVersion", &self.rv.to_string());
        let kind = if old.is_some() {
            EventType::Modified
        } else {
            EventType::Added
        };
        self.objects.insert(key.clone(), obj.clone());
        self.record(kind, key, obj.clone(), old);
        obj
    }

    /// Removes an object. The DELETED event carries the deletion's own resourceVersion, so a
    /// client resuming from it does not see the deletion twice.
    pub fn commit_delete(&mut self, key: &ObjKey) -> Option<Value> {
        let old = self.objects.remove(key)?;
        self.rv += 1;
        let mut last = old.clone();
        crate::meta::set_str(&mut last, "resourceVersion", &self.rv.to_string());
        self.record(EventType::Deleted, key.clone(), last.clone(), Some(old));
        Some(last)
    }

    fn record(&mut self, kind: EventType, key: ObjKey, object: Value, old: Option<Value>) {
        let ev = Arc::new(Event {
            kind,
            rv: self.rv,
            key,
            object,
            old,
        });
        self.history.push_back(ev.clone());
        while self.history.len() > self.history_limit {
            if let Some(gone) = self.history.pop_front() {
                self.compacted_rv = gone.rv;
            }
        }
        self.watchers.retain(|w| w.send(ev.clone()).is_ok());
    }

    /// Events after `rv`, or None when the history no longer reaches back that far (410 Gone).
    pub fn events_since(&self, rv: u64) -> Option<Vec<Arc<Event>>> {
        if rv < self.compacted_rv {
            return None;
        }
        Some(self.history.iter().filter(|e| e.rv > rv).cloned().collect())
    }

    pub fn subscribe(&mut self) -> mpsc::UnboundedReceiver<Arc<Event>> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.watchers.push(tx);
        rx
    }

    /// Objects of one group/resource, optionally in one namespace, in key order (the real
    /// server lists in etcd key order: namespace, then name).
    pub fn objects_of<'a>(
        &'a self,
        group: &'a str,
        resource: &'a str,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = (&'a ObjKey, &'a Value)> + 'a {
        self.objects.iter().filter(move |(k, _)| {
            k.group == group
                && k.resource == resource
                && namespace.is_none_or(|ns| k.namespace == ns)
        })
    }

    pub fn find_uid(&self, uid: &str) -> Option<(&ObjKey, &Value)> {
        self.objects
            .iter()
            .find(|(_, o)| crate::meta::str_of(o, "uid") == Some(uid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resource_versions_are_monotonic_and_history_is_bounded() {
        let mut s = State::new(2);
        let k = ObjKey::new("", "configmaps", "default", "a");
        let o = s.commit_put(k.clone(), json!({"metadata": {"name": "a"}}), None);
        assert_eq!(o["metadata"]["resourceVersion"], "1");
        let o2 = s.commit_put(k.clone(), o.clone(), Some(o));
        assert_eq!(o2["metadata"]["resourceVersion"], "2");
        let d = s.commit_delete(&k).unwrap();
        assert_eq!(d["metadata"]["resourceVersion"], "3");
        assert_eq!(s.events_since(1).unwrap().len(), 2);
        assert!(s.events_since(0).is_none(), "rv 1 fell out of the history");
        assert_eq!(s.compacted_rv, 1);
    }
}

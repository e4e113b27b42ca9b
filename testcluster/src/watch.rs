//! Watches: replay from a resourceVersion (or synthetic ADDED events for the current state),
//! then live events; bookmarks; timeouts; 410 Gone when the history no longer reaches back.
//! The stream is transport-free so in-process components can watch without HTTP.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::cluster::Shared;
use crate::error::{ApiError, ApiResult};
use crate::ops::as_version;
use crate::registry::ResourceType;
use crate::selector::{FieldSelector, LabelSelector};
use crate::store::{Event, EventType, State};

#[derive(Debug, Clone)]
pub struct WatchRequest {
    pub rt: ResourceType,
    pub namespace: Option<String>,
    pub label: LabelSelector,
    pub field: FieldSelector,
    pub resource_version: Option<String>,
    pub send_initial_events: bool,
    pub bookmarks: bool,
    pub timeout: Option<Duration>,
}

/// One line of a watch stream.
#[derive(Debug, Clone, PartialEq)]
pub enum WatchItem {
    Event(&'static str, Value),
    Bookmark(Value),
    Error(ApiError),
}

impl WatchItem {
    pub fn type_name(&self) -> &'static str {
        match self {
            WatchItem::Event(t, _) => t,
            WatchItem::Bookmark(_) => "BOOKMARK",
            WatchItem::Error(_) => "ERROR",
        }
    }
}

pub struct Watch {
    req: WatchRequest,
    shared: Arc<Shared>,
    queue: VecDeque<WatchItem>,
    rx: Option<mpsc::UnboundedReceiver<Arc<Event>>>,
    last_rv: u64,
    deadline: Option<Instant>,
    next_bookmark: Instant,
    interval: Duration,
}

fn matches(req: &WatchRequest, obj: &Value) -> bool {
    let ns_ok = match (&req.namespace, req.rt.namespaced) {
        (Some(ns), true) => crate::meta::str_of(obj, "namespace") == Some(ns.as_str()),
        _ => true,
    };
    ns_ok && req.label.matches(&crate::meta::labels(obj)) && req.field.matches(obj)
}

/// What a filtered watcher sees of an event: objects that start or stop matching the
/// selectors appear as ADDED or DELETED.
fn filter(req: &WatchRequest, ev: &Event) -> Option<WatchItem> {
    if (ev.key.group.as_str(), ev.key.resource.as_str()) != req.rt.storage_id() {
        return None;
    }
    let now = matches(req, &ev.object);
    let before = ev.old.as_ref().is_some_and(|o| matches(req, o));
    let kind = match (ev.kind, before, now) {
        (EventType::Added, _, true) => "ADDED",
        (EventType::Modified, true, true) => "MODIFIED",
        (EventType::Modified, false, true) => "ADDED",
        (EventType::Modified, true, false) => "DELETED",
        (EventType::Deleted, true, _) => "DELETED",
        _ => return None,
    };
    Some(WatchItem::Event(
        kind,
        as_version(&req.rt, ev.object.clone()),
    ))
}

fn bookmark(rt: &ResourceType, rv: u64, initial_end: bool) -> WatchItem {
    let mut md = json!({"resourceVersion": rv.to_string()});
    if initial_end {
        md["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    WatchItem::Bookmark(json!({"kind": rt.kind, "apiVersion": rt.api_version(), "metadata": md}))
}

fn parse_rv(rv: Option<&str>) -> ApiResult<Option<u64>> {
    match rv {
        None | Some("") | Some("0") => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| ApiError::bad_request(format!("invalid resource version: {v}"))),
    }
}

/// Initial items and the point the live stream continues from, under the state lock so that
/// no event falls between them.
fn initial_items(st: &State, req: &WatchRequest) -> ApiResult<(VecDeque<WatchItem>, u64)> {
    let mut queue = VecDeque::new();
    let from = parse_rv(req.resource_version.as_deref())?;
    match from {
        Some(rv) if !req.send_initial_events => match st.events_since(rv) {
            Some(evs) => queue.extend(evs.iter().filter_map(|e| filter(req, e))),
            None => {
                let msg = format!("too old resource version: {rv} ({})", st.compacted_rv + 1);
                queue.push_back(WatchItem::Error(ApiError::gone(msg)));
            }
        },
        _ => {
            let (group, resource) = req.rt.storage_id();
            let objs = st.objects_of(group, resource, None);
            for (_, o) in objs.filter(|(_, o)| matches(req, o)) {
                queue.push_back(WatchItem::Event("ADDED", as_version(&req.rt, o.clone())));
            }
            if req.send_initial_events {
                queue.push_back(bookmark(&req.rt, st.rv, true));
            }
        }
    }
    Ok((queue, st.rv))
}

impl Watch {
    pub fn start(shared: Arc<Shared>, req: WatchRequest) -> ApiResult<Watch> {
        let interval = shared.config.bookmark_interval;
        let (queue, rv, rx) = {
            let mut st = shared.state.lock().expect("state lock");
            let (queue, rv) = initial_items(&st, &req)?;
            let failed = matches!(queue.front(), Some(WatchItem::Error(_)));
            let rx = (!failed).then(|| st.subscribe());
            (queue, rv, rx)
        };
        Ok(Watch {
            deadline: req.timeout.map(|t| Instant::now() + t),
            req,
            shared,
            queue,
            rx,
            last_rv: rv,
            next_bookmark: Instant::now() + interval,
            interval,
        })
    }

    /// The next item, or None when the watch ends (timeout, or after an ERROR).
    pub async fn next(&mut self) -> Option<WatchItem> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Some(item);
            }
            let rx = self.rx.as_mut()?;
            let deadline = self.deadline;
            let bookmarks = self.req.bookmarks;
            tokio::select! {
                ev = rx.recv() => {
                    let ev = ev?;
                    self.last_rv = self.last_rv.max(ev.rv);
                    if let Some(item) = filter(&self.req, &ev) {
                        return Some(item);
                    }
                }
                _ = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                    self.rx = None;
                    return None;
                }
                _ = tokio::time::sleep_until(self.next_bookmark), if bookmarks => {
                    self.next_bookmark = Instant::now() + self.interval;
                    self.queue_bookmark();
                }
            }
        }
    }

    /// A bookmark may only carry a resourceVersion whose events this watcher has all seen:
    /// read the global one, then drain what was sent before it.
    fn queue_bookmark(&mut self) {
        let current = self.shared.state.lock().expect("state lock").rv;
        if let Some(rx) = self.rx.as_mut() {
            while let Ok(ev) = rx.try_recv() {
                self.last_rv = self.last_rv.max(ev.rv);
                if let Some(item) = filter(&self.req, &ev) {
                    self.queue.push_back(item);
                }
            }
        }
        let rv = self.last_rv.max(current);
        self.queue.push_back(bookmark(&self.req.rt, rv, false));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::Config;
    use crate::ops::{self, Sub, WriteOptions};

    fn setup(history: usize) -> (Arc<Shared>, ResourceType) {
        let shared = Shared::new(Config {
            history_limit: history,
            bookmark_interval: Duration::from_millis(50),
            ..Config::default()
        });
        let rt = shared
            .lock()
            .registry
            .find("", "v1", "configmaps")
            .cloned()
            .unwrap();
        (shared, rt)
    }

    fn put(shared: &Shared, rt: &ResourceType, name: &str, label: &str) -> Value {
        let mut st = shared.lock();
        let body = json!({"metadata": {"name": name, "labels": {"l": label}}});
        match ops::get(&st, rt, "default", name) {
            Ok(cur) => {
                let mut b = body;
                b["metadata"]["resourceVersion"] = cur["metadata"]["resourceVersion"].clone();
                ops::update(
                    &mut st,
                    rt,
                    "default",
                    name,
                    b,
                    Sub::Main,
                    &WriteOptions::default(),
                )
                .unwrap()
            }
            Err(_) => ops::create(&mut st, rt, "default", body, &WriteOptions::default()).unwrap(),
        }
    }

    fn request(rt: &ResourceType, rv: Option<&str>, label: &str) -> WatchRequest {
        WatchRequest {
            rt: rt.clone(),
            namespace: Some("default".into()),
            label: LabelSelector::parse(label).unwrap(),
            field: FieldSelector::default(),
            resource_version: rv.map(String::from),
            send_initial_events: false,
            bookmarks: true,
            timeout: Some(Duration::from_millis(400)),
        }
    }

    async fn drain(w: &mut Watch) -> Vec<(String, String)> {
        let mut out = Vec::new();
        while let Some(item) = w.next().await {
            let name = match &item {
                WatchItem::Event(_, o) => crate::meta::name(o).to_string(),
                WatchItem::Bookmark(b) => b["metadata"]["resourceVersion"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                WatchItem::Error(e) => e.code.to_string(),
            };
            out.push((item.type_name().to_string(), name));
        }
        out
    }

    #[tokio::test]
    async fn replays_from_a_resource_version_and_follows_selectors() {
        let (shared, rt) = setup(100);
        let a = put(&shared, &rt, "a", "x");
        let rv = a["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .to_string();
        put(&shared, &rt, "b", "x");
        let mut w = Watch::start(shared.clone(), request(&rt, Some(&rv), "l=x")).unwrap();
        put(&shared, &rt, "a", "y"); // stops matching: DELETED for this watcher
        put(&shared, &rt, "a", "x"); // matches again: ADDED
        let got = drain(&mut w).await;
        let events: Vec<(String, String)> = got
            .iter()
            .filter(|(t, _)| t != "BOOKMARK")
            .cloned()
            .collect();
        let want = [("ADDED", "b"), ("DELETED", "a"), ("ADDED", "a")];
        assert_eq!(events, want.map(|(t, n)| (t.to_string(), n.to_string())));
        let last_bookmark = got
            .iter()
            .rev()
            .find(|(t, _)| t == "BOOKMARK")
            .expect("bookmarks were asked for");
        assert_eq!(last_bookmark.1, shared.lock().rv.to_string());
    }

    #[tokio::test]
    async fn no_resource_version_lists_first_and_too_old_is_gone() {
        let (shared, rt) = setup(3);
        put(&shared, &rt, "a", "x");
        let mut w = Watch::start(shared.clone(), request(&rt, None, "")).unwrap();
        assert_eq!(w.next().await.unwrap().type_name(), "ADDED");
        for i in 0..5 {
            put(&shared, &rt, &format!("n{i}"), "x");
        }
        let mut old = Watch::start(shared.clone(), request(&rt, Some("1"), "")).unwrap();
        let items = drain(&mut old).await;
        assert_eq!(items, [("ERROR".to_string(), "410".to_string())]);
    }
}

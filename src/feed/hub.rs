//! The operator's side of the feed: the latest servable values of every ScaledObject, and a
//! fan-out of every change to any number of subscribers.

use std::collections::BTreeMap;
use std::sync::Mutex;

use tokio::sync::broadcast;

use super::proto::{self, feed_update::Update};
use super::values;
use crate::engine::state::ObjectKey;
use crate::engine::target::PollReport;

/// Updates a subscriber may fall behind by before it is resent a snapshot instead.
pub const DEFAULT_BACKLOG: usize = 1024;

pub struct FeedHub {
    state: Mutex<HubState>,
}

struct HubState {
    objects: BTreeMap<ObjectKey, proto::ObjectValues>,
    updates: broadcast::Sender<proto::FeedUpdate>,
}

/// A snapshot and the updates that follow it, with none missed and none repeated.
pub struct Subscription {
    pub snapshot: proto::FeedUpdate,
    pub updates: broadcast::Receiver<proto::FeedUpdate>,
}

impl Default for FeedHub {
    fn default() -> Self {
        FeedHub::new(DEFAULT_BACKLOG)
    }
}

impl FeedHub {
    pub fn new(backlog: usize) -> Self {
        FeedHub {
            state: Mutex::new(HubState {
                objects: BTreeMap::new(),
                updates: broadcast::channel(backlog.max(1)).0,
            }),
        }
    }

    /// Every poll is sent on, changed or not: subscribers see the values' freshness too.
    pub fn publish(&self, report: &PollReport) {
        self.polled(values::object_values(report));
    }

    pub fn polled(&self, values: proto::ObjectValues) {
        let mut state = self.lock();
        state
            .objects
            .insert(values::key_of(&values), values.clone());
        // No subscriber is not an error: the values wait in the map for the next one.
        let _ = state.updates.send(update(Update::Polled(values)));
    }

    pub fn remove(&self, key: &ObjectKey) {
        let mut state = self.lock();
        if state.objects.remove(key).is_some() {
            let removed = proto::ObjectRef {
                namespace: key.namespace.clone(),
                name: key.name.clone(),
            };
            let _ = state.updates.send(update(Update::Removed(removed)));
        }
    }

    /// Taken under the lock that publishing holds, so the snapshot and the receiver agree.
    pub fn subscribe(&self) -> Subscription {
        let state = self.lock();
        let objects = state.objects.values().cloned().collect();
        Subscription {
            snapshot: update(Update::Snapshot(proto::Snapshot { objects })),
            updates: state.updates.subscribe(),
        }
    }

    pub fn subscribers(&self) -> usize {
        self.lock().updates.receiver_count()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn update(update: Update) -> proto::FeedUpdate {
    proto::FeedUpdate {
        update: Some(update),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::proto::metric_value::Result as WireResult;

    fn values(name: &str, quantity: &str) -> proto::ObjectValues {
        proto::ObjectValues {
            namespace: "classroom".into(),
            name: name.into(),
            metrics: vec![proto::MetricValue {
                name: "s0-redis-queue".into(),
                result: Some(WireResult::Quantity(quantity.into())),
                timestamp_seconds: 1_800_000_000,
            }],
        }
    }

    fn snapshot_names(subscription: &Subscription) -> Vec<String> {
        match &subscription.snapshot.update {
            Some(Update::Snapshot(s)) => s.objects.iter().map(|o| o.name.clone()).collect(),
            other => panic!("not a snapshot: {other:?}"),
        }
    }

    #[test]
    fn a_subscriber_gets_a_snapshot_then_every_change() {
        let hub = FeedHub::default();
        hub.polled(values("lectures", "3"));
        let mut subscription = hub.subscribe();
        assert_eq!(snapshot_names(&subscription), ["lectures"]);
        hub.polled(values("labs", "1500m"));
        hub.polled(values("lectures", "4"));
        let received: Vec<_> = std::iter::from_fn(|| subscription.updates.try_recv().ok())
            .map(|u| u.update.unwrap())
            .collect();
        assert_eq!(
            received,
            [
                Update::Polled(values("labs", "1500m")),
                Update::Polled(values("lectures", "4")),
            ]
        );
        assert_eq!(snapshot_names(&hub.subscribe()), ["labs", "lectures"]);
    }

    #[test]
    fn removal_is_sent_once_and_leaves_the_snapshot() {
        let hub = FeedHub::default();
        hub.polled(values("lectures", "3"));
        let mut subscription = hub.subscribe();
        let key = ObjectKey::new("classroom", "lectures");
        hub.remove(&key);
        hub.remove(&key);
        let removed = proto::ObjectRef {
            namespace: "classroom".into(),
            name: "lectures".into(),
        };
        let update = subscription.updates.try_recv().unwrap().update.unwrap();
        assert_eq!(update, Update::Removed(removed));
        assert!(subscription.updates.try_recv().is_err(), "removed twice");
        assert!(snapshot_names(&hub.subscribe()).is_empty());
    }

    #[test]
    fn every_subscriber_gets_every_update() {
        let hub = FeedHub::default();
        let mut subscriptions: Vec<_> = (0..5).map(|_| hub.subscribe()).collect();
        assert_eq!(hub.subscribers(), 5);
        hub.polled(values("lectures", "3"));
        for subscription in &mut subscriptions {
            let update = subscription.updates.try_recv().unwrap().update.unwrap();
            assert_eq!(update, Update::Polled(values("lectures", "3")));
        }
        drop(subscriptions);
        assert_eq!(hub.subscribers(), 0);
        hub.polled(values("lectures", "4")); // nobody listening: kept, not an error
        assert_eq!(snapshot_names(&hub.subscribe()), ["lectures"]);
    }

    #[test]
    fn a_subscriber_that_falls_behind_is_told_so() {
        let hub = FeedHub::new(2);
        let mut subscription = hub.subscribe();
        for i in 0..5 {
            hub.polled(values("lectures", &i.to_string()));
        }
        assert!(matches!(
            subscription.updates.try_recv(),
            Err(broadcast::error::TryRecvError::Lagged(3))
        ));
    }
}

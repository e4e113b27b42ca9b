//! What a metrics-server knows from the feed, and whether that is still good enough to serve.
//! Time is an argument, so the grace period is tested without waiting.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use super::proto::{self, feed_update::Update};
use super::values::{self, HeldMetric};
use crate::engine::registry::ServeError;
use crate::engine::scaled_object::ServedMetric;
use crate::engine::state::ObjectKey;

#[derive(Debug, Default)]
pub struct FeedView {
    objects: HashMap<ObjectKey, Vec<HeldMetric>>,
    /// A snapshot has arrived at least once.
    synced: bool,
    /// When the feed broke, if it is broken now (also while reconnecting, until a snapshot).
    down_since: Option<Instant>,
}

impl FeedView {
    pub fn apply(&mut self, update: proto::FeedUpdate) {
        match update.update {
            Some(Update::Snapshot(snapshot)) => {
                // A snapshot replaces everything: objects removed meanwhile must go too.
                self.objects = snapshot
                    .objects
                    .iter()
                    .map(|o| (values::key_of(o), values::held(o)))
                    .collect();
                self.synced = true;
                self.down_since = None;
            }
            Some(Update::Polled(object)) => {
                self.objects
                    .insert(values::key_of(&object), values::held(&object));
            }
            Some(Update::Removed(r)) => {
                self.objects.remove(&ObjectKey::new(r.namespace, r.name));
            }
            None => {}
        }
    }

    /// The stream ended or could not be opened; the first failure counts.
    pub fn disconnected(&mut self, now: Instant) {
        self.down_since.get_or_insert(now);
    }

    pub fn is_connected(&self) -> bool {
        self.synced && self.down_since.is_none()
    }

    /// Ready once values have arrived, and until the feed has been down for longer than `grace`
    /// (a restarting operator or a leader change is bridged; a lost operator is not hidden).
    pub fn is_ready(&self, now: Instant, grace: Duration) -> bool {
        self.synced && self.down_since.is_none_or(|since| now - since <= grace)
    }

    pub fn serve(
        &self,
        key: &ObjectKey,
        metric_name: &str,
        now: Instant,
        grace: Duration,
    ) -> Result<ServedMetric, ServeError> {
        if !self.synced {
            return Err(ServeError::Unavailable(
                "no metric values from the operator yet: its metrics feed is not connected".into(),
            ));
        }
        if !self.is_ready(now, grace) {
            return Err(ServeError::Unavailable(
                "the metrics feed from the operator is down: its last values are too old to serve"
                    .into(),
            ));
        }
        let metrics = self
            .objects
            .get(key)
            .ok_or_else(|| ServeError::UnknownScaledObject(key.clone()))?;
        Ok(values::serve(metrics, metric_name)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::proto::metric_value::Result as WireResult;

    const GRACE: Duration = Duration::from_secs(3);

    fn object(name: &str, result: WireResult) -> proto::ObjectValues {
        proto::ObjectValues {
            namespace: "classroom".into(),
            name: name.into(),
            metrics: vec![proto::MetricValue {
                name: "s0-redis-queue".into(),
                result: Some(result),
                timestamp_seconds: 1_800_000_000,
            }],
        }
    }

    fn update(update: Update) -> proto::FeedUpdate {
        proto::FeedUpdate {
            update: Some(update),
        }
    }

    fn snapshot(objects: Vec<proto::ObjectValues>) -> proto::FeedUpdate {
        update(Update::Snapshot(proto::Snapshot { objects }))
    }

    fn value(view: &FeedView, name: &str, now: Instant) -> Result<String, String> {
        view.serve(
            &ObjectKey::new("classroom", name),
            "s0-redis-queue",
            now,
            GRACE,
        )
        .map(|m| m.value.to_string())
        .map_err(|e| e.to_string())
    }

    #[test]
    fn nothing_is_served_before_the_first_snapshot() {
        let now = Instant::now();
        let view = FeedView::default();
        assert!(!view.is_ready(now, GRACE));
        let error = value(&view, "lectures", now).unwrap_err();
        assert!(error.contains("not connected"), "{error}");
    }

    #[test]
    fn snapshot_then_updates_then_removal() {
        let now = Instant::now();
        let mut view = FeedView::default();
        view.apply(snapshot(vec![object(
            "lectures",
            WireResult::Quantity("3".into()),
        )]));
        assert!(view.is_ready(now, GRACE));
        assert_eq!(value(&view, "lectures", now), Ok("3".into()));
        view.apply(update(Update::Polled(object(
            "labs",
            WireResult::Error("redis: connection refused".into()),
        ))));
        assert_eq!(
            value(&view, "labs", now),
            Err("metric:s0-redis-queue encountered error: redis: connection refused".into())
        );
        view.apply(update(Update::Removed(proto::ObjectRef {
            namespace: "classroom".into(),
            name: "lectures".into(),
        })));
        assert_eq!(
            value(&view, "lectures", now),
            Err("ScaledObject classroom/lectures is not known".into())
        );
    }

    #[test]
    fn a_broken_feed_is_bridged_for_the_grace_period_only() {
        let start = Instant::now();
        let mut view = FeedView::default();
        view.apply(snapshot(vec![object(
            "lectures",
            WireResult::Quantity("3".into()),
        )]));
        view.disconnected(start);
        view.disconnected(start + Duration::from_secs(2)); // a failed retry: still down since start
        assert!(!view.is_connected());
        assert!(view.is_ready(start + GRACE, GRACE));
        assert_eq!(value(&view, "lectures", start + GRACE), Ok("3".into()));
        let late = start + GRACE + Duration::from_millis(1);
        assert!(!view.is_ready(late, GRACE));
        assert!(value(&view, "lectures", late).unwrap_err().contains("down"));
        // Reconnected: the new snapshot replaces what was known, removals included.
        view.apply(snapshot(vec![object(
            "labs",
            WireResult::Quantity("1500m".into()),
        )]));
        assert!(view.is_ready(late, GRACE));
        assert_eq!(value(&view, "labs", late), Ok("1500m".into()));
        assert!(value(&view, "lectures", late).is_err());
    }
}

//! What the HPA controller remembers between syncs of one HPA (upstream keeps it in memory, per
//! HPA key, and forgets it when the HPA is deleted or the controller restarts): the unstabilized
//! recommendations, for stabilization windows, and the scale changes it made, for policies'
//! periods.

use chrono::{DateTime, Duration, Utc};

use super::behavior::{Rules, Select};
use super::calc::ceil_replicas;

/// One HPA's memory. Start with `HpaState::default()`; keep one per HPA.
#[derive(Debug, Clone, Default)]
pub struct HpaState {
    recommendations: Vec<Recommendation>,
    scale_up_events: Vec<ScaleEvent>,
    scale_down_events: Vec<ScaleEvent>,
    /// The last scale event stored, so that a failed scale write can take it back.
    last_event: Option<StoredEvent>,
}

#[derive(Debug, Clone, Copy)]
struct Recommendation {
    replicas: i32,
    at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy)]
struct ScaleEvent {
    /// Always positive: the pods added (up) or removed (down).
    change: i32,
    at: DateTime<Utc>,
    /// Older than the longest policy period when last looked at: its slot may be reused.
    outdated: bool,
}

#[derive(Debug, Clone, Copy)]
struct StoredEvent {
    up: bool,
    index: usize,
    replaced: Option<ScaleEvent>,
}

impl HpaState {
    /// The first sync remembers the current replicas as a recommendation, so that a fresh HPA
    /// (or a restarted controller) does not scale down before a window's worth of history.
    pub(crate) fn record_initial(&mut self, current: i32, now: DateTime<Utc>) {
        if self.recommendations.is_empty() {
            self.recommendations.push(Recommendation {
                replicas: current,
                at: now,
            });
        }
    }

    /// Without `spec.behavior` (`stabilizeRecommendation`): the highest recommendation of the
    /// window, the new one included; scale-ups are not stabilized.
    pub(crate) fn stabilize_down_only(
        &mut self,
        desired: i32,
        window: i32,
        now: DateTime<Utc>,
    ) -> i32 {
        let cutoff = now - Duration::seconds(window.into());
        let highest = self
            .recommendations
            .iter()
            .filter(|r| r.at >= cutoff)
            .map(|r| r.replicas)
            .fold(desired, i32::max);
        self.remember(desired, now, |r| r.at < cutoff);
        highest
    }

    /// With `spec.behavior` (`stabilizeRecommendationWithBehaviors`): no higher than the highest
    /// recommendation of the scale-down window, no lower than the lowest of the scale-up
    /// window, and otherwise the current replicas.
    pub(crate) fn stabilize(
        &mut self,
        (desired, current): (i32, i32),
        (up, down): (&Rules, &Rules),
        now: DateTime<Utc>,
    ) -> i32 {
        let up_cutoff = now - Duration::seconds(up.stabilization_window_seconds.into());
        let down_cutoff = now - Duration::seconds(down.stabilization_window_seconds.into());
        let in_window = |cutoff| self.recommendations.iter().filter(move |r| r.at > cutoff);
        let floor = in_window(up_cutoff)
            .map(|r| r.replicas)
            .fold(desired, i32::min);
        let ceiling = in_window(down_cutoff)
            .map(|r| r.replicas)
            .fold(desired, i32::max);
        self.remember(desired, now, |r| r.at < up_cutoff && r.at < down_cutoff);
        current.max(floor).min(ceiling)
    }

    /// Records a recommendation in the slot of the last outdated one, or appends it: the list
    /// never grows beyond a window's worth of syncs.
    fn remember(
        &mut self,
        replicas: i32,
        now: DateTime<Utc>,
        old: impl Fn(&Recommendation) -> bool,
    ) {
        let new = Recommendation { replicas, at: now };
        match self.recommendations.iter().rposition(old) {
            Some(i) => self.recommendations[i] = new,
            None => self.recommendations.push(new),
        }
    }

    /// After a scale write succeeded (`storeScaleEvent`): one event in the direction taken.
    pub(crate) fn store_scale_event(
        &mut self,
        rules: &Rules,
        from: i32,
        to: i32,
        now: DateTime<Utc>,
    ) {
        let up = to > from;
        let cutoff = now - Duration::seconds(rules.longest_period_seconds().into());
        let events = if up {
            &mut self.scale_up_events
        } else {
            &mut self.scale_down_events
        };
        for event in events.iter_mut().filter(|e| e.at < cutoff) {
            event.outdated = true;
        }
        let new = ScaleEvent {
            change: (to - from).abs(),
            at: now,
            outdated: false,
        };
        let (index, replaced) = match events.iter().rposition(|e| e.outdated) {
            Some(i) => (i, Some(std::mem::replace(&mut events[i], new))),
            None => {
                events.push(new);
                (events.len() - 1, None)
            }
        };
        self.last_event = Some(StoredEvent {
            up,
            index,
            replaced,
        });
    }

    /// Takes back the event of a scale write that failed: upstream stores none then.
    pub(crate) fn forget_last_scale_event(&mut self) {
        let Some(stored) = self.last_event.take() else {
            return;
        };
        let events = if stored.up {
            &mut self.scale_up_events
        } else {
            &mut self.scale_down_events
        };
        match stored.replaced {
            Some(previous) => events[stored.index] = previous,
            None => {
                events.remove(stored.index);
            }
        }
    }

    pub(crate) fn clear_last_event(&mut self) {
        self.last_event = None;
    }

    /// The most replicas the scale-up policies allow now
    /// (`calculateScaleUpLimitWithScalingRules`); `current` when scaling up is disabled.
    pub(crate) fn scale_up_limit(&self, current: i32, rules: &Rules, now: DateTime<Utc>) -> i32 {
        if rules.select == Select::Disabled {
            return current;
        }
        let proposals = rules.policies.iter().map(|p| {
            let start = self.replicas_at_period_start(current, p.period_seconds, now);
            if p.percent {
                ceil_replicas(f64::from(start) * (1.0 + f64::from(p.value) / 100.0))
            } else {
                start.saturating_add(p.value)
            }
        });
        // The policy allowing the largest change gives the most replicas.
        let pick = if rules.select == Select::Min {
            Iterator::min
        } else {
            Iterator::max
        };
        pick(proposals).unwrap_or(i32::MIN)
    }

    /// The fewest replicas the scale-down policies allow now
    /// (`calculateScaleDownLimitWithBehaviors`); `current` when scaling down is disabled.
    pub(crate) fn scale_down_limit(&self, current: i32, rules: &Rules, now: DateTime<Utc>) -> i32 {
        if rules.select == Select::Disabled {
            return current;
        }
        let proposals = rules.policies.iter().map(|p| {
            let start = self.replicas_at_period_start(current, p.period_seconds, now);
            if p.percent {
                // Truncated like Go's int32(): the pods removed are rounded up.
                (f64::from(start) * (1.0 - f64::from(p.value) / 100.0)) as i32
            } else {
                start.saturating_sub(p.value)
            }
        });
        // The policy allowing the largest change leaves the fewest replicas.
        let pick = if rules.select == Select::Min {
            Iterator::max
        } else {
            Iterator::min
        };
        pick(proposals).unwrap_or(i32::MAX)
    }

    /// The replicas there were `period` ago, as far as this controller's own changes tell
    /// (`getReplicasChangePerPeriod`): changes made by others are not counted.
    fn replicas_at_period_start(&self, current: i32, period: i32, now: DateTime<Utc>) -> i32 {
        let cutoff = now - Duration::seconds(period.into());
        let sum = |events: &[ScaleEvent]| -> i64 {
            events
                .iter()
                .filter(|e| e.at > cutoff)
                .map(|e| i64::from(e.change))
                .sum()
        };
        let start = i64::from(current) - sum(&self.scale_up_events) + sum(&self.scale_down_events);
        start.clamp(i32::MIN.into(), i32::MAX.into()) as i32
    }
}

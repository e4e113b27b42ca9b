//! The operator's Prometheus metrics with KEDA's names and labels (§6), so existing dashboards
//! and alerts work. Labels carry names only, never a value from a secret.

use prometheus::{
    Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::engine::target::PollReport;

/// KEDA's label set on per-trigger series.
const TRIGGER_LABELS: &[&str] = &[
    "namespace",
    "metric",
    "scaledObject",
    "scaler",
    "triggerIndex",
    "type",
];

pub struct OperatorMetrics {
    registry: Registry,
    value: GaugeVec,
    latency: GaugeVec,
    active: GaugeVec,
    detail_errors: IntCounterVec,
    object_errors: IntCounterVec,
    paused: IntGaugeVec,
    loop_latency: GaugeVec,
    resources: IntGaugeVec,
    triggers: IntGaugeVec,
    lateness: HistogramVec,
    openings: IntCounterVec,
}

/// kedars' own label set on scheduled-capacity series: `trigger` is the trigger's name, or its
/// metric name when it has none.
const CAPACITY_LABELS: &[&str] = &["namespace", "scaledObject", "trigger"];

/// Seconds from an opening's lead-time instant to its replicas being ready. 0 is "ready
/// already"; the rest spans a poll or two up to the longest lead times a class would have.
const LATENESS_BUCKETS: &[f64] = &[
    0.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0,
];

/// How an opening was served, for `kedars_scheduled_capacity_openings_total{outcome}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpeningOutcome {
    /// Ready at or before the session's start.
    InTime,
    /// Ready, but after the session had started.
    Late,
    /// Never ready while the window was open.
    Missed,
}

impl OpeningOutcome {
    fn label(self) -> &'static str {
        match self {
            OpeningOutcome::InTime => "in_time",
            OpeningOutcome::Late => "late",
            OpeningOutcome::Missed => "missed",
        }
    }
}

fn register<T: prometheus::core::Collector + Clone + 'static>(registry: &Registry, metric: T) -> T {
    registry
        .register(Box::new(metric.clone()))
        .expect("metric names are unique");
    metric
}

impl OperatorMetrics {
    pub fn new(version: &str) -> Self {
        let registry = Registry::new();
        let build = register(&registry, IntGaugeVec::new(Opts::new("keda_build_info", "Info metric, with static information about KEDA build like: version, git commit and Golang runtime info."), &["version", "git_commit", "goversion", "goos", "goarch"]).expect("valid"));
        build
            .with_label_values(&[
                version,
                "",
                "rust",
                std::env::consts::OS,
                std::env::consts::ARCH,
            ])
            .set(1);
        let gauge = |name: &str, help: &str, labels: &[&str]| {
            register(
                &registry,
                GaugeVec::new(Opts::new(name, help), labels).expect("valid"),
            )
        };
        let counter = |name: &str, help: &str, labels: &[&str]| {
            register(
                &registry,
                IntCounterVec::new(Opts::new(name, help), labels).expect("valid"),
            )
        };
        let int_gauge = |name: &str, help: &str, labels: &[&str]| {
            register(
                &registry,
                IntGaugeVec::new(Opts::new(name, help), labels).expect("valid"),
            )
        };
        OperatorMetrics {
            value: gauge(
                "keda_scaler_metrics_value",
                "The current value for each scaler's metric that would be used by the HPA in computing the target average.",
                TRIGGER_LABELS,
            ),
            latency: gauge(
                "keda_scaler_metrics_latency_seconds",
                "The latency of retrieving current metric from each scaler, in seconds.",
                TRIGGER_LABELS,
            ),
            active: gauge(
                "keda_scaler_active",
                "Indicates whether a scaler is active (1), or not (0).",
                TRIGGER_LABELS,
            ),
            detail_errors: counter(
                "keda_scaler_detail_errors_total",
                "The total number of errors encountered for each scaler.",
                TRIGGER_LABELS,
            ),
            object_errors: counter(
                "keda_scaled_object_errors_total",
                "The number of errors that have occurred for each ScaledObject.",
                &["namespace", "scaledObject"],
            ),
            paused: int_gauge(
                "keda_scaled_object_paused",
                "Indicates whether a ScaledObject is paused",
                &["namespace", "scaledObject"],
            ),
            loop_latency: gauge(
                "keda_internal_scale_loop_latency_seconds",
                "Total deviation (in seconds) between the expected execution time and the actual execution time for the scaling loop.",
                &["namespace", "type", "resource"],
            ),
            resources: int_gauge(
                "keda_resource_registered_total",
                "Total number of KEDA custom resources per namespace for each custom resource type (CRD) registered.",
                &["type", "namespace"],
            ),
            triggers: int_gauge(
                "keda_trigger_registered_total",
                "Total number of triggers per trigger type registered.",
                &["type"],
            ),
            lateness: register(
                &registry,
                HistogramVec::new(
                    HistogramOpts::new(
                        "kedars_scheduled_capacity_lateness_seconds",
                        "Per scheduled opening of a time-based trigger: seconds from the lead-time instant (a cron window's start) to the target's ready replicas reaching what the trigger asks for; 0 = ready already.",
                    )
                    .buckets(LATENESS_BUCKETS.to_vec()),
                    CAPACITY_LABELS,
                )
                .expect("valid"),
            ),
            openings: register(
                &registry,
                IntCounterVec::new(
                    Opts::new(
                        "kedars_scheduled_capacity_openings_total",
                        "Scheduled openings of time-based triggers by outcome: in_time (ready by the session's start), late (ready after it), missed (not ready before the window closed).",
                    ),
                    &["namespace", "scaledObject", "trigger", "outcome"],
                )
                .expect("valid"),
            ),
            registry,
        }
    }

    /// Records how one scheduled opening was served; `late` is absent when it was missed.
    pub fn record_opening(
        &self,
        ns: &str,
        so: &str,
        trigger: &str,
        outcome: OpeningOutcome,
        late: Option<std::time::Duration>,
    ) {
        if let Some(late) = late {
            self.lateness
                .with_label_values(&[ns, so, trigger])
                .observe(late.as_secs_f64());
        }
        self.openings
            .with_label_values(&[ns, so, trigger, outcome.label()])
            .inc();
    }

    /// Records one poll of one ScaledObject.
    pub fn record_poll(&self, report: &PollReport) {
        let ns = report.key.namespace.as_str();
        let so = report.key.name.as_str();
        for t in &report.state.triggers {
            let scaler = t
                .name
                .clone()
                .unwrap_or_else(|| scaler_label(&t.trigger_type).to_string());
            let index = t.index.to_string();
            let labels = [
                ns,
                t.metric_name.as_str(),
                so,
                scaler.as_str(),
                index.as_str(),
                "scaledobject",
            ];
            if let Some(value) = t.value {
                self.value.with_label_values(&labels).set(value.as_f64());
            }
            if let Some(latency) = t.latency {
                self.latency
                    .with_label_values(&labels)
                    .set(latency.as_secs_f64());
            }
            self.active
                .with_label_values(&labels)
                .set(if t.active { 1.0 } else { 0.0 });
            if t.error.is_some() {
                self.detail_errors.with_label_values(&labels).inc();
            }
        }
        if report.state.is_error {
            self.object_errors.with_label_values(&[ns, so]).inc();
        }
        self.loop_latency
            .with_label_values(&[ns, "scaledobject", so])
            .set(report.loop_latency.as_secs_f64());
    }

    pub fn set_paused(&self, ns: &str, so: &str, paused: bool) {
        self.paused
            .with_label_values(&[ns, so])
            .set(i64::from(paused));
    }

    /// Registered ScaledObjects per namespace and triggers per type, recounted from scratch.
    pub fn set_registered(
        &self,
        per_namespace: &[(String, i64)],
        per_trigger_type: &[(String, i64)],
    ) {
        self.resources.reset();
        for (ns, count) in per_namespace {
            let ns = if ns.is_empty() {
                "default"
            } else {
                ns.as_str()
            };
            self.resources
                .with_label_values(&["scaled_object", ns])
                .set(*count);
        }
        self.triggers.reset();
        for (kind, count) in per_trigger_type {
            self.triggers
                .with_label_values(&[kind.as_str()])
                .set(*count);
        }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buffer)
            .expect("text encoding cannot fail");
        String::from_utf8(buffer).expect("the text format is UTF-8")
    }
}

/// KEDA's scaler label when a trigger has no name: its Go type name.
pub fn scaler_label(trigger_type: &str) -> &'static str {
    match trigger_type {
        "prometheus" => "prometheusScaler",
        "redis" | "redis-cluster" | "redis-sentinel" => "redisScaler",
        "mysql" => "mySQLScaler",
        "cron" => "cronScaler",
        "timetable" => "timetableScaler",
        "cpu" | "memory" => "cpuMemoryScaler",
        _ => "externalScaler",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaler_labels_follow_keda_and_name_kedars_own_triggers() {
        let rows = [
            ("prometheus", "prometheusScaler"),
            ("redis", "redisScaler"),
            ("redis-sentinel", "redisScaler"),
            ("mysql", "mySQLScaler"),
            ("cron", "cronScaler"),
            ("timetable", "timetableScaler"),
            ("memory", "cpuMemoryScaler"),
            ("external", "externalScaler"),
        ];
        for (trigger_type, label) in rows {
            assert_eq!(scaler_label(trigger_type), label, "{trigger_type}");
        }
    }

    #[test]
    fn openings_are_a_histogram_and_a_counter_by_outcome() {
        let metrics = OperatorMetrics::new("test");
        let served = std::time::Duration::from_secs(40);
        metrics.record_opening(
            "school",
            "class",
            "lessons",
            OpeningOutcome::InTime,
            Some(served),
        );
        metrics.record_opening("school", "class", "lessons", OpeningOutcome::Missed, None);
        let text = metrics.render();
        let labels = r#"namespace="school",scaledObject="class",trigger="lessons""#;
        for line in [
            format!("kedars_scheduled_capacity_lateness_seconds_bucket{{{labels},le=\"30\"}} 0"),
            format!("kedars_scheduled_capacity_lateness_seconds_bucket{{{labels},le=\"60\"}} 1"),
            format!("kedars_scheduled_capacity_lateness_seconds_sum{{{labels}}} 40"),
            format!("kedars_scheduled_capacity_lateness_seconds_count{{{labels}}} 1"),
            // The text format sorts labels by name.
            r#"kedars_scheduled_capacity_openings_total{namespace="school",outcome="in_time",scaledObject="class",trigger="lessons"} 1"#.to_string(),
            r#"kedars_scheduled_capacity_openings_total{namespace="school",outcome="missed",scaledObject="class",trigger="lessons"} 1"#.to_string(),
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }
}

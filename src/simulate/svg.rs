//! The simulation as a picture: per ScaledObject, its replicas over time as a step line, then
//! each trigger's value against its target; the windows of time-based triggers are shaded (lead
//! time, session, lag), and the time axis is in the triggers' local time. Plain SVG text: any
//! browser shows it, and it diffs in review.

use std::fmt::Write;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use kedars_scalers::time_based::Span;

use super::Sample;

mod ticks;

use ticks::{time_ticks, value_ticks};

const WIDTH: f64 = 1200.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 50.0;
const REPLICAS_HEIGHT: f64 = 190.0;
const TRIGGER_HEIGHT: f64 = 110.0;
/// Room under a panel for its axis labels and above the next for its title.
const GAP: f64 = 50.0;
/// The chart's title, and the replicas panel's legend under it.
const HEADER: f64 = 46.0;
const PALETTE: [&str; 6] = [
    "#e8a33d", "#3d8be8", "#46b36b", "#c45bd1", "#d9534f", "#7a7a7a",
];

/// One ScaledObject's chart.
pub struct Chart<'a> {
    pub title: String,
    pub zone: Tz,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub max_replicas: i32,
    pub samples: &'a [Sample],
    pub triggers: Vec<TriggerChart>,
}

pub struct TriggerChart {
    pub label: String,
    pub target: f64,
    /// `per replica` (AverageValue) or `in all` (Value).
    pub per: &'static str,
    /// The windows of a time-based trigger; empty for others.
    pub spans: Vec<Span>,
}

impl Chart<'_> {
    fn height(&self) -> f64 {
        HEADER + REPLICAS_HEIGHT + GAP + self.triggers.len() as f64 * (TRIGGER_HEIGHT + GAP)
    }

    fn x(&self, at: DateTime<Utc>) -> f64 {
        let span = (self.to - self.from).num_milliseconds().max(1) as f64;
        let offset = (at.clamp(self.from, self.to) - self.from).num_milliseconds() as f64;
        LEFT + offset / span * (WIDTH - LEFT - RIGHT)
    }
}

/// The whole document: the charts one under the other.
pub fn render(charts: &[Chart<'_>]) -> String {
    let height: f64 = charts.iter().map(Chart::height).sum::<f64>() + 10.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    let mut top = 10.0;
    for chart in charts {
        chart_svg(&mut svg, chart, top);
        top += chart.height();
    }
    svg.push_str("</svg>\n");
    svg
}

fn chart_svg(svg: &mut String, chart: &Chart<'_>, top: f64) {
    let _ = writeln!(
        svg,
        "<g class=\"chart\"><text x=\"{LEFT}\" y=\"{}\" font-size=\"15\" font-weight=\"bold\">{}</text>",
        top + 16.0,
        escape(&chart.title)
    );
    let panel = Panel {
        top: top + HEADER,
        height: REPLICAS_HEIGHT,
    };
    let replicas: Vec<Option<f64>> = chart
        .samples
        .iter()
        .map(|s| Some(f64::from(s.replicas)))
        .collect();
    let max = chart
        .samples
        .iter()
        .map(|s| s.replicas)
        .max()
        .unwrap_or(0)
        .max(chart.max_replicas);
    let y_max = f64::from(max.max(1)) * 1.1;
    for (i, trigger) in chart.triggers.iter().enumerate() {
        shade(
            svg,
            chart,
            &panel,
            &trigger.spans,
            PALETTE[i % PALETTE.len()],
            0.18,
        );
    }
    axes(svg, chart, &panel, y_max, "replicas");
    step_line(svg, chart, &panel, &replicas, y_max, "#222", "replicas");
    legend(svg, &panel);
    for (i, trigger) in chart.triggers.iter().enumerate() {
        let panel = Panel {
            top: panel.top + REPLICAS_HEIGHT + GAP + i as f64 * (TRIGGER_HEIGHT + GAP),
            height: TRIGGER_HEIGHT,
        };
        trigger_svg(svg, chart, &panel, i, trigger);
    }
    svg.push_str("</g>\n");
}

fn trigger_svg(
    svg: &mut String,
    chart: &Chart<'_>,
    panel: &Panel,
    i: usize,
    trigger: &TriggerChart,
) {
    let color = PALETTE[i % PALETTE.len()];
    let values: Vec<Option<f64>> = chart
        .samples
        .iter()
        .map(|s| s.values.get(i).copied().flatten())
        .collect();
    let highest = values
        .iter()
        .flatten()
        .copied()
        .fold(trigger.target, f64::max);
    let y_max = if highest > 0.0 { highest * 1.15 } else { 1.0 };
    shade(svg, chart, panel, &trigger.spans, color, 0.35);
    axes(svg, chart, panel, y_max, "value");
    let y = panel.y(trigger.target, y_max);
    let _ = writeln!(
        svg,
        "<line class=\"target\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#555\" stroke-dasharray=\"6 4\"/>",
        WIDTH - RIGHT
    );
    step_line(svg, chart, panel, &values, y_max, color, "value");
    let title = format!(
        "{}: value (line) against its target {} {} (dashed)",
        trigger.label,
        super::world::shown(Some(trigger.target)),
        trigger.per
    );
    let _ = writeln!(
        svg,
        "<text x=\"{LEFT}\" y=\"{:.1}\">{}</text>",
        panel.top - 6.0,
        escape(&title)
    );
}

struct Panel {
    top: f64,
    height: f64,
}

impl Panel {
    fn y(&self, value: f64, y_max: f64) -> f64 {
        self.top + self.height - (value / y_max).clamp(0.0, 1.0) * self.height
    }
}

/// Lead time, session and lag of each window, lightest to darkest to lightest.
fn shade(
    svg: &mut String,
    chart: &Chart<'_>,
    panel: &Panel,
    spans: &[Span],
    color: &str,
    opacity: f64,
) {
    for span in spans {
        let parts = [
            (span.ready_from, span.start, 0.5),
            (span.start, span.end, 1.0),
            (span.end, span.until, 0.5),
        ];
        for (from, to, weight) in parts.into_iter().filter(|(from, to, _)| to > from) {
            let (x1, x2) = (chart.x(from), chart.x(to));
            let _ = writeln!(
                svg,
                "<rect class=\"window\" x=\"{x1:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{color}\" fill-opacity=\"{:.2}\"/>",
                panel.top,
                (x2 - x1).max(0.5),
                panel.height,
                opacity * weight
            );
        }
    }
}

/// A step line through the samples; `None` values leave a gap.
fn step_line(
    svg: &mut String,
    chart: &Chart<'_>,
    panel: &Panel,
    values: &[Option<f64>],
    y_max: f64,
    color: &str,
    class: &str,
) {
    let mut d = String::new();
    let mut previous: Option<f64> = None;
    for (i, value) in values.iter().enumerate() {
        let x = chart.x(chart.samples[i].at);
        match (value, previous) {
            (Some(v), Some(_)) => {
                let _ = write!(d, "H{x:.1}V{:.1}", panel.y(*v, y_max));
            }
            (Some(v), None) => {
                let _ = write!(d, "M{x:.1} {:.1}", panel.y(*v, y_max));
            }
            (None, Some(_)) => {
                let _ = write!(d, "H{x:.1}");
            }
            (None, None) => {}
        }
        previous = *value;
    }
    let _ = writeln!(
        svg,
        "<path class=\"{class}\" d=\"{d}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"/>"
    );
}

fn axes(svg: &mut String, chart: &Chart<'_>, panel: &Panel, y_max: f64, unit: &str) {
    let (bottom, right) = (panel.top + panel.height, WIDTH - RIGHT);
    for (at, label) in time_ticks(chart.zone, chart.from, chart.to) {
        let x = chart.x(at);
        let _ = writeln!(
            svg,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{bottom:.1}\" stroke=\"#ddd\"/>",
            panel.top
        );
        let _ = writeln!(
            svg,
            "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#444\">{}</text>",
            bottom + 15.0,
            escape(&label)
        );
    }
    for value in value_ticks(y_max) {
        let y = panel.y(value, y_max);
        let _ = writeln!(
            svg,
            "<line x1=\"{LEFT}\" x2=\"{right}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#eee\"/>"
        );
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#444\">{}</text>",
            LEFT - 6.0,
            y + 4.0,
            super::world::shown(Some(value))
        );
    }
    let _ = writeln!(
        svg,
        "<rect x=\"{LEFT}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"none\" stroke=\"#888\"/>",
        panel.top,
        right - LEFT,
        panel.height
    );
    let _ = writeln!(
        svg,
        "<text x=\"14\" y=\"{:.1}\" transform=\"rotate(-90 14 {:.1})\" text-anchor=\"middle\" fill=\"#444\">{unit}</text>",
        panel.top + panel.height / 2.0,
        panel.top + panel.height / 2.0
    );
}

fn legend(svg: &mut String, panel: &Panel) {
    let x = LEFT;
    let y = panel.top - 6.0;
    let _ = writeln!(
        svg,
        "<text x=\"{x:.1}\" y=\"{y:.1}\" fill=\"#444\">replicas (line); shaded: lead time, session, lag</text>"
    );
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

//! The report for a person reading a terminal.

use std::io::{self, Write};

use super::report::{ObjectReport, Report};
use super::triggers::TriggerReport;

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for object in &report.objects {
        write_object(object, out)?;
    }
    for warning in &report.warnings {
        writeln!(out, "warning: {warning}")?;
    }
    for skipped in &report.skipped {
        writeln!(out, "skipped (not a kind kedars reads): {skipped}")?;
    }
    let invalid = report.objects.iter().filter(|o| !o.valid).count();
    writeln!(
        out,
        "{} checked: {} valid, {invalid} invalid",
        plural(report.objects.len(), "object"),
        report.objects.len() - invalid,
    )
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn write_object(object: &ObjectReport, out: &mut dyn Write) -> io::Result<()> {
    let kind = object.kind.as_deref().unwrap_or("document");
    let name = match (&object.namespace, &object.name) {
        (Some(ns), Some(name)) if kind != "ClusterTriggerAuthentication" => format!("{ns}/{name}"),
        (_, Some(name)) => name.clone(),
        _ => "(unnamed)".to_string(),
    };
    let verdict = if object.valid { "valid" } else { "INVALID" };
    writeln!(out, "{kind} {name} ({}): {verdict}", object.source)?;
    for error in &object.errors {
        writeln!(out, "  error: {error}")?;
    }
    for warning in &object.warnings {
        writeln!(out, "  warning: {warning}")?;
    }
    for trigger in &object.triggers {
        writeln!(out, "  {}", trigger_line(trigger))?;
        for line in trigger
            .next
            .as_deref()
            .map(super::next::text)
            .unwrap_or_default()
        {
            writeln!(out, "    {line}")?;
        }
    }
    if let Some(hpa) = &object.hpa {
        writeln!(out, "  HorizontalPodAutoscaler it would create:")?;
        let yaml = serde_saphyr::to_string(hpa).unwrap_or_else(|e| format!("<{e}>\n"));
        for line in yaml.lines() {
            writeln!(out, "    {line}")?;
        }
    }
    Ok(())
}

fn trigger_line(t: &TriggerReport) -> String {
    let name = t
        .name
        .as_deref()
        .map(|n| format!(" \"{n}\""))
        .unwrap_or_default();
    let mut line = format!("trigger {} ({}){name}", t.index, t.trigger_type);
    match (&t.metric_name, &t.metric_type, &t.target) {
        (Some(metric), Some(metric_type), Some(target)) => {
            line.push_str(&format!(": metric {metric}, {metric_type} target {target}"));
        }
        _ => line.push_str(": not built"),
    }
    if let (Some(active), Some(value)) = (t.active, &t.value) {
        let state = if active { "active" } else { "inactive" };
        line.push_str(&format!("; at --at: {state}, value {value}"));
    }
    line
}

//! The human view of `kedars run`: one block per ScaledObject.

use std::io::{self, Write};

use super::snapshot::ObjectSnapshot;

pub fn write(objects: &[ObjectSnapshot], out: &mut dyn Write) -> io::Result<()> {
    for o in objects {
        let state = match (o.active, o.error, o.fallback) {
            (_, _, true) => "FALLBACK",
            (_, true, _) => "ERROR",
            (true, _, _) => "active",
            _ => "inactive",
        };
        let show = |r: Option<i32>| r.map_or("?".to_string(), |r| r.to_string());
        writeln!(
            out,
            "{}/{}  {state}  replicas {} (HPA would want {}, min {}, max {})",
            o.namespace,
            o.name,
            show(o.replicas.current),
            show(o.replicas.hpa_desired),
            o.replicas.min,
            o.replicas.max
        )?;
        if let Some(action) = &o.action {
            writeln!(out, "  {action}")?;
        }
        for t in &o.triggers {
            let label = t.name.clone().unwrap_or_else(|| t.trigger_type.clone());
            let value = t.value.clone().unwrap_or_else(|| "-".into());
            let flags = match (t.active, t.fallback) {
                (_, true) => " fallback",
                (true, _) => " active",
                _ => "",
            };
            writeln!(
                out,
                "  [{}] {label:<18} {:<36} {value:>10} / {} ({}){flags}",
                t.index, t.metric_name, t.target, t.metric_type
            )?;
            if let Some(error) = &t.error {
                writeln!(out, "      error: {error}")?;
            }
        }
        if let Some(c) = &o.composite {
            let value = c.value.clone().unwrap_or_else(|| "-".into());
            writeln!(out, "  composite-metric {value} / {}", c.target)?;
            if let Some(error) = &c.error {
                writeln!(out, "      error: {error}")?;
            }
        }
    }
    Ok(())
}

//! Metric names as KEDA generates them: `s<triggerIndex>-<suffix>`, normalised.

/// KEDA's `NormalizeString`: each of `/ . : % ( )` becomes `-`; nothing else changes (no
/// lowercasing, no length cap), so names match what existing HPAs and dashboards expect.
pub fn normalize(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '/' | '.' | ':' | '%' | '(' | ')' => '-',
            other => other,
        })
        .collect()
}

/// KEDA's `GenerateMetricNameWithIndex` applied to a normalised suffix.
pub fn with_index(trigger_index: usize, suffix: &str) -> String {
    format!("s{trigger_index}-{}", normalize(suffix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let cases: &[(usize, &str, &str)] = &[
            // plain suffix
            (0, "prometheus", "s0-prometheus"),
            // every normalised character
            (3, "redis-a/b.c:d%e(f)g", "s3-redis-a-b-c-d-e-f-g"),
            // case and other punctuation are kept
            (1, "mysql-Stats_DB?x=y", "s1-mysql-Stats_DB?x=y"),
            // a go-sql-driver DSN tail as KEDA derives it
            (0, "mysql-stats_db", "s0-mysql-stats_db"),
        ];
        for (index, suffix, want) in cases {
            assert_eq!(with_index(*index, suffix), *want);
        }
    }
}

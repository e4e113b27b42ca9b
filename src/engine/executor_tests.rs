use chrono::TimeZone;

use super::*;

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap() + Duration::seconds(seconds)
}

/// min 0, no idle, cooldown 300 s, created at t=0, now t=1000, never active before.
fn base() -> ExecutorInput {
    ExecutorInput {
        min_replica_count: None,
        idle_replica_count: None,
        cooldown_period_seconds: 300,
        initial_cooldown_period_seconds: 0,
        fallback_replicas: None,
        pause: Pause::default(),
        is_active: false,
        is_error: false,
        current_replicas: 0,
        last_active_time: None,
        creation_time: Some(at(0)),
        now: at(1000),
    }
}

fn action(from: i32, to: i32, reason: ScaleReason) -> Option<ScaleAction> {
    Some(ScaleAction { from, to, reason })
}

/// (reason of the Active condition, reason of the last Ready condition)
fn reasons(d: &Decision) -> (Option<String>, Option<String>) {
    let last = |t: &str| {
        d.conditions
            .iter()
            .rev()
            .find(|c| c.type_ == t)
            .and_then(|c| c.reason.clone())
    };
    (last("Active"), last("Ready"))
}

#[test]
fn decisions() {
    use ScaleReason::*;
    type Row = (
        &'static str,
        ExecutorInput,
        Option<ScaleAction>,
        (&'static str, &'static str),
    );
    let cases: Vec<Row> = vec![
        (
            "active at zero scales to 1",
            ExecutorInput {
                is_active: true,
                ..base()
            },
            action(0, 1, Activate),
            ("ScalerActive", "ScaledObjectReady"),
        ),
        (
            "active at zero scales to min",
            ExecutorInput {
                is_active: true,
                min_replica_count: Some(3),
                ..base()
            },
            action(0, 3, Activate),
            ("ScalerActive", "ScaledObjectReady"),
        ),
        (
            "active at idle (below min) scales to min",
            ExecutorInput {
                is_active: true,
                min_replica_count: Some(2),
                idle_replica_count: Some(1),
                current_replicas: 1,
                ..base()
            },
            action(1, 2, Activate),
            ("ScalerActive", "ScaledObjectReady"),
        ),
        (
            "active above zero: the HPA scales",
            ExecutorInput {
                is_active: true,
                current_replicas: 4,
                ..base()
            },
            None,
            ("ScalerActive", "ScaledObjectReady"),
        ),
        (
            "active with an error is a partial error",
            ExecutorInput {
                is_active: true,
                is_error: true,
                current_replicas: 4,
                ..base()
            },
            None,
            ("ScalerActive", "PartialTriggerError"),
        ),
        (
            "forced activation scales from zero",
            ExecutorInput {
                pause: Pause {
                    force_activation: true,
                    ..Pause::default()
                },
                ..base()
            },
            action(0, 1, Activate),
            ("ScalerActive", "ScaledObjectReady"),
        ),
        (
            "scale-out paused: stays at zero",
            ExecutorInput {
                is_active: true,
                pause: Pause {
                    scale_out_paused: true,
                    ..Pause::default()
                },
                ..base()
            },
            None,
            ("ScalerActive", "ScaledObjectReady"),
        ),
        (
            "inactive at zero: nothing",
            base(),
            None,
            ("ScalerNotActive", "ScaledObjectReady"),
        ),
        (
            "inactive, cooled down: to zero",
            ExecutorInput {
                current_replicas: 5,
                last_active_time: Some(at(600)),
                ..base()
            },
            action(5, 0, Deactivate),
            ("ScalerNotActive", "ScaledObjectReady"),
        ),
        (
            "inactive, exactly at cooldown end: still cooling (strictly after)",
            ExecutorInput {
                current_replicas: 5,
                last_active_time: Some(at(700)),
                ..base()
            },
            None,
            ("ScalerCooldown", "ScaledObjectReady"),
        ),
        (
            "inactive, cooling down",
            ExecutorInput {
                current_replicas: 5,
                last_active_time: Some(at(900)),
                ..base()
            },
            None,
            ("ScalerCooldown", "ScaledObjectReady"),
        ),
        (
            "never active, initial cooldown over",
            ExecutorInput {
                current_replicas: 2,
                initial_cooldown_period_seconds: 600,
                ..base()
            },
            action(2, 0, Deactivate),
            ("ScalerNotActive", "ScaledObjectReady"),
        ),
        (
            "never active, initial cooldown running",
            ExecutorInput {
                current_replicas: 2,
                initial_cooldown_period_seconds: 1200,
                ..base()
            },
            None,
            ("ScalerCooldown", "ScaledObjectReady"),
        ),
        (
            "inactive above idle: to idle",
            ExecutorInput {
                current_replicas: 4,
                min_replica_count: Some(2),
                idle_replica_count: Some(1),
                last_active_time: Some(at(0)),
                ..base()
            },
            action(4, 1, Deactivate),
            ("ScalerNotActive", "ScaledObjectReady"),
        ),
        (
            "inactive at idle: nothing",
            ExecutorInput {
                current_replicas: 1,
                min_replica_count: Some(2),
                idle_replica_count: Some(1),
                ..base()
            },
            None,
            ("ScalerNotActive", "ScaledObjectReady"),
        ),
        (
            "inactive with min above zero: the HPA keeps min",
            ExecutorInput {
                current_replicas: 3,
                min_replica_count: Some(3),
                ..base()
            },
            None,
            ("ScalerNotActive", "ScaledObjectReady"),
        ),
        (
            "inactive below min without idle: raised to min",
            ExecutorInput {
                current_replicas: 0,
                min_replica_count: Some(2),
                ..base()
            },
            action(0, 2, RaiseToMinimum),
            ("ScalerNotActive", "ScaledObjectReady"),
        ),
        (
            "scale-in paused: stays up",
            ExecutorInput {
                current_replicas: 5,
                pause: Pause {
                    scale_in_paused: true,
                    ..Pause::default()
                },
                ..base()
            },
            None,
            ("ScalerNotActive", "ScaledObjectReady"),
        ),
        (
            "error without fallback: trigger error, no scaling",
            ExecutorInput {
                is_error: true,
                current_replicas: 5,
                ..base()
            },
            None,
            ("ScalerNotActive", "TriggerError"),
        ),
        (
            "error with fallback: the HPA applies it",
            ExecutorInput {
                is_error: true,
                current_replicas: 5,
                fallback_replicas: Some(3),
                ..base()
            },
            None,
            ("ScalerNotActive", "ScaledObjectReady"),
        ),
        (
            "error with fallback of 0 replicas: scales to zero",
            ExecutorInput {
                is_error: true,
                current_replicas: 5,
                fallback_replicas: Some(0),
                ..base()
            },
            action(5, 0, Deactivate),
            ("ScalerNotActive", "ScaledObjectReady"),
        ),
    ];
    for (what, input, want_scale, (active, ready)) in cases {
        let d = decide(&input);
        assert_eq!(d.scale, want_scale, "{what}");
        assert_eq!(
            reasons(&d),
            (Some(active.to_string()), Some(ready.to_string())),
            "{what}"
        );
    }
}

#[test]
fn paused_does_nothing_but_say_so() {
    let input = ExecutorInput {
        is_active: true,
        pause: Pause {
            paused: true,
            ..Pause::default()
        },
        ..base()
    };
    let d = decide(&input);
    assert_eq!(d.scale, None);
    assert!(
        d.conditions
            .iter()
            .any(|c| c.type_ == "Paused" && c.status == "True")
    );
    assert!(!d.conditions.iter().any(|c| c.type_ == "Active"));
}

#[test]
fn last_active_time_moves_only_when_active_and_healthy_or_activated() {
    let healthy = decide(&ExecutorInput {
        is_active: true,
        current_replicas: 2,
        ..base()
    });
    assert_eq!(healthy.last_active_time, Some(at(1000)));
    let partial = decide(&ExecutorInput {
        is_active: true,
        is_error: true,
        current_replicas: 2,
        ..base()
    });
    assert_eq!(
        partial.last_active_time, None,
        "KEDA does not refresh it on a partial error"
    );
    let activated = decide(&ExecutorInput {
        is_active: true,
        ..base()
    });
    assert_eq!(activated.last_active_time, Some(at(1000)));
    let inactive = decide(&base());
    assert_eq!(inactive.last_active_time, None);
}

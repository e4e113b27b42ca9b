//! The shipped binary, run as a user runs it.

use std::process::Command;

#[test]
fn scalers_subcommand_lists_the_trigger_types() {
    let out = Command::new(env!("CARGO_BIN_EXE_kedars"))
        .arg("scalers")
        .output()
        .expect("the kedars binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    for trigger_type in [
        "prometheus",
        "redis",
        "redis-cluster",
        "redis-sentinel",
        "mysql",
        "cron",
    ] {
        assert!(
            stdout.lines().any(|l| l == trigger_type),
            "{trigger_type} missing:\n{stdout}"
        );
    }
}

#[test]
fn unknown_subcommand_fails_with_usage() {
    let out = Command::new(env!("CARGO_BIN_EXE_kedars"))
        .arg("frobnicate")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage"));
}

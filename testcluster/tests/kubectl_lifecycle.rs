//! kubectl, unmodified, against the double: `get --watch` and deletions that wait.

mod support;

use std::time::Duration;

use support::{DEPLOYMENT, Kubectl, columns};
use tokio::io::{AsyncBufReadExt, BufReader};

type StdoutLines = tokio::io::Lines<BufReader<tokio::process::ChildStdout>>;

async fn next(lines: &mut StdoutLines) -> String {
    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await;
    line.expect("a line within 20 s")
        .expect("read")
        .expect("not at the end")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_watch_shows_changes_as_they_happen() {
    let k = Kubectl::start().await;
    k.ok_stdin(&["apply", "-f", "-"], DEPLOYMENT).await;
    let mut child = k.spawn(&["get", "deployments", "--watch"]);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(
        columns(&next(&mut lines).await)[..4],
        ["NAME", "READY", "UP-TO-DATE", "AVAILABLE"]
    );
    assert_eq!(columns(&next(&mut lines).await)[..2], ["votes", "2/2"]);
    k.ok(&["scale", "deploy", "votes", "--replicas=5"]).await;
    assert_eq!(
        columns(&next(&mut lines).await)[..4],
        ["votes", "5/5", "5", "5"]
    );
    child.kill().await.unwrap();

    let mut child = k.spawn(&["get", "deploy", "-w", "--output-watch-events"]);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(
        columns(&next(&mut lines).await)[..3],
        ["EVENT", "NAME", "READY"]
    );
    assert_eq!(
        columns(&next(&mut lines).await)[..3],
        ["ADDED", "votes", "5/5"]
    );
    k.ok(&["delete", "deploy", "votes"]).await;
    assert_eq!(
        columns(&next(&mut lines).await)[..3],
        ["DELETED", "votes", "5/5"]
    );
    child.kill().await.unwrap();
}

/// kubectl 1.34 and later name the namespace: `... deleted from default namespace`.
fn assert_deleted(out: &str, message: &str) {
    let accepted = [
        format!("{message}\n"),
        format!("{message} from default namespace\n"),
    ];
    assert!(accepted.contains(&out.to_string()), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_waits_for_finalizers() {
    let k = Kubectl::start().await;
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\n  finalizers: [\"example.com/hold\"]\ndata:\n  a: \"1\"\n";
    k.ok_stdin(&["apply", "-f", "-"], cm).await;
    let out = k.ok(&["delete", "configmap", "held", "--wait=false"]).await;
    assert_deleted(&out, "configmap \"held\" deleted");
    let ts = k
        .ok(&[
            "get",
            "cm",
            "held",
            "-o",
            "jsonpath={.metadata.deletionTimestamp}",
        ])
        .await;
    assert!(ts.ends_with('Z'), "still there, terminating: {ts}");

    // A waiting delete returns only once the finalizer is gone.
    let mut waiting = k.spawn(&["delete", "configmap", "held"]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        waiting.try_wait().unwrap().is_none(),
        "kubectl delete waits for the finalizer"
    );
    let unhold = r#"[{"op":"remove","path":"/metadata/finalizers"}]"#;
    k.ok(&["patch", "cm", "held", "--type=json", "-p", unhold])
        .await;
    let status = tokio::time::timeout(Duration::from_secs(20), waiting.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
    let out = k.run(&["get", "cm", "held"]).await;
    assert_eq!(
        out.stderr,
        "Error from server (NotFound): configmaps \"held\" not found\n"
    );

    // Deleting a deployment removes what it owns (background propagation).
    k.ok_stdin(&["apply", "-f", "-"], DEPLOYMENT).await;
    let uid = k
        .ok(&["get", "deploy", "votes", "-o", "jsonpath={.metadata.uid}"])
        .await;
    let owned = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: owned\n  ownerReferences:\n  - apiVersion: apps/v1\n    kind: Deployment\n    name: votes\n    uid: {uid}\n"
    );
    k.ok_stdin(&["apply", "-f", "-"], &owned).await;
    let out = k.ok(&["delete", "deployment", "votes"]).await;
    assert_deleted(&out, "deployment.apps \"votes\" deleted");
    assert!(
        k.run(&["get", "cm", "owned"])
            .await
            .stderr
            .contains("NotFound")
    );
}

//! kubectl, unmodified, against the double: each answer is what a real cluster gives.

mod support;

use kedars_testcluster::Gvr;
use serde_json::Value;
use support::{DEPLOYMENT, HPA, Kubectl, columns, repo_root};

fn deployments() -> Gvr {
    Gvr::new("apps", "v1", "deployments")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_and_discovery() {
    let k = Kubectl::start().await;
    let out = k.ok(&["version"]).await;
    assert!(
        out.contains("Server Version: v1.33.0+kedars-testcluster"),
        "{out}"
    );
    let out = k.ok(&["api-resources"]).await;
    let deploy = out
        .lines()
        .find(|l| l.starts_with("deployments"))
        .expect("deployments listed");
    assert_eq!(
        columns(deploy),
        ["deployments", "deploy", "apps/v1", "true", "Deployment"]
    );
    assert!(
        out.lines()
            .any(|l| columns(l) == ["leases", "coordination.k8s.io/v1", "true", "Lease"])
    );
    let ns = k.ok(&["get", "namespaces"]).await;
    let names: Vec<&str> = ns.lines().skip(1).map(|l| columns(l)[0]).collect();
    assert_eq!(
        names,
        ["default", "kube-node-lease", "kube-public", "kube-system"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_get_scale_patch_annotate_a_deployment() {
    let k = Kubectl::start().await;
    assert_eq!(
        k.ok_stdin(&["apply", "-f", "-"], DEPLOYMENT).await,
        "deployment.apps/votes created\n"
    );
    assert_eq!(
        k.ok_stdin(&["apply", "-f", "-"], DEPLOYMENT).await,
        "deployment.apps/votes unchanged\n"
    );
    let table = k.ok(&["get", "deployments"]).await;
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        columns(lines[0]),
        ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    );
    assert_eq!(columns(lines[1])[..4], ["votes", "2/2", "2", "2"]);

    let json: Value =
        serde_json::from_str(&k.ok(&["get", "deploy", "votes", "-o", "json"]).await).unwrap();
    assert_eq!(json["metadata"]["generation"], 1);
    assert_eq!(json["status"]["readyReplicas"], 2);
    assert_eq!(
        json["spec"]["strategy"]["type"], "RollingUpdate",
        "defaulted like the real server"
    );
    let yaml = k.ok(&["get", "deploy", "votes", "-o", "yaml"]).await;
    assert!(
        yaml.contains("kind: Deployment") && yaml.contains("uid: "),
        "{yaml}"
    );

    assert_eq!(
        k.ok(&["scale", "deployment", "votes", "--replicas=3"])
            .await,
        "deployment.apps/votes scaled\n"
    );
    let d = k
        .cluster
        .get_json(&deployments(), "default", "votes")
        .unwrap();
    assert_eq!(
        (
            d["spec"]["replicas"].clone(),
            d["status"]["readyReplicas"].clone()
        ),
        (3.into(), 3.into())
    );
    assert_eq!(d["metadata"]["generation"], 2);

    let sidecar =
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox"}]}}}}"#;
    assert_eq!(
        k.ok(&["patch", "deployment", "votes", "-p", sidecar]).await,
        "deployment.apps/votes patched\n"
    );
    let wide = k.ok(&["get", "deploy", "votes", "-o", "wide"]).await;
    assert_eq!(
        columns(wide.lines().nth(1).unwrap())[5..],
        ["votes,sidecar", "nginx:1.27,busybox", "app=votes"]
    );

    let merge = r#"{"metadata":{"labels":{"tier":"web"}}}"#;
    k.ok(&["patch", "deployment", "votes", "--type=merge", "-p", merge])
        .await;
    let jp = r#"[{"op":"replace","path":"/spec/replicas","value":4}]"#;
    k.ok(&["patch", "deployment", "votes", "--type=json", "-p", jp])
        .await;
    let same = r#"{"spec":{"replicas":4}}"#;
    assert_eq!(
        k.ok(&["patch", "deployment", "votes", "-p", same]).await,
        "deployment.apps/votes patched (no change)\n"
    );
    let failing = r#"[{"op":"test","path":"/spec/replicas","value":9}]"#;
    let out = k
        .run(&["patch", "deployment", "votes", "--type=json", "-p", failing])
        .await;
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "The request is invalid: testing value /spec/replicas failed: test failed\n"
    );

    assert_eq!(
        k.ok(&["annotate", "deployment", "votes", "team=blue"])
            .await,
        "deployment.apps/votes annotated\n"
    );
    let out = k
        .run(&["annotate", "deployment", "votes", "team=red"])
        .await;
    assert!(out.stderr.contains("--overwrite is false but found the following declared annotation(s): 'team' already has a value (blue)"));
    let d = k
        .cluster
        .get_json(&deployments(), "default", "votes")
        .unwrap();
    assert_eq!(d["metadata"]["annotations"]["team"], "blue");
    assert_eq!(d["metadata"]["labels"]["tier"], "web");
    assert_eq!(d["spec"]["replicas"], 4);
    // Deployments bump generation on annotation changes too (the real strategy does).
    assert_eq!(d["metadata"]["generation"], 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_printed_from_status_objects() {
    let k = Kubectl::start().await;
    let out = k.run(&["get", "deployment", "nope"]).await;
    assert_eq!(
        out.stderr,
        "Error from server (NotFound): deployments.apps \"nope\" not found\n"
    );
    k.ok_stdin(&["create", "-f", "-"], DEPLOYMENT).await;
    let out = k.run_stdin(&["create", "-f", "-"], DEPLOYMENT).await;
    assert_eq!(
        out.stderr,
        "Error from server (AlreadyExists): error when creating \"STDIN\": deployments.apps \"votes\" already exists\n"
    );
    let bad = DEPLOYMENT.replace("name: votes\n  labels", "name: Votes\n  labels");
    let out = k.run_stdin(&["apply", "-f", "-"], &bad).await;
    assert!(
        out.stderr.starts_with("The Deployment \"Votes\" is invalid: metadata.name: Invalid value: \"Votes\": a lowercase RFC 1123 subdomain"),
        "{}",
        out.stderr
    );
    let out = k.run(&["get", "deploy", "-n", "missing"]).await;
    assert_eq!(out.stderr, "No resources found in missing namespace.\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hpa_crds_and_a_scaled_object() {
    let k = Kubectl::start().await;
    k.ok_stdin(&["apply", "-f", "-"], DEPLOYMENT).await;
    let out = k.ok_stdin(&["apply", "-f", "-"], HPA).await;
    assert_eq!(out, "horizontalpodautoscaler.autoscaling/votes created\n");
    let hpa = k.ok(&["get", "hpa"]).await;
    let lines: Vec<&str> = hpa.lines().collect();
    assert_eq!(
        columns(lines[0]),
        [
            "NAME",
            "REFERENCE",
            "TARGETS",
            "MINPODS",
            "MAXPODS",
            "REPLICAS",
            "AGE"
        ]
    );
    assert_eq!(
        columns(lines[1])[..7],
        [
            "votes",
            "Deployment/votes",
            "<unknown>/5",
            "(avg)",
            "1",
            "10",
            "0"
        ]
    );

    let crds = repo_root().join("charts/kedars/crds");
    let crds = crds.to_str().unwrap();
    // Client-side apply stores the whole manifest in an annotation: ScaledJob's CRD is too big
    // for that, on a real cluster too.
    let out = k.run(&["apply", "-f", crds]).await;
    assert!(out.stderr.contains(
        "The CustomResourceDefinition \"scaledjobs.keda.sh\" is invalid: metadata.annotations: Too long: must have at most 262144 bytes"
    ), "{}", out.all());
    let out = k
        .ok(&["apply", "--server-side", "--force-conflicts", "-f", crds])
        .await;
    assert!(
        out.contains(
            "customresourcedefinition.apiextensions.k8s.io/scaledjobs.keda.sh serverside-applied"
        ),
        "{out}"
    );
    let crd_table = k.ok(&["get", "crd"]).await;
    assert_eq!(
        columns(crd_table.lines().next().unwrap()),
        ["NAME", "CREATED", "AT"]
    );
    assert_eq!(crd_table.lines().count(), 5);

    // KEDA's documented redis-lists example (Secret, TriggerAuthentication, ScaledObject).
    let example = include_str!("fixtures/redis-lists-example.yaml");
    k.ok(&["create", "namespace", "my-project"]).await;
    let out = k.ok_stdin(&["apply", "-f", "-"], example).await;
    assert_eq!(
        out,
        "secret/votes-db-secret created\ntriggerauthentication.keda.sh/keda-trigger-auth-redis-secret created\nscaledobject.keda.sh/redis-scaledobject created\n"
    );
    let so = k.ok(&["get", "so", "-n", "my-project"]).await;
    let header = columns(so.lines().next().unwrap());
    assert_eq!(
        header[..5],
        ["NAME", "SCALETARGETKIND", "SCALETARGETNAME", "MIN", "MAX"]
    );
    assert_eq!(
        columns(so.lines().nth(1).unwrap())[..2],
        ["redis-scaledobject", "votes"]
    );
    let json: Value = serde_json::from_str(
        &k.ok(&["get", "scaledobject", "-n", "my-project", "-o", "json"])
            .await,
    )
    .unwrap();
    assert_eq!(json["kind"], "List");
    assert_eq!(json["items"][0]["spec"]["triggers"][0]["type"], "redis");
    assert_eq!(json["items"][0]["metadata"]["generation"], 1);

    // Custom resources have no strategic merge patch (415, which kubectl rewords); a merge
    // patch works, an undeclared field is pruned by the CRD schema and generation moves.
    let so = ["-n", "my-project", "scaledobject", "redis-scaledobject"];
    let smp = k
        .run(&[
            "patch",
            so[0],
            so[1],
            so[2],
            so[3],
            "-p",
            r#"{"spec":{"minReplicaCount":1}}"#,
        ])
        .await;
    assert_eq!(
        smp.stderr,
        "error: application/strategic-merge-patch+json is not supported by keda.sh/v1alpha1, Kind=ScaledObject: \
         the body of the request was in an unknown format - accepted media types include: \
         application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml\n"
    );
    let merge = r#"{"spec":{"minReplicaCount":1,"bogus":true}}"#;
    k.ok(&[
        "patch",
        so[0],
        so[1],
        so[2],
        so[3],
        "--type=merge",
        "-p",
        merge,
    ])
    .await;
    let spec: Value = serde_json::from_str(
        &k.ok(&["get", so[0], so[1], so[2], so[3], "-o", "jsonpath={.spec}"])
            .await,
    )
    .unwrap();
    assert_eq!(
        (spec["minReplicaCount"].clone(), spec.get("bogus")),
        (1.into(), None)
    );
}

"""charts/kedars rendered by Helm's own engine: lint, every variant, the safe defaults, the
APIService and its certificates, the modes and options, and the README in step with values.yaml.

Strict typing of every object, the RBAC rules against the code's API calls and running the
binaries with the rendered arguments are Rust tests (tests/chart_objects.rs, chart_rbac.rs,
chart_run.rs), which call render.py.
"""

from __future__ import annotations

import base64
import functools
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

import gen_readme
import render

h = render.helm()
ROOT = render.ROOT
OUT = ROOT / "target" / "chart-render"


@functools.cache
def rendered(variant: str) -> dict[str, str]:
    """A variant rendered once per session: the tests only read it, and each render costs Helm
    a fresh set of certificates."""
    return render.render(render.variants()[variant])


def objects(variant: str = "default"):
    return render.documents(rendered(variant))


def find(docs, kind, name=None):
    found = [d for _, d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert found, f"no {kind} {name or ''} in {[(d['kind'], d['metadata']['name']) for _, d in docs]}"
    return found


def one(docs, kind, name=None):
    found = find(docs, kind, name)
    assert len(found) == 1, f"{len(found)} objects {kind} {name}"
    return found[0]


def container(deployment):
    (c,) = deployment["spec"]["template"]["spec"]["containers"]
    return c


def env_of(c):
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in c["env"]}


@pytest.fixture(scope="module", params=sorted(render.variants()))
def variant(request):
    return request.param, render.variants()[request.param]


def test_lint_is_clean_for_every_variant(variant):
    name, values = variant
    for kube_version in (None, "v1.26.0"):
        report = h.lint(render.CHART, values, strict=True, namespace=render.NAMESPACE,
                        kube_version=kube_version)
        problems = [m for m in report["messages"] if m["severity"] >= 2]
        assert not report["errors"] and not problems, (name, kube_version, report)


def test_every_variant_renders_and_is_written_for_inspection(variant):
    name, _ = variant
    docs = objects(name)
    assert docs
    for path, doc in docs:
        assert {"apiVersion", "kind", "metadata"} <= doc.keys(), (path, doc)
        assert doc["metadata"].get("name"), (path, doc)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.yaml").write_text(render.stream(rendered(name)))


def test_names_are_unique_per_kind_and_namespace(variant):
    name, _ = variant
    seen = set()
    for _, d in objects(name):
        key = (d["apiVersion"], d["kind"], d["metadata"].get("namespace"), d["metadata"]["name"])
        assert key not in seen, key
        seen.add(key)


def test_defaults_are_safe():
    docs = objects()
    operator = one(docs, "Deployment", "kedars-operator")
    metrics = one(docs, "Deployment", "kedars-metrics-apiserver")
    assert metrics["spec"]["replicas"] == 2
    assert operator["spec"]["strategy"] == {"type": "Recreate"}
    for deployment in (operator, metrics):
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        c = container(deployment)
        sc = c["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True
        assert sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"] == {"drop": ["ALL"]}
        assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= c["resources"][kind].keys()
        assert c["livenessProbe"] and c["readinessProbe"]
    # The operator's probes are its real health endpoints on its health port.
    c = container(operator)
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "health"}
    assert {"name": "health", "containerPort": 8081, "protocol": "TCP"} in c["ports"]
    assert "--health-listen=0.0.0.0:8081" in c["args"]
    assert "--leader-elect=true" in c["args"]
    # The default metric age follows each ScaledObject's pollingInterval: no flag.
    assert not any(a.startswith("--max-metric-age") for a in c["args"]), c["args"]
    # The metrics server's probes: plain HTTP on its own health port (the metrics API demands
    # a client certificate, which probes never carry).
    m = container(metrics)
    assert m["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert m["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "health"}
    assert {"name": "health", "containerPort": 8081, "protocol": "TCP"} in m["ports"]
    assert "--health-listen=0.0.0.0:8081" in m["args"]
    assert operator["spec"]["template"]["spec"]["automountServiceAccountToken"] is True
    assert metrics["spec"]["template"]["spec"]["automountServiceAccountToken"] is False
    pdb = one(docs, "PodDisruptionBudget", "kedars-metrics-apiserver")
    assert pdb["spec"]["minAvailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"] == metrics["spec"]["selector"]["matchLabels"]


def test_apiservice_points_at_the_metrics_api_with_the_generated_ca():
    docs = objects()
    api = one(docs, "APIService", "v1beta1.external.metrics.k8s.io")["spec"]
    assert api["group"] == "external.metrics.k8s.io" and api["version"] == "v1beta1"
    assert api["groupPriorityMinimum"] == 100 and api["versionPriority"] == 100
    assert api["service"] == {"name": "kedars-metrics-apiserver", "namespace": "keda", "port": 443}
    assert "insecureSkipTLSVerify" not in api
    service = one(docs, "Service", "kedars-metrics-apiserver")
    assert service["spec"]["ports"] == [{"name": "https", "port": 443, "targetPort": "https", "protocol": "TCP"}]
    metrics = one(docs, "Deployment", "kedars-metrics-apiserver")
    assert {"name": "https", "containerPort": 6443, "protocol": "TCP"} in container(metrics)["ports"]
    for selector_key, value in service["spec"]["selector"].items():
        assert metrics["spec"]["template"]["metadata"]["labels"][selector_key] == value
    for secret in ("kedars-operator-certs", "kedars-metrics-apiserver-certs"):
        assert one(docs, "Secret", secret)["data"]["ca.crt"] == api["caBundle"]


def openssl(*args, stdin=None):
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True, text=True, check=False)


def test_generated_certificates_verify_for_both_services_and_both_usages():
    docs = objects()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        secrets = {s["metadata"]["name"]: s["data"] for s in find(docs, "Secret")}
        ca = tmp / "ca.crt"
        ca.write_bytes(base64.b64decode(secrets["kedars-operator-certs"]["ca.crt"]))
        expected = {
            "kedars-operator-certs": ["kedars-operator", "kedars-metrics-apiserver"],
            "kedars-metrics-apiserver-certs": ["kedars-metrics-apiserver"],
        }
        for name, services in expected.items():
            cert = tmp / f"{name}.crt"
            key = tmp / f"{name}.key"
            cert.write_bytes(base64.b64decode(secrets[name]["tls.crt"]))
            key.write_bytes(base64.b64decode(secrets[name]["tls.key"]))
            for purpose in ("sslserver", "sslclient"):
                result = openssl("verify", "-CAfile", str(ca), "-purpose", purpose, str(cert))
                assert result.returncode == 0, (name, purpose, result.stdout, result.stderr)
            text = openssl("x509", "-in", str(cert), "-noout", "-ext", "subjectAltName").stdout
            sans = {s.strip() for s in text.split("\n", 1)[1].split(",")}
            wanted = {
                f"DNS:{dns}"
                for service in services
                for dns in (service, f"{service}.keda", f"{service}.keda.svc",
                            f"{service}.keda.svc.cluster.local")
            }
            assert sans == wanted, (name, sans)
            cert_key = openssl("x509", "-in", str(cert), "-noout", "-pubkey").stdout
            key_pub = openssl("pkey", "-in", str(key), "-pubout").stdout
            assert cert_key and cert_key == key_pub, name


def test_certificates_are_generated_once_per_render():
    docs = objects()
    checksums = {
        d["metadata"]["name"]: d["spec"]["template"]["metadata"]["annotations"]["checksum/certs"]
        for d in find(docs, "Deployment")
    }
    assert len(set(checksums.values())) == 1, checksums


def test_split_mode_wires_the_feed_with_mutual_tls():
    docs = objects()
    op = container(one(docs, "Deployment", "kedars-operator"))
    ms = container(one(docs, "Deployment", "kedars-metrics-apiserver"))
    assert "--feed-listen=0.0.0.0:9666" in op["args"]
    assert "--feed-client-ca-file=/certs/ca.crt" in op["args"]
    assert "--operator-address=https://kedars-operator.keda.svc:9666" in ms["args"]
    assert "--feed-ca-file=/certs/ca.crt" in ms["args"]
    assert "--feed-cert-file=/certs/tls.crt" in ms["args"]
    service = one(docs, "Service", "kedars-operator")
    assert {p["name"]: p["port"] for p in service["spec"]["ports"]} == {"metrics": 8080, "feed": 9666}


def test_operator_environment():
    env = env_of(container(one(objects(), "Deployment", "kedars-operator")))
    assert env["WATCH_NAMESPACE"] == ""
    assert env["KEDA_CLUSTER_OBJECT_NAMESPACE"] == "keda"
    assert env["POD_NAMESPACE"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}
    assert env["POD_NAME"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert env["RUST_LOG"] == "info"
    assert env["KEDARS_LOG_FORMAT"] == "text"


def test_log_format_reaches_both_containers_and_only_known_formats_render():
    for deployment in find(objects("all"), "Deployment"):
        assert env_of(container(deployment))["KEDARS_LOG_FORMAT"] == "json"
    # kedars' --log-format takes exactly these; anything else would stop both containers.
    for wrong in ("JSON", "logfmt", ""):
        with pytest.raises(h.HelmRenderError, match="logFormat must be text or json"):
            render.render({"logFormat": wrong})


def test_all_in_one_serves_the_api_from_the_operator():
    docs = objects("all-in-one")
    assert not [d for _, d in docs if d["kind"] == "Deployment" and "metrics-apiserver" in d["metadata"]["name"]]
    assert not [d for _, d in docs if d["kind"] == "PodDisruptionBudget"]
    operator = one(docs, "Deployment", "kedars-operator")
    c = container(operator)
    assert "--metrics-api-listen=0.0.0.0:6443" in c["args"]
    assert "--requestheader-client-ca-file=/requestheader-ca/ca.crt" in c["args"]
    assert not [a for a in c["args"] if a.startswith("--feed")]
    service = one(docs, "Service", "kedars-metrics-apiserver")
    assert service["spec"]["selector"] == operator["spec"]["selector"]["matchLabels"]
    assert {"name": "https", "containerPort": 6443, "protocol": "TCP"} in c["ports"]
    # The auth bindings follow the server: the operator's ServiceAccount here.
    binding = one(docs, "ClusterRoleBinding", "kedars-metrics-apiserver-auth-delegator")
    assert binding["subjects"][0]["name"] == "kedars-operator"


def test_cert_manager_issues_both_certificates_and_injects_the_ca():
    docs = objects("all")
    assert not [d for _, d in docs if d["kind"] == "Secret"]
    certs = {c["metadata"]["name"]: c["spec"] for c in find(docs, "Certificate")}
    assert certs["kedars-ca"]["isCA"] is True
    assert certs["kedars-operator"]["secretName"] == "kedars-operator-certs"
    assert certs["kedars-metrics-apiserver"]["secretName"] == "kedars-metrics-apiserver-certs"
    assert "kedars-operator.keda.svc.cluster.example" in certs["kedars-operator"]["dnsNames"]
    for name in ("kedars-operator", "kedars-metrics-apiserver"):
        assert {"server auth", "client auth"} <= set(certs[name]["usages"])
        assert certs[name]["issuerRef"] == {"kind": "Issuer", "name": "kedars-ca"}
    api = one(docs, "APIService")
    assert api["metadata"]["annotations"]["cert-manager.io/inject-ca-from"] == "keda/kedars-metrics-apiserver"
    assert "caBundle" not in api["spec"]
    issuers = {i["metadata"]["name"] for i in find(docs, "Issuer")}
    assert issuers == {"kedars-selfsigned", "kedars-ca"}


def test_cert_manager_with_an_existing_issuer_creates_no_ca():
    docs = objects("all-in-one")
    assert not [d for _, d in docs if d["kind"] == "Issuer"]
    for cert in find(docs, "Certificate"):
        assert cert["spec"]["issuerRef"] == {"kind": "ClusterIssuer", "name": "company-ca", "group": "cert-manager.io"}


def test_every_option_reaches_the_objects():
    values = render.variants()["all"]
    docs = objects("all")
    operator = one(docs, "Deployment", "kedars-operator")
    metrics = one(docs, "Deployment", "kedars-metrics-apiserver")
    for deployment in (operator, metrics):
        pod = deployment["spec"]["template"]["spec"]
        c = container(deployment)
        assert c["image"] == "registry.example.com/kedars:0.1.0-test"
        assert c["imagePullPolicy"] == "Always"
        assert pod["imagePullSecrets"] == [{"name": "registry-credentials"}]
        assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
        assert pod["tolerations"] == values["tolerations"]
        assert pod["priorityClassName"] == "system-cluster-critical"
        assert env_of(c)["TZ"] == "Europe/Paris"
        assert env_of(c)["RUST_LOG"] == "kedars=debug,info"
        assert deployment["spec"]["template"]["metadata"]["annotations"]["example.com/team"] == "platform"
    assert operator["spec"]["replicas"] == 2 and metrics["spec"]["replicas"] == 3
    assert operator["spec"]["template"]["spec"]["affinity"] == values["operator"]["affinity"]
    assert operator["spec"]["template"]["spec"]["serviceAccountName"] == "kedars-controller"
    assert metrics["spec"]["template"]["spec"]["serviceAccountName"] == "kedars-metrics"
    op_env = env_of(container(operator))
    assert op_env["WATCH_NAMESPACE"] == "classroom, grading"
    assert op_env["KEDA_CLUSTER_OBJECT_NAMESPACE"] == "kedars-auth"
    args = container(operator)["args"]
    for arg in ("--lease-name=kedars.example", "--lease-seconds=20", "--max-metric-age=30",
                "--health-listen=0.0.0.0:18081", "--metrics-listen=0.0.0.0:18080",
                "--feed-listen=0.0.0.0:19666"):
        assert arg in args, arg
    ms_args = container(metrics)["args"]
    assert "--listen=0.0.0.0:16443" in ms_args
    assert "--health-listen=0.0.0.0:18082" in ms_args
    assert "--operator-address=https://kedars-operator.keda.svc:19666" in ms_args
    assert "--feed-grace-seconds=10" in ms_args
    ca = one(docs, "ConfigMap", "kedars-requestheader-ca")
    assert ca["data"]["ca.crt"] == values["metricsServer"]["requestheaderClientCA"]
    monitor = one(docs, "ServiceMonitor")
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
    assert monitor["spec"]["endpoints"][0]["scrapeTimeout"] == "10s"
    assert monitor["spec"]["selector"]["matchLabels"] == operator["spec"]["selector"]["matchLabels"]
    policies = {p["metadata"]["name"]: p["spec"] for p in find(docs, "NetworkPolicy")}
    feed_rule = [r for r in policies["kedars-operator"]["ingress"] if r["ports"][0]["port"] == 19666]
    assert feed_rule[0]["from"][0]["podSelector"]["matchLabels"] == metrics["spec"]["selector"]["matchLabels"]
    metrics_rule = [r for r in policies["kedars-operator"]["ingress"] if r["ports"][0]["port"] == 18080]
    assert metrics_rule[0]["from"] == values["networkPolicy"]["metricsFrom"]
    assert policies["kedars-metrics-apiserver"]["ingress"] == [
        {"ports": [{"port": 18082, "protocol": "TCP"}]},
        {"ports": [{"port": 16443, "protocol": "TCP"}]},
    ]
    pdb = one(docs, "PodDisruptionBudget")
    assert pdb["spec"]["minAvailable"] == 2
    assert one(docs, "APIService")["spec"]["groupPriorityMinimum"] == 200


def test_optional_grants_can_be_turned_off():
    docs = objects("restricted")
    names = {(d["kind"], d["metadata"]["name"]) for _, d in docs}
    assert ("ClusterRole", "kedars-view") not in names
    assert ("ClusterRoleBinding", "kedars-metrics-apiserver-auth-delegator") not in names
    assert ("RoleBinding", "kedars-metrics-apiserver-auth-reader") not in names
    assert ("PodDisruptionBudget", "kedars-metrics-apiserver") not in names
    assert ("Role", "kedars-operator-leader-election") not in names
    assert "--leader-elect=false" in container(one(docs, "Deployment", "kedars-operator"))["args"]


def test_two_operators_without_leader_election_are_refused():
    with pytest.raises(h.HelmRenderError, match="leaderElection"):
        render.render({"operator": {"replicas": 2, "leaderElection": {"enabled": False}}})


def test_offline_render_warns_that_the_aggregator_ca_is_unknown():
    notes = rendered("default")["kedars/templates/NOTES.txt"]
    assert "requestheaderClientCA" in notes
    notes = rendered("all")["kedars/templates/NOTES.txt"]
    assert "WARNING" not in notes


def test_every_value_is_documented():
    text = (render.CHART / "values.yaml").read_text()
    values = yaml.safe_load(text)
    documented = {d.path for d in gen_readme.documented_keys(text)}
    undocumented = [
        ".".join(leaf) for leaf in gen_readme.leaves(values)
        if not any(leaf[:i] in documented for i in range(1, len(leaf) + 1))
    ]
    assert not undocumented, f"values without a `# --` comment: {undocumented}"
    for doc in gen_readme.documented_keys(text):
        assert doc.text, doc.path


def test_readme_is_in_step_with_values():
    result = subprocess.run([sys.executable, str(Path(gen_readme.__file__)), "--check"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr

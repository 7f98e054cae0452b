"""deploy/ checked as far as this machine can (no container engine, no cluster):

- docker-compose.yml validates against the compose-spec JSON schema (check-jsonschema's
  vendored copy) and its mounts point at files that exist;
- the Kubernetes manifests pass kubernetes-validate's strict schemas (core kinds), the
  CRDs (PrometheusRule, ScaledObject) agree with what they describe, and the
  kustomization builds (`kubectl kustomize`, when kubectl is installed);
- every PromQL expression of the Grafana dashboard and the alert rules parses
  (promql-parser), and every metric they select, with the labels they match on, is
  exported by a running API after a worker ran jobs (scraped /metrics).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from service import defaults
from service.extras import EXTRAS

from support import ROOT, Api, Workers, responses_spec

DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"


def _docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def test_compose_file_validates_against_the_compose_spec() -> None:
    tool = Path(sys.executable).with_name("check-jsonschema")
    r = subprocess.run([str(tool), "--builtin-schema", "vendor.compose-spec", str(DEPLOY / "docker-compose.yml")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    assert {"api", "worker", "redis", "qdrant", "prometheus", "grafana"} <= set(compose["services"])
    assert "--appendonly" in compose["services"]["redis"]["command"]
    for svc in compose["services"].values():
        for vol in svc.get("volumes", []):
            src = vol.split(":")[0]
            if src.startswith("."):  # a bind mount from deploy/
                assert (DEPLOY / src).exists() or src == "./providers.toml", src
    assert (DEPLOY / compose["services"]["api"]["build"]["dockerfile"].removeprefix("deploy/")).exists()


def test_kubernetes_manifests_validate() -> None:
    import kubernetes_validate

    kinds = {}
    for path in sorted(K8S.glob("*.yaml")):
        for doc in _docs(path):
            kinds[doc["kind"]] = doc
            if doc["apiVersion"].startswith(("monitoring.coreos.com", "keda.sh", "kustomize.config")):
                continue  # CRDs: checked below against what they describe
            kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)
    assert {"Deployment", "Service", "ConfigMap", "Secret", "PodDisruptionBudget", "ScaledObject",
            "PrometheusRule"} <= set(kinds)
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    assert listed == {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}


def test_crds_match_what_they_describe() -> None:
    rule = _docs(K8S / "prometheusrule.yaml")[0]
    assert rule["spec"] == yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    scaled = _docs(K8S / "keda.yaml")[0]
    workers = [d for d in _docs(K8S / "worker.yaml") if d["kind"] == "Deployment"][0]
    assert scaled["spec"]["scaleTargetRef"]["name"] == workers["metadata"]["name"]
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "redis" and trigger["metadata"]["listName"] == f"rq:queue:{defaults.QUEUE_NAME}"
    for d in _docs(K8S / "api.yaml") + _docs(K8S / "worker.yaml"):
        if d["kind"] == "Deployment":
            pod = d["spec"]["template"]["spec"]
            assert pod["securityContext"]["runAsNonRoot"] and pod["terminationGracePeriodSeconds"] >= 30
            assert pod["containers"][0]["livenessProbe"]
    api = [d for d in _docs(K8S / "api.yaml") if d["kind"] == "Deployment"][0]
    probes = api["spec"]["template"]["spec"]["containers"][0]
    assert probes["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert probes["livenessProbe"]["httpGet"]["path"] == "/healthz"


@pytest.mark.skipif(not shutil.which("kubectl"), reason="kubectl is not installed")
def test_kustomization_builds() -> None:
    r = subprocess.run(["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert {d["kind"] for d in yaml.safe_load_all(r.stdout) if d} >= {"Deployment", "PrometheusRule", "ScaledObject"}


def test_dockerfile_extras_exist() -> None:
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert set(EXTRAS) <= set(extras)
    text = (DEPLOY / "Dockerfile").read_text()
    assert "USER 10001" in text and "ARG EXTRAS" in text
    for named in re.findall(r"EXTRAS=([\w,]+)", text):
        assert set(named.split(",")) <= set(extras), named


def expressions() -> list[tuple[str, str]]:
    """(where, PromQL) of every dashboard target and alert rule."""
    out = []
    dash = json.loads((DEPLOY / "grafana" / "dashboards" / "synthgen.json").read_text())
    for panel in dash["panels"]:
        for t in panel["targets"]:
            out.append((f"panel {panel['title']!r}", t["expr"]))
    for group in yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())["groups"]:
        for rule in group["rules"]:
            out.append((f"alert {rule['alert']}", rule["expr"]))
    return out


def test_the_dashboard_has_the_panels_operators_need() -> None:
    dash = json.loads((DEPLOY / "grafana" / "dashboards" / "synthgen.json").read_text())
    titles = " | ".join(p["title"] for p in dash["panels"]).lower()
    for want in ("jobs by status", "records kept", "yield", "stage and reason", "p50 / p95 / p99", "tokens",
                 "429", "queue depth", "live workers", "in flight vs limit", "circuit breakers", "held back"):
        assert want in titles, want
    alerts = {r["alert"] for g in yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())["groups"]
              for r in g["rules"]}
    doc = (ROOT / "docs" / "operations.md").read_text()
    for name in alerts:
        assert f"### {name}" in doc, f"docs/operations.md does not describe {name}"
    for p in dash["panels"]:
        assert f"**{p['title']}**" in doc, f"docs/operations.md does not describe panel {p['title']!r}"


def selectors(expr: str) -> list[tuple[str, set[str]]]:
    """(metric name, label names matched on) of every series selector in a PromQL
    expression, from promql-parser's AST (a syntax error fails the test)."""
    import promql_parser

    found: list[tuple[str, set[str]]] = []

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            labels = {m.name for m in node.matchers.matchers} - {"__name__"}
            found.append((node.name, labels))

    promql_parser.walk(promql_parser.parse(expr), visit)
    return found


def test_every_expression_parses_and_names_synthgen_series() -> None:
    for where, expr in expressions():
        names = [n for n, _ in selectors(expr)]
        assert names and all(n.startswith("synthgen_") for n in names), f"{where}: {names}"


def test_dashboard_and_alerts_name_only_exported_metrics(api_url: str, alice: Api, fake, worker: Workers) -> None:
    # Jobs that produce every series the panels use: kept, rejects, 429s and retries.
    fake.configure(rate_limit_first=3, retry_after=0)
    job = alice.submit(responses_spec(6, filters={"max_words": 3})).json()
    assert alice.wait(job["id"])["status"] in ("succeeded", "failed")
    ok = alice.submit(responses_spec(4)).json()
    assert alice.wait(ok["id"])["status"] == "succeeded"
    # More lanes than provider `limited` allows in flight: the limiter holds some back.
    held = alice.submit(responses_spec(12, concurrency=8, generator={"provider": "limited"})).json()
    assert alice.wait(held["id"])["status"] == "succeeded"
    from prometheus_client.parser import text_string_to_metric_families

    from support import METRICS_TOKEN

    text = httpx.get(f"{api_url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text
    samples: dict[str, set[str]] = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            samples.setdefault(s.name, set()).update(s.labels)
    missing = []
    for where, expr in expressions():
        for name, labels in selectors(expr):
            if name not in samples:
                missing.append(f"{where}: {name} is not exported")
                continue
            for label in labels:
                if label not in samples[name]:
                    missing.append(f"{where}: {name} has no label {label!r}")
    assert not missing, "\n".join(missing)
    assert len(expressions()) >= 15

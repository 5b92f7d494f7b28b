"""deploy/ manifests are valid against their schemas (offline) and say what operations need."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.processes import ROOT

DEPLOY = ROOT / "deploy"
K8S_VERSION = "1.30"


def k8s_documents() -> list[tuple[Path, dict]]:
    return [
        (path, doc)
        for path in sorted((DEPLOY / "k8s").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


def by_kind(kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for _, d in k8s_documents() if d["kind"] == kind}


@pytest.mark.parametrize(
    "path,doc", k8s_documents(), ids=lambda v: v.name if isinstance(v, Path) else v["kind"]
)
def test_every_kubernetes_document_is_valid_against_the_strict_schema(path, doc):
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_the_strict_kubernetes_schema_rejects_an_unknown_field():
    _, deployment = next((p, d) for p, d in k8s_documents() if d["kind"] == "Deployment")
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_web_pods_are_probed_on_health_and_ready_and_request_measured_resources():
    web = by_kind("Deployment")["sie-web"]["spec"]["template"]["spec"]["containers"][0]
    assert web["livenessProbe"]["httpGet"]["path"] == "/health"
    assert web["readinessProbe"]["httpGet"]["path"] == "/ready"
    for name, deployment in by_kind("Deployment").items():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            assert container["resources"]["requests"]["memory"], name
            assert container["resources"]["limits"]["memory"], name


def test_web_scales_on_cpu_and_workers_on_queue_depth():
    hpas = by_kind("HorizontalPodAutoscaler")
    assert hpas["sie-web"]["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    worker_metric = hpas["sie-worker"]["spec"]["metrics"][0]
    assert worker_metric["external"]["metric"]["name"] == "sie_queue_depth"


def test_disruption_budgets_cover_web_and_workers_and_beat_is_a_single_replica():
    budgets = {d["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]
               for d in by_kind("PodDisruptionBudget").values()}
    assert {"sie-web", "sie-worker"} <= budgets
    beat = by_kind("Deployment")["sie-beat"]["spec"]
    assert beat["replicas"] == 1 and beat["strategy"]["type"] == "Recreate"


def test_the_compose_file_is_valid_against_the_vendored_compose_spec():
    schema = json.loads((DEPLOY / "schema" / "compose-spec.json").read_text())
    compose = yaml.safe_load((DEPLOY / "compose" / "docker-compose.yml").read_text())
    jsonschema.Draft201909Validator(schema).validate(compose)
    expected = {"web-1", "web-2", "worker", "beat", "postgres", "redis", "nginx", "pgbouncer"}
    assert expected <= set(compose["services"])
    assert compose["services"]["beat"]["deploy"]["replicas"] == 1
    assert compose["services"]["worker"]["environment"]["SIE_DB_PGBOUNCER"] == "true"


def test_the_compose_schema_rejects_a_broken_file():
    schema = json.loads((DEPLOY / "schema" / "compose-spec.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft201909Validator(schema).validate({"services": {"web": {"ports": 8080}}})

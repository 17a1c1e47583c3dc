"""deploy/: the Kubernetes manifests validate against Kubernetes' own schemas
(kubernetes-validate, offline: the schemas ship in the package) and say what
the service needs: health probes, resources, a Service and an autoscaler on
the Deployment; the Dockerfile they run is the one in deploy/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = sorted((ROOT / "deploy" / "kubernetes").glob("*.yaml"))
KUBERNETES_VERSION = "1.37.0"


def _documents() -> dict[str, dict[str, Any]]:
    docs = [doc for path in MANIFESTS for doc in yaml.safe_load_all(path.read_text()) if doc]
    return {doc["kind"]: doc for doc in docs}


@pytest.fixture(scope="module")
def validate() -> Any:
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    probe = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}, "spec": {"ports": [{"port": 1}]}}
    try:
        kubernetes_validate.validate(probe, KUBERNETES_VERSION, strict=True)
    except (kubernetes_validate.utils.VersionNotSupportedError, kubernetes_validate.utils.SchemaNotFoundError,
            kubernetes_validate.utils.InvalidSchemaError, OSError) as exc:
        pytest.skip(f"kubernetes-validate cannot load its schemas: {exc}")
    return kubernetes_validate.validate


@pytest.mark.parametrize("path", MANIFESTS, ids=[p.name for p in MANIFESTS])
def test_manifest_is_valid_kubernetes(validate: Any, path: Path) -> None:
    for doc in yaml.safe_load_all(path.read_text()):
        if doc:
            validate(doc, KUBERNETES_VERSION, strict=True)  # raises on any unknown or mistyped field


def test_strict_validation_catches_a_typo(validate: Any) -> None:
    import kubernetes_validate

    deployment = _documents()["Deployment"]
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(broken, KUBERNETES_VERSION, strict=True)


def test_deployment_probes_health_and_sets_resources() -> None:
    deployment = _documents()["Deployment"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/v1/health"
        assert container[probe]["httpGet"]["port"] == "http"
    assert container["ports"][0] == {"name": "http", "containerPort": 8000, "protocol": "TCP"}
    assert container["resources"]["requests"]["cpu"] and container["resources"]["limits"]["memory"]
    assert "--workers" not in container["args"]  # one process per pod: scale with replicas
    env = {item["name"]: int(item["value"]) for item in container["env"]}
    # SIGKILL comes terminationGracePeriodSeconds after the preStop hook starts.
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert pre_stop + env["CONVPLAN_SHUTDOWN_GRACE_SECONDS"] < grace


def test_service_and_autoscaler_point_at_the_deployment() -> None:
    docs = _documents()
    pod_labels = docs["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert docs["Service"]["spec"]["selector"].items() <= pod_labels.items()
    assert docs["Service"]["spec"]["ports"][0]["targetPort"] == "http"
    target = docs["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", docs["Deployment"]["metadata"]["name"])
    assert docs["HorizontalPodAutoscaler"]["spec"]["minReplicas"] >= 2


def test_dockerfile_lives_in_deploy_and_runs_convplan_serve() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert not (ROOT / "Dockerfile").exists()
    assert "docker build -f deploy/Dockerfile" in dockerfile
    assert 'CMD ["convplan", "serve"' in dockerfile
    assert "USER 10001" in dockerfile
    user = _documents()["Deployment"]["spec"]["template"]["spec"]["securityContext"]["runAsUser"]
    assert user == 10001

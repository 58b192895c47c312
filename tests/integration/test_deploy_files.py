"""The deployment files: `deploy/k8s/` against the Kubernetes schemas, `docker-compose.yml` by structure.

No cluster and no Docker engine run here: kubernetes-validate checks each manifest offline against the
schemas it ships; the compose file is checked as YAML (services, dependencies, environment). Both also
have their settings loaded through `Settings`, so a value the service would refuse fails here.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from entrypoints.settings import Settings, load_settings
from tests.conftest import REPO, unavailable

pytestmark = pytest.mark.integration
K8S = REPO / "deploy" / "k8s"
COMPOSE = REPO / "docker-compose.yml"


def manifests() -> dict[str, dict[str, Any]]:
    """Each resource by kind/name (the Kustomization, not a cluster resource, apart)."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document and document["kind"] != "Kustomization":
                found[f"{document['kind']}/{document['metadata']['name']}"] = document
    return found


def validator() -> Any:
    try:
        import kubernetes_validate
    except ImportError:
        unavailable("kubernetes-validate is not installed (pip install -e '.[dev]')")
    return kubernetes_validate


def test_every_manifest_passes_the_strict_kubernetes_schema() -> None:
    checker = validator()
    resources = manifests()
    assert len(resources) == 6
    for document in resources.values():
        checker.validate(document, checker.latest_version(), strict=True)  # raises, naming the field


def test_the_schema_check_catches_a_misspelt_field() -> None:
    checker = validator()
    broken = manifests()["Deployment/rec-service-api"]
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["pathh"] = "/x"
    with pytest.raises(checker.ValidationError, match="pathh"):
        checker.validate(broken, checker.latest_version(), strict=True)


def test_the_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == on_disk


def container_of(deployment: dict[str, Any]) -> dict[str, Any]:
    spec = deployment["spec"]
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
    (container,) = spec["template"]["spec"]["containers"]
    return dict(container)


def test_the_api_runs_two_probed_replicas_behind_one_service() -> None:
    resources = manifests()
    api = resources["Deployment/rec-service-api"]
    container = container_of(api)
    assert api["spec"]["replicas"] == 2
    assert container["args"] == ["rec-service", "serve"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert container["startupProbe"]["grpc"]["port"] == ports["grpc"] == 50051

    service = resources["Service/rec-service"]
    assert service["spec"]["selector"].items() <= api["spec"]["template"]["metadata"]["labels"].items()
    assert {port["targetPort"] for port in service["spec"]["ports"]} == set(ports)

    worker = resources["Deployment/rec-service-tune-worker"]
    assert worker["spec"]["replicas"] == 0 and container_of(worker)["args"] == ["rec-service", "tune-worker"]


def test_secrets_stay_out_of_the_config_map_and_the_settings_load(monkeypatch: pytest.MonkeyPatch) -> None:
    resources = manifests()
    config = resources["ConfigMap/rec-service-config"]["data"]
    secret = resources["Secret/rec-service-secrets"]["stringData"]
    assert {"REC_ADMIN_TOKEN", "REC_REGISTRY_URL", "REC_SOURCE_URL", "AWS_SECRET_ACCESS_KEY"} <= set(secret)
    assert not any("TOKEN" in name or "SECRET" in name or "PASSWORD" in name for name in config)
    for deployment in ("Deployment/rec-service-api", "Deployment/rec-service-tune-worker"):
        container = container_of(resources[deployment])
        sources = {ref.get("configMapRef", ref.get("secretRef"))["name"] for ref in container["envFrom"]}
        assert sources == {"rec-service-config", "rec-service-secrets"}

    settings = settings_from(monkeypatch, {**config, **secret})
    assert settings.artifacts_bucket == ("rec-artifacts", "prod") and settings.s3_endpoint_url is None


def settings_from(monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]) -> Settings:
    unknown = {name for name in environment if name.startswith("REC_")} - {
        f"REC_{field.upper()}" for field in Settings.model_fields
    }
    assert not unknown, f"variables the service does not read: {unknown}"
    for name, value in environment.items():
        monkeypatch.setenv(name, str(value))
    return load_settings()


def test_compose_runs_two_replicas_on_mariadb_redis_and_minio(monkeypatch: pytest.MonkeyPatch) -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    replicas = [name for name, service in services.items() if service.get("build") == "."]
    assert len(replicas) == 2
    assert services["mariadb"]["image"].startswith("mariadb:")
    init = services["minio-init"]
    assert (
        init["image"].startswith("minio/mc")
        and "mc mb --ignore-existing local/rec-artifacts" in init["command"][0]
    )

    host_ports = [port.split(":")[0] for name in replicas for port in services[name]["ports"]]
    assert len(host_ports) == len(set(host_ports))
    for name in replicas:
        service = services[name]
        assert service["depends_on"] == {
            "mariadb": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "minio-init": {"condition": "service_completed_successfully"},
        }
        environment = {key: _compose_default(value) for key, value in service["environment"].items()}
        assert "@mariadb:3306/" in environment["REC_REGISTRY_URL"]
        settings = settings_from(monkeypatch, environment)
        assert settings.artifacts_bucket == ("rec-artifacts", "compose")
        assert settings.s3_endpoint_url == "http://minio:9000"
    assert services["minio"]["healthcheck"]["test"]


def _compose_default(value: str) -> str:
    """`${NAME:-default}` as compose would expand it with NAME unset."""
    if value.startswith("${") and ":-" in value:
        return value[value.index(":-") + 2 : -1]
    return value


@pytest.fixture(autouse=True)
def _no_local_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for name in [n for n in os.environ if n.startswith("REC_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env from the working directory


def test_the_image_copies_every_package_the_wheel_holds_and_installs_from_the_lock() -> None:
    """Each package `setuptools` packs (pyproject's `include`) is copied into the builder, or the
    image's wheel lacks it (tools/ was once missing: the demo source could not be generated)."""
    dockerfile = (REPO / "Dockerfile").read_text()
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    packed = [name.rstrip("*") for name in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]]
    copied = set(re.findall(r"^COPY (\w+) \./\1$", dockerfile, flags=re.MULTILINE))
    assert set(packed) <= copied, f"not copied into the image: {sorted(set(packed) - copied)}"
    assert "uv.lock" in dockerfile and "uv export --frozen --no-dev" in dockerfile
    assert "-r /wheels/requirements.txt" in dockerfile  # the runtime installs the locked versions

"""docker-compose.yml and the Dockerfile agree with the code they run."""

import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack.temporal_server import SA_TYPES
from dunning.settings import ENVIRONMENT
from workflows import search_attributes

ROOT = Path(__file__).parent.parent
TEMPORAL_VARIABLES = {"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE"}


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_the_stack_has_every_service_and_valid_dependencies() -> None:
    services = compose()["services"]
    expected = {"postgresql", "temporal-schema", "temporal", "temporal-ui"}
    expected |= {"register-search-attributes"}
    assert expected | {"worker", "webhook", "sandbox", "codec"} == set(services)
    for name, service in services.items():
        for dependency in service.get("depends_on") or {}:
            assert dependency in services, f"{name} depends on unknown {dependency}"
    assert services["webhook"]["command"] == ["python", "-m", "webhooks"]
    assert services["temporal"]["image"].startswith("temporalio/server:"), "not auto-setup"
    assert "temporal-schema" in services["temporal"]["depends_on"]


def test_the_app_reads_only_variables_the_settings_know() -> None:
    services = compose()["services"]
    known = set(ENVIRONMENT.values()) | TEMPORAL_VARIABLES
    for name in ("worker", "webhook", "codec"):
        assert set(services[name]["environment"]) <= known, name


def test_every_search_attribute_is_registered_with_its_type() -> None:
    command = " ".join(compose()["services"]["register-search-attributes"]["command"])
    registered = dict(re.findall(r"(\w+):(KeywordList|Keyword|Int|Datetime)\b", command))
    expected = {key.name: SA_TYPES[key.indexed_value_type] for key in search_attributes.ALL_KEYS}
    assert registered == expected


def test_the_image_holds_every_package() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in pyproject["tool"]["setuptools"]["packages"]:
        assert f"COPY {package} {package}" in dockerfile, package
    for module in pyproject["tool"]["setuptools"]["py-modules"]:
        assert f"{module}.py" in dockerfile, module


def docker_compose_available() -> bool:
    return compose_command() is not None


def compose_command() -> list[str] | None:
    """`docker compose` (the plugin), or Debian's `docker-compose`: either reads the file
    without a daemon."""
    if shutil.which("docker") is not None:
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    found = shutil.which("docker-compose")
    return [found] if found else None


@pytest.mark.skipif(not docker_compose_available(), reason="no `docker compose` on this machine")
def test_docker_compose_accepts_the_file() -> None:
    command = compose_command()
    assert command is not None
    result = subprocess.run(
        [*command, "config", "--quiet"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr

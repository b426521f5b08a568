"""Shared fixtures: the real Temporal servers, from the registry packages' binaries."""

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from devstack.processes import free_port
from harness import sandbox_world
from sandbox.server import SandboxServer
from tests.stack import Stack, running_stack
from workflows import search_attributes

# CI runs the same examples every time, so a submission's verdict does not depend on luck;
# a developer's run explores new ones (and keeps the failures it finds in .hypothesis/).
settings.register_profile("ci", derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not on PATH: run the suite through `make test`")
    return path


@pytest.fixture(scope="session")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server, with the contract's search attributes."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_binary("temporal-test-server"),
        port=free_port(),
        data_converter=pydantic_data_converter,
    )
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={
                key.name: IndexedValueType.ValueType(key.indexed_value_type)
                for key in search_attributes.ALL_KEYS
            },
        )
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The Temporal dev server (in memory), with the contract's search attributes."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=_binary("temporal"),
        port=free_port(),
        data_converter=pydantic_data_converter,
        search_attributes=search_attributes.ALL_KEYS,
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
def e2e_world() -> Path:
    return Path(__file__).parent / "e2e" / "world.json"


@pytest.fixture(scope="session")
def stack(
    dev_env: WorkflowEnvironment, e2e_world: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The real worker and sandbox processes against the dev server, for the whole session."""
    address = dev_env.client.service_client.config.target_host
    with running_stack(address, e2e_world, tmp_path_factory.mktemp("stack")) as running:
        yield running


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A fresh in-process sandbox serving the tests' world."""
    server = SandboxServer(sandbox_world.world())
    server.start_background()
    yield server
    server.shutdown()
    server.server_close()

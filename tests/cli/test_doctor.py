"""`python starter.py doctor` against the dev server and the sandbox: all well, then each
thing a deployment gets wrong, named."""

import uuid
from collections.abc import Iterator

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from cli import doctor
from harness import sandbox_world
from harness.fakes import FakeProviders
from harness.sandbox_world import settings_for
from sandbox.server import SandboxServer
from sandbox.state import Fault
from workflows.dunning import DunningWorkflow
from workflows.runner import workflow_runner


@pytest.fixture
def announcing() -> Iterator[SandboxServer]:
    """A sandbox whose one webhook endpoint is the webhook service's."""
    server = SandboxServer(
        sandbox_world.world(), webhook_url="http://127.0.0.1:8788/stripe/webhook"
    )
    server.start_background()
    yield server
    server.shutdown()
    server.server_close()


async def test_a_healthy_deployment_passes_every_check(
    dev_env: WorkflowEnvironment,
    announcing: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", dev_env.client.service_client.config.target_host)
    queue = f"dunning-doctor-{uuid.uuid4()}"
    settings = settings_for(
        announcing.base_url, DUNNING_TASK_QUEUE=queue, STRIPE_WEBHOOK_SECRETS="whsec_1"
    )
    async with Worker(
        dev_env.client,
        task_queue=queue,
        workflows=[DunningWorkflow],
        activities=FakeProviders().activities(),
        workflow_runner=workflow_runner(),
    ):
        code = await doctor.run(settings)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "FAIL" not in out and out.strip().endswith("all checks passed")
    assert "ok    stripe webhook: http://127.0.0.1:8788/stripe/webhook" in out
    assert "ok    stripe charges" in out


async def test_each_problem_is_named(
    dev_env: WorkflowEnvironment,
    sandbox: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # No worker on the queue, a key the providers refuse, no webhook endpoint, no secret.
    monkeypatch.setenv("TEMPORAL_ADDRESS", dev_env.client.service_client.config.target_host)
    settings = settings_for(
        sandbox.base_url,
        DUNNING_TASK_QUEUE="dunning-nobody-polls",
        STRIPE_API_KEY="invalid",
        HUBSPOT_ACCESS_TOKEN="invalid",
    )
    code = await doctor.run(settings)
    out = capsys.readouterr().out
    assert code == 1
    failed = {
        line.split(":")[0].removeprefix("FAIL  ") for line in out.splitlines() if "FAIL" in line
    }
    assert failed == {"task queue", "hubspot", "stripe", "stripe charges", "webhook secret"}, out
    assert "no worker polls 'dunning-nobody-polls'" in out
    assert "ok    search attributes" in out and "ok    namespace" in out


async def test_a_key_that_may_not_list_charges_is_named(
    dev_env: WorkflowEnvironment,
    sandbox: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", dev_env.client.service_client.config.target_host)
    sandbox.state.faults.append(Fault(provider="stripe", status=403, path_prefix="/v1/charges"))
    assert await doctor.run(settings_for(sandbox.base_url)) == 1
    out = capsys.readouterr().out
    assert "FAIL  stripe charges: the key may not list charges (403" in out

"""The lab's runner starts afresh on a server that keeps its cases."""

from temporalio.testing import WorkflowEnvironment

from client.connection import start_case
from devstack.lab import end_leftover
from harness.temporal import make_case


async def test_an_earlier_runs_open_case_is_ended(dev_env: WorkflowEnvironment) -> None:
    case = make_case()
    await start_case(dev_env.client, case, "dunning-nobody-polls")
    assert await end_leftover(dev_env.client, case.workflow_id) is True
    described = await dev_env.client.get_workflow_handle(case.workflow_id).describe()
    assert described.status is not None and described.status.name == "TERMINATED"
    assert await end_leftover(dev_env.client, case.workflow_id) is False
    assert await end_leftover(dev_env.client, "dunning-in_never_started") is False

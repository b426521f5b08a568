"""The world runner starts afresh, and tolerates a case it cannot read, for a while."""

import pytest
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from client.connection import start_case
from devstack.world_run import UNREADABLE_POLLS, CaseUnreadable, _end_leftover, _readable
from harness.temporal import make_case


async def test_an_earlier_runs_open_case_is_ended(dev_env: WorkflowEnvironment) -> None:
    case = make_case()
    await start_case(dev_env.client, case, "dunning-nobody-polls")
    assert await _end_leftover(dev_env.client, case.workflow_id) is True
    described = await dev_env.client.get_workflow_handle(case.workflow_id).describe()
    assert described.status is not None and described.status.name == "TERMINATED"
    assert await _end_leftover(dev_env.client, case.workflow_id) is False
    assert await _end_leftover(dev_env.client, "dunning-in_never_started") is False


def test_an_unreadable_case_is_shown_then_named() -> None:
    case = make_case()
    failure = RPCError("Workflow Task in failed state", RPCStatusCode.FAILED_PRECONDITION, b"")
    misses: dict[str, int] = {}
    for _ in range(UNREADABLE_POLLS):
        stand_in = _readable(case, failure, misses)
        assert stand_in.invoice_id == case.invoice_id and stand_in.outcome is None
    with pytest.raises(CaseUnreadable, match=f"{case.workflow_id} cannot be read"):
        _readable(case, failure, misses)

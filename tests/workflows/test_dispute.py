"""`DisputeWorkflow`: one task for the team that answers disputes, and a record that stays
even when the CRM refuses the task."""

from datetime import UTC, datetime

from temporalio.testing import WorkflowEnvironment

from dunning.contract.dispute import DisputeCase
from dunning.contract.enums import Team
from harness.fakes import FakeProviders
from harness.temporal import record, worker_with
from workflows.dispute import DisputeWorkflow

DISPUTE = DisputeCase(
    dispute_id="dp_1",
    charge_id="ch_1",
    invoice_id="in_1",
    customer_id="cus_1",
    amount=4200,
    currency="usd",
    reason="fraudulent",
    opened_at=datetime(2026, 6, 1, tzinfo=UTC),
    team=Team.FINANCE,
    owner_id="55",
)


async def route(env: WorkflowEnvironment, fakes: FakeProviders, history: str = "") -> str:
    async with worker_with(env, fakes, DisputeWorkflow) as queue:
        handle = await env.client.start_workflow(
            DisputeWorkflow.run, DISPUTE, id=f"{DISPUTE.workflow_id}-{queue}", task_queue=queue
        )
        routed = await handle.result()
        if history:
            await record(handle, history)
        return routed


async def test_a_dispute_becomes_one_task_for_its_team(time_env: WorkflowEnvironment) -> None:
    fakes = FakeProviders()
    assert await route(time_env, fakes, history="dispute_routed") == "task-1"
    [task] = fakes.named("create_task")
    assert (task.team, task.owner_id, task.case_ref) == (Team.FINANCE, "55", "dispute-dp_1")
    assert "42.00 USD" in task.subject and "dp_1 (fraudulent)" in task.body


async def test_a_refused_task_still_ends_the_dispute_with_why(
    time_env: WorkflowEnvironment,
) -> None:
    fakes = FakeProviders(refusals={"create_task": {1}})
    assert (await route(time_env, fakes)).startswith("not routed: route to finance")

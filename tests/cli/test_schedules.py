"""`starter.py schedules apply`: the daily scan's Schedule, created once and brought up to
date by applying again; a lab's schedule removed with its stack."""

from datetime import timedelta

from temporalio.client import ScheduleActionStartWorkflow, ScheduleIntervalSpec
from temporalio.testing import WorkflowEnvironment

from cli.schedules import apply_schedules, remove_schedules
from dunning.contract.predunning import ScanRequest
from dunning.rules.policy import DunningPolicy
from workflows.predunning_scan import SCAN_SCHEDULE_ID, SCAN_WORKFLOW_TYPE


async def test_applying_twice_keeps_one_schedule_up_to_date(dev_env: WorkflowEnvironment) -> None:
    client = dev_env.client
    first = await apply_schedules(client, "q-one", DunningPolicy(), 86_400)
    again = await apply_schedules(client, "q-two", DunningPolicy(predunning_window_days=45), 2)
    assert (first, again) == (
        f"schedule {SCAN_SCHEDULE_ID}: created",
        f"schedule {SCAN_SCHEDULE_ID}: updated",
    )
    schedules = [listed.id async for listed in await client.list_schedules()]
    assert schedules.count(SCAN_SCHEDULE_ID) == 1
    described = await client.get_schedule_handle(SCAN_SCHEDULE_ID).describe()
    action = described.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert (action.workflow, action.task_queue) == (SCAN_WORKFLOW_TYPE, "q-two")
    [interval] = described.schedule.spec.intervals
    assert interval == ScheduleIntervalSpec(every=timedelta(seconds=2))
    [payload] = action.args
    [request] = await client.data_converter.decode([payload], [ScanRequest])
    assert request.policy.predunning_window_days == 45
    assert request.options.day_seconds == 2

    await remove_schedules(client)
    await remove_schedules(client)  # nothing left: no error
    assert SCAN_SCHEDULE_ID not in [listed.id async for listed in await client.list_schedules()]

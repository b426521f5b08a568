"""`python starter.py schedules apply`: the product's Temporal Schedules, created or brought
up to date (applying twice changes nothing)."""

import contextlib
from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from dunning.contract.case import CaseOptions
from dunning.contract.predunning import ScanRequest
from dunning.rules.policy import DunningPolicy
from workflows.predunning_scan import (
    SCAN_SCHEDULE_ID,
    SCAN_WORKFLOW_TYPE,
    PreDunningScanWorkflow,
)


def scan_schedule(task_queue: str, policy: DunningPolicy, day_seconds: int) -> Schedule:
    """The daily scan: once a policy day, never two at once, the first at once."""
    request = ScanRequest(options=CaseOptions(day_seconds=day_seconds), policy=policy)
    return Schedule(
        action=ScheduleActionStartWorkflow(
            PreDunningScanWorkflow.run,
            request,
            id=SCAN_SCHEDULE_ID,
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(seconds=day_seconds))]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
        state=ScheduleState(note="pre-dunning: watch the renewals due within the window"),
    )


async def apply_schedules(
    client: Client, task_queue: str, policy: DunningPolicy, day_seconds: int
) -> str:
    """Create the scan's schedule, or update it to this policy and clock; says which."""
    schedule = scan_schedule(task_queue, policy, day_seconds)
    try:
        await client.create_schedule(SCAN_SCHEDULE_ID, schedule, trigger_immediately=True)
    except ScheduleAlreadyRunningError:

        def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(SCAN_SCHEDULE_ID).update(replace)
        return f"schedule {SCAN_SCHEDULE_ID}: updated"
    return f"schedule {SCAN_SCHEDULE_ID}: created"


async def remove_schedules(client: Client) -> None:
    """Delete the scan's schedule and end a scan still running (a lab's stack goes away
    with its task queue; a run left on it would hold the next lab's scans back)."""
    try:
        await client.get_schedule_handle(SCAN_SCHEDULE_ID).delete()
    except RPCError as err:
        if err.status is not RPCStatusCode.NOT_FOUND:
            raise
    running = f"WorkflowType = '{SCAN_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'"
    async for scan in client.list_workflows(running):
        with contextlib.suppress(RPCError):
            await client.get_workflow_handle(scan.id, run_id=scan.run_id).terminate("lab over")

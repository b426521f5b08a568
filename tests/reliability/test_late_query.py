"""A worker dies while its case sleeps, and a query reaches the next worker after the case's
timer fired but before the timer's workflow task does.

To answer the query, that worker rebuilds the case from its history, fired timer included,
and the SDK runs the case past the timer with the clock of its last workflow task, from
before the timer's moment. The commands the case makes then go out with its next workflow
task. A case that planned by that clock slept again where its history, replayed, charges:
no worker could replay it again (the chaos test met it, and the replay below fails so
without the fix). The case takes a wait that ran to its end as its moment come.
"""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from client.connection import start_case
from devstack.processes import start_worker
from dunning.contract.enums import NextActionKind, Outcome, Resolution
from harness.temporal import status_of
from tests.reliability.worlds import invoice, write_world
from tests.stack import eventually, running_stack
from workflows.dunning import DunningWorkflow
from workflows.runner import workflow_runner
from worlds.cases import cases_from_world
from worlds.model import load_world

DAY_SECONDS = 6
"""The first retry comes 6 s after the case opens, time for a new worker to start polling."""
QUERY_BEFORE_DUE = timedelta(seconds=1)
"""The dead worker's sticky queue holds the query for 3 s (the worker's sticky timeout), so
it reaches the new worker 2 s after the timer fired, 1 s before the timer's workflow task
(which waits out the same queue from the timer's moment)."""


async def test_a_query_answered_by_a_new_worker_after_a_timer_fired_keeps_the_case_replayable(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    client = dev_env.client
    world = write_world(tmp_path / "world.json", [invoice("in_late_query", ["succeeded"])])
    [case] = cases_from_world(load_world(world), datetime.now(UTC), DAY_SECONDS)
    with running_stack(client.service_client.config.target_host, world, tmp_path) as stack:
        handle = await start_case(client, case, stack.task_queue)

        async def sleeps_until_its_retry() -> bool:
            next_action = (await status_of(handle)).next_action
            return next_action is not None and next_action.kind is NextActionKind.RETRY

        await eventually(sleeps_until_its_retry, "the case sleeps until its first retry")
        status = await status_of(handle)
        due = status.next_action.at if status.next_action else None
        assert due is not None
        stack.kill_worker()
        other = start_worker(stack.env(), tmp_path / "worker-2.log")
        try:

            async def the_new_worker_polls() -> bool:
                return await polls(client, stack.task_queue, f"{other.pid}@")

            await eventually(the_new_worker_polls, "the new worker polls")
            query_at = due - QUERY_BEFORE_DUE
            await asyncio.sleep(max((query_at - datetime.now(UTC)).total_seconds(), 0))
            await status_of(handle)
            answered = datetime.now(UTC)
            outcome = await handle.result()
            history = await handle.fetch_history()
        finally:
            other.stop()
    assert answered > due, "the query was answered after the timer fired (the case under test)"
    assert (outcome.outcome, outcome.resolution) == (Outcome.RECOVERED, Resolution.RETRY)
    replayer = Replayer(
        workflows=[DunningWorkflow],
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(),
    )
    replayed = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert replayed.replay_failure is None, str(replayed.replay_failure)


async def polls(client: Client, task_queue: str, identity_prefix: str) -> bool:
    """Whether a worker whose identity starts with `identity_prefix` polls `task_queue` for
    workflow tasks."""
    request = DescribeTaskQueueRequest(
        namespace=client.namespace,
        task_queue=TaskQueue(name=task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    described = await client.workflow_service.describe_task_queue(request)
    return any(poller.identity.startswith(identity_prefix) for poller in described.pollers)

"""Runs `DunningWorkflow` against fakes on a test server, one task queue per test."""

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from client.connection import start_case
from dunning.contract.case import DunningCase
from dunning.contract.enums import Stage
from dunning.contract.status import DunningOutcome, DunningStatus
from harness.fakes import FakeProviders
from workflows.dunning import DunningWorkflow
from workflows.runner import workflow_runner

HISTORIES = Path(__file__).parent.parent / "tests" / "histories"
RECORD = os.environ.get("DUNNING_RECORD_HISTORIES") == "1"
WAIT_SECONDS = 10.0


def make_case(**overrides: Any) -> DunningCase:
    """A card soft decline on a self-serve account, with fields overridden."""
    fields: dict[str, Any] = {
        "invoice_id": f"in_{uuid.uuid4().hex[:12]}",
        "customer_id": "cus_test",
        "amount_due": 5000,
        "currency": "usd",
        "collection_method": "charge_automatically",
        "payment_method_type": "card",
        "failure": {"code": "card_declined", "decline_code": "insufficient_funds"},
        "failed_at": datetime.now(UTC),
        "subscription_id": "sub_test",
    }
    fields.update(overrides)
    return DunningCase.model_validate(fields)


@asynccontextmanager
async def worker_with(
    env: WorkflowEnvironment, fakes: FakeProviders, *workflows: type
) -> AsyncIterator[str]:
    """A worker running `workflows` with the fakes as activities; its task queue."""
    queue = f"dunning-test-{uuid.uuid4()}"
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=list(workflows),
        activities=fakes.activities(),
        workflow_runner=workflow_runner(),
    ):
        yield queue


@asynccontextmanager
async def running(
    env: WorkflowEnvironment, fakes: FakeProviders, case: DunningCase
) -> AsyncIterator[WorkflowHandle[DunningWorkflow, DunningOutcome]]:
    """A worker with the fakes, and the case started on it."""
    async with worker_with(env, fakes, DunningWorkflow) as queue:
        yield await start_case(env.client, case, queue)


async def status_of(handle: WorkflowHandle[DunningWorkflow, DunningOutcome]) -> DunningStatus:
    """The case's status query."""
    return await handle.query(DunningWorkflow.status)


async def record(handle: WorkflowHandle[Any, Any], name: str) -> None:
    """Commit the run's history under tests/histories/ when recording is asked for."""
    if not RECORD:
        return
    history = await handle.fetch_history()
    HISTORIES.mkdir(exist_ok=True)
    suffix = os.environ.get("DUNNING_HISTORY_SUFFIX", "")
    path = HISTORIES / f"{name}{suffix}.json"
    path.write_text(json.dumps(json.loads(history.to_json()), indent=1) + "\n")


async def wait_for(
    handle: WorkflowHandle[DunningWorkflow, DunningOutcome],
    condition: Callable[[DunningStatus], bool],
    what: str,
) -> DunningStatus:
    """The first status that meets `condition` (polled; fails naming `what`)."""
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        status = await status_of(handle)
        if condition(status):
            return status
        await asyncio.sleep(0.02)
    raise AssertionError(f"{handle.id}: {what} did not happen within {WAIT_SECONDS:g} s")


async def classified(handle: WorkflowHandle[DunningWorkflow, DunningOutcome]) -> DunningStatus:
    """The status once the case has read its facts and classified itself."""
    return await wait_for(handle, lambda s: s.stage is not Stage.CLASSIFYING, "classification")


async def visible(env: WorkflowEnvironment, query: str) -> None:
    """Wait until the visibility store lists a case for `query` (it trails the case)."""
    for _ in range(int(WAIT_SECONDS / 0.05)):
        if [w async for w in env.client.list_workflows(query)]:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"nothing listed for {query} within {WAIT_SECONDS:g} s")


def events(status: DunningStatus) -> list[str]:
    """The timeline's event names, in order."""
    return [entry.event for entry in status.timeline]

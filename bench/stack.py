"""An in-process stack for the benchmarks: dev server, sandbox, worker with real activities."""

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.clients import all_activities
from bench.baseline import BaselineWorkflow, SleeperWorkflow, noop
from devstack.processes import free_port
from devstack.temporal_server import register_search_attributes
from harness.sandbox_world import settings_for
from sandbox.server import SandboxServer
from workflows import search_attributes
from workflows.dunning import DunningWorkflow
from workflows.runner import workflow_runner
from worlds.model import World


@dataclass
class BenchStack:
    """What a measurement runs on."""

    env: WorkflowEnvironment
    sandbox: SandboxServer
    task_queue: str


def world_of(count: int, prefix: str, **invoice: Any) -> World:
    """`count` card invoices of one self-serve customer (PO required when asked)."""
    customer: dict[str, Any] = {"id": "cus_bench", "name": "Bench", "email": "b@bench.example"}
    customer["po_required"] = bool(invoice.pop("po_required", False))
    base = {
        "customer": "cus_bench",
        "amount_due": 4200,
        "currency": "usd",
        "collection_method": "charge_automatically",
        "payment_method_type": "card",
        "failure": {"code": "card_declined", "decline_code": "insufficient_funds"},
        **invoice,
    }
    invoices = [{**base, "id": f"in_{prefix}_{i:05}"} for i in range(count)]
    return World.model_validate({"customers": [customer], "invoices": invoices})


@asynccontextmanager
async def bench_stack(world: World) -> AsyncIterator[BenchStack]:
    """A dev server (in memory), the sandbox, and a worker for cases and baselines."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=shutil.which("temporal"),
        port=free_port(),
        data_converter=pydantic_data_converter,
        search_attributes=search_attributes.ALL_KEYS,
        dev_server_extra_args=["--dynamic-config-value", "frontend.rps=100000"],
    )
    sandbox = SandboxServer(world)
    sandbox.start_background()
    queue = f"bench-{uuid.uuid4()}"
    try:
        with ThreadPoolExecutor(max_workers=64) as executor:
            async with Worker(
                env.client,
                task_queue=queue,
                workflows=[DunningWorkflow, BaselineWorkflow, SleeperWorkflow],
                workflow_runner=workflow_runner(),
                activities=[*all_activities(settings_for(sandbox.base_url), env.client), noop],
                activity_executor=executor,
                max_concurrent_activities=64,
            ):
                yield BenchStack(env, sandbox, queue)
    finally:
        sandbox.shutdown()
        sandbox.server_close()
        await env.shutdown()


POLL_SECONDS = 0.5
WAIT_SECONDS = 600


async def until_count(client: Client, query: str, at_least: int) -> None:
    """Wait until the visibility store lists `at_least` workflows for `query`."""
    for _ in range(int(WAIT_SECONDS / POLL_SECONDS)):
        if (await client.count_workflows(query)).count >= at_least:
            return
        await asyncio.sleep(POLL_SECONDS)
    raise TimeoutError(f"fewer than {at_least} workflows for {query}")


async def time_skipping_env() -> WorkflowEnvironment:
    """A time-skipping test server with the contract's search attributes."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=shutil.which("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await register_search_attributes(env.client)
    return env

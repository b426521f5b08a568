"""Throughput on one dev server: N cases against N baseline workflows, in the same run."""

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from temporalio.client import Client, WorkflowHandle

from bench.baseline import BaselineWorkflow
from bench.stack import BenchStack
from client.connection import start_case
from worlds.cases import cases_from_world

CONCURRENCY = 100
SAMPLE = 50


@dataclass(frozen=True)
class Throughput:
    """Cases against the baseline."""

    count: int
    case_seconds: float
    baseline_seconds: float
    case_transitions: float
    baseline_transitions: float

    @property
    def transitions_ratio(self) -> float:
        """Cases' state transitions per second over the baseline's (1.0: the worker keeps up)."""
        case_rate = self.case_transitions * self.count / self.case_seconds
        return case_rate / (self.baseline_transitions * self.count / self.baseline_seconds)


async def measure(stack: BenchStack, count: int) -> Throughput:
    """Start `count` cases (1 s policy days, paid on the first retry) and as many baselines."""
    client = stack.env.client
    cases = cases_from_world(stack.sandbox.state.world, datetime.now(UTC), 1)[:count]
    gate = asyncio.Semaphore(CONCURRENCY)

    async def run_case(case: Any) -> WorkflowHandle[Any, Any]:
        async with gate:
            handle = await start_case(client, case, stack.task_queue)
        await handle.result()
        return handle

    async def run_baseline(i: int) -> WorkflowHandle[Any, Any]:
        async with gate:
            handle = await client.start_workflow(
                BaselineWorkflow.run, id=f"bench-baseline-{i}", task_queue=stack.task_queue
            )
        await handle.result()
        return handle

    started = time.perf_counter()
    case_handles = await asyncio.gather(*(run_case(c) for c in cases))
    case_seconds = time.perf_counter() - started
    started = time.perf_counter()
    baseline_handles = await asyncio.gather(*(run_baseline(i) for i in range(count)))
    baseline_seconds = time.perf_counter() - started
    return Throughput(
        count,
        case_seconds,
        baseline_seconds,
        await _transitions(client, case_handles),
        await _transitions(client, baseline_handles),
    )


async def _transitions(client: Client, handles: list[WorkflowHandle[Any, Any]]) -> float:
    sample = handles[:: max(1, len(handles) // SAMPLE)]
    counts = []
    for handle in sample:
        described = await client.get_workflow_handle(handle.id).describe()
        counts.append(described.raw_description.workflow_execution_info.state_transition_count)
    return sum(counts) / len(counts)

"""Parked cases: the worker's memory as sleeping cases grow, then every case woken at once."""

import asyncio
import inspect
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from temporalio.worker import Worker

from bench.baseline import BaselineWorkflow
from bench.stack import BenchStack, until_count
from client.connection import start_case
from devstack.processes import sandbox_worker_env, start_worker
from dunning.contract.case import REAL_DAY_SECONDS
from workflows.names import Signals
from worlds.cases import cases_from_world

CONCURRENCY = 100
STEPS = 8
"""Memory is read after each eighth of the cases is parked."""
STICKY_CACHE: int = inspect.signature(Worker).parameters["max_cached_workflows"].default
"""The worker's `max_cached_workflows` (the SDK's default): the most cases it keeps in memory."""


@dataclass(frozen=True)
class Parked:
    """Memory against parked cases, and the wake-up storm against the baseline."""

    count: int
    rss_mb: list[tuple[int, float]]
    storm_seconds: float
    baseline_seconds: float

    @property
    def mb_per_thousand(self) -> float:
        """Resident memory added per 1,000 parked cases over the second half, once the
        worker's sticky cache (`STICKY_CACHE` cases) has long been full."""
        (first_n, first_mb), (last_n, last_mb) = self.rss_mb[STEPS // 2], self.rss_mb[-1]
        return (last_mb - first_mb) / max(last_n - first_n, 1) * 1000

    @property
    def cached_mb_per_thousand(self) -> float:
        """Resident memory per 1,000 cases while the sticky cache fills: what a case costs
        the worker while it is kept in memory."""
        (zero_n, zero_mb) = self.rss_mb[0]
        full_n, full_mb = next(
            ((n, mb) for n, mb in self.rss_mb if n >= STICKY_CACHE), self.rss_mb[-1]
        )
        return (full_mb - zero_mb) / max(full_n - zero_n, 1) * 1000

    @property
    def parked_share(self) -> float:
        """What a parked case costs the worker, as a share of what a cached case costs."""
        return self.mb_per_thousand / self.cached_mb_per_thousand

    @property
    def storm_ratio(self) -> float:
        """Time to wake and close every case over the time to run as many baselines."""
        return self.storm_seconds / self.baseline_seconds


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def measure(stack: BenchStack, count: int, log_dir: Path) -> Parked:
    """Park `count` cases on a worker process of their own, measuring its memory."""
    client = stack.env.client
    queue = f"{stack.task_queue}-parked"
    address = client.service_client.config.target_host
    worker = start_worker(
        sandbox_worker_env(address, stack.sandbox.base_url, queue), log_dir / "parked.log"
    )
    try:
        await asyncio.sleep(3)
        cases = cases_from_world(stack.sandbox.state.world, datetime.now(UTC), REAL_DAY_SECONDS)[
            :count
        ]
        gate = asyncio.Semaphore(CONCURRENCY)

        async def start(case: object) -> None:
            async with gate:
                await start_case(client, case, queue)  # type: ignore[arg-type]

        readings = [(0, rss_mb(worker.pid))]
        query = f"DunningStage = 'retrying' AND TaskQueue = '{queue}'"
        for step in range(1, STEPS + 1):
            parked = step * count // STEPS
            await asyncio.gather(*(start(c) for c in cases[readings[-1][0] : parked]))
            await until_count(client, query, parked)
            readings.append((parked, rss_mb(worker.pid)))
            print(f"  {parked} parked, {readings[-1][1]:.0f} MiB", flush=True)

        async def wake(case: object) -> None:
            async with gate:
                handle = client.get_workflow_handle(case.workflow_id)  # type: ignore[attr-defined]
                await handle.signal(Signals.INVOICE_PAID, {"via": "wire"})

        started = time.perf_counter()
        await asyncio.gather(*(wake(c) for c in cases))
        closed = f"DunningOutcome = 'recovered' AND TaskQueue = '{queue}'"
        await until_count(client, closed, count)
        storm = time.perf_counter() - started
        print(f"  woken and closed in {storm:.0f} s", flush=True)
    finally:
        worker.stop()

    async def baseline(i: int) -> None:
        async with gate:
            await client.start_workflow(
                BaselineWorkflow.run, id=f"bench-parked-baseline-{i}", task_queue=stack.task_queue
            )

    # Completion is counted in visibility: thousands of result long-polls at once exceed
    # the server's concurrent poller limit.
    started = time.perf_counter()
    await asyncio.gather(*(baseline(i) for i in range(count)))
    done = "WorkflowType = 'BenchBaseline' AND ExecutionStatus = 'Completed'"
    await until_count(client, done, count)
    return Parked(count, readings, storm, time.perf_counter() - started)

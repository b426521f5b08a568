"""Test speed: a 60-day case on the time-skipping server against a one-day sleep."""

import os
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from bench.baseline import ShapeWorkflow, SleeperWorkflow, noop
from bench.cost import cost_of
from bench.stack import time_skipping_env
from dunning.contract.enums import CustomerTier
from dunning.providers.facts import AccountFacts
from harness.fakes import FakeProviders
from harness.temporal import make_case, running
from workflows.runner import workflow_runner

RUNS = 3


@dataclass(frozen=True)
class Speed:
    """Wall times on the time-skipping server, and of the whole suite."""

    case_seconds: float
    sleeper_seconds: float
    shape_seconds: float
    """A workflow of the case's timers and activities, all no-ops."""
    shape: tuple[int, int]
    """The case's timers and activities."""
    suite_seconds: float | None

    @property
    def ratio(self) -> float:
        """The 60-day case's wall time over the one-day sleep's."""
        return self.case_seconds / self.sleeper_seconds

    @property
    def shape_note(self) -> str:
        """The case's shape, in words."""
        return f"{self.shape[0]} timers and {self.shape[1]} activities"

    @property
    def shape_ratio(self) -> float:
        """The case's wall time over a workflow of the same timers and no-op activities."""
        return self.case_seconds / self.shape_seconds


async def measure(run_suite: bool) -> Speed:
    """Median of a few runs each, on one time-skipping server."""
    env = await time_skipping_env()
    try:
        cases, sleeps, shapes = [], [], []
        shape = (0, 0)
        for _ in range(RUNS):
            account = AccountFacts(tier=CustomerTier.ENTERPRISE, owner_id="7")
            fakes = FakeProviders(account=account, outcomes=["insufficient_funds"])
            started = time.perf_counter()
            async with running(env, fakes, make_case()) as handle:
                await handle.result()
            cases.append(time.perf_counter() - started)
            breakdown = cost_of("case", await handle.fetch_history()).breakdown
            shape = (breakdown["timers"], breakdown["activities"])
            sleeps.append(await _baseline(env, SleeperWorkflow.run))
            shapes.append(await _baseline(env, ShapeWorkflow.run, *shape))
    finally:
        await env.shutdown()
    suite = _suite() if run_suite else None
    case, sleep, same_shape = (statistics.median(t) for t in (cases, sleeps, shapes))
    return Speed(case, sleep, same_shape, shape, suite)


async def _baseline(env: WorkflowEnvironment, run: Any, *args: int) -> float:
    """Wall time of one baseline run, its worker included (as the case's is)."""
    queue = f"bench-speed-{uuid.uuid4()}"
    started = time.perf_counter()
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[SleeperWorkflow, ShapeWorkflow],
        activities=[noop],
        workflow_runner=workflow_runner(),
    ):
        await env.client.execute_workflow(run, args=args, id=queue, task_queue=queue)
    return time.perf_counter() - started


def _suite() -> float:
    """The whole test suite's wall time (what `make test` runs after lint and types)."""
    root = Path(__file__).parent.parent
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=root,
        env={**os.environ, "PATH": path},
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started

"""Test speed: a 60-day case on the time-skipping server against a one-day sleep."""

import os
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from temporalio.worker import Worker

from bench.baseline import SleeperWorkflow
from bench.stack import time_skipping_env
from dunning.enums import CustomerTier
from dunning.facts import AccountFacts
from tests.workflows.fakes import FakeProviders
from tests.workflows.harness import make_case, running

RUNS = 3


@dataclass(frozen=True)
class Speed:
    """Wall times on the time-skipping server, and of the whole suite."""

    case_seconds: float
    sleeper_seconds: float
    suite_seconds: float | None

    @property
    def ratio(self) -> float:
        """The 60-day case's wall time over the one-day sleep's."""
        return self.case_seconds / self.sleeper_seconds


async def measure(run_suite: bool) -> Speed:
    """Median of a few runs each, on one time-skipping server."""
    env = await time_skipping_env()
    try:
        cases, sleeps = [], []
        for _ in range(RUNS):
            account = AccountFacts(tier=CustomerTier.ENTERPRISE, owner_id="7")
            fakes = FakeProviders(account=account, outcomes=["insufficient_funds"])
            started = time.perf_counter()
            async with running(env, fakes, make_case()) as handle:
                await handle.result()
            cases.append(time.perf_counter() - started)
            queue = f"bench-sleep-{uuid.uuid4()}"
            started = time.perf_counter()
            async with Worker(env.client, task_queue=queue, workflows=[SleeperWorkflow]):
                await env.client.execute_workflow(SleeperWorkflow.run, id=queue, task_queue=queue)
            sleeps.append(time.perf_counter() - started)
    finally:
        await env.shutdown()
    return Speed(
        statistics.median(cases), statistics.median(sleeps), _suite() if run_suite else None
    )


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

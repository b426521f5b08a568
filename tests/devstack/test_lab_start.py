"""`lab` starts the world clock only once its workers poll: a worker slow to start delays
the world, not its cases. Here the worker takes six seconds to start, three policy days at
two seconds a day."""

import json
from datetime import datetime, timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from devstack.lab import drive
from tests.reliability.worlds import invoice, write_world
from worlds.model import load_world

DAY_SECONDS = 2
SLOW_START_SECONDS = 6


async def test_a_day_0_failure_opens_its_case_on_day_0_however_slow_the_worker_starts(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    slow = tmp_path / "slow"
    slow.mkdir()
    # A worker started with this on its path sleeps as it starts (the webhook service,
    # which gets the same environment, does not: the lab waits for it anyway).
    (slow / "sitecustomize.py").write_text(
        "import sys, time\n"
        f"if sys.argv[0].endswith('worker.py'):\n    time.sleep({SLOW_START_SECONDS})\n"
    )
    card = invoice("in_slow_start", [])
    del card["attempt_outcomes"]
    card |= {"fails_on_day": 0, "behaviour": {"funds_return_day": 0.5}}
    world_path = write_world(tmp_path / "world.json", [card])
    address = dev_env.client.service_client.config.target_host

    report, _ = await drive(
        dev_env.client,
        address,
        load_world(world_path),
        world_path,
        tmp_path / "out",
        policy=None,
        day_seconds=DAY_SECONDS,
        timeout_seconds=120,
        worker_env={"PYTHONPATH": str(slow)},
    )

    assert report.recovered == 1
    (line,) = (json.loads(text) for text in (tmp_path / "out" / "cases.jsonl").open())
    failed_at = datetime.fromisoformat(line["failed_at"])
    opened_at = datetime.fromisoformat(line["timeline"][0]["at"])
    # Without the wait, the case opens when the worker is up: three policy days late.
    assert opened_at - failed_at < timedelta(seconds=DAY_SECONDS), "opened on its failure's day"

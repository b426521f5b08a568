"""The Temporal server stops and restarts (same SQLite file) while 60 cases sleep."""

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from client.connection import start_case
from devstack.processes import free_port
from devstack.temporal_server import connect, ensure_dev_server
from dunning.contract.enums import Outcome
from tests.reliability.worlds import invoice, write_world
from tests.stack import eventually, running_stack
from workflows.dunning import DunningWorkflow
from worlds.cases import cases_from_world
from worlds.model import load_world

CASES = 60
DAY_SECONDS = 8
"""Every case must still be open when the server stops: the first closes on day 3, 24 s
after it started, while starting and classifying all 60 takes a few seconds even on a
loaded machine. Their day-1 retries may fall while the server is down."""


async def test_every_sleeping_case_resumes_after_a_server_restart(tmp_path: Path) -> None:
    port, ui_port = free_port(), free_port()
    server = await ensure_dev_server(port, ui_port, state_dir=tmp_path)
    assert server.process is not None
    restarted = None
    outcomes_each = ["insufficient_funds", "succeeded"]
    # One customer (one card) each: a hundred invoices on one card would be held back by
    # its network caps, which count every invoice's retries.
    invoices = [
        invoice(f"in_restart_{i:03}", outcomes_each, customer=f"cus_restart_{i:03}")
        for i in range(CASES)
    ]
    world = write_world(tmp_path / "world.json", invoices)
    try:
        with running_stack(server.address, world, tmp_path) as stack:
            client = await connect(server.address)
            cases = cases_from_world(load_world(world), datetime.now(UTC), DAY_SECONDS)
            handles = [await start_case(client, case, stack.task_queue) for case in cases]
            query = f"DunningStage = 'retrying' AND TaskQueue = '{stack.task_queue}'"

            async def all_asleep() -> bool:
                return (await client.count_workflows(query)).count == CASES

            await eventually(all_asleep, "every case classified and asleep, none closed")

            server.process.stop()
            await asyncio.sleep(2)
            restarted = await ensure_dev_server(port, ui_port, state_dir=tmp_path)
            client = await connect(server.address)
            outcomes = await asyncio.gather(
                *(
                    client.get_workflow_handle_for(DunningWorkflow.run, h.id).result()
                    for h in handles
                )
            )
            charged = sum(i["attempt_count"] for i in stack.sandbox_state()["invoices"].values())
    finally:
        for process in (restarted.process if restarted else None, server.process):
            if process is not None:
                process.stop()
    assert len(outcomes) == CASES
    assert all(o.outcome is Outcome.RECOVERED and o.attempts == 2 for o in outcomes)
    assert charged == 2 * CASES, "one charge per attempt key, none lost, none doubled"

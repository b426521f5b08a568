"""Following a lab run ends when nothing more can happen by itself, not at its timeout."""

import threading
import time
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from devstack.following import follow
from sandbox.server import SandboxServer
from worlds.model import load_world

WORLD = Path(__file__).parent.parent / "lab" / "worlds" / "paid_on_due_day.json"


async def test_a_failure_no_case_was_opened_for_ends_the_run_naming_it(
    dev_env: WorkflowEnvironment,
) -> None:
    # Nobody answers the sandbox's webhooks, so no case ever opens. Once the world has
    # nothing left to do, the run ends with both invoices named as without a case, long
    # before its timeout.
    world = load_world(WORLD)
    sandbox = SandboxServer(world, day_seconds=1, webhook_url=None)
    threading.Thread(target=sandbox.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{sandbox.server_address[1]}"
    started = time.monotonic()
    try:
        followed = await follow(dev_env.client, world, url, "dunning-nobody", 60, None)
    finally:
        sandbox.shutdown()
        sandbox.server_close()
        if sandbox.behaviours:
            sandbox.behaviours.stop()
    assert followed.without_case == {"in_paid_on_due_day", "in_retried"}
    assert followed.statuses == {}
    assert time.monotonic() - started < 30
    events = {e["object"]: e for e in sandbox.announcer.sent if e["type"] == "invoice.overdue"}
    assert events["in_paid_on_due_day"]["delivery"] == "no endpoint"

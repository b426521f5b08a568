"""The lab starts its world clock only once its workers poll: a day-0 failure otherwise
waits on a worker still starting, which at a second a day is days late."""

import secrets
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from devstack.processes import sandbox_worker_env
from devstack.workers import QUEUE_TYPES, Workers, pollers


async def test_the_lab_waits_until_every_worker_polls(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    queue = f"dunning-workers-{secrets.token_hex(4)}"
    address = dev_env.client.service_client.config.target_host
    env = sandbox_worker_env(address, "http://127.0.0.1:9", queue)
    pool = Workers(env, tmp_path, count=2)
    try:
        assert [await pollers(dev_env.client, queue, kind) for kind in QUEUE_TYPES] == [0, 0]
        await pool.polling(dev_env.client, queue)
        polling = [await pollers(dev_env.client, queue, kind) for kind in QUEUE_TYPES]
        assert min(polling) >= 2
    finally:
        pool.stop()


async def test_a_worker_that_cannot_start_is_named(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    env = sandbox_worker_env("127.0.0.1:1", "http://127.0.0.1:9", "dunning-nowhere")
    pool = Workers(env, tmp_path)
    try:
        with pytest.raises(RuntimeError, match="worker stopped at start"):
            await pool.polling(dev_env.client, "dunning-nowhere", seconds=60)
    finally:
        pool.stop()

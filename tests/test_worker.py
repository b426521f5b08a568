"""The worker process: it polls, and stops gracefully on SIGTERM."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from devstack.processes import SANDBOX_CREDENTIALS, sandbox_worker_env, start_worker
from dunning.settings import Settings
from worker import ACTIVITY_THREADS, STICKY_TIMEOUT, build_worker


def test_the_worker_stops_gracefully_on_sigterm(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    address = dev_env.client.service_client.config.target_host
    log = tmp_path / "worker.log"
    worker = start_worker(sandbox_worker_env(address, "http://127.0.0.1:9", "dunning-sigterm"), log)
    deadline = time.monotonic() + 30
    while "polling task queue" not in log.read_text() and time.monotonic() < deadline:
        assert worker.running(), log.read_text()
        time.sleep(0.1)
    worker.stop()
    assert worker.popen.returncode == 0, log.read_text()
    text = log.read_text()
    assert "worker stopped" in text
    assert SANDBOX_CREDENTIALS["STRIPE_API_KEY"] not in text, "no secret is ever printed"


async def test_a_dead_worker_s_cases_wait_at_most_the_sticky_timeout(
    dev_env: WorkflowEnvironment,
) -> None:
    # The SDK's 10 s would be a 10-day outage on a one-second policy day; the chaos test
    # shows cases moving on after worker kills with the value set here.
    settings = Settings(task_queue="dunning-sticky")
    with ThreadPoolExecutor(max_workers=ACTIVITY_THREADS) as executor:
        worker = build_worker(dev_env.client, settings, executor)
        timeout = worker.config()["sticky_queue_schedule_to_start_timeout"]
    assert timeout == STICKY_TIMEOUT <= timedelta(seconds=3)

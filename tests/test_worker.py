"""The worker process: it polls, and stops gracefully on SIGTERM."""

import time
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from devstack.processes import SANDBOX_CREDENTIALS, sandbox_worker_env, start_worker


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

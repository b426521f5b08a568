"""The worker's Prometheus endpoint: the SDK's metrics and the product's counters."""

import asyncio
import re
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from client.connection import start_case
from devstack.processes import free_port, sandbox_worker_env, start_worker
from tests.stack import Stack
from worlds.cases import cases_from_world
from worlds.model import load_world

SAMPLE = re.compile(r"^(\w+)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'(\w+)="([^"]*)"')


def parse(text: str) -> list[tuple[str, dict[str, str], float]]:
    """Prometheus text exposition: (name, labels, value) per sample."""
    samples = []
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if match and not line.startswith("#"):
            labels = dict(LABEL.findall(match.group(2) or ""))
            samples.append((match.group(1), labels, float(match.group(3))))
    return samples


def scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as answer:
        text: str = answer.read().decode()
        return text


async def test_the_worker_serves_metrics_for_prometheus(
    dev_env: WorkflowEnvironment, stack: Stack, e2e_world: Path, tmp_path: Path
) -> None:
    port, queue = free_port(), "dunning-metrics"
    env = {
        **sandbox_worker_env(stack.temporal_address, stack.sandbox_url, queue),
        "DUNNING_METRICS_PORT": str(port),
    }
    worker = start_worker(env, tmp_path / "worker.log")
    try:
        case = next(
            c
            for c in cases_from_world(load_world(e2e_world), datetime.now(UTC), 1)
            if c.invoice_id == "in_metrics"
        )
        handle = await start_case(dev_env.client, case, queue)
        await handle.result()
        text = await asyncio.to_thread(scrape, f"http://127.0.0.1:{port}/metrics")
    finally:
        worker.stop()
    samples = parse(text)

    def value(name: str, **labels: str) -> float:
        return sum(v for n, ls, v in samples if n == name and labels.items() <= ls.items())

    assert value("dunning_cases_started") == 1
    assert value("dunning_charge_attempts", outcome="declined") == 1
    assert value("dunning_charge_attempts", outcome="succeeded") == 1
    assert value("dunning_emails_sent", template="payment_failed") == 1
    assert value("dunning_cases_closed", category="soft_decline", outcome="recovered") == 1
    assert value("temporal_workflow_completed") >= 1, "the SDK's own metrics are there too"

"""The worker's Prometheus endpoint: the SDK's metrics and the product's counters."""

import asyncio
import os
import re
import signal
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from client.connection import start_case
from devstack.processes import free_port, sandbox_worker_env, start_worker
from harness.temporal import wait_for
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


async def test_a_case_replayed_by_another_worker_counts_once(
    dev_env: WorkflowEnvironment, stack: Stack, e2e_world: Path, tmp_path: Path
) -> None:
    # The first worker opens the case and makes attempt 1, then is SIGKILLed; the second
    # replays the whole history. Its counters hold only what it did itself.
    first_port, second_port, queue = free_port(), free_port(), "dunning-metrics-replay"
    env = sandbox_worker_env(stack.temporal_address, stack.sandbox_url, queue)
    first = start_worker(env | {"DUNNING_METRICS_PORT": str(first_port)}, tmp_path / "a.log")
    second = None
    try:
        case = next(
            c
            for c in cases_from_world(load_world(e2e_world), datetime.now(UTC), 2)
            if c.invoice_id == "in_metrics_replay"
        )
        handle = await start_case(dev_env.client, case, queue)
        await wait_for(handle, lambda s: len(s.attempts) == 1, "attempt 1")
        before = parse(await asyncio.to_thread(scrape, f"http://127.0.0.1:{first_port}/metrics"))
        os.killpg(first.pid, signal.SIGKILL)
        first.popen.wait()
        env |= {"DUNNING_METRICS_PORT": str(second_port)}
        second = start_worker(env, tmp_path / "b.log")
        outcome = await handle.result()
        after = parse(await asyncio.to_thread(scrape, f"http://127.0.0.1:{second_port}/metrics"))
    finally:
        first.stop()
        if second is not None:
            second.stop()
    assert outcome.attempts == 3

    def value(samples: list[tuple[str, dict[str, str], float]], name: str) -> float:
        return sum(v for n, _, v in samples if n == name)

    assert value(before, "dunning_cases_started") == 1
    assert value(before, "dunning_charge_attempts") == 1
    assert value(after, "dunning_cases_started") == 0, "the replay did not count the start"
    assert value(after, "dunning_charge_attempts") == 2, "only attempts 2 and 3"
    assert value(after, "dunning_cases_closed") == 1

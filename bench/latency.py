"""Signal latency: `po_number_provided` sent → the PO update seen by the sandbox."""

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from statistics import quantiles
from typing import Any

from bench.stack import BenchStack, until_count
from client.connection import start_case
from dunning.contract.case import REAL_DAY_SECONDS
from workflows.names import Signals
from worlds.cases import cases_from_world

CONCURRENCY = 100
SIGNALS_PER_SECOND = 20
"""The pace the signals are sent at: a steady load the worker keeps up with, so the figure is
the latency of one signal, not the length of a queue (a burst beyond capacity waits in line)."""


@dataclass(frozen=True)
class Latency:
    """Milliseconds from the signal to the provider call it causes."""

    count: int
    p50_ms: float
    p99_ms: float


async def measure(stack: BenchStack, count: int) -> Latency:
    """Open `count` missing-PO cases, then send each its PO at a steady pace and time the
    invoice update it causes."""
    client = stack.env.client
    cases = cases_from_world(stack.sandbox.state.world, datetime.now(UTC), REAL_DAY_SECONDS)[:count]
    gate = asyncio.Semaphore(CONCURRENCY)

    async def start(case: object) -> None:
        async with gate:
            await start_case(client, case, stack.task_queue)  # type: ignore[arg-type]

    await asyncio.gather(*(start(c) for c in cases))
    query = f"DunningStage = 'awaiting_customer' AND TaskQueue = '{stack.task_queue}'"
    await until_count(client, query, count)
    sent: dict[str, float] = {}

    async def provide_po(case: Any, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        sent[case.invoice_id] = time.time()
        handle = client.get_workflow_handle(case.workflow_id)
        await handle.signal(Signals.PO_NUMBER_PROVIDED, {"po_number": f"PO-{case.invoice_id}"})

    first = time.monotonic()
    await asyncio.gather(
        *(provide_po(c, first + i / SIGNALS_PER_SECOND) for i, c in enumerate(cases))
    )
    seen: dict[str, float] = {}
    while len(seen) < count:
        await asyncio.sleep(0.2)
        for call in list(stack.sandbox.state.calls):
            invoice = call["path"].removeprefix("/v1/invoices/")
            if call["method"] == "POST" and invoice in sent and invoice not in seen:
                seen[invoice] = datetime.fromisoformat(call["at"]).timestamp()
    latencies = sorted((seen[i] - sent[i]) * 1000 for i in sent)
    cuts = quantiles(latencies, n=100)
    return Latency(count, cuts[49], cuts[98])

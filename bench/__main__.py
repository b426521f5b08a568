"""`python -m bench` (`make bench`): run every measurement, write BENCHMARKS.md.

Sizes come from the environment: BENCH_CASES (1000), BENCH_PARKED (4000),
BENCH_SIGNALS (500), BENCH_SUITE (1: also time the whole test suite), BENCH_WORLD_INVOICES
(1000 per unseen world), BENCH_RENEWALS (2000 per pre-dunning world), BENCH_LAB (1: also
run a 300-invoice world live).
"""

import asyncio
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import temporalio

from bench import cost, latency, parked, predunning, recovery, replay, speed, throughput
from bench import lab as lab_bench
from bench.report import write_report
from bench.stack import bench_stack, time_skipping_env, world_of
from client.connection import exit_process


def size(name: str, default: int) -> int:
    """A size from the environment."""
    return int(os.environ.get(name, default))


async def main() -> None:
    """Every measurement, in order, with progress on the way."""
    started = time.perf_counter()
    cases = size("BENCH_CASES", 1000)
    parked_n = size("BENCH_PARKED", 4000)
    signals = size("BENCH_SIGNALS", 500)
    print("cost per case …", flush=True)
    env = await time_skipping_env()
    costs = await cost.path_costs(env)
    await env.shutdown()
    print(f"throughput: {cases} cases and {cases} baselines …", flush=True)
    async with bench_stack(world_of(cases, "tp", attempt_outcomes=["succeeded"])) as stack:
        flow = await throughput.measure(stack, cases)
        ids = [f"dunning-in_tp_{i:05}" for i in range(cases)]
        print("replay …", flush=True)
        replays = await replay.measure(
            stack.env.client, ids, [f"bench-baseline-{i}" for i in range(cases)]
        )
    print(f"parked: {parked_n} sleeping cases …", flush=True)
    with tempfile.TemporaryDirectory() as logs:
        async with bench_stack(world_of(parked_n, "pk")) as stack:
            rest = await parked.measure(stack, parked_n, Path(logs))
    print(f"signal latency over {signals} cases …", flush=True)
    async with bench_stack(world_of(signals, "sl", po_required=True)) as stack:
        lag = await latency.measure(stack, signals)
    print("test speed …", flush=True)
    pace = await speed.measure(run_suite=size("BENCH_SUITE", 1) == 1)
    write_report(
        Path("BENCHMARKS.md"),
        machine=machine(),
        costs=costs,
        flow=flow,
        replays=replays,
        rest=rest,
        lag=lag,
        pace=pace,
        seconds=time.perf_counter() - started,
    )
    print("recovery: policies on unseen worlds …", flush=True)
    recovery.main()
    print("pre-dunning: renewals with and without it …", flush=True)
    # Both run worlds live with asyncio.run of their own: in a thread, off this loop.
    await asyncio.to_thread(predunning.main)
    if size("BENCH_LAB", 1):
        print("lab: generated worlds live (300, 100 and 120 invoices, 100 learned) …", flush=True)
        await asyncio.to_thread(lab_bench.main)
    print(f"BENCHMARKS.md written in {time.perf_counter() - started:.0f} s")


def machine() -> str:
    """What the figures were measured on."""
    cpu = _proc_field("/proc/cpuinfo", "model name") or platform.processor() or "unknown"
    memory_kb = _proc_field("/proc/meminfo", "MemTotal") or "0 kB"
    memory = int(memory_kb.split()[0]) // 1024 // 1024
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} cores ({cpu}) · {memory} GiB · "
        f"Python {platform.python_version()} · temporalio {temporalio.__version__} · "
        f"{platform.system()} {platform.release()}"
    )


def _proc_field(path: str, name: str) -> str | None:
    for line in Path(path).read_text().splitlines():
        if line.startswith(name):
            return line.split(":", 1)[1].strip()
    return None


if __name__ == "__main__":
    asyncio.run(main())
    exit_process(0)

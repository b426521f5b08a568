"""The lab against the backtest, on a generated world run live.

`python -m bench.lab` (also part of `make bench`): a 300-invoice, 60-day world under
`lab --day-seconds 1`, timed, and compared per invoice with the in-process backtest of
the same world. Writes the section "Lab" of BENCHMARKS.md.
"""

import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

from bench.recovery import write
from devstack.lab import run_lab
from dunning.rules.policy import DunningPolicy
from lab.backtest import backtest
from worlds.generate import generate
from worlds.model import World

SEED = 404
SECTION = "## Lab"
GOAL_SECONDS = 240


async def measure(invoices: int) -> str:
    """Run the world both ways and describe how they compare."""
    raw = generate(invoices, SEED, days=60)
    world = World.model_validate(raw)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "world.json"
        path.write_text(json.dumps(raw))
        started = time.perf_counter()
        live = await run_lab(
            world, path, Path(folder) / "out", policy=None, day_seconds=1, timeout_seconds=900
        )
        seconds = time.perf_counter() - started
    offline = backtest(world, DunningPolicy())
    pairs = list(zip(live.per_invoice, offline.per_invoice, strict=True))
    same_outcome = sum(a.outcome == b.outcome for a, b in pairs)
    same_resolution = sum(
        (a.outcome, a.resolution, a.end_action) == (b.outcome, b.resolution, b.end_action)
        for a, b in pairs
    )
    categories = sorted(
        {
            (i.failure.decline_code or i.failure.code if i.failure else "overdue") or ""
            for i in world.invoices
        }
    )
    differing = [
        f"{a.invoice_id}: lab {a.outcome}/{a.resolution} after {a.days_open} days, "
        f"backtest {b.outcome}/{b.resolution} after {b.days_open} days"
        for a, b in pairs
        if (a.outcome, a.resolution, a.end_action) != (b.outcome, b.resolution, b.end_action)
    ]
    lines = [
        SECTION,
        "",
        f"A generated world of {invoices} invoices failing over 60 days (seed {SEED}), run "
        f"live with `starter.py lab --day-seconds 1` (dev server, sandbox on a world clock, "
        f"webhook service, worker) and in-process with `starter.py backtest`.",
        "",
        "| goal | figure | |",
        "|---|---|---|",
        f"| backtest and lab give the same outcome per invoice | {same_outcome} of {len(pairs)} "
        f"(outcome, resolution and end action: {same_resolution}) "
        f"| {'met' if same_outcome == len(pairs) else 'not met'} |",
        f"| a {invoices}-invoice, 60-day world closes under `lab --day-seconds 1` in under "
        f"4 minutes on 2 cores | {seconds:.0f} s "
        f"| {'met' if seconds < GOAL_SECONDS else 'not met'} |",
        "",
        f"Decline codes covered: {', '.join(categories)}.",
    ]
    if differing:
        lines += ["", "Invoices that ended differently:", *(f"- {line}" for line in differing)]
    return "\n".join(lines) + "\n"


def main() -> None:
    text = asyncio.run(measure(int(os.environ.get("BENCH_LAB_INVOICES", 300))))
    write(Path("BENCHMARKS.md"), text, SECTION)
    print(text)


if __name__ == "__main__":
    main()

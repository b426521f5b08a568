"""BENCHMARKS.md: the figures, the goals, the method and the machine."""

from pathlib import Path

from bench.cost import Cost
from bench.latency import SIGNALS_PER_SECOND, Latency
from bench.parked import STEPS, STICKY_CACHE, Parked
from bench.replay import ReplaySpeed
from bench.speed import Speed
from bench.throughput import Throughput

SOFT_PATH, ENTERPRISE_PATH = "soft decline, recovered on the 2nd retry", "enterprise soft decline"


def row(*cells: object) -> str:
    """One markdown table row."""
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def write_report(
    path: Path,
    *,
    machine: str,
    costs: list[Cost],
    flow: Throughput,
    replays: ReplaySpeed,
    rest: Parked,
    lag: Latency,
    pace: Speed,
    seconds: float,
) -> None:
    """Write the report (overwriting the previous run's)."""
    soft = next(c for c in costs if c.path == SOFT_PATH)
    enterprise = next(c for c in costs if c.path.startswith(ENTERPRISE_PATH))
    history_kb = enterprise.history_bytes / 1024
    goals = [
        (
            "soft decline recovered on the 2nd retry: at most 11 actions (10, and the "
            "ledger's record of the close)",
            soft.actions,
            soft.actions <= 11,
        ),
        (
            "60-day enterprise case: at most 30 actions",
            enterprise.actions,
            enterprise.actions <= 30,
        ),
        (
            "60-day enterprise case: at most 32 KB of history",
            f"{history_kb:.1f} KB",
            history_kb <= 32,
        ),
        (
            "throughput: at least 0.8 of the baseline's transitions per second",
            f"{flow.transitions_ratio:.2f}",
            flow.transitions_ratio >= 0.8,
        ),
        (
            "parked cases: the worker's memory stays flat (a parked case under 5% of a cached one)",
            f"{rest.mb_per_thousand:.1f} MiB per 1,000 parked: {rest.parked_share:.0%} of what a "
            "cached case costs",
            rest.parked_share < 0.05,
        ),
        ("signal latency: p99 under 500 ms", f"{lag.p99_ms:.0f} ms", lag.p99_ms < 500),
        (
            "a 60-day case on the time-skipping server: under 2x a one-day sleep",
            f"{pace.ratio:.2f}x ({pace.shape_ratio:.2f}x a workflow of the same shape)",
            pace.ratio < 2,
        ),
    ]
    if pace.suite_seconds is not None:
        goals.append(
            (
                "the whole test suite: under 5 minutes on 2 cores",
                f"{pace.suite_seconds:.0f} s",
                pace.suite_seconds < 300,
            )
        )
    lines = [
        "# Benchmarks",
        "",
        f"Measured {machine}. Sections 1-6 took {seconds:.0f} s of `make bench`; the"
        " recovery and lab sections run after them.",
        "",
        "Every figure is a count, or a ratio against a baseline measured in the same run on "
        "the same server: the machines are shared and noisy, so absolute times mean little.",
        "",
        "## Goals",
        "",
        row("goal", "figure", ""),
        row("---", "---", "---"),
        *[row(goal, figure, _met(ok)) for goal, figure, ok in goals],
    ]
    lines += [
        "",
        "## 1. Cost per case",
        "",
        "Billable actions counted from each path's real history (recorded in this run on the "
        "time-skipping server, providers faked): the start, each activity attempt, each timer, "
        "signal, update and search-attribute upsert. Queries are not part of a case's own run.",
        "",
        "| path | actions | breakdown | events | history |",
        "|---|---|---|---|---|",
    ]
    for c in costs:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(c.breakdown.items()) if v)
        lines.append(
            f"| {c.path} | {c.actions} | {parts} | {c.events} | {c.history_bytes / 1024:.1f} KB |"
        )
    case_rate = flow.count / flow.case_seconds
    base_rate = flow.count / flow.baseline_seconds
    lines += [
        "",
        "## 2. Throughput on one dev server",
        "",
        f"{flow.count} cases (sandbox providers, one-second policy days, paid on the first retry) "
        f"and, in the same run, {flow.count} baseline workflows that run one no-op activity, "
        "100 started at a time, one in-process worker.",
        "",
        "| | cases | baseline |",
        "|---|---|---|",
        row("wall time", f"{flow.case_seconds:.1f} s", f"{flow.baseline_seconds:.1f} s"),
        row("completed per second", f"{case_rate:.1f}", f"{base_rate:.1f}"),
        row(
            "state transitions per workflow (sampled)",
            f"{flow.case_transitions:.1f}",
            f"{flow.baseline_transitions:.1f}",
        ),
        row(
            "transitions per second",
            f"{case_rate * flow.case_transitions:.0f}",
            f"{base_rate * flow.baseline_transitions:.0f}",
        ),
        "",
        f"Ratio of transitions per second: **{flow.transitions_ratio:.2f}** of the baseline. "
        "A case's wall time includes its one-day (one-second) sleep before the retry.",
        "",
        "## 3. Parked cases",
        "",
        f"{rest.count} open cases sleeping on one worker process (real-clock days), its "
        "resident memory read as they were parked:",
        "",
        "| parked | worker RSS |",
        "|---|---|",
        *[f"| {n} | {mb:.0f} MiB |" for n, mb in rest.rss_mb],
        "",
        f"Memory per 1,000 parked cases from {rest.rss_mb[STEPS // 2][0]} to {rest.count}: "
        f"**{rest.mb_per_thousand:.1f} MiB**. A sleeping case lives in the server; the worker "
        f"keeps at most {STICKY_CACHE} cases in its sticky cache, so its memory grows until the "
        f"cache is full ({rest.cached_mb_per_thousand:.0f} MiB per 1,000 cached cases) and then "
        f"stays flat: a parked case costs {rest.parked_share:.0%} of a cached one.",
        "",
        f"Every case woken at once (`invoice_paid` to all): {rest.storm_seconds:.1f} s to close "
        f"them all, against {rest.baseline_seconds:.1f} s to run as many baseline workflows: "
        f"**{rest.storm_ratio:.2f}x**.",
        "",
        "## 4. Signal latency",
        "",
        f"{lag.count} missing-PO cases; `po_number_provided` sent to each in turn, "
        f"{SIGNALS_PER_SECOND} a second, timed to the moment the sandbox received the PO update "
        "on the invoice. One in-process worker runs the cases and the sandbox answers in the "
        "same process.",
        "",
        f"p50 **{lag.p50_ms:.0f} ms**, p99 **{lag.p99_ms:.0f} ms**.",
        "",
        "## 5. Test speed",
        "",
        f"A 60-day enterprise case on the time-skipping server: {pace.case_seconds:.2f} s; a "
        f"workflow that sleeps one day: {pace.sleeper_seconds:.2f} s (medians of 3): "
        f"**{pace.ratio:.2f}x**. Against a workflow of the same shape ({pace.shape_note}, all "
        f"no-ops): {pace.shape_seconds:.2f} s, **{pace.shape_ratio:.2f}x**: what the case's own "
        "code adds to the round trips its timers and activities take.",
    ]
    if pace.suite_seconds is not None:
        lines.append(f"The whole pytest suite: **{pace.suite_seconds:.0f} s**.")
    lines += [
        "",
        "## 6. Replay",
        "",
        f"{replays.count} case histories and as many baseline histories from section 2, "
        "replayed one by one with `Replayer`:",
        "",
        f"cases {replays.cases_per_second:.0f}/s, baseline {replays.baseline_per_second:.0f}/s: "
        f"**{replays.ratio:.2f}** of the baseline's rate.",
        "",
    ]
    path.write_text("\n".join(lines))

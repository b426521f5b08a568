"""`python starter.py lab`: a world run live, as production runs it.

A fresh Temporal dev server, the worker, the webhook service and the behavioural sandbox
on a world clock. The sandbox announces each failure on its day with a signed webhook;
the webhook service opens the case; the world answers what the product does. When every
case has closed (or waits on a person, with nothing left for the world to do:
`devstack.following`), the run writes `report.json`, `cases.jsonl`, `sandbox_state.json`
and `sandbox_calls.json`.
"""

import asyncio
import contextlib
import json
import secrets
import shutil
import sys
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from cli.schedules import apply_schedules, remove_schedules
from client.connection import converter_for
from devstack.following import Followed, follow, sandbox_json
from devstack.processes import ManagedProcess, free_port, sandbox_worker_env, spawn
from devstack.workers import Workers
from dunning.contract.status import DunningStatus
from dunning.errors import load_json
from dunning.rules.policy import DunningPolicy
from dunning.settings import Settings
from dunning.views.finance import finance_kpis
from dunning.views.report_html import render_html
from lab.agreement import Agreement
from lab.backtest import run_world
from lab.case_line import CaseLine
from lab.report import InvoiceResult, RenewalCounts, WorldReport
from ledger.store import Ledger
from webhooks.events import CASE_OPENING_EVENTS
from workflows import search_attributes
from worlds.model import World

Chaos = Callable[[Workers, str], Coroutine[Any, Any, None]]
"""Something done to a running lab: given its workers and the sandbox's URL."""


def _wait_http(url: str, process: ManagedProcess, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not process.running():
            raise RuntimeError(f"{what} stopped at start (log: {process.log})")
        try:
            sandbox_json(url)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer within {seconds:g} s")


async def run_lab(
    world: World,
    world_path: Path,
    out: Path,
    *,
    policy: Path | None,
    day_seconds: int,
    timeout_seconds: float,
) -> WorldReport:
    """Run the world on a fresh dev server to the close of its last case; write the results
    into `out`."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=shutil.which("temporal"),
        port=free_port(),
        data_converter=converter_for(Settings.from_env()),
        search_attributes=search_attributes.ALL_KEYS,
        ui=False,
    )
    try:
        address = env.client.service_client.config.target_host
        report, _ = await drive(
            env.client,
            address,
            world,
            world_path,
            out,
            policy=policy,
            day_seconds=day_seconds,
            timeout_seconds=timeout_seconds,
            against_backtest=True,
        )
        return report
    finally:
        await env.shutdown()


async def drive(
    client: Client,
    address: str,
    world: World,
    world_path: Path,
    out: Path,
    *,
    policy: Path | None,
    day_seconds: int,
    timeout_seconds: float,
    show: Callable[[list[DunningStatus]], None] | None = None,
    workers: int = 1,
    chaos: Chaos | None = None,
    worker_env: dict[str, str] | None = None,
    against_backtest: bool = False,
) -> tuple[WorldReport, list[DunningStatus]]:
    """Run the world against a Temporal server: its workers (`workers` processes on one
    task queue), webhook service and sandbox start here and stop when every case has
    closed. `chaos`, if given, runs meanwhile against the workers and the sandbox.
    `against_backtest`: also backtest the world on the run's calendar, and write how the
    two agree (`backtest.json`, `agreement.json`)."""
    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
    renewal_ids = [s.renewal_invoice_id for s in world.subscriptions]
    for invoice_id in [*(i.id for i in world.invoices), *renewal_ids]:
        await end_leftover(client, f"dunning-{invoice_id}")
    started: list[ManagedProcess] = []
    pool: Workers | None = None
    try:
        sandbox_port, webhook_port = free_port(), free_port()
        sandbox_url, secret = f"http://127.0.0.1:{sandbox_port}", f"whsec_{secrets.token_hex(8)}"
        queue = f"dunning-lab-{secrets.token_hex(4)}"
        common = sandbox_worker_env(address, sandbox_url, queue, client.namespace)
        if policy is not None:
            common["DUNNING_POLICY_FILE"] = str(policy)
        (out / "ledger.db").unlink(missing_ok=True)  # a run's ledger is its own
        common["DUNNING_DATABASE_URL"] = ledger_url(out)
        common |= worker_env or {}
        pool = Workers(common, out, workers)
        cases_policy = load_json(DunningPolicy, policy) if policy else DunningPolicy()
        print(await apply_schedules(client, queue, cases_policy, day_seconds), flush=True)
        hooks_env = common | {
            "STRIPE_WEBHOOK_SECRETS": secret,
            "DUNNING_WEBHOOK_PORT": str(webhook_port),
            "DUNNING_DAY_SECONDS": str(day_seconds),
        }
        hooks_args = [sys.executable, "-m", "webhooks"]
        hooks = spawn("webhooks", hooks_args, hooks_env, out / "webhooks.log")
        started.append(hooks)
        _wait_http(f"http://127.0.0.1:{webhook_port}/healthz", hooks, "the webhook service")
        await pool.polling(client, queue)
        sandbox_args = [
            sys.executable,
            "-m",
            "sandbox",
            "--world",
            str(world_path),
            "--port",
            str(sandbox_port),
            "--day-seconds",
            str(day_seconds),
            "--webhook-url",
            f"http://127.0.0.1:{webhook_port}/stripe/webhook",
            "--webhook-secret",
            secret,
        ]
        sandbox = spawn("sandbox", sandbox_args, None, out / "sandbox.log")
        started.append(sandbox)
        _wait_http(f"{sandbox_url}/_sandbox/world", sandbox, "the sandbox")
        havoc = asyncio.create_task(chaos(pool, sandbox_url)) if chaos else None
        try:
            followed = await follow(client, world, sandbox_url, queue, timeout_seconds, show)
        finally:
            if havoc is not None:
                havoc.cancel()
                await asyncio.gather(havoc, return_exceptions=True)
        statuses = followed.statuses
        backtest_policy = cases_policy if against_backtest else None
        report = _write(out, world, sandbox_url, followed, day_seconds, backtest_policy)
        ordered = [*(i.id for i in world.invoices), *renewal_ids]
        return report, [statuses[i] for i in ordered if i in statuses]
    finally:
        with contextlib.suppress(RPCError):
            await remove_schedules(client)
        for process in reversed(started):
            process.stop()
        if pool is not None:
            pool.stop()


def write_html_report(out: Path) -> Path:
    """The run's report to look at, from the ledger its workers wrote."""
    entries = Ledger.at(ledger_url(out)).entries()
    dunning = [e for e in entries if e.kind == "dunning"]
    since = min((e.opened_at for e in dunning), default=datetime.now(UTC))
    closes = [e.closed_at for e in dunning if e.closed_at is not None]
    until = max([since, *closes]) + timedelta(seconds=1)
    path = out / "report.html"
    path.write_text(render_html(finance_kpis(entries, since, until), entries))
    return path


def ledger_url(out: Path) -> str:
    """Where a run's workers keep its ledger: beside its results."""
    return f"sqlite:///{(out / 'ledger.db').resolve()}"


async def end_leftover(client: Client, workflow_id: str) -> bool:
    """End the open case an interrupted earlier run left behind, so a run starts fresh."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        described = await handle.describe()
    except RPCError:
        return False
    if described.status is not WorkflowExecutionStatus.RUNNING:
        return False
    await handle.terminate("a new run starts this invoice afresh")
    return True


def _failure_answers(events: list[dict[str, Any]]) -> dict[str, str]:
    """What the webhook service answered to each invoice's announced failure, by invoice
    (the last delivery's answer)."""
    answers = {}
    for event in events:
        if event["type"] in CASE_OPENING_EVENTS and event.get("object"):
            answers[event["object"]] = event.get("answer") or f"delivery {event['delivery']}"
    return answers


def _write(
    out: Path,
    world: World,
    sandbox_url: str,
    followed: Followed,
    day_seconds: int,
    backtest_policy: DunningPolicy | None,
) -> WorldReport:
    state = sandbox_json(f"{sandbox_url}/_sandbox/state")
    (out / "sandbox_state.json").write_text(json.dumps(state, indent=1) + "\n")
    calls = sandbox_json(f"{sandbox_url}/_sandbox/calls")
    (out / "sandbox_calls.json").write_text(json.dumps(calls, indent=1) + "\n")
    clock = sandbox_json(f"{sandbox_url}/_sandbox/world")
    origin = datetime.fromisoformat(clock["calendar"]) - timedelta(days=clock["day"])
    answers = _failure_answers(clock["events"])
    results, lines = [], []
    renewals = [world.renewal_invoice(s, origin) for s in world.subscriptions]
    for invoice in [*world.invoices, *renewals]:
        status = followed.statuses.get(invoice.id)
        if status is None and invoice.id not in followed.without_case:
            continue
        held = state["invoices"][invoice.id]
        result = InvoiceResult.of(
            invoice.id,
            status.outcome if status else None,
            charges=held["charges"],
            emails=held["emails"],
            amount_due=invoice.amount_due,
            currency=invoice.currency,
            amount_paid=held["amount_paid"],
            network_fees=held["network_fees"],
        )
        if status is None:
            why = answers.get(invoice.id, "its failure was never answered")
            results.append(result.model_copy(update={"no_case": why}))
            continue
        results.append(result)
        lines.append(CaseLine.of(status, invoice.failed_at(origin), day_seconds).model_dump_json())
    report = WorldReport.of(results)
    if world.subscriptions:
        went = clock["renewals"]
        saved = [s.amount for s in world.subscriptions if went.get(s.id) == "prevented"]
        counts = RenewalCounts.of(
            len(world.subscriptions),
            list(went.values()).count("failed"),
            len(saved),
            sum(saved),
            emails=sum(len(mails) for mails in clock["watch_mail"].values()),
        )
        report = report.with_renewals(counts)
    (out / "report.json").write_text(report.model_dump_json(indent=1) + "\n")
    write_html_report(out)
    (out / "cases.jsonl").write_text("".join(line + "\n" for line in lines))
    if backtest_policy is not None:
        offline, _ = run_world(world, backtest_policy, origin)
        (out / "backtest.json").write_text(offline.model_dump_json(indent=1) + "\n")
        agreement = Agreement.of(report, offline).summary()
        (out / "agreement.json").write_text(json.dumps(agreement, indent=1) + "\n")
    return report

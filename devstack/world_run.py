"""Run a world: start one case per invoice, play its scripted actions, watch to the end."""

import asyncio
import json
import sys
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError

from client.connection import start_case
from devstack.progress import progress_table
from dunning.contract.case import DunningCase
from dunning.contract.enums import Stage
from dunning.contract.messages import Signals
from dunning.contract.status import DunningStatus
from dunning.rules.policy import DunningPolicy
from workflows.names import STATUS_QUERY
from worlds.cases import cases_from_world
from worlds.model import DemoAction, World

REFRESH_SECONDS = 1.0
UNREADABLE_POLLS = 15
"""A case whose status cannot be read this many times in a row ends the run."""
REPORT_EVERY_SECONDS = 10.0
"""Without a terminal, a progress line at least this often (and whenever a case closes)."""


class CaseUnreadable(RuntimeError):
    """A case the worker cannot run (its task fails), with the server's reason."""


@dataclass(frozen=True)
class ScheduledAction:
    """A demo action for one invoice's case."""

    day: float
    invoice_id: str
    action: DemoAction


async def run_world(
    client: Client,
    world: World,
    *,
    task_queue: str,
    day_seconds: int,
    sandbox_url: str,
    timeout_seconds: float,
    out: TextIO = sys.stdout,
    case_url: Callable[[str], str] | None = None,
) -> list[DunningStatus]:
    """Start the world's cases, play the scripted actions, and return the final statuses."""
    cases = cases_from_world(world, datetime.now(UTC), day_seconds)
    for case in cases:
        if await _end_leftover(client, case.workflow_id):
            print(f"  {case.workflow_id}: an earlier run's open case was ended", file=out)
    handles = [await start_case(client, case, task_queue, DunningPolicy()) for case in cases]
    unreadable: dict[str, int] = {}
    if case_url is not None:
        print("Open any case in the Temporal Web UI:", file=out)
        for case in cases:
            print(f"  {case_url(case.workflow_id)}", file=out)
    actions = sorted(
        (
            ScheduledAction(action.day, invoice.id, action)
            for invoice in world.invoices
            for action in invoice.demo
        ),
        key=lambda a: a.day,
    )
    loop = asyncio.get_running_loop()
    started = loop.time()
    live = out.isatty()
    statuses: list[DunningStatus] = []
    reported = (-1, -REPORT_EVERY_SECONDS)
    while True:
        elapsed = loop.time() - started
        while actions and actions[0].day * day_seconds <= elapsed:
            await _perform(client, actions.pop(0), sandbox_url, out)
        statuses = [
            _readable(case, status, unreadable)
            for case, status in zip(
                cases, await asyncio.gather(*(_status(h) for h in handles)), strict=True
            )
        ]
        table = progress_table(statuses, datetime.now(UTC), day_seconds)
        closed = sum(s.outcome is not None for s in statuses)
        if live:
            out.write(
                "\x1b[H\x1b[J" + table + f"\n\n{closed}/{len(statuses)} closed, "
                f"day {elapsed / day_seconds:.1f}\n"
            )
            out.flush()
        elif closed != reported[0] or elapsed - reported[1] >= REPORT_EVERY_SECONDS:
            print(f"day {elapsed / day_seconds:5.1f}: {closed}/{len(statuses)} closed", file=out)
            reported = (closed, elapsed)
        if closed == len(statuses) and not actions:
            if not live:
                print(table, file=out)
            return statuses
        if elapsed > timeout_seconds:
            print(table, file=out)
            raise TimeoutError(f"{len(statuses) - closed} cases still open after {elapsed:.0f} s")
        await asyncio.sleep(REFRESH_SECONDS)


async def _status(handle: WorkflowHandle[Any, Any]) -> DunningStatus | RPCError:
    try:
        status: DunningStatus = await handle.query(STATUS_QUERY, result_type=DunningStatus)
    except RPCError as err:
        return err
    return status


def _readable(
    case: DunningCase, status: DunningStatus | RPCError, unreadable: dict[str, int]
) -> DunningStatus:
    """The status, or a stand-in while a case cannot be read; a case that stays unreadable
    ends the run with the reason."""
    if not isinstance(status, RPCError):
        unreadable.pop(case.invoice_id, None)
        return status
    count = unreadable[case.invoice_id] = unreadable.get(case.invoice_id, 0) + 1
    if count > UNREADABLE_POLLS:
        raise CaseUnreadable(f"{case.workflow_id} cannot be read: {status.message}")
    return DunningStatus(
        invoice_id=case.invoice_id,
        customer_id=case.customer_id,
        amount_due=case.amount_due,
        currency=case.currency,
        stage=Stage.CLASSIFYING,
        failure_category=None,
        failure_reason=None,
        customer_tier=None,
        attempts=[],
        emails=[],
        routed=[],
        next_action=None,
        timeline=[],
        outcome=None,
    )


async def _end_leftover(client: Client, workflow_id: str) -> bool:
    """End the open case an interrupted earlier run left behind, so the demo starts fresh."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        described = await handle.describe()
    except RPCError:
        return False
    if described.status is not WorkflowExecutionStatus.RUNNING:
        return False
    await handle.terminate("a new demo run starts this invoice afresh")
    return True


async def _perform(
    client: Client, scheduled: ScheduledAction, sandbox_url: str, out: TextIO
) -> None:
    """Play one customer or operator action: the same signal a service would send."""
    action = scheduled.action
    if action.signal == Signals.PAYMENT_METHOD_UPDATED:
        url = f"{sandbox_url}/_sandbox/invoices/{scheduled.invoice_id}/update_payment_method"
        await asyncio.to_thread(_post, url)
    handle = client.get_workflow_handle(f"dunning-{scheduled.invoice_id}")
    try:
        await handle.signal(action.signal, action.payload)
    except RPCError as err:
        print(f"  {scheduled.invoice_id}: {action.signal} not delivered: {err.message}", file=out)


def _post(url: str) -> None:
    request = urllib.request.Request(url, data=json.dumps({}).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()

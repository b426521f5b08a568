"""Following a lab run's cases: what people do in the world is forwarded to them, and
the run ends when every case has closed, or when the world has nothing left to do and every
invoice still open waits on a person or never got a case."""

import asyncio
import json
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from dunning.contract.enums import Stage
from dunning.contract.messages import SIGNAL_PAYLOADS
from dunning.contract.status import DunningStatus
from workflows.names import STATUS_QUERY, WORKFLOW_TYPE
from worlds.model import World

POLL_SECONDS = 0.1
"""How often what people do is forwarded to the cases."""
CHECK_SECONDS = 0.5
"""How often the server is asked which cases closed: one listing, however many are open."""
PROGRESS_SECONDS = 5.0
QUIET_SECONDS = 2.0
"""How long the world must have nothing left to do, and every open invoice wait on a person
or have no case, before the run ends with those invoices open."""
HOLDS = frozenset({Stage.AWAITING_INTERNAL, Stage.PAUSED})
"""The stages in which only a person moves a case on."""
FORWARD_RETRY_SECONDS = (0.2, 0.5, 1, 1, 2, 2, 5, 5, 10, 10, 20)
"""A person retries a message while the server is down, for about a minute."""
SHOW_SECONDS = 1.0
"""How often a live table of the cases is redrawn."""


def sandbox_json(url: str, method: str = "GET") -> Any:
    """A sandbox endpoint's JSON answer."""
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read() or b"null")


@dataclass(frozen=True)
class Followed:
    """How a run ended."""

    statuses: dict[str, DunningStatus]
    """Each case's status, by invoice: closed, or open and waiting on a person."""
    without_case: frozenset[str]
    """Invoices whose announced failure opened no case: the webhook service declined it
    (in the sandbox's `events`, its answer says why)."""


async def follow(
    client: Client,
    world: World,
    sandbox_url: str,
    queue: str,
    timeout_seconds: float,
    show: Callable[[list[DunningStatus]], None] | None,
) -> Followed:
    """Forward what people do, and wait until every invoice's case has closed, and every
    renewal was made and its case, if it failed, closed too (only cases on this run's
    task queue count: a run of an earlier world on the same server does not); or until
    the world has nothing left to do and every invoice still open either waits on a person,
    its case staying open in the results as the backtest leaves it, or never got a case."""
    invoices = [i.id for i in world.invoices if i.announced]
    last_renewal = max((s.due_day for s in world.subscriptions), default=-1.0)
    deadline, shown, checked = time.monotonic() + timeout_seconds, 0.0, 0.0
    closed: dict[str, DunningStatus] = {}
    read: set[str] = set()
    quiet_since: float | None = None
    while True:
        for action in sandbox_json(f"{sandbox_url}/_sandbox/person_actions/take", "POST"):
            await _forward(client, action)
        world_now = sandbox_json(f"{sandbox_url}/_sandbox/world?brief=1")
        announced = set(world_now["announced"])
        expected = set(invoices) | announced
        ended: Followed | None = None
        if time.monotonic() - checked >= CHECK_SECONDS:
            checked = time.monotonic()
            closed |= await _newly_closed(client, queue, read)
            still_open = expected - closed.keys()
            waiting = None
            if world_now["pending"] == 0 and still_open:
                waiting = await _left_waiting(client, still_open)
            if waiting is None:
                quiet_since = None
            else:
                quiet_since = checked if quiet_since is None else quiet_since
                if checked - quiet_since >= QUIET_SECONDS:
                    held, without_case = waiting  # nothing more happens unless a person acts
                    ended = Followed(closed | held, frozenset(without_case))
        if expected <= closed.keys() and world_now["day"] > last_renewal:
            ended = Followed(closed, frozenset())
        if ended is not None:
            if show is not None:
                show([ended.statuses[i] for i in sorted(ended.statuses.keys() & expected)])
            return ended
        if time.monotonic() - shown >= (SHOW_SECONDS if show else PROGRESS_SECONDS):
            shown = time.monotonic()
            if show is not None:
                show([s for s in await _statuses(client, announced) if s is not None])
            else:
                print(
                    f"world day {world_now['day']:6.1f}: {len(announced)}/{len(expected)} "
                    f"failed, {len(closed.keys() & announced)} closed",
                    flush=True,
                )
        if time.monotonic() > deadline:
            open_ = sorted(expected - closed.keys())
            raise TimeoutError(f"cases still open after {timeout_seconds:g} s: {open_[:10]}")
        await asyncio.sleep(POLL_SECONDS)


async def _forward(client: Client, action: dict[str, Any]) -> None:
    """Send what a person would send (to an invoice's case, or to a renewal's watch), again
    while the server is unavailable; a case that has closed takes no more signals."""
    payload = SIGNAL_PAYLOADS[action["signal"]].model_validate(action["payload"])
    workflow_id = action.get("workflow_id") or f"dunning-{action['invoice_id']}"
    handle = client.get_workflow_handle(workflow_id)
    for pause in FORWARD_RETRY_SECONDS:
        try:
            await handle.signal(action["signal"], payload)
            return
        except RPCError as err:
            if err.status is not RPCStatusCode.UNAVAILABLE:
                print(f"  {workflow_id}: {action['signal']} not delivered: {err.message}")
                return
        await asyncio.sleep(pause)
    print(f"  {workflow_id}: {action['signal']} not delivered: the server is down")


async def _statuses(client: Client, invoices: set[str]) -> list[DunningStatus | None]:
    """Every announced case's status, open or closed (None: not readable yet)."""
    return await asyncio.gather(*(_status(client, i) for i in sorted(invoices)))


async def _status(client: Client, invoice_id: str) -> DunningStatus | None:
    """The invoice's case's status (None: not readable yet)."""
    try:
        return await _query(client, invoice_id)
    except RPCError:
        return None


async def _query(client: Client, invoice_id: str) -> DunningStatus:
    """The invoice's case's status; RPCError `NOT_FOUND` if it has no case."""
    handle = client.get_workflow_handle(f"dunning-{invoice_id}")
    status: DunningStatus = await handle.query(STATUS_QUERY, result_type=DunningStatus)
    return status


async def _left_waiting(
    client: Client, invoices: set[str]
) -> tuple[dict[str, DunningStatus], set[str]] | None:
    """If every one of these open invoices waits on a person (its case on hold for an
    internal team, or paused by an operator) or has no case at all: the held cases'
    statuses, and the invoices without a case. Else None. One at a time, stopping at the
    first that does neither: while cases still run by themselves this asks one of them."""
    held: dict[str, DunningStatus] = {}
    without_case: set[str] = set()
    for invoice_id in sorted(invoices):
        try:
            status = await _query(client, invoice_id)
        except RPCError as err:
            if err.status is not RPCStatusCode.NOT_FOUND:
                return None  # the server is unavailable: look again next time
            without_case.add(invoice_id)
            continue
        if status.outcome is not None or status.stage not in HOLDS:
            return None
        held[invoice_id] = status
    return held, without_case


async def _newly_closed(client: Client, queue: str, read: set[str]) -> dict[str, DunningStatus]:
    """The cases on `queue` that closed since the last look, by invoice, from one listing of
    the server's closed runs (a case carried into a fresh history is still open); `read`
    holds the runs already looked at. Nothing while the server is unavailable."""
    query = (
        f"WorkflowType = '{WORKFLOW_TYPE}' AND TaskQueue = '{queue}' "
        "AND ExecutionStatus != 'Running' AND ExecutionStatus != 'ContinuedAsNew'"
    )
    found: dict[str, DunningStatus] = {}
    try:
        async for execution in client.list_workflows(query):
            if execution.run_id in read:
                continue
            handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
            status: DunningStatus = await handle.query(STATUS_QUERY, result_type=DunningStatus)
            read.add(execution.run_id)
            if status.outcome is not None:
                found[status.invoice_id] = status
    except RPCError:
        pass  # the server is restarting: look again next time
    return found

"""Provider faults on the real stack: nothing charged twice, no email sent twice, no case lost."""

import json
from datetime import UTC, datetime
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from client.connection import start_case
from dunning.contract.case import DunningCase
from dunning.contract.enums import Outcome, Resolution
from harness.temporal import status_of
from tests.reliability.worlds import CUSTOMER, invoice, write_world
from tests.stack import Stack, eventually, running_stack
from worlds.cases import cases_from_world
from worlds.model import load_world

DAY_SECONDS = 1
SUCCEEDED = "succeeded"
FAST_TIMEOUT = {"DUNNING_HTTP_TIMEOUT_SECONDS": "2"}


def the_case(world: Path) -> DunningCase:
    [case] = cases_from_world(load_world(world), datetime.now(UTC), DAY_SECONDS)
    return case


def address(env: WorkflowEnvironment) -> str:
    return env.client.service_client.config.target_host


def charges(stack: Stack, invoice_id: str) -> int:
    count: int = stack.sandbox_state()["invoices"][invoice_id]["attempt_count"]
    return count


async def test_500_429_and_hangs_give_one_charge_per_key_and_one_email_per_step(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    world = write_world(
        tmp_path / "w.json", [invoice("in_faults", ["insufficient_funds", SUCCEEDED])]
    )
    with running_stack(address(dev_env), world, tmp_path, FAST_TIMEOUT) as stack:
        pay = "/v1/invoices/in_faults/pay"
        stack.inject(provider="stripe", path_prefix=pay, status=500)
        stack.inject(provider="stripe", path_prefix=pay, status=429, headers={"Retry-After": "1"})
        stack.inject(provider="stripe", path_prefix=pay, respond_after_seconds=3)
        stack.inject(provider="sendgrid", path_prefix="/v3/mail/send", respond_after_seconds=3)
        handle = await start_case(dev_env.client, the_case(world), stack.task_queue)
        outcome = await handle.result()
        state = stack.sandbox_state()
        pays = stack.calls(pay)
        lookups = stack.calls("/v3/messages")
    assert (outcome.outcome, outcome.resolution) == (Outcome.RECOVERED, Resolution.RETRY)
    keys = {c["idempotency_key"] for c in pays}
    assert keys == {"dunning-in_faults-attempt-1", "dunning-in_faults-attempt-2"}
    assert len(pays) >= 5, "500, 429, the hang and the replay were all retried"
    assert state["invoices"]["in_faults"]["attempt_count"] == 2, "one charge per attempt key"
    # The one email is the payment_failed after attempt 1, the very email that hung: the
    # retry found it in SendGrid rather than sending it again.
    assert [m.get("categories") for m in state["mails"]] == [["payment_failed"]]
    assert lookups, "the email retry asked SendGrid first"


async def test_a_long_outage_parks_the_case_and_it_goes_on_where_it_was(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    world = write_world(
        tmp_path / "w.json", [invoice("in_outage", ["insufficient_funds", SUCCEEDED])]
    )
    with running_stack(address(dev_env), world, tmp_path) as stack:
        stack.inject(provider="stripe", status=503, for_seconds=6)
        handle = await start_case(dev_env.client, the_case(world), stack.task_queue)
        outcome = await handle.result()
        status = await status_of(handle)
        refused = stack.calls("/v1/invoices/in_outage")
    assert outcome.resolution is Resolution.RETRY
    assert [a.number for a in status.attempts] == [1, 2], "the schedule goes on where it was"
    assert not {"held", "provider_refused"} & {e.event for e in status.timeline}, "never failed"
    assert len(refused) > 3, "Stripe was called again and again while it was down"


async def test_a_worker_killed_after_the_charge_was_accepted_charges_once(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    world = write_world(tmp_path / "world.json", [invoice("in_kill", ["succeeded"])])
    with running_stack(address(dev_env), world, tmp_path) as stack:
        pay = "/v1/invoices/in_kill/pay"
        stack.inject(provider="stripe", path_prefix=pay, respond_after_seconds=60)
        handle = await start_case(dev_env.client, the_case(world), stack.task_queue)
        await eventually(lambda: bool(stack.calls(pay)), "the charge reached Stripe")
        stack.kill_worker()
        assert charges(stack, "in_kill") == 1, "Stripe took the charge; the worker never heard"
        stack.start_worker()
        outcome = await handle.result()
        pays = stack.calls(pay)
        charged = charges(stack, "in_kill")
    assert (outcome.outcome, outcome.resolution) == (Outcome.RECOVERED, Resolution.RETRY)
    assert charged == 1, "one charge after the restart"
    assert {c["idempotency_key"] for c in pays} == {"dunning-in_kill-attempt-1"}
    assert len(pays) == 2, "the retry after the crash replayed the same charge"


async def test_permanent_email_and_task_refusals_are_noted_and_never_retried(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    # An enterprise account: the owner's task goes first, and HubSpot refuses it (400);
    # the payment_failed email after attempt 1 is refused by SendGrid (400). Neither is
    # tried again, neither holds the case, and attempt 2 recovers it.
    world = tmp_path / "w.json"
    enterprise = {
        **CUSTOMER,
        "tier": "enterprise",
        "owner": {"id": "7", "name": "Owner", "email": "owner@vendor.example"},
    }
    paying = invoice("in_refused", ["insufficient_funds", SUCCEEDED])
    world.write_text(json.dumps({"customers": [enterprise], "invoices": [paying]}))
    with running_stack(address(dev_env), world, tmp_path) as stack:
        stack.inject(provider="hubspot", path_prefix="/crm/v3/objects/tasks", status=400)
        stack.inject(provider="sendgrid", path_prefix="/v3/mail/send", status=400)
        handle = await start_case(dev_env.client, the_case(world), stack.task_queue)
        outcome = await handle.result()
        status = await status_of(handle)
        tasks = [c for c in stack.calls("/crm/v3/objects/tasks") if c["method"] == "POST"]
        mails = stack.calls("/v3/mail/send")
    assert (outcome.outcome, outcome.resolution) == (Outcome.RECOVERED, Resolution.RETRY)
    events = [e.event for e in status.timeline]
    assert {"task_failed", "email_failed"} <= set(events)
    assert "held" not in events, "a refused email or task does not stop the case"
    assert len([c for c in tasks if "search" not in c["path"]]) == 1, "the task, once"
    assert len(mails) == 1, "the refused email, once"
    assert status.routed[0].task_id is None, "the hand-off is recorded without a task"

"""End to end: the worker process, the sandbox process and the dev server, on a compressed
clock (1 s per policy day). The assertions are on the calls the sandbox received."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from client.connection import start_case
from dunning.contract.case import DunningCase
from dunning.contract.enums import Outcome, Resolution, Stage
from harness.temporal import classified, status_of, wait_for
from tests.stack import Stack
from workflows.names import Signals
from worlds.cases import cases_from_world
from worlds.model import load_world

DAY_SECONDS = 1


def case_for(world: Path, invoice_id: str) -> DunningCase:
    cases = cases_from_world(load_world(world), datetime.now(UTC), DAY_SECONDS)
    return next(c for c in cases if c.invoice_id == invoice_id)


def mails(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in calls if c["provider"] == "sendgrid"]


def index_of(calls: list[dict[str, Any]], method: str, path: str) -> int:
    return next(i for i, c in enumerate(calls) if (c["method"], c["path"]) == (method, path))


async def test_soft_decline_recovered_by_retry(
    dev_env: WorkflowEnvironment, stack: Stack, e2e_world: Path
) -> None:
    case = case_for(e2e_world, "in_e2e_soft")
    handle = await start_case(dev_env.client, case, stack.task_queue)
    outcome = await handle.result()
    assert (outcome.outcome, outcome.resolution) == (Outcome.RECOVERED, Resolution.RETRY)
    calls = stack.calls("in_e2e_soft")
    pays = [c for c in calls if c["path"].endswith("/pay")]
    keys = [c["idempotency_key"] for c in pays]
    assert keys == ["dunning-in_e2e_soft-attempt-1", "dunning-in_e2e_soft-attempt-2"]
    assert [m["body"]["categories"] for m in mails(calls)] == [["payment_failed"]]
    assert calls.index(mails(calls)[0]) > calls.index(pays[0]), "email after the 1st failed retry"
    assert stack.sandbox_state()["invoices"]["in_e2e_soft"]["status"] == "paid"


async def test_hard_decline_recovered_after_payment_method_update(
    dev_env: WorkflowEnvironment, stack: Stack, e2e_world: Path
) -> None:
    case = case_for(e2e_world, "in_e2e_hard")
    handle = await start_case(dev_env.client, case, stack.task_queue)
    status = await wait_for(handle, lambda s: bool(s.emails), "the first email")
    assert status.failure_category == "hard_decline"
    stack.post("/_sandbox/invoices/in_e2e_hard/update_payment_method")
    await handle.signal(Signals.PAYMENT_METHOD_UPDATED, {})
    outcome = await handle.result()
    assert outcome.resolution is Resolution.PAYMENT_METHOD_UPDATE
    calls = stack.calls("in_e2e_hard")
    assert len([c for c in calls if c["path"].endswith("/pay")]) == 1, "never retried blindly"
    assert mails(calls)[0]["body"]["categories"] == ["payment_failed"], "told at once"
    assert calls.index(mails(calls)[0]) < index_of(calls, "POST", "/v1/invoices/in_e2e_hard/pay")


async def test_missing_po_routed_fixed_and_paid(
    dev_env: WorkflowEnvironment, stack: Stack, e2e_world: Path
) -> None:
    case = case_for(e2e_world, "in_e2e_po")
    handle = await start_case(dev_env.client, case, stack.task_queue)
    status = await wait_for(handle, lambda s: bool(s.routed and s.emails), "routing")
    assert status.failure_reason == "missing_po"
    tasks = stack.sandbox_state()["tasks"].values()
    task = next(t for t in tasks if t["properties"]["dunning_case_ref"] == "dunning-in_e2e_po")
    assert task["properties"]["hubspot_owner_id"] == "201", "a task for the account owner"
    assert task["properties"]["dunning_team"] == "finance"
    await handle.signal(Signals.PO_NUMBER_PROVIDED, {"po_number": "PO-E2E", "provided_by": "ap"})
    outcome = await handle.result()
    assert outcome.resolution is Resolution.PO_FIX
    invoice = stack.sandbox_state()["invoices"]["in_e2e_po"]
    assert invoice["custom_fields"] == [{"name": "PO Number", "value": "PO-E2E"}]
    assert invoice["status"] == "paid"
    calls = stack.calls("in_e2e_po")
    put_po = index_of(calls, "POST", "/v1/invoices/in_e2e_po")
    assert put_po < index_of(calls, "POST", "/v1/invoices/in_e2e_po/pay"), "PO before charge"
    asked = mails(calls)[0]["body"]["personalizations"][0]["to"]
    assert asked == [{"email": "ap@big.example"}], "the AP contact is asked for the PO"


async def test_self_serve_exhausted_to_its_end_state(
    dev_env: WorkflowEnvironment, stack: Stack, e2e_world: Path
) -> None:
    case = case_for(e2e_world, "in_e2e_exhausted")
    handle = await start_case(dev_env.client, case, stack.task_queue)
    outcome = await handle.result()
    status = await status_of(handle)
    assert outcome.outcome is Outcome.END_STATE_APPLIED
    assert status.stage is Stage.CLOSED
    calls = sorted(stack.calls("in_e2e_exhausted") + stack.calls("sub_gone"), key=lambda c: c["at"])
    assert mails(calls)[-1]["body"]["categories"] == ["final_notice"]
    cancel = index_of(calls, "DELETE", "/v1/subscriptions/sub_gone")
    assert calls.index(mails(calls)[-1]) < cancel, "the final notice comes before the cancel"
    assert len([c for c in calls if c["path"].endswith("/pay")]) == 4
    assert stack.sandbox_state()["subscriptions"]["sub_gone"]["status"] == "canceled"
    assert (await classified(handle)).stage is Stage.CLOSED

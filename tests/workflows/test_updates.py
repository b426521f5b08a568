"""The contract's updates, on the dev server (the time-skipping server does not skip time
while a caller waits on an update)."""

from datetime import UTC, datetime

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from dunning.contract.enums import CustomerTier, Outcome, Resolution, Stage
from dunning.contract.messages import BillingContactCorrected, OperatorDecision, PoNumberProvided
from dunning.contract.status import DunningStatus
from dunning.providers.facts import AccountFacts, Person
from harness.fakes import FakeProviders
from harness.temporal import classified, make_case, record, running
from workflows.dunning import DunningWorkflow
from workflows.names import Updates

ACCOUNT = AccountFacts(
    tier=CustomerTier.MID_MARKET,
    po_required=True,
    owner_id="7",
    company_id="c1",
    ap_contact=Person(name="AP", email="ap@customer.example"),
)


async def test_provide_po_number_answers_once_the_po_is_on_the_invoice(
    dev_env: WorkflowEnvironment,
) -> None:
    fakes = FakeProviders(account=ACCOUNT)
    async with running(dev_env, fakes, make_case(failed_at=datetime.now(UTC))) as handle:
        status = await handle.execute_update(
            Updates.PROVIDE_PO_NUMBER,
            PoNumberProvided(po_number="PO-42", provided_by="ap"),
            result_type=DunningStatus,
        )
        outcome = await handle.result()
        await record(handle, "update_provide_po_number")
    assert isinstance(status, DunningStatus)
    assert "po_applied" in [entry.event for entry in status.timeline]
    assert fakes.named("apply_po_number")[0].po_number == "PO-42"
    assert outcome.resolution is Resolution.PO_FIX


async def test_validators_reject_updates_that_do_not_fit(dev_env: WorkflowEnvironment) -> None:
    fakes = FakeProviders(outcomes=["insufficient_funds"])
    async with running(dev_env, fakes, make_case()) as handle:
        await classified(handle)
        with pytest.raises(WorkflowUpdateFailedError) as not_waiting:
            await handle.execute_update(
                Updates.PROVIDE_PO_NUMBER, PoNumberProvided(po_number="PO-1")
            )
        with pytest.raises(WorkflowUpdateFailedError) as bad_payload:
            await handle.execute_update(Updates.DECIDE, {"action": "extend", "actor": "op"})
        with pytest.raises(WorkflowUpdateFailedError) as not_paused:
            await handle.execute_update(
                Updates.DECIDE, OperatorDecision(action="resume", actor="op")
            )
        status = await handle.query(DunningWorkflow.status)
        history = [e async for e in handle.fetch_history_events()]
        await handle.terminate("test over")
    assert "not waiting for a PO number" in str(not_waiting.value.cause)
    assert "days is required when action is 'extend'" in str(bad_payload.value.cause)
    assert "neither paused" in str(not_paused.value.cause)
    assert status.stage is Stage.RETRYING
    assert "operator_decision" not in [e.event for e in status.timeline]
    accepted = [
        e for e in history if e.HasField("workflow_execution_update_accepted_event_attributes")
    ]
    assert accepted == [], "rejected updates never reach history"


async def test_decide_returns_the_new_status(dev_env: WorkflowEnvironment) -> None:
    fakes = FakeProviders(outcomes=["insufficient_funds"])
    async with running(dev_env, fakes, make_case()) as handle:
        paused = await handle.execute_update(
            Updates.DECIDE, OperatorDecision(action="pause", actor="op"), result_type=DunningStatus
        )
        written_off = await handle.execute_update(
            Updates.DECIDE,
            OperatorDecision(action="write_off", actor="op", note="agreed"),
            result_type=DunningStatus,
        )
        outcome = await handle.result()
        await record(handle, "update_decide_pause_write_off")
    assert paused.stage is Stage.PAUSED
    assert written_off.stage is Stage.CLOSED
    assert outcome.outcome is Outcome.WRITTEN_OFF


async def test_correct_billing_contact_updates_stripe_and_the_crm(
    dev_env: WorkflowEnvironment,
) -> None:
    account = AccountFacts(tier=CustomerTier.MID_MARKET, owner_id="7", company_id="c1")
    fakes = FakeProviders(account=account)
    case = make_case(collection_method="send_invoice", payment_method_type="invoice", failure=None)
    async with running(dev_env, fakes, case) as handle:
        before = await classified(handle)
        status = await handle.execute_update(
            Updates.CORRECT_BILLING_CONTACT,
            BillingContactCorrected(email="ap@customer.example", name="AP"),
            result_type=DunningStatus,
        )
        await handle.terminate("test over")
    assert before.failure_reason == "wrong_billing_contact"
    assert fakes.named("update_billing_contact")[0].email == "ap@customer.example"
    assert fakes.named("update_customer_email")[0].company_id == "c1"
    assert fakes.named("resend_invoice") == [case.invoice_id]
    assert status.failure_category == "overdue", "the contact is fixed; the invoice is overdue"


async def test_an_update_sent_while_classifying_is_judged_after(
    dev_env: WorkflowEnvironment,
) -> None:
    fakes = FakeProviders(outcomes=["insufficient_funds"])
    async with running(dev_env, fakes, make_case()) as handle:
        with pytest.raises(WorkflowUpdateFailedError) as too_early:
            await handle.execute_update(
                Updates.PROVIDE_PO_NUMBER, PoNumberProvided(po_number="PO-1")
            )
        status = await handle.query(DunningWorkflow.status)
        await handle.terminate("test over")
    assert "not waiting for a PO number" in str(too_early.value.cause)
    assert status.failure_category == "soft_decline"
    assert "po_number_provided" not in [e.event for e in status.timeline]

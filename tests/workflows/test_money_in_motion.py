"""The workflow with Stripe's slower and wider facts: a bank debit that settles days after
the charge, and a card whose other invoices already used its retry budget."""

from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from dunning.contract.enums import Outcome, Resolution, Stage
from dunning.providers.cards import CardUse
from harness.fakes import SUCCEEDED, FakeProviders
from harness.temporal import events, make_case, record, running, status_of
from lab.scripted import ORIGINAL_CARD

ACH_RETURN = {"code": "insufficient_funds", "network_decline_code": "R01"}


async def test_a_bank_debit_counts_once_it_settles(time_env: WorkflowEnvironment) -> None:
    fakes = FakeProviders(outcomes=[SUCCEEDED], settles_after=timedelta(days=2))
    case = make_case(payment_method_type="ach_debit", failure=ACH_RETURN)
    async with running(time_env, fakes, case) as handle:
        await time_env.sleep(timedelta(days=5))
        settling = await status_of(handle)
        outcome = await handle.result()
        status = await status_of(handle)
        await record(handle, "bank_debit_settled")

    assert "charge_processing" in events(settling)
    assert settling.stage is Stage.RETRYING and settling.attempts == []
    assert (outcome.outcome, outcome.resolution) == (Outcome.RECOVERED, Resolution.RETRY)
    assert len(fakes.named("charge_invoice")) == 1
    assert fakes.named("read_settlement") == [case.invoice_id]
    assert [round((a.at - status.timeline[0].at) / timedelta(days=1)) for a in status.attempts] == [
        3
    ], "the attempt counts at the moment of the debit"
    assert 16.9 <= outcome.days_open <= 17.1, "read on the policy's check, 14 days later"


async def test_a_card_busy_with_other_invoices_is_retried_within_its_cap(
    time_env: WorkflowEnvironment,
) -> None:
    # On day 2, nineteen charges on the same card for other invoices: Visa's 20 in 30 days
    # leaves no room for the day-3 retry, which is not made; the next would fall after the
    # case's end.
    now = await time_env.get_current_time()
    busy = [
        (ORIGINAL_CARD, CardUse(at=now + timedelta(days=2, minutes=i), succeeded=True))
        for i in range(19)
    ]
    fakes = FakeProviders(outcomes=["insufficient_funds"], elsewhere=busy)
    case = make_case(failed_at=now)
    async with running(time_env, fakes, case) as handle:
        outcome = await handle.result()
        status = await status_of(handle)
        await record(handle, "card_busy_elsewhere")

    assert len(status.attempts) == 1, "one retry fits the card's budget"
    charges = fakes.named("charge_invoice")
    assert len(charges) == 2, "the day-3 retry asked, and the card had no room"
    assert all(c.room is not None and c.room.card_fingerprint == ORIGINAL_CARD for c in charges)
    assert "card_busy" in events(status)
    assert outcome.outcome is Outcome.END_STATE_APPLIED

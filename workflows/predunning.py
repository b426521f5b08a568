"""`PreDunningWorkflow`: one renewal watched before it is charged. A card that expires first
is reminded of on the policy's days; the customer replacing it, or the renewal's own
answer, ends the reminders, and the renewal's answer ends the watch."""

import contextlib
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dunning.contract.enums import PreDunningResult
    from dunning.contract.messages import (
        InvoicePaid,
        PaymentMethodUpdated,
        Signals,
        StripeEvent,
    )
    from dunning.contract.predunning import PreDunningCase, PreDunningOutcome, PreDunningStatus
    from dunning.machine.effects import ProviderRefused
    from dunning.views.predunning import render_expiry_reminder
    from workflows.effects import TemporalEffects

PREDUNNING_WORKFLOW_TYPE = "PreDunningWorkflow"
RENEWAL_PAID = "renewal_paid"
RENEWAL_FAILED = "renewal_failed"
CARD_REPLACED = Signals.PAYMENT_METHOD_UPDATED
"""The same signal a dunning case takes: the webhook service tells both of a new card."""
GRACE_DAYS = 3
"""How long after the renewal's date the watch waits for Stripe's word of it."""


@workflow.defn(name=PREDUNNING_WORKFLOW_TYPE)
class PreDunningWorkflow:
    """Warns of an expiring card before a renewal, and says whether the failure was prevented."""

    @workflow.init
    def __init__(self, case: PreDunningCase) -> None:
        self._case = case
        self._sent = 0
        self._replaced = False
        self._renewal: PreDunningResult | None = None
        self._outcome: PreDunningOutcome | None = None

    @workflow.run
    async def run(self, case: PreDunningCase) -> PreDunningOutcome:
        """Remind on each due day until the card is replaced or the renewal answers."""
        if not case.card_expires_first or case.email is None:
            return self._close(PreDunningResult.NOT_NEEDED)
        start, day = workflow.now(), timedelta(seconds=case.options.day_seconds)
        workflow.set_current_details(f"watching the renewal of {case.subscription_id}")
        for at in case.reminder_days():
            if await self._quiet_until(start + at * day):
                break
            try:
                await TemporalEffects().send_email(
                    render_expiry_reminder(case, at), summary="email expiry_reminder"
                )
                self._sent += 1
            except ProviderRefused as refused:
                workflow.logger.warning("expiry reminder not sent: %s", refused)
        grace = start + (case.days_to_renewal + GRACE_DAYS) * day
        with contextlib.suppress(TimeoutError):  # no word of the renewal: unresolved
            await workflow.wait_condition(
                lambda: self._renewal is not None,
                timeout=max(grace - workflow.now(), timedelta()),
                timeout_summary="the renewal's answer",
            )
        return self._close(self._result())

    async def _quiet_until(self, moment: datetime) -> bool:
        """Wait for `moment`; True when the customer or the renewal answered first."""
        timeout = max(moment - workflow.now(), timedelta())
        try:
            await workflow.wait_condition(
                self._answered, timeout=timeout, timeout_summary="the next expiry reminder"
            )
        except TimeoutError:
            return False
        return True

    def _answered(self) -> bool:
        return self._replaced or self._renewal is not None

    def _result(self) -> PreDunningResult:
        if self._renewal is PreDunningResult.PAID and (self._replaced and self._sent):
            return PreDunningResult.PREVENTED
        return self._renewal or PreDunningResult.UNRESOLVED

    def _close(self, result: PreDunningResult) -> PreDunningOutcome:
        self._outcome = PreDunningOutcome(
            result=result,
            reminders_sent=self._sent,
            card_replaced=self._replaced,
            closed_at=workflow.now(),
        )
        return self._outcome

    @workflow.signal(name=CARD_REPLACED)
    def card_replaced(self, _: PaymentMethodUpdated) -> None:
        """The customer gave a new payment method: no more reminders."""
        self._replaced = True

    @workflow.signal(name=RENEWAL_PAID)
    def renewal_paid(self, _: InvoicePaid) -> None:
        """The renewal invoice was paid."""
        self._renewal = self._renewal or PreDunningResult.PAID

    @workflow.signal(name=RENEWAL_FAILED)
    def renewal_failed(self, _: StripeEvent) -> None:
        """The renewal failed anyway: its dunning case takes over."""
        self._renewal = self._renewal or PreDunningResult.FAILED

    @workflow.query(name="status")
    def status(self) -> PreDunningStatus:
        """Where the watch stands."""
        return PreDunningStatus(
            subscription_id=self._case.subscription_id,
            card_expires_first=self._case.card_expires_first,
            reminders_sent=self._sent,
            card_replaced=self._replaced,
            outcome=self._outcome,
        )

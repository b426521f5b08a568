"""`PreDunningWorkflow`: one renewal watched before it is charged.

It reads the account, then acts on each check that would make the renewal fail: a card
that expires first is reminded of on the policy's days; a missing PO is asked for; a
missing or bouncing contact is asked to confirm, and the account owner told; an amount off
the contract goes to RevOps. The customer's answers are stored where the renewal will use
them, and the renewal's own answer ends the watch.
"""

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from temporalio import workflow

from workflows.waiting import wait_for

with workflow.unsafe.imports_passed_through():
    from dunning.contract.enums import (
        EmailTemplate,
        PreDunningResult,
        WatchCheck,
    )
    from dunning.contract.messages import (
        BillingContactCorrected,
        InvoicePaid,
        PaymentMethodUpdated,
        PoNumberProvided,
        Signals,
        StripeEvent,
    )
    from dunning.contract.predunning import (
        PreDunningCase,
        PreDunningOutcome,
        PreDunningStatus,
        WatchRecord,
    )
    from dunning.machine.effects import ProviderRefused
    from dunning.providers.facts import AccountFacts
    from dunning.providers.renewals import RenewalPo
    from dunning.providers.requests import ContactUpdate
    from dunning.rules.predunning import (
        WATCH_REQUESTS,
        billing_address,
        watch_checks,
        watch_tasks,
    )
    from dunning.views.ledger import watch_entry
    from dunning.views.predunning import render_watch_email, render_watch_task, watch_details
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
    """Acts before a renewal on what would make it fail, and says whether it was prevented."""

    @workflow.init
    def __init__(self, case: PreDunningCase) -> None:
        self._case = case
        self._effects = TemporalEffects()
        self._account: AccountFacts | None = None
        self._record = WatchRecord()
        self._renewal: PreDunningResult | None = None
        self._outcome: PreDunningOutcome | None = None

    @workflow.run
    async def run(self, case: PreDunningCase) -> PreDunningOutcome:
        """Check, ask, remind on each due day, then wait for the renewal's answer."""
        self._account = await self._read_account()
        await self._write_ledger()
        self._note(checks=watch_checks(case, self._account))
        if not self._record.checks:
            return await self._close(PreDunningResult.NOT_NEEDED)
        start, day = workflow.now(), timedelta(seconds=case.options.day_seconds)
        await self._before_invoicing()
        for at in case.reminder_days() if WatchCheck.CARD_EXPIRES in self._record.checks else []:
            if await self._before(start + at * day, self._answered, "the next expiry reminder"):
                break
            await self._send(EmailTemplate.EXPIRY_REMINDER, case.email, at)
        due_reminder = case.due_reminder_day()
        if WatchCheck.NET_TERMS_DUE in self._record.checks and due_reminder is not None:
            moment = start + due_reminder * day
            if not await self._before(moment, self._renewal_heard, "the due reminder"):
                to = billing_address(case, self._account)
                await self._send(EmailTemplate.DUE_REMINDER, to, due_reminder)
        grace = start + (case.days_to_due + GRACE_DAYS) * day
        # No word of the renewal within the grace: the watch ends unresolved.
        await self._before(grace, self._renewal_heard, "the renewal's answer")
        return await self._close(self._result())

    async def _read_account(self) -> AccountFacts | None:
        try:
            return await self._effects.read_account(self._case.customer_id, summary="account")
        except ProviderRefused as refused:
            workflow.logger.warning("account not read, the card alone is checked: %s", refused)
            return None

    async def _before_invoicing(self) -> None:
        """Ask for what is missing, and give the teams their tasks, at the watch's start."""
        checks, account = self._record.checks, self._account
        to = billing_address(self._case, account)
        for check, template in WATCH_REQUESTS:
            if check in checks and to is not None:
                await self._send(template, to, 0)
        for check, team in watch_tasks(checks, self._case.effective_policy):
            if account is not None:
                task = render_watch_task(self._case, account, check, team)
                with _unless_refused(f"task {check}"):
                    await self._effects.create_task(task, summary=f"task {team}")
                    self._note(tasks=(*self._record.tasks, check))

    async def _send(self, template: EmailTemplate, to: str | None, day: float) -> None:
        if to is None:
            return
        with _unless_refused(f"email {template}"):
            await self._effects.send_email(
                render_watch_email(self._case, template, to, day), summary=f"email {template}"
            )
            asked = self._record.asked
            self._note(asked=asked if template in asked else (*asked, template))
            if template is EmailTemplate.EXPIRY_REMINDER:
                self._note(reminders_sent=self._record.reminders_sent + 1)

    async def _before(self, moment: datetime, done: Callable[[], bool], what: str) -> bool:
        """Wait for `moment`, or less; True when `done` came true first."""
        return await wait_for(done, max(moment, workflow.now()), what)

    def _renewal_heard(self) -> bool:
        return self._renewal is not None

    def _answered(self) -> bool:
        return self._record.card_replaced or self._renewal is not None

    def _result(self) -> PreDunningResult:
        warned_and_replaced = self._record.card_replaced and self._record.reminders_sent
        if self._renewal is PreDunningResult.PAID and warned_and_replaced:
            return PreDunningResult.PREVENTED
        return self._renewal or PreDunningResult.UNRESOLVED

    async def _close(self, result: PreDunningResult) -> PreDunningOutcome:
        await workflow.wait_condition(workflow.all_handlers_finished)
        self._outcome = PreDunningOutcome(
            **self._record.model_dump(),
            result=result,
            amount=self._case.amount,
            currency=self._case.currency,
            closed_at=workflow.now(),
        )
        workflow.set_current_details(watch_details(self._case, self.status()))
        await self._write_ledger()
        return self._outcome

    async def _write_ledger(self) -> None:
        """The watch's row in the ledger: at its start, and completed at its close."""
        info = workflow.info()
        entry = watch_entry(
            self._case,
            info.first_execution_run_id,
            info.start_time,
            self._outcome,
            info.get_current_history_length() if self._outcome else None,
        )
        with _unless_refused("the ledger"):
            await self._effects.record_case(entry, summary="record the watch in the ledger")

    def _note(self, **changes: object) -> None:
        """Record what the watch found, asked or heard, and show it."""
        self._record = self._record.model_copy(update=changes)
        workflow.set_current_details(watch_details(self._case, self.status()))

    @workflow.signal(name=CARD_REPLACED)
    def card_replaced(self, _: PaymentMethodUpdated) -> None:
        """The customer gave a new payment method: no more reminders."""
        self._note(card_replaced=True)

    @workflow.signal(name=Signals.PO_NUMBER_PROVIDED)
    async def po_number_provided(self, po: PoNumberProvided) -> None:
        """The customer sent the PO: stored on the subscription, the renewal carries it."""
        if self._outcome is not None or po.po_number == self._record.po_number:
            return
        self._note(po_number=po.po_number)
        request = RenewalPo(subscription_id=self._case.subscription_id, po_number=po.po_number)
        with _unless_refused("store the PO"):
            await self._effects.store_renewal_po(request, summary="store the PO")

    @workflow.signal(name=Signals.BILLING_CONTACT_CORRECTED)
    async def billing_contact_corrected(self, contact: BillingContactCorrected) -> None:
        """The customer confirmed their billing contact: written to Stripe and the CRM."""
        if self._outcome is not None or contact.email == self._record.contact_email:
            return
        self._note(contact_email=contact.email)
        update = ContactUpdate(
            customer_id=self._case.customer_id,
            company_id=self._account.company_id if self._account else None,
            email=contact.email,
            name=contact.name,
        )
        with _unless_refused("write the contact"):
            await self._effects.update_customer_email(update, summary="contact to Stripe")
            await self._effects.update_billing_contact(update, summary="contact to the CRM")

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
            **self._record.model_dump(),
            subscription_id=self._case.subscription_id,
            card_expires_first=self._case.card_expires_first,
            outcome=self._outcome,
        )


@contextlib.contextmanager
def _unless_refused(what: str) -> Iterator[None]:
    """A provider's permanent refusal is logged; the watch goes on without that step."""
    try:
        yield
    except ProviderRefused as refused:
        workflow.logger.warning("%s: refused: %s", what, refused)

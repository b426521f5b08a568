"""How each decision of the planner is carried out: one activity call per effect.

Workflow code (deterministic). The workflow decides nothing here: every result goes back
into the case state, and the planner decides what comes next.
"""

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from workflows import metrics

with workflow.unsafe.imports_passed_through():
    from activities.crm import CrmActivities
    from activities.email import EmailActivities
    from activities.facts import FactActivities
    from activities.payments import PaymentActivities
    from dunning.providers.requests import ChargeRequest, ContactUpdate, InvoiceAction, PoUpdate
    from dunning.contract.enums import EndAction, OperatorAction, Outcome, Resolution, Team
    from dunning.providers.facts import AccountFacts, CaseFacts, FactsRequest
    from dunning.views.notices import render_email, render_task
    from dunning.machine.planner import (
        ApplyContact,
        ApplyEndState,
        ApplyPo,
        Charge,
        CloseByOperator,
        Decision,
        Recheck,
        Route,
        SendEmail,
    )
    from dunning.machine.state import CaseState

ACTIVITY_TIMEOUT = timedelta(seconds=30)
PROVIDER_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
)
"""Transient provider errors retry for as long as the outage lasts; permanent ones stop."""


class ProviderRefused(Exception):
    """An activity failed for good; the message says which provider and why."""


class CaseSteps:
    """Carries out the planner's decisions for one case, recording every result."""

    def __init__(self, state: CaseState) -> None:
        self.state = state

    async def gather_facts(self) -> None:
        """Read the CRM and the invoice, then classify (workflow checks first)."""
        state, case = self.state, self.state.case
        request = FactsRequest(customer_id=case.customer_id, invoice_id=case.invoice_id)
        try:
            facts: CaseFacts = await self._call(
                FactActivities.read_case_facts, request, "read the account and the invoice"
            )
        except ProviderRefused as refused:
            facts = CaseFacts(refusals=[str(refused)])
        for refusal in facts.refusals:
            state.note(workflow.now(), "provider_refused", refusal)
        state.record_facts(
            facts.account or state.account or AccountFacts(found=False),
            facts.invoice or state.invoice,
            workflow.now(),
        )

    async def carry_out(self, decision: Decision) -> None:
        state = self.state
        try:
            match decision:
                case Charge():
                    await self._charge(decision)
                case SendEmail():
                    await self._send_email(decision)
                case Route(key=key, team=team, reason=reason):
                    await self._route(key, team, reason)
                case ApplyPo(po_number=po):
                    await self._apply_po(po)
                case ApplyContact():
                    await self._apply_contact()
                case Recheck():
                    await self._recheck()
                case ApplyEndState(rule=rule):
                    await self._invoice_action(state.end_action, f"apply {state.end_action}")
                    if rule.route_to is not None:
                        await self._route("end-state", rule.route_to, f"end state: {rule.action}")
                    state.close(
                        Outcome.END_STATE_APPLIED, workflow.now(), end_action=state.end_action
                    )
                case CloseByOperator(action=action):
                    await self._close_by_operator(action)
        except ProviderRefused as refused:
            state.pending_close = state.pending_po = None
            state.pending_contact = None
            state.hold(str(refused), workflow.now())

    async def _charge(self, decision: Charge) -> None:
        state = self.state
        request = ChargeRequest(
            invoice_id=state.case.invoice_id,
            attempt=decision.number,
            payment_method_id=state.payment_method_id,
        )
        result = await self._call(
            PaymentActivities.charge_invoice, request, f"charge attempt {decision.number}"
        )
        state.record_charge(result, decision.scheduled, workflow.now())
        metrics.charge_attempted(result.status)

    async def _send_email(self, decision: SendEmail) -> None:
        state = self.state
        request = render_email(state, decision.template, decision.to, decision.step)
        try:
            receipt = await self._call(
                EmailActivities.send_email, request, f"email {decision.template}"
            )
        except ProviderRefused as refused:
            state.record_email_failed(decision.step, str(refused), workflow.now())
            return
        state.record_email(
            decision.step, decision.template, decision.to, receipt.message_id, workflow.now()
        )
        metrics.email_sent(decision.template)

    async def _route(self, key: str, team: Team, reason: str) -> None:
        state = self.state
        try:
            receipt = await self._call(
                CrmActivities.create_task, render_task(state, key, team, reason), f"route to {team}"
            )
            task_id: str | None = receipt.task_id
        except ProviderRefused as refused:
            state.note(workflow.now(), "task_failed", str(refused))
            task_id = None
        state.record_route(key, team, reason, task_id, workflow.now())
        metrics.task_routed(team)

    async def _apply_po(self, po_number: str) -> None:
        state = self.state
        update = PoUpdate(
            invoice_id=state.case.invoice_id, po_number=po_number, resend=state.is_net_terms
        )
        await self._call(PaymentActivities.apply_po_number, update, "put the PO on the invoice")
        state.record_po_applied(po_number, workflow.now())

    async def _apply_contact(self) -> None:
        state = self.state
        contact = state.pending_contact
        assert contact is not None
        update = ContactUpdate(
            customer_id=state.case.customer_id,
            company_id=state.account.company_id if state.account else None,
            email=contact.email,
            name=contact.name,
        )
        await self._call(CrmActivities.update_billing_contact, update, "fix the CRM contact")
        await self._call(PaymentActivities.update_customer_email, update, "fix the Stripe email")
        if state.is_net_terms:
            await self._call(
                PaymentActivities.resend_invoice, state.case.invoice_id, "re-send the invoice"
            )
        state.record_contact_applied(contact, workflow.now())

    async def _recheck(self) -> None:
        state = self.state
        before = state.classification
        await self.gather_facts()
        state.recheck = False
        fixed = before is not None and before != state.classification
        if fixed and not state.is_net_terms and not state.is_closed:
            state.retry_requested = Resolution.OPERATOR

    async def _close_by_operator(self, action: OperatorAction) -> None:
        state = self.state
        if action is OperatorAction.WRITE_OFF:
            await self._invoice_action(EndAction.MARK_UNCOLLECTIBLE, "write the invoice off")
            state.close(Outcome.WRITTEN_OFF, workflow.now())
        else:
            await self._invoice_action("paid_out_of_band", "mark the invoice paid offline")
            state.close(Outcome.RECOVERED, workflow.now(), resolution=Resolution.OPERATOR)

    async def _invoice_action(self, action: Any, summary: str) -> None:
        case = self.state.case
        request = InvoiceAction(
            invoice_id=case.invoice_id,
            customer_id=case.customer_id,
            subscription_id=case.subscription_id,
            action=action,
        )
        await self._call(PaymentActivities.apply_invoice_action, request, summary)

    async def _call(self, activity: Any, arg: Any, summary: str) -> Any:
        """Run one provider activity; a permanent failure becomes `ProviderRefused`."""
        try:
            return await workflow.execute_activity_method(
                activity,
                arg,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=PROVIDER_RETRY,
                summary=summary,
            )
        except ActivityError as err:
            raise ProviderRefused(f"{summary}: {err.cause or err}") from err

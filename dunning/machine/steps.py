"""How each decision is carried out: decision → effect → transition.

Every request is built here from the state, every answer goes back into the state
through `dunning.machine.transitions`, and the planner decides what comes next.
"""

from collections.abc import Callable
from datetime import datetime

from dunning.contract.enums import EndAction, OperatorAction, Outcome, Resolution, Team
from dunning.machine import transitions
from dunning.machine.decisions import (
    Action,
    ApplyContact,
    ApplyEndState,
    ApplyPo,
    Charge,
    CloseByOperator,
    ReadSettlement,
    Recheck,
    Route,
    SendEmail,
)
from dunning.machine.effects import Effects, ProviderRefused
from dunning.machine.retrying import card_room
from dunning.machine.state import CaseState
from dunning.providers.facts import CaseFacts, FactsRequest, InvoiceStatus
from dunning.providers.requests import (
    ChargeRequest,
    ChargeResult,
    ChargeStatus,
    ContactUpdate,
    InvoiceAction,
    InvoiceActionKind,
    PoUpdate,
)
from dunning.views.ledger import case_entry
from dunning.views.notices import render_email, render_task

Clock = Callable[[], datetime]


class CaseSteps:
    """Carries out the planner's decisions for one case through its effects."""

    def __init__(self, state: CaseState, effects: Effects, now: Clock) -> None:
        self.state, self.effects, self.now = state, effects, now

    async def gather_facts(self) -> None:
        """Read the CRM and the invoice, then classify (workflow checks first)."""
        case = self.state.case
        request = FactsRequest(
            customer_id=case.customer_id,
            invoice_id=case.invoice_id,
            take_over_collection=not self.state.collection_owned,
            opening=case_entry(self.state),
        )
        try:
            facts = await self.effects.read_case_facts(
                request, summary="read the account and the invoice"
            )
        except ProviderRefused as refused:
            facts = CaseFacts(refusals=[str(refused)])
        transitions.record_facts(self.state, facts, self.now())

    async def carry_out(self, action: Action) -> None:
        """Do one thing; a provider's permanent refusal puts the case on hold."""
        try:
            match action:
                case Charge():
                    await self._charge(action)
                case SendEmail():
                    await self._send_email(action)
                case Route():
                    await self._route(action)
                case ApplyPo(po_number=po):
                    await self._apply_po(po)
                case ApplyContact():
                    await self._apply_contact()
                case Recheck():
                    await self.gather_facts()
                case ReadSettlement():
                    await self._read_settlement()
                case ApplyEndState(rule=rule):
                    await self._end(rule.route_to, rule.action)
                case CloseByOperator(action=decided):
                    await self._close_by_operator(decided)
        except ProviderRefused as refused:
            transitions.hold(self.state, str(refused), self.now())

    async def _charge(self, charge: Charge) -> None:
        state = self.state
        card = state.card
        request = ChargeRequest(
            invoice_id=state.case.invoice_id,
            attempt=charge.number,
            payment_method_id=state.payment_method_id,
            room=card_room(state, self.now()),
        )
        transitions.charge_sent(state)
        result = await self.effects.charge_invoice(
            request, summary=f"charge attempt {charge.number}"
        )
        transitions.record_charge(state, result, charge.scheduled, card, self.now())

    async def _read_settlement(self) -> None:
        state = self.state
        try:
            result = await self.effects.read_settlement(
                state.case.invoice_id, summary="read the bank debit's settlement"
            )
        except ProviderRefused as refused:
            # Unread is unsettled: the case looks again later, and a team hears of it.
            transitions.note(state, self.now(), "settlement_unread", str(refused))
            result = ChargeResult(status=ChargeStatus.PROCESSING, invoice_status=InvoiceStatus.OPEN)
        transitions.record_settlement(state, result, self.now())

    async def _send_email(self, email: SendEmail) -> None:
        state, asked_at = self.state, self.now()
        request = render_email(state, email.template, email.to, email.step, asked_at)
        try:
            receipt = await self.effects.send_email(request, summary=f"email {email.template}")
        except ProviderRefused as refused:
            transitions.record_email_failed(state, email.step, str(refused), self.now())
            return
        transitions.record_email(
            state,
            email.step,
            email.template,
            email.to,
            receipt.message_id,
            self.now(),
            rendered_at=asked_at,
        )

    async def _route(self, route: Route) -> None:
        state = self.state
        task = render_task(state, route.key, route.team, route.reason)
        task_id: str | None = None
        try:
            task_id = (
                await self.effects.create_task(task, summary=f"route to {route.team}")
            ).task_id
        except ProviderRefused as refused:
            transitions.note(state, self.now(), "task_failed", str(refused))
        transitions.record_route(
            state,
            route.key,
            route.team,
            route.reason,
            task_id,
            self.now(),
            reviewed_again=route.reviewed_again,
        )

    async def _apply_po(self, po_number: str) -> None:
        state = self.state
        update = PoUpdate(
            invoice_id=state.case.invoice_id, po_number=po_number, resend=state.is_net_terms
        )
        await self.effects.apply_po_number(update, summary="put the PO on the invoice")
        transitions.record_po_applied(state, po_number, self.now())

    async def _apply_contact(self) -> None:
        state, effects = self.state, self.effects
        contact = state.pending_contact
        assert contact is not None
        update = ContactUpdate(
            customer_id=state.case.customer_id,
            company_id=state.account.company_id if state.account else None,
            email=contact.email,
            name=contact.name,
        )
        await effects.update_billing_contact(update, summary="fix the CRM contact")
        await effects.update_customer_email(update, summary="fix the Stripe email")
        if state.is_net_terms:
            await effects.resend_invoice(state.case.invoice_id, summary="re-send the invoice")
        transitions.record_contact_applied(state, contact, self.now())

    async def _end(self, route_to: Team | None, rule_action: EndAction) -> None:
        state = self.state
        action = state.end_action
        await self._invoice_action(InvoiceActionKind.ending(action), f"apply {action}")
        if route_to is not None:
            await self._route(Route("end-state", route_to, f"end state: {rule_action}"))
        transitions.close(state, Outcome.END_STATE_APPLIED, self.now(), end_action=action)

    async def _close_by_operator(self, action: OperatorAction) -> None:
        state = self.state
        if action is OperatorAction.CANCEL_DUNNING:  # nothing to tell a provider
            transitions.close(state, Outcome.STOPPED, self.now())
        elif action is OperatorAction.WRITE_OFF:
            await self._invoice_action(
                InvoiceActionKind.MARK_UNCOLLECTIBLE, "write the invoice off"
            )
            transitions.close(state, Outcome.WRITTEN_OFF, self.now())
        else:
            summary = "mark the invoice paid offline"
            await self._invoice_action(InvoiceActionKind.PAID_OUT_OF_BAND, summary)
            transitions.close(state, Outcome.RECOVERED, self.now(), resolution=Resolution.OPERATOR)

    async def _invoice_action(self, action: InvoiceActionKind, summary: str) -> None:
        case = self.state.case
        request = InvoiceAction(
            invoice_id=case.invoice_id,
            customer_id=case.customer_id,
            subscription_id=case.subscription_id,
            action=action,
        )
        transitions.invoice_change_sent(self.state, action)
        await self.effects.apply_invoice_action(request, summary=summary)

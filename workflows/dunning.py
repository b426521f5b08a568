"""`DunningWorkflow`: one durable case per failed invoice. It only orchestrates.

Each turn of the loop asks the policy (`dunning.planner.plan`) what to do, does it through
an activity, records the result in the case state, and sleeps durably until the next
decision is due or a signal or update changes the case.
"""

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.crm import CrmActivities
    from activities.email import EmailActivities
    from activities.payments import PaymentActivities
    from dunning import commands
    from dunning.case import DunningCase
    from dunning.effects import (
        ChargeRequest,
        ContactUpdate,
        InvoiceAction,
        PoUpdate,
    )
    from dunning.enums import EndAction, OperatorAction, Outcome, Resolution, Team
    from dunning.errors import describe
    from dunning.facts import AccountFacts
    from dunning.messages import (
        BillingContactCorrected,
        OperatorDecision,
        PoNumberProvided,
    )
    from dunning.notices import current_details, render_email, render_task
    from dunning.planner import (
        ApplyContact,
        ApplyEndState,
        ApplyPo,
        Charge,
        CloseByOperator,
        Decision,
        Recheck,
        Route,
        SendEmail,
        Wait,
        plan,
        stage_of,
    )
    from dunning.state import CaseState
    from dunning.status import DunningOutcome, DunningStatus
    from workflows import search_attributes
    from workflows.names import SIGNAL_PAYLOADS, STATUS_QUERY, WORKFLOW_TYPE, Updates

ACTIVITY_TIMEOUT = timedelta(seconds=30)
PROVIDER_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
)
"""Transient provider errors retry for as long as the outage lasts; permanent ones stop."""

JsonObject = dict[str, Any]


class ProviderRefused(Exception):
    """An activity failed for good; the message says which provider and why."""


@workflow.defn(name=WORKFLOW_TYPE)
class DunningWorkflow:
    """Recovers one failed or overdue invoice, from classification to a defined end."""

    @workflow.init
    def __init__(self, case: DunningCase) -> None:
        self._state = CaseState.open(case, workflow.now())
        self._published = -1
        """The state revision the loop last planned and published."""

    @workflow.run
    async def run(self, case: DunningCase) -> DunningOutcome:
        """Run the case to its outcome."""
        state = self._state
        await self._gather_facts()
        while not state.is_closed:
            decision = plan(state, workflow.now())
            self._publish(decision)
            if isinstance(decision, Wait):
                await self._sleep(decision)
            else:
                await self._carry_out(decision)
        self._publish(None)
        await workflow.wait_condition(workflow.all_handlers_finished)
        assert state.outcome is not None
        return state.outcome

    # ---- messages ----------------------------------------------------------------

    @workflow.query(name=STATUS_QUERY)
    def status(self) -> DunningStatus:
        """Everything about the case, for operators and services."""
        return self._state.status()

    @workflow.signal(dynamic=True)
    async def on_signal(self, name: str, args: Sequence[RawValue]) -> None:
        """Every contract signal. Payloads are validated here, so a bad one is not lost
        silently: it changes nothing but a timeline entry saying why it was ignored.
        A signal that arrives while the case is still classifying waits for it."""
        now = workflow.now()
        model = SIGNAL_PAYLOADS.get(name)
        if model is None:
            self._state.note(now, "signal_ignored", f"unknown signal {name!r}")
            return
        try:
            raw: Any = workflow.payload_converter().from_payload(args[0].payload) if args else {}
            message: Any = model.model_validate(raw if raw is not None else {})
        except (ValidationError, ValueError, TypeError) as err:
            self._state.note(now, "signal_ignored", f"{name}: {describe(err)}")
            return
        if self._state.classification is None:
            await self._classified()
        why = self._receive(message)
        if why:
            self._state.note(workflow.now(), "signal_ignored", f"{name}: {why}")

    # Updates take the model, or plain JSON that the validator checks, so a caller
    # without the models (CLI, Web UI) is told which field is wrong.

    @workflow.update(name=Updates.PROVIDE_PO_NUMBER)
    async def provide_po_number(self, message: PoNumberProvided | JsonObject) -> DunningStatus:
        """Put a PO on the invoice and re-send it; answers once it is on the invoice."""
        await self._accept(PoNumberProvided.model_validate(message))
        return self._state.status()

    @provide_po_number.validator
    def _check_po_number(self, message: PoNumberProvided | JsonObject) -> None:
        self._check(PoNumberProvided, message)

    @workflow.update(name=Updates.CORRECT_BILLING_CONTACT)
    async def correct_billing_contact(
        self, message: BillingContactCorrected | JsonObject
    ) -> DunningStatus:
        """Correct the billing contact; answers once Stripe and the CRM have it."""
        await self._accept(BillingContactCorrected.model_validate(message))
        return self._state.status()

    @correct_billing_contact.validator
    def _check_billing_contact(self, message: BillingContactCorrected | JsonObject) -> None:
        self._check(BillingContactCorrected, message)

    @workflow.update(name=Updates.DECIDE)
    async def decide(self, message: OperatorDecision | JsonObject) -> DunningStatus:
        """An operator's decision; answers once it is carried out."""
        await self._accept(OperatorDecision.model_validate(message))
        return self._state.status()

    @decide.validator
    def _check_decision(self, message: OperatorDecision | JsonObject) -> None:
        self._check(OperatorDecision, message)

    def _check(self, model: type[BaseModel], payload: BaseModel | JsonObject) -> None:
        """Validator: reject what is malformed or does not fit, before it reaches history.
        Until the case is classified fit cannot be judged, so the handler judges it then."""
        try:
            message: Any = model.model_validate(payload)
        except ValidationError as err:
            raise ValueError(describe(err)) from None
        why = commands.rejection(self._state, message)
        if why and self._state.classification is not None:
            raise ValueError(why)

    async def _accept(self, message: commands.Message) -> None:
        """Apply an update and answer once the case has acted on it."""
        await self._classified()
        why = self._receive(message)
        if why:
            raise ApplicationError(why, type="UpdateDoesNotFit", non_retryable=True)
        target, state = self._state.revision, self._state
        await workflow.wait_condition(
            lambda: (
                state.is_closed
                or (
                    self._published >= target
                    and state.pending_po is None
                    and state.pending_contact is None
                    and state.pending_close is None
                    and not state.recheck
                )
            )
        )

    async def _classified(self) -> None:
        await workflow.wait_condition(
            lambda: self._state.classification is not None or self._state.is_closed
        )

    def _receive(self, message: commands.Message) -> str | None:
        """Apply a message that fits; otherwise say why not (and change nothing)."""
        why = commands.rejection(self._state, message)
        if why is None:
            commands.apply(self._state, message, workflow.now())
        return why

    # ---- the loop's steps ---------------------------------------------------------

    async def _gather_facts(self) -> None:
        """Read the CRM and the invoice, then classify (workflow checks first)."""
        state, case = self._state, self._state.case
        account, invoice = await asyncio.gather(
            self._optional(CrmActivities.lookup_account, case.customer_id, "look up the account"),
            self._optional(PaymentActivities.read_invoice, case.invoice_id, "read the invoice"),
        )
        state.record_facts(
            account or state.account or AccountFacts(found=False),
            invoice or state.invoice,
            workflow.now(),
        )

    async def _optional(self, activity: Any, arg: Any, summary: str) -> Any:
        """A read the case can go on without: a refusal is noted, and None returned."""
        try:
            return await self._call(activity, arg, summary)
        except ProviderRefused as refused:
            self._state.note(workflow.now(), "provider_refused", str(refused))
            return None

    async def _sleep(self, decision: Wait) -> None:
        state = self._state
        revision = state.revision
        timeout = decision.until - workflow.now() if decision.until else None
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                lambda: state.revision != revision,
                timeout=timeout,
                timeout_summary=decision.next_action.detail,
            )

    async def _carry_out(self, decision: Decision) -> None:
        state = self._state
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
        state = self._state
        request = ChargeRequest(
            invoice_id=state.case.invoice_id,
            attempt=decision.number,
            payment_method_id=state.payment_method_id,
        )
        result = await self._call(
            PaymentActivities.charge_invoice, request, f"charge attempt {decision.number}"
        )
        state.record_charge(result, decision.scheduled, workflow.now())

    async def _send_email(self, decision: SendEmail) -> None:
        state = self._state
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

    async def _route(self, key: str, team: Team, reason: str) -> None:
        state = self._state
        try:
            receipt = await self._call(
                CrmActivities.create_task, render_task(state, team, reason), f"route to {team}"
            )
            task_id: str | None = receipt.task_id
        except ProviderRefused as refused:
            state.note(workflow.now(), "task_failed", str(refused))
            task_id = None
        state.record_route(key, team, reason, task_id, workflow.now())

    async def _apply_po(self, po_number: str) -> None:
        state = self._state
        update = PoUpdate(
            invoice_id=state.case.invoice_id, po_number=po_number, resend=state.is_net_terms
        )
        await self._call(PaymentActivities.apply_po_number, update, "put the PO on the invoice")
        state.record_po_applied(po_number, workflow.now())

    async def _apply_contact(self) -> None:
        state = self._state
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
        state = self._state
        before = state.classification
        await self._gather_facts()
        state.recheck = False
        fixed = before is not None and before != state.classification
        if fixed and not state.is_net_terms and not state.is_closed:
            state.retry_requested = Resolution.OPERATOR

    async def _close_by_operator(self, action: OperatorAction) -> None:
        state = self._state
        if action is OperatorAction.WRITE_OFF:
            await self._invoice_action(EndAction.MARK_UNCOLLECTIBLE, "write the invoice off")
            state.close(Outcome.WRITTEN_OFF, workflow.now())
        else:
            await self._invoice_action("paid_out_of_band", "mark the invoice paid offline")
            state.close(Outcome.RECOVERED, workflow.now(), resolution=Resolution.OPERATOR)

    async def _invoice_action(self, action: Any, summary: str) -> None:
        case = self._state.case
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

    # ---- what operators see --------------------------------------------------------

    def _publish(self, decision: Decision | None) -> None:
        """Keep the stage, next action, search attributes and UI details current."""
        state = self._state
        if decision is not None:
            state.stage = stage_of(state, decision)
            state.next_action = decision.next_action if isinstance(decision, Wait) else None
        changes = search_attributes.updates(state, workflow.info().typed_search_attributes)
        if changes:
            workflow.upsert_search_attributes(changes)
        workflow.set_current_details(current_details(state))
        self._published = state.revision

"""`DunningWorkflow`: one durable case per failed invoice. It only orchestrates.

Each turn of the loop asks the policy (`dunning.machine.planner.plan`) what to do, does it through
an activity, records the result in the case state, and sleeps durably until the next
decision is due or a signal or update changes the case.
"""

import contextlib
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

from workflows import metrics

with workflow.unsafe.imports_passed_through():
    from dunning import commands
    from dunning.contract.case import DunningCase
    from dunning.errors import describe
    from dunning.contract.messages import (
        BillingContactCorrected,
        OperatorDecision,
        PoNumberProvided,
    )
    from dunning.views.notices import current_details
    from dunning.machine.planner import (
        Decision,
        Wait,
        plan,
        stage_of,
    )
    from dunning.machine.state import CaseState
    from dunning.contract.status import DunningOutcome, DunningStatus
    from workflows import search_attributes
    from workflows.names import SIGNAL_PAYLOADS, STATUS_QUERY, WORKFLOW_TYPE, Updates
    from workflows.steps import CaseSteps

JsonObject = dict[str, Any]


@workflow.defn(name=WORKFLOW_TYPE)
class DunningWorkflow:
    """Recovers one failed or overdue invoice, from classification to a defined end."""

    @workflow.init
    def __init__(self, case: DunningCase) -> None:
        self._state = CaseState.open(case, workflow.now())
        self._steps = CaseSteps(self._state)
        self._published = -1
        """The state revision the loop last planned and published."""

    @workflow.run
    async def run(self, case: DunningCase) -> DunningOutcome:
        """Run the case to its outcome."""
        state = self._state
        metrics.case_started()
        await self._steps.gather_facts()
        while not state.is_closed:
            decision = plan(state, workflow.now())
            self._publish(decision)
            if isinstance(decision, Wait):
                await self._sleep(decision)
            else:
                await self._steps.carry_out(decision)
        self._publish(None)
        await workflow.wait_condition(workflow.all_handlers_finished)
        assert state.outcome is not None
        category = state.opened_as.category if state.opened_as else "unclassified"
        metrics.case_closed(state.outcome.outcome, category)
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

    # ---- the loop -----------------------------------------------------------------

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

    # ---- what operators see --------------------------------------------------------

    def _publish(self, decision: Decision | None) -> None:
        """Keep the stage, next action, search attributes and UI details current."""
        state = self._state
        if decision is not None:
            state.stage = stage_of(state, decision)
            state.next_action = decision.next_action if isinstance(decision, Wait) else None
        # One upsert per wait (and at the close) instead of one per decision: each upsert is
        # a billed action, and operators only see the case between workflow tasks anyway.
        if decision is None or isinstance(decision, Wait):
            changes = search_attributes.updates(state, workflow.info().typed_search_attributes)
            if changes:
                workflow.upsert_search_attributes(changes)
        workflow.set_current_details(current_details(state))
        self._published = state.revision

"""`DunningWorkflow`: one durable case per failed invoice. It only orchestrates.

The case machine (`dunning.machine.run`) plans, acts and records; this class gives it
Temporal's effects (activities), time (`workflow.now`, durable timers), messages
(signals, updates, the query) and visibility (search attributes, the Web UI's details).
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

from workflows import metrics
from workflows.waiting import wait_for

with workflow.unsafe.imports_passed_through():
    from dunning.contract.case import DunningCase
    from dunning.contract.messages import (
        BillingContactCorrected,
        OperatorDecision,
        PoNumberProvided,
        signal_name,
    )
    from dunning.contract.status import DunningOutcome, DunningStatus
    from dunning.errors import describe
    from dunning.machine import fit, transitions
    from dunning.machine.decisions import Decision, Wait
    from dunning.machine.effects import ProviderRefused
    from dunning.machine.run import outgrew_history, run_case
    from dunning.machine.state import CarriedCase, CaseState
    from dunning.views.ledger import case_entry
    from dunning.views.status import case_status
    from dunning.views.ui import current_details
    from workflows import search_attributes
    from workflows.effects import TemporalEffects
    from workflows.names import (
        CASE_QUERY,
        SIGNAL_PAYLOADS,
        STATUS_QUERY,
        WORKFLOW_TYPE,
        Updates,
    )

JsonObject = dict[str, Any]


@workflow.defn(name=WORKFLOW_TYPE)
class DunningWorkflow:
    """Recovers one failed or overdue invoice, from classification to a defined end."""

    @workflow.init
    def __init__(self, case: DunningCase | CarriedCase) -> None:
        if isinstance(case, CarriedCase):
            self._state = case.carried
        else:
            first_run = workflow.info().first_execution_run_id
            self._state = transitions.open_case(case, workflow.now(), first_run)
        self._published = -1
        """The state revision the case last planned and published."""
        self._reached: datetime | None = None
        """The moment of the last wait that ran to its end."""
        self._early: list[fit.Message] = []
        """Signals that arrived while the case classified, in order."""

    @workflow.run
    async def run(self, case: DunningCase | CarriedCase) -> DunningOutcome:
        """Run the case to its outcome; a long life carries its state into a fresh history."""
        if isinstance(case, DunningCase):
            metrics.case_started()
        outcome = await run_case(self._state, TemporalEffects(), self)
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._record_close()
        category = self._state.opened_as.category if self._state.opened_as else "unclassified"
        metrics.case_closed(outcome.outcome, category)
        return outcome

    async def _record_close(self) -> None:
        """Complete the case's row in the ledger (it waits out a database outage)."""
        history = workflow.info().get_current_history_length()
        entry = case_entry(self._state, history)
        if entry is None:
            return
        try:
            await TemporalEffects().record_case(entry, summary="record the close in the ledger")
        except ProviderRefused as refused:
            workflow.logger.error("the ledger refused the case's close: %s", refused)

    # ---- the runtime of the case machine --------------------------------------------

    def now(self) -> datetime:
        """The workflow's deterministic clock, never earlier than a moment the case has
        already waited for (`sleep`)."""
        now = workflow.now()
        return self._reached if self._reached is not None and now < self._reached else now

    async def sleep(self, state: CaseState, wait: Wait) -> None:
        """Sleep durably until the decision is due or a message changes the case."""
        self._carry_over_if_due()
        revision = state.revision
        what = wait.next_action.detail
        if not await wait_for(lambda: state.revision != revision, wait.until, what, self.now()):
            # The wait's moment has come, whatever the task's clock says. A worker that
            # rebuilds the case to answer a query can be handed the fired timer with the
            # clock of the case's last workflow task, from before the timer's moment: by that
            # clock the case would sleep again, where its history, replayed, acts.
            self._reached = wait.until

    def _carry_over_if_due(self) -> None:
        """Continue as new with the state, when the history grew long; never while a
        message is still being handled."""
        state = self._state
        due = outgrew_history(state) or workflow.info().is_continue_as_new_suggested()
        if due and workflow.all_handlers_finished():
            transitions.carry_over(state, self.now())
            workflow.continue_as_new(CarriedCase(carried=state))

    def take_early(self, state: CaseState) -> bool:
        """Hand the classified case the signals that arrived while it classified."""
        early, self._early = self._early, []
        for message in early:
            self._deliver(message)
        return bool(early)

    def published(self, state: CaseState, decision: Decision | None) -> None:
        """Keep the search attributes and the Web UI's details current."""
        # One upsert per wait (and at the close) instead of one per decision: each upsert is
        # a billed action, and operators only see the case between workflow tasks anyway.
        if decision is None or isinstance(decision, Wait):
            changes = search_attributes.updates(state, workflow.info().typed_search_attributes)
            if changes:
                workflow.upsert_search_attributes(changes)
        workflow.set_current_details(current_details(state))
        self._published = state.revision

    # ---- messages ----------------------------------------------------------------

    @workflow.query(name=STATUS_QUERY)
    def status(self) -> DunningStatus:
        """Everything about the case, for operators and services."""
        return case_status(self._state)

    @workflow.query(name=CASE_QUERY)
    def case(self) -> DunningCase:
        """The case's start input (with the policy it captured)."""
        return self._state.case

    @workflow.signal(dynamic=True)
    async def on_signal(self, name: str, args: Sequence[RawValue]) -> None:
        """Every contract signal. Payloads are validated here, so a bad one is not lost
        silently: it changes nothing but a timeline entry saying why it was ignored.
        A signal that arrives while the case is still classifying is kept, and taken once it
        has classified, before its first decision."""
        state = self._state
        model = SIGNAL_PAYLOADS.get(name)
        if model is None:
            transitions.ignore(state, self.now(), "", f"unknown signal {name!r}")
            return
        try:
            raw: Any = workflow.payload_converter().from_payload(args[0].payload) if args else {}
            message: Any = model.model_validate(raw if raw is not None else {})
        except (ValidationError, ValueError, TypeError) as err:
            transitions.ignore(state, self.now(), name, describe(err))
            return
        if state.classification is None:
            self._early.append(message)  # taken before the case's first decision
            return
        self._deliver(message)

    def _deliver(self, message: fit.Message) -> None:
        why = transitions.receive(self._state, message, self.now())
        if why:
            transitions.ignore(self._state, self.now(), signal_name(message), why)

    # Updates take the model, or plain JSON that the validator checks, so a caller
    # without the models (CLI, Web UI) is told which field is wrong.

    @workflow.update(name=Updates.PROVIDE_PO_NUMBER)
    async def provide_po_number(self, message: PoNumberProvided | JsonObject) -> DunningStatus:
        """Put a PO on the invoice and re-send it; answers once it is on the invoice."""
        await self._accept(PoNumberProvided.model_validate(message))
        return case_status(self._state)

    @provide_po_number.validator
    def _check_po_number(self, message: PoNumberProvided | JsonObject) -> None:
        self._check(PoNumberProvided, message)

    @workflow.update(name=Updates.CORRECT_BILLING_CONTACT)
    async def correct_billing_contact(
        self, message: BillingContactCorrected | JsonObject
    ) -> DunningStatus:
        """Correct the billing contact; answers once Stripe and the CRM have it."""
        await self._accept(BillingContactCorrected.model_validate(message))
        return case_status(self._state)

    @correct_billing_contact.validator
    def _check_billing_contact(self, message: BillingContactCorrected | JsonObject) -> None:
        self._check(BillingContactCorrected, message)

    @workflow.update(name=Updates.DECIDE)
    async def decide(self, message: OperatorDecision | JsonObject) -> DunningStatus:
        """An operator's decision; answers once it is carried out."""
        await self._accept(OperatorDecision.model_validate(message))
        return case_status(self._state)

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
        why = fit.rejection(self._state, message)
        if why and self._state.classification is not None:
            raise ValueError(why)

    async def _accept(self, message: fit.Message) -> None:
        """Apply an update and answer once the case has acted on it."""
        await self._classified()
        state = self._state
        why = transitions.receive(state, message, self.now())
        if why:
            raise ApplicationError(why, type="UpdateDoesNotFit", non_retryable=True)
        target = state.revision
        await workflow.wait_condition(
            lambda: state.is_closed or (self._published >= target and not state.has_pending_work)
        )

    async def _classified(self) -> None:
        await workflow.wait_condition(
            lambda: self._state.classification is not None or self._state.is_closed
        )

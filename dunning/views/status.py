"""The `status` query's answer, from a case's state."""

from dunning.contract.status import DunningStatus
from dunning.machine.state import CaseState


def case_status(state: CaseState) -> DunningStatus:
    """Everything about the case, for operators and services."""
    return DunningStatus(
        invoice_id=state.case.invoice_id,
        customer_id=state.case.customer_id,
        amount_due=state.case.amount_due,
        currency=state.case.currency,
        payment_method_type=state.case.payment_method_type,
        stage=state.stage,
        failure_category=state.category,
        failure_reason=state.reason,
        opened_as=state.opened_as.category if state.opened_as else None,
        failure=state.case.failure,
        customer_tier=state.account.tier if state.account else None,
        attempts=list(state.attempts),
        emails=list(state.emails),
        routed=list(state.routed),
        next_action=state.next_action,
        timeline=list(state.timeline),
        outcome=state.outcome,
    )

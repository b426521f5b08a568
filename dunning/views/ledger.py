"""What the ledger keeps of a case and of a renewal watch."""

from datetime import datetime, time, timedelta

from dunning.contract.enums import CaseKind, CollectionMethod, EmailTemplate
from dunning.contract.predunning import PreDunningCase, PreDunningOutcome
from dunning.machine.state import CaseState
from dunning.providers.ledger import LedgerEntry
from dunning.views.status import case_status


def case_entry(state: CaseState, history_events: int | None = None) -> LedgerEntry | None:
    """The case's row as it stands: opened, or closed with its outcome (None: the case is
    not recorded)."""
    if state.ledger_key is None:
        return None
    case, outcome = state.case, state.outcome
    due = case.failed_at
    if case.collection_method is CollectionMethod.SEND_INVOICE and case.due_date is not None:
        due = datetime.combine(case.due_date, time(), tzinfo=case.failed_at.tzinfo)
    opened = state.timeline[0].at if state.timeline else case.failed_at
    return LedgerEntry(
        workflow_id=case.workflow_id,
        run_id=state.ledger_key,
        kind=CaseKind.DUNNING,
        customer_id=case.customer_id,
        invoice_id=case.invoice_id,
        subscription_id=case.subscription_id,
        currency=case.currency,
        amount_due=case.amount_due,
        payment_method_type=case.payment_method_type.value,
        customer_tier=state.account.tier.value if state.account else None,
        category=state.opened_as.category.value if state.opened_as else None,
        opened_at=opened,
        due_at=due,
        closed_at=outcome.closed_at if outcome else None,
        outcome=outcome.outcome.value if outcome else None,
        resolution=outcome.resolution.value if outcome and outcome.resolution else None,
        end_action=outcome.end_action.value if outcome and outcome.end_action else None,
        amount_recovered=outcome.amount_recovered if outcome else 0,
        amount_credited=outcome.amount_credited if outcome else 0,
        attempts=len(state.attempts),
        emails=len(state.emails),
        routes=len(state.routed),
        history_events=history_events,
        failed_at=case.failed_at,
        day_seconds=case.options.day_seconds,
        status=case_status(state) if outcome else None,
    )


def watch_entry(
    watch: PreDunningCase,
    run_id: str,
    opened_at: datetime,
    outcome: PreDunningOutcome | None = None,
    history_events: int | None = None,
) -> LedgerEntry:
    """A renewal watch's row: opened, or closed with its result."""
    renews = watch.renews_on
    return LedgerEntry(
        workflow_id=watch.workflow_id,
        run_id=run_id,
        kind=CaseKind.PREDUNNING,
        customer_id=watch.customer_id,
        subscription_id=watch.subscription_id,
        currency=watch.currency,
        amount_due=watch.amount,
        opened_at=opened_at,
        due_at=renews + timedelta(days=watch.days_until_due or 0),
        closed_at=outcome.closed_at if outcome else None,
        outcome=outcome.result.value if outcome else None,
        emails=_watch_emails(outcome) if outcome else 0,
        routes=len(outcome.tasks) if outcome else 0,
        history_events=history_events,
    )


def _watch_emails(outcome: PreDunningOutcome) -> int:
    """Each expiry reminder, and each other request once."""
    others = [t for t in outcome.asked if t is not EmailTemplate.EXPIRY_REMINDER]
    return outcome.reminders_sent + len(others)

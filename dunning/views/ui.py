"""What operators see of a case in the Temporal Web UI: its summary line, its fixed
facts, and a short block of where it stands, kept current."""

from dunning.contract.case import DunningCase
from dunning.contract.money import format_amount
from dunning.machine.state import CaseState


def static_summary(case: DunningCase) -> str:
    """One line for the Web UI's list: invoice, amount, failure."""
    failure = case.failure
    why = (failure.decline_code or failure.code or "declined") if failure else "overdue"
    amount = format_amount(case.amount_due, case.currency)
    return f"Dunning {case.invoice_id}: {amount}, {why}"


def static_details(case: DunningCase) -> str:
    """The case's fixed facts as markdown, for the Web UI."""
    failure = case.failure
    rows = [
        ("Invoice", case.invoice_id),
        ("Customer", case.customer_id),
        ("Amount", format_amount(case.amount_due, case.currency)),
        ("Collection", f"{case.collection_method} / {case.payment_method_type}"),
        ("Failed at", case.failed_at.isoformat()),
        ("Failure", _failure_text(case) if failure else "overdue (no charge attempted)"),
    ]
    return "\n".join(f"**{label}:** {value}  " for label, value in rows)


def _failure_text(case: DunningCase) -> str:
    failure = case.failure
    assert failure is not None
    parts = [
        failure.code,
        failure.decline_code,
        failure.advice_code and f"advice {failure.advice_code}",
    ]
    return ", ".join(p for p in parts if p) or "unknown"


def current_details(state: CaseState) -> str:
    """A short markdown block of where the case stands, kept current in the Web UI."""
    lines = [f"**Stage:** {state.stage}  "]
    if state.classification:
        lines.append(f"**Failure:** {state.category} ({state.reason})  ")
    if state.next_action:
        when = state.next_action.at.isoformat(timespec="seconds") if state.next_action.at else ""
        lines.append(f"**Next:** {state.next_action.detail} {when}".rstrip() + "  ")
    if state.attempts:
        last = state.attempts[-1]
        lines.append(f"**Last attempt:** #{last.number} {last.outcome} {last.decline_code or ''}  ")
    if state.routed:
        lines.append(f"**Routed to:** {state.routed[-1].team}  ")
    link = state.invoice.hosted_invoice_url if state.invoice else None
    if link:
        lines.append(f"**Payment link:** {link}  ")
    if state.outcome:
        outcome = state.outcome
        lines.append(f"**Outcome:** {outcome.outcome} {outcome.resolution or ''}".rstrip())
    return "\n".join(lines)

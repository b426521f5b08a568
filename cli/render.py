"""A case's status as a person reads it in a terminal."""

from dunning.contract.money import format_amount
from dunning.contract.status import DunningStatus


def render_status(status: DunningStatus) -> str:
    """The case, its figures and its timeline."""
    amount = format_amount(status.amount_due, status.currency)
    lines = [
        f"Invoice {status.invoice_id} · customer {status.customer_id} · {amount}",
        f"Stage:    {status.stage}",
        f"Failure:  {status.failure_category or '-'} ({status.failure_reason or '-'})",
        f"Tier:     {status.customer_tier or '-'}",
    ]
    if status.next_action:
        when = status.next_action.at.isoformat(timespec="seconds") if status.next_action.at else ""
        lines.append(f"Next:     {status.next_action.detail} {when}".rstrip())
    lines.append(
        f"Figures:  {len(status.attempts)} attempts · {len(status.emails)} emails · "
        f"{len(status.routed)} routed"
    )
    if status.outcome:
        outcome = status.outcome
        extra = outcome.resolution or outcome.end_action or ""
        lines.append(f"Outcome:  {outcome.outcome} {extra} after {outcome.days_open:g} days")
    lines.append("Timeline:")
    for entry in status.timeline:
        lines.append(f"  {entry.at:%Y-%m-%d %H:%M:%S}  {entry.event:<24} {entry.detail}")
    return "\n".join(lines)

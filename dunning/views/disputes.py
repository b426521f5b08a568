"""What finance reads about a dispute on recovered money."""

from dunning.contract.dispute import DisputeCase
from dunning.contract.money import format_amount
from dunning.providers.requests import TaskRequest

DISPUTE_ROUTE_KEY = "dispute"


def render_dispute_task(dispute: DisputeCase) -> TaskRequest:
    """The task for the team that answers disputes, with what it needs to answer Stripe."""
    amount = format_amount(dispute.amount, dispute.currency)
    lines = [
        f"Team: {dispute.team}",
        f"Why: the customer disputed {amount} that dunning recovered",
        f"Dispute: {dispute.dispute_id} ({dispute.reason}), opened {dispute.opened_at:%Y-%m-%d}",
        f"Charge: {dispute.charge_id}",
        f"Invoice: {dispute.invoice_id} (case dunning-{dispute.invoice_id})",
        f"Customer: {dispute.customer_id}",
        "Answer it in the Stripe Dashboard with the invoice, the dunning emails and the "
        "customer's payment method update, before the response deadline.",
    ]
    return TaskRequest(
        owner_id=dispute.owner_id,
        company_id=None,
        team=dispute.team,
        subject=f"[{dispute.team}] Dispute on invoice {dispute.invoice_id}: {amount}"[:250],
        body="\n".join(lines),
        case_ref=dispute.workflow_id,
        route_key=DISPUTE_ROUTE_KEY,
    )

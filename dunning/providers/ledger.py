"""What the case ledger holds of a case: one row per workflow, written when the case opens
and completed when it closes."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from dunning.contract.enums import CaseKind
from dunning.contract.status import DunningStatus


class LedgerEntry(BaseModel):
    """A case as finance keeps it, long after the namespace's retention."""

    model_config = ConfigDict(frozen=True)

    workflow_id: str
    """The case's workflow id."""
    run_id: str
    """The first run of the case (a case that continued as new keeps its first run's id)."""
    kind: CaseKind
    """A dunning case or a renewal watch."""
    customer_id: str
    """The Stripe customer."""
    invoice_id: str | None = None
    """The invoice (a dunning case)."""
    subscription_id: str | None = None
    """The subscription (a renewal watch, or the invoice's)."""
    currency: str
    """ISO 4217, lower case."""
    amount_due: int
    """Minor units at risk (a watch: the renewal's amount)."""
    payment_method_type: str | None = None
    """How the customer pays."""
    customer_tier: str | None = None
    """The account's tier, once read."""
    category: str | None = None
    """The failure category the case opened as (a watch: none)."""
    opened_at: datetime
    """When the case opened."""
    due_at: datetime | None = None
    """When the money fell due: the due date of an invoice sent for payment, else the
    failure (a watch: the renewal)."""
    closed_at: datetime | None = None
    """When the case closed (None: open)."""
    outcome: str | None = None
    """How it ended: a dunning outcome, or a watch's result."""
    resolution: str | None = None
    """What recovered the money."""
    end_action: str | None = None
    """The end action applied."""
    amount_recovered: int = 0
    """Minor units recovered while the case was open."""
    amount_credited: int = 0
    """Minor units resolved by credit notes (not money)."""
    attempts: int = 0
    """Charges made."""
    emails: int = 0
    """Customer emails sent."""
    routes: int = 0
    """Tasks given to teams."""
    history_events: int | None = None
    """Events in the case's last history when it closed: what Temporal billed it, roughly."""
    failed_at: datetime | None = None
    """When the payment failed (or the invoice went overdue), as the case was told."""
    day_seconds: int | None = None
    """The length of the case's policy day (a compressed clock in a lab)."""
    status: DunningStatus | None = None
    """A closed dunning case's whole status (attempts, emails, timeline): what the learner
    fits retry timing from, kept beyond the namespace's retention."""

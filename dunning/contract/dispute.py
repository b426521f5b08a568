"""A dispute on money a case recovered: the input of `DisputeWorkflow`."""

from datetime import datetime

from pydantic import Field

from dunning.contract.case import ContractModel
from dunning.contract.enums import Team


class DisputeCase(ContractModel):
    """The customer disputed a charge that recovered an invoice: finance hears of it, and the
    report counts the money back at risk."""

    dispute_id: str = Field(min_length=1, max_length=255)
    """Stripe's dispute (`dp_…`); the workflow id is `dispute-{dispute_id}`."""
    charge_id: str = Field(min_length=1, max_length=255)
    """The disputed charge."""
    invoice_id: str = Field(min_length=1, max_length=255)
    """The invoice the charge paid, whose case recovered it."""
    customer_id: str = Field(min_length=1, max_length=255)
    """The Stripe customer."""
    amount: int = Field(gt=0)
    """Minor units disputed."""
    currency: str = Field(min_length=3, max_length=3)
    """ISO 4217, lower case."""
    reason: str = Field(default="general", max_length=100)
    """Stripe's dispute reason (`fraudulent`, `product_not_received`, …)."""
    opened_at: datetime
    """When Stripe opened the dispute."""
    team: Team = Team.FINANCE
    """The team that answers disputes (the policy's `dispute_team`)."""
    owner_id: str | None = Field(default=None, max_length=255)
    """The CRM owner the task goes to (the policy's owner for that team), if any."""

    @property
    def workflow_id(self) -> str:
        """One workflow per dispute."""
        return f"dispute-{self.dispute_id}"

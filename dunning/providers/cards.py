"""What Stripe says of a card's recent charges, across every invoice it paid or declined.

The card networks cap retries per card, not per invoice: a customer whose several
invoices sit on one card, or whose card was also charged by someone else (Stripe's own
retries, a manual charge), has one budget. Stripe holds every charge, so the case reads
the card's recent charges from it just before it retries, and counts them with its own.
"""

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class CardModel(BaseModel):
    """Base of the card-history models: immutable."""

    model_config = ConfigDict(frozen=True)


class CardHistoryRequest(CardModel):
    """Which card's charges to read, and since when."""

    customer_id: str
    """The Stripe customer whose charges are listed (Stripe lists charges per customer)."""
    invoice_id: str
    """The case's invoice: its own charges are the case's attempts, not the card's others."""
    card_fingerprint: str
    """The card: only charges on it count."""
    since: datetime
    """The oldest charge that can still count (the longest network window back)."""


class CardUse(CardModel):
    """A charge on the card made for something other than the case's invoice."""

    at: datetime
    """When it was made."""
    succeeded: bool
    """Whether it went through; a declined one also counts against the decline caps."""
    invoice_id: str | None = None
    """The invoice it was for, when Stripe names one."""


class CardHistory(CardModel):
    """The card's other charges since the request's `since`, oldest first."""

    charges: list[CardUse] = []
    """The charges."""

"""A card's charges for other invoices, and the room the network caps leave for one more.

The card networks cap retries per card, not per invoice: a customer whose several
invoices sit on one card, or whose card was also charged by someone else (Stripe's own
retries, a manual charge), has one budget. Stripe holds every charge, so a retry asks it,
in the same activity that charges: the card is charged only if its other charges leave
room, and the case learns what they were.
"""

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class CardModel(BaseModel):
    """Base of the card models: immutable."""

    model_config = ConfigDict(frozen=True)


class CardUse(CardModel):
    """A charge on the card made for something other than the case's invoice."""

    at: datetime
    """When it was made."""
    succeeded: bool
    """Whether it went through; a declined one also counts against the decline caps."""
    invoice_id: str | None = None
    """The invoice it was for, when Stripe names one."""


class CardRoom(CardModel):
    """How many of the card's other charges the caps leave room for, with the case's own
    attempts and this charge counted: more than that, and the charge waits."""

    customer_id: str
    """The Stripe customer whose charges are listed (Stripe lists charges per customer)."""
    card_fingerprint: str
    """The card: only charges on it count."""
    window_start: datetime
    """The start of the retry window (30 days on the case's clock)."""
    other_charges: int
    """Other charges the window may hold."""
    day_start: datetime
    """The start of the decline window (a day on the case's clock)."""
    other_declines: int
    """Other declined charges the day may hold."""

    def fits(self, uses: list[CardUse]) -> bool:
        """Whether the card's other charges leave room for this one."""
        charges = sum(1 for use in uses if use.at > self.window_start)
        declines = sum(1 for use in uses if use.at > self.day_start and not use.succeeded)
        return charges <= self.other_charges and declines <= self.other_declines

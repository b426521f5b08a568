"""Subscriptions that renew during a world (CONTRACT.md, "Renewals"): the card on file may
expire before the renewal, and the renewal invoice then fails as Stripe fails it."""

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from dunning.contract.case import FailureDetails
from dunning.contract.enums import CollectionMethod, PaymentMethodType
from worlds.behaviour import Reaction
from worlds.clock import WorldDays
from worlds.declines import SHAPES

EXPIRED_CARD = FailureDetails(
    code=SHAPES["expired_card"].code,
    decline_code="expired_card",
    advice_code=SHAPES["expired_card"].advice_code,
    network_decline_code=SHAPES["expired_card"].network_decline_code,
    message=SHAPES["expired_card"].message,
)
"""How Stripe declines a renewal charged on an expired card."""


class RenewalModel(BaseModel):
    """Base of the renewal entries: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class CardOnFile(RenewalModel):
    """The card a subscription renews on."""

    exp_month: int = Field(ge=1, le=12)
    """Expiry month."""
    exp_year: int = Field(ge=2000, le=2100)
    """Expiry year."""

    def expired_on(self, moment: datetime) -> bool:
        """A card is good through the last day of its expiry month."""
        return (moment.year, moment.month) > (self.exp_year, self.exp_month)


class SubscriptionBehaviour(RenewalModel):
    """How the subscription's customer answers the pre-dunning emails."""

    reactions: tuple[Reaction, ...] = ()
    """What they do after `expiry_reminder`, `contact_confirm` or `po_request`."""


class Subscription(RenewalModel):
    """A subscription that renews on a world day, charged to its card on file."""

    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,200}$")
    """Stripe subscription id."""
    customer: str
    """Customer id."""
    amount: int = Field(gt=0)
    """The renewal's amount, minor units."""
    currency: str = Field(pattern=r"^[a-z]{3}$")
    """ISO 4217, lower case."""
    renews_on_day: WorldDays
    """The world day the renewal invoice is issued and charged."""
    payment_method_type: PaymentMethodType = PaymentMethodType.CARD
    """How the renewal is paid."""
    collection_method: CollectionMethod = CollectionMethod.CHARGE_AUTOMATICALLY
    """Charged on its day, or invoiced on net terms (`send_invoice`, paid by the customer
    within `days_until_due`)."""
    days_until_due: int = Field(default=30, ge=0, le=365)
    """For an invoiced renewal: the days its invoice gives to pay."""
    card: CardOnFile | None = None
    """The card on file (null: no card, or another method)."""
    behaviour: SubscriptionBehaviour = SubscriptionBehaviour()
    """How the customer answers the pre-dunning emails."""

    @property
    def renewal_invoice_id(self) -> str:
        """The id of the invoice the renewal issues."""
        return f"in_{self.id}_renewal"

    def renews_at(self, origin: datetime) -> datetime:
        """The calendar moment of the renewal, from that of world day 0."""
        return origin + timedelta(days=self.renews_on_day)

    @property
    def invoiced(self) -> bool:
        """The renewal is invoiced on net terms, not charged."""
        return self.collection_method is CollectionMethod.SEND_INVOICE

    @property
    def due_day(self) -> float:
        """The world day an invoiced renewal falls due (a charged one: its own day)."""
        return self.renews_on_day + (self.days_until_due if self.invoiced else 0)

    def card_expires_first(self, origin: datetime) -> bool:
        """The card on file expires before a charged renewal: unless it is replaced in time,
        the renewal fails with `expired_card`."""
        expired = self.card is not None and self.card.expired_on(self.renews_at(origin))
        return expired and not self.invoiced

"""What Stripe tells of the subscriptions about to renew."""

from datetime import datetime

from dunning.contract.enums import CollectionMethod
from dunning.providers.facts import FactModel


class RenewalFacts(FactModel):
    """One subscription's coming renewal, and what it will be charged on."""

    subscription_id: str
    """The Stripe subscription."""
    customer_id: str
    """The Stripe customer."""
    amount: int
    """The renewal's amount before tax, minor units (the subscription's items)."""
    currency: str
    """ISO 4217, lower case."""
    renews_at: datetime
    """The end of the current period: when the renewal invoice is issued and charged."""
    as_of: datetime
    """Stripe's time for this subscription when it was read: now, or the frozen time of
    the test clock its customer runs on."""
    card_exp_month: int | None = None
    """The expiry month of the card the renewal will be charged on (None: no card)."""
    card_exp_year: int | None = None
    """Its expiry year."""
    email: str | None = None
    """The customer's billing email in Stripe."""
    po_number: str | None = None
    """The PO stored on the subscription, which its invoices carry."""
    collection_method: CollectionMethod = CollectionMethod.CHARGE_AUTOMATICALLY
    """Charged automatically, or invoiced on net terms (`send_invoice`)."""
    days_until_due: int | None = None
    """For an invoiced subscription: the days its invoices give to pay."""


class RenewalPage(FactModel):
    """One page of the active subscriptions."""

    renewals: list[RenewalFacts]
    """The page's subscriptions."""
    next_page: str | None = None
    """Where the next page starts (Stripe's `starting_after`); None on the last page."""


class RenewalPo(FactModel):
    """Store a PO on a subscription, where its next invoice will carry it."""

    subscription_id: str
    """The Stripe subscription."""
    po_number: str
    """The purchase order number."""

"""A renewal watched before it is charged: the input and result of `PreDunningWorkflow`."""

from datetime import datetime

from pydantic import Field

from dunning.contract.case import CaseOptions, ContractModel, PreDunningContext
from dunning.contract.enums import CollectionMethod, EmailTemplate, PreDunningResult, WatchCheck
from dunning.rules.policy import DunningPolicy


def watch_prefix(subscription_id: str) -> str:
    """What the ids of a subscription's watches begin with (the renewal's time follows)."""
    return f"predunning-{subscription_id}-"


class PreDunningCase(ContractModel):
    """A subscription about to renew, and the card it will be charged on."""

    subscription_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,200}$")
    """The Stripe subscription."""
    customer_id: str = Field(min_length=1, max_length=255)
    """The Stripe customer."""
    amount: int = Field(ge=0)
    """The renewal's amount, minor units."""
    currency: str = Field(pattern=r"^[a-z]{3}$")
    """ISO 4217, lower case."""
    renews_on: datetime
    """The calendar moment of the renewal (Stripe's `period_end`)."""
    days_to_renewal: float = Field(ge=0)
    """Policy days from the watch's start to the renewal."""
    card_exp_month: int | None = Field(default=None, ge=1, le=12)
    """The card on file's expiry month (None: no card)."""
    card_exp_year: int | None = Field(default=None, ge=2000, le=2100)
    """The card on file's expiry year."""
    email: str | None = Field(default=None, max_length=254)
    """Where the reminders go: the customer's billing email."""
    po_number: str | None = Field(default=None, max_length=100)
    """The PO the renewal invoice will carry, if one is stored on the subscription."""
    collection_method: CollectionMethod = CollectionMethod.CHARGE_AUTOMATICALLY
    """How Stripe collects the renewal: charged, or invoiced on net terms."""
    days_until_due: int | None = Field(default=None, ge=0, le=365)
    """For an invoiced renewal: the days its invoice gives to pay."""
    options: CaseOptions = CaseOptions()
    """The length of a policy day."""
    policy: DunningPolicy | None = None
    """The policy in force when the watch began."""

    @property
    def workflow_id(self) -> str:
        """One watch per (subscription, renewal)."""
        return f"{watch_prefix(self.subscription_id)}{int(self.renews_on.timestamp())}"

    @property
    def card_expires_first(self) -> bool:
        """The card is good through the end of its month: renewing later, it declines."""
        if self.card_exp_month is None or self.card_exp_year is None:
            return False
        renews = (self.renews_on.year, self.renews_on.month)
        return renews > (self.card_exp_year, self.card_exp_month)

    @property
    def effective_policy(self) -> DunningPolicy:
        """The policy this watch runs under."""
        return self.policy or DunningPolicy()

    @property
    def days_to_due(self) -> float:
        """Policy days from the watch's start to when the renewal falls due: its own day
        when it is charged, later when it is invoiced on net terms."""
        if self.collection_method is not CollectionMethod.SEND_INVOICE:
            return self.days_to_renewal
        return self.days_to_renewal + (self.days_until_due or 0)

    def due_reminder_day(self) -> float | None:
        """The policy day, from the watch's start, of the reminder before a net-terms renewal
        falls due (never before its invoice exists); None when there is none."""
        before = self.effective_policy.due_reminder_days
        if self.collection_method is not CollectionMethod.SEND_INVOICE or before is None:
            return None
        return max(self.days_to_due - before, self.days_to_renewal)

    def reminder_days(self) -> list[float]:
        """The policy days, from the watch's start, on which the expiry reminders go out."""
        if not self.card_expires_first:
            return []
        days = self.effective_policy.expiry_reminder_days
        return sorted({max(self.days_to_renewal - before, 0.0) for before in days})


class WatchRecord(ContractModel):
    """What a watch found, asked and heard: the part its status and outcome share."""

    checks: tuple[WatchCheck, ...] = ()
    """What the watch found that would make the renewal fail."""
    asked: tuple[EmailTemplate, ...] = ()
    """The emails sent, each template once, in the order first sent."""
    reminders_sent: int = 0
    """Expiry reminders the customer received."""
    tasks: tuple[WatchCheck, ...] = ()
    """The checks a team was given a task for."""
    card_replaced: bool = False
    """The customer gave a new payment method during the watch."""
    po_number: str | None = None
    """The PO the customer sent, stored where the renewal invoice will carry it."""
    contact_email: str | None = None
    """The billing contact the customer confirmed, written to Stripe and the CRM."""

    @property
    def heard(self) -> bool:
        """The customer answered something during the watch."""
        return self.card_replaced or bool(self.po_number or self.contact_email)

    def context(self, watch_id: str) -> PreDunningContext:
        """What a dunning case of the failed renewal is told of this watch."""
        return PreDunningContext(
            watch_id=watch_id,
            asked=self.asked,
            card_replaced=self.card_replaced,
            po_number=self.po_number,
            contact_email=self.contact_email,
        )


class PreDunningOutcome(WatchRecord):
    """How the watch ended."""

    result: PreDunningResult
    """Prevented, paid, failed, not needed or unresolved."""
    amount: int = 0
    """The renewal's amount, minor units: what a prevented failure kept from risk."""
    currency: str = ""
    """Its currency."""
    closed_at: datetime
    """When the watch ended."""


class PreDunningStatus(WatchRecord):
    """The `status` query of a watch."""

    subscription_id: str
    """The subscription watched."""
    card_expires_first: bool
    """Whether the card on file expires before the renewal."""
    outcome: PreDunningOutcome | None
    """Null while the watch goes on."""


class ScanRequest(ContractModel):
    """The input of each daily `PreDunningScanWorkflow` run, fixed when the schedule is
    applied (apply it again to change it)."""

    options: CaseOptions = CaseOptions()
    """The length of a policy day, for the watches it starts."""
    policy: DunningPolicy | None = None
    """The policy the watches capture."""


class ScanOutcome(ContractModel):
    """What one scan found and started."""

    listed: int
    """Active subscriptions read."""
    due: int
    """Of those, renewals within the policy's window."""
    started: int
    """Watches this scan started (the others were running or had ended)."""

"""What a case shows: `DunningStatus`, its parts, and the result `DunningOutcome`."""

from datetime import datetime
from functools import cached_property

from pydantic import BaseModel, ConfigDict

from dunning.contract.case import FailureDetails
from dunning.contract.enums import (
    AttemptOutcome,
    CustomerTier,
    EmailTemplate,
    EndAction,
    FailureCategory,
    NextActionKind,
    Outcome,
    PaymentMethodType,
    Resolution,
    Stage,
    Team,
)


class Record(BaseModel):
    """Base of the records a case keeps: immutable once written."""

    model_config = ConfigDict(frozen=True)


class Attempt(Record):
    """One charge attempt made by the case."""

    number: int
    """1 for the first retry; the idempotency key is `dunning-{invoice_id}-attempt-{number}`."""
    at: datetime
    """When the attempt was made."""
    outcome: AttemptOutcome
    """Whether the charge went through."""
    decline_code: str | None = None
    """The issuer's decline code of a failed attempt."""
    advice_code: str | None = None
    """Stripe's advice code of a failed attempt."""
    network_decline_code: str | None = None
    """The card network's decline code of a failed attempt."""
    network_advice_code: str | None = None
    """The card network's merchant advice code of a failed attempt."""
    card: int = 0
    """Which payment method it was made on: 0 for the original, +1 for each update."""
    scheduled: bool = True
    """True for a retry of the schedule; False for one triggered by the customer or a fix."""

    @cached_property  # the planner reads the newest decline on every plan
    def decline(self) -> FailureDetails:
        """The provider's answer to a failed attempt."""
        return FailureDetails(
            decline_code=self.decline_code,
            advice_code=self.advice_code,
            network_decline_code=self.network_decline_code,
            network_advice_code=self.network_advice_code,
        )


class EmailRecord(Record):
    """One email sent by the case."""

    at: datetime
    """When it was sent."""
    template: EmailTemplate
    """Which email."""
    to: str
    """Recipient address."""
    step: str = ""
    """The cadence step it fulfilled (each step is sent once)."""
    message_id: str | None = None
    """The provider's id for the message."""


class RoutedTask(Record):
    """One hand-off of the case to an internal team."""

    at: datetime
    """When it was routed."""
    team: Team
    """Who should act."""
    reason: str
    """Why."""
    task_id: str | None
    """The CRM task created for the account owner (None when it could not be created)."""


class NextAction(Record):
    """The next thing the case will do by itself."""

    kind: NextActionKind
    """What it will do."""
    at: datetime | None
    """When; None when it waits on a person."""
    detail: str = ""
    """A short description, e.g. `retry 2` or `email reminder`."""


class TimelineEntry(Record):
    """One decision or event of the case."""

    at: datetime
    """When it happened."""
    event: str
    """A short machine-friendly name, e.g. `classified`, `charge_failed`, `signal_ignored`."""
    detail: str = ""
    """What happened, for a person."""


class DunningOutcome(Record):
    """How a case ended: the workflow's result."""

    outcome: Outcome
    """The end of the case."""
    resolution: Resolution | None = None
    """For a recovered case: what recovered the money."""
    end_action: EndAction | None = None
    """For an end state: what was done to the account."""
    amount_recovered: int = 0
    """Minor units of money received: the whole amount net of credit for a recovered case,
    what partial payments brought for any other."""
    amount_credited: int = 0
    """Minor units credited by credit notes: resolved, not recovered."""
    attempts: int = 0
    """Charge attempts the case made."""
    emails_sent: int = 0
    """Emails the case sent."""
    closed_at: datetime
    """When the case closed."""
    days_open: float
    """Policy days from the failure to the close."""


class DunningStatus(Record):
    """The answer to the `status` query: everything an operator needs about a case."""

    invoice_id: str
    """The invoice."""
    customer_id: str
    """The customer."""
    amount_due: int
    """Minor units due."""
    currency: str
    """ISO 4217, lower case."""
    payment_method_type: PaymentMethodType | None = None
    """How the customer pays."""
    stage: Stage
    """Where the case stands."""
    failure_category: FailureCategory | None
    """The failure's category, once classified."""
    failure_reason: str | None
    """The decline code or workflow reason."""
    opened_as: FailureCategory | None = None
    """The category the case was first classified in (recovery is reported by it)."""
    failure: FailureDetails | None = None
    """What the payment provider said when the invoice failed: the decline, advice and
    network codes the case opened with (the learner compares retries by them)."""
    customer_tier: CustomerTier | None
    """The account's segment, once the CRM answered."""
    attempts: list[Attempt]
    """Charge attempts made."""
    emails: list[EmailRecord]
    """Emails sent."""
    routed: list[RoutedTask]
    """Hand-offs to internal teams."""
    next_action: NextAction | None
    """What happens next, or None once closed."""
    timeline: list[TimelineEntry]
    """Every decision the case made, in order."""
    outcome: DunningOutcome | None
    """Null while open."""

"""`DunningPolicy`: every schedule and threshold of DOMAIN.md §3, with its defaults.

A case captures its policy when it starts (`DunningCase.policy`), so changing a default
never changes a running case. The card-network rules are not policy: they live in
`dunning.rules.network`.
"""

from functools import cached_property

from pydantic import Field, model_validator

from dunning.contract.enums import (
    CustomerTier,
    EmailTemplate,
    EndAction,
    FailureCategory,
    PaymentMethodType,
    Team,
    WorkflowReason,
)
from dunning.rules.base import PolicyDays, PolicyHours, PolicyModel
from dunning.rules.learned import LearnedPlan


class RetrySchedule(PolicyModel):
    """When soft declines are retried for one payment method, in days after the failure."""

    days: tuple[PolicyDays, ...] = ()
    """Retry days for every tier."""
    extra_days_by_tier: dict[CustomerTier, tuple[PolicyDays, ...]] = {}
    """Further retry days for some tiers (enterprise gets day 14 on cards)."""

    def days_for(self, tier: CustomerTier) -> tuple[float, ...]:
        """The full retry schedule for a tier, in order."""
        return tuple(sorted(self.days + self.extra_days_by_tier.get(tier, ())))


class EmailStep(PolicyModel):
    """One customer email of a cadence."""

    template: EmailTemplate
    """Which email."""
    day: PolicyDays
    """Earliest day after the failure it may go out."""
    after_failed_retries: int = Field(default=0, ge=0)
    """It also waits until this many retries have failed (the first `payment_failed`), but
    never for a retry due after the final notice."""

    @cached_property  # read for every step of a cadence on every plan
    def key(self) -> str:
        """Identity of the step within a case: each step is sent at most once."""
        return step_key(self.template, self.day)


def step_key(template: EmailTemplate, day: float) -> str:
    """The identity of an email step within a case, e.g. `reminder@7`."""
    return f"{template}@{day:g}"


class EndStateRule(PolicyModel):
    """How dunning ends for a tier once retries and emails are exhausted."""

    final_notice_day: PolicyDays
    """Day of the firm `final_notice` email, which names the date of the end action."""
    end_day: PolicyDays
    """Day the end action is applied."""
    action: EndAction
    """What is done to the account."""
    route_to: Team | None = None
    """Team that receives the case when the end action is applied."""

    @model_validator(mode="after")
    def _notice_before_the_end(self) -> "EndStateRule":
        if self.final_notice_day > self.end_day:
            raise ValueError(
                f"final_notice_day ({self.final_notice_day:g}) comes after end_day "
                f"({self.end_day:g}): the final notice names the date of the end action"
            )
        return self

    @cached_property  # read on every plan
    def notice_key(self) -> str:
        """The final notice's step: sent at most once."""
        return step_key(EmailTemplate.FINAL_NOTICE, self.final_notice_day)


# The reminder (day 5-7) and service-impact (day 10-14) emails fall on card retry days 7 and
# 14: a case wakes once for both, and the email goes out only if that day's retry failed.
_DECLINE_CADENCE = (
    EmailStep(template=EmailTemplate.PAYMENT_FAILED, day=0),
    EmailStep(template=EmailTemplate.REMINDER, day=7),
    EmailStep(template=EmailTemplate.SERVICE_IMPACT, day=14),
)


def _default_cadences() -> dict[FailureCategory, tuple[EmailStep, ...]]:
    return {
        FailureCategory.SOFT_DECLINE: (
            EmailStep(template=EmailTemplate.PAYMENT_FAILED, day=0, after_failed_retries=1),
            *_DECLINE_CADENCE[1:],
        ),
        FailureCategory.HARD_DECLINE: _DECLINE_CADENCE,
        FailureCategory.CUSTOMER_ACTION_REQUIRED: _DECLINE_CADENCE,
        FailureCategory.WORKFLOW_FAILURE: (
            EmailStep(template=EmailTemplate.SERVICE_IMPACT, day=14),
        ),
        FailureCategory.OVERDUE: (
            EmailStep(template=EmailTemplate.REMINDER, day=1),
            EmailStep(template=EmailTemplate.REMINDER, day=14),
            EmailStep(template=EmailTemplate.SERVICE_IMPACT, day=30),
        ),
    }


def _default_retries() -> dict[PaymentMethodType, RetrySchedule]:
    bank_debit = RetrySchedule(days=(3, 7))
    return {
        PaymentMethodType.CARD: RetrySchedule(
            days=(1, 3, 5, 7), extra_days_by_tier={CustomerTier.ENTERPRISE: (14,)}
        ),
        PaymentMethodType.ACH_DEBIT: bank_debit,
        PaymentMethodType.SEPA_DEBIT: bank_debit,
        PaymentMethodType.INVOICE: RetrySchedule(),
        PaymentMethodType.WIRE: RetrySchedule(),
    }


_COLLECTIONS_END = EndStateRule(
    final_notice_day=50,
    end_day=60,
    action=EndAction.MARK_UNCOLLECTIBLE,
    route_to=Team.COLLECTIONS,
)


def _default_end_states() -> dict[CustomerTier, EndStateRule]:
    return {
        CustomerTier.SELF_SERVE: EndStateRule(
            final_notice_day=10, end_day=14, action=EndAction.CANCEL_SUBSCRIPTION
        ),
        CustomerTier.MID_MARKET: EndStateRule(
            final_notice_day=21, end_day=28, action=EndAction.PAUSE_SUBSCRIPTION
        ),
        CustomerTier.ENTERPRISE: _COLLECTIONS_END,
    }


class DunningPolicy(PolicyModel):
    """The whole dunning policy. Defaults are the tables of DOMAIN.md §3."""

    retries: dict[PaymentMethodType, RetrySchedule] = Field(default_factory=_default_retries)
    """Soft-decline retry schedule per payment method."""
    email_cadence: dict[FailureCategory, tuple[EmailStep, ...]] = Field(
        default_factory=_default_cadences
    )
    """Customer emails per failure category, before the final notice."""
    request_days: tuple[PolicyDays, ...] = (0, 7)
    """Days on which the one missing thing (PO, AP contact) is asked for, while missing."""
    requests: dict[WorkflowReason, EmailTemplate] = {
        WorkflowReason.MISSING_PO: EmailTemplate.PO_REQUEST,
        WorkflowReason.WRONG_BILLING_CONTACT: EmailTemplate.CONTACT_CONFIRM,
    }
    """Which email asks for what is missing, per workflow reason."""
    routes: dict[WorkflowReason, Team] = {
        WorkflowReason.MISSING_PO: Team.FINANCE,
        WorkflowReason.WRONG_BILLING_CONTACT: Team.FINANCE,
        WorkflowReason.CONTRACT_MISMATCH: Team.REVOPS,
        WorkflowReason.APPROVAL_PENDING: Team.FINANCE,
    }
    """Internal team for each workflow failure."""
    contract_tolerance_percent: float = Field(default=1.0, ge=0, le=100)
    """The invoice's amount before tax may differ from the contract by this share of the
    contract (proration, rounding) before the case goes to RevOps as a mismatch."""
    team_owners: dict[Team, str] = {}
    """Who receives each team's tasks: a CRM owner id (a person, or the owner of a team's
    queue). A team not listed: the account's own owner. The account owner is named in every
    task either way."""
    provider_error_team: Team = Team.FINANCE
    """Team that receives a case whose provider call failed permanently."""
    enterprise_owner_team: Team = Team.CUSTOMER_SUCCESS
    """Team of the account owner's task on enterprise accounts (relationship at risk)."""
    escalation_team: Team = Team.CUSTOMER_SUCCESS
    """Team that receives a case still waiting on an internal team as the window closes,
    and the reviews of cases on hold."""
    hold_review_days: PolicyDays = Field(default=14, gt=0)
    """A case on hold (paused, or waiting on an internal team) is put to the escalation
    team for review this many days after the hold began, and again every as many days."""
    end_states: dict[CustomerTier, EndStateRule] = Field(default_factory=_default_end_states)
    """End state per tier."""
    net_terms_end_state: EndStateRule = _COLLECTIONS_END
    """End state of net-terms (`send_invoice`) invoices, whatever the tier."""
    enterprise_owner_task_day: PolicyDays = 5
    """Enterprise accounts: the owner gets a task by this day, before any automated email."""
    high_value_annual_contract: int = Field(default=5_000_000, ge=0)
    """Annual contract value (minor units) from which an account is handled as enterprise."""
    silent_retry_window_hours: PolicyHours = 24
    """No `payment_failed` email while a silent retry is due within this many hours."""
    min_hours_between_retries: PolicyHours = 24
    """Scheduled retries keep at least this gap, even when a network rule pushed one late;
    after a bank debit, the gap counts from the bank's answer."""
    min_hours_between_emails: PolicyHours = 24
    """No two customer emails of a case go out closer than this: the later one waits."""
    lateness_tolerance_hours: PolicyHours = 1
    """How late a case may run before the rest of its schedule moves: a case that wakes
    (or finishes a step) later than this shifts its remaining schedule by the lateness, and
    a final notice sent later than this pushes the end action by the whole notice period."""
    settlement_check_days: PolicyDays = Field(default=14, gt=0)
    """A bank debit still settling after this many days (ACH takes up to 4 business days,
    SEPA up to 14) is read again without waiting for Stripe's event, and a still-pending
    one goes to the settlement team; the case keeps waiting and checks again as often."""
    expiry_reminder_days: tuple[PolicyDays, ...] = (30, 7)
    """Pre-dunning: days before a renewal when a customer whose card expires first is asked
    to replace it (one already past when the watch begins goes out at once)."""
    predunning: bool = True
    """Pre-dunning on: renewals are watched before they are charged (off: no watch starts,
    for a side-by-side measure)."""
    predunning_window_days: float = Field(default=60, ge=1, le=366)
    """The daily scan watches each renewal due within this many days (the reminders and
    requests need the time: 30 to 60 days suits monthly and yearly plans)."""
    due_reminder_days: PolicyDays | None = 3
    """A renewal invoiced on net terms is reminded of this many days before it falls due,
    by the watch that follows it (None: no reminder)."""
    predunning_contact_team: Team = Team.CUSTOMER_SUCCESS
    """Team of the account owner's task when a renewal's billing contact is missing or
    bounced."""
    dispute_team: Team = Team.FINANCE
    """Team that answers a dispute on money a case recovered."""
    settlement_team: Team = Team.FINANCE
    """Team that hears of a bank debit still unsettled after `settlement_check_days`."""
    learned: LearnedPlan | None = None
    """Retry timing learned from outcomes; where it has a plan for a case, it takes
    precedence over `retries`."""

"""The emails closed cases sent, whether the customer answered each, and when an email
works best (`starter.py learn` reports it, and sends sooner an email that works better
sooner).

An email is answered when the customer acts (a new card, a payment, the PO or the contact
asked for) within `ANSWER_DAYS` of it and before the next email. Each email's day since
the failure and its weekday are compared (`lab.compare`) against the other sends of the
same email of the same cadence to customers of the same tier.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from statistics import median

from dunning.contract.enums import EmailTemplate, FailureCategory
from dunning.contract.messages import Signals
from lab.attempts import WEEKDAYS
from lab.case_line import CaseLine
from lab.compare import (
    MIN_LEVEL_COUNT,
    MIN_LIFT,
    Stratum,
    level_differences,
    lift,
    significant_z,
)

ANSWER_DAYS = 3.0
"""A customer who acts within this many days of an email, before the next, answered it."""
CUSTOMER_EVENTS = frozenset(
    {
        Signals.PAYMENT_METHOD_UPDATED,
        Signals.INVOICE_PAID,
        Signals.PO_NUMBER_PROVIDED,
        Signals.BILLING_CONTACT_CORRECTED,
    }
)
"""Timeline events that are the customer acting."""
MIN_SPREAD_DAYS = 1.0
"""Sends of an email closer together than this say nothing about which day works best."""
CadenceStep = tuple[FailureCategory | None, EmailTemplate]
"""An email of a category's cadence."""
CADENCE_TEMPLATES = frozenset(
    {EmailTemplate.PAYMENT_FAILED, EmailTemplate.REMINDER, EmailTemplate.SERVICE_IMPACT}
)
"""The emails of a cadence (the final notice's day is the end state's, the requests' the
policy's)."""


@dataclass(frozen=True)
class EmailSent:
    """One email a closed case sent."""

    category: FailureCategory | None
    """The category the case opened as: each has a cadence of its own."""
    template: EmailTemplate
    tier: str
    """The customer's tier: a tier's emails go out on days of its own."""
    day: float
    """Days since the failure."""
    weekday: int
    """The calendar moment's weekday (0 is Monday)."""
    succeeded: bool
    """The customer answered it."""


def emails_of(lines: Iterable[CaseLine]) -> list[EmailSent]:
    """Every email of the closed cases, and whether its customer answered."""
    found = []
    for line in lines:
        day0 = line.timeline[0].at
        acted = [entry.at for entry in line.timeline if entry.event in CUSTOMER_EVENTS]
        sent = sorted(line.emails, key=lambda email: email.at)
        for number, email in enumerate(sent):
            until = email.at + timedelta(seconds=ANSWER_DAYS * line.day_seconds)
            if number + 1 < len(sent):
                until = min(until, sent[number + 1].at)
            day = (email.at - day0).total_seconds() / line.day_seconds
            found.append(
                EmailSent(
                    category=line.opened_as,
                    template=email.template,
                    tier=line.customer_tier or "unknown",
                    day=day,
                    weekday=(line.failed_at + timedelta(days=day)).weekday(),
                    succeeded=any(email.at <= at < until for at in acted),
                )
            )
    return found


@dataclass(frozen=True)
class EmailFit:
    """What the emails say about their timing."""

    notes: tuple[str, ...]
    """For the person who reviews the plan."""
    sooner: dict[CadenceStep, float]
    """Cadence emails answered more often when sent earlier, and the day to send each by:
    the median day of its earlier sends."""


def fit_emails(emails: list[EmailSent]) -> EmailFit:
    """Which emails work better sent sooner, and what the emails say of their timing."""
    if not emails:
        return EmailFit(("emails: none sent, nothing to say of their timing",), {})
    answered = sum(email.succeeded for email in emails)
    notes = [
        f"emails: {len(emails)} sent, {answered} answered within {ANSWER_DAYS:g} days "
        f"({answered / len(emails):.0%})"
    ]
    by_step: dict[CadenceStep, list[EmailSent]] = {}
    for email in emails:
        by_step.setdefault((email.category, email.template), []).append(email)
    sooner = {}
    for step, sent in by_step.items():
        if len(sent) >= MIN_LEVEL_COUNT:
            note, day = _by_day(_named(step), sent, significant_z(len(by_step)))
            notes.append(note)
            if day is not None and step[1] in CADENCE_TEMPLATES:
                sooner[step] = day
    weekdays = level_differences(emails, lambda e: WEEKDAYS[e.weekday], _same_email)
    notes.append(
        "email weekday: "
        + (", ".join(map(str, weekdays)) if weekdays else "no level differs or can be compared")
    )
    moved = ", ".join(f"{_named(step)} by day {day:g}" for step, day in sooner.items())
    notes.append(
        f"the cadence sends {moved}"
        if moved
        else "the cadence keeps its days: no email works better on another"
    )
    return EmailFit(tuple(notes), sooner)


def _by_day(name: str, sent: list[EmailSent], bar: float) -> tuple[str, float | None]:
    """The note on an email's day, and the day to send it by if earlier works better."""
    days = sorted(email.day for email in sent)
    span = f"sent on days {days[0]:.1f}-{days[-1]:.1f}"
    if days[-1] - days[0] < MIN_SPREAD_DAYS:
        return f"{name}: {span}, too close together to say which day works best", None
    middle = median(days)
    ratio, z = lift(sent, lambda email: email.day <= middle, _same_email)
    if abs(z) < bar:
        return f"{name}: {span}, no day works better", None
    said = f"{name}: sent by day {middle:.1f}, answered {ratio:.2f}x (z {z:.1f})"
    if ratio < MIN_LIFT or z < 0:
        return said, None
    return said, round(median(day for day in days if day <= middle) * 2) / 2


def _same_email(email: EmailSent) -> Stratum:
    return email.category, email.template, email.tier


def _named(step: CadenceStep) -> str:
    category, template = step
    return f"{category} {template}" if category else str(template)

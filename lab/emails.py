"""The emails closed cases sent, whether the customer answered each, and whether the cases
can say when an email works best (`starter.py learn` reports it).

An email is answered when the customer acts (a new card, a payment, the PO or the contact
asked for) within `ANSWER_DAYS` of it and before the next email. Each email's day since
the failure and its weekday are compared (`lab.compare`) against the other sends of the
same email to customers of the same tier.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from statistics import median

from dunning.contract.enums import EmailTemplate
from lab.attempts import WEEKDAYS
from lab.case_line import CaseLine
from lab.compare import MIN_LEVEL_COUNT, Stratum, level_differences, lift, significant_z

ANSWER_DAYS = 3.0
"""A customer who acts within this many days of an email, before the next, answered it."""
CUSTOMER_EVENTS = frozenset(
    {"payment_method_updated", "invoice_paid", "po_number_provided", "billing_contact_corrected"}
)
"""Timeline events that are the customer acting."""
MIN_SPREAD_DAYS = 1.0
"""Sends of an email closer together than this say nothing about which day works best."""


@dataclass(frozen=True)
class EmailSent:
    """One email a closed case sent."""

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
                    template=email.template,
                    tier=line.customer_tier or "unknown",
                    day=day,
                    weekday=(line.failed_at + timedelta(days=day)).weekday(),
                    succeeded=any(email.at <= at < until for at in acted),
                )
            )
    return found


def email_notes(emails: list[EmailSent]) -> list[str]:
    """What the emails say about their timing, for the person who reviews the plan."""
    if not emails:
        return ["emails: none sent, nothing to say of their timing"]
    answered = sum(email.succeeded for email in emails)
    notes = [
        f"emails: {len(emails)} sent, {answered} answered within {ANSWER_DAYS:g} days "
        f"({answered / len(emails):.0%})"
    ]
    by_template: dict[EmailTemplate, list[EmailSent]] = {}
    for email in emails:
        by_template.setdefault(email.template, []).append(email)
    for template, sent in by_template.items():
        if len(sent) >= MIN_LEVEL_COUNT:
            notes.append(_day_note(template, sent, significant_z(len(by_template))))
    weekdays = level_differences(emails, lambda e: WEEKDAYS[e.weekday], _same_email)
    notes.append(
        "email weekday: "
        + (", ".join(map(str, weekdays)) if weekdays else "no level differs or can be compared")
    )
    notes.append("the cadence keeps its days: email timing is reported, not fitted")
    return notes


def _day_note(template: EmailTemplate, sent: list[EmailSent], bar: float) -> str:
    days = sorted(email.day for email in sent)
    if days[-1] - days[0] < MIN_SPREAD_DAYS:
        return (
            f"{template}: sent on days {days[0]:.1f}-{days[-1]:.1f}, too close together "
            "to say which day works best"
        )
    middle = median(days)
    ratio, z = lift(sent, lambda email: email.day <= middle, _same_email)
    if abs(z) < bar:
        return f"{template}: sent on days {days[0]:.1f}-{days[-1]:.1f}, no day works better"
    return f"{template}: sent by day {middle:.1f}, answered {ratio:.2f}x (z {z:.1f})"


def _same_email(email: EmailSent) -> Stratum:
    return email.template, email.tier

"""The retries closed cases made, and how a retry's chance differs with what was true of
it: a payday just before, the decline that opened the case, the weekday and the hour of its
calendar moment (`starter.py learn` reads them from `cases.jsonl`).

Each difference is measured (`lab.compare`) against the other retries made the same day
since the failure (and, for all but the payday itself, on the same method after as many
paydays), so the effect of waiting longer, or of a payday, is not taken for one of the
weekday or of the code.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from dunning.contract.enums import AttemptOutcome, FailureCategory, PaymentMethodType
from dunning.rules.calendar import is_payday_window, next_payday
from dunning.rules.classify import UNKNOWN_REASON, classify_decline
from lab.case_line import CaseLine
from lab.compare import Difference, Stratum, level_differences

PAYDAY_WINDOW_DAYS = 1.0
"""A retry within a day after a payday's 00:01 counts as a payday retry."""
RETRIED = (PaymentMethodType.CARD, PaymentMethodType.ACH_DEBIT, PaymentMethodType.SEPA_DEBIT)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Attempt:
    """One scheduled retry on the card that failed."""

    method: PaymentMethodType
    day: float
    """Days since the failure."""
    payday: bool
    """Made within a day after a payday that came after the failure."""
    paydays_passed: int
    """Paydays between the failure and the retry (salaries that may have come in)."""
    succeeded: bool
    reason: str
    """The decline code the case opened with (as the classifier names it)."""
    weekday: int
    """The calendar moment's weekday (0 is Monday)."""
    hour: int
    """The calendar moment's hour."""
    failed_hour: int = 0
    """The hour the invoice failed at: a retry on whole days after it comes at the same."""
    advice: str = "none"
    """The advice code the case opened with (Stripe's, else Mastercard's)."""
    network: str = "none"
    """The network decline code the case opened with."""


def attempts_of(lines: Iterable[CaseLine]) -> list[Attempt]:
    """The informative attempts of closed soft-decline cases."""
    found = []
    for line in lines:
        method = line.payment_method_type or PaymentMethodType.CARD
        if line.opened_as is not FailureCategory.SOFT_DECLINE or method not in RETRIED:
            continue
        day0 = line.timeline[0].at
        first_payday = next_payday(line.failed_at)
        failure = line.failure
        # Lines exported before the status carried the failure name only the decline.
        reason = classify_decline(failure).reason if failure else line.failure_reason
        advice = failure and (failure.advice_code or failure.network_advice_code)
        for attempt in line.attempts:
            if attempt.card != 0 or not attempt.scheduled:
                continue  # a new card, or a retry a customer asked for: not about timing
            day = (attempt.at - day0).total_seconds() / line.day_seconds
            calendar = line.failed_at + timedelta(days=day)
            payday = calendar >= first_payday and is_payday_window(calendar, PAYDAY_WINDOW_DAYS)
            found.append(
                Attempt(
                    method=method,
                    day=day,
                    payday=payday,
                    paydays_passed=_paydays_between(first_payday, calendar),
                    succeeded=attempt.outcome is AttemptOutcome.SUCCEEDED,
                    reason=reason or UNKNOWN_REASON,
                    advice=advice or "none",
                    network=(failure and failure.network_decline_code) or "none",
                    weekday=calendar.weekday(),
                    hour=calendar.hour,
                    failed_hour=line.failed_at.hour,
                )
            )
    return found


def by_day(attempt: Attempt) -> Stratum:
    """Retries made the same whole day since the failure."""
    return (int(attempt.day),)


def alike(attempt: Attempt) -> Stratum:
    """Retries on the same payment method, the same whole day since the failure, after
    as many paydays."""
    return attempt.method, int(attempt.day), attempt.paydays_passed


def alike_from_one_hour(attempt: Attempt) -> Stratum:
    """Retries `alike` whose invoices failed at the same hour: a retry's hour is compared
    only with others of its failure hour, so the hour customers' invoices fail at (their
    renewal time, and whoever renews then) is not taken for the hour of the retry."""
    return *alike(attempt), attempt.failed_hour


def _paydays_between(first_payday: datetime, moment: datetime) -> int:
    passed, payday = 0, first_payday
    while payday <= moment:
        passed, payday = passed + 1, next_payday(payday + timedelta(minutes=1))
    return passed


TRAITS: dict[str, Callable[[Attempt], str]] = {
    "decline code": lambda a: a.reason,
    "weekday": lambda a: WEEKDAYS[a.weekday],
    "hour": lambda a: f"{a.hour:02d}:00",
    "advice code": lambda a: a.advice,
    "network code": lambda a: a.network,
}
"""What else a retry's chance is compared by, and how each names a retry's level."""


def differences(attempts: list[Attempt], trait: str) -> list[Difference] | None:
    """The levels of a trait whose retries differ from others alike (`alike`); None when
    every retry had the same level."""
    return level_differences(attempts, TRAITS[trait], alike)


def trait_notes(attempts: list[Attempt]) -> list[str]:
    """For each trait, the levels whose retries succeed more or less often than the others
    made the same day since the failure, for a person reviewing the plan."""
    notes = []
    for trait, level_of in TRAITS.items():
        found = differences(attempts, trait)
        if found is None:
            only = level_of(attempts[0]) if attempts else "-"
            notes.append(f"{trait}: every retry had the same ({only})")
        else:
            notes.append(f"{trait}: " + (", ".join(map(str, found)) or "no level differs"))
    return notes

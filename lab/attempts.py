"""The retries closed cases made, and how a retry's chance differs with what was true of
it: a payday just before, the decline that opened the case, the weekday and the hour of its
calendar moment (`starter.py learn` reads them from `cases.jsonl`).

Each difference is a Mantel-Haenszel ratio against the other retries made the same day
since the failure, with a z-test on the pooled difference, so the effect of waiting longer
is not taken for one of the calendar or of the code.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from dunning.contract.enums import AttemptOutcome, FailureCategory, PaymentMethodType
from dunning.rules.calendar import is_payday_window, next_payday
from lab.case_line import CaseLine

PAYDAY_WINDOW_DAYS = 1.0
"""A retry within a day after a payday's 00:01 counts as a payday retry."""
RETRIED = (PaymentMethodType.CARD, PaymentMethodType.ACH_DEBIT, PaymentMethodType.SEPA_DEBIT)
MIN_LEVEL_ATTEMPTS = 30
"""A decline code, weekday or hour with fewer retries than this is not compared."""
SIGNIFICANT_Z = 2.0
"""A difference is reported when its z is at least this large either way."""
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Attempt:
    """One scheduled retry on the card that failed."""

    method: PaymentMethodType
    day: float
    """Days since the failure."""
    payday: bool
    """Made within a day after a payday that came after the failure."""
    succeeded: bool
    reason: str
    """The decline the case was recovering from."""
    weekday: int
    """The calendar moment's weekday (0 is Monday)."""
    hour: int
    """The calendar moment's hour."""


def attempts_of(lines: Iterable[CaseLine]) -> list[Attempt]:
    """The informative attempts of closed soft-decline cases."""
    found = []
    for line in lines:
        method = line.payment_method_type or PaymentMethodType.CARD
        if line.opened_as is not FailureCategory.SOFT_DECLINE or method not in RETRIED:
            continue
        day0 = line.timeline[0].at
        first_payday = next_payday(line.failed_at)
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
                    succeeded=attempt.outcome is AttemptOutcome.SUCCEEDED,
                    reason=line.failure_reason or "unknown",
                    weekday=calendar.weekday(),
                    hour=calendar.hour,
                )
            )
    return found


def lift(attempts: list[Attempt], chosen: Callable[[Attempt], bool]) -> tuple[float, float]:
    """How much likelier a chosen retry succeeds than another on the same day since the
    failure (Mantel-Haenszel ratio), and the z of the pooled difference."""
    strata: dict[int, list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        strata[int(attempt.day)].append(attempt)
    top = bottom = 0.0
    for tried in strata.values():
        on = [a for a in tried if chosen(a)]
        off = [a for a in tried if not chosen(a)]
        if on and off:
            top += sum(a.succeeded for a in on) * len(off) / len(tried)
            bottom += sum(a.succeeded for a in off) * len(on) / len(tried)
    ratio = top / bottom if bottom else (math.inf if top else 1.0)
    on = [a for a in attempts if chosen(a)]
    off = [a for a in attempts if not chosen(a)]
    if not on or not off:
        return ratio, 0.0
    p_on, p_off = sum(a.succeeded for a in on) / len(on), sum(a.succeeded for a in off) / len(off)
    pooled = (p_on * len(on) + p_off * len(off)) / len(attempts)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / len(on) + 1 / len(off))) or 1e-9
    return ratio, (p_on - p_off) / spread


TRAITS: dict[str, Callable[[Attempt], str]] = {
    "decline code": lambda a: a.reason,
    "weekday": lambda a: WEEKDAYS[a.weekday],
    "hour": lambda a: f"{a.hour:02d}:00",
}
"""What else a retry's chance is compared by, and how each names a retry's level."""


def trait_notes(attempts: list[Attempt]) -> list[str]:
    """For each trait, the levels whose retries succeed more or less often than the others
    made the same day since the failure, for a person reviewing the plan."""
    notes = []
    for trait, level_of in TRAITS.items():
        levels = Counter(level_of(a) for a in attempts)
        if len(levels) < 2:
            notes.append(f"{trait}: every retry had the same ({next(iter(levels), '-')})")
            continue
        differ = []
        for level, count in levels.most_common():
            if count < MIN_LEVEL_ATTEMPTS:
                continue
            ratio, z = _level_lift(attempts, level_of, level)
            if abs(z) >= SIGNIFICANT_Z:
                differ.append(f"{level} {ratio:.2f}x (z {z:.1f})")
        notes.append(f"{trait}: " + (", ".join(differ) if differ else "no level differs"))
    return notes


def _level_lift(
    attempts: list[Attempt], level_of: Callable[[Attempt], str], level: str
) -> tuple[float, float]:
    return lift(attempts, lambda attempt: level_of(attempt) == level)

"""The card-network and NACHA rules every retry must obey (DOMAIN.md §2), in one place.

The schedule proposes a retry; these rules may forbid it or push it later. They count
per payment method ("card"): a new payment method starts with a clean slate.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from dunning.contract.case import FailureDetails
from dunning.contract.enums import AttemptOutcome, FailureCategory, PaymentMethodType
from dunning.contract.status import Attempt
from dunning.rules.classify import classify_decline
from dunning.rules.clock import CaseClock
from dunning.rules.codes import ACH_REPRESENTABLE_RETURNS, MASTERCARD_RETRY_AFTER_HOURS

VISA_RETRIES_PER_30_DAYS = 20
VISA_RETRIES_PER_30_DAYS_BEFORE_MAY_2025 = 15
VISA_RETRY_WINDOW_DAYS = 30
VISA_CAP_RAISED_ON = datetime(2025, 5, 1, tzinfo=UTC)
MASTERCARD_DECLINES_PER_DAY = 10
MASTERCARD_DECLINE_WINDOW_DAYS = 1
MASTERCARD_SAME_AMOUNT_DECLINES_PER_30_DAYS = 35
MASTERCARD_SAME_AMOUNT_WINDOW_DAYS = 30
ACH_MAX_REPRESENTMENTS = 2
ACH_REPRESENTMENT_WINDOW_DAYS = 180
BANK_DEBITS = frozenset({PaymentMethodType.ACH_DEBIT, PaymentMethodType.SEPA_DEBIT})


@dataclass(frozen=True)
class RetryVerdict:
    """Whether a payment method may be charged again, and from when."""

    earliest: datetime | None
    """From when a retry is allowed (a moment already past when nothing holds it back);
    None when it is never allowed on this method."""
    reason: str
    """Why it is forbidden or delayed ("" when allowed at once)."""
    latest: datetime | None = None
    """Until when a retry is allowed (None: no limit): one due later is never made."""


def visa_retry_cap(at: datetime) -> int:
    """Visa's limit of retries per card in 30 days, as in force at `at`."""
    if at < VISA_CAP_RAISED_ON:
        return VISA_RETRIES_PER_30_DAYS_BEFORE_MAY_2025
    return VISA_RETRIES_PER_30_DAYS


def _visa_cap(clock: CaseClock) -> int:
    """Visa's cap as in force when the case's payment failed, on the case's calendar (a
    compressed clock's calendar is not the wall clock's). A case keeps the cap it opened
    under, the stricter when the rule changed during it: what the case planned while it
    waited then still holds when it wakes."""
    return visa_retry_cap(clock.failed_at or clock.day0)


def retry_verdict(
    *,
    method: PaymentMethodType,
    last_decline: FailureDetails | None,
    last_decline_at: datetime,
    attempts_on_method: Sequence[Attempt],
    clock: CaseClock,
    now: datetime,
    charged_elsewhere: Sequence[datetime] = (),
    declined_elsewhere: Sequence[datetime] = (),
) -> RetryVerdict:
    """When a retry on the current payment method is allowed.

    `last_decline` is the newest decline on this method (None for a fresh method),
    `attempts_on_method` the attempts the case already made on it. The caps are the card's,
    whoever charged it: `charged_elsewhere` are the moments of its charges for other
    invoices (or by others), `declined_elsewhere` those of them that were declined.
    """
    if last_decline is not None:
        never = _never_reason(method, last_decline)
        if never:
            return RetryVerdict(earliest=None, reason=never)
    if method in BANK_DEBITS:
        return _bank_debit_verdict(attempts_on_method, clock, now)

    # Unconstrained, a retry has been allowed since the decline: the schedule alone says
    # when, so a retry due on a day ties with that day's email, and goes first.
    earliest, reasons = last_decline_at, []
    advice = last_decline.network_advice_code if last_decline else None
    if advice in MASTERCARD_RETRY_AFTER_HOURS:
        later = last_decline_at + clock.hours(MASTERCARD_RETRY_AFTER_HOURS[advice])
        if later > earliest:
            earliest, reasons = later, [f"Mastercard advice {advice}"]
    declines = [a.at for a in attempts_on_method if a.outcome is AttemptOutcome.FAILED]
    declines_with_original = [last_decline_at, *declines] if last_decline else declines
    card_declines = [*declines_with_original, *declined_elsewhere]
    windows = (
        (
            [*(a.at for a in attempts_on_method), *charged_elsewhere],
            _visa_cap(clock),
            VISA_RETRY_WINDOW_DAYS,
            "retries in 30 days",
        ),
        (
            card_declines,
            MASTERCARD_DECLINES_PER_DAY,
            MASTERCARD_DECLINE_WINDOW_DAYS,
            "declines in a day",
        ),
        (
            declines_with_original,
            MASTERCARD_SAME_AMOUNT_DECLINES_PER_30_DAYS,
            MASTERCARD_SAME_AMOUNT_WINDOW_DAYS,
            "declines of the same amount in 30 days",
        ),
    )
    for moments, cap, days, label in windows:
        free_at = _window_frees_at(moments, cap, clock, days)
        if free_at is not None and free_at > earliest:
            earliest, reasons = free_at, [f"at most {cap} {label}"]
    return RetryVerdict(earliest=earliest, reason="; ".join(reasons))


@dataclass(frozen=True)
class RoomForOthers:
    """How many charges on the card by others the caps leave room for, if the case charges
    it now: its own attempts and this charge counted."""

    window_start: datetime
    other_charges: int
    day_start: datetime
    other_declines: int


def room_for_others(
    *,
    last_decline: FailureDetails | None,
    last_decline_at: datetime,
    attempts_on_method: Sequence[Attempt],
    clock: CaseClock,
    now: datetime,
) -> RoomForOthers:
    """The room Visa's retries in 30 days and Mastercard's declines in a day leave for the
    card's other charges once this one is made (it may decline too)."""
    window_start = now - clock.days(VISA_RETRY_WINDOW_DAYS)
    day_start = now - clock.days(MASTERCARD_DECLINE_WINDOW_DAYS)
    own = sum(1 for a in attempts_on_method if a.at > window_start)
    declines = [a.at for a in attempts_on_method if a.outcome is AttemptOutcome.FAILED]
    own_declines = [last_decline_at, *declines] if last_decline else declines
    return RoomForOthers(
        window_start=window_start,
        other_charges=_visa_cap(clock) - own - 1,
        day_start=day_start,
        other_declines=MASTERCARD_DECLINES_PER_DAY - sum(t > day_start for t in own_declines) - 1,
    )


def _never_reason(method: PaymentMethodType, decline: FailureDetails) -> str:
    category = classify_decline(decline).category
    if category is FailureCategory.HARD_DECLINE:
        return "hard decline: never retry this payment method"
    if category is FailureCategory.CUSTOMER_ACTION_REQUIRED:
        return "the customer must act before a retry"
    returned = decline.network_decline_code
    representable = returned in ACH_REPRESENTABLE_RETURNS
    if method in BANK_DEBITS and returned and returned.startswith("R") and not representable:
        return f"ACH return {returned} may not be presented again"
    return ""


def _bank_debit_verdict(
    attempts: Sequence[Attempt], clock: CaseClock, now: datetime
) -> RetryVerdict:
    if len(attempts) >= ACH_MAX_REPRESENTMENTS:
        return RetryVerdict(
            earliest=None, reason=f"at most {ACH_MAX_REPRESENTMENTS} re-presentments"
        )
    window_end = clock.day0 + clock.days(ACH_REPRESENTMENT_WINDOW_DAYS)
    if now > window_end:
        return RetryVerdict(
            earliest=None,
            reason=f"re-presentment only within {ACH_REPRESENTMENT_WINDOW_DAYS} days",
        )
    return RetryVerdict(earliest=clock.day0, reason="", latest=window_end)


def _window_frees_at(
    moments: Sequence[datetime], cap: int, clock: CaseClock, days: float
) -> datetime | None:
    """When a sliding window of `days` holding `moments` next has room, if it is full."""
    recent = sorted(moments)[-cap:]
    if len(recent) < cap:
        return None
    return recent[0] + clock.days(days)

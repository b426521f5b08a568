"""The card-network and NACHA rules of DOMAIN.md §2."""

from datetime import UTC, datetime, timedelta

import pytest

from dunning.contract.case import FailureDetails
from dunning.contract.enums import AttemptOutcome, PaymentMethodType
from dunning.contract.status import Attempt
from dunning.rules.clock import CaseClock
from dunning.rules.network import retry_verdict, visa_retry_cap

DAY0 = datetime(2026, 3, 1, tzinfo=UTC)
CLOCK = CaseClock(DAY0)
CARD = PaymentMethodType.CARD


def failed(at: datetime, number: int = 1, **codes: str) -> Attempt:
    return Attempt(number=number, at=at, outcome=AttemptOutcome.FAILED, **codes)


def verdict(decline: FailureDetails | None, attempts: list[Attempt], now: datetime, method=CARD):
    return retry_verdict(
        method=method,
        last_decline=decline,
        last_decline_at=attempts[-1].at if attempts else DAY0,
        attempts_on_method=attempts,
        clock=CLOCK,
        now=now,
    )


@pytest.mark.parametrize(
    "code", ["04", "07", "12", "14", "15", "41", "43", "46", "57", "R0", "R1", "R3"]
)
def test_visa_category_1_is_never_retried(code: str) -> None:
    decline = FailureDetails(decline_code="generic_decline", network_decline_code=code)
    assert verdict(decline, [], DAY0).earliest is None


@pytest.mark.parametrize("code", ["03", "21", "01"])
def test_mastercard_codes_that_forbid_a_retry(code: str) -> None:
    decline = FailureDetails(decline_code="generic_decline", network_advice_code=code)
    assert verdict(decline, [], DAY0).earliest is None


@pytest.mark.parametrize(
    ("code", "hours"),
    [
        ("02", 72),
        ("24", 1),
        ("25", 24),
        ("26", 48),
        ("27", 96),
        ("28", 144),
        ("29", 192),
        ("30", 240),
    ],
)
def test_mastercard_retry_after(code: str, hours: int) -> None:
    decline = FailureDetails(decline_code="generic_decline", network_advice_code=code)
    result = verdict(decline, [], DAY0)
    assert result.earliest == DAY0 + timedelta(hours=hours)
    assert f"Mastercard advice {code}" in result.reason


def test_visa_allows_at_most_20_retries_in_30_days() -> None:
    attempts = [failed(DAY0 + timedelta(hours=i), i + 1) for i in range(20)]
    now = DAY0 + timedelta(days=2)
    result = verdict(FailureDetails(decline_code="insufficient_funds"), attempts, now)
    assert result.earliest == attempts[0].at + timedelta(days=30)


def test_visa_cap_was_15_before_may_2025() -> None:
    assert visa_retry_cap(datetime(2025, 4, 30, tzinfo=UTC)) == 15
    assert visa_retry_cap(datetime(2025, 5, 1, tzinfo=UTC)) == 20


def test_mastercard_allows_at_most_10_declines_a_day() -> None:
    attempts = [failed(DAY0 + timedelta(minutes=i), i + 1) for i in range(9)]
    now = DAY0 + timedelta(hours=1)
    result = verdict(FailureDetails(decline_code="insufficient_funds"), attempts, now)
    assert result.earliest is not None and result.earliest > now
    assert "declines in a day" in result.reason


@pytest.mark.parametrize("method", [PaymentMethodType.ACH_DEBIT, PaymentMethodType.SEPA_DEBIT])
def test_bank_debits_are_presented_again_at_most_twice(method: PaymentMethodType) -> None:
    decline = FailureDetails(code="insufficient_funds", network_decline_code="R01")
    two = [failed(DAY0 + timedelta(days=3), 1), failed(DAY0 + timedelta(days=7), 2)]
    assert verdict(decline, two[:1], DAY0 + timedelta(days=7), method).earliest is not None
    assert verdict(decline, two, DAY0 + timedelta(days=8), method).earliest is None


def test_ach_only_r01_and_r09_may_be_presented_again() -> None:
    decline = FailureDetails(code="debit_failed", network_decline_code="R02")
    assert verdict(decline, [], DAY0, PaymentMethodType.ACH_DEBIT).earliest is None


def test_ach_representment_only_within_180_days() -> None:
    decline = FailureDetails(code="insufficient_funds", network_decline_code="R09")
    late = DAY0 + timedelta(days=181)
    assert verdict(decline, [], late, PaymentMethodType.ACH_DEBIT).earliest is None


def test_a_fresh_payment_method_may_be_charged_at_once() -> None:
    assert verdict(None, [], DAY0).earliest == DAY0


def test_windows_scale_with_a_compressed_clock() -> None:
    clock = CaseClock(DAY0, day_seconds=2)
    decline = FailureDetails(decline_code="generic_decline", network_advice_code="02")
    result = retry_verdict(
        method=CARD,
        last_decline=decline,
        last_decline_at=DAY0,
        attempts_on_method=[],
        clock=clock,
        now=DAY0,
    )
    assert result.earliest == DAY0 + timedelta(seconds=6), "72 policy hours = 3 days = 6 s"


def test_the_visa_cap_in_force_is_the_one_on_the_case_s_calendar_when_it_failed() -> None:
    # A case on a compressed clock whose failure fell in April 2025 (a backtest of last
    # year, or a lab world starting then): its calendar, not the wall clock, says which
    # cap held. 15 retries in 30 days fill it then; 20 would be needed now.
    attempts = [failed(DAY0 + timedelta(seconds=i), i + 1) for i in range(15)]

    def earliest(clock: CaseClock) -> datetime | None:
        return retry_verdict(
            method=CARD,
            last_decline=FailureDetails(decline_code="insufficient_funds"),
            last_decline_at=attempts[-1].at,
            attempts_on_method=attempts,
            clock=clock,
            now=DAY0 + timedelta(seconds=16),
        ).earliest

    april = CaseClock(DAY0, day_seconds=1, failed_at=datetime(2025, 4, 1, tzinfo=UTC))
    assert earliest(april) == attempts[0].at + april.days(30), "at most 15 in April 2025"
    today = CaseClock(DAY0, day_seconds=1)
    assert earliest(today) == attempts[-1].at, "20 allowed since May 2025"
    # Failed on 25 April 2025, its 16th retry weighed on 11 May: the case keeps the cap it
    # opened under, so what it planned while it waited still holds when it wakes.
    spanning = CaseClock(DAY0, day_seconds=1, failed_at=datetime(2025, 4, 25, tzinfo=UTC))
    assert earliest(spanning) == attempts[0].at + spanning.days(30), "the stricter, kept"

"""Network fees, counted from a card's charges as the published rules bill them."""

from datetime import UTC, datetime, timedelta

from worlds.fees import CardCharge, network_fees

START = datetime(2026, 6, 1, tzinfo=UTC)


def declines(count: int, every: timedelta, **codes: str) -> list[CardCharge]:
    return [
        CardCharge(at=START + n * every, succeeded=False, decline_code="do_not_honor", **codes)
        for n in range(count)
    ]


def test_visa_bills_each_retry_beyond_20_in_30_days() -> None:
    assert network_fees(declines(21, timedelta(days=1))) == 0, "the first charge is no retry"
    assert network_fees(declines(22, timedelta(days=1))) == 10
    assert network_fees(declines(23, timedelta(days=1))) == 20
    assert network_fees(declines(30, timedelta(days=2))) == 0, "spread over 60 days"


def test_visa_bills_any_retry_of_a_category_1_decline() -> None:
    charges = declines(3, timedelta(days=2), network_decline_code="43")
    assert network_fees(charges) == 20


def test_mastercard_bills_retries_after_advice_03_and_too_early_ones() -> None:
    assert network_fees(declines(2, timedelta(days=1), network_advice_code="03")) == 3
    early = [
        CardCharge(START, False, "insufficient_funds", None, "25"),
        CardCharge(START + timedelta(hours=2), False, "insufficient_funds", None, "25"),
        CardCharge(START + timedelta(hours=30), True),
    ]
    assert network_fees(early) == 2, "24 h asked, retried after 2 h; then after 28 h"

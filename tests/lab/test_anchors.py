"""The calendar moments a plan waits for, found from retries: the hour money lands by only
where invoices failing at one hour were retried at several."""

import random

from dunning.contract.enums import PaymentMethodType
from lab.anchors import anchor_of, landing_hour
from lab.attempts import Attempt


def retry(day: int, hour: int, failed_hour: int, succeeded: bool, **more: object) -> Attempt:
    fields: dict[str, object] = {
        "method": PaymentMethodType.CARD,
        "day": day,
        "payday": False,
        "paydays_passed": 0,
        "succeeded": succeeded,
        "reason": "insufficient_funds",
        "weekday": day % 7,
        "hour": hour,
        "failed_hour": failed_hour,
    }
    return Attempt(**(fields | more))  # type: ignore[arg-type]


def test_the_hour_money_lands_by_is_found_among_retries_of_one_failure_hour() -> None:
    """Invoices failing at 02:00 or 14:00, each retried at 05:00 or 17:00 on days 1-4:
    retries from 08:00 on succeed three times as often."""
    rng = random.Random(5)
    made = [
        retry(1 + n % 4, hour, failed, rng.random() < (0.45 if hour >= 8 else 0.15))
        for n in range(2400)
        for failed, hour in [(rng.choice((2, 14)), rng.choice((5, 17)))]
    ]
    found = landing_hour(made)
    assert found is not None and found[0] == 17, "the first hour retried at past 08:00"
    assert found[1] > 2


def test_retries_at_their_failure_s_hour_cannot_tell_an_hour_from_its_customers() -> None:
    """Invoices failing at 17:00 recover three times as often as those failing at 05:00,
    and each is retried at its failure's hour: whoever fails at 17:00, not the hour."""
    rng = random.Random(5)
    made = [
        retry(1 + n % 4, hour, hour, rng.random() < (0.45 if hour >= 8 else 0.15))
        for n in range(2400)
        for hour in [rng.choice((5, 17))]
    ]
    assert landing_hour(made) is None


def test_the_larger_calendar_effect_is_waited_for() -> None:
    rng = random.Random(9)
    made = [
        retry(
            1 + n % 6,
            12,
            12,
            rng.random() < (0.6 if friday else 0.4 if payday else 0.15),
            payday=payday,
            weekday=4 if friday else n % 4,
        )
        for n in range(3000)
        for payday, friday in [(rng.random() < 0.2, rng.random() < 0.3)]
    ]
    anchor = anchor_of(made)
    assert anchor is not None and anchor.weekday == 4 and anchor.name == "Fridays"
    without_fridays = [a for a in made if a.weekday != 4]
    paydays = anchor_of(without_fridays)
    assert paydays is not None and paydays.weekday is None and paydays.name == "paydays"
    only_mondays = anchor_of(made, weekdays=(0,))
    assert only_mondays is not None and only_mondays.name == "paydays", "Fridays not weighed"

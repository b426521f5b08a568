"""A retry's chance compared by what was true of it: the learner reports a decline code
that recovers more often, and says so when a trait cannot be compared."""

import random
import re

from dunning.contract.enums import PaymentMethodType
from lab.attempts import Attempt, by_day, trait_notes
from lab.compare import lift


def attempts(seed: int = 7) -> list[Attempt]:
    """Retries on days 1-7 at noon on every weekday: insufficient funds come back twice as
    often as a do-not-honor on the same day; the weekday changes nothing."""
    rng = random.Random(seed)
    made = []
    for n in range(1400):
        reason = "insufficient_funds" if n % 2 else "do_not_honor"
        chance = 0.4 if reason == "insufficient_funds" else 0.2
        made.append(
            Attempt(
                method=PaymentMethodType.CARD,
                day=1 + n % 7,
                payday=False,
                paydays_passed=0,
                succeeded=rng.random() < chance,
                reason=reason,
                weekday=(n // 2) % 7,
                hour=12,
            )
        )
    return made


def test_a_decline_code_that_recovers_more_often_is_reported() -> None:
    ratio, z = lift(attempts(), lambda a: a.reason == "insufficient_funds", by_day)
    assert 1.6 < ratio < 2.5 and z > 4
    codes, weekdays, hours, advice, network = trait_notes(attempts())
    found = dict(re.findall(r"(\w+) (\d\.\d\d)x", codes.removeprefix("decline code: ")))
    assert float(found["insufficient_funds"]) > 1.5 and float(found["do_not_honor"]) < 0.7
    assert weekdays == "weekday: no level differs"
    assert hours == "hour: every retry had the same (12:00)"
    assert advice == "advice code: every retry had the same (none)"
    assert network == "network code: every retry had the same (none)"


def test_a_weekday_that_only_follows_paydays_is_not_taken_for_an_effect() -> None:
    """Every Monday retry comes just after a payday, and payday retries succeed more: the
    weekday is compared with other retries just after a payday, and differs in nothing."""
    rng = random.Random(3)
    made = []
    for n in range(2800):
        payday = n % 4 == 0
        made.append(
            Attempt(
                method=PaymentMethodType.CARD,
                day=1 + n % 7,
                payday=payday,
                paydays_passed=int(payday),
                succeeded=rng.random() < (0.5 if payday else 0.2),
                reason="insufficient_funds",
                weekday=0 if payday and n % 8 == 0 else 1 + n % 6,
                hour=12,
            )
        )
    assert lift(made, lambda a: a.weekday == 0, by_day)[1] > 4, (
        "Mondays look better, by the day alone"
    )
    assert trait_notes(made)[1] == "weekday: no level differs"


def test_a_level_with_too_few_retries_is_not_compared() -> None:
    few = [a for a in attempts() if a.reason == "do_not_honor"][:20]
    many = [a for a in attempts() if a.reason == "insufficient_funds"]
    codes = trait_notes(few + many)[0]
    assert codes == "decline code: no level differs"

"""Calendar moments that bring money back, which a plan's retries can wait for: paydays
(the 1st and the 15th), a weekly payroll's weekday, and the hour of the day money has
landed by."""

from collections.abc import Callable, Collection
from dataclasses import dataclass

from lab.attempts import WEEKDAYS, Attempt, alike_from_one_hour, by_day, differences
from lab.compare import MIN_LIFT, lift, significant_z

MIN_Z = 2.0
"""A calendar moment is waited for only when its retries succeed `MIN_LIFT` times as often
as others alike, and this surely (a weekday must also clear the bar for one among seven,
`lab.compare.significant_z`)."""
PAYDAY_SPACING_DAYS = 15.2
"""Paydays (`dunning.rules.calendar.PAYDAYS`) come about this far apart."""
WEEK_DAYS = 7.0
"""A weekly payroll's paydays come this far apart."""


@dataclass(frozen=True)
class Anchor:
    """A calendar moment retries wait for, and how sure the wait is."""

    name: str
    """For the notes: `paydays`, or the weekday's name in the plural."""
    spacing_days: float
    """About how far apart the moments come."""
    weekday: int | None
    """None for paydays; else the weekday (0 is Monday)."""
    ratio: float
    """How much likelier a retry just after it succeeds (Mantel-Haenszel)."""
    z: float
    """How surely (Cochran-Mantel-Haenszel)."""


def payday_lift(attempts: list[Attempt]) -> tuple[float, float]:
    """How much likelier a retry just after a payday succeeds than another the same day
    since the failure, and the z that says how surely."""
    return lift(attempts, lambda a: a.payday, by_day)


def anchor_of(attempts: list[Attempt], weekdays: Collection[int] = range(7)) -> Anchor | None:
    """The calendar moment whose retries gain the most, if any gains enough surely enough:
    the paydays, or one of `weekdays`."""
    found = []
    ratio, z = payday_lift(attempts)
    if ratio >= MIN_LIFT and z >= MIN_Z:
        found.append(Anchor("paydays", PAYDAY_SPACING_DAYS, None, ratio, z))
    for weekday in differences(attempts, "weekday") or []:
        day = WEEKDAYS.index(weekday.level)
        if day in weekdays and weekday.ratio >= MIN_LIFT and weekday.z >= MIN_Z:
            found.append(Anchor(f"{weekday.level}s", WEEK_DAYS, day, weekday.ratio, weekday.z))
    return max(found, key=lambda anchor: anchor.ratio, default=None)


def landing_hour(attempts: list[Attempt]) -> tuple[int, float, float] | None:
    """The hour of the day money has landed by: of the hours retries were made at, the one
    that best splits the retries made from it on from those made earlier that day (by the
    Cochran-Mantel-Haenszel z against retries alike whose invoices failed at the same
    hour), with the ratio and z, if a split is large enough and sure enough for one among
    as many as were tried. Retries made only at their failure's hour cannot say."""
    hours = sorted({attempt.hour for attempt in attempts})[1:]
    splits = []
    for hour in hours:
        ratio, z = lift(attempts, _from_hour(hour), alike_from_one_hour)
        splits.append((z, ratio, hour))
    bar = max(MIN_Z, significant_z(len(splits)))
    found = [(z, ratio, hour) for z, ratio, hour in splits if ratio >= MIN_LIFT and z >= bar]
    if not found:
        return None
    z, ratio, hour = max(found)
    return hour, ratio, z


def _from_hour(hour: int) -> Callable[[Attempt], bool]:
    return lambda attempt: attempt.hour >= hour

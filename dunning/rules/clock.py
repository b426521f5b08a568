"""The case's clock: policy days mapped onto real time, compressed by `day_seconds`."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from dunning.contract.case import REAL_DAY_SECONDS

JITTER = timedelta(seconds=1)
"""Real time a worker may take to get to a due step without the case counting as late. On a
compressed clock one second can be a policy day, and an ordinary workflow task's latency
must not move a schedule."""


@dataclass(frozen=True)
class CaseClock:
    """Converts policy days and hours into datetimes for one case."""

    day0: datetime
    """Day 0 of the schedule."""
    day_seconds: int = REAL_DAY_SECONDS
    """Length of a policy day in seconds."""
    shift: timedelta = timedelta()
    """How far pauses and extensions have pushed every remaining step."""
    failed_at: datetime | None = None
    """The calendar moment of the failure; None: day 0 is the calendar."""

    def days(self, n: float) -> timedelta:
        """A span of `n` policy days."""
        return _span(n * self.day_seconds)

    def hours(self, n: float) -> timedelta:
        """A span of `n` policy hours."""
        return _span(n / 24 * self.day_seconds)

    def tolerance(self, hours: float) -> timedelta:
        """How late a step may run: `hours` policy hours, and never less than `JITTER`."""
        return max(self.hours(hours), JITTER)

    def in_days(self, span: timedelta) -> float:
        """A span in policy days."""
        return span / timedelta(seconds=self.day_seconds)

    def on_day(self, n: float) -> datetime:
        """The moment of policy day `n` of this case."""
        return self.day0 + self.shift + _span(n * self.day_seconds)

    def day_of(self, moment: datetime) -> float:
        """The policy day a moment falls on, counted from day 0 without the shift."""
        return (moment - self.day0) / timedelta(seconds=self.day_seconds)

    def calendar(self, moment: datetime) -> datetime:
        """The calendar moment a case moment stands for: the failure plus the policy days
        elapsed, so calendar-aware timing works on a compressed clock as in production."""
        origin = self.failed_at or self.day0
        return origin + timedelta(days=self.day_of(moment))

    def from_calendar(self, calendar: datetime) -> datetime:
        """The case moment of a calendar moment."""
        origin = self.failed_at or self.day0
        return self.day0 + self.days((calendar - origin) / timedelta(days=1))


@lru_cache(maxsize=4096)  # a case asks for the same few spans on every plan
def _span(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)

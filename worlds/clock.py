"""A world's clock: world days on a compressed clock, and the calendar they stand for."""

import time
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import Field

MAX_WORLD_DAYS = 36_500.0
"""A hundred years: far past any dunning window, and well inside the calendar."""

WorldDays = Annotated[float, Field(ge=0, le=MAX_WORLD_DAYS, allow_inf_nan=False)]
"""World days in a world file: a day of the world, or days after something."""


class WorldClock:
    """World days on a compressed clock, and the calendar they stand for."""

    def __init__(self, day_seconds: float, calendar_start: datetime) -> None:
        self.day_seconds, self.calendar_start = day_seconds, calendar_start
        self.started = time.monotonic()

    def day(self) -> float:
        """The world day now."""
        return (time.monotonic() - self.started) / self.day_seconds

    def calendar(self, day: float | None = None) -> datetime:
        """The calendar moment of a world day (now by default)."""
        return self.calendar_start + timedelta(days=self.day() if day is None else day)

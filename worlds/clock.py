"""A world's clock: world days on a compressed clock, and the calendar they stand for."""

import time
from datetime import datetime, timedelta


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

"""Calendar facts the retry timing uses: paydays, weekdays and hours."""

from datetime import datetime, time, timedelta

PAYDAYS = (1, 15)
"""Days of the month most salaries and many AP runs land on."""
PAYDAY_MINUTE = time(0, 1)
"""A retry aligned to a payday goes out at 00:01 (ProfitWell Retain's finding)."""


def next_payday(moment: datetime) -> datetime:
    """The first payday 00:01 at or after `moment`, in the moment's time zone."""
    month = moment.date().replace(day=1)
    while True:
        for payday in PAYDAYS:
            candidate = datetime.combine(month.replace(day=payday), PAYDAY_MINUTE, moment.tzinfo)
            if candidate >= moment:
                return candidate
        month = (month + timedelta(days=32)).replace(day=1)


def is_payday_window(moment: datetime, days: float) -> bool:
    """`moment` falls within `days` after a payday's 00:01."""
    for payday in PAYDAYS:
        start = datetime.combine(moment.date().replace(day=payday), PAYDAY_MINUTE, moment.tzinfo)
        if start <= moment < start + timedelta(days=days):
            return True
    return False


def next_weekday(moment: datetime, weekday: int) -> datetime:
    """The first `weekday` 00:01 at or after `moment` (0 is Monday), in the moment's time
    zone: a weekly payroll lands by then, as a payday's does."""
    day = moment.date() + timedelta(days=(weekday - moment.weekday()) % 7)
    candidate = datetime.combine(day, PAYDAY_MINUTE, moment.tzinfo)
    return candidate if candidate >= moment else candidate + timedelta(days=7)


def at_hour(moment: datetime, hour: int) -> datetime:
    """`hour`:00 on the day of `moment`, in the moment's time zone."""
    return datetime.combine(moment.date(), time(hour), moment.tzinfo)

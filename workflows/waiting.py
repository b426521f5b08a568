"""Waiting in workflow code for a moment, or for a condition to come true first, to the
moment even when it is less than a second away.

Temporal fires no timer sooner than a second after it is set. On a compressed clock a
second can be a whole policy day, so a timer for a retry due a few hours later would fire
a day late. A wait shorter than that naps in the worker instead (`activities.nap`): an
activity that returns when the moment has come, and wakes the workflow as a timer would.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.workflow import ActivityCancellationType

with workflow.unsafe.imports_passed_through():
    from activities.nap import NAP

SHORTEST_TIMER = timedelta(seconds=1)
"""The shortest wait the server times to the moment (shorter timers fire after this)."""
NAP_OVERRUN = timedelta(seconds=2)
"""How long past its moment a started nap may run: one whose worker died wakes the case
then (its moment has passed, so the nap is not tried again)."""


async def wait_for(
    condition: Callable[[], bool], until: datetime | None, what: str, now: datetime | None = None
) -> bool:
    """Wait until `condition` holds (True), or `until` comes first (False); without
    `until`, for the condition alone. `what` names the wait in the Web UI; `now` is the
    workflow's clock as its caller reads it (default `workflow.now()`)."""
    span = until - (now or workflow.now()) if until is not None else None
    if span is not None and timedelta() < span < SHORTEST_TIMER:
        return await _nap(condition, span, what)
    try:
        timeout = max(span, timedelta()) if span is not None else None
        await workflow.wait_condition(condition, timeout=timeout, timeout_summary=what)
    except TimeoutError:
        return False
    return True


async def _nap(condition: Callable[[], bool], span: timedelta, what: str) -> bool:
    nap = workflow.start_activity(
        NAP,
        span.total_seconds(),
        start_to_close_timeout=span + NAP_OVERRUN,
        retry_policy=RetryPolicy(maximum_attempts=1),
        # A condition that comes true first ends the wait at once: the nap is cancelled
        # (the history says so) without waiting for it to hear of it.
        cancellation_type=ActivityCancellationType.TRY_CANCEL,
        summary=what,
    )
    await workflow.wait_condition(lambda: condition() or nap.done())
    if not nap.done():
        nap.cancel()
    elif not nap.cancelled():
        nap.exception()  # a nap cut short (its worker died) wakes the case all the same
    return condition()

"""A nap: a wait shorter than Temporal's shortest timer, taken in the worker."""

import asyncio

from temporalio import activity

NAP = "nap"
"""The activity's name, as workflows call it."""


@activity.defn(name=NAP)
async def nap(seconds: float) -> None:
    """Return after `seconds` (less than a second): a workflow that must act sooner than
    the server would fire a timer wakes when this completes."""
    await asyncio.sleep(seconds)

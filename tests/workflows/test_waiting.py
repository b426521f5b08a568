"""Waits shorter than Temporal's shortest timer, on the dev server's real clock.

The server fires no timer sooner than a second after it is set; at a second a policy day, a
retry due a few hours after the failure would run a whole day late. Such a wait naps in
the worker instead, and the step runs on its moment.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.nap import NAP, nap
from dunning.contract.case import DunningCase
from dunning.contract.enums import Outcome
from dunning.contract.messages import InvoicePaid, Signals
from dunning.contract.status import DunningStatus
from dunning.rules.policy import DunningPolicy
from harness.fakes import SUCCEEDED, FakeProviders
from harness.temporal import make_case, record, running, status_of, wait_for
from workflows.waiting import SHORTEST_TIMER

ONE_SECOND_DAYS = {"day_seconds": 1}
RETRY_DAY = 0.1
"""A retry a tenth of a policy day after the failure: a tenth of a second."""


def retried_soon() -> DunningCase:
    """A case whose only retry is due a tenth of a second after it opens."""
    policy = DunningPolicy(retries={"card": {"days": [RETRY_DAY]}})
    return make_case(policy=policy, options=ONE_SECOND_DAYS)


def retry_lateness(status: DunningStatus) -> timedelta:
    """How long after its moment the first retry was made."""
    due = status.timeline[0].at + timedelta(seconds=RETRY_DAY)
    return status.attempts[0].at - due


@dataclass
class Napping(FakeProviders):
    """Fakes whose worker naps with `napper` instead of the real nap."""

    napper: Callable[..., Any] = nap

    def activities(self) -> list[Callable[..., Any]]:
        return [a for a in super().activities() if a is not nap] + [self.napper]


@activity.defn(name=NAP)
async def broken_nap(seconds: float) -> None:
    raise ApplicationError("the worker went away mid-nap")


@activity.defn(name=NAP)
async def stuck_nap(seconds: float) -> None:
    await asyncio.sleep(60)  # a worker that hangs, or died without a word


async def test_a_retry_due_within_a_second_runs_on_its_moment(
    dev_env: WorkflowEnvironment,
) -> None:
    async with running(dev_env, FakeProviders(outcomes=[SUCCEEDED]), retried_soon()) as handle:
        outcome = await handle.result()
        status = await status_of(handle)
        history = await handle.fetch_history()
        await record(handle, "short_wait_napped")

    assert outcome.outcome is Outcome.RECOVERED and len(status.attempts) == 1
    late = retry_lateness(status)
    assert late < timedelta(seconds=0.5), f"a timer would have run it {late} late"
    naps = [
        e
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name == NAP
    ]
    assert naps, "the wait was napped, not timed"
    timers = [
        e.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED
    ]
    assert all(timer >= SHORTEST_TIMER for timer in timers), timers


async def test_a_message_ends_a_nap_at_once(dev_env: WorkflowEnvironment) -> None:
    # Every wait of this case is shorter than a second; a payment ends the one it is in.
    policy = DunningPolicy(retries={"card": {"days": [0.9, 1.8, 2.7]}})
    case = make_case(policy=policy, options=ONE_SECOND_DAYS)
    fakes = FakeProviders(outcomes=["insufficient_funds"])
    async with running(dev_env, fakes, case) as handle:
        await wait_for(handle, lambda s: s.stage == "retrying", "classification")
        await handle.signal(Signals.INVOICE_PAID, InvoicePaid(via="stripe"))
        outcome = await handle.result()
        history = await handle.fetch_history()

    assert outcome.outcome is Outcome.RECOVERED and outcome.attempts == 0
    kinds = [e.event_type for e in history.events]
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED in kinds, (
        "the nap was let go when the payment came, not waited out"
    )


async def test_a_nap_cut_short_wakes_the_case_all_the_same(dev_env: WorkflowEnvironment) -> None:
    fakes = Napping(outcomes=[SUCCEEDED], napper=broken_nap)
    async with running(dev_env, fakes, retried_soon()) as handle:
        outcome = await handle.result()

    assert outcome.outcome is Outcome.RECOVERED and outcome.attempts == 1


async def test_a_nap_that_never_returns_wakes_the_case_within_seconds(
    dev_env: WorkflowEnvironment,
) -> None:
    fakes = Napping(outcomes=[SUCCEEDED], napper=stuck_nap)
    async with running(dev_env, fakes, retried_soon()) as handle:
        # The nap times out 2 s after its moment; a minute would mean it was waited out.
        outcome = await asyncio.wait_for(handle.result(), timeout=20)
        status = await status_of(handle)

    assert outcome.outcome is Outcome.RECOVERED
    assert retry_lateness(status) < timedelta(seconds=10)

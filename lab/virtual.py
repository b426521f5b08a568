"""Cases run in memory on a virtual clock: the case machine of `DunningWorkflow`, with
in-memory effects, and messages delivered at the moments a script names.

Nothing here sleeps: the clock jumps from one due moment to the next, so a 60-day case
runs in well under a millisecond. The case machine is the production code; only time,
messages and the providers are stand-ins.
"""

import contextlib
import heapq
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from dunning.contract.case import DunningCase
from dunning.contract.messages import signal_name
from dunning.machine import transitions
from dunning.machine.decisions import Decision, Wait
from dunning.machine.effects import Effects
from dunning.machine.fit import Message
from dunning.machine.run import outgrew_history, run_case
from dunning.machine.state import CaseState
from dunning.rules.clock import CaseClock
from lab.scripted import Clock


class Idle(Exception):
    """The case waits on a person and nothing more is scripted to happen, or its next
    moment lies past the horizon."""


@dataclass(order=True)
class _Due:
    at: datetime
    order: int
    run: Callable[[], None] = field(compare=False)


class VirtualClock(Clock):
    """A clock that moves only when told to, running what falls due on the way."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._due: list[_Due] = []

    def now(self) -> datetime:
        return self._now

    def at(self, moment: datetime, run: Callable[[], None]) -> None:
        """Run `run` when the clock reaches `moment`."""
        heapq.heappush(self._due, _Due(moment, len(self._due), run))

    def next_due(self) -> datetime | None:
        """The moment of the next scheduled happening, if any."""
        return self._due[0].at if self._due else None

    def advance_to(self, moment: datetime) -> None:
        """Move to `moment`, running everything due on the way, in order."""
        while self._due and self._due[0].at <= moment:
            due = heapq.heappop(self._due)
            self._now = max(self._now, due.at)
            due.run()
        self._now = max(self._now, moment)

    async def elapse(self, span: timedelta) -> None:
        self.advance_to(self._now + span)

    def let_go(self) -> None:
        """Drop what is still due, once nothing will run on this clock again: each
        happening holds what scheduled it, which holds the clock, a cycle only the garbage
        collector would free."""
        self._due.clear()


Outage = tuple[datetime, datetime]
"""A span in which no worker runs the case: it wakes only when the span ends."""


class VirtualRuntime:
    """`dunning.machine.effects.Runtime` on a virtual clock, up to a horizon, through the
    worker outages it is given."""

    def __init__(
        self, clock: VirtualClock, horizon: datetime, outages: Sequence[Outage] = ()
    ) -> None:
        self.clock, self.horizon, self.outages = clock, horizon, sorted(outages)
        self.early: list[Message] = []
        """Messages that arrived while the case was classifying: taken once it has."""

    def now(self) -> datetime:
        return self.clock.now()

    def take_early(self, state: CaseState) -> bool:
        """Hand a classified case the messages that arrived while it classified, as the
        workflow does before the case's first decision; whether there were any."""
        if state.classification is None or not self.early:
            return False
        for message in self.early:
            deliver(state, message, self.now())
        self.early = []
        return True

    async def sleep(self, state: CaseState, wait: Wait) -> None:
        if self.take_early(state):
            return
        if outgrew_history(state):
            transitions.carry_over(state, self.now())
        revision = state.revision
        while state.revision == revision:
            due = self.clock.next_due()
            if wait.until is not None and (due is None or wait.until < due):
                if wait.until > self.horizon:
                    raise Idle(f"next moment {wait.until} is past the horizon")
                self.clock.advance_to(wait.until)
                break
            if due is None or due > self.horizon:
                raise Idle("waiting on a person, and nothing more is scripted")
            self.clock.advance_to(due)
        self._sit_out_outage()

    def _sit_out_outage(self) -> None:
        """A case due while no worker runs wakes when a worker is back."""
        now = self.clock.now()
        for start, end in self.outages:
            if start <= now < end:
                self.clock.advance_to(end)

    def published(self, state: CaseState, decision: Decision | None) -> None:
        """Nothing to publish in memory: the state is there to read."""


def deliver(state: CaseState, message: Message, now: datetime) -> None:
    """A message reaches the case as a signal does."""
    why = transitions.receive(state, message, now)
    if why:
        transitions.ignore(state, now, signal_name(message), why)


class VirtualCase:
    """One case on a virtual clock, and the messages the world sends it."""

    def __init__(
        self,
        case: DunningCase,
        clock: VirtualClock,
        horizon_days: float,
        outages: Sequence[Outage] = (),
    ) -> None:
        self.clock = clock
        self.state = transitions.open_case(case, clock.now())
        horizon = self.state.clock.on_day(horizon_days)
        self.runtime = VirtualRuntime(clock, horizon, outages)

    def post(self, moment: datetime, message: Message) -> None:
        """The case receives `message` at `moment`, as a signal, unless it has closed by then
        (a closed workflow takes no more signals)."""
        self.clock.at(moment, lambda: self.receive(message))

    def receive(self, message: Message) -> None:
        """The case receives `message` now (kept until it has classified itself)."""
        if self.state.is_closed:
            return
        if self.state.classification is None:
            self.runtime.early.append(message)
        else:
            deliver(self.state, message, self.clock.now())

    def run(self, effects: Effects) -> CaseState:
        """Run the case to its end, or until it idles."""
        with contextlib.suppress(Idle):
            drive(run_case(self.state, effects, self.runtime))
        return self.state


def simulate(
    case: DunningCase,
    effects: Effects,
    *,
    clock: VirtualClock | None = None,
    messages: Sequence[tuple[float, Message]] = (),
    on_message: Callable[[Message], Message] | None = None,
    horizon_days: float = 400,
    outages: Sequence[tuple[float, float]] = (),
) -> CaseState:
    """Run a case to its end (or until it idles) and return its state.

    `messages` are (policy day, message) pairs, delivered as signals at day0 + that many
    policy days; `on_message` lets the world see each one first and say what reaches the
    case (a customer attaching a card changes what the next charge returns, and the event
    names the card). `outages` are (policy day, days) spans in which no worker runs.
    """
    clock = clock or VirtualClock(case.failed_at)
    on_day = CaseClock(clock.now(), case.options.day_seconds).on_day
    spans = [(on_day(start), on_day(start + length)) for start, length in outages]
    running = VirtualCase(case, clock, horizon_days, spans)
    for day, message in messages:

        def arrive(message: Message = message) -> None:
            if not running.state.is_closed:
                running.receive(on_message(message) if on_message else message)

        running.clock.at(running.state.clock.on_day(day), arrive)
    return running.run(effects)


def drive(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine that never suspends (in-memory effects, a virtual clock) to its end,
    without an event loop."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("an in-memory case suspended: its effects must not wait on real I/O")

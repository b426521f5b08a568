"""What the planner weighs: each thing a case would do by itself, at its moment."""

from datetime import datetime
from typing import NamedTuple

from dunning.contract.enums import NextActionKind, Team
from dunning.contract.status import NextAction
from dunning.machine.decisions import Action, Precedence, Route


class Candidate(NamedTuple):
    """Something the case will do at `at`, unless something earlier changes the case. (A
    named tuple: every plan weighs several, and a frozen dataclass costs twice as much to
    make.)"""

    at: datetime
    precedence: Precedence
    action: Action
    kind: NextActionKind
    detail: str

    @property
    def next_action(self) -> NextAction:
        """What the case shows while it waits for this."""
        return NextAction(kind=self.kind, at=self.at, detail=self.detail)


def route_to(at: datetime, key: str, team: Team, reason: str) -> Candidate:
    """A hand-off to a team at `at`."""
    return hand_off(at, Route(key, team, reason))


def hand_off(
    at: datetime, route: Route, detail: str = "", precedence: Precedence = Precedence.HAND_OFF
) -> Candidate:
    """A hand-off, shown as an escalation."""
    detail = detail or f"route to {route.team}"
    return Candidate(at, precedence, route, NextActionKind.ESCALATE, detail)

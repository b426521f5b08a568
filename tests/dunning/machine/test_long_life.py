"""A long life: the timeline is summarized, nothing is lost, the case goes on."""

from dunning.contract.enums import OperatorAction, Outcome
from dunning.contract.messages import OperatorDecision
from dunning.machine import transitions
from dunning.machine.run import TIMELINE_BOUND
from dunning.machine.state import CaseState
from harness.temporal import make_case
from lab.scripted import ScriptedProviders
from lab.virtual import simulate

PAUSE = OperatorDecision(action=OperatorAction.PAUSE, actor="op")
RESUME = OperatorDecision(action=OperatorAction.RESUME, actor="op")


def total(state: CaseState, event: str) -> int:
    """Entries of `event` over the case's whole life: summarized, and still whole."""
    whole = sum(1 for entry in state.timeline if entry.event == event)
    return state.summarized.get(event, 0) + whole


def test_a_case_paused_and_resumed_500_times_keeps_every_count_and_ends() -> None:
    messages = [
        (0.5 + i * 0.01 + (0.004 if message is RESUME else 0), message)
        for i in range(500)
        for message in (PAUSE, RESUME)
    ]
    providers = ScriptedProviders(outcomes=["insufficient_funds"])
    state = simulate(make_case(), providers, messages=messages)
    assert state.generation >= 2, "the case carried its state over more than once"
    assert len(state.timeline) <= TIMELINE_BOUND + 60
    assert total(state, "operator_decision") == 1000, "no decision lost"
    assert [e.event for e in state.timeline].count("summarized") == 1
    assert state.outcome is not None and state.outcome.outcome is Outcome.END_STATE_APPLIED
    assert len(state.attempts) == 4, "the schedule went on after the pauses"


def test_each_carry_over_folds_the_earlier_summary_in() -> None:
    state = simulate(make_case(), ScriptedProviders(), horizon_days=0)
    before = len(state.timeline)
    for _ in range(3):
        for _ in range(60):
            transitions.note(state, state.day0, "noted")
        transitions.carry_over(state, state.day0)
    assert total(state, "noted") == 180
    assert total(state, "carried_over") == 3
    assert sum(state.summarized.values()) + len(state.timeline) - 1 == before + 180 + 3

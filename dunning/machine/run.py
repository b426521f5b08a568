"""The case machine: plan, show, then wait or act, until the case closes.

The same loop runs in `DunningWorkflow` (Temporal effects and timers), in the property
tests and in the backtest (in-memory effects on a virtual clock).
"""

from dunning.contract.status import DunningOutcome
from dunning.machine import transitions
from dunning.machine.decisions import Wait
from dunning.machine.effects import Effects, Runtime
from dunning.machine.planner import Plan, plan
from dunning.machine.state import CaseState
from dunning.machine.steps import CaseSteps

TIMELINE_BOUND = 400
"""A timeline longer than this (a case paused and resumed for months) is carried into a
fresh history with its oldest entries summarized."""


def outgrew_history(state: CaseState) -> bool:
    """The case should carry its state into a fresh history before it sleeps again."""
    return len(state.timeline) > TIMELINE_BOUND


async def run_case(state: CaseState, effects: Effects, runtime: Runtime) -> DunningOutcome:
    """Run a case (new, or carried over) to its outcome."""
    steps = CaseSteps(state, effects, runtime.now)
    if state.classification is None:
        await steps.gather_facts()
        # A customer who acted while the case classified is heard before its first decision.
        runtime.take_early(state)
    ahead: Plan | None = None
    while not state.is_closed:
        planned = ahead or plan(state, runtime.now())
        decision, ahead = planned.decision, None
        next_action = decision.next_action if isinstance(decision, Wait) else None
        transitions.show(state, planned.stage, next_action)
        runtime.published(state, decision)
        if isinstance(decision, Wait):
            revision = state.revision
            await runtime.sleep(state, decision)
            if decision.until is None:
                continue
            if state.revision == revision and runtime.now() == decision.until:
                ahead = planned.then  # woken on time, and nothing reached the case
            else:
                transitions.catch_up(state, decision.until, runtime.now())
        else:
            started = runtime.now()
            await steps.carry_out(decision)
            transitions.catch_up(state, started, runtime.now())
    runtime.published(state, None)
    assert state.outcome is not None
    return state.outcome

"""A wait's plan for its end is the plan the case would make then: a case woken on time,
with nothing new, carries it out without planning again (`dunning.machine.run`). Checked
at every wait of generated cases and of a generated world, against planning again."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest import mock

from hypothesis import given, settings

from dunning.contract.case import FailureDetails
from dunning.contract.enums import (
    CustomerTier,
    EmailTemplate,
    EndAction,
    FailureCategory,
    PaymentMethodType,
)
from dunning.machine import run
from dunning.machine.decisions import Wait
from dunning.machine.planner import Plan, plan
from dunning.machine.state import CaseState
from dunning.providers.facts import AccountFacts
from dunning.rules.policy import DunningPolicy, EmailStep, EndStateRule, RetrySchedule
from harness.temporal import make_case
from lab.backtest import run_world
from lab.scripted import ScriptedProviders
from lab.virtual import VirtualClock, simulate
from tests.dunning.machine.test_properties import Scenario, scenarios
from worlds.generate import generate
from worlds.model import World

R01 = FailureDetails(code="insufficient_funds", network_decline_code="R01")


@contextmanager
def every_plan_ahead_checked() -> Iterator[list[Plan]]:
    """Each wait the case machine plans is checked: planning again at its end, with the
    case as it stands, gives the plan it made ahead. Yields the plans made ahead."""
    ahead: list[Plan] = []

    def checked(state: CaseState, now: datetime) -> Plan:
        planned = plan(state, now)
        wait = planned.decision
        if isinstance(wait, Wait) and wait.until is not None:
            assert planned.then == plan(state, wait.until), f"at {now}, for {wait.until}"
            ahead.append(planned)
        return planned

    with mock.patch.object(run, "plan", checked):
        yield ahead


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_a_wait_plans_what_the_case_would_plan_when_it_ends(sim: Scenario) -> None:
    with every_plan_ahead_checked():
        sim.run()


def test_every_wait_of_a_world_plans_what_its_end_brings() -> None:
    world = World.model_validate(generate(150, 61))
    with every_plan_ahead_checked() as ahead:
        run_world(world, DunningPolicy())
    assert len(ahead) > 150, "most cases wait for something"


def test_the_first_email_held_back_by_the_gap_waits_for_a_retry_due_soon_after_it() -> None:
    # A reminder goes out on day 0; the first retry fails at 0.25, so `payment_failed` is
    # due, but the 24-hour gap holds it to day 1. The next retry comes at 1.5: within the
    # silent window of when the email would go out, so it is never planned at all (the
    # window counted from day 0.25 would have planned it for day 1, then dropped it).
    cadence = (
        EmailStep(template=EmailTemplate.REMINDER, day=0),
        EmailStep(template=EmailTemplate.PAYMENT_FAILED, day=0, after_failed_retries=1),
    )
    policy = DunningPolicy(
        retries={PaymentMethodType.CARD: RetrySchedule(days=(0.25, 1.5))},
        email_cadence={FailureCategory.SOFT_DECLINE: cadence},
    )
    case = make_case(policy=policy.model_dump(mode="json"))
    clock = VirtualClock(case.failed_at)
    providers = ScriptedProviders(outcomes=["insufficient_funds"], clock=clock)

    with every_plan_ahead_checked() as ahead:
        state = simulate(case, providers, clock=clock)

    day = state.clock.day_of
    emails = [(e.template, day(e.at)) for e in state.emails]
    assert emails[:2] == [(EmailTemplate.REMINDER, 0), (EmailTemplate.PAYMENT_FAILED, 1.5)]
    assert [day(a.at) for a in state.attempts] == [0.25, 1.5]
    assert ahead, "the case waited"


def test_a_debit_due_past_its_representment_window_is_never_planned() -> None:
    # A schedule whose second debit falls on day 190, past the 180 days NACHA allows: the
    # case never waits for it (waiting, it would wake on day 190 to a retry forbidden then).
    long = EndStateRule(final_notice_day=250, end_day=260, action=EndAction.CANCEL_SUBSCRIPTION)
    policy = DunningPolicy(
        retries={PaymentMethodType.ACH_DEBIT: RetrySchedule(days=(3, 190))},
        end_states={**DunningPolicy().end_states, CustomerTier.SELF_SERVE: long},
    )
    failure = {"code": "insufficient_funds", "network_decline_code": "R01"}
    case = make_case(
        payment_method_type="ach_debit", failure=failure, policy=policy.model_dump(mode="json")
    )
    clock = VirtualClock(case.failed_at)
    providers = ScriptedProviders(
        outcomes=[R01], settles_after=timedelta(days=2), clock=clock, account=AccountFacts()
    )

    with every_plan_ahead_checked():
        state = simulate(case, providers, clock=clock)

    assert [state.clock.day_of(a.at) for a in state.attempts] == [3]
    assert state.outcome is not None and state.clock.day_of(state.outcome.closed_at) == 260

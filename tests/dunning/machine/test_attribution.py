"""Whose money paid: a retry made on a card the customer attached before the case heard of
it (Stripe charges the customer's default card) is the new card's recovery, as it would be
had the update come first, and says nothing of when the old card's money comes back."""

from dunning.contract.enums import Outcome, Resolution
from harness.temporal import make_case
from lab.attempts import attempts_of
from lab.backtest import case_line
from lab.scripted import Card, ScriptedProviders
from lab.virtual import VirtualClock, simulate


def retried(*, attached_unheard: bool) -> ScriptedProviders:
    """The original card declines its first retry and pays its second; the customer may
    have attached a card that pays, of which no event reached the case."""
    providers = ScriptedProviders(
        outcomes=["insufficient_funds", "succeeded"],
        new_cards=[Card(fingerprint="card_new")],
    )
    if attached_unheard:
        providers.attach_card()
    return providers


def test_a_retry_paid_by_a_card_the_case_had_not_heard_of_is_the_new_card_s() -> None:
    case = make_case()
    state = simulate(case, retried(attached_unheard=True), clock=VirtualClock(case.failed_at))

    assert state.outcome is not None and state.outcome.outcome is Outcome.RECOVERED
    assert state.outcome.resolution is Resolution.PAYMENT_METHOD_UPDATE
    assert [(a.card, a.scheduled) for a in state.attempts] == [(1, True)]
    assert "paid_by_new_card" in [entry.event for entry in state.timeline]
    assert attempts_of([case_line(state)]) == [], "no evidence of the old card's money"


def test_a_retry_paid_by_the_card_that_failed_is_the_retry_s() -> None:
    case = make_case()
    state = simulate(case, retried(attached_unheard=False), clock=VirtualClock(case.failed_at))

    assert state.outcome is not None and state.outcome.resolution is Resolution.RETRY
    assert [a.card for a in state.attempts] == [0, 0]
    assert "paid_by_new_card" not in [entry.event for entry in state.timeline]

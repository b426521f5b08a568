"""A case that wakes late (a worker down, a queue paused, an outage of days) keeps its
promises: the remaining schedule moves by the lateness, missed retries are still made, the
emails keep their spacing and the end action keeps its notice period.

Each case runs twice through the production case machine: calmly, and through worker
outages that make it wake late. The late run must do what the calm one did, later.
"""

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dunning.contract.case import DunningCase
from dunning.contract.enums import CustomerTier, EmailTemplate, Outcome, PaymentMethodType
from dunning.machine.state import CaseState
from dunning.providers.facts import AccountFacts
from dunning.rules.policy import DunningPolicy, RetrySchedule
from lab.scripted import SUCCEEDED, ScriptedProviders
from lab.virtual import VirtualClock, simulate

START = datetime(2026, 6, 1, tzinfo=UTC)
SOFT = ["insufficient_funds", "generic_decline", "do_not_honor", "processing_error"]


def card_case(decline: str = "insufficient_funds") -> DunningCase:
    return DunningCase.model_validate(
        {
            "invoice_id": "in_late",
            "customer_id": "cus_late",
            "amount_due": 5000,
            "currency": "usd",
            "collection_method": "charge_automatically",
            "payment_method_type": "card",
            "failure": {"code": "card_declined", "decline_code": decline},
            "failed_at": START,
            "subscription_id": "sub_late",
        }
    )


@dataclass
class Run:
    """One case, its tier and what its card returns, run calmly or through outages."""

    case: DunningCase
    tier: CustomerTier
    outcomes: list[str]

    def through(self, outages: list[tuple[float, float]]) -> tuple[CaseState, ScriptedProviders]:
        clock = VirtualClock(START)
        providers = ScriptedProviders(
            account=AccountFacts(tier=self.tier, owner_id="7"), outcomes=list(self.outcomes)
        )
        providers.clock = clock
        state = simulate(self.case, providers, clock=clock, outages=outages, horizon_days=400)
        return state, providers


def templates(state: CaseState) -> list[EmailTemplate]:
    return [email.template for email in state.emails]


def test_a_case_that_slept_through_its_retries_makes_them_after_the_outage() -> None:
    # The outage the chaos run saw: the case sleeps from day 0.5 to day 12, past every
    # retry, its reminder and its final notice. The card pays on its third retry.
    run = Run(card_case(), CustomerTier.SELF_SERVE, ["insufficient_funds"] * 2 + [SUCCEEDED])
    calm, _ = run.through([])
    late, providers = run.through([(0.5, 11.5)])

    assert calm.outcome is not None and late.outcome is not None
    assert late.outcome.outcome is calm.outcome.outcome is Outcome.RECOVERED
    assert len(late.attempts) == len(calm.attempts) == 3
    assert EmailTemplate.FINAL_NOTICE not in templates(late)
    entry = next(e for e in late.timeline if e.event == "late")
    assert entry.detail.startswith("11.00 days late"), entry.detail
    first_retry = providers.charges[0][0]
    assert first_retry == START + timedelta(days=12), "the missed retry is made on waking"


def test_a_case_late_by_less_than_the_tolerance_keeps_its_schedule() -> None:
    run = Run(card_case(), CustomerTier.SELF_SERVE, ["insufficient_funds"])
    late, providers = run.through([(0.99, 1 / 48)])  # half an hour, inside the hour allowed
    assert not [e for e in late.timeline if e.event == "late"]
    assert [at for at, _, _ in providers.charges][1] == START + timedelta(days=3)


outage_lists = st.lists(
    st.tuples(st.floats(0, 40), st.floats(0.05, 12)), min_size=1, max_size=3
).map(sorted)


@st.composite
def runs(draw: Any) -> Run:
    decline = draw(st.sampled_from(SOFT))
    paying_retry = draw(st.one_of(st.none(), st.integers(1, 5)))
    outcomes = [draw(st.sampled_from(SOFT)) for _ in range(6)]
    if paying_retry is not None:
        outcomes[paying_retry - 1] = SUCCEEDED
    return Run(card_case(decline), draw(st.sampled_from(list(CustomerTier))), outcomes)


@settings(max_examples=300, deadline=None)
@given(runs(), outage_lists)
def test_a_late_case_does_what_a_calm_one_does_later(run: Run, outages: Any) -> None:
    calm, _ = run.through([])
    late, _ = run.through(outages)
    assert calm.outcome is not None and late.outcome is not None
    assert late.outcome.outcome is calm.outcome.outcome, late.timeline
    assert len(late.attempts) == len(calm.attempts), "missed retries are still made"
    assert templates(late) == templates(calm), "the same emails go out"
    tolerance = timedelta(hours=late.policy.lateness_tolerance_hours)
    for (a, b), (c, d) in zip(
        itertools.pairwise(calm.emails), itertools.pairwise(late.emails), strict=True
    ):
        assert d.at - c.at >= b.at - a.at - tolerance, "the emails keep their spacing"
    if late.outcome.outcome is Outcome.END_STATE_APPLIED:
        notice = late.sent_at(EmailTemplate.FINAL_NOTICE)
        assert notice is not None
        rule = late.end_state
        period = timedelta(days=rule.end_day - rule.final_notice_day)
        assert late.outcome.closed_at >= notice + period - tolerance
    shifted = late.clock.shift > timedelta()
    assert shifted == any(e.event == "late" for e in late.timeline)


def test_lateness_after_the_final_notice_does_not_move_the_date_it_named() -> None:
    # A retry falls after the final notice (day 12, notice on day 10, end on day 14); the
    # case sleeps through it and wakes 1.5 days late. The schedule moves, but the end
    # stays on the day the notice named.
    policy = DunningPolicy(
        retries={**DunningPolicy().retries, PaymentMethodType.CARD: RetrySchedule(days=(1, 12))}
    )
    case = card_case().model_copy(update={"policy": policy})
    late, providers = Run(case, CustomerTier.SELF_SERVE, ["insufficient_funds"] * 3).through(
        [(11.5, 2)]
    )
    assert any(e.event == "late" for e in late.timeline)
    (notice,) = [r for r in providers.named("send_email") if r.template == "final_notice"]
    assert "on 2026-06-15 we will" in notice.body
    assert late.outcome is not None
    assert late.clock.calendar(late.outcome.closed_at).date().isoformat() == "2026-06-15"

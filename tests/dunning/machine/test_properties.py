"""Properties the policy must hold for every case, checked over generated cases."""

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dunning.contract.case import DunningCase, FailureDetails
from dunning.contract.enums import (
    AttemptOutcome,
    CustomerTier,
    EmailTemplate,
    FailureCategory,
    Outcome,
)
from dunning.contract.messages import PaymentMethodUpdated
from dunning.providers.facts import AccountFacts, Person
from dunning.rules.classify import classify_decline
from dunning.rules.network import (
    ACH_MAX_REPRESENTMENTS,
    BANK_DEBITS,
    MASTERCARD_DECLINES_PER_DAY,
    VISA_RETRIES_PER_30_DAYS,
)
from tests.dunning.simulator import SUCCEEDED, Simulation

START = datetime(2026, 6, 1, tzinfo=UTC)
SOFT = ["insufficient_funds", "generic_decline", "do_not_honor", "processing_error"]
HARD = ["stolen_card", "lost_card", "fraudulent", "do_not_try_again"]
ACTION = ["expired_card", "incorrect_cvc", "authentication_required"]
METHODS = {
    "card": "charge_automatically",
    "ach_debit": "charge_automatically",
    "sepa_debit": "charge_automatically",
    "invoice": "send_invoice",
    "wire": "send_invoice",
}

failures: st.SearchStrategy[dict[str, str | None] | None] = st.one_of(
    st.none(),
    st.builds(
        dict,
        code=st.just("card_declined"),
        decline_code=st.sampled_from(SOFT + HARD + ACTION),
        advice_code=st.sampled_from(
            [None, "try_again_later", "do_not_try_again", "confirm_card_data"]
        ),
        network_decline_code=st.sampled_from([None, "51", "05", "R0", "14"]),
        network_advice_code=st.sampled_from([None, "01", "02", "03", "24", "26", "30"]),
    ),
)
outcomes = st.lists(st.sampled_from([*SOFT, *HARD, *ACTION, SUCCEEDED]), min_size=1, max_size=8)


@st.composite
def cases(draw: Any, with_signals: bool = True) -> Simulation:
    method = draw(st.sampled_from(sorted(METHODS)))
    tier = draw(st.sampled_from(list(CustomerTier)))
    failure = draw(failures)
    case = DunningCase.model_validate(
        {
            "invoice_id": "in_prop",
            "customer_id": "cus_prop",
            "amount_due": 5000,
            "currency": "usd",
            "collection_method": METHODS[method],
            "payment_method_type": method,
            "failure": failure if METHODS[method] == "charge_automatically" else None,
            "failed_at": START,
            "subscription_id": draw(st.sampled_from([None, "sub_prop"])),
        }
    )
    account = AccountFacts(
        tier=tier,
        owner_id="7",
        ap_contact=Person(email="ap@prop.example"),
        annual_contract_value=draw(st.sampled_from([None, 100_000, 9_000_000])),
    )
    updates = (
        draw(st.lists(st.floats(min_value=0, max_value=70), max_size=3)) if with_signals else []
    )
    signals: list[tuple[float, Any]] = [(day, PaymentMethodUpdated()) for day in updates]
    return Simulation(case, account, draw(outcomes), signals)


@settings(max_examples=300, deadline=None)
@given(cases())
def test_never_retries_a_hard_decline_on_the_same_payment_method(sim: Simulation) -> None:
    state = sim.run()
    blocked_cards = {0} if state.case.failure and _blocks(state.case.failure) else set()
    for attempt in state.attempts:
        assert attempt.card not in blocked_cards, f"attempt {attempt.number} on a blocked card"
        if attempt.outcome is AttemptOutcome.FAILED and _blocks(attempt.decline()):
            blocked_cards.add(attempt.card)


def _blocks(decline: FailureDetails) -> bool:
    """A decline after which this payment method may not be charged again."""
    category = classify_decline(decline).category
    return category in (FailureCategory.HARD_DECLINE, FailureCategory.CUSTOMER_ACTION_REQUIRED)


@settings(max_examples=300, deadline=None)
@given(cases())
def test_never_exceeds_the_network_caps(sim: Simulation) -> None:
    state = sim.run()
    for card in {a.card for a in state.attempts}:
        on_card = sorted(a.at for a in state.attempts if a.card == card)
        for i, start in enumerate(on_card):
            in_30_days = [t for t in on_card[i:] if t < start + timedelta(days=30)]
            in_a_day = [t for t in on_card[i:] if t < start + timedelta(days=1)]
            assert len(in_30_days) <= VISA_RETRIES_PER_30_DAYS
            assert len(in_a_day) <= MASTERCARD_DECLINES_PER_DAY
        if state.case.payment_method_type in BANK_DEBITS:
            assert len(on_card) <= ACH_MAX_REPRESENTMENTS


@settings(max_examples=300, deadline=None)
@given(cases())
def test_no_payment_failed_email_while_a_silent_retry_is_due_within_24h(sim: Simulation) -> None:
    sim.run()
    for sent_at, template, retry_at in sim.retry_due_at_email:
        if template is EmailTemplate.PAYMENT_FAILED and retry_at is not None:
            assert retry_at > sent_at + timedelta(hours=24), f"retry due at {retry_at}"


@settings(max_examples=300, deadline=None)
@given(cases(with_signals=False))
def test_always_reaches_an_end_state_inside_the_tier_window(sim: Simulation) -> None:
    state = sim.run()
    assert state.outcome is not None, state.timeline
    assert state.outcome.outcome in (Outcome.RECOVERED, Outcome.END_STATE_APPLIED)
    assert state.outcome.days_open <= state.end_state.end_day + 0.01
    if state.outcome.outcome is Outcome.END_STATE_APPLIED:
        templates = [e.template for e in state.emails]
        assert EmailTemplate.FINAL_NOTICE in templates, "the final notice comes before the end"

"""The customer protections, each on the case that once broke it. The properties of
`test_properties` check them over generated cases; these pin the moments exactly."""

from collections.abc import Callable
from datetime import timedelta

from dunning.contract.enums import EmailTemplate, Outcome
from dunning.contract.messages import PaymentMethodUpdated, PoNumberProvided
from dunning.machine.fit import Message
from dunning.providers.facts import AccountFacts, Person
from harness.temporal import make_case
from lab.scripted import Card, ScriptedProviders
from lab.virtual import VirtualClock, simulate

STOLEN = {"code": "card_declined", "decline_code": "stolen_card"}


def slow_providers_with_a_new_card(clock: VirtualClock) -> ScriptedProviders:
    """Providers whose every call takes 50 minutes; the customer has a new card to give."""
    return ScriptedProviders(
        outcomes=["insufficient_funds"],
        new_cards=[Card(fingerprint="card_new")],
        latency=timedelta(minutes=50),
        clock=clock,
    )


def attaching(providers: ScriptedProviders) -> Callable[[Message], Message]:
    """The world's side of a `payment_method_updated`: the customer attached the card."""

    def attach(message: Message) -> Message:
        providers.attach_card()
        return message

    return attach


def test_a_new_card_is_charged_before_an_email_that_fell_due_meanwhile() -> None:
    # Every call takes 50 minutes. On day 7 the retry goes first; the day-7 reminder falls
    # due behind it, and the customer's new card arrives meanwhile. The new card is
    # charged before the reminder, and pays, so the reminder never goes out.
    case = make_case()
    clock = VirtualClock(case.failed_at)
    providers = slow_providers_with_a_new_card(clock)
    update = PaymentMethodUpdated(payment_method_id="pm_new", card_fingerprint="card_new")
    during_the_retry = 7 + 20 / (24 * 60)
    state = simulate(
        case,
        providers,
        clock=clock,
        messages=[(during_the_retry, update)],
        on_message=attaching(providers),
    )

    assert state.outcome is not None and state.outcome.outcome is Outcome.RECOVERED
    assert [a.card for a in state.attempts] == [0, 0, 0, 0, 1]
    assert [e.template for e in state.emails] == [EmailTemplate.PAYMENT_FAILED]


def test_an_email_due_within_a_day_of_the_last_waits_for_the_gap() -> None:
    # A missing PO is asked for on day 0; finance fixes it on day 0.5 and the retry fails
    # with a hard decline, whose payment_failed email is due at once. It waits a day after
    # the PO request.
    case = make_case(failure=STOLEN)
    clock = VirtualClock(case.failed_at)
    account = AccountFacts(po_required=True, ap_contact=Person(email="ap@customer.example"))
    providers = ScriptedProviders(account=account, outcomes=["stolen_card"], clock=clock)
    state = simulate(
        case, providers, clock=clock, messages=[(0.5, PoNumberProvided(po_number="PO-1"))]
    )

    sent = [(e.template, state.clock.day_of(e.at)) for e in state.emails]
    assert sent[:2] == [(EmailTemplate.PO_REQUEST, 0), (EmailTemplate.PAYMENT_FAILED, 1)]


def test_a_card_given_while_the_case_classifies_is_charged_before_any_email() -> None:
    # Every call takes 50 minutes; the customer attaches a new account at 00:45, while the
    # case reads its facts. The case hears of it before its first decision: the new
    # account is charged first, and the hard decline's payment_failed waits behind it.
    hard = {"code": "card_declined", "decline_code": "insufficient_funds"}
    case = make_case(failure={**hard, "advice_code": "do_not_try_again"})
    clock = VirtualClock(case.failed_at)
    providers = slow_providers_with_a_new_card(clock)
    update = PaymentMethodUpdated(payment_method_id="pm_new", card_fingerprint="card_new")
    state = simulate(
        case,
        providers,
        clock=clock,
        messages=[(45 / (24 * 60), update)],
        on_message=attaching(providers),
    )

    assert state.outcome is not None and state.outcome.outcome is Outcome.RECOVERED
    assert [a.card for a in state.attempts] == [1]
    assert state.emails == [], "recovered by the new card before any email went out"

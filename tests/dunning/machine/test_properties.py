"""Properties every case must hold, checked over generated cases run through the production
case machine (`dunning.machine.run`) against awkward in-memory providers.

The providers take time, workers are down for days so cases wake late, providers refuse
requests for good, see the invoice paid or voided by
someone else, decline with codes that change mid-case, and see customers attach new
cards or the same card again. Each property is checked against what the providers
actually saw, not against what the planner meant to do.
"""

import itertools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from dunning.contract.case import DunningCase, FailureDetails
from dunning.contract.enums import (
    CustomerTier,
    EmailTemplate,
    OperatorAction,
    Outcome,
    PaymentMethodType,
    Stage,
)
from dunning.contract.messages import (
    BillingContactCorrected,
    InvoicePaid,
    OperatorDecision,
    PaymentMethodUpdated,
    PoNumberProvided,
)
from dunning.machine.fit import Message
from dunning.machine.state import CaseState
from dunning.providers.cards import CardUse
from dunning.providers.facts import AccountFacts, InvoiceStatus, Person
from dunning.rules.network import BANK_DEBITS
from dunning.rules.policy import DunningPolicy, RetrySchedule
from lab.scripted import SUCCEEDED, Card, ScriptedProviders
from lab.virtual import VirtualClock, simulate

START = datetime(2026, 6, 1, tzinfo=UTC)
HORIZON_DAYS = 200

# The codes of DOMAIN.md §1, written out here rather than read from the classifier, so a
# wrong table in the product fails these properties.
SOFT = ["insufficient_funds", "generic_decline", "do_not_honor", "processing_error"]
HARD = ["stolen_card", "lost_card", "fraudulent", "do_not_try_again"]
ACTION = ["expired_card", "incorrect_cvc", "authentication_required"]
NEVER_AGAIN = set(HARD + ACTION)
"""After one of these declines a card may not be charged again."""
VISA_CAT_1 = {"04", "07", "12", "14", "15", "41", "43", "46", "57", "R0", "R1", "R3"}
MASTERCARD_NEVER = {"03", "21"}
VISA_PER_30_DAYS, MASTERCARD_PER_DAY, MASTERCARD_PER_30_DAYS = 20, 10, 35
METHODS = {
    "card": "charge_automatically",
    "ach_debit": "charge_automatically",
    "sepa_debit": "charge_automatically",
    "invoice": "send_invoice",
    "wire": "send_invoice",
}

declines = st.builds(
    FailureDetails,
    code=st.just("card_declined"),
    decline_code=st.sampled_from(SOFT + HARD + ACTION),
    advice_code=st.sampled_from([None, "try_again_later", "do_not_try_again", "confirm_card_data"]),
    network_decline_code=st.sampled_from([None, None, "51", "05", "R0", "14"]),
    network_advice_code=st.sampled_from([None, None, "01", "02", "03", "24", "26", "30"]),
)
"""Declines whose codes can disagree with each other, as real ones do."""
outcomes = st.lists(
    st.one_of(st.sampled_from([*SOFT, *SOFT, SUCCEEDED]), st.sampled_from(HARD + ACTION), declines),
    min_size=1,
    max_size=40,
)
"""What successive charges of one card return: the code can change mid-case."""
soft_outcomes = st.lists(st.sampled_from(SOFT), min_size=1, max_size=3)
"""A card that declines softly, whatever is tried."""


retry_days = st.lists(st.floats(0.2, 20), min_size=1, max_size=6).map(lambda d: tuple(sorted(d)))
policies = st.one_of(
    st.none(),
    st.builds(
        lambda card, bank: DunningPolicy(
            retries={
                **DunningPolicy().retries,
                PaymentMethodType.CARD: RetrySchedule(days=card),
                PaymentMethodType.ACH_DEBIT: RetrySchedule(days=bank),
            }
        ).model_dump(),
        retry_days,
        retry_days,
    ),
)
"""The default policy, or retry schedules of any spacing (every number is configurable)."""


REFUSABLE = ["charge_invoice", "read_settlement", "send_email", "create_task", "apply_po_number"]
"""The calls a provider may refuse for good in a scenario."""


@dataclass
class Scenario:
    """One generated case: its input, its providers and what people do to it."""

    case: DunningCase
    providers: ScriptedProviders
    messages: list[tuple[float, Message]]
    outages: list[tuple[float, float]]
    """(policy day, days) spans in which no worker runs the case: it wakes late."""

    def run(self) -> CaseState:
        clock = VirtualClock(self.case.failed_at)
        self.providers.clock = clock

        def customer_sees(message: Message) -> Message:
            if isinstance(message, PaymentMethodUpdated):
                self.providers.attach_card()
            return message

        return simulate(
            self.case,
            self.providers,
            clock=clock,
            messages=self.messages,
            on_message=customer_sees,
            horizon_days=HORIZON_DAYS,
            outages=self.outages,
        )


@st.composite
def scenarios(draw: Any) -> Scenario:
    # A fifth of the cases: Stripe refuses the first charge for good, and finance resumes
    # the case late, after the day its final notice was due.
    held_late = draw(st.integers(0, 4)) == 0
    method = "card" if held_late else draw(st.sampled_from(sorted(METHODS)))
    charged = METHODS[method] == "charge_automatically"
    soft = FailureDetails(code="card_declined", decline_code=draw(st.sampled_from(SOFT)))
    case = DunningCase.model_validate(
        {
            "invoice_id": "in_prop",
            "customer_id": "cus_prop",
            "amount_due": 5000,
            "currency": "usd",
            "collection_method": METHODS[method],
            "payment_method_type": method,
            "failure": (soft if held_late else draw(declines)).model_dump() if charged else None,
            "failed_at": START,
            "subscription_id": draw(st.sampled_from([None, "sub_prop"])),
            "po_number": draw(st.sampled_from([None, "PO-1"])),
            "policy": draw(policies),
        }
    )
    ap_contact = draw(st.sampled_from([None, Person(email="ap@prop.example")]))
    account = AccountFacts(
        tier=draw(st.sampled_from(list(CustomerTier))),
        owner_id="7",
        ap_contact=ap_contact,
        ap_contact_bounced=draw(st.booleans()) and ap_contact is not None,
        po_required=draw(st.booleans()) and not held_late,
        contract_amount=None if held_late else draw(st.sampled_from([None, None, 5000, 4000])),
        annual_contract_value=draw(st.sampled_from([None, 100_000, 9_000_000])),
        approval_pending=draw(st.booleans()) and not held_late,
    )
    fingerprints = st.sampled_from(["card_original", "card_b", "card_c"])
    stubborn = draw(st.booleans())
    if not stubborn:
        new_cards = draw(
            st.lists(st.builds(Card, fingerprint=fingerprints, outcomes=outcomes), max_size=40)
        )
    else:
        # A customer who keeps attaching the same card, which keeps declining softly:
        # only the network caps stand between that card and too many retries.
        same_card = Card(fingerprint=draw(fingerprints), outcomes=draw(soft_outcomes))
        new_cards = [same_card] * draw(st.integers(22, 45))
    # Bank debits settle days after they are made, or are returned.
    bank_debit = method in ("ach_debit", "sepa_debit")
    settles_after = draw(st.one_of(st.none(), st.floats(0.5, 20))) if bank_debit else None
    # The customer's other invoices charge the same cards: the caps are the card's.
    # Now and then a busy card: a burst of charges around the case's first retries.
    spread = st.lists(st.tuples(st.floats(-30, 40), fingerprints, st.booleans()), max_size=10)
    burst = st.lists(
        st.tuples(st.floats(-1, 6), st.just("card_original"), st.booleans()),
        min_size=8,
        max_size=24,
    )
    uses = draw(spread) + (draw(burst) if draw(st.booleans()) else [])
    elsewhere = [
        (card, CardUse(at=START + timedelta(days=day), succeeded=paid)) for day, card, paid in uses
    ]
    settled_day = draw(st.one_of(st.none(), st.floats(0.5, 90)))
    settled_as = draw(st.sampled_from(list(InvoiceStatus)[2:]))
    providers = ScriptedProviders(
        account=account,
        outcomes=draw(outcomes),
        new_cards=new_cards,
        refusals=draw(
            st.dictionaries(
                st.sampled_from(REFUSABLE),
                st.sets(st.integers(1, 6), max_size=2),
                max_size=2,
            )
        ),
        settled=(START + timedelta(days=settled_day), settled_as) if settled_day else None,
        latency=timedelta(seconds=draw(st.sampled_from([0, 1, 30, 600, 3000]))),
        settles_after=timedelta(days=settles_after) if settles_after is not None else None,
        elsewhere=elsewhere,
    )
    attached = [card.fingerprint for card in new_cards]
    at_least = len(attached) if stubborn else 0
    said = [] if held_late else draw(messages(attached, at_least))
    if held_late:
        providers.refusals["charge_invoice"] = {1}
        said.append((draw(st.floats(10, 45)), OperatorDecision(action="resume", actor="op")))
    outages = draw(st.lists(st.tuples(st.floats(0, 60), st.floats(0.01, 15)), max_size=2))
    return Scenario(case, providers, said, sorted(outages))


def messages(
    fingerprints: list[str], at_least: int = 0
) -> st.SearchStrategy[list[tuple[float, Message]]]:
    """Card updates (spread out, within a month, or in a burst), each naming the card
    attached as Stripe's event does, and people's other messages."""
    low, high = min(at_least, len(fingerprints)), len(fingerprints)
    spread = st.lists(st.floats(0.01, 70), min_size=low, max_size=high)
    month = st.lists(st.floats(0.01, 25), min_size=low, max_size=high)
    burst = st.lists(st.floats(0.01, 1.5), min_size=low, max_size=high)
    decisions = [OperatorDecision(action=a, actor="op") for a in OperatorAction if a != "extend"]
    others = st.lists(
        st.tuples(
            st.floats(0.01, 90),
            st.sampled_from(
                [
                    InvoicePaid(),
                    PoNumberProvided(po_number="PO-7"),
                    BillingContactCorrected(email="new@prop.example"),
                    *decisions,
                    OperatorDecision(action=OperatorAction.EXTEND, days=5, actor="op"),
                ]
            ),
        ),
        max_size=4,
    )

    @st.composite
    def build(draw: Any) -> list[tuple[float, Message]]:
        days = sorted(draw(st.one_of(spread, month, burst)))
        updates: list[tuple[float, Message]] = [
            (day, PaymentMethodUpdated(payment_method_id=f"pm_{n}", card_fingerprint=card))
            for n, (day, card) in enumerate(zip(days, fingerprints, strict=False), start=1)
        ]
        return sorted([*updates, *draw(others)], key=lambda m: m[0])

    return build()


def forbids_retry(decline: str | FailureDetails) -> bool:
    """DOMAIN.md §1 and §2: network codes win, then the advice code, then the decline code."""
    if isinstance(decline, str):
        return decline in NEVER_AGAIN
    network_advice = decline.network_advice_code
    if decline.network_decline_code in VISA_CAT_1 or network_advice in {"01", *MASTERCARD_NEVER}:
        return True
    if network_advice is not None:
        return False
    if decline.advice_code in ("do_not_try_again", "confirm_card_data"):
        return True
    if decline.advice_code == "try_again_later":
        return False
    return decline.decline_code in NEVER_AGAIN


def charges_by_card(sim: Scenario) -> dict[str, list[tuple[datetime, str | FailureDetails]]]:
    """Every charge each card saw, the failure that opened the case included."""
    cards: dict[str, list[tuple[datetime, str | FailureDetails]]] = {}
    if sim.case.failure is not None:
        cards["card_original"] = [(START, sim.case.failure)]
    for at, fingerprint, outcome in sim.providers.charges:
        assert at is not None
        cards.setdefault(fingerprint, []).append((at, outcome))
    return cards


@settings(max_examples=400, deadline=None)
@given(scenarios())
def test_a_retry_never_takes_a_card_past_its_caps_counting_other_invoices(sim: Scenario) -> None:
    sim.run()
    if sim.case.payment_method_type != "card":
        return
    # What the case could know when it retried: the charges Stripe listed as the charge
    # reached it, its own attempts, and the failure that opened it.
    for fingerprint, charges in charges_by_card(sim).items():
        others = [use for card, use in sim.providers.elsewhere if card == fingerprint]
        retries = charges[1 if fingerprint == "card_original" else 0 :]
        for at, _ in retries:
            known = [use for use in others if use.at <= at]
            mine = [t for t, _ in retries if t < at]
            month = [t for t in mine if at - t < timedelta(days=30)]
            month += [u.at for u in known if at - u.at < timedelta(days=30)]
            assert len(month) + 1 <= VISA_PER_30_DAYS, f"{fingerprint} at {at}: {len(month)}"
            declined_today = [t for t, o in charges if t < at and o != SUCCEEDED]
            declined_today = [t for t in declined_today if at - t < timedelta(days=1)]
            declined_today += [
                u.at for u in known if not u.succeeded and at - u.at < timedelta(days=1)
            ]
            assert len(declined_today) < MASTERCARD_PER_DAY, f"{fingerprint} at {at}"


@settings(max_examples=400, deadline=None)
@given(scenarios())
def test_a_card_that_may_not_be_charged_again_never_is(sim: Scenario) -> None:
    sim.run()
    for fingerprint, charges in charges_by_card(sim).items():
        for (_, earlier), (at, _) in itertools.pairwise(charges):
            assert not forbids_retry(earlier), f"{fingerprint} charged at {at} after {earlier}"


@settings(max_examples=400, deadline=None)
@given(scenarios())
def test_the_network_caps_hold_per_card(sim: Scenario) -> None:
    sim.run()
    bank_debit = sim.case.payment_method_type in ("ach_debit", "sepa_debit")
    for fingerprint, charges in charges_by_card(sim).items():
        retries = [at for at, _ in charges][1 if fingerprint == "card_original" else 0 :]
        declines = [at for at, outcome in charges if outcome != SUCCEEDED]
        if bank_debit:
            assert len(retries) <= 2, f"{fingerprint}: at most two re-presentments"
        for window, cap, moments in (
            (timedelta(days=30), VISA_PER_30_DAYS, retries),
            (timedelta(days=1), MASTERCARD_PER_DAY, declines),
            (timedelta(days=30), MASTERCARD_PER_30_DAYS, declines),
        ):
            for start in moments:
                inside = [t for t in moments if start <= t < start + window]
                assert len(inside) <= cap, f"{fingerprint}: {len(inside)} in {window}"


@settings(max_examples=400, deadline=None)
@given(scenarios())
def test_no_payment_failed_email_while_a_silent_retry_is_due_within_24h(sim: Scenario) -> None:
    state = sim.run()
    if state.case.payment_method_type in BANK_DEBITS:
        return  # told at once: a debit's answer takes days (test_settlement.py)
    messages = [state.clock.day0 + timedelta(days=day) for day, _ in sim.messages]
    charges = [at for at, _, _ in sim.providers.charges if at is not None]
    # A charge is silent when nobody asked for it: no message since the charge before it.
    silent, previous = [], state.clock.day0
    for at in charges:
        if not any(previous < m <= at for m in messages):
            silent.append(at)
        previous = at
    for email in state.emails:
        if email.template is EmailTemplate.PAYMENT_FAILED:
            soon = [at for at in silent if email.at < at <= email.at + timedelta(hours=24)]
            assert not soon, f"payment_failed at {email.at}, then a silent retry at {soon[0]}"


def end_due_in_an_outage() -> Scenario:
    """An ACH case of a mid-market account whose third debit is answered on day 43.5: the
    final notice goes out a day later and names day 51.5 for the end, which falls while no
    worker runs the case (days 45 to 52)."""
    failure = {"code": "card_declined", "decline_code": "insufficient_funds"}
    case = DunningCase.model_validate(
        {
            "invoice_id": "in_prop",
            "customer_id": "cus_prop",
            "amount_due": 5000,
            "currency": "usd",
            "collection_method": "charge_automatically",
            "payment_method_type": "ach_debit",
            "failure": failure | {"network_decline_code": "R0"},
            "failed_at": START,
        }
    )
    fingerprints = ("card_original", "card_b", "card_c")
    providers = ScriptedProviders(
        account=AccountFacts(tier=CustomerTier.MID_MARKET, owner_id="7"),
        outcomes=["insufficient_funds"],
        new_cards=[Card(fingerprint=f, outcomes=["insufficient_funds"]) for f in fingerprints],
        settles_after=timedelta(days=1),
    )
    said: list[tuple[float, Message]] = [
        (day, PaymentMethodUpdated(payment_method_id=f"pm_{n}", card_fingerprint=fingerprint))
        for n, (day, fingerprint) in enumerate(zip((0.5, 0.5, 1.0), fingerprints, strict=True))
    ]
    return Scenario(case, providers, said, [(45.0, 7.0)])


@settings(max_examples=400, deadline=None)
@given(scenarios())
@example(sim=end_due_in_an_outage())
def test_every_case_ends_in_its_window_or_is_on_hold_with_a_review_date(sim: Scenario) -> None:
    state = sim.run()
    events = {entry.event for entry in state.timeline}
    was_on_hold = bool(events & {"held", "operator_decision"}) or any(
        "contract_mismatch" in entry.detail for entry in state.timeline
    )
    if state.outcome is None:
        assert state.stage in (Stage.PAUSED, Stage.AWAITING_INTERNAL), state.timeline[-3:]
        assert state.next_action is not None and state.next_action.at is not None, (
            "a case on hold has a review date"
        )
        return
    if state.outcome.outcome is Outcome.END_STATE_APPLIED:
        notice = state.sent_at(EmailTemplate.FINAL_NOTICE)
        final_step = f"{EmailTemplate.FINAL_NOTICE}@{state.end_state.final_notice_day:g}"
        unsent = state.recipient() is None or final_step in state.failed_steps
        assert notice is not None or unsent, "the final notice comes before the end"
        if not was_on_hold:
            # The end action starts on its day, or the notice period after a final notice
            # that went out late (emails keep their gap); applying it and routing take time.
            rule, clock = state.end_state, state.clock
            due = clock.on_day(rule.end_day)
            if notice is not None:
                due = max(due, notice + clock.days(rule.end_day - rule.final_notice_day))
            # A bank debit in flight holds every charge and email until the bank answers, the
            # final notice too: after one that outlived the day, the end comes at most a
            # notice period after the last answer.
            answers = [answer for _, answer in debits_in_flight(state) if answer is not None]
            if any(answer > due for answer in answers):
                due = max(answers) + clock.days(rule.end_day - rule.final_notice_day)
            # Due while no worker ran the case, it comes when one does.
            deadline = woken(due, state, sim) + timedelta(hours=1) + 2 * sim.providers.latency
            assert state.outcome.closed_at <= deadline, state.timeline[-3:]


@settings(max_examples=400, deadline=None)
@given(scenarios())
def test_nothing_is_charged_or_sent_after_a_case_closes(sim: Scenario) -> None:
    state = sim.run()
    succeeded = [outcome for _, _, outcome in sim.providers.charges if outcome == SUCCEEDED]
    assert len(succeeded) <= 1, "an invoice is paid once"
    if state.outcome is None:
        return
    closed_at = state.outcome.closed_at
    calls = zip(sim.providers.calls, sim.providers.started, strict=True)
    after = [name for (name, _), at in calls if at is not None and at > closed_at]
    assert after == [], f"asked of a provider after the case closed: {after}"
    if succeeded:
        assert state.outcome.outcome is Outcome.RECOVERED


@settings(max_examples=400, deadline=None)
@given(scenarios())
def test_an_end_action_never_comes_sooner_than_the_notice_after_the_final_notice(
    sim: Scenario,
) -> None:
    state = sim.run()
    if state.outcome is None or state.outcome.outcome is not Outcome.END_STATE_APPLIED:
        return
    notice = final_notice(sim)
    if notice is None:
        return
    rule, clock = state.end_state, state.clock
    period = clock.days(rule.end_day - rule.final_notice_day)
    tolerance = clock.hours(state.policy.lateness_tolerance_hours)
    ended = end_action_started(sim)
    assert ended >= notice[1] + period - tolerance, (notice[1], ended)


def final_notice(sim: Scenario) -> tuple[Any, datetime] | None:
    """The final notice SendGrid took, and when it reached SendGrid."""
    refused = sim.providers.refusals.get("send_email", set())
    calls = zip(sim.providers.calls, sim.providers.started, strict=True)
    sends = [(request, at) for (name, request), at in calls if name == "send_email"]
    for n, (request, at) in enumerate(sends, start=1):
        if request.template is EmailTemplate.FINAL_NOTICE and n not in refused:
            assert at is not None
            return request, at
    return None


def end_action_started(sim: Scenario) -> datetime:
    """When the end action reached Stripe."""
    calls = zip(sim.providers.calls, sim.providers.started, strict=True)
    started = next(at for (name, _), at in calls if name == "apply_invoice_action")
    assert started is not None
    return started


def sent_emails(sim: Scenario) -> list[datetime]:
    """When SendGrid took each email it accepted (refused ones are not emails sent)."""
    refused = sim.providers.refusals.get("send_email", set())
    calls = zip(sim.providers.calls, sim.providers.started, strict=True)
    sends = [at for (name, _), at in calls if name == "send_email" and at is not None]
    return [at for n, at in enumerate(sends, start=1) if n not in refused]


@settings(max_examples=400, deadline=None)
@given(scenarios())
def test_no_two_customer_emails_go_out_within_the_minimum_gap(sim: Scenario) -> None:
    state = sim.run()
    gap = timedelta(hours=state.policy.min_hours_between_emails)
    for earlier, later in itertools.pairwise(sent_emails(sim)):
        assert later - earlier >= gap, f"emails at {earlier} and {later}"


@settings(max_examples=400, deadline=None)
@given(scenarios())
def test_a_customer_action_is_charged_before_any_email_that_is_due(sim: Scenario) -> None:
    state = sim.run()
    updates = [e.at for e in state.timeline if e.event == "payment_method_updated"]
    emails = sent_emails(sim)
    for attempt in state.attempts:
        asked = [at for at in updates if at <= attempt.at]
        if attempt.scheduled or not asked:
            continue
        # A charge the network rules held back for a day or more may follow an email.
        if attempt.at - asked[-1] > timedelta(hours=2):
            continue
        before = [at for at in emails if asked[-1] <= at < attempt.at]
        assert not before, f"an email at {before[0]} before the charge asked for at {asked[-1]}"


@settings(max_examples=400, deadline=None)
@given(scenarios())
def test_the_end_action_is_applied_on_the_date_the_final_notice_names(sim: Scenario) -> None:
    state = sim.run()
    if state.outcome is None or state.outcome.outcome is not Outcome.END_STATE_APPLIED:
        return
    notice = final_notice(sim)
    if notice is None:
        return
    sent = notice[1]
    match = re.search(r"on (\d{4}-\d\d-\d\d) we will", notice[0].body)
    assert match, notice[0].body
    started = end_action_started(sim)
    applied = state.clock.calendar(started).date().isoformat()
    story = [(round(state.clock.day_of(e.at), 2), e.event, e.detail) for e in state.timeline]
    assert applied >= match.group(1), f"sooner than the notice said: {story}"
    # Equal, unless the case was down on that day, or an operator moved it since.
    moved = any(
        isinstance(m, OperatorDecision) and m.action in ("pause", "extend")
        for day, m in sim.messages
        if state.clock.day0 + timedelta(days=day) > sent
    )
    named_from = state.clock.from_calendar(datetime.fromisoformat(match.group(1) + "T00:00Z"))
    named_until = named_from + timedelta(days=1)
    day0 = state.clock.day0
    down = any(
        day0 + timedelta(days=start) < named_until
        and day0 + timedelta(days=start + length) > named_from
        for start, length in sim.outages
    )
    # A bank debit still settling on that day (or one the customer asked for before it,
    # made once the bank answered the first) holds the end action until the bank answers:
    # the invoice is not given up while money may be on its way.
    answered = [
        answer for _, answer in debits_in_flight(state) if answer is None or answer > named_from
    ]
    slack = timedelta(hours=state.policy.lateness_tolerance_hours) + 2 * sim.providers.latency
    held_over = [
        end
        for start, end in holds(state)
        if start < named_until and (end is None or end > named_from)
    ]
    resumed = [end for end in held_over if end is not None]
    if answered:
        assert None not in answered, f"applied while a bank debit was settling: {story}"
        last = max(a for a in answered if a is not None)
        assert last <= started < last + slack, f"not when the bank answered: {story}"
    elif not moved and not down and len(resumed) == len(held_over):
        # On that day, or, for a case on hold then, once a person resumed it; a step due at
        # the same moment may go first and take its time.
        limit = max([named_until, *resumed])
        assert started < limit + slack, f"named {match.group(1)}, applied {applied}: {story}"


def woken(moment: datetime, state: CaseState, sim: Scenario) -> datetime:
    """The first moment from `moment` at which a worker runs the case: the end of the
    outage it falls in, if any."""
    day0 = state.clock.day0
    for start, length in sim.outages:  # in time order
        if day0 + timedelta(days=start) <= moment < day0 + timedelta(days=start + length):
            moment = day0 + timedelta(days=start + length)
    return moment


def holds(state: CaseState) -> list[tuple[datetime, datetime | None]]:
    """When the case waited on an internal team after a provider refused it, until a
    person decided (None: still held)."""
    return spans(state, "held", ("operator_decision",))


def debits_in_flight(state: CaseState) -> list[tuple[datetime, datetime | None]]:
    """Each bank debit the case made: when, and when the bank's answer was taken (None:
    never)."""
    return spans(
        state, "charge_processing", ("charge_failed", "charge_succeeded", "invoice_settled")
    )


def spans(
    state: CaseState, opens: str, closes: tuple[str, ...]
) -> list[tuple[datetime, datetime | None]]:
    """Each stretch of the timeline from an `opens` entry to the next of `closes`."""
    found = []
    for i, entry in enumerate(state.timeline):
        if entry.event == opens:
            later = (e.at for e in state.timeline[i + 1 :] if e.event in closes)
            found.append((entry.at, next(later, None)))
    return found

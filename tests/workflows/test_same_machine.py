"""The workflow and the in-memory case machine are one machine: for random provider
answers and messages, a case run by `DunningWorkflow` on the time-skipping server and the
same case run in memory end in the same state."""

import random
import re
from datetime import timedelta
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from dunning.contract.enums import CustomerTier, OperatorAction
from dunning.contract.messages import (
    InvoicePaid,
    OperatorDecision,
    PaymentMethodUpdated,
    PoNumberProvided,
    signal_name,
)
from dunning.contract.status import DunningStatus
from dunning.machine.fit import Message
from dunning.providers.facts import AccountFacts, Person
from dunning.views.status import case_status
from harness.fakes import FakeProviders
from harness.temporal import classified, make_case, running, status_of
from lab.scripted import SUCCEEDED, Card, ScriptedProviders
from lab.virtual import VirtualClock, simulate

SOFT = ["insufficient_funds", "do_not_honor", "processing_error"]
HARD = ["stolen_card", "expired_card"]
SEEDS = range(12)


def scenario(seed: int) -> tuple[dict[str, Any], dict[str, Any], list[tuple[float, Message]]]:
    """A case, its providers' script, and the messages people send, from a seed."""
    rng = random.Random(seed)
    case = {
        "failure": {"code": "card_declined", "decline_code": rng.choice(SOFT + HARD)},
        "payment_method_type": rng.choice(["card", "card", "ach_debit"]),
    }
    account = AccountFacts(
        tier=rng.choice(list(CustomerTier)),
        owner_id="7",
        po_required=rng.random() < 0.2,
        ap_contact=Person(email="ap@customer.example"),
    )
    script = {
        "account": account,
        "outcomes": [rng.choice([*SOFT, *SOFT, SUCCEEDED, *HARD]) for _ in range(6)],
        "new_cards": [
            Card(fingerprint=rng.choice(["card_original", "card_b"]), outcomes=[rng.choice(SOFT)])
            for _ in range(3)
        ],
        "refusals": {"send_email": {2}} if rng.random() < 0.3 else {},
    }
    if case["payment_method_type"] == "ach_debit":  # a bank debit settles days later
        script["settles_after"] = timedelta(days=rng.choice([2.5, 20.5]))
    choices: list[Message] = [
        PaymentMethodUpdated(payment_method_id="pm_x"),
        InvoicePaid(),
        PoNumberProvided(po_number="PO-9"),
        OperatorDecision(action=OperatorAction.PAUSE, actor="op"),
        OperatorDecision(action=OperatorAction.RESUME, actor="op"),
        OperatorDecision(action=OperatorAction.EXTEND, days=3, actor="op"),
    ]
    # Whole days plus a distinct fraction: no message lands on the moment of a step.
    days = sorted(rng.sample(range(0, 30), rng.randint(0, 4)))
    messages = [(d + 0.1 + 0.07 * i, rng.choice(choices)) for i, d in enumerate(days)]
    # A case left on hold would wait for its reviews forever: an operator ends it.
    messages.append((100.5, OperatorDecision(action=OperatorAction.CANCEL_DUNNING, actor="op")))
    return case, script, messages


def _named(message: Message, providers: ScriptedProviders) -> Message:
    """A card update names the card the customer attaches, as Stripe's event does."""
    if isinstance(message, PaymentMethodUpdated):
        card = providers.attach_card()
        return message.model_copy(update={"card_fingerprint": card.fingerprint})
    return message


def in_memory(case: dict[str, Any], script: dict[str, Any], messages: list[Any]) -> DunningStatus:
    providers = ScriptedProviders(**script)
    providers.clock = clock = VirtualClock(make_case().failed_at)
    state = simulate(
        make_case(invoice_id="in_same", **case),
        providers,
        clock=clock,
        messages=messages,
        on_message=lambda message: _named(message, providers),
    )
    return case_status(state)


def comparable(status: DunningStatus) -> dict[str, Any]:
    """What both runs must agree on: everything but the exact moments."""
    outcome = status.outcome
    return {
        "stage": status.stage,
        "category": (status.failure_category, status.failure_reason),
        "attempts": [
            (a.number, a.outcome, a.decline_code, a.card, a.scheduled) for a in status.attempts
        ],
        "emails": [(e.template, e.step, e.to) for e in status.emails],
        "routed": [(r.team, re.sub(r"\d{4}-\d\d-\d\d", "DATE", r.reason)) for r in status.routed],
        "events": [e.event for e in status.timeline],
        "outcome": outcome.model_dump(exclude={"closed_at", "days_open"}) if outcome else None,
        "days_open": round(outcome.days_open, 2) if outcome else None,
    }


@pytest.mark.parametrize("seed", SEEDS)
async def test_the_workflow_and_the_memory_run_end_alike(
    time_env: WorkflowEnvironment, seed: int
) -> None:
    case_fields, script, messages = scenario(seed)
    expected = in_memory(case_fields, script, messages)
    fakes = FakeProviders(**script)
    case = make_case(invoice_id=f"in_same_{seed}", **case_fields)
    async with running(time_env, fakes, case) as handle:
        day0 = (await classified(handle)).timeline[0].at
        for day, message in messages:
            wait = day0 + timedelta(days=day) - await time_env.get_current_time()
            await time_env.sleep(wait)
            if (await status_of(handle)).outcome is not None:
                break
            sent = _named(message, fakes)
            await handle.signal(signal_name(sent), sent)
        await handle.result()
        actual = await status_of(handle)
    assert comparable(actual) == comparable(expected)

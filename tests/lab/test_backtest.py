"""Behavioural invoices through the production case machine: the world answers as its
customer and card behave, so when the product acts changes what it recovers."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from cli.main import main
from dunning.contract.enums import EmailTemplate, Outcome, Resolution
from dunning.rules.policy import DunningPolicy
from lab.backtest import backtest, run_world
from worlds.model import World

FIXED_3_7_14 = Path("examples/policies/fixed_3_7_14.json")
STRIPE_LIKE = Path("examples/policies/stripe_like_8_in_14.json")


def world(*invoices: dict[str, Any], **customer: Any) -> World:
    return World.model_validate(
        {
            "calendar_start": "2026-03-02T00:00:00Z",
            "customers": [{"id": "cus_a", "name": "A", "email": "a@a.example", **customer}],
            "invoices": list(invoices),
        }
    )


def card(behaviour: dict[str, Any], decline: str = "insufficient_funds", **more: Any) -> Any:
    return {
        "id": "in_a",
        "customer": "cus_a",
        "amount_due": 5000,
        "currency": "usd",
        "collection_method": "charge_automatically",
        "payment_method_type": "card",
        "subscription_id": "sub_a",
        "failure": {"code": "card_declined", "decline_code": decline},
        "behaviour": behaviour,
        **more,
    }


def test_the_retry_after_the_funds_return_recovers() -> None:
    report = backtest(world(card({"funds_return_day": 4.2})), DunningPolicy())
    [result] = report.per_invoice
    assert (result.outcome, result.resolution) == (Outcome.RECOVERED, Resolution.RETRY)
    assert result.charges == 3, "declined on days 1 and 3, paid on day 5"
    assert result.days_open == 5
    assert report.amount_recovered == 5000
    assert report.charges_per_recovery == 3
    assert report.emails_per_recovery == result.emails == 1, "payment_failed after day 1"


def scripted(outcomes: list[str], invoice_id: str) -> dict[str, Any]:
    """A card invoice whose charges answer `outcomes` in turn, as in the sandbox world."""
    invoice = card({}, id=invoice_id, attempt_outcomes=outcomes)
    del invoice["behaviour"]
    return dict(invoice)


def test_a_scripted_invoice_answers_its_script_as_the_sandbox_does() -> None:
    report = backtest(
        world(
            scripted(["insufficient_funds", "succeeded"], "in_second"),
            scripted(["do_not_honor"], "in_never"),
            scripted(["stolen_card"], "in_stolen"),
        ),
        DunningPolicy(),
    )
    results = {r.invoice_id: r for r in report.per_invoice}
    second, never, stolen = results["in_second"], results["in_never"], results["in_stolen"]
    assert (second.outcome, second.resolution, second.charges) == (
        Outcome.RECOVERED,
        Resolution.RETRY,
        2,
    ), "declined on day 1, paid on day 3"
    assert second.days_open == 3
    assert (never.outcome, never.charges) == (Outcome.END_STATE_APPLIED, 4), "the last repeats"
    assert (stolen.outcome, stolen.charges) == (Outcome.END_STATE_APPLIED, 1), "never again"


def test_a_customer_s_new_card_pays_their_other_invoices_too() -> None:
    # The customer attaches a new card answering the payment_failed email of one invoice
    # (day 1.6 + 1.5): Stripe charges every invoice of theirs on it from then on.
    answering = card(
        {"funds_return_day": None, "reactions": [_update(after_days=1.5)]},
        id="in_answers",
        fails_on_day=0.6,
    )
    earlier = card({"funds_return_day": None}, id="in_earlier", fails_on_day=0.9)
    later = card({"funds_return_day": None}, id="in_later", fails_on_day=4.4)
    alone = backtest(world(earlier), DunningPolicy()).per_invoice[0]
    assert alone.outcome is Outcome.END_STATE_APPLIED, "the old card never pays"
    report = backtest(world(answering, earlier, later), DunningPolicy())
    results = {r.invoice_id: r for r in report.per_invoice}
    assert results["in_answers"].resolution is Resolution.PAYMENT_METHOD_UPDATE
    assert (results["in_earlier"].resolution, results["in_earlier"].days_open) == (
        Resolution.PAYMENT_METHOD_UPDATE,
        2.2,
    ), "its open case heard of the card on day 3.1 and charged it"
    assert (results["in_later"].resolution, results["in_later"].charges) == (
        Resolution.PAYMENT_METHOD_UPDATE,
        1,
    ), "its first retry was made on the card attached before it failed: the new card's money"


def test_a_customer_s_invoices_on_one_card_share_its_network_caps() -> None:
    # Eight invoices on one card, each retried four times in a week by the default plan:
    # 32 charges, where Visa allows 20 retries of a card in 30 days. Each case asks Stripe
    # for the card's other charges before it charges, and waits when they fill the room.
    invoices = [
        card({"funds_return_day": None}, id=f"in_{n}", fails_on_day=n / 10) for n in range(8)
    ]
    _, states = run_world(world(*invoices), DunningPolicy())
    charges = sorted(a.at for state in states for a in state.attempts)
    assert 0 < len(charges) <= 20, "the card's retries stay under Visa's cap"
    busy = [s for s in states if any(e.event == "card_busy" for e in s.timeline)]
    assert busy, "some cases found the card full and waited"
    alone = backtest(world(invoices[0]), DunningPolicy()).per_invoice[0]
    assert alone.charges == 4, "one invoice alone is retried on every day of its plan"


def _update(after_days: float, fails: bool = False) -> dict[str, Any]:
    return {
        "to": "payment_failed",
        "after_days": after_days,
        "does": "update_payment_method",
        "new_card_fails": fails,
    }


def test_when_the_product_retries_changes_what_it_recovers() -> None:
    late = world(card({"funds_return_day": 10}))
    default = backtest(late, DunningPolicy()).per_invoice[0]
    fixed = backtest(late, DunningPolicy.model_validate_json(FIXED_3_7_14.read_text()))
    assert default.outcome is Outcome.END_STATE_APPLIED, "the default's last retry is day 7"
    assert fixed.per_invoice[0].outcome is Outcome.RECOVERED, "day 14 catches funds back on 10"


def test_a_customer_reacts_only_to_an_email_really_sent() -> None:
    reaction = {"to": "reminder", "after_days": 1, "does": "update_payment_method"}
    reacting = world(card({"funds_return_day": None, "reactions": [reaction]}))
    [result] = backtest(reacting, DunningPolicy()).per_invoice
    assert result.resolution is Resolution.PAYMENT_METHOD_UPDATE
    assert result.days_open == 8, "the reminder goes out on day 7; the new card is charged at once"
    quiet = DunningPolicy.model_validate(
        {"email_cadence": {"soft_decline": [{"template": "payment_failed", "day": 0}]}}
    )
    [unmoved] = backtest(reacting, quiet).per_invoice
    assert unmoved.outcome is Outcome.END_STATE_APPLIED, "no reminder, no reaction"


def test_a_reaction_after_the_case_closed_changes_nothing() -> None:
    reaction = {"to": "final_notice", "after_days": 9, "does": "pay"}
    [result] = backtest(
        world(card({"funds_return_day": None, "reactions": [reaction]})), DunningPolicy()
    ).per_invoice
    assert result.outcome is Outcome.END_STATE_APPLIED, "self-serve ends on day 14, before day 19"
    assert result.amount_recovered == 0


def test_a_hard_decline_never_pays_on_the_same_card() -> None:
    [result] = backtest(world(card({}, decline="stolen_card")), DunningPolicy()).per_invoice
    assert result.outcome is Outcome.END_STATE_APPLIED
    assert result.charges == 0


def test_a_missing_po_is_sent_when_asked_and_the_invoice_paid() -> None:
    reaction = {"to": "po_request", "after_days": 2, "does": "provide_po", "po_number": "PO-9"}
    invoice = card({"funds_return_day": 0, "reactions": [reaction]})
    [result] = backtest(
        world(invoice, po_required=True, tier="enterprise", ap_contact={"email": "ap@a.example"}),
        DunningPolicy(),
    ).per_invoice
    assert (result.outcome, result.resolution) == (Outcome.RECOVERED, Resolution.PO_FIX)
    assert result.days_open == 2


def test_a_customer_who_pays_on_their_own_day() -> None:
    [result] = backtest(
        world(card({"funds_return_day": None, "pays_on_day": 6.5})), DunningPolicy()
    ).per_invoice
    assert (result.outcome, result.resolution) == (Outcome.RECOVERED, Resolution.EXTERNAL_PAYMENT)
    assert result.days_open == 6.5


def test_backtest_compares_policies_side_by_side(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "world.json"
    path.write_text(
        world(card({"funds_return_day": 10}, fails_on_day=3)).model_dump_json(exclude_unset=True)
    )
    out = tmp_path / "out"
    argv = ["backtest", "--world", str(path), "--out", str(out)]
    assert main([*argv, "--policy", str(FIXED_3_7_14), "--policy", str(STRIPE_LIKE)]) == 0
    comparison = json.loads((out / "comparison.json").read_text())
    assert comparison["fixed_3_7_14"]["recovered"] == 1
    fixed = comparison["fixed_3_7_14"]
    assert fixed["charges_per_recovery"] == fixed["charges"]
    assert fixed["emails_per_recovery"] == fixed["emails"]
    assert comparison["stripe_like_8_in_14"]["charges"] > comparison["fixed_3_7_14"]["charges"]
    [line] = (out / "fixed_3_7_14" / "cases.jsonl").read_text().splitlines()
    case = json.loads(line)
    assert case["failed_at"].startswith("2026-03-05"), "failed on world day 3"
    assert case["emails"][0]["template"] == EmailTemplate.PAYMENT_FAILED
    assert "fixed_3_7_14" in capsys.readouterr().out


def test_a_world_with_renewals_reports_them_and_duns_the_failed_ones() -> None:
    renewing = World.model_validate(
        {
            "calendar_start": "2026-03-02T00:00:00Z",
            "customers": [{"id": "cus_a", "name": "A", "email": "a@a.example"}],
            "invoices": [card({"funds_return_day": 4.2})],
            "subscriptions": [
                {
                    "id": f"sub_{name}",
                    "customer": "cus_a",
                    "amount": 9900,
                    "currency": "usd",
                    "renews_on_day": 10,
                    "card": {"exp_month": month, "exp_year": 2026},
                }
                for name, month in (("expiring", 2), ("fine", 12))
            ],
        }
    )
    report = backtest(renewing, DunningPolicy())

    assert (report.renewals, report.renewal_failures, report.prevented) == (2, 1, 0)
    assert [r.invoice_id for r in report.per_invoice] == ["in_a", "in_sub_expiring_renewal"]
    renewal = report.per_invoice[1]
    assert renewal.outcome is Outcome.END_STATE_APPLIED, "an expired card nobody replaced"
    assert renewal.charges == 0, "never retried blindly"
    written = json.loads(report.model_dump_json())
    assert written["renewal_failures"] == 1
    plain = json.loads(
        backtest(world(card({"funds_return_day": 4.2})), DunningPolicy()).model_dump_json()
    )
    assert "renewals" not in plain, "only worlds with renewals report them"


def test_a_card_replaced_for_another_invoice_pays_the_renewal() -> None:
    # The customer attaches a new card after the first email of their failed invoice; the
    # renewal on day 10 is charged on it, and pays: a failure prevented, and no case.
    replaces = {"to": "payment_failed", "after_days": 0.5, "does": "update_payment_method"}
    renewing = World.model_validate(
        {
            "calendar_start": "2026-03-02T00:00:00Z",
            "customers": [{"id": "cus_a", "name": "A", "email": "a@a.example"}],
            "invoices": [card({"funds_return_day": None, "reactions": [replaces]})],
            "subscriptions": [
                {
                    "id": "sub_expiring",
                    "customer": "cus_a",
                    "amount": 9900,
                    "currency": "usd",
                    "renews_on_day": 10,
                    "card": {"exp_month": 2, "exp_year": 2026},
                }
            ],
        }
    )
    report = backtest(renewing, DunningPolicy())

    assert (report.renewals, report.renewal_failures, report.prevented) == (1, 0, 1)
    assert [r.invoice_id for r in report.per_invoice] == ["in_a"]


def test_a_customer_who_answers_the_expiry_reminder_renews_without_a_failure() -> None:
    def renewing(reactions: list[dict[str, Any]]) -> World:
        return World.model_validate(
            {
                "calendar_start": "2026-03-02T00:00:00Z",
                "customers": [{"id": "cus_a", "name": "A", "email": "a@a.example"}],
                "invoices": [],
                "subscriptions": [
                    {
                        "id": "sub_expiring",
                        "customer": "cus_a",
                        "amount": 9900,
                        "currency": "usd",
                        "renews_on_day": 40,
                        "card": {"exp_month": 3, "exp_year": 2026},
                        "behaviour": {"reactions": reactions},
                    }
                ],
            }
        )

    # The watch begins 30 days before (day 10) and reminds at once; the customer replaces
    # the card 25 days later, before the renewal on day 40.
    answers = {"to": "expiry_reminder", "after_days": 25, "does": "update_payment_method"}
    report = backtest(renewing([answers]), DunningPolicy())
    assert (report.renewal_failures, report.prevented, report.per_invoice) == (0, 1, [])
    # Too late (35 days after the first reminder), and without the watch's reminders at all.
    late = backtest(renewing([answers | {"after_days": 35}]), DunningPolicy())
    assert (late.renewal_failures, late.prevented) == (1, 0)
    silent = backtest(renewing([answers]), DunningPolicy(expiry_reminder_days=()))
    assert (silent.renewal_failures, silent.prevented) == (1, 0)


def test_a_backtest_leaves_no_cycle_for_the_garbage_collector() -> None:
    # The backtest keeps the collector out of a run and hands what the run leaves to its
    # oldest generation unwalked: sound only while a run makes no cyclic garbage. In an
    # interpreter of its own: threads other tests left (a sandbox delivering webhooks)
    # make garbage of their own meanwhile.
    checked = subprocess.run(
        [sys.executable, "-c", NO_CYCLE],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr[-2000:]
    assert checked.stdout.strip() == "0 cyclic objects"


NO_CYCLE = """
import gc
from collections import Counter
from dunning.rules.policy import DunningPolicy
from lab.backtest import run_world
from worlds.generate import generate
from worlds.model import World

shared = World.model_validate(generate(150, 31, renewals=20))  # played in rounds
gc.collect()
gc.disable()
report, states = run_world(shared, DunningPolicy())
del report, states
gc.set_debug(gc.DEBUG_SAVEALL)
found = gc.collect()
print(f"{found} cyclic objects", *Counter(type(o).__name__ for o in gc.garbage).most_common(5))
"""

"""The lab: a behavioural world run live on the real stack, against the backtest.

The sandbox announces each failure with a signed webhook (the real webhook service checks
the signature and opens the case), charges answer as the card behaves on the world
clock, the customer reacts to the emails SendGrid accepted, and a PO is forwarded as a
person would forward it. Every invoice ends as the in-process backtest says it does.
"""

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cli.main import main
from harness.browser import browser_drawn_charts
from ledger.store import Ledger
from worlds.model import load_world

WORLD = Path(__file__).parent / "worlds" / "small.json"
HOLD_WORLD = Path(__file__).parent / "worlds" / "hold.json"
PAID_ON_DUE_DAY_WORLD = Path(__file__).parent / "worlds" / "paid_on_due_day.json"


def results(folder: Path) -> dict[str, tuple[object, ...]]:
    report = json.loads((folder / "report.json").read_text())
    return {
        r["invoice_id"]: (r["outcome"], r["resolution"], r["end_action"], r["charges"], r["emails"])
        for r in report["per_invoice"]
    }


def dedupe_key(mail: dict[str, Any]) -> str:
    """The mail's de-duplication key: which case (or watch) sent it, and which step."""
    args = dict(mail.get("custom_args") or {})
    for personalization in mail.get("personalizations") or []:
        args.update(personalization.get("custom_args") or {})
    return str(args["dedupe_key"])


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The small world run live and backtested, once for the module."""
    folder = tmp_path_factory.mktemp("lab")
    live, offline = folder / "lab", folder / "backtest"
    assert main(["lab", "--world", str(WORLD), "--out", str(live), "--day-seconds", "1"]) == 0
    assert main(["backtest", "--world", str(WORLD), "--out", str(offline)]) == 0
    return live, offline


def test_the_lab_s_ledger_holds_every_case_and_its_report_draws_in_a_browser(
    runs: tuple[Path, Path],
) -> None:
    live, _ = runs
    entries = Ledger.at(f"sqlite:///{live / 'ledger.db'}").entries()
    cases = {e.invoice_id: e for e in entries if e.kind == "dunning"}
    assert set(cases) == set(results(live)), "one row per case"
    assert all(e.closed_at is not None and e.status is not None for e in cases.values())
    assert cases["in_lab_retry"].outcome == "recovered"
    watches = [e for e in entries if e.kind == "predunning"]
    assert len(watches) == 5 and all(w.outcome for w in watches)
    html = (live / "report.html").read_text()
    assert html.count("<svg class=chart") == 4 and "http" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    ), "self-contained: nothing fetched"
    assert browser_drawn_charts(live / "report.html") == 4


def test_the_lab_and_the_backtest_agree_per_invoice(runs: tuple[Path, Path]) -> None:
    live, offline = runs
    assert results(live) == results(offline)
    assert {r[1] for r in results(live).values()} == {
        "retry",
        "payment_method_update",
        "po_fix",
        "external_payment",
        None,
    }, "every way the small world recovers, and an end state"
    for name in ("report.json", "cases.jsonl", "sandbox_state.json", "sandbox_calls.json"):
        assert (live / name).exists(), name
    # The run says how it agrees with the backtest of its world, on its own calendar.
    agreement = json.loads((live / "agreement.json").read_text())
    assert agreement["same_ending"] == agreement["invoices"] == len(results(live))
    assert agreement["differing"] == []
    assert (
        json.loads((live / "backtest.json").read_text())["per_invoice"]
        == json.loads((offline / "report.json").read_text())["per_invoice"]
    ), "the world's calendar is fixed: the same backtest"
    state = json.loads((live / "sandbox_state.json").read_text())
    assert state["invoices"]["in_lab_card"]["paid_by"] == "charge"
    assert state["invoices"]["in_lab_lost"]["paid_by"] == "pays_on_day"
    # A bank debit counts once the bank settled it, and two returns end the presentments.
    assert state["invoices"]["in_lab_debit"]["paid_by"] == "charge"
    assert results(live)["in_lab_debit"][:2] == ("recovered", "retry")
    assert results(live)["in_lab_returned"][3] == 2
    # B's new card, attached answering one invoice's email, is the card of all of B's
    # invoices: the case already open hears of it; one failing later is paid by it on its
    # first retry, the new card's money (the charge names the card it was made on).
    # B's id is the world's own, not shaped as Stripe's (`acme-b`): its cases are found.
    assert results(live)["in_lab_b_earlier"][:2] == ("recovered", "payment_method_update")
    assert results(live)["in_lab_b_later"][:2] == ("recovered", "payment_method_update")
    # A scripted invoice in a behavioural world fails on its day and answers its script.
    assert results(live)["in_lab_script"][:4] == ("recovered", "retry", None, 2)
    # A renewal on an expired card nobody replaced failed and was dunned; one on a good card
    # paid; one whose customer replaced the card after the expiry reminder paid: prevented.
    report = json.loads((live / "report.json").read_text())
    assert (report["renewals"], report["renewal_failures"], report["prevented"]) == (5, 2, 1)
    offline_report = json.loads((offline / "report.json").read_text())
    assert offline_report["prevented"] == 1
    assert results(live)["in_sub_g_renewal"][0] == "end_state_applied"
    # P's AP team sent the PO its renewal's watch asked for; the invoiced renewal, overdue,
    # carries it (Stripe keeps the subscription's metadata on it): its case asks for no PO,
    # and the reminder it sends is paid.
    assert results(live)["in_sub_p_renewal"][:2] == ("recovered", "external_payment")
    calls = json.loads((live / "sandbox_calls.json").read_text())
    mails = [c["body"]["categories"] for c in calls if c["path"] == "/v3/mail/send"]
    assert mails.count(["expiry_reminder"]) == 2, "both expiring cards were reminded of, once"
    # G's and P's AP teams pay only invoices with a PO: each renewal's watch asked for one
    # before invoicing; the cases of the renewals that failed anyway do not ask again.
    asked_po = [
        str(dedupe_key(c["body"])).split("/")[0]
        for c in calls
        if c["path"] == "/v3/mail/send" and c["body"]["categories"] == ["po_request"]
    ]
    assert sorted(k.rsplit("-", 1)[0] for k in asked_po if k.startswith("predunning-")) == [
        "predunning-sub_g",
        "predunning-sub_g2",
        "predunning-sub_p",
    ]
    assert "dunning-in_sub_g_renewal" not in asked_po
    assert "dunning-in_sub_p_renewal" not in asked_po, "P's renewal carries the PO P sent"
    assert report["predunning_emails"] == offline_report["predunning_emails"] == 7
    # N renews on net terms: reminded three days before it falls due, N pays; no case opens.
    assert mails.count(["due_reminder"]) == 2, "N's and P's"
    assert state["invoices"]["in_sub_n_renewal"]["paid_by"] == "customer"
    assert "in_sub_n_renewal" not in results(live)
    keys = {c["idempotency_key"] for c in calls if c["path"].endswith("/pay")}
    charges = [int(str(r[3])) for r in results(live).values()]
    assert len(keys) == sum(charges), "one key per charge"
    cases = [json.loads(line) for line in (live / "cases.jsonl").read_text().splitlines()]
    world = json.loads(WORLD.read_text())
    start = datetime.fromisoformat(world["calendar_start"])
    failing_days = {i["id"]: i.get("fails_on_day", 0) for i in world["invoices"]}
    failing_days |= {f"in_{s.id}_renewal": s.due_day for s in load_world(WORLD).subscriptions}
    renewal_case = next(c for c in cases if c["invoice_id"] == "in_sub_g_renewal")
    assert any(entry["event"] == "watched" for entry in renewal_case["timeline"])
    for case in cases:
        failed_at = datetime.fromisoformat(case["failed_at"])
        expected = start + timedelta(days=failing_days[case["invoice_id"]])
        assert abs(failed_at - expected) < timedelta(days=1), "on the world's calendar"


def test_a_case_left_waiting_on_a_person_ends_the_run_open_as_in_the_backtest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The invoice differs from the contract: only RevOps can move the case on, and nobody
    # in the world will. Once the world has nothing left to do, the run ends with the
    # case open (exit 1, naming it) instead of waiting out its timeout, and writes results
    # the backtest agrees with.
    live, offline = tmp_path / "lab", tmp_path / "backtest"
    run = ["lab", "--world", str(HOLD_WORLD), "--out", str(live), "--day-seconds", "1"]
    assert main([*run, "--timeout", "60"]) == 1
    assert "still open, each waiting on a person" in capsys.readouterr().out
    assert main(["backtest", "--world", str(HOLD_WORLD), "--out", str(offline)]) == 0
    assert results(live) == results(offline)
    assert results(live)["in_hold_mismatch"][0] is None
    assert results(live)["in_hold_retry"][:2] == ("recovered", "retry")
    report = json.loads((live / "report.json").read_text())
    assert (report["invoices"], report["closed"]) == (2, 1)
    cases = [json.loads(line) for line in (live / "cases.jsonl").read_text().splitlines()]
    held = next(c for c in cases if c["invoice_id"] == "in_hold_mismatch")
    assert held["stage"] == "awaiting_internal" and held["outcome"] is None


def test_a_customer_paying_as_the_invoice_falls_due_is_heard_after_its_case_opened(
    tmp_path: Path,
) -> None:
    # The customer pays the moment the invoice falls due. At a second a day the webhook
    # takes a noticeable part of a day; the payment still comes after the product heard of
    # the failure, as it does in real time: the case opens, hears of the payment and
    # recovers, as in the backtest, instead of the webhook service finding the invoice
    # already paid and opening nothing.
    live, offline = tmp_path / "lab", tmp_path / "backtest"
    run = ["lab", "--world", str(PAID_ON_DUE_DAY_WORLD), "--out", str(live), "--day-seconds", "1"]
    assert main([*run, "--timeout", "60"]) == 0
    assert main(["backtest", "--world", str(PAID_ON_DUE_DAY_WORLD), "--out", str(offline)]) == 0
    assert results(live) == results(offline)
    assert results(live)["in_paid_on_due_day"][:2] == ("recovered", "external_payment")

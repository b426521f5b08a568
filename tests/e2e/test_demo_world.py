"""The demo's world runs to completion as the lab runs it, on the real stack."""

import json
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from activities.stripe_answers import po_number_of
from devstack.lab import drive
from devstack.progress import renewals_text, report_text
from dunning.contract.enums import CustomerTier, FailureCategory, PaymentMethodType
from dunning.contract.status import DunningStatus
from dunning.views.kpis import recovery_report
from worlds.model import load_world

DEMO_WORLD = Path(__file__).parent.parent.parent / "examples" / "world.json"


def test_the_demo_world_covers_every_category_tier_and_method() -> None:
    world = load_world(DEMO_WORLD)
    assert len(world.invoices) >= 12
    assert {c.tier for c in world.customers} == set(CustomerTier)
    assert {i.payment_method_type for i in world.invoices} == set(PaymentMethodType)
    assert all(i.behaviour is not None for i in world.invoices), "a behavioural world"


async def test_the_demo_world_runs_to_completion(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    address = dev_env.client.service_client.config.target_host
    shown: list[list[DunningStatus]] = []
    report, statuses = await drive(
        dev_env.client,
        address,
        load_world(DEMO_WORLD),
        DEMO_WORLD,
        tmp_path,
        policy=None,
        day_seconds=1,
        timeout_seconds=180,
        show=shown.append,
    )
    kpis = recovery_report(statuses)
    assert kpis.open == 0
    assert {s.opened_as for s in statuses} == set(FailureCategory)
    # 15 invoices and one renewal that failed anyway (its customer replaced the card when
    # dunned); a renewal whose card was replaced after the expiry reminder was prevented.
    assert kpis.overall.recovered == 12 and kpis.overall.closed == 16
    assert len(kpis.end_states) == 3, "cancel, pause and mark uncollectible all happen"
    assert "recovered: 12 of 16 closed (75%)" in report_text(kpis)
    assert report.recovered == 12 and report.network_fees == 0
    assert (report.renewals, report.renewal_failures, report.prevented) == (3, 1, 1)
    assert report.prevented_amount == 4900
    renewals = renewals_text(report, {"usd"})
    assert "prevented by pre-dunning 1 (49.00 USD kept from failing)" in renewals
    assert shown and len(shown[-1]) == 16, "the live table was shown"
    # Tyrell's AP team sent the PO the watch asked for: its renewal invoice carries it, as
    # Stripe keeps the subscription's metadata on the invoices it issues.
    state = json.loads((tmp_path / "sandbox_state.json").read_text())
    tyrell = state["invoices"]["in_sub_tyrell_renewal"]
    assert tyrell["status"] == "paid"
    assert tyrell["subscription_details"] == {"metadata": {"po_number": "PO-TY-2027"}}
    assert po_number_of(tyrell) == "PO-TY-2027"
    # The report to look at, from the run's ledger: every case and watch, four charts.
    assert (tmp_path / "report.html").read_text().count("<svg class=chart") == 4

"""The demo's world runs to completion as the lab runs it, on the real stack."""

from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from devstack.lab import drive
from devstack.progress import report_text
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
    assert kpis.overall.recovered == 11 and kpis.overall.closed == 15
    assert len(kpis.end_states) == 3, "cancel, pause and mark uncollectible all happen"
    assert "recovered: 11 of 15 closed (73%)" in report_text(kpis)
    assert report.recovered == 11 and report.network_fees == 0
    assert shown and len(shown[-1]) == 15, "the live table was shown"

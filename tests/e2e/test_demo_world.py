"""The demo's world runs to completion on the real stack, scripted actions and all."""

import io
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from devstack.progress import report_text
from devstack.world_run import run_world
from dunning.contract.enums import CustomerTier, FailureCategory, PaymentMethodType
from dunning.views.kpis import recovery_report
from tests.stack import running_stack
from worlds.model import load_world

DEMO_WORLD = Path(__file__).parent.parent.parent / "examples" / "world.json"


def test_the_demo_world_covers_every_category_tier_and_method() -> None:
    world = load_world(DEMO_WORLD)
    assert len(world.invoices) >= 12
    assert {c.tier for c in world.customers} == set(CustomerTier)
    assert {i.payment_method_type for i in world.invoices} == set(PaymentMethodType)


async def test_the_demo_world_runs_to_completion(
    dev_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> None:
    address = dev_env.client.service_client.config.target_host
    with running_stack(address, DEMO_WORLD, tmp_path_factory.mktemp("demo")) as stack:
        out = io.StringIO()
        statuses = await run_world(
            dev_env.client,
            load_world(DEMO_WORLD),
            task_queue=stack.task_queue,
            day_seconds=1,
            sandbox_url=stack.sandbox_url,
            timeout_seconds=180,
            out=out,
        )
    report = recovery_report(statuses)
    assert report.open == 0
    assert {s.opened_as for s in statuses} == set(FailureCategory)
    assert report.overall.recovered == 11 and report.overall.closed == 15
    assert len(report.end_states) == 3, "cancel, pause and mark uncollectible all happen"
    text = report_text(report)
    assert "recovered: 11 of 15 closed (73%)" in text
    assert "in_1008" in out.getvalue(), "the progress table was shown"

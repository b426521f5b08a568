"""The daily scan: every page of Stripe's subscriptions read, one watch started per renewal
in the policy's window, and nothing started twice."""

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import payments
from activities.clients import stripe_client
from activities.payments import PaymentActivities
from activities.watches import WatchActivities
from dunning.contract.case import CaseOptions
from dunning.contract.predunning import ScanOutcome, ScanRequest
from dunning.rules.policy import DunningPolicy
from harness.sandbox_world import settings_for
from harness.temporal import record
from sandbox.server import SandboxServer
from workflows import search_attributes
from workflows.predunning_scan import PreDunningScanWorkflow
from workflows.runner import workflow_runner
from worlds.model import World

RENEWAL_DAYS = {"sub_soon": 10, "sub_mid": 45, "sub_edge": 59, "sub_later": 75}


@pytest.fixture
def renewing_world(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    """A sandbox whose world clock stands still at day 0, with four renewals ahead."""
    monkeypatch.setattr(payments, "RENEWALS_PAGE", 3)  # two pages
    world = World.model_validate(
        {
            "calendar_start": "2026-01-01T00:00:00Z",
            "customers": [{"id": "cus_s", "name": "S", "email": "s@x.example"}],
            "invoices": [],
            "subscriptions": [
                {
                    "id": sub_id,
                    "customer": "cus_s",
                    "amount": 9900,
                    "currency": "usd",
                    "renews_on_day": day,
                    "card": {"exp_month": 12, "exp_year": 2030},
                }
                for sub_id, day in RENEWAL_DAYS.items()
            ],
        }
    )
    server = SandboxServer(world, day_seconds=86_400)
    server.start_background()
    yield server
    server.shutdown()
    server.server_close()


async def scan(
    env: WorkflowEnvironment, queue: str, policy: DunningPolicy, history: str = ""
) -> ScanOutcome:
    request = ScanRequest(options=CaseOptions(day_seconds=60), policy=policy)
    handle = await env.client.start_workflow(
        PreDunningScanWorkflow.run, request, id=f"scan-{uuid.uuid4()}", task_queue=queue
    )
    result = await handle.result()
    if history:
        await record(handle, history)
    return result


async def test_a_scan_watches_each_renewal_in_the_window_once(
    dev_env: WorkflowEnvironment, renewing_world: SandboxServer
) -> None:
    queue = f"scan-{uuid.uuid4()}"
    stripe_activities = PaymentActivities(stripe_client(settings_for(renewing_world.base_url)))
    watches = WatchActivities(dev_env.client, queue)
    with ThreadPoolExecutor(max_workers=2) as executor:
        async with Worker(
            dev_env.client,
            task_queue=queue,
            workflows=[PreDunningScanWorkflow],  # the watches wait unrun: only starts count
            activities=[stripe_activities.list_renewals, watches.start_watches],
            activity_executor=executor,
            workflow_runner=workflow_runner(),
        ):
            first = await scan(dev_env, queue, DunningPolicy(), "predunning_scan")
            again = await scan(dev_env, queue, DunningPolicy())
            narrow = await scan(dev_env, queue, DunningPolicy(predunning_window_days=30))
            off = await scan(dev_env, queue, DunningPolicy(predunning=False))

    assert (first.listed, first.due, first.started) == (4, 3, 3)
    assert (again.due, again.started) == (3, 0)
    assert (narrow.due, narrow.started) == (1, 0)
    assert (off.listed, off.started) == (0, 0)
    started: dict[str, Any] = {}
    query = f"TaskQueue = '{queue}' AND CaseKind = 'predunning'"
    async for listed in dev_env.client.list_workflows(query):
        started[listed.id] = listed
    prefixes = sorted(wid.rsplit("-", 1)[0] for wid in started)
    assert prefixes == ["predunning-sub_edge", "predunning-sub_mid", "predunning-sub_soon"]
    described = await dev_env.client.get_workflow_handle(next(iter(started))).describe()
    attributes = described.typed_search_attributes
    assert attributes.get(search_attributes.CUSTOMER_ID) == "cus_s"
    assert attributes.get(search_attributes.CASE_KIND) == ["predunning"]

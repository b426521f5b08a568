"""Cost per case: billable actions, history events and bytes, from real histories."""

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from dunning.contract.enums import CustomerTier
from dunning.providers.facts import AccountFacts, Person
from harness.fakes import SUCCEEDED, FakeProviders
from harness.temporal import make_case, running
from workflows.names import Signals

BILLABLE = {
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: "activities",
    EventType.EVENT_TYPE_TIMER_STARTED: "timers",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: "signals",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: "updates",
    EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: "upserts",
}
"""History events that Temporal Cloud bills as one action each (plus the start)."""


@dataclass(frozen=True)
class Cost:
    """What one case cost."""

    path: str
    actions: int
    breakdown: dict[str, int]
    events: int
    history_bytes: int


def cost_of(path: str, history: WorkflowHistory, queries: int = 0) -> Cost:
    """Count the billable actions of a history (start, activity attempts, timers, …)."""
    counts: Counter[str] = Counter({"start": 1, "queries": queries})
    for event in history.events:
        if event.event_type in BILLABLE:
            counts[BILLABLE[event.event_type]] += 1
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            counts["activity retries"] += event.activity_task_started_event_attributes.attempt - 1
    size = sum(event.ByteSize() for event in history.events)
    return Cost(path, sum(counts.values()), dict(counts), len(history.events), size)


async def path_costs(env: WorkflowEnvironment) -> list[Cost]:
    """Run every path of the issue on the time-skipping server and count what it cost."""
    costs = []
    for name, fakes, case, script in _paths():
        async with running(env, fakes, case) as handle:
            for delay_days, signal, payload in script:
                await env.sleep(timedelta(days=delay_days))
                await handle.signal(signal, payload)
            await handle.result()
            costs.append(cost_of(name, await handle.fetch_history()))
    return costs


def _paths() -> list[tuple[str, FakeProviders, Any, list[tuple[float, str, dict[str, Any]]]]]:
    enterprise = AccountFacts(tier=CustomerTier.ENTERPRISE, owner_id="7", company_id="c1")
    ap = Person(name="AP", email="ap@customer.example")
    return [
        (
            "soft decline, recovered on the 2nd retry",
            FakeProviders(outcomes=["insufficient_funds", SUCCEEDED]),
            make_case(),
            [],
        ),
        (
            "hard decline, recovered after payment_method_updated",
            FakeProviders(outcomes=[SUCCEEDED]),
            make_case(failure={"decline_code": "stolen_card"}),
            [(2, Signals.PAYMENT_METHOD_UPDATED, {})],
        ),
        (
            "missing PO, fixed by po_number_provided",
            FakeProviders(
                account=AccountFacts(po_required=True, ap_contact=ap), outcomes=[SUCCEEDED]
            ),
            make_case(),
            [(2, Signals.PO_NUMBER_PROVIDED, {"po_number": "PO-1"})],
        ),
        (
            "self-serve soft decline, exhausted to its end state",
            FakeProviders(outcomes=["insufficient_funds"]),
            make_case(),
            [],
        ),
        (
            "enterprise net terms, 60 days overdue",
            FakeProviders(account=enterprise.model_copy(update={"ap_contact": ap})),
            make_case(
                collection_method="send_invoice", payment_method_type="invoice", failure=None
            ),
            [],
        ),
        (
            "enterprise soft decline, 60 days to its end state",
            FakeProviders(account=enterprise, outcomes=["insufficient_funds"]),
            make_case(),
            [],
        ),
    ]

"""Counting what a case costs, on committed histories."""

from pathlib import Path

from temporalio.client import WorkflowHistory

from bench.cost import cost_of

HISTORIES = Path(__file__).parent.parent / "histories"


def history(name: str) -> WorkflowHistory:
    return WorkflowHistory.from_json(name, (HISTORIES / f"{name}.json").read_text())


def test_billable_actions_are_counted_from_the_history() -> None:
    cost = cost_of("soft", history("soft_decline_recovered"))
    assert cost.breakdown["start"] == 1
    assert cost.breakdown["activities"] == 5, "the facts, two charges, one email, the ledger"
    assert cost.breakdown["timers"] == 2, "day 1 and day 3"
    assert cost.breakdown["upserts"] == 3, "classified, the second wait, closed"
    assert cost.actions == sum(cost.breakdown.values()) == 11
    assert cost.events == len(history("soft_decline_recovered").events)


def test_a_case_upserts_at_most_once_per_wait_and_once_at_the_close() -> None:
    cost = cost_of("enterprise", history("soft_decline_exhausted_enterprise"))
    assert cost.breakdown["timers"] == 7, "days 1, 3, 5, 7, 14, 50 and 60"
    assert cost.breakdown["upserts"] <= cost.breakdown["timers"] + 1

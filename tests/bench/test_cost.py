"""Counting what a case costs, on committed histories."""

from pathlib import Path

from temporalio.client import WorkflowHistory

from bench.cost import cost_of

HISTORIES = Path(__file__).parent.parent / "histories"


def history(name: str) -> WorkflowHistory:
    return WorkflowHistory.from_json(name, (HISTORIES / f"{name}.json").read_text())


def test_billable_actions_are_counted_from_the_history() -> None:
    cost = cost_of("soft", history("soft_decline_recovered__one_upsert_per_wait"))
    assert cost.breakdown["start"] == 1
    assert cost.breakdown["activities"] == 5, "lookup, read, two charges, one email"
    assert cost.breakdown["timers"] == 2, "day 1 and day 3"
    assert cost.actions == sum(cost.breakdown.values())
    assert cost.events == len(history("soft_decline_recovered__one_upsert_per_wait").events)


def test_the_patch_cut_the_upserts() -> None:
    before = cost_of("before", history("soft_decline_exhausted_enterprise"))
    after = cost_of("after", history("soft_decline_exhausted_enterprise__one_upsert_per_wait"))
    assert after.breakdown["upserts"] < before.breakdown["upserts"]
    assert after.breakdown["timers"] == before.breakdown["timers"], "the schedule is the same"

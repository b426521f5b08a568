"""The demo's table and report text."""

from datetime import UTC, datetime

from devstack.progress import progress_table, report_text
from dunning.providers.facts import AccountFacts
from dunning.views.kpis import recovery_report
from harness.temporal import make_case
from tests.dunning.simulator import SUCCEEDED, Simulation


def test_table_and_report() -> None:
    recovered = Simulation(make_case(invoice_id="in_a"), AccountFacts(), ["x", SUCCEEDED]).run()
    exhausted = Simulation(
        make_case(invoice_id="in_b"), AccountFacts(), ["insufficient_funds"]
    ).run()
    statuses = [recovered.status(), exhausted.status()]
    table = progress_table(statuses, datetime.now(UTC), 86400)
    lines = table.splitlines()
    assert lines[0].split() == [
        "invoice",
        "tier",
        "failure",
        "stage",
        "tries",
        "next",
        "action",
        "team",
        "outcome",
    ]
    assert "in_a" in lines[1] and "recovered/retry" in lines[1]
    assert "end_state_applied/cancel_subscription" in lines[2]
    assert all(line == line.rstrip() for line in lines)
    text = report_text(recovery_report(statuses))
    assert "recovered: 1 of 2 closed (50%)" in text
    assert "money: 50.00 USD recovered of 100.00 USD at risk" in text

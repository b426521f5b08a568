"""The demo's table and report text."""

from datetime import UTC, datetime

from devstack.progress import progress_table, report_text
from dunning.contract.case import REAL_DAY_SECONDS
from dunning.views.kpis import recovery_report
from dunning.views.status import case_status
from harness.temporal import make_case
from lab.scripted import SUCCEEDED, ScriptedProviders
from lab.virtual import simulate


def test_table_and_report() -> None:
    recovered = simulate(make_case(invoice_id="in_a"), ScriptedProviders(outcomes=["x", SUCCEEDED]))
    exhausted = simulate(make_case(invoice_id="in_b"), ScriptedProviders(outcomes=["x"]))
    statuses = [case_status(recovered), case_status(exhausted)]
    table = progress_table(statuses, datetime.now(UTC), REAL_DAY_SECONDS)
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

"""The ledger's two writes of a case: its opening, in the same billed action as its first
read, and its close, once, with what it cost."""

from temporalio.testing import WorkflowEnvironment

from dunning.contract.enums import CaseKind
from harness.fakes import SUCCEEDED, FakeProviders
from harness.temporal import make_case, running


async def test_a_case_is_recorded_when_it_opens_and_when_it_closes(
    time_env: WorkflowEnvironment,
) -> None:
    fakes = FakeProviders(outcomes=["insufficient_funds", SUCCEEDED])
    case = make_case()
    async with running(time_env, fakes, case) as handle:
        outcome = await handle.result()
        run_id = handle.first_execution_run_id or handle.result_run_id

    [read] = fakes.named("read_case_facts")
    opened = read.opening
    assert opened is not None and opened.closed_at is None
    assert (opened.workflow_id, opened.run_id, opened.kind) == (
        case.workflow_id,
        run_id,
        CaseKind.DUNNING,
    )
    assert (opened.invoice_id, opened.amount_due, opened.due_at) == (
        case.invoice_id,
        case.amount_due,
        case.failed_at,
    )
    [closed] = fakes.named("record_case")
    assert closed.run_id == opened.run_id and closed.opened_at == opened.opened_at
    assert (closed.outcome, closed.amount_recovered, closed.attempts) == (
        outcome.outcome,
        case.amount_due,
        outcome.attempts,
    )
    assert closed.category == "soft_decline" and closed.history_events
    assert fakes.calls[-1][0] == "record_case", "the close is the case's last act"

"""A case paused and resumed 500 times carries its state into fresh histories, loses no
message, stays within the history limits, and still ends as its policy says."""

from temporalio.testing import WorkflowEnvironment

from dunning.contract.enums import Outcome, Stage
from harness.fakes import FakeProviders
from harness.temporal import classified, make_case, record, running, status_of
from workflows.names import Signals

CYCLES = 500
HISTORY_LIMIT = 10_000
"""Far below Temporal's 51,200-event limit: every run of the case must stay this small."""


async def test_500_pause_resume_cycles_continue_as_new(time_env: WorkflowEnvironment) -> None:
    fakes = FakeProviders(outcomes=["insufficient_funds"])
    async with running(time_env, fakes, make_case()) as handle:
        first = await classified(handle)
        first_run = (await handle.describe()).run_id
        for _ in range(CYCLES):
            await handle.signal(Signals.OPERATOR_DECISION, {"action": "pause", "actor": "op"})
            await handle.signal(Signals.OPERATOR_DECISION, {"action": "resume", "actor": "op"})
        latest = time_env.client.get_workflow_handle(handle.id)
        during = await status_of(latest)
        described = await latest.describe()
        outcome = await handle.result()
        after = await status_of(latest)
        await record(latest, "long_life_carried_over")
    assert first.stage is Stage.RETRYING
    assert described.run_id != first_run, "the case continued as new"
    assert (described.raw_description.workflow_execution_info.history_length) < HISTORY_LIMIT
    carried = [e for e in after.timeline if e.event == "carried_over"]
    assert carried, "the timeline says the case carried over"
    summary = next(e for e in after.timeline if e.event == "summarized")
    decisions_summarized = int(summary.detail.split("operator_decision x")[1].split(",")[0])
    whole = sum(1 for e in after.timeline if e.event == "operator_decision")
    assert decisions_summarized + whole == 2 * CYCLES, "no signal was lost across the runs"
    assert during.stage is not Stage.PAUSED, "the last word was resume"
    assert outcome.outcome is Outcome.END_STATE_APPLIED
    assert outcome.attempts == 4, "the retry schedule went on across the runs"
    assert len(fakes.named("read_case_facts")) == 1, "facts are read once, not per run"

"""Every committed history replays against today's workflow code: a change that would
break running cases fails here, before it ships.

Re-record after an intended, patched change with `make histories`.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from workflows.runner import workflow_runner

with workflow.unsafe.imports_passed_through():
    from dunning.contract.case import DunningCase
    from dunning.contract.enums import FailureCategory
    from dunning.contract.status import DunningOutcome
    from dunning.machine.decisions import Wait
    from dunning.machine.state import CarriedCase, CaseState
    from dunning.rules.policy import DunningPolicy
    from workflows.dispute import DisputeWorkflow
    from workflows.dunning import DunningWorkflow
    from workflows.predunning import PreDunningWorkflow
    from workflows.predunning_scan import PreDunningScanWorkflow

HISTORIES_DIR = Path(__file__).parent.parent / "histories"
HISTORIES = sorted(HISTORIES_DIR.glob("*.json"))
EVERY_PATH = {
    "soft_decline_recovered",
    "soft_decline_exhausted_self_serve",
    "soft_decline_exhausted_mid_market",
    "soft_decline_exhausted_enterprise",
    "hard_decline_recovered_after_update",
    "customer_action_recovered",
    "missing_po_fixed",
    "contract_mismatch_routed",
    "overdue_net_terms_collections",
    "operator_pause_resume_extend",
    "operator_write_off",
    "operator_mark_paid_offline",
    "operator_cancel_dunning",
    "invalid_signals_ignored",
    "update_provide_po_number",
    "update_decide_pause_write_off",
    "provider_refusal_held_then_resumed",
    "operator_pause_reviewed",
    "long_life_carried_over",
    "learned_plan_payday_retry",
    "learned_plan_by_decline",
    "bank_debit_settled",
    "card_busy_elsewhere",
    "dispute_routed",
    "predunning_prevented",
    "predunning_po_requested",
    "predunning_net_terms_due",
    "predunning_scan",
    "short_wait_napped",
    "debit_answered_before_its_charge_returned",
}


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(f"dunning-{path.stem}", path.read_text())


def test_every_path_has_a_committed_history() -> None:
    assert {p.stem for p in HISTORIES} >= EVERY_PATH


def test_a_running_case_keeps_the_policy_it_started_with() -> None:
    """Recorded with the reminder on day 6 in its input (today's default: day 7); it
    replays (in `test_history_replays`) on today's code, which never reads the default."""
    history = load(HISTORIES_DIR / "policy_captured_at_start_reminder_day_6.json")
    started = history.events[0].workflow_execution_started_event_attributes
    case = pydantic_data_converter.payload_converter.from_payloads(
        list(started.input.payloads), [DunningCase]
    )[0]
    policy = case.policy
    assert policy is not None
    reminder = [s.day for s in policy.email_cadence["hard_decline"] if s.template == "reminder"]
    default = DunningPolicy().email_cadence[FailureCategory.HARD_DECLINE]
    assert reminder == [6] and [s.day for s in default if s.template == "reminder"] == [7]


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_history_replays(path: Path) -> None:
    replayer = Replayer(
        workflows=[DunningWorkflow, DisputeWorkflow, PreDunningWorkflow, PreDunningScanWorkflow],
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(),
    )
    result = await replayer.replay_workflow(load(path), raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.stem}: {result.replay_failure}"


@workflow.defn(name="DunningWorkflow")
class SleepsBeforeClassifying(DunningWorkflow):
    """An unpatched change: a new timer before the first activity."""

    @workflow.run
    async def run(self, case: DunningCase | CarriedCase) -> DunningOutcome:
        await workflow.sleep(timedelta(minutes=1))
        return await super().run(case)


async def test_an_unpatched_change_fails_replay() -> None:
    replayer = Replayer(
        workflows=[SleepsBeforeClassifying],
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(),
    )
    history = next(p for p in HISTORIES if p.stem == "soft_decline_recovered")
    with pytest.raises(NondeterminismError):
        await replayer.replay_workflow(load(history))


@workflow.defn(name="DunningWorkflow")
class SleepsAnHourLonger(DunningWorkflow):
    """A change replay cannot see: every timer an hour longer, the same commands in order."""

    @workflow.run
    async def run(self, case: DunningCase | CarriedCase) -> DunningOutcome:
        return await super().run(case)

    async def sleep(self, state: CaseState, wait: Wait) -> None:
        later = wait.until + timedelta(hours=1) if wait.until else None
        await super().sleep(state, Wait(later, wait.next_action))


async def test_a_changed_timer_duration_is_not_a_replay_failure() -> None:
    # What replay does not catch: Temporal matches a timer by its place in the history,
    # not its duration. Schedules are held by tests/dunning/machine/test_schedules.py.
    replayer = Replayer(
        workflows=[SleepsAnHourLonger],
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(),
    )
    history = next(p for p in HISTORIES if p.stem == "soft_decline_recovered")
    result = await replayer.replay_workflow(load(history), raise_on_replay_failure=False)
    assert result.replay_failure is None

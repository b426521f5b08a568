"""Replay speed: the cases' histories against the baselines' histories."""

import time
from dataclasses import dataclass
from typing import Any

from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from bench.baseline import BaselineWorkflow
from workflows.dunning import DunningWorkflow
from workflows.runner import workflow_runner


@dataclass(frozen=True)
class ReplaySpeed:
    """Histories replayed per second."""

    count: int
    cases_per_second: float
    baseline_per_second: float

    @property
    def ratio(self) -> float:
        """Cases' replay rate over the baseline's."""
        return self.cases_per_second / self.baseline_per_second


async def measure(client: Client, case_ids: list[str], baseline_ids: list[str]) -> ReplaySpeed:
    """Fetch both sets of histories, then time replaying each set."""
    cases = [await client.get_workflow_handle(i).fetch_history() for i in case_ids]
    baselines = [await client.get_workflow_handle(i).fetch_history() for i in baseline_ids]
    return ReplaySpeed(
        len(cases),
        len(cases) / await _replay(DunningWorkflow, cases),
        len(baselines) / await _replay(BaselineWorkflow, baselines),
    )


async def _replay(workflow: Any, histories: list[WorkflowHistory]) -> float:
    replayer = Replayer(
        workflows=[workflow],
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(),
    )
    started = time.perf_counter()
    for history in histories:
        await replayer.replay_workflow(history)
    return time.perf_counter() - started

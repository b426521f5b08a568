"""Connecting to Temporal the way Temporal users expect, and starting cases by the contract."""

import os
import sys
from typing import NoReturn

from pydantic import BaseModel
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.envconfig import ClientConfig
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from dunning.case import DunningCase
from dunning.notices import static_details, static_summary
from dunning.policy import DunningPolicy
from dunning.status import DunningOutcome
from workflows import search_attributes
from workflows.dunning import DunningWorkflow


def exit_process(code: int) -> NoReturn:
    """Flush and leave without interpreter teardown.

    The Temporal client's Rust threads can outlive a process's last coroutine and abort
    the teardown (temporalio/sdk-python#300); once the work is done there is nothing to
    tear down, so every entry point leaves through here.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


async def connect(metrics_port: int | None = None) -> Client:
    """A client from `temporalio.envconfig` profiles and the `TEMPORAL_*` variables.

    With `metrics_port`, the SDK's metrics and the product's counters are served for
    Prometheus on that port.
    """
    config = ClientConfig.load_client_connect_config()
    config.setdefault("target_host", "localhost:7233")
    runtime = None
    if metrics_port is not None:
        prometheus = PrometheusConfig(bind_address=f"0.0.0.0:{metrics_port}")
        runtime = Runtime(telemetry=TelemetryConfig(metrics=prometheus))
    return await Client.connect(**config, data_converter=pydantic_data_converter, runtime=runtime)


async def start_case(
    client: Client,
    case: DunningCase,
    task_queue: str,
    policy: DunningPolicy | None = None,
    *,
    restart_closed: bool = True,
    start_signal: tuple[str, BaseModel] | None = None,
) -> WorkflowHandle[DunningWorkflow, DunningOutcome]:
    """Start the case for an invoice, or return the one already open (no error, no second run).

    The policy in force is captured into the input, so later changes to the defaults
    never change this case. With `restart_closed=False` an invoice whose case already
    closed is not started again (`WorkflowAlreadyStartedError`). `start_signal` makes it a
    signal-with-start: the open case receives the signal instead.
    """
    if case.policy is None:
        case = case.model_copy(update={"policy": policy or DunningPolicy()})
    return await client.start_workflow(
        DunningWorkflow.run,
        case,
        id=case.workflow_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE
        if restart_closed
        else WorkflowIDReusePolicy.REJECT_DUPLICATE,
        search_attributes=search_attributes.at_start(case),
        static_summary=static_summary(case),
        static_details=static_details(case),
        start_signal=start_signal[0] if start_signal else None,
        start_signal_args=[start_signal[1]] if start_signal else [],
    )

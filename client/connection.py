"""Connecting to Temporal the way Temporal users expect, and starting cases by the contract."""

import os
import sys
from collections.abc import Awaitable
from typing import NoReturn

from pydantic import BaseModel
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.converter import DataConverter
from temporalio.envconfig import ClientConfig
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from codec.encryption import EncryptionKeys, data_converter
from dunning.contract.case import DunningCase
from dunning.contract.dispute import DisputeCase
from dunning.contract.predunning import PreDunningCase
from dunning.contract.status import DunningOutcome
from dunning.errors import InputError
from dunning.rules.policy import DunningPolicy
from dunning.settings import Settings
from dunning.views.predunning import watch_summary
from dunning.views.ui import static_details, static_summary
from workflows import search_attributes
from workflows.dispute import DisputeWorkflow
from workflows.dunning import DunningWorkflow
from workflows.predunning import PreDunningWorkflow


def exit_process(code: int) -> NoReturn:
    """Flush and leave without interpreter teardown.

    The Temporal client's Rust threads can outlive a process's last coroutine and abort
    the teardown (temporalio/sdk-python#300); once the work is done there is nothing to
    tear down, so every entry point leaves through here.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


MAX_CASE_BYTES = 128 * 1024
"""A case is refused before it reaches Temporal above this size (its history stays small)."""


async def connect(settings: Settings | None = None, *, serve_metrics: bool = False) -> Client:
    """A client from `temporalio.envconfig` profiles and the `TEMPORAL_*` variables, with the
    product's data converter (encrypted when keys are configured).

    With `serve_metrics`, the SDK's metrics and the product's counters are served for
    Prometheus on the settings' metrics port.
    """
    settings = settings or Settings.from_env()
    config = ClientConfig.load_client_connect_config()
    config.setdefault("target_host", "localhost:7233")
    runtime = None
    if serve_metrics and settings.metrics_port is not None:
        prometheus = PrometheusConfig(bind_address=f"0.0.0.0:{settings.metrics_port}")
        runtime = Runtime(telemetry=TelemetryConfig(metrics=prometheus))
    return await Client.connect(**config, data_converter=converter_for(settings), runtime=runtime)


def converter_for(settings: Settings) -> DataConverter:
    """The data converter the settings ask for."""
    spec = settings.encryption_keys.get_secret_value()
    return data_converter(EncryptionKeys.parse(spec) if spec else None)


async def start_dispute(client: Client, dispute: DisputeCase, task_queue: str) -> bool:
    """Start the dispute's workflow once; whether this call started it (False: it was)."""
    return await _started_once(
        client.start_workflow(
            DisputeWorkflow.run,
            dispute,
            id=dispute.workflow_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=search_attributes.of_dispute(dispute),
            static_summary=f"dispute of {dispute.amount} {dispute.currency} on "
            f"{dispute.invoice_id}",
        )
    )


async def start_watch(client: Client, watch: PreDunningCase, task_queue: str) -> bool:
    """Start a renewal's watch once, whoever asks first (Stripe's `invoice.upcoming`, or
    the daily scan); whether this call started it (False: it runs, or it already ended)."""
    return await _started_once(
        client.start_workflow(
            PreDunningWorkflow.run,
            watch,
            id=watch.workflow_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=search_attributes.of_watch(watch),
            static_summary=watch_summary(watch),
        )
    )


async def _started_once(start: Awaitable[object]) -> bool:
    """Whether a start made with `REJECT_DUPLICATE` started the workflow (False: it runs,
    or it already ended)."""
    try:
        await start
    except WorkflowAlreadyStartedError:
        return False
    return True


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
    size = len(case.model_dump_json())
    if size > MAX_CASE_BYTES:
        raise InputError(f"case {case.invoice_id}: {size} bytes; at most {MAX_CASE_BYTES}")
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

"""The worker: builds the provider clients from settings, registers the workflow and the
activities, and runs until SIGINT or SIGTERM, then drains gracefully."""

import asyncio
import logging
import signal
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from activities.clients import all_activities
from client.connection import connect, exit_process
from dunning.settings import Settings
from workflows.dispute import DisputeWorkflow
from workflows.dunning import DunningWorkflow
from workflows.predunning import PreDunningWorkflow
from workflows.predunning_scan import PreDunningScanWorkflow
from workflows.runner import workflow_runner

ACTIVITY_THREADS = 32
"""The provider clients are synchronous: activities run on this many threads, never on the
event loop."""
GRACEFUL_SHUTDOWN = timedelta(seconds=20)
STICKY_TIMEOUT = timedelta(seconds=3)
"""How long a case's next workflow task waits for the worker that ran its last one before any
worker takes it. The SDK's default is 10 s; when a worker dies, every case it held stalls
that long, and on a compressed clock (one second a policy day) 10 s is a 10-day outage.
Three seconds is still far above a healthy worker's pickup time, so cases stay cached."""

log = logging.getLogger("dunning.worker")


def build_worker(client: Client, settings: Settings, executor: ThreadPoolExecutor) -> Worker:
    """A worker for the dunning task queue, with every activity bound to real clients."""
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[DunningWorkflow, DisputeWorkflow, PreDunningWorkflow, PreDunningScanWorkflow],
        workflow_runner=workflow_runner(),
        activities=all_activities(settings, client),
        activity_executor=executor,
        max_concurrent_activities=ACTIVITY_THREADS,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
        sticky_queue_schedule_to_start_timeout=STICKY_TIMEOUT,
    )


async def main() -> None:
    """Run the worker until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = Settings.from_env()
    client = await connect(settings, serve_metrics=True)
    if settings.metrics_port is not None:
        log.info("metrics for Prometheus on :%d/metrics", settings.metrics_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    with ThreadPoolExecutor(max_workers=ACTIVITY_THREADS) as executor:
        worker = build_worker(client, settings, executor)
        log.info("worker polling task queue %r", settings.task_queue)
        async with worker:
            await stop.wait()
            log.info("shutting down: finishing the activities in flight")
    log.info("worker stopped")


if __name__ == "__main__":
    asyncio.run(main())
    exit_process(0)

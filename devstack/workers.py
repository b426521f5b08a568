"""The worker processes of a run: as many as a scaled-out deployment has, each of which
can be killed outright and started again (the chaos test does both)."""

import asyncio
import os
import signal
import sys
from pathlib import Path

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from devstack.processes import ManagedProcess, spawn

POLL_LOOK_SECONDS = 0.05
QUEUE_TYPES = (TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)


class Workers:
    """`count` worker processes on one task queue, configured by `env`."""

    def __init__(self, env: dict[str, str], logs: Path, count: int = 1) -> None:
        self.env, self.logs = env, logs
        self.processes: list[ManagedProcess] = []
        for index in range(count):
            self.processes.append(self._spawn(index))

    def _spawn(self, index: int) -> ManagedProcess:
        log = self.logs / ("worker.log" if index == 0 else f"worker-{index + 1}.log")
        return spawn(f"worker-{index + 1}", [sys.executable, "worker.py"], self.env, log)

    async def polling(self, client: Client, task_queue: str, seconds: float = 60) -> None:
        """Return once every worker polls `task_queue` for workflow and activity tasks: a
        world clock started sooner would run its first days with nobody to act on them."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline:
            stopped = [p for p in self.processes if not p.running()]
            if stopped:
                raise RuntimeError(f"a worker stopped at start (log: {stopped[0].log})")
            polling = [await pollers(client, task_queue, kind) for kind in QUEUE_TYPES]
            if min(polling) >= len(self.processes):
                return
            await asyncio.sleep(POLL_LOOK_SECONDS)
        raise RuntimeError(f"the workers did not poll {task_queue!r} within {seconds:g} s")

    def kill(self, index: int) -> None:
        """SIGKILL one worker: no graceful shutdown, activities cut off mid-call."""
        process = self.processes[index]
        if process.running():
            os.killpg(process.pid, signal.SIGKILL)
            process.popen.wait()

    def restart(self, index: int) -> None:
        """Start a new process in place of a killed one."""
        self.kill(index)
        self.processes[index] = self._spawn(index)

    def stop(self) -> None:
        """Stop them all gracefully."""
        for process in self.processes:
            process.stop()


async def pollers(client: Client, task_queue: str, kind: TaskQueueType.ValueType) -> int:
    """How many workers poll `task_queue` for tasks of `kind`."""
    request = DescribeTaskQueueRequest(
        namespace=client.namespace, task_queue=TaskQueue(name=task_queue), task_queue_type=kind
    )
    described = await client.workflow_service.describe_task_queue(request)
    return len({poller.identity for poller in described.pollers})

"""The worker processes of a run: as many as a scaled-out deployment has, each of which
can be killed outright and started again (the chaos test does both)."""

import os
import signal
import sys
from pathlib import Path

from devstack.processes import ManagedProcess, spawn


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

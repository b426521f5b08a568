"""The product as it runs: a worker process and a sandbox process, against a dev server."""

import asyncio
import json
import os
import signal
import sys
import urllib.request
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack.processes import (
    ManagedProcess,
    sandbox_worker_env,
    start_sandbox,
    start_worker,
)


@dataclass
class Stack:
    """A running sandbox and worker, and how to reach them."""

    temporal_address: str
    sandbox_url: str
    task_queue: str
    worker: ManagedProcess
    sandbox: ManagedProcess
    log_dir: Path | None = None
    extra_env: dict[str, str] | None = None

    def env(self) -> dict[str, str]:
        """The environment a worker or the CLI needs to join this stack."""
        env = sandbox_worker_env(self.temporal_address, self.sandbox_url, self.task_queue)
        return {**env, **(self.extra_env or {})}

    def inject(self, **fault: Any) -> None:
        """Make the sandbox fail matching calls (see `sandbox.state.Fault`)."""
        request = urllib.request.Request(
            f"{self.sandbox_url}/_sandbox/faults", data=json.dumps(fault).encode(), method="POST"
        )
        urllib.request.urlopen(request, timeout=10).read()

    def kill_worker(self) -> None:
        """SIGKILL the worker: no graceful anything."""
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.popen.wait()

    def start_worker(self) -> None:
        """Start a (new) worker process for this stack."""
        log = (self.log_dir or Path()) / "worker.log"
        self.worker = start_worker(self.env(), log)

    def calls(self, path_part: str = "") -> list[dict[str, Any]]:
        """Provider calls the sandbox received, optionally only those whose path has `path_part`."""
        with urllib.request.urlopen(f"{self.sandbox_url}/_sandbox/calls", timeout=10) as answer:
            calls: list[dict[str, Any]] = json.load(answer)
        return [c for c in calls if path_part in c["path"] or path_part in json.dumps(c["body"])]

    def sandbox_state(self) -> dict[str, Any]:
        """What the sandbox providers hold now."""
        with urllib.request.urlopen(f"{self.sandbox_url}/_sandbox/state", timeout=10) as answer:
            state: dict[str, Any] = json.load(answer)
        return state

    def post(self, path: str) -> None:
        """POST to a sandbox control endpoint."""
        request = urllib.request.Request(f"{self.sandbox_url}{path}", data=b"{}", method="POST")
        urllib.request.urlopen(request, timeout=10).read()


@contextmanager
def running_stack(
    temporal_address: str, world: Path, log_dir: Path, extra_env: dict[str, str] | None = None
) -> Iterator[Stack]:
    """Start the sandbox and a worker process; stop both afterwards."""
    sandbox, url = start_sandbox(world)
    task_queue = f"dunning-e2e-{uuid.uuid4()}"
    # Each stack keeps its own ledger, beside its logs.
    extra_env = {"DUNNING_DATABASE_URL": f"sqlite:///{log_dir / 'ledger.db'}", **(extra_env or {})}
    env = {**sandbox_worker_env(temporal_address, url, task_queue), **extra_env}
    worker = start_worker(env, log_dir / "worker.log")
    stack = Stack(temporal_address, url, task_queue, worker, sandbox, log_dir, extra_env)
    try:
        yield stack
    finally:
        stack.worker.stop()
        sandbox.stop()
        if stack.worker.popen.returncode not in (0, None):
            log = (log_dir / "worker.log").read_text()[-2000:]
            print(f"worker exited with {stack.worker.popen.returncode}:\n{log}", file=sys.stderr)


EVENTUALLY_SECONDS = 30.0


async def eventually(check: Callable[[], bool | Awaitable[bool]], what: str) -> None:
    """Poll `check` (plain or async) until it holds; fails naming `what`."""
    deadline = asyncio.get_running_loop().time() + EVENTUALLY_SECONDS
    while True:
        held = check()
        if held if isinstance(held, bool) else await held:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what}: not within {EVENTUALLY_SECONDS:g} s")
        await asyncio.sleep(0.1)

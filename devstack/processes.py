"""Child processes that are always stopped: nothing the demo starts is left behind."""

import os
import random
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

STOP_GRACE_SECONDS = 10.0


@dataclass
class ManagedProcess:
    """A child process in its own session, stopped with SIGTERM, then SIGKILL."""

    name: str
    popen: "subprocess.Popen[str]"
    log: Path | None = None

    @property
    def pid(self) -> int:
        """The process id."""
        return self.popen.pid

    def running(self) -> bool:
        """Whether it is still alive."""
        return self.popen.poll() is None

    def stop(self) -> None:
        """Stop it and everything it started."""
        if not self.running():
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()


def spawn(
    name: str, args: list[str], env: dict[str, str] | None = None, log: Path | None = None
) -> ManagedProcess:
    """Start a child; its output goes to `log` (or is piped when `log` is None)."""
    out = log.open("a") if log else subprocess.PIPE
    popen = subprocess.Popen(
        args,
        env={**os.environ, **(env or {})},
        stdout=out,
        stderr=subprocess.STDOUT if log else None,
        text=True,
        start_new_session=True,
    )
    return ManagedProcess(name, popen, log)


def start_sandbox(
    world: Path, port: int = 0, log: Path | None = None
) -> tuple[ManagedProcess, str]:
    """The sandbox on `port` (0: a free one), and its base URL."""
    process = spawn(
        "sandbox",
        [sys.executable, "-m", "sandbox", "--world", str(world), "--port", str(port)],
    )
    assert process.popen.stdout is not None
    url = process.popen.stdout.readline().strip()
    if not url.startswith("http"):
        process.stop()
        raise RuntimeError(f"the sandbox did not start: {url or 'no output'}")
    return process, url


SANDBOX_CREDENTIALS = {
    "STRIPE_API_KEY": "sk_test_sandbox",
    "HUBSPOT_ACCESS_TOKEN": "sandbox",
    "SENDGRID_API_KEY": "sandbox",
}
"""Placeholder credentials: the sandbox accepts any but `invalid`."""


SANDBOX_SEARCH_SETTLE_SECONDS = "2"


def sandbox_worker_env(
    temporal_address: str, sandbox_url: str, task_queue: str, namespace: str = "default"
) -> dict[str, str]:
    """A worker's environment when every provider is the sandbox. The sandbox's search
    shows a mail or task at once (unless told to lag), so a retry after a lost answer need
    not wait SendGrid's and HubSpot's real settling time."""
    return {
        "TEMPORAL_ADDRESS": temporal_address,
        "TEMPORAL_NAMESPACE": namespace,
        "DUNNING_TASK_QUEUE": task_queue,
        "DUNNING_SEARCH_SETTLE_SECONDS": SANDBOX_SEARCH_SETTLE_SECONDS,
        **SANDBOX_CREDENTIALS,
        **{f"{p}_API_BASE": sandbox_url for p in ("STRIPE", "HUBSPOT", "SENDGRID")},
    }


def start_worker(env: dict[str, str], log: Path) -> ManagedProcess:
    """The dunning worker, configured by `env`."""
    return spawn("worker", [sys.executable, "worker.py"], env=env, log=log)


def start_codec_server(port: int, token: str, log: Path) -> ManagedProcess:
    """The codec server (keys from the environment), for the Web UI."""
    env = {"DUNNING_CODEC_PORT": str(port), "DUNNING_CODEC_TOKEN": token}
    return spawn("codec", [sys.executable, "-m", "codec"], env=env, log=log)


MIN_PORT = 10_000
PORTS_BELOW_OUTGOING = 20_000
PORT_TRIES = 200
OUTGOING_PORTS = Path("/proc/sys/net/ipv4/ip_local_port_range")
OUTGOING_PORTS_START = 49_152
"""Where outgoing connections' ports start when the system does not say (IANA, macOS)."""
_handed_out: set[int] = set()


def free_port() -> int:
    """A TCP port nothing listens on right now, never handed out before in this process.

    It is taken from below the range the system gives outgoing connections: a port from
    that range (what binding port 0 gives) can become the local end of any process's
    connection in the seconds before the server meant for it binds it, and that server
    then fails to start with "Address already in use"."""
    below = _outgoing_ports_start()
    ports = range(max(MIN_PORT, below - PORTS_BELOW_OUTGOING), below)
    if not ports:  # every port may be an outgoing one: the system's choice is as good
        return _system_port()
    for port in random.sample(ports, k=min(len(ports), PORT_TRIES)):
        if port not in _handed_out and _bindable(port):
            _handed_out.add(port)
            return port
    raise RuntimeError(f"no free TCP port between {ports.start} and {ports.stop - 1}")


def _outgoing_ports_start() -> int:
    try:
        return int(OUTGOING_PORTS.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return OUTGOING_PORTS_START


def _system_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True

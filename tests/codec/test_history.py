"""With encryption on, what the server stores reveals no email, name or amount."""

import base64
import json
import os
import uuid
from typing import Any

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from client.connection import start_case
from codec.encryption import EncryptionKeys, data_converter
from dunning.contract.enums import CustomerTier, Resolution
from dunning.providers.facts import AccountFacts, Person
from harness.fakes import FakeProviders
from harness.temporal import make_case, wait_for
from workflows import search_attributes as sa
from workflows.dunning import DunningWorkflow
from workflows.names import Signals
from workflows.runner import workflow_runner

SECRETS = ("@customer.example", "Dana Owner", "50.00 USD", '"amount_due"', "PO-SECRET")


def payload_texts(node: Any, inside_search_attributes: bool = False) -> list[str]:
    """Every payload's data, decoded from base64, outside the search attribute index."""
    found: list[str] = []
    if isinstance(node, dict):
        if "data" in node and "metadata" in node and not inside_search_attributes:
            found.append(base64.b64decode(node["data"]).decode(errors="replace"))
        for key, value in node.items():
            found += payload_texts(value, inside_search_attributes or key == "searchAttributes")
    elif isinstance(node, list):
        for value in node:
            found += payload_texts(value, inside_search_attributes)
    return found


async def stored_history(env: WorkflowEnvironment, keys: EncryptionKeys | None) -> tuple[str, str]:
    """A case with a PO fix and a refused task run with `keys` (None: no encryption); its
    raw history as JSON, and every stored payload decoded from base64."""
    client = Client(
        env.client.service_client,
        namespace=env.client.namespace,
        data_converter=data_converter(keys),
    )
    account = AccountFacts(
        tier=CustomerTier.MID_MARKET,
        po_required=True,
        owner_id="7",
        owner=Person(name="Dana Owner", email="dana@customer.example"),
        ap_contact=Person(name="AP", email="ap@customer.example"),
    )
    # A CRM that refuses every task with a message that names a person.
    fakes = FakeProviders(
        account=account,
        refusals={"create_task": set(range(1, 100))},
        refusal="task for Dana Owner <dana@customer.example> refused",
    )
    queue = f"dunning-encrypted-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[DunningWorkflow],
        activities=fakes.activities(),
        workflow_runner=workflow_runner(),
    ):
        handle = await start_case(client, make_case(), queue)
        await wait_for(handle, lambda s: bool(s.emails), "the PO request")
        await handle.signal(Signals.PO_NUMBER_PROVIDED, {"po_number": "PO-SECRET"})
        outcome = await handle.result()
    assert outcome.resolution is Resolution.PO_FIX
    assert fakes.named("send_email")[0].to == "ap@customer.example", "the worker sees it all"
    raw = json.loads((await env.client.get_workflow_handle(handle.id).fetch_history()).to_json())
    described = await env.client.get_workflow_handle(handle.id).describe()
    values = [str(described.typed_search_attributes.get(key)) for key in sa.ALL_KEYS]
    assert not any("@" in value or "Dana" in value for value in values), "ids and enums only"
    return json.dumps(raw), "\n".join(payload_texts(raw))


async def test_the_raw_history_holds_no_personal_or_financial_data(
    dev_env: WorkflowEnvironment,
) -> None:
    keys = EncryptionKeys.parse(f"k1:{base64.b64encode(os.urandom(32)).decode()}")
    text, decoded = await stored_history(dev_env, keys)
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} in the raw history"
        assert secret not in decoded, f"{secret!r} in a stored payload"
    assert "activityTaskFailedEventAttributes" in text, "the refusal is in the history, sealed"


async def test_without_encryption_the_same_history_shows_every_secret(
    dev_env: WorkflowEnvironment,
) -> None:
    # The control: the search above would find each secret if it were there.
    text, decoded = await stored_history(dev_env, None)
    for secret in SECRETS:
        assert secret in text or secret in decoded, f"{secret!r} not found unencrypted"

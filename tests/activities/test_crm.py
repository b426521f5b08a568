"""HubSpot activities through hubspot-api-client against the sandbox."""

import time
from datetime import timedelta
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from activities.clients import hubspot_client
from activities.crm import CrmActivities
from activities.errors import PERMANENT_TYPE, TRANSIENT_TYPE
from dunning.contract.enums import CustomerTier, Team
from dunning.providers.requests import ContactUpdate, TaskRequest
from harness.sandbox_world import settings_for
from sandbox.server import SandboxServer
from tests.activities.conftest import calls, first_attempt, inject, retry_attempt

run = first_attempt().run
TASK = TaskRequest(
    owner_id="101",
    company_id="9001",
    team=Team.FINANCE,
    subject="[finance] Invoice INV-1: missing_po",
    body="Invoice: INV-1",
    case_ref="dunning-in_acme",
    route_key="workflow:missing_po",
)


def test_lookup_finds_the_account_by_stripe_customer(
    crm: CrmActivities, sandbox: SandboxServer
) -> None:
    facts = run(crm.lookup_account, "cus_acme")
    assert facts.found and facts.company_id == "9001"
    assert facts.tier is CustomerTier.ENTERPRISE
    assert facts.po_required and facts.contract_amount == 1200000
    assert facts.annual_contract_value == 14400000
    assert facts.owner_id == "101"
    assert facts.owner is not None and facts.owner.email == "dana@vendor.example"
    assert facts.ap_contact is not None and facts.ap_contact.email == "ap@acme.example"
    search = calls(sandbox, "hubspot")[0]
    assert search["path"] == "/crm/v3/objects/companies/search"
    only_filter = search["body"]["filterGroups"][0]["filters"][0]
    assert only_filter == {
        "propertyName": "stripe_customer_id",
        "operator": "EQ",
        "value": "cus_acme",
    }


def test_an_unknown_customer_is_not_an_error(crm: CrmActivities) -> None:
    facts = run(crm.lookup_account, "cus_nobody")
    assert not facts.found
    assert facts.tier is CustomerTier.SELF_SERVE


def test_task_is_assigned_to_the_owner_and_associated(
    crm: CrmActivities, sandbox: SandboxServer
) -> None:
    request = TASK
    receipt = run(crm.create_task, request)
    task = sandbox.state.tasks[receipt.task_id]
    assert task["properties"]["hubspot_owner_id"] == "101"
    assert task["properties"]["hs_task_subject"] == request.subject
    assert task["properties"]["dunning_case_ref"] == "dunning-in_acme"
    assert task["associations"][0]["to"] == {"id": "9001"}


def test_billing_contact_is_corrected_on_the_company(
    crm: CrmActivities, sandbox: SandboxServer
) -> None:
    update = ContactUpdate(
        customer_id="cus_acme", company_id="9001", email="new-ap@acme.example", name="New AP"
    )
    run(crm.update_billing_contact, update)
    company = sandbox.state.companies["9001"]
    assert company["ap_contact_email"] == "new-ap@acme.example"
    assert company["ap_contact_bounced"] == "false"


@pytest.mark.parametrize(
    ("status", "error_type", "non_retryable"),
    [
        (500, TRANSIENT_TYPE, False),
        (502, TRANSIENT_TYPE, False),
        (429, TRANSIENT_TYPE, False),
        (400, PERMANENT_TYPE, True),
        (401, PERMANENT_TYPE, True),
        (404, PERMANENT_TYPE, True),
    ],
)
def test_error_classes(
    crm: CrmActivities,
    sandbox: SandboxServer,
    status: int,
    error_type: str,
    non_retryable: bool,
) -> None:
    inject(sandbox, "hubspot", status, headers={"Retry-After": "3"})
    with pytest.raises(ApplicationError) as raised:
        run(crm.lookup_account, "cus_acme")
    assert (raised.value.type, raised.value.non_retryable) == (error_type, non_retryable)
    assert "hubspot" in str(raised.value)
    if status == 429:
        assert raised.value.next_retry_delay is not None
        assert raised.value.next_retry_delay.total_seconds() == 3


def test_a_retry_after_hubspot_created_the_task_creates_nothing_twice(
    crm: CrmActivities, sandbox: SandboxServer
) -> None:
    request = TASK
    first = run(crm.create_task, request)
    retry = retry_attempt(3)
    assert retry.run(crm.create_task, request) == first
    assert len(sandbox.state.tasks) == 1
    task = sandbox.state.tasks[first.task_id]
    assert task["properties"]["dunning_dedupe_key"] == "dunning-in_acme/workflow:missing_po"
    other_route = request.model_copy(update={"route_key": "owner"})
    assert retry.run(crm.create_task, other_route) != first


def test_under_a_search_lag_a_retry_creates_no_second_task(sandbox: SandboxServer) -> None:
    settings = settings_for(sandbox.base_url)
    crm = CrmActivities(hubspot_client(settings), search_settle=timedelta(seconds=1))
    sandbox.state.search_lag_seconds = 0.5
    heartbeats: list[Any] = []
    first = first_attempt()
    first.on_heartbeat = lambda *details: heartbeats.extend(details)
    created = first.run(crm.create_task, TASK)

    retry = retry_attempt(heartbeat_details=heartbeats)
    with pytest.raises(ApplicationError) as waited:
        retry.run(crm.create_task, TASK)
    assert waited.value.next_retry_delay is not None
    time.sleep(waited.value.next_retry_delay.total_seconds())
    assert retry.run(crm.create_task, TASK) == created
    assert len(sandbox.state.tasks) == 1


def test_a_retry_that_lost_the_first_try_s_heartbeat_still_waits(
    sandbox: SandboxServer,
) -> None:
    # A worker killed right after sending: no heartbeat reached the server, so the retry
    # counts from when it was scheduled.
    settings = settings_for(sandbox.base_url)
    crm = CrmActivities(hubspot_client(settings), search_settle=timedelta(seconds=30))
    sandbox.state.search_lag_seconds = 5
    first_attempt().run(crm.create_task, TASK)
    with pytest.raises(ApplicationError):
        retry_attempt().run(crm.create_task, TASK)
    assert len(sandbox.state.tasks) == 1


def test_a_connection_reset_after_hubspot_created_the_task_creates_one(
    crm: CrmActivities, sandbox: SandboxServer
) -> None:
    inject(sandbox, "hubspot", 0, path_prefix="/crm/v3/objects/tasks", reset=True)
    with pytest.raises(ApplicationError) as raised:
        run(crm.create_task, TASK)
    assert (raised.value.type, raised.value.non_retryable) == (TRANSIENT_TYPE, False)
    retry_attempt().run(crm.create_task, TASK)
    assert len(sandbox.state.tasks) == 1

"""The activities bound to a fresh in-process sandbox (the `sandbox` fixture)."""

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.testing import ActivityEnvironment

from activities.clients import hubspot_client, sendgrid_client, stripe_client
from activities.crm import CrmActivities
from activities.email import EmailActivities
from activities.facts import FactActivities
from activities.payments import PaymentActivities
from harness.sandbox_world import settings_for
from sandbox.server import SandboxServer


@pytest.fixture
def payments(sandbox: SandboxServer) -> PaymentActivities:
    return PaymentActivities(stripe_client(settings_for(sandbox.base_url)))


@pytest.fixture
def crm(sandbox: SandboxServer) -> CrmActivities:
    return CrmActivities(hubspot_client(settings_for(sandbox.base_url)))


@pytest.fixture
def email(sandbox: SandboxServer) -> EmailActivities:
    settings = settings_for(sandbox.base_url)
    return EmailActivities(sendgrid_client(settings), settings.email_from)


def retry_attempt(
    attempt: int = 2,
    *,
    first_scheduled_ago: timedelta = timedelta(seconds=1),
    heartbeat_details: Sequence[Any] = (),
) -> ActivityEnvironment:
    """An activity environment for attempt number `attempt` of an activity first scheduled
    `first_scheduled_ago`, with what earlier attempts recorded by heartbeat."""
    now = datetime.now(UTC)
    environment = ActivityEnvironment()
    environment.info = dataclasses.replace(
        environment.info,
        attempt=attempt,
        scheduled_time=now - first_scheduled_ago,
        current_attempt_scheduled_time=now,
        heartbeat_details=list(heartbeat_details),
    )
    return environment


def first_attempt() -> ActivityEnvironment:
    """An activity environment for an activity's first attempt, scheduled just now."""
    return retry_attempt(1, first_scheduled_ago=timedelta())


def calls(sandbox: SandboxServer, provider: str) -> list[dict[str, Any]]:
    """The provider calls the sandbox received."""
    return [c for c in sandbox.state.calls if c["provider"] == provider]


def inject(sandbox: SandboxServer, provider: str, status: int, **fault: Any) -> None:
    """Make the next matching call fail."""
    from sandbox.state import Fault

    sandbox.state.faults.append(Fault(provider=provider, status=status, **fault))


@pytest.fixture
def facts(crm: CrmActivities, payments: PaymentActivities) -> FactActivities:
    return FactActivities(crm, payments, None)

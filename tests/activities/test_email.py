"""SendGrid activity through the sendgrid client against the sandbox."""

import time
from datetime import timedelta
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from activities.clients import sendgrid_client
from activities.email import EmailActivities
from activities.errors import PERMANENT_TYPE, TRANSIENT_TYPE
from dunning.contract.enums import EmailTemplate
from dunning.providers.requests import EmailRequest
from harness.sandbox_world import settings_for
from sandbox.server import SandboxServer
from tests.activities.conftest import calls, first_attempt, inject, retry_attempt

run = first_attempt().run
REQUEST = EmailRequest(
    to="ap@acme.example",
    template=EmailTemplate.PO_REQUEST,
    subject="A PO number is needed for invoice INV-1",
    body="Invoice: INV-1\nAmount due: 12,000.00 USD",
    case_ref="dunning-in_acme",
    step="po_request@0",
)


def test_the_email_is_sent_with_only_opaque_ids_as_custom_args(
    email: EmailActivities, sandbox: SandboxServer
) -> None:
    receipt = run(email.send_email, REQUEST)
    assert receipt.message_id and receipt.message_id.startswith("sandbox-")
    sent = calls(sandbox, "sendgrid")[0]
    assert sent["path"] == "/v3/mail/send"
    body = sent["body"]
    assert body["personalizations"][0]["to"] == [{"email": "ap@acme.example"}]
    assert body["subject"] == REQUEST.subject
    assert body["content"][0]["value"] == REQUEST.body
    assert body["categories"] == ["po_request"]
    custom_args = body["personalizations"][0].get("custom_args") or body.get("custom_args")
    assert custom_args == {
        "case_ref": "dunning-in_acme",
        "step": "po_request@0",
        "dedupe_key": "dunning-in_acme/po_request@0",
    }
    assert [c["method"] for c in calls(sandbox, "sendgrid")] == ["POST"], "no lookup at first"


@pytest.mark.parametrize(
    ("status", "error_type", "non_retryable"),
    [
        (500, TRANSIENT_TYPE, False),
        (429, TRANSIENT_TYPE, False),
        (400, PERMANENT_TYPE, True),
        (401, PERMANENT_TYPE, True),
        (403, PERMANENT_TYPE, True),
    ],
)
def test_error_classes(
    email: EmailActivities,
    sandbox: SandboxServer,
    status: int,
    error_type: str,
    non_retryable: bool,
) -> None:
    inject(sandbox, "sendgrid", status, headers={"Retry-After": "2"})
    with pytest.raises(ApplicationError) as raised:
        run(email.send_email, REQUEST)
    assert (raised.value.type, raised.value.non_retryable) == (error_type, non_retryable)
    if status == 429:
        assert raised.value.next_retry_delay is not None
        assert raised.value.next_retry_delay.total_seconds() == 2


def test_a_retry_after_sendgrid_accepted_sends_nothing_twice(
    email: EmailActivities, sandbox: SandboxServer
) -> None:
    first = run(email.send_email, REQUEST)
    again = retry_attempt().run(email.send_email, REQUEST)
    assert again == first
    assert len(sandbox.state.mails) == 1
    lookups = [c for c in calls(sandbox, "sendgrid") if c["method"] == "GET"]
    assert lookups[0]["path"] == "/v3/messages"
    other_step = REQUEST.model_copy(update={"step": "po_request@7"})
    retry_attempt().run(email.send_email, other_step)
    assert len(sandbox.state.mails) == 2, "another step is another email"


def test_a_retry_of_an_email_that_never_left_sends_it(
    email: EmailActivities, sandbox: SandboxServer
) -> None:
    receipt = retry_attempt().run(email.send_email, REQUEST)
    assert receipt.message_id and len(sandbox.state.mails) == 1


def test_under_a_search_lag_a_retry_waits_instead_of_sending_twice(
    sandbox: SandboxServer,
) -> None:
    # SendGrid accepted the first try's email, but its search shows it only 0.5 s later,
    # and the retry comes at once: the retry must not send it again.
    settings = settings_for(sandbox.base_url)
    email = EmailActivities(
        sendgrid_client(settings), settings.email_from, search_settle=timedelta(seconds=1)
    )
    sandbox.state.search_lag_seconds = 0.5
    heartbeats: list[Any] = []
    first = first_attempt()
    first.on_heartbeat = lambda *details: heartbeats.extend(details)
    receipt = first.run(email.send_email, REQUEST)
    assert heartbeats, "the try that sends records when it sent"

    retry = retry_attempt(heartbeat_details=heartbeats)
    with pytest.raises(ApplicationError) as waited:
        retry.run(email.send_email, REQUEST)
    assert waited.value.type == TRANSIENT_TYPE and waited.value.next_retry_delay
    assert len(sandbox.state.mails) == 1

    time.sleep(waited.value.next_retry_delay.total_seconds())
    assert retry.run(email.send_email, REQUEST) == receipt
    assert len(sandbox.state.mails) == 1


def test_without_the_settle_a_search_lag_sends_twice(sandbox: SandboxServer) -> None:
    # The control: with no settle, the lag the test above survives doubles the email.
    settings = settings_for(sandbox.base_url)
    email = EmailActivities(sendgrid_client(settings), settings.email_from)
    sandbox.state.search_lag_seconds = 5
    run(email.send_email, REQUEST)
    retry_attempt().run(email.send_email, REQUEST)
    assert len(sandbox.state.mails) == 2


def test_a_connection_reset_after_sendgrid_accepted_sends_once(
    email: EmailActivities, sandbox: SandboxServer
) -> None:
    inject(sandbox, "sendgrid", 0, path_prefix="/v3/mail/send", reset=True)
    with pytest.raises(ApplicationError) as raised:
        run(email.send_email, REQUEST)
    assert (raised.value.type, raised.value.non_retryable) == (TRANSIENT_TYPE, False)
    retry_attempt().run(email.send_email, REQUEST)
    assert len(sandbox.state.mails) == 1

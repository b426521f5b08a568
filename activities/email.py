"""SendGrid: deliver a rendered dunning email. Only opaque ids travel as custom args."""

import json
from datetime import timedelta
from typing import Any
from urllib.error import URLError

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Category, CustomArg, Mail
from temporalio import activity

from activities.errors import provider_error
from activities.once import before_sending
from dunning.providers.requests import EmailReceipt, EmailRequest


class EmailActivities:
    """SendGrid activities, holding one `SendGridAPIClient` and the sender address."""

    def __init__(
        self, client: SendGridAPIClient, sender: str, search_settle: timedelta = timedelta()
    ) -> None:
        self._sendgrid = client
        self._sender = sender
        self._settle = search_settle

    @activity.defn
    def send_email(self, request: EmailRequest) -> EmailReceipt:
        """Send one email; the provider's message id comes back for the timeline.

        A retry first asks SendGrid whether an earlier attempt's email went out (its
        `dedupe_key` custom argument), so a timeout after SendGrid accepted the email never
        sends it twice; SendGrid's search lags, so a retry that finds nothing waits for it
        to settle before sending again (`activities.once`).
        """
        if activity.info().attempt > 1:
            sent = self.already_sent(request.dedupe_key)
            if sent is not None:
                return EmailReceipt(message_id=sent)
        before_sending("sendgrid", self._settle)
        mail = Mail(
            from_email=self._sender,
            to_emails=request.to,
            subject=request.subject,
            plain_text_content=request.body,
        )
        mail.custom_arg = [
            CustomArg("case_ref", request.case_ref),
            CustomArg("step", request.step),
            CustomArg("dedupe_key", request.dedupe_key),
        ]
        mail.category = Category(request.template.value)
        try:
            response: Any = self._sendgrid.send(mail)
        except HTTPError as err:
            headers = dict(err.headers or {})
            raise provider_error("sendgrid", err.status_code, _reason(err), headers) from err
        except (URLError, TimeoutError, ConnectionError) as err:
            raise provider_error("sendgrid", None, str(err)) from err
        headers = response.headers or {}
        return EmailReceipt(message_id=headers.get("X-Message-Id"))

    def already_sent(self, dedupe_key: str) -> str | None:
        """The id of an email already sent with this key (SendGrid's Email Activity API)."""
        query = {"query": f"unique_args['dedupe_key']=\"{dedupe_key}\"", "limit": 1}
        try:
            response: Any = self._sendgrid.client.messages.get(query_params=query)
        except HTTPError as err:
            headers = dict(err.headers or {})
            raise provider_error("sendgrid", err.status_code, _reason(err), headers) from err
        except (URLError, TimeoutError, ConnectionError) as err:
            raise provider_error("sendgrid", None, str(err)) from err
        messages = json.loads(response.body or b"{}").get("messages") or []
        return str(messages[0]["msg_id"]) if messages else None


def _reason(err: HTTPError) -> str:
    body = err.body
    return body.decode(errors="replace") if isinstance(body, bytes) else str(body or err.reason)

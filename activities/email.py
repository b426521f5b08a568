"""SendGrid: deliver a rendered dunning email. Only opaque ids travel as custom args."""

from typing import Any
from urllib.error import URLError

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Category, CustomArg, Mail
from temporalio import activity

from activities.errors import provider_error
from dunning.effects import EmailReceipt, EmailRequest


class EmailActivities:
    """SendGrid activities, holding one `SendGridAPIClient` and the sender address."""

    def __init__(self, client: SendGridAPIClient, sender: str) -> None:
        self._sendgrid = client
        self._sender = sender

    @activity.defn
    def send_email(self, request: EmailRequest) -> EmailReceipt:
        """Send one email; the provider's message id comes back for the timeline."""
        mail = Mail(
            from_email=self._sender,
            to_emails=request.to,
            subject=request.subject,
            plain_text_content=request.body,
        )
        mail.custom_arg = [
            CustomArg("case_ref", request.case_ref),
            CustomArg("step", request.step),
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


def _reason(err: HTTPError) -> str:
    body = err.body
    return body.decode(errors="replace") if isinstance(body, bytes) else str(body or err.reason)

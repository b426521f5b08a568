"""SendGrid's mail send endpoint."""

import re
import time
from typing import Any

from sandbox.state import SandboxState, now_millis

Reply = tuple[int, dict[str, Any], dict[str, str]]


UNIQUE_ARG = re.compile(r"unique_args\['(\w+)'\]\s*=\s*\"([^\"]*)\"")


def handle(state: SandboxState, method: str, path: str, body: Any) -> Reply:
    """Accept a mail, as SendGrid does: 202 and an X-Message-Id header."""
    if (method, path) == ("GET", "/v3/messages"):
        return _messages(state, body or {})
    if (method, path) != ("POST", "/v3/mail/send"):
        return 404, {"errors": [{"message": f"Unknown path {method} {path}"}]}, {}
    body = body or {}
    personalizations = body.get("personalizations") or []
    recipients = [to.get("email") for p in personalizations for to in p.get("to") or []]
    if not recipients or not all(recipients):
        field = "personalizations.0.to"
        return 400, {"errors": [{"message": "a recipient is required", "field": field}]}, {}
    if not body.get("subject") or not (body.get("from") or {}).get("email"):
        return 400, {"errors": [{"message": "subject and from are required"}]}, {}
    with state.lock:
        message_id = f"sandbox-{now_millis()}-{len(state.mails)}"
        mail = {"message_id": message_id, **body}
        state.mails.append(mail)
        state.created[message_id] = time.monotonic()
        listeners = list(state.mail_listeners)
    for listener in listeners:
        listener(mail)
    return 202, {}, {"X-Message-Id": message_id}


def _messages(state: SandboxState, params: dict[str, str]) -> Reply:
    """The Email Activity API: messages whose custom args match the query."""
    wanted = dict(UNIQUE_ARG.findall(params.get("query", "")))
    if not wanted:
        return 400, {"errors": [{"message": "query: unique_args['name']=\"value\" expected"}]}, {}
    found = []
    with state.lock:
        for mail in state.mails:
            if not state.searchable(mail["message_id"]):
                continue
            args = {**(mail.get("custom_args") or {})}
            for personalization in mail.get("personalizations") or []:
                args.update(personalization.get("custom_args") or {})
            if wanted.items() <= args.items():
                to = mail["personalizations"][0]["to"][0]["email"]
                found.append({"msg_id": mail["message_id"], "to_email": to, "status": "delivered"})
    limit = int(params.get("limit", "10"))
    return 200, {"messages": found[:limit]}, {}

"""SendGrid's mail send endpoint."""

from typing import Any

from sandbox.state import SandboxState, now_millis

Reply = tuple[int, dict[str, Any], dict[str, str]]


def handle(state: SandboxState, method: str, path: str, body: Any) -> Reply:
    """Accept a mail, as SendGrid does: 202 and an X-Message-Id header."""
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
        state.mails.append({"message_id": message_id, **body})
    return 202, {}, {"X-Message-Id": message_id}

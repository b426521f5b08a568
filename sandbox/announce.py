"""Stripe's webhooks, as Stripe sends them: a signed event POSTed to the endpoint, and
delivered again with backoff until the endpoint answers 2xx."""

import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any

API_VERSION = "2025-03-31.basil"
RETRY_SECONDS = (0.2, 0.5, 1, 2, 4, 8, 15, 30)
"""Stripe retries for days; the sandbox's compressed world retries for about a minute."""


def signature(payload: bytes, secret: str, timestamp: int) -> str:
    """The `Stripe-Signature` header: `t=…,v1=HMAC-SHA256(secret, "t.payload")`."""
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class Announcer:
    """Sends events to one endpoint; every delivery on a thread of its own."""

    def __init__(self, url: str | None, secret: str) -> None:
        self.url, self.secret = url, secret
        self._ids = itertools.count(1)
        self.sent: list[dict[str, Any]] = []
        """Every event: its id, type and object's id, how its delivery ended (`delivered`,
        `failed`), and what the endpoint answered (`answer`, for a person reading why)."""
        self._lock = threading.Lock()

    def __call__(
        self,
        kind: str,
        obj: dict[str, Any],
        created: datetime,
        previous: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Send an event; its record in `sent`."""
        data: dict[str, Any] = {"object": obj}
        if previous is not None:
            data["previous_attributes"] = previous
        event = {
            "id": f"evt_sandbox_{next(self._ids):06d}",
            "object": "event",
            "api_version": API_VERSION,
            "type": kind,
            "created": int(created.timestamp()),
            "livemode": False,
            "data": data,
        }
        record = {"id": event["id"], "type": kind, "object": obj.get("id"), "delivery": "pending"}
        with self._lock:
            self.sent.append(record)
        if self.url is None:
            record["delivery"] = "no endpoint"
            return record
        threading.Thread(target=self._deliver, args=(event, record), daemon=True).start()
        return record

    @property
    def in_flight(self) -> int:
        """Events still being delivered (or retried)."""
        with self._lock:
            return sum(1 for record in self.sent if record["delivery"] == "pending")

    def delivering(self, record: dict[str, Any]) -> bool:
        """The event is still being delivered (or retried): the endpoint has not answered."""
        with self._lock:
            return bool(record["delivery"] == "pending")

    def _deliver(self, event: dict[str, Any], record: dict[str, Any]) -> None:
        payload = json.dumps(event).encode()
        for pause in (0, *RETRY_SECONDS):
            time.sleep(pause)
            headers = {
                "Content-Type": "application/json",
                "Stripe-Signature": signature(payload, self.secret, int(time.time())),
            }
            request = urllib.request.Request(str(self.url), payload, headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    if 200 <= answer.status < 300:
                        record["answer"] = _result(answer.read())
                        record["delivery"] = "delivered"
                        return
            except (urllib.error.URLError, OSError):
                continue
        record["delivery"] = "failed"


def _result(body: bytes) -> str:
    """What the endpoint said it did with an event (the webhook service answers
    `{"result": ...}`), else its body as text."""
    text = body.decode(errors="replace")
    try:
        answer = json.loads(text)
    except json.JSONDecodeError:
        return text
    return str(answer.get("result", text)) if isinstance(answer, dict) else text

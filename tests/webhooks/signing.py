"""Signs test events the way Stripe does."""

import hashlib
import hmac
import json
import time
from typing import Any

SECRET = "whsec_test_current"
OLD_SECRET = "whsec_test_rotating_out"


def stripe_signature(payload: bytes, secret: str = SECRET, at: int | None = None) -> str:
    """A `Stripe-Signature` header for `payload`."""
    timestamp = int(time.time()) if at is None else at
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event(kind: str, obj: dict[str, Any], event_id: str, **data: Any) -> bytes:
    """A Stripe event body."""
    body = {
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": obj, **data},
    }
    return json.dumps(body).encode()

"""How provider errors become Temporal errors: transient ones retry, permanent ones stop.

- 5xx, timeouts and connection resets: retried with the activity's backoff.
- 429: retried no sooner than the provider's Retry-After (or rate-limit reset).
- 400, 401, 403, 404, 409 and the like: non-retryable, with a message naming the provider.
"""

from collections.abc import Mapping
from datetime import timedelta

from temporalio.exceptions import ApplicationError

TRANSIENT_TYPE = "ProviderUnavailable"
PERMANENT_TYPE = "ProviderRejected"
RETRYABLE_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
MAX_MESSAGE = 300


def provider_error(
    provider: str, status: int | None, message: str, headers: Mapping[str, str] | None = None
) -> ApplicationError:
    """The Temporal error for a provider's answer with HTTP `status` (None: no answer)."""
    message = " ".join(str(message).split())[:MAX_MESSAGE]
    if status is None or status in RETRYABLE_STATUSES:
        delay = retry_after(headers) if status == 429 else None
        return ApplicationError(
            f"{provider} unavailable ({status or 'no answer'}): {message}",
            type=TRANSIENT_TYPE,
            next_retry_delay=delay,
        )
    return ApplicationError(
        f"{provider} refused the request ({status}): {message}",
        type=PERMANENT_TYPE,
        non_retryable=True,
    )


def retry_after(headers: Mapping[str, str] | None) -> timedelta | None:
    """The wait a provider asks for: `Retry-After` seconds, or a rate-limit reset in seconds."""
    if not headers:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in ("retry-after", "x-ratelimit-reset", "x-hubspot-ratelimit-interval-milliseconds"):
        raw = lowered.get(name)
        if raw is None:
            continue
        try:
            seconds = float(raw) / (1000 if name.endswith("milliseconds") else 1)
        except ValueError:
            continue
        return timedelta(seconds=max(seconds, 0.0))
    return None

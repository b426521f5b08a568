"""Verifying `Stripe-Signature` with Stripe's own code, against every active secret."""

import stripe

TOLERANCE_SECONDS = 300


class BadSignature(ValueError):
    """The request was not signed by Stripe with one of our secrets, or is too old."""


def verify(payload: bytes, header: str | None, secrets: list[str]) -> None:
    """Accept the payload if any secret (several during a rotation) signed it recently."""
    if not header:
        raise BadSignature("the Stripe-Signature header is missing")
    if not secrets:
        raise BadSignature("no webhook secret is configured")
    text = payload.decode("utf-8", errors="replace")
    problems = []
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(text, header, secret, TOLERANCE_SECONDS)
            return
        except stripe.SignatureVerificationError as err:
            problems.append(str(err))
    raise BadSignature(problems[-1])

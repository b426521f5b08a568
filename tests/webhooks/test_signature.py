"""Stripe-Signature verification, with secret rotation and the 300 s tolerance."""

import time

import pytest

from tests.webhooks.signing import OLD_SECRET, SECRET, stripe_signature
from webhooks.signature import BadSignature, verify

BODY = b'{"id": "evt_1"}'


def test_a_fresh_signature_by_any_active_secret_is_accepted() -> None:
    verify(BODY, stripe_signature(BODY, SECRET), [SECRET])
    verify(BODY, stripe_signature(BODY, OLD_SECRET), [SECRET, OLD_SECRET])


@pytest.mark.parametrize(
    ("header", "secrets"),
    [
        (None, [SECRET]),
        ("", [SECRET]),
        ("t=abc,v1=nothex", [SECRET]),
        (stripe_signature(BODY, "whsec_someone_else"), [SECRET]),
        (stripe_signature(BODY, SECRET, at=int(time.time()) - 301), [SECRET]),
        (stripe_signature(b'{"id": "evt_2"}', SECRET), [SECRET]),
        (stripe_signature(BODY, SECRET), []),
    ],
    ids=["missing", "empty", "malformed", "wrong-secret", "stale", "other-body", "no-secret"],
)
def test_everything_else_is_refused(header: str | None, secrets: list[str]) -> None:
    with pytest.raises(BadSignature):
        verify(BODY, header, secrets)

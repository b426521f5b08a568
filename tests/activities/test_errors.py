"""How provider answers become Temporal errors: "4xx fails fast" has its exceptions."""

import pytest

from activities.errors import PERMANENT_TYPE, TRANSIENT_TYPE, provider_error


@pytest.mark.parametrize("status", [408, 409, 425, 429, 500, 502, 503, 504, None])
def test_timeouts_conflicts_too_early_and_5xx_are_retried(status: int | None) -> None:
    error = provider_error("stripe", status, "try later")
    assert (error.type, error.non_retryable) == (TRANSIENT_TYPE, False)


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 410, 422])
def test_other_4xx_fail_fast_naming_the_provider(status: int) -> None:
    error = provider_error("hubspot", status, "bad")
    assert (error.type, error.non_retryable) == (PERMANENT_TYPE, True)
    assert error.message.startswith(f"hubspot refused the request ({status})")

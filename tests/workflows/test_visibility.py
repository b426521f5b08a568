"""What operators see of a case at each stage: search attributes and current details.

On the dev server (the time-skipping server cannot read back an unset Datetime attribute),
with one second per policy day.
"""

import re
from datetime import timedelta
from typing import Any

from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from dunning.providers.facts import AccountFacts
from harness.fakes import FakeProviders
from harness.temporal import make_case, running, wait_for
from workflows import search_attributes as sa
from workflows.names import Signals


async def seen(handle: WorkflowHandle[Any, Any]) -> tuple[dict[str, Any], str]:
    """The case's search attributes and its current details, as the Web UI shows them."""
    described = await handle.describe()
    attributes = {key.name: described.typed_search_attributes.get(key) for key in sa.ALL_KEYS}
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    return attributes, metadata.current_details


async def test_search_attributes_and_details_follow_the_case(dev_env: WorkflowEnvironment) -> None:
    fakes = FakeProviders(account=AccountFacts(owner_id="7"), outcomes=["insufficient_funds"])
    case = make_case(options={"day_seconds": 1})
    async with running(dev_env, fakes, case) as handle:
        described = await handle.describe()
        assert await described.static_summary() == (
            f"Dunning {case.invoice_id}: 50.00 USD, insufficient_funds"
        )
        assert "**Customer:** cus_test" in (await described.static_details() or "")

        await wait_for(handle, lambda s: s.stage == "retrying", "classification")
        attributes, details = await seen(handle)
        assert attributes["DunningStage"] == "retrying"
        assert attributes["FailureCategory"] == "soft_decline"
        assert attributes["FailureReason"] == "insufficient_funds"
        assert attributes["CustomerTier"] == "self_serve"
        assert attributes["InvoiceId"] == case.invoice_id and attributes["AmountDue"] == 5000
        assert attributes["NextActionAt"] is not None and attributes["DunningOutcome"] is None
        # A policy day is a second: by the time the Web UI is read, retry 1 may be done.
        assert "**Stage:** retrying" in details and "**Next:** retry " in details
        assert "**Payment link:** https://pay.example/in_1" in details

        await wait_for(handle, lambda s: bool(s.attempts), "the first retry")
        attributes, details = await seen(handle)
        assert re.search(r"\*\*Last attempt:\*\* #\d failed insufficient_funds", details)

        await handle.signal(Signals.OPERATOR_DECISION, {"action": "pause", "actor": "op"})
        paused = await wait_for(handle, lambda s: s.stage == "paused", "the pause")
        attributes, details = await seen(handle)
        assert paused.next_action is not None and paused.next_action.at is not None
        review_in = paused.next_action.at - paused.timeline[-1].at
        assert review_in == timedelta(seconds=14), "a paused case has a review date"
        assert attributes["DunningStage"] == "paused"
        assert attributes["NextActionAt"] == paused.next_action.at
        assert "**Stage:** paused" in details and "**Next:** review by customer_success" in details

        await handle.signal(Signals.OPERATOR_DECISION, {"action": "resume", "actor": "op"})
        await wait_for(handle, lambda s: s.stage == "final_notice", "the final notice")
        attributes, details = await seen(handle)
        assert attributes["DunningStage"] == "final_notice"
        assert "**Next:** cancel_subscription" in details

        await handle.result()
        attributes, details = await seen(handle)
    assert attributes["DunningStage"] == "closed"
    assert attributes["DunningOutcome"] == "end_state_applied"
    assert attributes["NextActionAt"] is None
    assert "**Outcome:** end_state_applied" in details
    values = [str(v) for v in attributes.values() if v is not None]
    assert not any("@" in value for value in values), "ids and enums only"

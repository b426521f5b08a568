"""A case's facts, read from HubSpot and Stripe in one activity against the sandbox."""

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.errors import TRANSIENT_TYPE
from activities.facts import FactActivities
from dunning.contract.enums import CustomerTier
from dunning.providers.facts import FactsRequest
from sandbox.server import SandboxServer
from tests.activities.conftest import calls, inject

run = ActivityEnvironment().run
ACME = FactsRequest(customer_id="cus_acme", invoice_id="in_acme")


def test_both_facts_come_back_from_one_activity(
    facts: FactActivities, sandbox: SandboxServer
) -> None:
    read = run(facts.read_case_facts, ACME)
    assert read.account is not None and read.account.tier is CustomerTier.ENTERPRISE
    assert read.invoice is not None and read.invoice.status == "open"
    assert read.refusals == []
    assert len(calls(sandbox, "hubspot")) >= 1 and len(calls(sandbox, "stripe")) == 1


@pytest.mark.parametrize(
    ("provider", "kept", "missing"),
    [("hubspot", "invoice", "account"), ("stripe", "account", "invoice")],
)
def test_a_refused_read_is_named_and_the_other_fact_kept(
    facts: FactActivities, sandbox: SandboxServer, provider: str, kept: str, missing: str
) -> None:
    inject(sandbox, provider, 403)
    read = run(facts.read_case_facts, ACME)
    assert getattr(read, kept) is not None
    assert getattr(read, missing) is None
    (refusal,) = read.refusals
    assert provider in refusal and "403" in refusal


@pytest.mark.parametrize("provider", ["hubspot", "stripe"])
def test_an_outage_of_either_provider_retries_the_whole_read(
    facts: FactActivities, sandbox: SandboxServer, provider: str
) -> None:
    inject(sandbox, provider, 503)
    with pytest.raises(ApplicationError) as raised:
        run(facts.read_case_facts, ACME)
    assert raised.value.type == TRANSIENT_TYPE and not raised.value.non_retryable
    assert provider in str(raised.value)


def test_the_first_read_takes_the_invoice_over_from_stripe_s_own_collection(
    facts: FactActivities, sandbox: SandboxServer
) -> None:
    first = ACME.model_copy(update={"take_over_collection": True})
    read = run(facts.read_case_facts, first)
    assert read.collection_taken_over is True
    assert sandbox.state.invoices["in_acme"].auto_advance is False
    updates = [c for c in calls(sandbox, "stripe") if c["method"] == "POST"]
    assert [(c["path"], c["body"]) for c in updates] == [
        ("/v1/invoices/in_acme", {"auto_advance": "false"})
    ]
    again = run(facts.read_case_facts, first)
    assert again.collection_taken_over is False, "already off: nothing to turn off"
    assert len([c for c in calls(sandbox, "stripe") if c["method"] == "POST"]) == 1


def test_a_settled_invoice_is_not_taken_over(facts: FactActivities, sandbox: SandboxServer) -> None:
    sandbox.state.invoices["in_acme"].status = "paid"
    read = run(facts.read_case_facts, ACME.model_copy(update={"take_over_collection": True}))
    assert read.collection_taken_over is None
    assert sandbox.state.invoices["in_acme"].auto_advance is True

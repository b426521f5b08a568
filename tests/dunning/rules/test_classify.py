"""Classification, row by row of DOMAIN.md §1."""

from typing import Any

import pytest

from dunning.contract.case import DunningCase, FailureDetails
from dunning.contract.enums import FailureCategory
from dunning.providers.facts import AccountFacts, InvoiceFacts, Person
from dunning.rules.classify import classify, classify_decline
from harness.temporal import make_case

SOFT, HARD = FailureCategory.SOFT_DECLINE, FailureCategory.HARD_DECLINE
ACTION = FailureCategory.CUSTOMER_ACTION_REQUIRED


@pytest.mark.parametrize(
    "code",
    [
        "insufficient_funds",
        "generic_decline",
        "do_not_honor",
        "card_velocity_exceeded",
        "withdrawal_count_limit_exceeded",
        "processing_error",
        "try_again_later",
        "issuer_not_available",
        "reenter_transaction",
    ],
)
def test_soft_declines(code: str) -> None:
    assert classify_decline(FailureDetails(decline_code=code)).category is SOFT


@pytest.mark.parametrize(
    "code",
    [
        "lost_card",
        "stolen_card",
        "pickup_card",
        "fraudulent",
        "restricted_card",
        "security_violation",
        "revocation_of_authorization",
        "revocation_of_all_authorizations",
        "stop_payment_order",
        "transaction_not_allowed",
        "card_not_supported",
        "invalid_account",
        "do_not_try_again",
    ],
)
def test_hard_declines(code: str) -> None:
    assert classify_decline(FailureDetails(decline_code=code)).category is HARD


@pytest.mark.parametrize(
    "code",
    [
        "expired_card",
        "incorrect_cvc",
        "incorrect_number",
        "invalid_expiry_month",
        "invalid_expiry_year",
        "authentication_required",
    ],
)
def test_customer_action_required(code: str) -> None:
    assert classify_decline(FailureDetails(code=code)).category is ACTION


@pytest.mark.parametrize(
    ("failure", "category"),
    [
        ({"decline_code": "generic_decline", "advice_code": "do_not_try_again"}, HARD),
        ({"decline_code": "stolen_card", "advice_code": "try_again_later"}, SOFT),
        ({"decline_code": "insufficient_funds", "advice_code": "confirm_card_data"}, ACTION),
        ({"decline_code": "insufficient_funds", "network_decline_code": "R0"}, HARD),
        ({"decline_code": "insufficient_funds", "network_decline_code": "14"}, HARD),
        ({"decline_code": "insufficient_funds", "network_decline_code": "51"}, SOFT),
        ({"decline_code": "generic_decline", "network_advice_code": "03"}, HARD),
        ({"decline_code": "generic_decline", "network_advice_code": "21"}, HARD),
        ({"decline_code": "generic_decline", "network_advice_code": "01"}, ACTION),
        ({"decline_code": "lost_card", "network_advice_code": "24"}, SOFT),
        ({"code": "card_declined"}, SOFT),
        ({"decline_code": "something_new"}, SOFT),
    ],
)
def test_advice_and_network_codes_win(failure: dict[str, str], category: FailureCategory) -> None:
    assert classify_decline(FailureDetails(**failure)).category is category


def test_the_reason_is_the_most_specific_code() -> None:
    assert classify_decline(FailureDetails(code="card_declined")).reason == "card_declined"
    decline = FailureDetails(code="card_declined", decline_code="insufficient_funds")
    assert classify_decline(decline).reason == "insufficient_funds"


INVOICE = InvoiceFacts(status="open", amount_due=5000)


@pytest.mark.parametrize(
    ("case", "account", "reason"),
    [
        ({}, {"po_required": True}, "missing_po"),
        ({"po_number": "PO-1"}, {"po_required": True}, None),
        (
            {"collection_method": "send_invoice", "payment_method_type": "invoice"},
            {},
            "wrong_billing_contact",
        ),
        (
            {"collection_method": "send_invoice", "payment_method_type": "invoice"},
            {"ap_contact": Person(email="ap@x.example"), "ap_contact_bounced": True},
            "wrong_billing_contact",
        ),
        ({}, {"contract_amount": 4000}, "contract_mismatch"),
        ({}, {"contract_amount": 5000}, None),
        ({}, {"approval_pending": True}, "approval_pending"),
    ],
)
def test_workflow_checks(case: dict[str, Any], account: dict[str, Any], reason: str | None) -> None:
    result = classify(make_case(**case), AccountFacts(**account), INVOICE)
    if reason is None:
        assert result.category is SOFT
    else:
        assert (result.category, result.reason) == (FailureCategory.WORKFLOW_FAILURE, reason)


def test_workflow_checks_run_before_the_decline() -> None:
    case = make_case(failure={"decline_code": "stolen_card"})
    result = classify(case, AccountFacts(po_required=True), INVOICE)
    assert result.reason == "missing_po"


def test_the_po_on_the_stripe_invoice_counts() -> None:
    invoice = INVOICE.model_copy(update={"po_number": "PO-7"})
    assert classify(make_case(), AccountFacts(po_required=True), invoice).category is SOFT


def test_an_overdue_net_terms_invoice() -> None:
    case: DunningCase = make_case(
        collection_method="send_invoice",
        payment_method_type="invoice",
        failure=None,
    )
    account = AccountFacts(ap_contact=Person(email="ap@x.example"))
    assert classify(case, account, INVOICE).category is FailureCategory.OVERDUE

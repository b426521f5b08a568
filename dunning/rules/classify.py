"""Classify a failure before acting (DOMAIN.md §1). Workflow checks run first."""

from functools import lru_cache

from pydantic import BaseModel, ConfigDict

from dunning.contract.case import DunningCase, FailureDetails
from dunning.contract.enums import CollectionMethod, FailureCategory, WorkflowReason
from dunning.providers.facts import AccountFacts, InvoiceFacts
from dunning.rules.codes import (
    ADVICE_CATEGORIES,
    MASTERCARD_NEVER_RETRY,
    MASTERCARD_NEW_ACCOUNT_INFO,
    MASTERCARD_RETRY_AFTER_HOURS,
    VISA_CATEGORY_1,
    category_of_code,
)

OVERDUE_REASON = "overdue"
UNKNOWN_REASON = "unknown"


class Classification(BaseModel):
    """The category of a failure and its most specific reason."""

    model_config = ConfigDict(frozen=True)

    category: FailureCategory
    """What kind of failure it is."""
    reason: str
    """A decline code, a workflow reason or `overdue`."""


def classify(
    case: DunningCase, account: AccountFacts, invoice: InvoiceFacts | None
) -> Classification:
    """Classify a case from the invoice, the CRM and the provider's answer."""
    reason = workflow_failure_reason(case, account, invoice)
    if reason is not None:
        return Classification(category=FailureCategory.WORKFLOW_FAILURE, reason=reason)
    if case.failure is None:
        return Classification(category=FailureCategory.OVERDUE, reason=OVERDUE_REASON)
    return classify_decline(case.failure)


def workflow_failure_reason(
    case: DunningCase, account: AccountFacts, invoice: InvoiceFacts | None
) -> WorkflowReason | None:
    """The reason no retry can fix this invoice, if there is one."""
    po_number = (invoice.po_number if invoice else None) or case.po_number
    if account.po_required and not po_number:
        return WorkflowReason.MISSING_PO
    sent_to_ap = case.collection_method is CollectionMethod.SEND_INVOICE
    if sent_to_ap and (account.ap_contact is None or account.ap_contact_bounced):
        return WorkflowReason.WRONG_BILLING_CONTACT
    if account.contract_amount is not None and not _matches_contract(
        case, invoice, account.contract_amount
    ):
        return WorkflowReason.CONTRACT_MISMATCH
    if account.approval_pending:
        return WorkflowReason.APPROVAL_PENDING
    return None


def _matches_contract(case: DunningCase, invoice: InvoiceFacts | None, contract: int) -> bool:
    """The amount before tax is the contract's, within the policy's tolerance."""
    before_tax = invoice.amount_due - invoice.tax if invoice else case.amount_due
    return within_contract(before_tax, contract, case.effective_policy.contract_tolerance_percent)


def within_contract(amount: int, contract: int, tolerance_percent: float) -> bool:
    """An amount before tax is the contract's when within the policy's tolerance of it."""
    return abs(amount - contract) <= contract * tolerance_percent / 100


def classify_decline(failure: FailureDetails) -> Classification:
    """Classify a decline. Network codes win, then the advice code, then the decline code."""
    return _classify_codes(
        failure.code,
        failure.decline_code,
        failure.advice_code,
        failure.network_decline_code,
        failure.network_advice_code,
    )


@lru_cache(maxsize=1024)  # a case's few declines are asked about on every plan
def _classify_codes(
    code: str | None,
    decline_code: str | None,
    advice_code: str | None,
    network_decline_code: str | None,
    network_advice_code: str | None,
) -> Classification:
    reason = decline_code or code or UNKNOWN_REASON
    category = (
        _network_category(network_decline_code, network_advice_code)
        or ADVICE_CATEGORIES.get(advice_code or "")
        or category_of_code(decline_code)
        or category_of_code(code)
        or FailureCategory.SOFT_DECLINE
    )
    return Classification(category=category, reason=reason)


def _network_category(
    network_decline_code: str | None, advice: str | None
) -> FailureCategory | None:
    if network_decline_code in VISA_CATEGORY_1:
        return FailureCategory.HARD_DECLINE
    if advice in MASTERCARD_NEVER_RETRY:
        return FailureCategory.HARD_DECLINE
    if advice == MASTERCARD_NEW_ACCOUNT_INFO:
        return FailureCategory.CUSTOMER_ACTION_REQUIRED
    if advice in MASTERCARD_RETRY_AFTER_HOURS:
        return FailureCategory.SOFT_DECLINE
    return None

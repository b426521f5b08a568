"""The contract's search attributes: one typed registry, the single source of truth.

The starter sets the case's fixed attributes at start; the workflow upserts what changes.
Only opaque ids and enums are stored here: never an email address or a name.
"""

from collections.abc import Sequence
from typing import Any

from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    SearchAttributeUpdate,
    TypedSearchAttributes,
)

from dunning.contract.case import DunningCase
from dunning.contract.enums import Stage
from dunning.machine.state import CaseState

DUNNING_STAGE = SearchAttributeKey.for_keyword("DunningStage")
FAILURE_CATEGORY = SearchAttributeKey.for_keyword("FailureCategory")
FAILURE_REASON = SearchAttributeKey.for_keyword("FailureReason")
CUSTOMER_TIER = SearchAttributeKey.for_keyword("CustomerTier")
PAYMENT_METHOD_TYPE = SearchAttributeKey.for_keyword("PaymentMethodType")
CURRENCY = SearchAttributeKey.for_keyword("Currency")
INVOICE_ID = SearchAttributeKey.for_keyword("InvoiceId")
CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")
ASSIGNED_TEAM = SearchAttributeKey.for_keyword("AssignedTeam")
DUNNING_OUTCOME = SearchAttributeKey.for_keyword("DunningOutcome")
AMOUNT_DUE = SearchAttributeKey.for_int("AmountDue")
NEXT_ACTION_AT = SearchAttributeKey.for_datetime("NextActionAt")

ALL_KEYS: Sequence[SearchAttributeKey[Any]] = (
    DUNNING_STAGE,
    FAILURE_CATEGORY,
    FAILURE_REASON,
    CUSTOMER_TIER,
    PAYMENT_METHOD_TYPE,
    CURRENCY,
    INVOICE_ID,
    CUSTOMER_ID,
    ASSIGNED_TEAM,
    DUNNING_OUTCOME,
    AMOUNT_DUE,
    NEXT_ACTION_AT,
)
"""Every attribute the project registers on a server it starts or sets up."""


def at_start(case: DunningCase) -> TypedSearchAttributes:
    """The attributes a case carries from its first moment."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(DUNNING_STAGE, Stage.CLASSIFYING.value),
            SearchAttributePair(INVOICE_ID, case.invoice_id),
            SearchAttributePair(CUSTOMER_ID, case.customer_id),
            SearchAttributePair(AMOUNT_DUE, case.amount_due),
            SearchAttributePair(CURRENCY, case.currency),
            SearchAttributePair(PAYMENT_METHOD_TYPE, case.payment_method_type.value),
        ]
    )


def updates(state: CaseState, current: TypedSearchAttributes) -> list[SearchAttributeUpdate[Any]]:
    """The upserts that bring `current` to what the state says; empty when nothing changed."""
    case = state.case
    wanted: list[tuple[SearchAttributeKey[Any], Any]] = [
        (DUNNING_STAGE, state.stage.value),
        (INVOICE_ID, case.invoice_id),
        (CUSTOMER_ID, case.customer_id),
        (AMOUNT_DUE, case.amount_due),
        (CURRENCY, case.currency),
        (PAYMENT_METHOD_TYPE, case.payment_method_type.value),
        (FAILURE_CATEGORY, state.category.value if state.category else None),
        (FAILURE_REASON, state.reason),
        (CUSTOMER_TIER, state.account.tier.value if state.account else None),
        (ASSIGNED_TEAM, state.routed[-1].team.value if state.routed else None),
        (DUNNING_OUTCOME, state.outcome.outcome.value if state.outcome else None),
        (NEXT_ACTION_AT, state.next_action.at if state.next_action else None),
    ]
    changes: list[SearchAttributeUpdate[Any]] = []
    for key, value in wanted:
        if current.get(key) == value:
            continue
        changes.append(key.value_unset() if value is None else key.value_set(value))
    return changes

"""The contract's search attributes: one typed registry, the single source of truth.

The starter sets the case's fixed attributes at start; the workflow upserts what changes.
Only opaque ids and enums are stored here: never an email address or a name.
"""

import re
from collections.abc import Callable, Sequence
from typing import Any

from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    SearchAttributeUpdate,
    TypedSearchAttributes,
)

from dunning.contract.case import QUERYABLE_ID_PATTERN, DunningCase
from dunning.contract.dispute import DisputeCase
from dunning.contract.enums import CaseKind, Stage
from dunning.contract.predunning import PreDunningCase
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
CASE_KIND = SearchAttributeKey.for_keyword_list("CaseKind")
"""What the workflow follows (`CaseKind = 'predunning'`): set once at start, never upserted,
so that histories recorded before it replay unchanged. A keyword list because a namespace
holds at most ten keywords, and the contract's ten are taken."""

FROM_CASE: Sequence[tuple[SearchAttributeKey[Any], Callable[[DunningCase], Any]]] = (
    (INVOICE_ID, lambda case: case.invoice_id),
    (CUSTOMER_ID, lambda case: case.customer_id),
    (AMOUNT_DUE, lambda case: case.amount_due),
    (CURRENCY, lambda case: case.currency),
    (PAYMENT_METHOD_TYPE, lambda case: case.payment_method_type.value),
)
"""The attributes a case carries from its first moment, from its input."""
FROM_STATE: Sequence[tuple[SearchAttributeKey[Any], Callable[[CaseState], Any]]] = (
    (DUNNING_STAGE, lambda state: state.stage.value),
    (FAILURE_CATEGORY, lambda state: state.category.value if state.category else None),
    (FAILURE_REASON, lambda state: state.reason),
    (CUSTOMER_TIER, lambda state: state.account.tier.value if state.account else None),
    (ASSIGNED_TEAM, lambda state: state.routed[-1].team.value if state.routed else None),
    (DUNNING_OUTCOME, lambda state: state.outcome.outcome.value if state.outcome else None),
    (NEXT_ACTION_AT, lambda state: state.next_action.at if state.next_action else None),
)
"""The attributes that follow the case as it goes."""
ALL_KEYS: Sequence[SearchAttributeKey[Any]] = (
    *(key for key, _ in (*FROM_CASE, *FROM_STATE)),
    CASE_KIND,
)
"""Every attribute the project registers on a server it starts or sets up."""


def is_queryable(value: str) -> bool:
    """Whether a visibility query can name `value` as it is."""
    return re.fullmatch(QUERYABLE_ID_PATTERN, value) is not None


def equals(key: SearchAttributeKey[Any], value: str) -> str:
    """The visibility-query clause `key = 'value'`. A query is built only from ids and names
    (`is_queryable`), never from other text an event or a person gave."""
    if not is_queryable(value):
        raise ValueError(f"{key.name}: {value!r} is not an id a query can name")
    return f"{key.name} = '{value}'"


def at_start(case: DunningCase) -> TypedSearchAttributes:
    """The attributes a case carries from its first moment."""
    pairs = [SearchAttributePair(key, value(case)) for key, value in FROM_CASE]
    return TypedSearchAttributes(
        [
            SearchAttributePair(DUNNING_STAGE, Stage.CLASSIFYING.value),
            SearchAttributePair(CASE_KIND, [CaseKind.DUNNING.value]),
            *pairs,
        ]
    )


def of_dispute(dispute: DisputeCase) -> TypedSearchAttributes:
    """A dispute's attributes: found by invoice and customer, its money counted by amount."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(INVOICE_ID, dispute.invoice_id),
            SearchAttributePair(CUSTOMER_ID, dispute.customer_id),
            SearchAttributePair(CURRENCY, dispute.currency),
            SearchAttributePair(AMOUNT_DUE, dispute.amount),
            SearchAttributePair(ASSIGNED_TEAM, dispute.team.value),
            SearchAttributePair(CASE_KIND, [CaseKind.DISPUTE.value]),
        ]
    )


def of_watch(watch: PreDunningCase) -> TypedSearchAttributes:
    """A renewal watch's attributes: found by customer, told apart from dunning cases."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(CUSTOMER_ID, watch.customer_id),
            SearchAttributePair(CURRENCY, watch.currency),
            SearchAttributePair(AMOUNT_DUE, watch.amount),
            SearchAttributePair(CASE_KIND, [CaseKind.PREDUNNING.value]),
        ]
    )


def updates(state: CaseState, current: TypedSearchAttributes) -> list[SearchAttributeUpdate[Any]]:
    """The upserts that bring `current` to what the state says; empty when nothing changed."""
    wanted = [
        *((key, value(state.case)) for key, value in FROM_CASE),
        *((key, value(state)) for key, value in FROM_STATE),
    ]
    changes: list[SearchAttributeUpdate[Any]] = []
    for key, value in wanted:
        if current.get(key) == value:
            continue
        changes.append(key.value_unset() if value is None else key.value_set(value))
    return changes

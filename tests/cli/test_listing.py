"""`starter.py list`: its filters become a visibility query only when they are ids."""

import pytest

from cli.listing import list_query
from dunning.errors import InputError


def test_filters_are_clauses_of_one_query() -> None:
    query = list_query({"customer": "acme-b", "stage": "retrying", "tier": None}, open_only=True)
    assert query == (
        "WorkflowType = 'DunningWorkflow' AND CustomerId = 'acme-b' "
        "AND DunningStage = 'retrying' AND ExecutionStatus = 'Running'"
    )


def test_a_filter_that_is_not_an_id_is_refused_and_named() -> None:
    with pytest.raises(InputError, match="--customer"):
        list_query({"customer": "cus_a' OR 1=1"})

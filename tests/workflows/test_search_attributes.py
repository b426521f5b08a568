"""Visibility queries name only ids: what an event or a person gave never becomes syntax."""

import pytest

from workflows.search_attributes import CUSTOMER_ID, equals, is_queryable


@pytest.mark.parametrize("value", ["cus_Nx9", "acme-b", "c_self.3", "ap@acme.example", "x:1"])
def test_an_id_is_named_in_a_clause(value: str) -> None:
    assert is_queryable(value)
    assert equals(CUSTOMER_ID, value) == f"CustomerId = '{value}'"


@pytest.mark.parametrize(
    "value", ["cus_a' OR 1=1", 'cus_"a', "cus_a\\", "a?b", "acme corp", "", "x" * 256]
)
def test_anything_else_is_refused_before_it_reaches_a_query(value: str) -> None:
    assert not is_queryable(value)
    with pytest.raises(ValueError, match="CustomerId"):
        equals(CUSTOMER_ID, value)

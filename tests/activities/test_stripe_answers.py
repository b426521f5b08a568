"""Reading Stripe's answers: where an invoice's PO can be."""

from typing import Any

import pytest

from activities.stripe_answers import PO_FIELD_NAME, po_number_of

FIELD = {"custom_fields": [{"name": PO_FIELD_NAME, "value": "PO-field"}]}
METADATA = {"metadata": {"po_number": "PO-meta"}}
RENEWAL = {"subscription_details": {"metadata": {"po_number": "PO-sub"}}}


@pytest.mark.parametrize(
    ("invoice", "po"),
    [
        ({**FIELD, **METADATA, **RENEWAL}, "PO-field"),
        ({**METADATA, **RENEWAL}, "PO-meta"),
        (RENEWAL, "PO-sub"),
        ({"subscription_details": None, "metadata": {}, "custom_fields": None}, None),
        ({"custom_fields": [{"name": "Other", "value": "x"}], "metadata": {"po_number": ""}}, None),
    ],
)
def test_the_po_is_the_invoice_s_own_first_then_its_subscription_s(
    invoice: dict[str, Any], po: str | None
) -> None:
    assert po_number_of(invoice) == po

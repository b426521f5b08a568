"""Bad input is refused before a workflow starts, with a message naming the field."""

from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from dunning.contract.case import DunningCase
from dunning.contract.messages import BillingContactCorrected, OperatorDecision, PoNumberProvided
from dunning.errors import MAX_INPUT_FILE_BYTES, InputError, describe, load_json

GOOD: dict[str, Any] = {
    "invoice_id": "in_001",
    "customer_id": "cus_acme",
    "amount_due": 1200000,
    "currency": "usd",
    "collection_method": "charge_automatically",
    "payment_method_type": "card",
    "failure": {"code": "card_declined", "decline_code": "insufficient_funds"},
    "failed_at": "2026-11-01T10:00:00Z",
}


def refusal(**changes: Any) -> str:
    raw = {**GOOD, **changes}
    for name in [k for k, v in changes.items() if v is ...]:
        del raw[name]
    with pytest.raises(ValidationError) as raised:
        DunningCase.model_validate(raw)
    return describe(raised.value)


def test_a_good_case() -> None:
    case = DunningCase.model_validate(GOOD)
    assert case.workflow_id == "dunning-in_001"
    assert case.options.day_seconds == 86400
    assert case.failed_at.tzinfo is not None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"invoice_id": ...}, "invoice_id"),
        ({"invoice_id": "in 001/../x"}, "invoice_id"),
        ({"invoice_id": "x" * 256}, "invoice_id"),
        ({"customer_id": "o'brien"}, "customer_id"),
        ({"customer_id": "acme corp"}, "customer_id"),
        ({"customer_id": ""}, "customer_id"),
        ({"amount_due": -5}, "amount_due"),
        ({"amount_due": 0}, "amount_due"),
        ({"amount_due": "lots"}, "amount_due"),
        ({"currency": "USD"}, "currency"),
        ({"collection_method": "by_pigeon"}, "collection_method"),
        ({"payment_method_type": "bitcoin"}, "payment_method_type"),
        ({"failure": {"decline_code": 5}}, "failure.decline_code"),
        ({"failed_at": "yesterday"}, "failed_at"),
        ({"options": {"day_seconds": 0}}, "options.day_seconds"),
        ({"po_numbr": "PO-1"}, "po_numbr"),
        ({"payment_method_type": "invoice"}, "send_invoice"),
    ],
)
def test_bad_input_names_the_field(changes: dict[str, Any], field: str) -> None:
    assert field in refusal(**changes)


def test_naive_times_are_utc() -> None:
    case = DunningCase.model_validate({**GOOD, "failed_at": "2026-11-01T10:00:00"})
    assert case.failed_at.tzinfo is UTC


@pytest.mark.parametrize(
    ("model", "payload", "field"),
    [
        (PoNumberProvided, {"po_number": "   "}, "po_number"),
        (PoNumberProvided, {}, "po_number"),
        (BillingContactCorrected, {"email": "not-an-email"}, "email"),
        (OperatorDecision, {"action": "extend", "actor": "op"}, "days"),
        (OperatorDecision, {"action": "pause"}, "actor"),
        (OperatorDecision, {"action": "nuke", "actor": "op"}, "action"),
        (OperatorDecision, {"action": "extend", "days": -1, "actor": "op"}, "days"),
    ],
)
def test_bad_payloads_name_the_field(model: Any, payload: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        model.model_validate(payload)
    assert field in describe(raised.value)


def test_oversized_fields_are_refused() -> None:
    assert "po_number" in refusal(po_number="P" * 101)
    assert "failure.message" in refusal(failure={"message": "x" * 1001})


def test_an_oversized_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(" " * (MAX_INPUT_FILE_BYTES + 1))
    with pytest.raises(InputError, match="at most"):
        load_json(DunningCase, path)

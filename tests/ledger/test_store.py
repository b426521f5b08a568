"""The ledger on both databases: migrations from nothing and from the previous schema, and
writes that are idempotent per case whatever order retries bring them in."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect, text

from dunning.contract.enums import CaseKind
from dunning.providers.ledger import LedgerEntry
from ledger.store import Ledger, engine_for, migrate

OPENED = datetime(2026, 3, 1, 12, tzinfo=UTC)


def opening(workflow_id: str = "dunning-in_1", **fields: object) -> LedgerEntry:
    return LedgerEntry.model_validate(
        {
            "workflow_id": workflow_id,
            "run_id": "run-1",
            "kind": CaseKind.DUNNING,
            "customer_id": "cus_1",
            "invoice_id": workflow_id.removeprefix("dunning-"),
            "currency": "usd",
            "amount_due": 50_000,
            "payment_method_type": "card",
            "opened_at": OPENED,
            "due_at": OPENED,
            **fields,
        }
    )


def closing(entry: LedgerEntry, days: float = 9, **fields: object) -> LedgerEntry:
    return entry.model_copy(
        update={
            "closed_at": entry.opened_at + timedelta(days=days),
            "outcome": "recovered",
            "resolution": "retry",
            "amount_recovered": entry.amount_due,
            "attempts": 2,
            "emails": 1,
            "customer_tier": "mid_market",
            "category": "soft_decline",
            **fields,
        }
    )


def test_an_empty_database_gets_the_whole_schema(database_url: str) -> None:
    ledger = Ledger.at(database_url)
    columns = {c["name"] for c in inspect(engine_for(database_url)).get_columns("cases")}
    assert {"workflow_id", "run_id", "kind", "subscription_id", "history_events"} <= columns
    assert ledger.entries() == []


def test_a_ledger_of_the_previous_schema_keeps_its_rows(database_url: str) -> None:
    engine = engine_for(database_url)
    migrate(engine, "0001")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO cases (workflow_id, run_id, customer_id, invoice_id, currency, "
                "amount_due, opened_at) VALUES ('dunning-in_old', 'r0', 'cus_0', 'in_old', "
                "'eur', 700, :opened)"
            ),
            {"opened": OPENED},
        )
    ledger = Ledger.at(database_url)  # upgrades to the head
    [old] = ledger.entries()
    assert (old.workflow_id, old.kind, old.amount_due, old.currency) == (
        "dunning-in_old",
        CaseKind.DUNNING,
        700,
        "eur",
    )


def test_writes_are_idempotent_and_a_late_opening_never_undoes_the_close(
    database_url: str,
) -> None:
    ledger = Ledger.at(database_url)
    opened = opening()
    closed = closing(opened)
    ledger.record(opened)
    ledger.record(opened)  # an activity retried after a timeout
    ledger.record(closed)
    ledger.record(closed)  # the close replayed by another worker
    ledger.record(opened)  # a retried opening arriving last
    [row] = ledger.entries()
    assert row == closed


def test_entries_are_read_by_window_and_kind(database_url: str) -> None:
    ledger = Ledger.at(database_url)
    for n in range(4):
        ledger.record(opening(f"dunning-in_{n}", opened_at=OPENED + timedelta(days=10 * n)))
    watch = opening(
        "predunning-sub_1-1", kind=CaseKind.PREDUNNING, invoice_id=None, subscription_id="sub_1"
    )
    ledger.record(watch)
    window = ledger.entries(OPENED + timedelta(days=5), OPENED + timedelta(days=30))
    assert [e.workflow_id for e in window] == ["dunning-in_1", "dunning-in_2"]
    assert [e.workflow_id for e in ledger.entries(kind="predunning")] == ["predunning-sub_1-1"]

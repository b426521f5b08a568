"""A live run beside its backtest: which invoices ended alike, and how much later."""

from dunning.contract.enums import EndAction, Outcome, Resolution
from lab.agreement import Agreement
from lab.report import InvoiceResult, WorldReport


def result(invoice_id: str, outcome: Outcome, days: float, **more: object) -> InvoiceResult:
    fields: dict[str, object] = {
        "invoice_id": invoice_id,
        "outcome": outcome,
        "resolution": Resolution.RETRY if outcome is Outcome.RECOVERED else None,
        "end_action": None if outcome is Outcome.RECOVERED else EndAction.CANCEL_SUBSCRIPTION,
        "charges": 2,
        "emails": 1,
        "days_open": days,
        "amount_due": 5000,
        "currency": "usd",
        "amount_recovered": 5000 if outcome is Outcome.RECOVERED else 0,
        "network_fees": 0,
    }
    return InvoiceResult.model_validate(fields | more)


def test_invoices_are_paired_by_id_and_compared_by_how_they_ended() -> None:
    live = WorldReport.of(
        [
            result("in_a", Outcome.RECOVERED, 3.25),
            result("in_b", Outcome.RECOVERED, 7.4),
            result("in_c", Outcome.RECOVERED, 5.1, resolution=Resolution.PAYMENT_METHOD_UPDATE),
        ]
    )
    offline = WorldReport.of(
        [
            result("in_c", Outcome.RECOVERED, 5.0),
            result("in_b", Outcome.END_STATE_APPLIED, 14.0),
            result("in_a", Outcome.RECOVERED, 3.0),
        ]
    )
    agreement = Agreement.of(live, offline)
    assert (agreement.same_outcome, agreement.same_ending) == (2, 1)
    assert agreement.drift == [0.25], "lateness only where both ended alike"
    summary = agreement.summary()
    assert summary["later_days"] == {"median": 0.25, "p95": 0.25, "most": 0.25}
    assert [line.split(":")[0] for line in summary["differing"]] == ["in_b", "in_c"]
    assert summary["differing"][0] == (
        "in_b: lab recovered/retry after 7.4 days, backtest end_state_applied/None after 14.0 days"
    )

"""The cases a world's invoices open: their calendar is UTC, as the webhook service reads
Stripe's epochs, whatever offset the world's calendar is written in."""

from datetime import UTC, datetime, timedelta, timezone

from dunning.rules.learned import LearnedPlan, RetryPlan
from dunning.rules.policy import DunningPolicy
from lab.backtest import backtest
from tests.worlds.test_behaviour import invoice
from worlds.cases import case_of
from worlds.generate import generate
from worlds.model import Invoice, World

EAST = timezone(timedelta(hours=5))


def test_a_case_fails_and_falls_due_in_utc() -> None:
    origin = datetime(2026, 1, 1, 2, 0, tzinfo=EAST)  # 2025-12-31 21:00 UTC
    charged = Invoice.model_validate(invoice(fails_on_day=0.5))
    assert case_of(charged, origin, 86_400).failed_at == datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    net_terms = Invoice.model_validate(
        invoice(
            collection_method="send_invoice",
            payment_method_type="invoice",
            failure=None,
            behaviour={"pays_on_day": None},
        )
    )
    case = case_of(net_terms, origin, 86_400)
    assert case.failed_at.tzinfo is UTC
    assert case.due_date is not None and case.due_date.isoformat() == "2025-12-31", (
        "the UTC date of its due moment, as Stripe's epoch gives it"
    )


def test_a_world_ends_alike_whatever_offset_its_calendar_is_written_in() -> None:
    # Retries at 00:01 on paydays: the calendar a case reads them on decides what they find.
    plans = {
        f"{method}/{tier}": RetryPlan(paydays=1, days=(1.0, end))
        for method in ("card", "ach_debit", "sepa_debit")
        for tier, end in (("self_serve", 14.0), ("mid_market", 28.0), ("enterprise", 60.0))
    }
    policy = DunningPolicy(learned=LearnedPlan(fitted_from=1_000, plans=plans))
    raw = generate(300, 4242)
    in_utc = backtest(World.model_validate(raw), policy)
    raw["calendar_start"] = "2026-01-01T05:00:00+05:00"  # the same moment
    in_the_east = backtest(World.model_validate(raw), policy)
    assert in_the_east.per_invoice == in_utc.per_invoice

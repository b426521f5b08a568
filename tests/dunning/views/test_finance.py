"""Finance's KPIs on a hand-computed ledger: DSO, CEI and aging by days past due."""

from datetime import UTC, datetime

from dunning.contract.enums import CaseKind
from dunning.providers.ledger import LedgerEntry
from dunning.views.finance import finance_kpis

SINCE, UNTIL = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC)


def case(
    name: str,
    amount: int,
    opened: tuple[int, int],
    due: tuple[int, int] | None = None,
    closed: tuple[int, int] | None = None,
    **fields: object,
) -> LedgerEntry:
    def moment(month_day: tuple[int, int]) -> datetime:
        return datetime(2026, month_day[0], month_day[1], tzinfo=UTC)

    return LedgerEntry.model_validate(
        {
            "workflow_id": f"dunning-{name}",
            "run_id": "r",
            "kind": CaseKind.DUNNING,
            "customer_id": "cus",
            "invoice_id": name,
            "currency": "usd",
            "amount_due": amount,
            "opened_at": moment(opened),
            "due_at": moment(due or opened),
            "closed_at": moment(closed) if closed else None,
            **fields,
        }
    )


LEDGER = [
    # Open at the window's start, recovered inside it.
    case("a", 1000, (2, 20), closed=(3, 10), outcome="recovered", amount_recovered=1000),
    # Fell due and recovered inside the window.
    case(
        "b",
        2000,
        (3, 5),
        closed=(3, 20),
        outcome="recovered",
        resolution="retry",
        amount_recovered=2000,
        attempts=3,
        emails=1,
        category="soft_decline",
        history_events=40,
    ),
    case("c", 3000, (3, 10)),  # fell due inside, still open: 21 days past due
    case("d", 500, (1, 15)),  # open throughout: 75 days past due at the end
    case("e", 400, (3, 25), due=(4, 10)),  # net terms, not yet due: current
    case("f", 999, (4, 2)),  # after the window: not counted
]


def test_dso_cei_and_aging_as_computed_by_hand() -> None:
    kpis = finance_kpis(LEDGER, SINCE, UNTIL)
    # Open at the end: c 3000 + d 500 + e 400 = 3900; fell due in the window: b + c = 5000.
    assert kpis.dso_days == {"usd": round(3900 / 5000 * 30, 2)}  # 23.4 days
    # Open at the start: a + d = 1500; current at the end: e = 400.
    assert kpis.cei == {"usd": round((1500 + 5000 - 3900) / (1500 + 5000 - 400) * 100, 2)}
    assert kpis.aging == {"usd": {"0-30": 3400, "31-60": 0, "61-90": 500, "90+": 0}}


def test_rates_and_costs_of_the_cases_opened_in_the_window() -> None:
    kpis = finance_kpis(LEDGER, SINCE, UNTIL)
    assert kpis.opened == 3  # b, c, e
    assert (kpis.overall.closed, kpis.overall.recovered) == (1, 1)
    assert kpis.overall.money_rate("usd") == 1.0
    assert list(kpis.by_category) == ["soft_decline"]
    assert kpis.median_days_to_recovery == 15.0
    assert kpis.automated_resolution_rate == 1.0
    assert kpis.involuntary_churn_rate == 0.0
    assert (kpis.charges_per_recovery, kpis.emails_per_recovery) == (3.0, 1.0)
    assert kpis.history_events_per_case == 40.0


def test_a_window_without_cases_has_no_ratios() -> None:
    kpis = finance_kpis([], SINCE, UNTIL)
    assert (kpis.opened, kpis.overall.rate, kpis.dso_days, kpis.cei) == (0, None, {}, {})


def test_days_are_the_cases_policy_days_on_a_compressed_clock() -> None:
    # A lab on a 2-second day: opened and recovered 20 seconds apart is 10 days.
    lab = case(
        "lab",
        700,
        (3, 5),
        outcome="recovered",
        amount_recovered=700,
        day_seconds=2,
    ).model_copy(update={"closed_at": datetime(2026, 3, 5, 0, 0, 20, tzinfo=UTC)})
    kpis = finance_kpis([lab], SINCE, datetime(2026, 3, 5, 0, 1, tzinfo=UTC))
    assert kpis.median_days_to_recovery == 10.0

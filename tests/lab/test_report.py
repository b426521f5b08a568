"""The recovery report: money is a rate within one currency, never a sum across them."""

from cli.lab import comparison_table
from dunning.rules.policy import DunningPolicy
from lab.backtest import backtest
from tests.lab.test_backtest import card, world
from worlds.model import World


def two_currencies() -> World:
    """A yen invoice the retry recovers, and a dollar one a hundred times its minor units
    that nothing recovers."""
    yen = card({"funds_return_day": 4.2}, id="in_yen", currency="jpy", amount_due=15_000)
    dollars = card({"funds_return_day": None}, id="in_usd", amount_due=1_500_000)
    return world(yen, dollars)


def test_each_currency_keeps_its_own_money() -> None:
    report = backtest(two_currencies(), DunningPolicy())
    assert report.amount_at_risk_by_currency == {"jpy": 15_000, "usd": 1_500_000}
    assert report.amount_recovered_by_currency == {"jpy": 15_000, "usd": 0}
    assert report.money_rates() == {"jpy": 1.0, "usd": 0.0}
    assert [r.currency for r in report.per_invoice] == ["jpy", "usd"]


def test_the_table_gives_money_per_currency_when_there_are_several() -> None:
    report = backtest(two_currencies(), DunningPolicy())
    table = comparison_table([("default", report)]).splitlines()
    assert table[1].split()[3] == "-", "no rate across currencies in the money column"
    assert table[-2].split()[-2:] == ["JPY", "USD"]
    assert table[-1].split() == ["default", "100.0%", "0.0%"]


def test_one_currency_has_its_rate_in_the_money_column() -> None:
    report = backtest(world(card({"funds_return_day": 4.2})), DunningPolicy())
    table = comparison_table([("default", report)]).splitlines()
    assert len(table) == 2, "no table per currency"
    assert table[1].split()[3] == "100.0%"

"""The report's lines for what lives beside the cases: disputes and renewal watches."""

from datetime import UTC, datetime
from typing import Any

from cli.report import render_report
from dunning.contract.enums import PreDunningResult, WatchCheck
from dunning.contract.predunning import PreDunningOutcome
from dunning.views.watch_kpis import WatchKpis


def ended(result: PreDunningResult, amount: int, **fields: Any) -> PreDunningOutcome:
    checks = (WatchCheck.CARD_EXPIRES,)
    return PreDunningOutcome(
        result=result,
        amount=amount,
        currency="usd",
        checks=fields.pop("checks", checks),
        closed_at=datetime(2026, 3, 1, tzinfo=UTC),
        **fields,
    )


def test_disputes_and_watches_are_counted_in_the_report() -> None:
    watches = WatchKpis.of(
        [
            ended(PreDunningResult.PREVENTED, 4900),
            ended(PreDunningResult.PREVENTED, 100),
            ended(PreDunningResult.FAILED, 9900),
            ended(PreDunningResult.PAID, 2900, checks=(WatchCheck.PO_MISSING,)),
            ended(PreDunningResult.NOT_NEEDED, 1000, checks=()),
        ]
    )
    assert (watches.prevented, watches.kept_by_currency) == (2, {"usd": 5000})
    assert watches.conversion == round(2 / 3, 4), "of the three reminded that heard back"
    text = render_report([], disputes={"usd": [4200, 800]}, watches=watches)
    assert "disputed after recovery: 2 (50.00 USD)" in text
    assert "renewals watched (pre-dunning): 5: failed 1, not_needed 1, paid 1, prevented 2" in text
    assert "failures prevented: 2 (50.00 USD kept from risk)" in text
    assert "expiry reminders that saved the renewal: 67%" in text
    assert "renewals watched" not in render_report([])
    assert WatchKpis.of([]).conversion is None

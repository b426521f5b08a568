"""The pre-dunning KPIs finance asks for: failures prevented, the conversion of the expiry
reminders, and the money those failures would have put at risk."""

from collections import Counter

from pydantic import BaseModel, ConfigDict

from dunning.contract.enums import PreDunningResult, WatchCheck
from dunning.contract.money import format_amount
from dunning.contract.predunning import PreDunningOutcome


class WatchKpis(BaseModel):
    """How the renewal watches that ended went."""

    model_config = ConfigDict(frozen=True)

    watches: int
    """Watches that ended."""
    by_result: dict[PreDunningResult, int]
    """How many ended each way."""
    prevented: int
    """Renewals on an expiring card that paid after the customer replaced it when reminded."""
    kept_by_currency: dict[str, int]
    """Minor units those renewals would have put at risk, per currency."""
    conversion: float | None
    """Prevented / watches that reminded of an expiring card and heard how the renewal
    went (null: none did)."""

    @classmethod
    def of(cls, outcomes: list[PreDunningOutcome]) -> "WatchKpis":
        """The KPIs over the watches' outcomes."""
        prevented = [o for o in outcomes if o.result is PreDunningResult.PREVENTED]
        kept: Counter[str] = Counter()
        for outcome in prevented:
            kept[outcome.currency] += outcome.amount
        heard = (PreDunningResult.PREVENTED, PreDunningResult.PAID, PreDunningResult.FAILED)
        reminded = [
            o for o in outcomes if WatchCheck.CARD_EXPIRES in o.checks and o.result in heard
        ]
        return cls(
            watches=len(outcomes),
            by_result=dict(Counter(o.result for o in outcomes)),
            prevented=len(prevented),
            kept_by_currency=dict(kept),
            conversion=round(len(prevented) / len(reminded), 4) if reminded else None,
        )


def watch_kpis_text(kpis: WatchKpis) -> str:
    """The KPIs as the report prints them."""
    went = ", ".join(f"{result} {n}" for result, n in sorted(kpis.by_result.items()))
    lines = [f"  renewals watched (pre-dunning): {kpis.watches}: {went}"]
    if kpis.prevented:
        kept = ", ".join(format_amount(v, c) for c, v in sorted(kpis.kept_by_currency.items()))
        lines.append(f"    failures prevented: {kpis.prevented} ({kept} kept from risk)")
    if kpis.conversion is not None:
        lines.append(f"    expiry reminders that saved the renewal: {kpis.conversion:.0%}")
    return "\n".join(lines)

"""How a world's live run agrees with its backtest: per invoice, the same outcome,
resolution and end action, and how much later the live cases closed. On a compressed
clock every delay of the stack is hours of world time: a step taken late enough finds the
world otherwise than the backtest's, and the run says so instead of passing it off."""

from dataclasses import dataclass
from typing import Any

from lab.report import InvoiceResult, WorldReport


def ending(result: InvoiceResult) -> tuple[object, ...]:
    """How an invoice's case ended: its outcome, resolution and end action."""
    return (result.outcome, result.resolution, result.end_action)


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the sorted `values` lie (0 when there are none)."""
    if not values:
        return 0.0
    return values[min(int(share * len(values)), len(values) - 1)]


@dataclass(frozen=True)
class Agreement:
    """Each invoice's live result beside its backtest's."""

    pairs: list[tuple[InvoiceResult, InvoiceResult]]
    """(live, backtest), in the world's order."""

    @classmethod
    def of(cls, live: WorldReport, backtest: WorldReport) -> "Agreement":
        """The two reports of one world, invoice by invoice."""
        offline = {result.invoice_id: result for result in backtest.per_invoice}
        return cls(
            [(r, offline[r.invoice_id]) for r in live.per_invoice if r.invoice_id in offline]
        )

    @property
    def same_outcome(self) -> int:
        """Invoices with the same outcome."""
        return sum(a.outcome == b.outcome for a, b in self.pairs)

    @property
    def same_ending(self) -> int:
        """Invoices with the same outcome, resolution and end action."""
        return sum(ending(a) == ending(b) for a, b in self.pairs)

    @property
    def drift(self) -> list[float]:
        """How many policy days later the live case closed than the backtest's, counted
        from each case's opening, for the invoices that ended the same way (sorted)."""
        return sorted(
            a.days_open - b.days_open
            for a, b in self.pairs
            if ending(a) == ending(b) and a.days_open is not None and b.days_open is not None
        )

    @property
    def differing(self) -> list[str]:
        """Each invoice that ended otherwise, both ways."""
        return [
            f"{a.invoice_id}: lab {a.outcome}/{a.resolution} after {a.days_open} days, "
            f"backtest {b.outcome}/{b.resolution} after {b.days_open} days"
            for a, b in self.pairs
            if ending(a) != ending(b)
        ]

    def summary(self) -> dict[str, Any]:
        """What `agreement.json` holds."""
        drift = self.drift
        return {
            "invoices": len(self.pairs),
            "same_outcome": self.same_outcome,
            "same_ending": self.same_ending,
            "later_days": {
                "median": round(percentile(drift, 0.5), 3),
                "p95": round(percentile(drift, 0.95), 3),
                "most": round(max(drift, default=0.0), 3),
            },
            "differing": self.differing,
        }

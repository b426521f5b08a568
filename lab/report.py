"""The recovery report of a world's run (CONTRACT.md, `report.json`): counts of charges,
emails, payments and fees come from the providers' side, not the cases' own records."""

from collections.abc import Callable
from statistics import median
from typing import Any

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

from dunning.contract.enums import EndAction, Outcome, Resolution
from dunning.contract.status import DunningOutcome


class ReportModel(BaseModel):
    """Base of the report: immutable."""

    model_config = ConfigDict(frozen=True)


class InvoiceResult(ReportModel):
    """How one invoice's case ended."""

    invoice_id: str
    """The invoice."""
    outcome: Outcome | None
    """The case's outcome (null: still open when the run ended)."""
    resolution: Resolution | None
    """What recovered it."""
    end_action: EndAction | None
    """The end action applied."""
    charges: int
    """Charges the product made (the failure that opened the case not counted)."""
    emails: int
    """Emails the customer received."""
    days_open: float | None
    """Days from the failure to the close."""
    amount_due: int
    """Minor units at risk."""
    currency: str
    """The currency of both amounts (ISO 4217, lower case)."""
    amount_recovered: int
    """Minor units paid while the case was open."""
    network_fees: int
    """Cents the card networks would bill for this invoice's retries."""
    no_case: str | None = None
    """Why the invoice's failure opened no case, in the webhook service's words (a live run
    only: announced, but the service declined it, e.g. Stripe already had it paid)."""

    @classmethod
    def of(
        cls,
        invoice_id: str,
        outcome: DunningOutcome | None,
        *,
        charges: int,
        emails: int,
        amount_due: int,
        currency: str,
        amount_paid: int,
        network_fees: int,
    ) -> "InvoiceResult":
        """A case's outcome with what the providers saw of it; money paid counts as
        recovered only when the case recovered it."""
        recovered = outcome is not None and outcome.outcome is Outcome.RECOVERED
        return cls(
            invoice_id=invoice_id,
            outcome=outcome.outcome if outcome else None,
            resolution=outcome.resolution if outcome else None,
            end_action=outcome.end_action if outcome else None,
            charges=charges,
            emails=emails,
            days_open=outcome.days_open if outcome else None,
            amount_due=amount_due,
            currency=currency,
            amount_recovered=amount_paid if recovered else 0,
            network_fees=network_fees,
        )


class WorldReport(ReportModel):
    """The recovery of a whole world under one policy."""

    invoices: int
    """Invoices in the world."""
    closed: int
    """Cases closed."""
    recovered: int
    """Cases recovered."""
    recovery_rate: float
    """Recovered / invoices."""
    amount_at_risk: int
    """Minor units at risk, all currencies added: a sum that means money only when the world
    has one currency (`amount_at_risk_by_currency` otherwise)."""
    amount_recovered: int
    """Minor units recovered, all currencies added, as `amount_at_risk`."""
    amount_at_risk_by_currency: dict[str, int]
    """Minor units at risk, per currency: amounts in different currencies are never added."""
    amount_recovered_by_currency: dict[str, int]
    """Minor units recovered, per currency."""
    charges: int
    """Charges made."""
    emails: int
    """Emails sent."""
    network_fees: int
    """Cents of network fees."""
    median_days_to_recovery: float | None
    """Median days from failure to recovery."""
    charges_per_recovery: float | None = None
    """Charges / recovered (null: nothing recovered)."""
    emails_per_recovery: float | None = None
    """Emails / recovered (null: nothing recovered)."""
    per_invoice: list[InvoiceResult]
    """Each invoice's result, in the world's order (failed renewals after the invoices)."""
    renewals: int | None = None
    """For a world with renewals: how many subscriptions renewed."""
    renewal_failures: int | None = None
    """Renewals that failed (each opened a dunning case)."""
    prevented: int | None = None
    """Renewals whose card would have failed them, replaced in time."""
    prevented_amount: int | None = None
    """Minor units the prevented failures would have put at risk."""
    predunning_emails: int | None = None
    """Emails the renewals' watches sent."""
    predunning_conversion: float | None = None
    """Prevented / renewals whose card expired first (prevented or failed)."""

    def money_rates(self) -> dict[str, float]:
        """Recovered / at risk, per currency at risk."""
        recovered = self.amount_recovered_by_currency
        return {
            currency: recovered.get(currency, 0) / due
            for currency, due in self.amount_at_risk_by_currency.items()
            if due
        }

    @model_serializer(mode="wrap")
    def _renewals_only_when_any(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if self.renewals is None:
            for key in RenewalCounts.model_fields:
                data.pop(key, None)
        return data

    def with_renewals(self, counts: "RenewalCounts") -> "WorldReport":
        """The report of a world with renewals."""
        return self.model_copy(update=counts.model_dump())

    @classmethod
    def of(cls, results: list[InvoiceResult]) -> "WorldReport":
        """The report over every invoice's result."""
        recovered = [r for r in results if r.outcome is Outcome.RECOVERED]
        days = [r.days_open for r in recovered if r.days_open is not None]
        return cls(
            invoices=len(results),
            closed=sum(1 for r in results if r.outcome is not None),
            recovered=len(recovered),
            recovery_rate=round(len(recovered) / len(results), 4) if results else 0.0,
            amount_at_risk=sum(r.amount_due for r in results),
            amount_recovered=sum(r.amount_recovered for r in results),
            amount_at_risk_by_currency=_by_currency(results, lambda r: r.amount_due),
            amount_recovered_by_currency=_by_currency(results, lambda r: r.amount_recovered),
            charges=sum(r.charges for r in results),
            emails=sum(r.emails for r in results),
            network_fees=sum(r.network_fees for r in results),
            median_days_to_recovery=round(median(days), 3) if days else None,
            charges_per_recovery=_per(sum(r.charges for r in results), len(recovered)),
            emails_per_recovery=_per(sum(r.emails for r in results), len(recovered)),
            per_invoice=results,
        )


def _by_currency(
    results: list[InvoiceResult], amount: Callable[[InvoiceResult], int]
) -> dict[str, int]:
    totals: dict[str, int] = {}
    for result in results:
        totals[result.currency] = totals.get(result.currency, 0) + amount(result)
    return totals


def _per(count: int, recovered: int) -> float | None:
    return round(count / recovered, 3) if recovered else None


class RenewalCounts(ReportModel):
    """How a world's renewals went, and what pre-dunning did for them."""

    renewals: int
    """Subscriptions that renewed."""
    renewal_failures: int
    """Renewals that failed."""
    prevented: int
    """Renewals on an expiring card that paid, the card replaced in time."""
    prevented_amount: int
    """Minor units those would have put at risk."""
    predunning_emails: int
    """Emails the watches sent."""
    predunning_conversion: float | None
    """Prevented / renewals whose card expired first (null: none did)."""

    @classmethod
    def of(
        cls, renewals: int, failures: int, prevented: int, prevented_amount: int, emails: int
    ) -> "RenewalCounts":
        """The counts, with the conversion worked out."""
        expiring = failures + prevented
        return cls(
            renewals=renewals,
            renewal_failures=failures,
            prevented=prevented,
            prevented_amount=prevented_amount,
            predunning_emails=emails,
            predunning_conversion=round(prevented / expiring, 4) if expiring else None,
        )

"""The recovery report over simulated cases."""

from dunning.contract.enums import CustomerTier, EndAction, FailureCategory, Outcome
from dunning.contract.messages import BillingContactCorrected, InvoicePaid
from dunning.contract.status import DunningStatus
from dunning.providers.facts import AccountFacts, Person
from dunning.views.kpis import recovery_report
from dunning.views.status import case_status
from harness.temporal import make_case
from lab.scripted import SUCCEEDED, ScriptedProviders
from lab.virtual import simulate as run_case


def simulate(
    outcomes: list[str], account: AccountFacts | None = None, signals=(), **case
) -> DunningStatus:
    providers = ScriptedProviders(account=account or AccountFacts(), outcomes=list(outcomes))
    return case_status(run_case(make_case(**case), providers, messages=list(signals)))


def test_the_report_counts_recoveries_by_category_method_and_money() -> None:
    statuses = [
        simulate(["insufficient_funds", SUCCEEDED]),
        simulate(["insufficient_funds"]),
        simulate([SUCCEEDED], payment_method_type="ach_debit", amount_due=7000),
        simulate(
            [SUCCEEDED],
            AccountFacts(tier=CustomerTier.MID_MARKET),
            signals=[
                (1, BillingContactCorrected(email="ap@x.example")),
                (3, InvoicePaid()),
            ],
            collection_method="send_invoice",
            payment_method_type="invoice",
            failure=None,
            currency="eur",
        ),
    ]
    report = recovery_report(statuses)
    assert (report.cases, report.open) == (4, 0)
    assert (report.overall.recovered, report.overall.closed) == (3, 4)
    assert report.by_category["soft_decline"].ratio == 2 / 3
    assert report.by_category["workflow_failure"].ratio == 1.0, "reported by the opening category"
    assert report.by_method["card"].recovered == 1 and report.by_method["card"].closed == 2
    assert report.end_states == {EndAction.CANCEL_SUBSCRIPTION: 1}
    assert report.involuntary_churn == 1
    assert report.outcomes[Outcome.RECOVERED] == 3
    assert report.recovered_by_currency == {"usd": 12000, "eur": 5000}
    assert report.at_risk_by_currency == {"usd": 17000, "eur": 5000}
    assert report.automated_resolution_rate == 2 / 3, "the contact fix needed people"
    assert report.median_days_to_recovery is not None
    assert statuses[3].opened_as is FailureCategory.WORKFLOW_FAILURE
    assert statuses[3].failure_category is FailureCategory.OVERDUE


def test_an_empty_report() -> None:
    report = recovery_report([])
    assert report.overall.ratio is None and report.median_days_to_recovery is None


def test_the_contact_fix_reaches_the_ap_contact() -> None:
    status = simulate(
        [SUCCEEDED],
        AccountFacts(ap_contact=Person(email="old@x.example"), ap_contact_bounced=True),
        signals=[(1, BillingContactCorrected(email="new@x.example"))],
        collection_method="send_invoice",
        payment_method_type="invoice",
        failure=None,
    )
    later = [e.to for e in status.emails if e.at > status.timeline[0].at]
    assert "new@x.example" in later and "old@x.example" not in later


def test_open_cases_are_aged_in_buckets() -> None:
    from datetime import timedelta

    from dunning.views.kpis import aging

    scripted = ScriptedProviders(outcomes=["insufficient_funds"])
    young = case_status(run_case(make_case(), scripted, horizon_days=3))
    closed = simulate([SUCCEEDED])
    opened = young.timeline[0].at
    buckets = aging([young, closed], opened + timedelta(days=45))
    assert [(label, b.cases) for label, b in buckets.items()] == [
        ("0-30", 0),
        ("31-60", 1),
        ("61-90", 0),
        ("90+", 0),
    ]
    assert buckets["31-60"].due_by_currency == {"usd": 5000}
    assert aging([young], opened + timedelta(days=120))["90+"].cases == 1


def test_partial_payments_and_credit_are_counted_apart_from_recoveries() -> None:
    lost, credited = simulate(["insufficient_funds"]), simulate(["insufficient_funds"])
    assert lost.outcome is not None and credited.outcome is not None
    part_paid = lost.outcome.model_copy(update={"amount_recovered": 1500})
    lost = lost.model_copy(update={"outcome": part_paid})
    by_credit = credited.outcome.model_copy(
        update={"outcome": Outcome.STOPPED, "end_action": None, "amount_credited": 5000}
    )
    credited = credited.model_copy(update={"outcome": by_credit})
    report = recovery_report([lost, credited, simulate([SUCCEEDED])])

    assert report.partially_recovered == 1
    assert report.recovered_by_currency == {"usd": 1500 + 5000}
    assert report.credited_by_currency == {"usd": 5000}
    assert report.overall.recovered == 1

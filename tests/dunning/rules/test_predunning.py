"""Pre-dunning's rules: which renewals the scan watches, what a watch checks, who hears."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dunning.contract.enums import Team, WatchCheck, WorkflowReason
from dunning.contract.predunning import PreDunningCase
from dunning.providers.facts import AccountFacts, Person
from dunning.providers.renewals import RenewalFacts
from dunning.rules.policy import DunningPolicy
from dunning.rules.predunning import (
    WATCH_REQUESTS,
    billing_address,
    in_window,
    watch_checks,
    watch_of,
    watch_tasks,
)

NOW = datetime(2026, 1, 10, tzinfo=UTC)
AP = Person(name="AP", email="ap@acme.example")


def renewal(days: float, **fields: Any) -> RenewalFacts:
    return RenewalFacts.model_validate(
        {
            "subscription_id": "sub_1",
            "customer_id": "cus_1",
            "amount": 100_000,
            "currency": "usd",
            "renews_at": NOW + timedelta(days=days),
            "as_of": NOW,
            "card_exp_month": 1,
            "card_exp_year": 2026,
            "email": "billing@acme.example",
            **fields,
        }
    )


def watch(**fields: Any) -> PreDunningCase:
    return watch_of(renewal(30), DunningPolicy(), 86_400).model_copy(update=fields)


@pytest.mark.parametrize(
    ("days", "watched"), [(-0.5, False), (0, True), (45, True), (60, True), (60.5, False)]
)
def test_the_scan_watches_renewals_within_the_window(days: float, watched: bool) -> None:
    assert in_window(renewal(days), DunningPolicy()) is watched


def test_a_narrower_window_or_pre_dunning_off_watches_less() -> None:
    assert not in_window(renewal(40), DunningPolicy(predunning_window_days=30))
    assert not in_window(renewal(5), DunningPolicy(predunning=False))


def test_a_watch_counts_days_on_stripe_s_clock_and_keeps_the_renewal_s_moment() -> None:
    # A test clock frozen 10 days before the renewal: 10 days, whatever the wall clock.
    case = watch_of(renewal(10, as_of=NOW), DunningPolicy(), 2)
    assert case.days_to_renewal == 10 and case.options.day_seconds == 2
    assert case.workflow_id == f"predunning-sub_1-{int((NOW + timedelta(days=10)).timestamp())}"


def test_the_card_alone_is_judged_without_the_account() -> None:
    assert watch_checks(watch(), None) == (WatchCheck.CARD_EXPIRES,)
    assert watch_checks(watch(card_exp_year=2030), None) == ()
    assert watch_checks(watch(email=None), None) == ()  # nobody to remind


def test_each_check_its_own_finding() -> None:
    healthy = watch(card_exp_year=2030)
    assert watch_checks(healthy, AccountFacts(ap_contact=AP)) == ()
    bounced = AccountFacts(ap_contact=AP, ap_contact_bounced=True)
    assert watch_checks(healthy, bounced) == (WatchCheck.CONTACT_UNCONFIRMED,)
    nobody = watch(card_exp_year=2030, email=None)
    assert watch_checks(nobody, AccountFacts()) == (WatchCheck.CONTACT_UNCONFIRMED,)
    po = AccountFacts(ap_contact=AP, po_required=True)
    assert watch_checks(healthy, po) == (WatchCheck.PO_MISSING,)
    assert watch_checks(healthy.model_copy(update={"po_number": "PO-9"}), po) == ()
    contract = AccountFacts(ap_contact=AP, contract_amount=100_500)  # within 1 %
    assert watch_checks(healthy, contract) == ()
    off = AccountFacts(ap_contact=AP, contract_amount=90_000)
    assert watch_checks(healthy, off) == (WatchCheck.AMOUNT_MISMATCH,)


def test_requests_go_to_the_ap_contact_unless_their_mail_bounces() -> None:
    case = watch()
    assert billing_address(case, AccountFacts(ap_contact=AP)) == "ap@acme.example"
    bounced = AccountFacts(ap_contact=AP, ap_contact_bounced=True)
    assert billing_address(case, bounced) == "billing@acme.example"
    assert billing_address(case, None) == "billing@acme.example"


def test_each_finding_asks_or_tasks_whom_the_policy_says() -> None:
    checks = (WatchCheck.CONTACT_UNCONFIRMED, WatchCheck.AMOUNT_MISMATCH, WatchCheck.PO_MISSING)
    assert watch_tasks(checks, DunningPolicy()) == [
        (WatchCheck.CONTACT_UNCONFIRMED, Team.CUSTOMER_SUCCESS),
        (WatchCheck.AMOUNT_MISMATCH, Team.REVOPS),
    ]
    routed = DunningPolicy(routes={WorkflowReason.CONTRACT_MISMATCH: Team.FINANCE})
    assert watch_tasks((WatchCheck.AMOUNT_MISMATCH,), routed) == [
        (WatchCheck.AMOUNT_MISMATCH, Team.FINANCE)
    ]
    assert [t for c, t in WATCH_REQUESTS if c in checks] == ["po_request", "contact_confirm"]

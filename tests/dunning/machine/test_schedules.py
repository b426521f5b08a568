"""The default policy tables of DOMAIN.md §3, run through the case machine in memory."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dunning.contract.enums import (
    CustomerTier,
    EmailTemplate,
    EndAction,
    OperatorAction,
    Outcome,
    Resolution,
    Team,
)
from dunning.contract.messages import OperatorDecision
from dunning.providers.facts import AccountFacts, Person
from dunning.rules.policy import DunningPolicy, RetrySchedule
from harness.temporal import make_case
from lab.scripted import SUCCEEDED, ScriptedProviders
from lab.virtual import VirtualClock, simulate

AP = Person(email="ap@customer.example")


def run(account: AccountFacts | None = None, outcomes: list[str] | None = None, **case: Any):
    providers = ScriptedProviders(
        account=account or AccountFacts(), outcomes=list(outcomes or ["insufficient_funds"])
    )
    return simulate(make_case(**case), providers)


def days(state, moments) -> list[float]:
    return [round(state.clock.day_of(m), 2) for m in moments]


@pytest.mark.parametrize(
    ("method", "tier", "retry_days"),
    [
        ("card", CustomerTier.SELF_SERVE, [1, 3, 5, 7]),
        ("card", CustomerTier.MID_MARKET, [1, 3, 5, 7]),
        ("card", CustomerTier.ENTERPRISE, [1, 3, 5, 7, 14]),
        ("ach_debit", CustomerTier.MID_MARKET, [3, 7]),
        ("sepa_debit", CustomerTier.SELF_SERVE, [3, 7]),
    ],
)
def test_retry_schedules(method: str, tier: CustomerTier, retry_days: list[int]) -> None:
    state = run(AccountFacts(tier=tier), payment_method_type=method)
    assert days(state, [a.at for a in state.attempts]) == retry_days


@pytest.mark.parametrize("method", ["invoice", "wire"])
def test_net_terms_and_wire_are_never_charged(method: str) -> None:
    state = run(
        AccountFacts(ap_contact=AP),
        collection_method="send_invoice",
        payment_method_type=method,
        failure=None,
    )
    assert state.attempts == []
    assert state.outcome is not None and state.outcome.end_action is EndAction.MARK_UNCOLLECTIBLE


@pytest.mark.parametrize(
    ("tier", "emails", "end_day", "action"),
    [
        (
            CustomerTier.SELF_SERVE,
            [("payment_failed", 1), ("reminder", 7), ("final_notice", 10)],
            14,
            EndAction.CANCEL_SUBSCRIPTION,
        ),
        (
            CustomerTier.MID_MARKET,
            [("payment_failed", 1), ("reminder", 7), ("service_impact", 14), ("final_notice", 21)],
            28,
            EndAction.PAUSE_SUBSCRIPTION,
        ),
        (
            CustomerTier.ENTERPRISE,
            [("payment_failed", 1), ("reminder", 7), ("service_impact", 14), ("final_notice", 50)],
            60,
            EndAction.MARK_UNCOLLECTIBLE,
        ),
    ],
)
def test_email_cadence_and_end_states(
    tier: CustomerTier, emails: list[tuple[str, int]], end_day: int, action: EndAction
) -> None:
    state = run(AccountFacts(tier=tier, owner_id="7"))
    sent = [(e.template.value, round(state.clock.day_of(e.at))) for e in state.emails]
    assert sent == emails
    assert state.outcome is not None
    assert (state.outcome.end_action, round(state.outcome.days_open)) == (action, end_day)


def test_an_email_due_on_a_retry_day_goes_out_only_after_that_retry_failed() -> None:
    failed = run(outcomes=["insufficient_funds"] * 3 + [SUCCEEDED])
    assert "reminder" not in [e.template.value for e in failed.emails], "paid by the day-7 retry"
    declined = run()
    on_day_7 = [e.event for e in declined.timeline if round(declined.clock.day_of(e.at), 2) == 7]
    assert on_day_7 == ["charge_failed", "email_sent"], "one wake-up: the retry, then the reminder"


def test_the_first_email_does_not_wait_for_a_retry_a_plan_puts_weeks_away() -> None:
    from dunning.rules.learned import LearnedPlan, RetryPlan

    plan = LearnedPlan(fitted_from=500, plans={"card/self_serve": RetryPlan(paydays=1)})
    failed_at = datetime(2026, 1, 18, 12, tzinfo=UTC)  # the next payday is on day 13.5
    state = run(policy=DunningPolicy(learned=plan).model_dump(), failed_at=failed_at)
    sent = [(e.template.value, round(state.clock.day_of(e.at), 2)) for e in state.emails]
    assert sent[:3] == [("payment_failed", 0), ("reminder", 7), ("final_notice", 10)]
    assert days(state, [a.at for a in state.attempts]) == [13.5]


def test_the_first_email_waits_for_a_first_retry_due_before_the_final_notice() -> None:
    state = run(payment_method_type="ach_debit")  # the first debit on day 3
    assert (state.emails[0].template, state.clock.day_of(state.emails[0].at)) == (
        EmailTemplate.PAYMENT_FAILED,
        3,
    )


def test_hard_declines_and_customer_action_are_told_at_once() -> None:
    for code in ("stolen_card", "expired_card"):
        state = run(failure={"decline_code": code})
        assert state.emails[0].template is EmailTemplate.PAYMENT_FAILED
        assert state.clock.day_of(state.emails[0].at) < 0.01


def test_enterprise_owner_task_comes_before_any_email() -> None:
    state = run(AccountFacts(tier=CustomerTier.ENTERPRISE, owner_id="7"))
    owner_task = state.routed[0]
    assert owner_task.team is Team.CUSTOMER_SUCCESS
    assert owner_task.at <= state.emails[0].at


def test_a_high_value_contract_is_handled_as_enterprise() -> None:
    state = run(AccountFacts(tier=CustomerTier.MID_MARKET, annual_contract_value=6_000_000))
    assert state.routed[0].team is Team.CUSTOMER_SUCCESS
    assert state.outcome is not None and state.outcome.end_action is EndAction.MARK_UNCOLLECTIBLE


def test_enterprise_emails_name_the_contract() -> None:
    from dunning.views.notices import render_email

    state = run(AccountFacts(tier=CustomerTier.ENTERPRISE, contract_amount=5000), po_number="PO-9")
    body = render_email(state, EmailTemplate.REMINDER, "x@y.example", "reminder@7", state.day0).body
    assert "PO: PO-9" in body and "Contracted amount: 50.00 USD" in body


def test_a_missing_po_asks_the_ap_contact_and_routes_finance() -> None:
    state = run(AccountFacts(po_required=True, ap_contact=AP), outcomes=[SUCCEEDED])
    assert [r.team for r in state.routed] == [Team.FINANCE]
    assert [(e.template, e.to) for e in state.emails[:2]] == [
        (EmailTemplate.PO_REQUEST, AP.email),
        (EmailTemplate.PO_REQUEST, AP.email),
    ]
    assert days(state, [e.at for e in state.emails[:2]]) == [0.0, 7.0]


def test_the_subscription_end_action_needs_a_subscription() -> None:
    state = run(subscription_id=None)
    assert state.outcome is not None
    assert state.outcome.end_action is EndAction.MARK_UNCOLLECTIBLE


def test_every_number_is_configurable() -> None:
    policy = DunningPolicy(retries={**DunningPolicy().retries, "card": RetrySchedule(days=(2,))})
    state = run(policy=policy.model_dump())
    assert days(state, [a.at for a in state.attempts]) == [2]


def test_a_compressed_clock_runs_the_same_schedule() -> None:
    state = run(options={"day_seconds": 2})
    assert state.outcome is not None and state.outcome.outcome is Outcome.END_STATE_APPLIED
    assert round(state.outcome.days_open) == 14
    assert timedelta(seconds=27) < state.outcome.closed_at - state.day0 < timedelta(seconds=30)


def test_a_retry_pushed_late_by_the_network_keeps_the_next_one_apart() -> None:
    failure = {"decline_code": "do_not_honor", "network_advice_code": "02"}
    state = run(failure=failure, outcomes=["do_not_honor", "do_not_honor", SUCCEEDED])
    assert days(state, [a.at for a in state.attempts]) == [3, 4, 5]


def test_a_learned_plan_retries_on_paydays_and_days_in_time_order() -> None:
    from datetime import UTC, datetime

    from dunning.rules.learned import LearnedPlan, RetryPlan

    plan = LearnedPlan(
        fitted_from=500, plans={"card/self_serve": RetryPlan(paydays=1, days=(2, 13))}
    )
    failed_at = datetime(2026, 3, 5, 12, tzinfo=UTC)  # the next payday is on day 9.5
    state = run(policy=DunningPolicy(learned=plan).model_dump(), failed_at=failed_at)
    retried = [failed_at + (a.at - state.day0) for a in state.attempts]
    assert [round((r - failed_at).total_seconds() / 86400, 2) for r in retried] == [2, 9.5, 13]
    assert retried[1] == datetime(2026, 3, 15, 0, 1, tzinfo=UTC), "at 00:01 on the 15th"


def test_a_learned_weekly_plan_retries_on_its_weekday_and_a_plan_without_one_is_refused() -> None:
    from datetime import UTC, datetime

    from pydantic import ValidationError

    from dunning.rules.learned import LearnedPlan, RetryPlan

    plans = {"card/self_serve": RetryPlan(weekly=2, weekday=0, days=(1, 14))}
    failed_at = datetime(2026, 3, 5, 12, tzinfo=UTC)  # a Thursday: Mondays on days 3.5, 10.5
    state = run(
        policy=DunningPolicy(learned=LearnedPlan(fitted_from=500, plans=plans)).model_dump(),
        failed_at=failed_at,
    )
    retried = [failed_at + (a.at - state.day0) for a in state.attempts]
    days = [round((r - failed_at).total_seconds() / 86400, 2) for r in retried]
    assert days == [1, 3.5, 10.5, 14]
    assert retried[1] == datetime(2026, 3, 9, 0, 1, tzinfo=UTC), "at 00:01 on the Monday"
    with pytest.raises(ValidationError, match="weekly retries need a weekday"):
        RetryPlan(weekly=1)


def test_a_learned_plan_sends_the_retries_between_its_first_and_last_at_its_hour() -> None:
    from dunning.rules.learned import LearnedPlan, RetryPlan

    plans = {"card/self_serve": RetryPlan(days=(1, 3, 6.5, 13.9, 14), hour=21)}
    learned = LearnedPlan(fitted_from=500, plans=plans)
    policy = DunningPolicy(learned=learned, min_hours_between_retries=1)
    failed_at = datetime(2026, 3, 5, 20, tzinfo=UTC)
    state = run(
        policy=policy.model_dump(), failed_at=failed_at, outcomes=["insufficient_funds"] * 6
    )
    retried = [failed_at + (a.at - state.day0) for a in state.attempts]
    assert retried == [
        datetime(2026, 3, 6, 20, tzinfo=UTC),  # the silent retry keeps its moment
        datetime(2026, 3, 8, 21, tzinfo=UTC),  # day 3, 20:00: 21:00 that day
        datetime(2026, 3, 12, 21, tzinfo=UTC),  # day 6.5, 08:00: 21:00 that day
        datetime(2026, 3, 19, 17, 36, tzinfo=UTC),  # day 13.9: 21:00 would follow the last
        datetime(2026, 3, 19, 20, tzinfo=UTC),  # the last keeps its moment
    ]


def test_a_case_takes_its_invoice_over_from_stripe_on_its_first_read_only() -> None:
    providers = ScriptedProviders(
        account=AccountFacts(contract_amount=4000), outcomes=["insufficient_funds"]
    )
    state = simulate(
        make_case(),
        providers,
        messages=[(2, OperatorDecision(action=OperatorAction.RESUME, actor="revops"))],
        horizon_days=30,
    )
    reads = providers.named("read_case_facts")
    assert len(reads) >= 2, "the contract mismatch was rechecked"
    assert [r.take_over_collection for r in reads] == [True] + [False] * (len(reads) - 1)
    assert state.collection_owned
    taken = [e for e in state.timeline if e.event == "collection_taken_over"]
    assert [e.detail for e in taken] == ["Stripe's automatic collection turned off"]


def test_an_operator_resumes_a_case_waiting_on_the_customer_s_approval() -> None:
    # The CRM still says approval is pending when the operator says it came: the case takes
    # the operator's word, charges, and credits the recovery to the operator.
    providers = ScriptedProviders(account=AccountFacts(approval_pending=True), outcomes=[SUCCEEDED])
    resume = OperatorDecision(action=OperatorAction.RESUME, actor="finance")
    state = simulate(make_case(), providers, messages=[(3, resume)], horizon_days=30)
    assert state.opened_as is not None and state.opened_as.reason == "approval_pending"
    assert "signal_ignored" not in [e.event for e in state.timeline]
    assert state.outcome is not None
    assert (state.outcome.outcome, state.outcome.resolution) == (
        Outcome.RECOVERED,
        Resolution.OPERATOR,
    )
    assert days(state, [a.at for a in state.attempts]) == [3]


@pytest.mark.parametrize(
    ("amount_due", "tax", "contract", "mismatch"),
    [
        (10_800, 800, 10_000, False),  # tax on top of the contract
        (10_050, 0, 10_000, False),  # rounding within 1%
        (10_200, 0, 10_000, True),  # 2% off: a real difference
        (10_800, 0, 10_000, True),  # no tax: the 800 is a difference
    ],
)
def test_the_contract_is_compared_before_tax_within_the_policy_s_tolerance(
    amount_due: int, tax: int, contract: int, mismatch: bool
) -> None:
    invoice = ScriptedProviders().invoice.model_copy(update={"amount_due": amount_due, "tax": tax})
    providers = ScriptedProviders(
        account=AccountFacts(contract_amount=contract), invoice=invoice, outcomes=[SUCCEEDED]
    )
    state = simulate(make_case(amount_due=amount_due), providers, horizon_days=30)
    assert state.opened_as is not None
    assert (state.opened_as.reason == "contract_mismatch") is mismatch


def test_team_tasks_follow_the_policy_s_routing_table() -> None:
    # RevOps has a queue owner; the enterprise owner's task has no entry, so it goes to
    # the account owner. Both tasks name the account owner.
    policy = DunningPolicy(team_owners={Team.REVOPS: "revops-queue"}).model_dump()
    providers = ScriptedProviders(
        account=AccountFacts(tier=CustomerTier.ENTERPRISE, owner_id="7", contract_amount=4000)
    )
    simulate(make_case(policy=policy), providers, horizon_days=10)
    tasks = {t.team: t for t in providers.named("create_task")}
    assert tasks[Team.REVOPS].owner_id == "revops-queue"
    assert tasks[Team.CUSTOMER_SUCCESS].owner_id == "7"
    assert all("Account owner: 7" in t.body for t in tasks.values())


def test_a_net_terms_case_counts_its_days_from_the_due_date() -> None:
    # Stripe reports the invoice overdue five days after its due date: the day-1 reminder
    # is already due, the day-14 one comes nine days later, and the end is due + 60 days.
    opened = datetime(2026, 3, 6, tzinfo=UTC)
    case = make_case(
        collection_method="send_invoice",
        payment_method_type="invoice",
        failure=None,
        failed_at=opened,
        due_date="2026-03-01",
    )
    providers = ScriptedProviders(account=AccountFacts(ap_contact=AP))
    state = simulate(case, providers, clock=VirtualClock(opened))
    sent = [(e.template, round((e.at - opened) / timedelta(days=1), 2)) for e in state.emails]
    assert sent[:2] == [(EmailTemplate.REMINDER, 0), (EmailTemplate.REMINDER, 9.0)]
    assert state.outcome is not None
    assert state.outcome.closed_at.date() == datetime(2026, 4, 30).date(), "due + 60 days"
    notice = next(r for r in providers.named("send_email") if r.template == "final_notice")
    assert "on 2026-04-30" in notice.body

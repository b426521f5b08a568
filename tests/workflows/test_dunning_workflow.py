"""DunningWorkflow on the time-skipping server, every path of DOMAIN.md, with fakes."""

from datetime import UTC, datetime, timedelta

import pytest
from temporalio.testing import WorkflowEnvironment

from dunning.contract.case import DunningCase
from dunning.contract.enums import (
    CustomerTier,
    EmailTemplate,
    EndAction,
    FailureCategory,
    Outcome,
    Resolution,
    Stage,
    Team,
)
from dunning.contract.status import DunningOutcome
from dunning.providers.facts import AccountFacts, Person
from dunning.rules.calendar import next_payday, next_weekday
from dunning.rules.learned import LearnedPlan, RetryPlan
from dunning.rules.policy import DunningPolicy
from harness.fakes import SUCCEEDED, FakeProviders
from harness.temporal import events, make_case, record, running, status_of
from workflows.names import Signals


async def test_soft_decline_recovered_on_second_retry(time_env: WorkflowEnvironment) -> None:
    fakes = FakeProviders(outcomes=["insufficient_funds", SUCCEEDED])
    case = make_case()
    async with running(time_env, fakes, case) as handle:
        outcome = await handle.result()
        status = await status_of(handle)
        await record(handle, "soft_decline_recovered")
    assert outcome.outcome is Outcome.RECOVERED
    assert outcome.resolution is Resolution.RETRY
    assert outcome.amount_recovered == case.amount_due
    keys = [r.idempotency_key for r in fakes.named("charge_invoice")]
    assert keys == [f"dunning-{case.invoice_id}-attempt-1", f"dunning-{case.invoice_id}-attempt-2"]
    assert [e.template for e in status.emails] == [EmailTemplate.PAYMENT_FAILED]
    first_email, first_failure = status.emails[0].at, status.attempts[0].at
    assert first_email >= first_failure, "no payment_failed email before the first failed retry"
    assert 2.9 <= outcome.days_open <= 3.1, "the second retry is on day 3"
    assert status.stage is Stage.CLOSED


@pytest.mark.parametrize(
    ("tier", "action", "end_day", "notice_day"),
    [
        (CustomerTier.SELF_SERVE, EndAction.CANCEL_SUBSCRIPTION, 14, 10),
        (CustomerTier.MID_MARKET, EndAction.PAUSE_SUBSCRIPTION, 28, 21),
        (CustomerTier.ENTERPRISE, EndAction.MARK_UNCOLLECTIBLE, 60, 50),
    ],
)
async def test_soft_decline_exhausted_to_the_tier_end_state(
    time_env: WorkflowEnvironment,
    tier: CustomerTier,
    action: EndAction,
    end_day: int,
    notice_day: int,
) -> None:
    fakes = FakeProviders(
        account=AccountFacts(tier=tier, owner_id="7", company_id="c1"),
        outcomes=["insufficient_funds"],
    )
    async with running(time_env, fakes, make_case()) as handle:
        outcome = await handle.result()
        status = await status_of(handle)
        await record(handle, f"soft_decline_exhausted_{tier}")
    assert outcome.outcome is Outcome.END_STATE_APPLIED
    assert outcome.end_action is action
    assert end_day - 0.1 <= outcome.days_open <= end_day + 0.1
    assert [a.action for a in fakes.named("apply_invoice_action")] == [action]
    notice = [e for e in status.emails if e.template is EmailTemplate.FINAL_NOTICE]
    assert len(notice) == 1
    days_to_notice = (notice[0].at - status.timeline[0].at) / timedelta(days=1)
    assert notice_day - 0.1 <= days_to_notice <= notice_day + 0.1
    body = fakes.named("send_email")[-1].body
    assert "Unless it is paid, on " in body, "the final notice names the date of the end action"
    retries = 5 if tier is CustomerTier.ENTERPRISE else 4
    assert len(status.attempts) == retries
    teams = [r.team for r in status.routed]
    if tier is CustomerTier.ENTERPRISE:
        assert teams == [Team.CUSTOMER_SUCCESS, Team.COLLECTIONS]
        assert status.routed[0].at <= status.emails[0].at, "owner task before any email"
    else:
        assert teams == []


async def test_hard_decline_notified_at_once_then_recovered_by_new_card(
    time_env: WorkflowEnvironment,
) -> None:
    fakes = FakeProviders(outcomes=[SUCCEEDED])
    case = make_case(failure={"code": "card_declined", "decline_code": "stolen_card"})
    async with running(time_env, fakes, case) as handle:
        await time_env.sleep(timedelta(days=2))
        before = await status_of(handle)
        await handle.signal(Signals.PAYMENT_METHOD_UPDATED, {"payment_method_id": "pm_new"})
        outcome = await handle.result()
        await record(handle, "hard_decline_recovered_after_update")
    assert before.failure_category == "hard_decline"
    assert before.stage is Stage.AWAITING_CUSTOMER
    assert before.attempts == [], "a hard decline is never retried on the same card"
    assert [e.template for e in before.emails] == [EmailTemplate.PAYMENT_FAILED]
    assert before.emails[0].at - before.timeline[0].at < timedelta(hours=1), "notified at once"
    assert outcome.outcome is Outcome.RECOVERED
    assert outcome.resolution is Resolution.PAYMENT_METHOD_UPDATE
    assert fakes.named("charge_invoice")[0].payment_method_id == "pm_new"


async def test_customer_action_required_asks_and_waits(time_env: WorkflowEnvironment) -> None:
    fakes = FakeProviders(outcomes=[SUCCEEDED])
    case = make_case(
        failure={"code": "expired_card", "advice_code": "confirm_card_data"}, subscription_id=None
    )
    async with running(time_env, fakes, case) as handle:
        await time_env.sleep(timedelta(days=4))
        before = await status_of(handle)
        await handle.signal(Signals.PAYMENT_METHOD_UPDATED, {})
        outcome = await handle.result()
        await record(handle, "customer_action_recovered")
    assert before.failure_category == "customer_action_required"
    assert before.attempts == [], "no blind retries"
    assert [e.template for e in before.emails] == [EmailTemplate.PAYMENT_FAILED]
    assert "https://pay.example/in_1" in fakes.named("send_email")[0].body
    assert outcome.resolution is Resolution.PAYMENT_METHOD_UPDATE


async def test_missing_po_routed_fixed_and_paid(time_env: WorkflowEnvironment) -> None:
    account = AccountFacts(
        tier=CustomerTier.MID_MARKET,
        po_required=True,
        owner_id="7",
        company_id="c1",
        ap_contact=Person(name="AP", email="ap@customer.example"),
    )
    fakes = FakeProviders(account=account, outcomes=[SUCCEEDED])
    async with running(time_env, fakes, make_case()) as handle:
        await time_env.sleep(timedelta(days=2))
        before = await status_of(handle)
        fix = {"po_number": "PO-778", "provided_by": "ap"}
        await handle.signal(Signals.PO_NUMBER_PROVIDED, fix)
        outcome = await handle.result()
        await record(handle, "missing_po_fixed")
    assert (before.failure_category, before.failure_reason) == ("workflow_failure", "missing_po")
    assert [r.team for r in before.routed] == [Team.FINANCE]
    assert [(e.template, e.to) for e in before.emails] == [
        (EmailTemplate.PO_REQUEST, "ap@customer.example")
    ]
    assert before.attempts == [], "no charge while the PO is missing"
    assert fakes.named("apply_po_number")[0].po_number == "PO-778"
    assert outcome.outcome is Outcome.RECOVERED
    assert outcome.resolution is Resolution.PO_FIX


async def test_contract_mismatch_routed_to_revops(time_env: WorkflowEnvironment) -> None:
    account = AccountFacts(tier=CustomerTier.ENTERPRISE, contract_amount=4000, owner_id="7")
    fakes = FakeProviders(account=account)
    async with running(time_env, fakes, make_case()) as handle:
        await time_env.sleep(timedelta(days=3))
        status = await status_of(handle)
        await handle.signal(Signals.OPERATOR_DECISION, {"action": "cancel_dunning", "actor": "op"})
        outcome = await handle.result()
        await record(handle, "contract_mismatch_routed")
    assert status.failure_reason == "contract_mismatch"
    assert status.stage is Stage.AWAITING_INTERNAL
    assert Team.REVOPS in [r.team for r in status.routed]
    assert status.emails == [], "the customer is not asked for anything"
    assert status.attempts == []
    assert outcome.outcome is Outcome.STOPPED


async def test_overdue_net_terms_escalated_to_collections_at_day_60(
    time_env: WorkflowEnvironment,
) -> None:
    account = AccountFacts(
        tier=CustomerTier.MID_MARKET,
        owner_id="7",
        ap_contact=Person(name="AP", email="ap@customer.example"),
    )
    fakes = FakeProviders(account=account)
    case = make_case(collection_method="send_invoice", payment_method_type="invoice", failure=None)
    async with running(time_env, fakes, case) as handle:
        outcome = await handle.result()
        status = await status_of(handle)
        await record(handle, "overdue_net_terms_collections")
    assert status.failure_category == "overdue"
    assert fakes.named("charge_invoice") == [], "net terms are never charged"
    assert outcome.end_action is EndAction.MARK_UNCOLLECTIBLE
    assert 59.9 <= outcome.days_open <= 60.1
    assert [r.team for r in status.routed] == [Team.COLLECTIONS]
    templates = [e.template for e in status.emails]
    assert templates[-1] is EmailTemplate.FINAL_NOTICE
    assert EmailTemplate.PAYMENT_FAILED not in templates
    assert {e.to for e in status.emails} == {"ap@customer.example"}


async def test_pause_resume_and_extend_push_the_schedule(time_env: WorkflowEnvironment) -> None:
    fakes = FakeProviders(outcomes=["insufficient_funds"])
    async with running(time_env, fakes, make_case()) as handle:
        await time_env.sleep(timedelta(hours=12))
        await handle.signal(Signals.OPERATOR_DECISION, {"action": "pause", "actor": "op"})
        await time_env.sleep(timedelta(days=10))
        paused = await status_of(handle)
        await handle.signal(Signals.OPERATOR_DECISION, {"action": "resume", "actor": "op"})
        await handle.signal(
            Signals.OPERATOR_DECISION, {"action": "extend", "days": 5, "actor": "op"}
        )
        outcome = await handle.result()
        await record(handle, "operator_pause_resume_extend")
    assert paused.stage is Stage.PAUSED
    assert paused.attempts == [] and paused.emails == [], "nothing happens while paused"
    assert outcome.outcome is Outcome.END_STATE_APPLIED
    assert 28.9 <= outcome.days_open <= 29.1, "day 14 + 10 days paused + 5 days extension"


async def retried_on(
    time_env: WorkflowEnvironment, fakes: FakeProviders, case: DunningCase, history: str
) -> tuple[DunningOutcome, list[datetime]]:
    """Run a case to its end, record its history, and say when it charged, by its calendar."""
    async with running(time_env, fakes, case) as handle:
        outcome = await handle.result()
        status = await status_of(handle)
        await record(handle, history)
    day0 = status.timeline[0].at
    return outcome, [case.failed_at + (a.at - day0) for a in status.attempts]


async def test_a_learned_plan_retries_on_the_next_payday_by_the_case_calendar(
    time_env: WorkflowEnvironment,
) -> None:
    plan = LearnedPlan(fitted_from=500, plans={"card/self_serve": RetryPlan(paydays=1, days=(13,))})
    policy = DunningPolicy(learned=plan)
    fakes = FakeProviders(outcomes=["insufficient_funds", SUCCEEDED])
    case = make_case(policy=policy.model_dump())
    outcome, calendar = await retried_on(time_env, fakes, case, "learned_plan_payday_retry")
    waited = abs(calendar[0] - next_payday(case.failed_at))
    assert waited < timedelta(seconds=1), "the first retry waits for the payday, 00:01"
    assert round((calendar[1] - case.failed_at) / timedelta(days=1)) == 13
    assert outcome.resolution is Resolution.RETRY


async def test_a_learned_plan_of_the_opening_decline_code_comes_before_the_methods(
    time_env: WorkflowEnvironment,
) -> None:
    friday = 4
    plans = {
        "card/self_serve": RetryPlan(paydays=1, days=(13,)),
        "card/self_serve/insufficient_funds": RetryPlan(weekly=1, weekday=friday, days=(1, 13)),
        "card/self_serve/try_again_later": RetryPlan(days=(5, 13)),
    }
    policy = DunningPolicy(learned=LearnedPlan(fitted_from=500, plans=plans))
    fakes = FakeProviders(outcomes=["insufficient_funds", "insufficient_funds", SUCCEEDED])
    now = datetime.now(UTC)
    monday = now - timedelta(days=now.weekday())  # Friday is 4 days after the failure
    case = make_case(policy=policy.model_dump(), failed_at=monday)
    outcome, calendar = await retried_on(time_env, fakes, case, "learned_plan_by_decline")
    days = [round((at - case.failed_at) / timedelta(days=1), 3) for at in calendar]
    payroll = next_weekday(case.failed_at + timedelta(minutes=1), friday)
    assert days[0] == 1, "the silent retry"
    assert abs(calendar[1] - payroll) < timedelta(seconds=1), "then Friday, 00:01"
    assert days[2] == 13, "insufficient_funds' own plan, not the method's payday"
    assert outcome.resolution is Resolution.RETRY


async def test_a_case_on_hold_is_put_to_review_every_14_days(
    time_env: WorkflowEnvironment,
) -> None:
    fakes = FakeProviders(outcomes=["insufficient_funds", SUCCEEDED])
    async with running(time_env, fakes, make_case()) as handle:
        await time_env.sleep(timedelta(hours=12))
        await handle.signal(Signals.OPERATOR_DECISION, {"action": "pause", "actor": "op"})
        await time_env.sleep(timedelta(days=30))
        paused = await status_of(handle)
        await handle.signal(Signals.OPERATOR_DECISION, {"action": "resume", "actor": "op"})
        outcome = await handle.result()
        await record(handle, "operator_pause_reviewed")
    paused_at = next(e.at for e in paused.timeline if e.event == "operator_decision")
    reviews = [r for r in paused.routed if "due for review" in r.reason]
    assert [round((r.at - paused_at) / timedelta(days=1)) for r in reviews] == [14, 28]
    assert {r.team for r in reviews} == {Team.CUSTOMER_SUCCESS}
    assert paused.next_action is not None and paused.next_action.at is not None
    assert round((paused.next_action.at - paused_at) / timedelta(days=1)) == 42
    assert paused.attempts == [] and paused.emails == [], "nothing else while paused"
    assert outcome.outcome is Outcome.RECOVERED


@pytest.mark.parametrize(
    ("action", "outcome", "resolution", "invoice_action"),
    [
        ("write_off", Outcome.WRITTEN_OFF, None, EndAction.MARK_UNCOLLECTIBLE),
        ("mark_paid_offline", Outcome.RECOVERED, Resolution.OPERATOR, "paid_out_of_band"),
        ("cancel_dunning", Outcome.STOPPED, None, None),
    ],
)
async def test_closing_operator_decisions(
    time_env: WorkflowEnvironment,
    action: str,
    outcome: Outcome,
    resolution: Resolution | None,
    invoice_action: str | None,
) -> None:
    fakes = FakeProviders(outcomes=["insufficient_funds"])
    async with running(time_env, fakes, make_case()) as handle:
        await time_env.sleep(timedelta(days=2))
        await handle.signal(
            Signals.OPERATOR_DECISION, {"action": action, "actor": "op", "note": "agreed"}
        )
        result = await handle.result()
        await record(handle, f"operator_{action}")
    assert (result.outcome, result.resolution) == (outcome, resolution)
    applied = [a.action for a in fakes.named("apply_invoice_action")]
    assert applied == ([invoice_action] if invoice_action else [])
    assert len(fakes.named("charge_invoice")) == 1, "one retry on day 1, none after the decision"


async def test_invoice_paid_elsewhere_closes_without_charge(time_env: WorkflowEnvironment) -> None:
    fakes = FakeProviders(outcomes=["insufficient_funds"])
    async with running(time_env, fakes, make_case()) as handle:
        await time_env.sleep(timedelta(hours=6))
        await handle.signal(Signals.INVOICE_PAID, {"via": "wire", "reference": "WIRE-1"})
        outcome = await handle.result()
    assert outcome.resolution is Resolution.EXTERNAL_PAYMENT
    assert fakes.named("charge_invoice") == [] and fakes.named("send_email") == []


async def test_invalid_signals_change_nothing_but_the_timeline(
    time_env: WorkflowEnvironment,
) -> None:
    fakes = FakeProviders(outcomes=["insufficient_funds", SUCCEEDED])
    async with running(time_env, fakes, make_case()) as handle:
        await time_env.sleep(timedelta(hours=6))
        before = await status_of(handle)
        await handle.signal(Signals.OPERATOR_DECISION, {"action": "extend", "actor": "op"})
        await handle.signal(Signals.OPERATOR_DECISION, {"action": "explode", "actor": "op"})
        await handle.signal(Signals.PO_NUMBER_PROVIDED, {"po_number": "PO-1"})
        await handle.signal(Signals.INVOICE_PAID, "not an object")
        await handle.signal("no_such_signal", {})
        after = await status_of(handle)
        outcome = await handle.result()
        await record(handle, "invalid_signals_ignored")
    ignored = [e.detail for e in after.timeline if e.event == "signal_ignored"]
    assert len(ignored) == 5
    assert "days is required when action is 'extend'" in ignored[0]
    assert "action" in ignored[1]
    assert "not waiting for a PO number" in ignored[2]
    assert "no_such_signal" in ignored[4]
    assert after.model_copy(update={"timeline": []}) == before.model_copy(update={"timeline": []})
    assert outcome.resolution is Resolution.RETRY, "the case went on as if nothing happened"
    assert events(after).count("signal_ignored") == 5


async def test_a_permanent_provider_error_is_held_and_routed_not_looped(
    time_env: WorkflowEnvironment,
) -> None:
    # Stripe refuses the first charge for good (say, a 400 on a bad invoice).
    fakes = FakeProviders(outcomes=[SUCCEEDED], refusals={"charge_invoice": {1}})
    async with running(time_env, fakes, make_case()) as handle:
        await time_env.sleep(timedelta(days=5))
        held = await status_of(handle)
        calls_while_held = len(fakes.named("charge_invoice"))
        await handle.signal(Signals.OPERATOR_DECISION, {"action": "resume", "actor": "finance"})
        outcome = await handle.result()
        await record(handle, "provider_refusal_held_then_resumed")
    assert held.stage is Stage.AWAITING_INTERNAL
    assert [r.team for r in held.routed] == [Team.FINANCE]
    assert "refused by the provider (400)" in held.routed[0].reason
    assert "held" in events(held)
    assert calls_while_held == 1, "no endless loop: one refused call, then a person decides"
    assert outcome.outcome is Outcome.RECOVERED
    assert len(fakes.named("charge_invoice")) == 2, "the resume charged again"


async def test_a_refused_account_lookup_is_noted_and_the_case_goes_on(
    time_env: WorkflowEnvironment,
) -> None:
    refusal = "look up the account: hubspot refused the request (403): scope missing"
    fakes = FakeProviders(outcomes=[SUCCEEDED], account_refusal=refusal)
    async with running(time_env, fakes, make_case()) as handle:
        outcome = await handle.result()
        status = await status_of(handle)
    assert [e.detail for e in status.timeline if e.event == "provider_refused"] == [refusal]
    assert status.customer_tier is CustomerTier.SELF_SERVE, "self-serve defaults without the CRM"
    assert outcome.outcome is Outcome.RECOVERED


async def test_a_case_runs_on_the_policy_it_started_with(time_env: WorkflowEnvironment) -> None:
    # Started when the reminder went out on day 6 (today's default: day 7): its input
    # carries that policy, so it keeps it, and its history replays on today's code.
    hard = make_case(failure={"code": "card_declined", "decline_code": "stolen_card"})
    cadence = dict(DunningPolicy().email_cadence)
    cadence[FailureCategory.HARD_DECLINE] = tuple(
        step.model_copy(update={"day": 6}) if step.template is EmailTemplate.REMINDER else step
        for step in cadence[FailureCategory.HARD_DECLINE]
    )
    case = hard.model_copy(update={"policy": DunningPolicy(email_cadence=cadence)})
    fakes = FakeProviders(outcomes=["stolen_card"])
    async with running(time_env, fakes, case) as handle:
        await handle.result()
        status = await status_of(handle)
        await record(handle, "policy_captured_at_start_reminder_day_6")
    reminders = [e for e in status.emails if e.template is EmailTemplate.REMINDER]
    opened = status.timeline[0].at  # the test server's clock, not the case's failed_at
    assert round((reminders[0].at - opened).total_seconds() / 86_400) == 6

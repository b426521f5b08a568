"""Retry timing learned from outcomes: the learner finds what the world hides."""

import json
import math
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cli.main import main
from dunning.contract.enums import CustomerTier, FailureCategory, PaymentMethodType
from dunning.rules.calendar import next_payday
from dunning.rules.policy import DunningPolicy
from lab.backtest import backtest, case_line, run_world
from lab.case_line import CaseLine
from lab.learn import learn
from worlds.model import World

START = datetime(2026, 1, 1, tzinfo=UTC)


MoneyBack = Callable[[int, float], tuple[str, float | None]]
"""For the n-th invoice, failing on a world day: its decline code, and the world day its
money comes back (None: never)."""


def card_world(invoices: int, seed: int, money_back: MoneyBack, at_random: bool = False) -> World:
    """Card declines of mid-market customers, one invoice each (a customer's invoices share
    a card and its caps), failing every 7.3 days round a 60-day window (`at_random`: at
    random moments in it), whose money comes back as `money_back` says, except for one in
    five, whose never does."""
    rng = random.Random(seed)
    entries: list[dict[str, Any]] = []
    for n in range(invoices):
        fails_on = rng.uniform(0, 60) if at_random else (n * 7.3 + seed) % 60
        never = rng.random() < 0.2 if at_random else n % 5 == 0
        decline, back = money_back(n, fails_on)
        entries.append(
            {
                "id": f"in_{n}",
                "customer": f"cus_{n}",
                "amount_due": 5000,
                "currency": "usd",
                "collection_method": "charge_automatically",
                "payment_method_type": "card",
                "failure": {"code": "card_declined", "decline_code": decline},
                "fails_on_day": fails_on,
                "behaviour": {"funds_return_day": None if never else back},
            }
        )
    customers = [
        {"id": f"cus_{n}", "name": f"C{n}", "email": f"c{n}@c.example", "tier": "mid_market"}
        for n in range(invoices)
    ]
    return World.model_validate(
        {"calendar_start": START.isoformat(), "customers": customers, "invoices": entries}
    )


def on_payday(n: int, fails_on: float) -> tuple[str, float | None]:
    """Insufficient funds, back on the first payday after the failure."""
    payday = next_payday(START + timedelta(days=fails_on))
    return "insufficient_funds", (payday - START) / timedelta(days=1) + 0.001


def payday_world(invoices: int, seed: int, fast_holds: bool = False) -> World:
    """Money back on the first payday after the failure (or never): a payday effect, and
    nothing else. With `fast_holds`, every other decline is instead a `try_again_later`
    whose money comes back two and a half days after the failure: two timings in one
    world."""

    def money_back(n: int, fails_on: float) -> tuple[str, float | None]:
        if fast_holds and n % 2:
            return "try_again_later", fails_on + 2.5
        return on_payday(n, fails_on)

    return card_world(invoices, seed, money_back)


def weekly_payroll_world(invoices: int, seed: int) -> World:
    """Money back on the first Friday after the failure (or never): a weekday effect, and
    nothing else."""

    def on_friday(n: int, fails_on: float) -> tuple[str, float | None]:
        failed = START + timedelta(days=fails_on)
        friday = failed.date() + timedelta(days=(4 - failed.weekday()) % 7 or 7)
        # Wages land the evening before, ready for a retry at 00:01 on the Friday.
        return "insufficient_funds", (friday - START.date()) / timedelta(days=1) - 0.125

    return card_world(invoices, seed, on_friday)


def test_the_learner_finds_the_payday_effect_and_retries_just_after_paydays() -> None:
    _, states = run_world(payday_world(400, seed=1), DunningPolicy())
    policy = learn([case_line(state) for state in states], DunningPolicy())
    assert policy.learned is not None
    plan = policy.learned.plan_for(PaymentMethodType.CARD, CustomerTier.MID_MARKET)
    assert plan is not None and plan.paydays > 0, policy.learned.notes
    default_plan = DunningPolicy().retries[PaymentMethodType.CARD]
    assert plan.retries <= len(default_plan.days_for(CustomerTier.MID_MARKET))
    self_serve = policy.learned.plan_for(PaymentMethodType.CARD, CustomerTier.SELF_SERVE)
    assert self_serve is not None and self_serve.paydays == 1, "one payday in 14 days"
    assert self_serve.retries == len(default_plan.days_for(CustomerTier.SELF_SERVE)), (
        "a payday that may come on any day of the window leaves no retry unused"
    )
    for key, fitted in policy.learned.plans.items():
        end = DunningPolicy().end_states[CustomerTier(key.split("/")[1])].end_day
        assert fitted.days and max(fitted.days) == end, f"{key}: the last retry with the end"
        assert min(fitted.days) == 1, f"{key}: a silent retry first, then the customer hears"
    unseen = payday_world(400, seed=5)
    learned_report, learned_states = run_world(unseen, policy)
    default_report = backtest(unseen, DunningPolicy())
    assert learned_report.recovered > default_report.recovered
    assert learned_report.charges <= default_report.charges
    retried_on = [a.at for case in map(case_line, learned_states) for a in case.attempts]
    on_paydays = [at for at in retried_on if at.day in (1, 15) and at.hour == 0]
    assert len(on_paydays) / len(retried_on) > 0.5, "most retries go out just after a payday"


def test_a_decline_code_whose_money_comes_back_on_its_own_timing_gets_its_own_plan() -> None:
    _, states = run_world(payday_world(600, seed=1, fast_holds=True), DunningPolicy())
    policy = learn([case_line(state) for state in states], DunningPolicy())
    assert policy.learned is not None
    card, tier = PaymentMethodType.CARD, CustomerTier.MID_MARKET
    own = policy.learned.plan_for(card, tier, "try_again_later")
    assert own is not None and own.paydays == 0, policy.learned.notes
    assert own.days[0] == 1 and any(2.5 <= day <= 4 for day in own.days), "once money is back"
    funds = policy.learned.plan_for(card, tier, "insufficient_funds")
    assert funds is not None and funds.paydays > 0, "insufficient funds still wait for paydays"
    assert own.retries <= len(DunningPolicy().retries[card].days_for(tier))
    assert any("try_again_later: a plan of its own" in note for note in policy.learned.notes)

    method_only = policy.learned.model_copy(
        update={"plans": {k: v for k, v in policy.learned.plans.items() if k.count("/") == 1}}
    )
    unseen = payday_world(400, seed=5, fast_holds=True)
    per_decline = backtest(unseen, policy)
    per_method = backtest(unseen, policy.model_copy(update={"learned": method_only}))
    assert per_decline.recovered >= per_method.recovered
    assert per_decline.median_days_to_recovery is not None
    assert per_method.median_days_to_recovery is not None
    assert per_decline.median_days_to_recovery < per_method.median_days_to_recovery


def test_the_learner_finds_a_weekly_payroll_and_retries_just_after_it() -> None:
    _, states = run_world(weekly_payroll_world(600, seed=1), DunningPolicy())
    policy = learn([case_line(state) for state in states], DunningPolicy())
    assert policy.learned is not None
    plan = policy.learned.plan_for(PaymentMethodType.CARD, CustomerTier.MID_MARKET)
    assert plan is not None and plan.weekly > 0 and plan.weekday == 4, policy.learned.notes
    assert plan.paydays == 0, "the 1st and the 15th bring nothing here"
    assert plan.retries <= len(
        DunningPolicy().retries[PaymentMethodType.CARD].days_for(CustomerTier.MID_MARKET)
    )
    unseen = weekly_payroll_world(400, seed=5)
    report, learned_states = run_world(unseen, policy)
    default_report = backtest(unseen, DunningPolicy())
    assert report.recovered >= default_report.recovered
    assert report.charges < default_report.charges
    retried_on = [a.at for case in map(case_line, learned_states) for a in case.attempts[1:]]
    on_fridays = [at for at in retried_on if at.weekday() == 4 and at.hour == 0]
    assert len(on_fridays) / len(retried_on) > 0.5, "most retries go out just after payroll"


def morning_deposit_world(invoices: int, seed: int) -> World:
    """Money back at 07:45, one to four days after the day of the failure (or never): an
    hour-of-day effect, and nothing else."""

    days = random.Random(-seed)

    def before_eight(n: int, fails_on: float) -> tuple[str, float | None]:
        return "insufficient_funds", math.floor(fails_on) + days.randint(1, 4) + 7.75 / 24

    return card_world(invoices, seed, before_eight, at_random=True)


def test_retries_made_only_at_their_failure_s_hour_say_nothing_of_hours() -> None:
    _, states = run_world(morning_deposit_world(800, seed=1), DunningPolicy())
    policy = learn([case_line(state) for state in states], DunningPolicy())
    assert policy.learned is not None
    assert all(plan.hour is None for plan in policy.learned.plans.values())
    assert "retries on policy days keep the hour of the failure" in policy.learned.notes


def test_two_decline_codes_on_one_timing_share_their_method_s_plan() -> None:
    def twins(n: int, fails_on: float) -> tuple[str, float | None]:
        decline, back = on_payday(n, fails_on)
        return ("generic_decline" if n % 2 else decline), back

    _, states = run_world(card_world(800, 1, twins), DunningPolicy())
    policy = learn([case_line(state) for state in states], DunningPolicy())
    assert policy.learned is not None
    assert sorted(policy.learned.plans) == ["card/enterprise", "card/mid_market", "card/self_serve"]
    assert "card, generic_decline: the method's plan suits it" in policy.learned.notes


def test_with_too_little_data_the_defaults_stay() -> None:
    _, states = run_world(payday_world(5, seed=1), DunningPolicy())
    policy = learn([case_line(state) for state in states], DunningPolicy())
    assert policy.learned is not None and policy.learned.plans == {}
    assert "too little data" in policy.learned.notes[0]
    report = backtest(payday_world(5, seed=1), policy)
    assert report == backtest(payday_world(5, seed=1), DunningPolicy()), "the defaults ran"


def test_a_window_shorter_than_the_silent_retry_gets_one_retry_with_its_end() -> None:
    _, states = run_world(payday_world(400, seed=1), DunningPolicy())
    ends = DunningPolicy().end_states
    rule = ends[CustomerTier.SELF_SERVE].model_copy(
        update={"final_notice_day": 0.5, "end_day": 0.8}
    )
    base = DunningPolicy().model_copy(
        update={"end_states": {**ends, CustomerTier.SELF_SERVE: rule}}
    )
    policy = learn([case_line(state) for state in states], base)
    assert policy.learned is not None
    plan = policy.learned.plan_for(PaymentMethodType.CARD, CustomerTier.SELF_SERVE)
    assert plan is not None and plan.days == (0.8,), "no silent retry after the end action"


def test_every_email_of_a_learned_cadence_goes_out_inside_the_shortest_window() -> None:
    _, states = run_world(payday_world(400, seed=1), DunningPolicy())
    policy = learn([case_line(state) for state in states], DunningPolicy())
    self_serve_notice = DunningPolicy().end_states[CustomerTier.SELF_SERVE].final_notice_day
    soft = policy.email_cadence[FailureCategory.SOFT_DECLINE]
    assert [s.template for s in soft] == [
        s.template for s in DunningPolicy().email_cadence[FailureCategory.SOFT_DECLINE]
    ]
    assert all(step.day < self_serve_notice for step in soft)
    assert [s.day for s in soft] == sorted(s.day for s in soft)
    overdue = policy.email_cadence[FailureCategory.OVERDUE]
    assert overdue == DunningPolicy().email_cadence[FailureCategory.OVERDUE], (
        "net terms keep theirs"
    )


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("{not json", "Expecting property name"),
        ('{"invoice_id": "in_1"}', "failed_at: Field required"),
        ("FIRST_WITHOUT_TIMELINE", "timeline is empty"),
    ],
)
def test_a_malformed_case_line_is_refused_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, named: str
) -> None:
    [state] = run_world(payday_world(1, seed=1), DunningPolicy())[1]
    good = case_line(state)
    if line == "FIRST_WITHOUT_TIMELINE":
        line = good.model_copy(update={"timeline": []}).model_dump_json()
    cases = tmp_path / "cases.jsonl"
    cases.write_text(good.model_dump_json() + "\n" + line + "\n")
    out = tmp_path / "policy.json"
    assert main(["learn", "--cases", str(cases), "--out", str(out)]) == 2
    said = capsys.readouterr().err
    assert f"{cases}, line 2: " in said and named in said
    assert not out.exists(), "nothing is written"


def test_a_line_exported_before_cases_kept_their_day_length_counts_real_days() -> None:
    [state] = run_world(payday_world(1, seed=1), DunningPolicy())[1]
    raw = json.loads(case_line(state).model_dump_json()) | {"day_seconds": None}
    assert CaseLine.model_validate(raw).day_seconds == 86_400

"""A policy file a person edited: every value a case could not run on is refused, naming
where it stands."""

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from cli.main import main
from dunning.contract.enums import CustomerTier, PaymentMethodType
from dunning.errors import describe
from dunning.rules.learned import RetryPlan
from dunning.rules.policy import DunningPolicy


def edited(change: dict[str, Any]) -> dict[str, Any]:
    """The default policy as `starter.py policy --default` prints it, with `change` merged
    in one level down (`{"retries": {"card": ...}}` replaces the card's schedule only)."""
    policy: dict[str, Any] = json.loads(DunningPolicy().model_dump_json())
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(policy.get(key), dict):
            policy[key] = policy[key] | value
        else:
            policy[key] = value
    return policy


def refusal(change: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as refused:
        DunningPolicy.model_validate(edited(change))
    return describe(refused.value)


def test_the_default_policy_as_printed_loads_again() -> None:
    assert DunningPolicy.model_validate(edited({})) == DunningPolicy()


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"retries": {"card": {"days": [-3, 2]}}}, "retries.card.days.0"),
        ({"retries": {"card": {"days": [float("nan")]}}}, "retries.card.days.0"),
        ({"retries": {"card": {"days": [float("inf")]}}}, "retries.card.days.0"),
        ({"retries": {"card": {"days": [1e9]}}}, "less than or equal to 3650"),
        ({"retries": {"card": {"extra_days_by_tier": {"enterprise": [-1]}}}}, "enterprise.0"),
        (
            {
                "end_states": {
                    "self_serve": {
                        "final_notice_day": 20,
                        "end_day": 14,
                        "action": "cancel_subscription",
                    }
                }
            },
            "final_notice_day (20) comes after end_day (14)",
        ),
        ({"min_hours_between_retries": -1}, "min_hours_between_retries"),
        ({"silent_retry_window_hours": float("nan")}, "silent_retry_window_hours"),
        ({"request_days": [0, -7]}, "request_days.1"),
        ({"high_value_annual_contract": -1}, "high_value_annual_contract"),
        ({"expiry_reminder_days": [30, 1e7]}, "expiry_reminder_days.1"),
    ],
)
def test_a_value_no_case_could_run_on_is_refused_and_named(
    change: dict[str, Any], named: str
) -> None:
    assert named in refusal(change)


@pytest.mark.parametrize(
    ("plan", "named"),
    [
        ({"days": [1, -8]}, "days.1"),
        ({"paydays": 10**9, "days": [1]}, "paydays"),
        ({"weekly": 10**9, "weekday": 0}, "weekly"),
        ({"weekly": 2}, "weekly retries need a weekday"),
    ],
)
def test_a_learned_plan_edited_out_of_shape_is_refused(plan: dict[str, Any], named: str) -> None:
    with pytest.raises(ValidationError) as refused:
        RetryPlan.model_validate(plan)
    assert named in describe(refused.value)


def test_a_schedule_of_any_spacing_is_taken() -> None:
    # One retry a gap after another on the same day, in any order: every case runs on it.
    days = edited({"retries": {"card": {"days": [7, 3, 3]}}})
    schedule = DunningPolicy.model_validate(days).retries[PaymentMethodType.CARD]
    assert schedule.days_for(CustomerTier.SELF_SERVE) == (3, 3, 7)


def test_a_policy_file_refused_names_the_file_and_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(edited({"retries": {"card": {"days": [3, -3]}}})))
    world = Path("tests/lab/worlds/small.json")
    argv = ["backtest", "--world", str(world), "--out", str(tmp_path / "out")]
    assert main([*argv, "--policy", str(policy)]) != 0
    said = capsys.readouterr().err
    assert str(policy) in said and "retries.card.days.1" in said

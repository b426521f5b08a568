"""What `lab` prints of its agreement with the backtest."""

import json
from pathlib import Path

from cli.lab import SHOWN_DIFFERING, agreement_summary


def written(folder: Path, differing: list[str]) -> Path:
    summary = {
        "invoices": 120,
        "same_outcome": 120 - len(differing),
        "same_ending": 120 - len(differing),
        "later_days": {"median": 0.127, "p95": 0.9, "most": 7.129},
        "differing": differing,
    }
    (folder / "agreement.json").write_text(json.dumps(summary))
    return folder


def test_a_run_that_agrees_says_so_and_how_late_it_ran(tmp_path: Path) -> None:
    said = agreement_summary(written(tmp_path, []), 1)
    assert said == (
        "the backtest of this world on the run's calendar ends 120 of 120 invoices alike; the "
        "lab's cases closed a median 0.127 policy days after the backtest's (most 7.129)"
    )


def test_a_run_that_fell_behind_names_what_ended_otherwise_and_what_to_do(
    tmp_path: Path,
) -> None:
    differing = [f"in_{n}: lab recovered/retry, backtest end_state_applied/None" for n in range(12)]
    lines = agreement_summary(written(tmp_path, differing), 1).splitlines()
    assert lines[0].startswith("the backtest of this world on the run's calendar ends 108 of 120")
    assert "12 ended otherwise" in lines[1] and "more seconds a day give it more time" in lines[1]
    assert lines[2 : 2 + SHOWN_DIFFERING] == [f"  {line}" for line in differing[:SHOWN_DIFFERING]]
    assert lines[-1] == "  and 2 more (agreement.json)"
